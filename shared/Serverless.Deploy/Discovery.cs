using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Model;

namespace Serverless.Deploy;

/// <summary>An ELBv2 resource and its tags.</summary>
internal sealed record Tagged<T>(T Resource, string Arn, Dictionary<string, string> Tags)
{
    /// <summary>
    /// The resource ID under the key of the stack kind the resource is tagged for: <c>service.k8s.aws/resource</c> for a
    /// resource of a Service stack (tagged <c>service.k8s.aws/stack</c> and not <c>ingress.k8s.aws/stack</c>),
    /// <c>ingress.k8s.aws/resource</c> otherwise.
    /// </summary>
    public string? ResourceId => Tags.GetValueOrDefault(
        !Tags.ContainsKey(TrackingTags.Stack) && Tags.ContainsKey(TrackingTags.ServiceStack) ? TrackingTags.ServiceResource : TrackingTags.Resource);

    public string? Owner => Tags.GetValueOrDefault(TrackingTags.OwnerIngress);
}

/// <summary>A listener with what describing it by ARN adds.</summary>
internal sealed class ActualListener(Tagged<Listener> listener)
{
    public Tagged<Listener> Listener { get; } = listener;

    public int Port => Listener.Resource.Port ?? 0;

    public Dictionary<string, string> Attributes { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Every certificate (DescribeListenerCertificates), HTTPS listeners only.</summary>
    public List<Certificate> Certificates { get; set; } = [];

    public List<Tagged<Rule>> Rules { get; } = [];
}

/// <summary>What exists on AWS for one stack, found without scanning the region.</summary>
internal sealed class ActualState
{
    /// <summary>Load balancers found under the stack's names (ours and foreign).</summary>
    public List<Tagged<LoadBalancer>> LoadBalancers { get; } = [];

    /// <summary>Attributes of our load balancers, by ARN.</summary>
    public Dictionary<string, Dictionary<string, string>> LoadBalancerAttributes { get; } = new(StringComparer.Ordinal);

    /// <summary>Listeners of the load balancer we keep (only when it exists and is kept).</summary>
    public List<ActualListener> Listeners { get; } = [];

    /// <summary>Every target group found: attached to our load balancers, pending deletion, or under a desired name.</summary>
    public List<Tagged<TargetGroup>> TargetGroups { get; } = [];

    /// <summary>Security groups tagged for this stack (the managed SG).</summary>
    public List<SecurityGroupInfo> StackSecurityGroups { get; } = [];

    /// <summary>The cluster's shared backend SG, when the stack uses one.</summary>
    public SecurityGroupInfo? BackendSecurityGroup { get; set; }

    /// <summary>Node security groups named by the stack.</summary>
    public List<SecurityGroupInfo> NodeSecurityGroups { get; } = [];
}

/// <summary>Reads the state of one stack: by names and ARNs only, tags in batches of 20.</summary>
internal static class Discovery
{
    public const int TagBatch = 20;

    /// <summary>Tags of any ELBv2 ARNs (mixed types allowed), 20 per call.</summary>
    public static async Task<Dictionary<string, Dictionary<string, string>>> TagsAsync(IElasticLoadBalancingV2Client elb, IEnumerable<string> arns, CancellationToken ct)
    {
        var result = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var batch in arns.Distinct(StringComparer.Ordinal).Chunk(TagBatch))
        {
            var response = await elb.DescribeTagsAsync(new DescribeTagsRequest { ResourceArns = [.. batch] }, ct).ConfigureAwait(false);
            foreach (var description in response.TagDescriptions ?? [])
            {
                if (description.ResourceArn is not null)
                    result[description.ResourceArn] = ElbMapping.TagMap(description.Tags);
            }
        }
        foreach (var arn in arns)
            result.TryAdd(arn, new Dictionary<string, string>(StringComparer.Ordinal));
        return result;
    }

    public static async Task<Dictionary<string, string>> LoadBalancerAttributesAsync(IElasticLoadBalancingV2Client elb, string arn, CancellationToken ct)
    {
        var response = await elb.DescribeLoadBalancerAttributesAsync(new DescribeLoadBalancerAttributesRequest { LoadBalancerArn = arn }, ct).ConfigureAwait(false);
        return (response.Attributes ?? []).Where(static a => a.Key is not null).ToDictionary(static a => a.Key!, static a => a.Value ?? string.Empty, StringComparer.Ordinal);
    }

    public static async Task<Dictionary<string, string>> TargetGroupAttributesAsync(IElasticLoadBalancingV2Client elb, string arn, CancellationToken ct)
    {
        var response = await elb.DescribeTargetGroupAttributesAsync(new DescribeTargetGroupAttributesRequest { TargetGroupArn = arn }, ct).ConfigureAwait(false);
        return (response.Attributes ?? []).Where(static a => a.Key is not null).ToDictionary(static a => a.Key!, static a => a.Value ?? string.Empty, StringComparer.Ordinal);
    }

    public static async Task<Dictionary<string, string>> ListenerAttributesAsync(IElasticLoadBalancingV2Client elb, string arn, CancellationToken ct)
    {
        var response = await elb.DescribeListenerAttributesAsync(new DescribeListenerAttributesRequest { ListenerArn = arn }, ct).ConfigureAwait(false);
        return (response.Attributes ?? []).Where(static a => a.Key is not null).ToDictionary(static a => a.Key!, static a => a.Value ?? string.Empty, StringComparer.Ordinal);
    }

    public static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items.ConfigureAwait(false))
            list.Add(item);
        return list;
    }
}
