using Serverless.Deploy;
using Serverless.Messages;

namespace Serverless.Functions;

/// <summary>How thoroughly a key is reconciled.</summary>
public enum ReconcileMode
{
    /// <summary>A change was seen (forwarder, requeue, manual): the reconciler may trust its checkpoints and skip unchanged parts.</summary>
    Event,

    /// <summary>The scheduled replay: describe everything the stack owns and repair drift (no checkpoint shortcuts).</summary>
    FullDriftCheck,
}

/// <summary>
/// Reconciles one key (an Ingress group, a Service's groups, a Node's groups): re-reads the cluster and AWS and
/// converges. Implemented by the Kubernetes/deployer side (GroupReconciler); the reconcile function only calls it.
/// Expected conditions are results, not exceptions; an exception counts as <see cref="ReconcileResult.Failed"/>.
/// </summary>
public interface IKeyReconciler
{
    Task<ReconcileResult> ReconcileAsync(QueueKey key, ReconcileMode mode, CancellationToken cancellationToken);
}

/// <summary>The outcome of marking a node for drain.</summary>
/// <param name="NodeName">The node whose <c>spec.providerID</c> names the instance, or null when no node does.</param>
/// <param name="Changed">True when the mark was added now (false: already marked, or no node).</param>
public sealed record NodeMarkResult(string? NodeName, bool Changed);

/// <summary>
/// Marks the node running an instance as leaving (the Kubernetes side: e.g. the label
/// <c>node.kubernetes.io/exclude-from-external-load-balancers</c>, so no reconcile registers it again). The node is
/// found by <c>spec.providerID</c> (<c>aws:///&lt;zone&gt;/&lt;instance-id&gt;</c>). Idempotent.
/// </summary>
public interface INodeDrainMarker
{
    Task<NodeMarkResult> MarkAsync(string instanceId, string reason, CancellationToken cancellationToken);
}

/// <summary>The keys that exist in the cluster now (Kubernetes side: every Ingress group of our IngressClass).</summary>
public interface IClusterKeySource
{
    /// <summary>Every Ingress group key (group ID = upstream's stack ID) with at least one member of our class.</summary>
    Task<IReadOnlyList<QueueKey>> ListGroupKeysAsync(CancellationToken cancellationToken);
}

/// <summary>The stacks that exist on AWS (deployer side: <c>ClusterInventory</c>, resources tagged for this cluster).</summary>
public interface IClusterStacks
{
    /// <summary>The distinct <c>ingress.k8s.aws/stack</c> tag values of resources tagged <c>elbv2.k8s.aws/cluster=&lt;cluster&gt;</c>.</summary>
    Task<IReadOnlyList<string>> ListStackIdsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Garbage of the resources all stacks share, which no single reconcile may delete: node security group rules no
    /// target group of the cluster needs any more, and the backend security group once no load balancer is left.
    /// </summary>
    Task<SharedSweep> SweepSharedAsync(CancellationToken cancellationToken);
}

/// <summary>What <see cref="IClusterStacks.SweepSharedAsync"/> removed.</summary>
/// <param name="RevokedNodeRules">Node security group rules revoked.</param>
/// <param name="BackendSecurityGroup">What became of the backend SG (absent, in use, deleted, retry later).</param>
public sealed record SharedSweep(int RevokedNodeRules, string BackendSecurityGroup);
