using Serverless.Aws.Ec2;
using Serverless.Deploy;
using Serverless.Ingress;
using Serverless.Model;

namespace Serverless.Reconcile;

/// <summary>What became of the cluster's shared backend security group.</summary>
public enum BackendCollection
{
    /// <summary>There is none.</summary>
    Absent,

    /// <summary>A load balancer of the cluster still exists: kept.</summary>
    InUse,

    /// <summary>Deleted, after revoking the node rules that referenced it.</summary>
    Deleted,

    /// <summary>AWS refused for now (<c>DependencyViolation</c>: an ENI still holds it); try again later.</summary>
    RetryLater,

    /// <summary>
    /// Kept: security group rules this controller did not create (another description) reference it. Only our rules
    /// were revoked; the group goes once whoever added the others removes them.
    /// </summary>
    ReferencedByOthers,
}

/// <summary>
/// The shared backend security group is used by every load balancer of the cluster, so no single stack deletes it
/// (the deployer never does). This collector, run by the replay's garbage collection and after the runner's destroy,
/// deletes it once the cluster has no load balancer left: first the node-SG rules we created whose source it is (the
/// description <see cref="TrackingTags.SharedNodeRuleDescription"/>), then the group — unless a rule someone else added
/// still references it: that rule is never revoked, and the group is kept (<see cref="BackendCollection.ReferencedByOthers"/>).
/// It reads with the cluster-wide inventory scan, which is why reconciles never call it.
/// </summary>
public sealed class BackendSecurityGroupCollector(IEc2Gateway ec2, ClusterInventory inventory)
{
    /// <summary>Deletes the backend SG of <paramref name="cluster"/> in <paramref name="vpcId"/> when nothing uses it.</summary>
    public async Task<BackendCollection> CollectAsync(string cluster, string vpcId, CancellationToken cancellationToken = default) =>
        await ScanAsync(cluster, vpcId, null, cancellationToken).ConfigureAwait(false) is { } scan
            ? await CollectAsync(scan, vpcId, cancellationToken).ConfigureAwait(false)
            : BackendCollection.Absent;

    /// <summary>
    /// Revokes the shared node rules (source: the backend SG, description <see cref="TrackingTags.SharedNodeRuleDescription"/>)
    /// that no target group of the cluster needs any more: a rule is needed while some target group's port or numeric
    /// health-check port lies in its range. Stacks only ever add these rules (they are shared), so this sweep is
    /// what removes a deleted group's ports. Returns the rules revoked.
    /// </summary>
    public async Task<IReadOnlyList<IngressRule>> SweepNodeRulesAsync(string cluster, string vpcId, CancellationToken cancellationToken = default) =>
        await ScanAsync(cluster, vpcId, null, cancellationToken).ConfigureAwait(false) is { } scan
            ? await SweepNodeRulesAsync(scan, vpcId, cancellationToken).ConfigureAwait(false)
            : [];

    /// <summary>
    /// Both, on one cluster-wide scan (the replay's garbage collection): the unneeded node rules are revoked, then the
    /// backend SG is deleted when no load balancer of the cluster is left.
    /// </summary>
    public Task<(IReadOnlyList<IngressRule> Revoked, BackendCollection Backend)> SweepAsync(string cluster, string vpcId, CancellationToken cancellationToken = default) =>
        SweepAsync(cluster, vpcId, null, cancellationToken);

    /// <summary>
    /// <see cref="SweepAsync(string, string, CancellationToken)"/> with the cluster's stacks from an inventory scan the
    /// caller has just made (the replay lists orphans first), so the region is scanned once; null scans.
    /// </summary>
    public async Task<(IReadOnlyList<IngressRule> Revoked, BackendCollection Backend)> SweepAsync(
        string cluster, string vpcId, IReadOnlyList<ClusterStack>? stacks, CancellationToken cancellationToken = default)
    {
        if (await ScanAsync(cluster, vpcId, stacks, cancellationToken).ConfigureAwait(false) is not { } scan)
            return ([], BackendCollection.Absent);
        var revoked = await SweepNodeRulesAsync(scan, vpcId, cancellationToken).ConfigureAwait(false);
        return (revoked, await CollectAsync(scan, vpcId, cancellationToken).ConfigureAwait(false));
    }

