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
}

/// <summary>
/// The shared backend security group is used by every load balancer of the cluster, so no single stack deletes it
/// (the deployer never does). This collector, run by the replay's garbage collection and after the runner's destroy,
/// deletes it once the cluster has no load balancer left: first the node-SG rules whose source it is, then the group.
/// It reads with the cluster-wide inventory scan, which is why reconciles never call it.
/// </summary>
public sealed class BackendSecurityGroupCollector(IEc2Gateway ec2, ClusterInventory inventory)
{
    /// <summary>Deletes the backend SG of <paramref name="cluster"/> in <paramref name="vpcId"/> when nothing uses it.</summary>
    public async Task<BackendCollection> CollectAsync(string cluster, string vpcId, CancellationToken cancellationToken = default)
    {
        var name = Naming.BackendSecurityGroupName(cluster);
        var candidates = await ec2.FindSecurityGroupsAsync(
            [Ec2Filter.VpcId(vpcId), Ec2Filter.GroupName(name), Ec2Filter.Tag(TrackingTags.Cluster, cluster)], cancellationToken).ConfigureAwait(false);
        var backend = candidates.FirstOrDefault(g => g.Tags.GetValueOrDefault(TrackingTags.BackendResource) == ResourceIds.BackendSecurityGroup);
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
}
