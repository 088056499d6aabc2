using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
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
}

/// <summary>
/// The shared backend security group is used by every load balancer of the cluster, so no single stack deletes it
/// (the deployer never does). This collector, run by the replay's garbage collection and after the runner's destroy,
/// deletes it once the cluster has no load balancer left: first the node-SG rules whose source it is, then the group.
/// It reads with the cluster-wide inventory scan, which is why reconciles never call it.
/// </summary>
public sealed class BackendSecurityGroupCollector(IEc2Gateway ec2, IElasticLoadBalancingV2Client elb, ClusterInventory inventory)
{
    /// <summary>Deletes the backend SG of <paramref name="cluster"/> in <paramref name="vpcId"/> when nothing uses it.</summary>
    public async Task<BackendCollection> CollectAsync(string cluster, string vpcId, CancellationToken cancellationToken = default)
    {
        var backend = await FindBackendAsync(cluster, vpcId, cancellationToken).ConfigureAwait(false);
        if (backend is null)
            return BackendCollection.Absent;
        var stacks = await inventory.FindStacksAsync(cluster, vpcId, cancellationToken).ConfigureAwait(false);
        if (stacks.Any(s => s.LoadBalancerArns.Count > 0))
            return BackendCollection.InUse;

        var referencing = await ec2.FindSecurityGroupsAsync(
            [Ec2Filter.VpcId(vpcId), new Ec2Filter("ip-permission.group-id", [backend.GroupId])], cancellationToken).ConfigureAwait(false);
        foreach (var group in referencing)
        {
            var rules = group.Ingress.Where(r => r.SourceSecurityGroupId == backend.GroupId).ToList();
            if (rules.Count > 0)
                await ec2.RevokeIngressAsync(group.GroupId, rules, cancellationToken).ConfigureAwait(false);
        }
        var deletion = await ec2.DeleteSecurityGroupAsync(backend.GroupId, cancellationToken).ConfigureAwait(false);
        return deletion.Outcome == SecurityGroupDeletionOutcome.InUse ? BackendCollection.RetryLater : BackendCollection.Deleted;
    }

    /// <summary>
    /// Revokes the shared node rules (source: the backend SG, description <see cref="TrackingTags.SharedNodeRuleDescription"/>)
    /// that no target group of the cluster needs any more: a rule is needed while some target group's port or numeric
    /// health-check port lies in its range. Stacks only ever add these rules (they are shared), so this sweep is
    /// what removes a deleted group's ports. Returns the rules revoked.
    /// </summary>
    public async Task<IReadOnlyList<IngressRule>> SweepNodeRulesAsync(string cluster, string vpcId, CancellationToken cancellationToken = default)
    {
        var backend = await FindBackendAsync(cluster, vpcId, cancellationToken).ConfigureAwait(false);
        if (backend is null)
            return [];
        var stacks = await inventory.FindStacksAsync(cluster, vpcId, cancellationToken).ConfigureAwait(false);
        var ports = new HashSet<int>();
        foreach (var batch in stacks.SelectMany(s => s.TargetGroupArns).Distinct(StringComparer.Ordinal).Chunk(20))
        {
            var described = await elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { TargetGroupArns = [.. batch] }, cancellationToken).ConfigureAwait(false);
            foreach (var tg in described.TargetGroups ?? [])
            {
                if (tg.Port is { } port)
                    ports.Add(port);
                if (int.TryParse(tg.HealthCheckPort, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var healthPort))
                    ports.Add(healthPort);
            }
        }
        var revoked = new List<IngressRule>();
        var referencing = await ec2.FindSecurityGroupsAsync(
            [Ec2Filter.VpcId(vpcId), new Ec2Filter("ip-permission.group-id", [backend.GroupId])], cancellationToken).ConfigureAwait(false);
        foreach (var group in referencing)
        {
            var unneeded = group.Ingress
                .Where(r => r.SourceSecurityGroupId == backend.GroupId && r.Description == TrackingTags.SharedNodeRuleDescription)
                .Where(r => r.FromPort is { } from && r.ToPort is { } to && !ports.Any(p => p >= from && p <= to))
                .ToList();
            if (unneeded.Count == 0)
                continue;
            await ec2.RevokeIngressAsync(group.GroupId, unneeded, cancellationToken).ConfigureAwait(false);
            revoked.AddRange(unneeded);
        }
        return revoked;
    }

    private async Task<SecurityGroupInfo?> FindBackendAsync(string cluster, string vpcId, CancellationToken ct)
    {
        var candidates = await ec2.FindSecurityGroupsAsync(
            [Ec2Filter.VpcId(vpcId), Ec2Filter.GroupName(Naming.BackendSecurityGroupName(cluster)), Ec2Filter.Tag(TrackingTags.Cluster, cluster)], ct).ConfigureAwait(false);
        return candidates.FirstOrDefault(g => g.Tags.GetValueOrDefault(TrackingTags.BackendResource) == ResourceIds.BackendSecurityGroup);
    }
}