    private async Task<BackendCollection> CollectAsync(Scan scan, string vpcId, CancellationToken ct)
    {
        if (scan.Stacks.Any(s => s.LoadBalancerArns.Count > 0))
            return BackendCollection.InUse;
        var others = false;
        foreach (var group in await ReferencingGroupsAsync(scan, vpcId, ct).ConfigureAwait(false))
        {
            var referencing = group.Ingress.Where(r => r.SourceSecurityGroupId == scan.Backend.GroupId).ToList();
            var ours = referencing.Where(static r => r.Description == TrackingTags.SharedNodeRuleDescription).ToList();
            if (ours.Count > 0)
                await ec2.RevokeIngressAsync(group.GroupId, ours, ct).ConfigureAwait(false);
            others |= ours.Count < referencing.Count;
        }
        if (others)
            return BackendCollection.ReferencedByOthers;
        var deletion = await ec2.DeleteSecurityGroupAsync(scan.Backend.GroupId, ct).ConfigureAwait(false);
        return deletion.Outcome == SecurityGroupDeletionOutcome.InUse ? BackendCollection.RetryLater : BackendCollection.Deleted;
    }

    private async Task<IReadOnlyList<IngressRule>> SweepNodeRulesAsync(Scan scan, string vpcId, CancellationToken ct)
    {
        var ports = scan.Stacks.SelectMany(s => s.TargetGroupPorts).ToHashSet();
        var revoked = new List<IngressRule>();
        foreach (var group in await ReferencingGroupsAsync(scan, vpcId, ct).ConfigureAwait(false))
        {
            var unneeded = group.Ingress
                .Where(r => r.SourceSecurityGroupId == scan.Backend.GroupId && r.Description == TrackingTags.SharedNodeRuleDescription)
                .Where(r => r.FromPort is { } from && r.ToPort is { } to && !ports.Any(p => p >= from && p <= to))
                .ToList();
            if (unneeded.Count == 0)
                continue;
            await ec2.RevokeIngressAsync(group.GroupId, unneeded, ct).ConfigureAwait(false);
            revoked.AddRange(unneeded);
        }
        return revoked;
    }

    /// <summary>The backend SG and one cluster-wide inventory scan; null when there is no backend SG.</summary>
    private async Task<Scan?> ScanAsync(string cluster, string vpcId, IReadOnlyList<ClusterStack>? stacks, CancellationToken ct)
    {
        var candidates = await ec2.FindSecurityGroupsAsync(
            [Ec2Filter.VpcId(vpcId), Ec2Filter.GroupName(Naming.BackendSecurityGroupName(cluster)), Ec2Filter.Tag(TrackingTags.Cluster, cluster)], ct).ConfigureAwait(false);
        var backend = candidates.FirstOrDefault(g => g.Tags.GetValueOrDefault(TrackingTags.BackendResource) == ResourceIds.BackendSecurityGroup);
        return backend is null ? null : new Scan(backend, stacks ?? await inventory.FindStacksAsync(cluster, vpcId, ct).ConfigureAwait(false));
    }

    private Task<IReadOnlyList<SecurityGroupInfo>> ReferencingGroupsAsync(Scan scan, string vpcId, CancellationToken ct) =>
        ec2.FindSecurityGroupsAsync([Ec2Filter.VpcId(vpcId), new Ec2Filter("ip-permission.group-id", [scan.Backend.GroupId])], ct);

    private sealed record Scan(SecurityGroupInfo Backend, IReadOnlyList<ClusterStack> Stacks);
}
