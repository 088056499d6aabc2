using Serverless.Deploy;
using Serverless.Ingress;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Live;
using Serverless.Messages;
using Serverless.Model;
using Serverless.Reconcile;

namespace Serverless.Functions.Wiring;

/// <summary>
/// The stack keys the functions reconcile: an Ingress group key runs the <see cref="IngressGroupReconciler"/>.
/// Replayed keys (<see cref="ReconcileMode.FullDriftCheck"/>) compare every resource; event-driven ones may use the
/// deployer's checkpoint.
/// </summary>
public sealed class StackKeyReconciler(IngressGroupReconciler ingressGroups) : IKeyReconciler
{
    /// <inheritdoc />
    public bool Reconciles(QueueKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Kind == QueueKeyKind.IngressGroup;
    }

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(QueueKey key, ReconcileMode mode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!Reconciles(key))
            return ReconcileResult.Failed($"{key}: not a stack key");
        var request = mode switch
        {
            ReconcileMode.Collect => ReconcileRequest.Collect,
            ReconcileMode.FullDriftCheck => ReconcileRequest.DriftCheck,
            _ => ReconcileRequest.Event,
        };
        var run = await ingressGroups.ReconcileAsync(StackId.Parse(key.Name), request, cancellationToken).ConfigureAwait(false);
        return run.Result;
    }
}

/// <summary>
/// Service and Node keys → the Ingress groups they affect, from one <see cref="GroupIndex"/> per batch: the groups
/// whose rules reference the Service (or whose targets come from its EndpointSlices), the groups with instance
/// targets for a Node.
/// </summary>
public sealed class GroupFanOut(IKubernetesApi api, ClusterSettings cluster) : IKeyFanOut
{
    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<QueueKey, IReadOnlyList<QueueKey>>> ResolveAsync(IReadOnlyList<QueueKey> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var index = await GroupIndex.LoadAsync(api, cluster, null, cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<QueueKey, IReadOnlyList<QueueKey>>();
        foreach (var key in keys)
        {
            IEnumerable<StackId> groups = key.Kind switch
            {
                QueueKeyKind.Service => ServiceGroups(index, key.Name),
                QueueKeyKind.Node => index.ForNode(key.Name),
                _ => [],
            };
            result[key] = [.. groups.Select(static g => QueueKey.IngressGroup(g.ToString()))];
        }
        return result;
    }

    private static IEnumerable<StackId> ServiceGroups(GroupIndex index, string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        var (ns, service) = (name[..slash], name[(slash + 1)..]);
        return index.ForService(ns, service).Concat(index.ForEndpointSlicesOf(ns, service)).Distinct();
    }
}
