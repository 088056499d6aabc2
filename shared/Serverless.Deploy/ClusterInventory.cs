using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Model;

namespace Serverless.Deploy;

/// <summary>What one stack owns on AWS, as a cluster-wide scan finds it.</summary>
public sealed record ClusterStack(
    string Stack,
    IReadOnlyList<string> LoadBalancerNames,
    IReadOnlyList<string> LoadBalancerArns,
    IReadOnlyList<string> TargetGroupArns,
    IReadOnlyList<string> SecurityGroupIds)
{
    /// <summary>An Ingress group (<c>ingress.k8s.aws/stack</c>) or a Service (<c>service.k8s.aws/stack</c>); <see cref="Stack"/> is the tag's value.</summary>
    public StackKind Kind { get; init; } = StackKind.IngressGroup;

    /// <summary>The ports the stack's target groups receive traffic and health checks on (numeric health-check ports only).</summary>
    public IReadOnlyList<int> TargetGroupPorts { get; init; } = [];

    /// <summary>The tags of each of <see cref="LoadBalancerArns"/>, by ARN.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> LoadBalancerTags { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
}

/// <summary>
/// The explicit "everything tagged for this cluster" scan, for the replay and garbage-collection path only: it reads
/// every load balancer and target group of the region (paginated) and their tags. Reconciles never call it; they find
/// their stack by names and ARNs (<see cref="StackDeployer"/>).
/// </summary>
public sealed class ClusterInventory(IElasticLoadBalancingV2Client elb, IEc2Gateway ec2)
{
    // Not a valid group name character sequence for either kind's tag value: keeps the two kinds apart while sorting.
    private const string ServicePrefix = "\u0001service:";

    /// <summary>Every stack with at least one resource tagged for <paramref name="cluster"/>, by stack ID.</summary>
    public async Task<IReadOnlyList<ClusterStack>> FindStacksAsync(string cluster, string? vpcId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(cluster);
        var lbs = await Discovery.ToListAsync(elb.DescribeLoadBalancersPaginatedAsync(new DescribeLoadBalancersRequest(), cancellationToken)).ConfigureAwait(false);
        var tgs = await Discovery.ToListAsync(elb.DescribeTargetGroupsPaginatedAsync(new DescribeTargetGroupsRequest(), cancellationToken)).ConfigureAwait(false);
        if (vpcId is not null)
        {
            lbs = [.. lbs.Where(lb => lb.VpcId == vpcId)];
            tgs = [.. tgs.Where(tg => tg.VpcId == vpcId)];
        }
        var tags = await Discovery.TagsAsync(elb, lbs.Select(static lb => lb.LoadBalancerArn!).Concat(tgs.Select(static tg => tg.TargetGroupArn!)), cancellationToken).ConfigureAwait(false);
        // Both stack kinds: an Ingress group's tag (ingress.k8s.aws/stack) or a Service's (service.k8s.aws/stack); the
        // stack tag key is checked below (an EC2 filter name can be used once per call).
        List<Ec2Filter> filters = [Ec2Filter.Tag(TrackingTags.Cluster, cluster)];
        if (vpcId is not null)
            filters.Add(Ec2Filter.VpcId(vpcId));
        var groups = await ec2.FindSecurityGroupsAsync(filters, cancellationToken).ConfigureAwait(false);

        // The key of a stack: its ID, prefixed for a Service stack (an Ingress group and a Service may share "ns/name").
        string? StackOf(IReadOnlyDictionary<string, string> t) =>
            t.GetValueOrDefault(TrackingTags.Cluster) != cluster ? null
            : t.GetValueOrDefault(TrackingTags.Stack) ?? (t.GetValueOrDefault(TrackingTags.ServiceStack) is { } service ? ServicePrefix + service : null);
        var stacks = new SortedDictionary<string, (List<string> Names, List<string> Lbs, List<string> Tgs, List<string> Sgs)>(StringComparer.Ordinal);
        (List<string> Names, List<string> Lbs, List<string> Tgs, List<string> Sgs) Get(string stack)
        {
            if (!stacks.TryGetValue(stack, out var entry))
                stacks[stack] = entry = ([], [], [], []);
            return entry;
        }
        foreach (var lb in lbs)
        {
            if (StackOf(tags[lb.LoadBalancerArn!]) is { } stack)
            {
                Get(stack).Names.Add(lb.LoadBalancerName!);
                Get(stack).Lbs.Add(lb.LoadBalancerArn!);
            }
        }
        var ports = new Dictionary<string, SortedSet<int>>(StringComparer.Ordinal);
        foreach (var tg in tgs)
        {
            if (StackOf(tags[tg.TargetGroupArn!]) is { } stack)
            {
                Get(stack).Tgs.Add(tg.TargetGroupArn!);
                if (!ports.TryGetValue(stack, out var stackPorts))
                    ports[stack] = stackPorts = [];
                if (tg.Port is { } port)
                    stackPorts.Add(port);
                if (int.TryParse(tg.HealthCheckPort, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var healthPort))
                    stackPorts.Add(healthPort);
            }
        }
        foreach (var group in groups)
        {
            if (StackOf(group.Tags) is { } stack)
                Get(stack).Sgs.Add(group.GroupId);
        }
        return [.. stacks.Select(kv => new ClusterStack(kv.Key.StartsWith(ServicePrefix, StringComparison.Ordinal) ? kv.Key[ServicePrefix.Length..] : kv.Key,
            kv.Value.Names, kv.Value.Lbs, kv.Value.Tgs, kv.Value.Sgs)
        {
            Kind = kv.Key.StartsWith(ServicePrefix, StringComparison.Ordinal) ? StackKind.Service : StackKind.IngressGroup,
            TargetGroupPorts = ports.TryGetValue(kv.Key, out var stackPorts) ? [.. stackPorts] : [],
            LoadBalancerTags = kv.Value.Lbs.ToDictionary(static arn => arn, arn => (IReadOnlyDictionary<string, string>)tags[arn], StringComparer.Ordinal),
        })];
    }
}
