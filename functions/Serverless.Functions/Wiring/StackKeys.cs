using k8s.Models;
using Serverless.Bindings;
using Serverless.Deploy;
using Serverless.Ingress;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Live;
using Serverless.Messages;
using Serverless.Model;
using Serverless.Reconcile;
using Serverless.Service;

namespace Serverless.Functions.Wiring;

/// <summary>
/// The stack keys the functions reconcile: an Ingress group key runs the <see cref="IngressGroupReconciler"/>, a Service
/// key the <see cref="ServiceReconciler"/> (the Service's own NLB; a Service that is not ours and carries no finalizer of
/// ours is read and left alone), a TargetGroupBinding key the <see cref="BindingReconciler"/>. Replayed keys (<see cref="ReconcileMode.FullDriftCheck"/>) compare every resource;
/// event-driven ones may use the deployer's checkpoint.
/// </summary>
public sealed class StackKeyReconciler(IngressGroupReconciler ingressGroups, ServiceReconciler? services = null, BindingReconciler? bindings = null) : IKeyReconciler
{
    /// <inheritdoc />
    public bool Reconciles(QueueKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Kind == QueueKeyKind.IngressGroup
            || (key.Kind == QueueKeyKind.Service && services is not null)
            || (key.Kind == QueueKeyKind.TargetGroupBinding && bindings is not null);
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
        var run = key.Kind switch
        {
            QueueKeyKind.Service => await services!.ReconcileAsync(StackId.ParseService(key.Name), request, cancellationToken).ConfigureAwait(false),
            QueueKeyKind.TargetGroupBinding => await ReconcileBindingAsync(key.Name, request, cancellationToken).ConfigureAwait(false),
            _ => await ingressGroups.ReconcileAsync(StackId.Parse(key.Name), request, cancellationToken).ConfigureAwait(false),
        };
        return run.Result;
    }

    private async Task<StackRun> ReconcileBindingAsync(string name, ReconcileRequest request, CancellationToken cancellationToken)
    {
        var binding = StackId.ParseBinding(name);
        return (await bindings!.ReconcileAsync(binding.Namespace!, binding.Name!, request, cancellationToken).ConfigureAwait(false)).Run;
    }
}

/// <summary>
/// Service and Node keys → the stacks they affect, from one <see cref="GroupIndex"/> per batch: the Ingress groups whose
/// rules reference the Service (or whose targets come from its EndpointSlices), and for a Node the Ingress groups with
/// instance targets and the Services (ours, or carrying our finalizer) whose NLB has instance targets. EndpointSlice
/// changes arrive as the Service's key, which reconciles its NLB itself.
/// </summary>
public sealed class GroupFanOut(IKubernetesApi api, ClusterSettings cluster) : IKeyFanOut
{
    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<QueueKey, IReadOnlyList<QueueKey>>> ResolveAsync(IReadOnlyList<QueueKey> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var index = await GroupIndex.LoadAsync(api, cluster, null, cancellationToken).ConfigureAwait(false);
        var bindings = keys.Any(static k => k.Kind is QueueKeyKind.Service or QueueKeyKind.Node)
            ? await BindingKeys.ListAsync(api, cancellationToken).ConfigureAwait(false)
            : [];
        var result = new Dictionary<QueueKey, IReadOnlyList<QueueKey>>();
        foreach (var key in keys)
        {
            result[key] = key.Kind switch
            {
                QueueKeyKind.Service => [
                    .. ServiceGroups(index, key.Name).Select(static g => QueueKey.IngressGroup(g.ToString())),
                    .. BindingKeys.OfService(bindings, key.Name)],
                QueueKeyKind.Node => [
                    .. index.ForNode(key.Name).Select(static g => QueueKey.IngressGroup(g.ToString())),
                    .. index.Services.Where(static s => ServiceSelection.Concerns(s) && HasInstanceTargets(s))
                        .Select(static s => QueueKey.Service(s.Metadata.NamespaceProperty, s.Metadata.Name)),
                    .. BindingKeys.OfNodes(bindings)],
                _ => [],
            };
        }
        return result;
    }

    /// <summary>
    /// Upstream's target type rule: <c>nlb-ip</c>, or <c>aws-load-balancer-nlb-target-type: ip</c>, is ip; anything else
    /// instance. A Service leaving (not ours any more) counts as instance: its reconcile is cheap and deletes.
    /// </summary>
    internal static bool HasInstanceTargets(V1Service service)
    {
        var annotations = service.Metadata?.Annotations;
        string? type = null, target = null;
        _ = annotations?.TryGetValue(ServiceSelection.TypeAnnotation, out type);
        _ = annotations?.TryGetValue(ServiceSelection.TargetTypeAnnotation, out target);
        return type != "nlb-ip" && target != "ip";
    }

    private static IEnumerable<StackId> ServiceGroups(GroupIndex index, string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        var (ns, service) = (name[..slash], name[(slash + 1)..]);
        return index.ForService(ns, service).Concat(index.ForEndpointSlicesOf(ns, service)).Distinct();
    }
}

/// <summary>
/// The TargetGroupBindings a Service or Node change concerns: a binding's targets come from its Service (its
/// EndpointSlices for ip targets, its NodePort for instance targets) and, for instance targets, from the nodes.
/// </summary>
public static class BindingKeys
{
    /// <summary>One binding as the fan-out needs it; <c>Service</c> and <c>TargetType</c> are null when its spec does not parse.</summary>
    public sealed record Entry(string Namespace, string Name, string? Service, string? TargetType)
    {
        /// <summary>Its queue key.</summary>
        public QueueKey Key => QueueKey.TargetGroupBinding(Namespace, Name);
    }

    /// <summary>Every binding of the cluster (none when the CRD is not installed).</summary>
    public static async Task<IReadOnlyList<Entry>> ListAsync(IKubernetesApi api, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(api);
        var entries = new List<Entry>();
        // Read as the binding reconcile reads them; an invalid one keeps its name (its own reconcile reports why).
        foreach (var read in await new LiveBindingSource(api).ListBindingsAsync(null, cancellationToken).ConfigureAwait(false))
            entries.Add(new Entry(read.Metadata.Namespace, read.Metadata.Name, read.Binding?.Spec.ServiceRef.Name, read.Binding?.Spec.TargetType));
        return entries;
    }

    /// <summary>The bindings of Service <paramref name="serviceKey"/> (<c>namespace/name</c>).</summary>
    public static IEnumerable<QueueKey> OfService(IEnumerable<Entry> bindings, string serviceKey)
    {
        ArgumentNullException.ThrowIfNull(bindings);
        ArgumentNullException.ThrowIfNull(serviceKey);
        return bindings.Where(b => b.Service is not null && $"{b.Namespace}/{b.Service}" == serviceKey).Select(static b => b.Key);
    }

    /// <summary>The bindings whose targets are nodes (instance, or not yet known: taken from the target group).</summary>
    public static IEnumerable<QueueKey> OfNodes(IEnumerable<Entry> bindings)
    {
        ArgumentNullException.ThrowIfNull(bindings);
        return bindings.Where(static b => b.Service is not null && b.TargetType is null or "instance").Select(static b => b.Key);
    }
}
