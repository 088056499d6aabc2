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

    /// <summary>
    /// The replay's garbage collection approved deleting this stack should its group have no member: a full drift check
    /// that may delete a memberless group's stack (docs/garbage-collection.md).
    /// </summary>
    Collect,
}

/// <summary>
/// Reconciles one stack key (an Ingress group, or a Service's own NLB): re-reads the cluster and AWS and converges. Implemented over the
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
    /// <summary>
    /// True for the keys resolved here: Service and Node keys. A Service key is also a stack key (its own NLB, see
    /// <see cref="IKeyReconciler.Reconciles"/>): it is both reconciled and resolved to the Ingress groups that use the Service.
    /// </summary>
    bool FansOut(QueueKey key) => key?.Kind is QueueKeyKind.Service or QueueKeyKind.Node;

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

/// <summary>
/// The keys that exist in the cluster now (Kubernetes side: every Ingress group of our IngressClass, and every Service
/// that is ours or still carries our finalizer).
/// </summary>
public interface IClusterKeySource
{
    /// <summary>
    /// Every Ingress group key (group ID = upstream's stack ID) with at least one member of our class, and whether the
    /// lists behind it were complete. Never throws for a failed list: the answer says it is incomplete.
    /// </summary>
    Task<ClusterGroups> ListGroupKeysAsync(CancellationToken cancellationToken);
}

/// <summary>The cluster's groups as one replay sees them.</summary>
/// <param name="Keys">The group keys found (all of them when <see cref="Incomplete"/> is null, some or none otherwise).</param>
public sealed record ClusterGroups(IReadOnlyList<QueueKey> Keys)
{
    /// <summary>
    /// Null when every Ingress, IngressClass and IngressClassParams was listed completely (every page, no error, no
    /// object left unread); else why not. An incomplete answer cannot prove a group absent.
    /// </summary>
    public string? Incomplete { get; init; }

    /// <summary>
    /// Why a class configuration recorded on a stack (<c>IngressClassRecord</c>) no longer selects this controller, or
    /// null when it still does.
    /// </summary>
    public Func<string?, string?> ClassProblem { get; init; } = static _ => "the IngressClasses were not read";
}

/// <summary>One load balancer of a stack, as the cluster-wide scan found it.</summary>
/// <param name="Arn">Its ARN.</param>
/// <param name="Name">Its name.</param>
/// <param name="Tags">Its tags.</param>
/// <param name="DefaultName">True when its name is one of the group's default names (what a reconcile of the group finds without its Ingresses).</param>
public sealed record StackLoadBalancer(string Arn, string Name, IReadOnlyDictionary<string, string> Tags, bool DefaultName = true);

/// <summary>One stack tagged for this cluster: its load balancers (with tags) and how many target and security groups it has.</summary>
public sealed record StackOnAws(string Stack, IReadOnlyList<StackLoadBalancer> LoadBalancers, int TargetGroups, int SecurityGroups)
{
    /// <summary>An Ingress group's stack or a Service's (<see cref="Stack"/> is then <c>namespace/name</c> of the Service).</summary>
    public Serverless.Model.StackKind Kind { get; init; } = Serverless.Model.StackKind.IngressGroup;
}

/// <summary>The stacks that exist on AWS (deployer side: <c>ClusterInventory</c>, resources tagged for this cluster).</summary>
public interface IClusterStacks
{
    /// <summary>Every stack with a resource tagged <c>elbv2.k8s.aws/cluster=&lt;cluster&gt;</c>, by its <c>ingress.k8s.aws/stack</c> tag.</summary>
    Task<IReadOnlyList<StackOnAws>> ListStacksAsync(CancellationToken cancellationToken);

    /// <summary>Tags the load balancers with <c>serverless.elbv2.k8s.aws/absent-since=&lt;since&gt;</c>.</summary>
    Task MarkAbsentAsync(IReadOnlyList<string> loadBalancerArns, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Removes the absent-since tag from the load balancers.</summary>
    Task ClearAbsentAsync(IReadOnlyList<string> loadBalancerArns, CancellationToken cancellationToken);

    /// <summary>True when the load balancer's attribute <c>deletion_protection.enabled</c> is <c>true</c>.</summary>
    Task<bool> IsDeletionProtectedAsync(string loadBalancerArn, CancellationToken cancellationToken);

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
