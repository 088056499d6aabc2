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
/// Reconciles one stack key (an Ingress group): re-reads the cluster and AWS and converges. Implemented over the
/// stack reconcilers of <c>Serverless.Reconcile</c>; the reconcile function calls it only from a message whose FIFO
/// message group is that key's, so one stack is reconciled by one invocation at a time. Expected conditions are
/// results, not exceptions; an exception counts as <see cref="ReconcileResult.Failed"/>.
/// </summary>
public interface IKeyReconciler
{
    /// <summary>True for the keys this reconciler reconciles itself (stack keys).</summary>
    bool Reconciles(QueueKey key);

    Task<ReconcileResult> ReconcileAsync(QueueKey key, ReconcileMode mode, CancellationToken cancellationToken);
}

/// <summary>
/// Resolves keys that name no stack of their own (a Service, an EndpointSlice's Service, a Node) to the stack keys
/// they affect. The reconcile function enqueues those stack keys under their own message groups instead of
/// reconciling them inline, so a stack is never reconciled by two invocations at once.
/// </summary>
public interface IKeyFanOut
{
    /// <summary>The stack keys each of <paramref name="keys"/> affects (every key of the input is in the answer).</summary>
    Task<IReadOnlyDictionary<QueueKey, IReadOnlyList<QueueKey>>> ResolveAsync(IReadOnlyList<QueueKey> keys, CancellationToken cancellationToken);
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
