using System.Globalization;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;

namespace Serverless.Functions;

/// <summary>
/// The drain path's view of ELBv2: the instance-mode target groups tagged <c>elbv2.k8s.aws/cluster=&lt;cluster&gt;</c>,
/// deregistering an instance from them and watching it drain. Only target groups carrying our cluster tag are ever
/// touched.
/// </summary>
public sealed class ClusterTargetGroups(IElasticLoadBalancingV2Client elb, string clusterName)
{
    /// <summary>The cluster tag key (upstream's).</summary>
    public const string ClusterTag = "elbv2.k8s.aws/cluster";

    /// <summary>DescribeTags takes at most 20 ARNs per call.</summary>
    public const int TagBatch = 20;

    /// <summary>AWS's default deregistration delay, used when a target group's attribute cannot be read.</summary>
    public static readonly TimeSpan DefaultDeregistrationDelay = TimeSpan.FromSeconds(300);

    /// <summary>
    /// Every instance-mode target group of the Region tagged for this cluster: DescribeTargetGroups (all pages), then
    /// DescribeTags for the instance-mode ones in batches of 20.
    /// </summary>
    public async Task<IReadOnlyList<string>> FindInstanceTargetGroupsAsync(CancellationToken cancellationToken)
    {
        var instanceMode = new List<string>();
        await foreach (var tg in elb.DescribeTargetGroupsPaginatedAsync(new DescribeTargetGroupsRequest(), cancellationToken).ConfigureAwait(false))
        {
            if (string.Equals(tg.TargetType, "instance", StringComparison.Ordinal) && tg.TargetGroupArn is { } arn)
                instanceMode.Add(arn);
        }
        var ours = new List<string>();
        foreach (var chunk in instanceMode.Chunk(TagBatch))
        {
            var tags = await elb.DescribeTagsAsync(new DescribeTagsRequest { ResourceArns = [.. chunk] }, cancellationToken).ConfigureAwait(false);
            foreach (var description in tags.TagDescriptions ?? [])
            {
                if ((description.Tags ?? []).Any(t => t.Key == ClusterTag && t.Value == clusterName) && description.ResourceArn is { } arn)
                    ours.Add(arn);
            }
        }
        return ours;
    }

    /// <summary>
    /// Deregisters <paramref name="instanceId"/> (every port it is registered on) from each target group; returns the
    /// target groups where it was registered (draining ones included: they still have to finish).
    /// </summary>
    public async Task<IReadOnlyList<string>> DeregisterAsync(string instanceId, IReadOnlyList<string> targetGroupArns, CancellationToken cancellationToken)
    {
        var found = new List<string>();
        foreach (var arn in targetGroupArns)
        {
            var health = await elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = arn }, cancellationToken).ConfigureAwait(false);
            var mine = (health.TargetHealthDescriptions ?? []).Where(d => d.Target?.Id == instanceId).ToList();
            if (mine.Count == 0)
                continue;
            found.Add(arn);
            var active = mine.Where(static d => d.TargetHealth?.State != "draining").Select(static d => new TargetDescription { Id = d.Target!.Id, Port = d.Target.Port }).ToList();
            if (active.Count > 0)
                await elb.DeregisterTargetsAsync(new DeregisterTargetsRequest { TargetGroupArn = arn, Targets = active }, cancellationToken).ConfigureAwait(false);
        }
        return found;
    }

    /// <summary>True while <paramref name="instanceId"/> is <c>draining</c> in any of the target groups.</summary>
    public async Task<bool> IsDrainingAsync(string instanceId, IReadOnlyList<string> targetGroupArns, CancellationToken cancellationToken)
    {
        foreach (var arn in targetGroupArns)
        {
            DescribeTargetHealthResponse health;
            try
            {
                health = await elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = arn }, cancellationToken).ConfigureAwait(false);
            }
            catch (ElasticLoadBalancingV2Exception ex) when (ex.IsTargetGroupNotFound)
            {
                continue; // deleted meanwhile: nothing left to drain there
            }
            if ((health.TargetHealthDescriptions ?? []).Any(d => d.Target?.Id == instanceId && d.TargetHealth?.State == "draining"))
                return true;
        }
        return false;
    }

    /// <summary>The largest <c>deregistration_delay.timeout_seconds</c> of the target groups (AWS's default when unreadable).</summary>
    public async Task<TimeSpan> MaxDeregistrationDelayAsync(IReadOnlyList<string> targetGroupArns, CancellationToken cancellationToken)
    {
        var max = TimeSpan.Zero;
        foreach (var arn in targetGroupArns)
        {
            var delay = DefaultDeregistrationDelay;
            var attributes = await elb.DescribeTargetGroupAttributesAsync(new DescribeTargetGroupAttributesRequest { TargetGroupArn = arn }, cancellationToken).ConfigureAwait(false);
            var value = (attributes.Attributes ?? []).FirstOrDefault(static a => a.Key == "deregistration_delay.timeout_seconds")?.Value;
            if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
                delay = TimeSpan.FromSeconds(seconds);
            if (delay > max)
                max = delay;
        }
        return max;
    }
}
