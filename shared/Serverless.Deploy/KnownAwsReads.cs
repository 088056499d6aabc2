using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;

namespace Serverless.Deploy;

/// <summary>
/// What the caller read from AWS moments ago, in the same reconcile and before anything changed (the AWS facts the
/// model builder used), so the deployer does not read it again. Only hand in reads made for this reconcile: facts
/// served from a cache are not known state.
/// </summary>
public sealed record KnownAwsReads
{
    /// <summary>The load balancer names that were looked up, whether found or not.</summary>
    public IReadOnlyCollection<string> LoadBalancerNames { get; init; } = [];

    /// <summary>The load balancers found under <see cref="LoadBalancerNames"/>, with their tags.</summary>
    public IReadOnlyList<KnownLoadBalancer> LoadBalancers { get; init; } = [];

    /// <summary>The VPC whose security groups <see cref="VpcSecurityGroups"/> are.</summary>
    public string? VpcId { get; init; }

    /// <summary>Every security group of <see cref="VpcId"/> with its rules and tags; null when not read.</summary>
    public IReadOnlyList<SecurityGroupInfo>? VpcSecurityGroups { get; init; }
}

/// <summary>A load balancer as <c>DescribeLoadBalancers</c> returned it, and its tags.</summary>
public sealed record KnownLoadBalancer(LoadBalancer LoadBalancer, IReadOnlyDictionary<string, string> Tags);

/// <summary>The security groups discovery needs, taken from the VPC's groups the caller just read.</summary>
internal static class KnownSecurityGroups
{
    /// <summary>
    /// Fills the stack's, the backend and the node security groups from <see cref="KnownAwsReads.VpcSecurityGroups"/>
    /// (node groups outside that list are described by ID). False when the caller read none for this VPC.
    /// </summary>
    public static async Task<bool> TryAddAsync(DeployRun run, CancellationToken ct)
    {
        var ctx = run.Ctx;
        if (ctx.Options.Known is not { VpcSecurityGroups: { } groups } known || known.VpcId != ctx.Options.VpcId)
            return false;
        bool Has(SecurityGroupInfo g, string key, string value) => g.Tags.TryGetValue(key, out var v) && v == value;
        run.Actual.StackSecurityGroups.AddRange(groups.Where(g => DeployTags.IsOurs(g.Tags, ctx.Cluster, ctx.Desired.Id)));
        if (ctx.Desired.BackendSecurityGroup is not null)
        {
            run.Actual.BackendSecurityGroup = groups
                .Where(g => Has(g, Model.TrackingTags.Cluster, ctx.Cluster) && Has(g, Model.TrackingTags.BackendResource, Model.ResourceIds.BackendSecurityGroup))
                .OrderBy(static g => g.GroupId, StringComparer.Ordinal).FirstOrDefault();
        }
        var nodeSgIds = ctx.Desired.NodeSecurityGroupRules.Select(static n => n.SecurityGroupId).Distinct(StringComparer.Ordinal).ToList();
        var byId = groups.ToDictionary(static g => g.GroupId, StringComparer.Ordinal);
        run.Actual.NodeSecurityGroups.AddRange(nodeSgIds.Where(byId.ContainsKey).Select(id => byId[id]));
        var missing = nodeSgIds.Where(id => !byId.ContainsKey(id)).ToList();
        if (missing.Count > 0)
            run.Actual.NodeSecurityGroups.AddRange(await ctx.Ec2.DescribeSecurityGroupsAsync(missing, ct).ConfigureAwait(false));
        return true;
    }
}
