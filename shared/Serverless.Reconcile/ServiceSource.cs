using k8s.Models;
using Serverless.Ingress.Backend;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Gates;
using Serverless.Kubernetes.Writers;
using Serverless.Model;

namespace Serverless.Reconcile;

/// <summary>
/// Where a Service stack's objects come from and where its finalizer, status and events go (a live API server:
/// <see cref="LiveServiceSource"/>). The <see cref="ServiceReconciler"/> runs the same steps over any source.
/// </summary>
public interface IServiceSource
{
    /// <summary>The Service of <paramref name="stack"/>, or null when it does not exist.</summary>
    Task<V1Service?> GetServiceAsync(StackId stack, CancellationToken cancellationToken);

    /// <summary>What the Service's targets come from: its EndpointSlices (label <c>kubernetes.io/service-name</c>) and the cluster's nodes.</summary>
    Task<(IReadOnlyList<V1EndpointSlice> EndpointSlices, IReadOnlyList<V1Node> Nodes)> LoadTargetsAsync(V1Service service, CancellationToken cancellationToken);

    /// <summary>
    /// The Pods of the not-ready endpoints of <paramref name="slices"/> (<see cref="TargetBuilder.NotReadyPods"/>): a
    /// readiness gate may hold them back. No call when every endpoint is ready.
    /// </summary>
    Task<IReadOnlyList<V1Pod>> LoadGatedPodsAsync(IReadOnlyList<V1EndpointSlice> slices, CancellationToken cancellationToken);

    /// <summary>Writes the readiness gate conditions of the Pods behind the Service's ip targets.</summary>
    IPodConditionWriter PodConditions { get; }

    /// <summary>Adds <paramref name="finalizer"/>; returns the Service as it is now and whether anything was written.</summary>
    Task<(V1Service? Service, bool Written)> AddFinalizerAsync(V1Service service, string finalizer, CancellationToken cancellationToken);

    /// <summary>Removes <paramref name="finalizer"/>; returns the Service as it is now and whether anything was written.</summary>
    Task<(V1Service? Service, bool Written)> RemoveFinalizerAsync(V1Service service, string finalizer, CancellationToken cancellationToken);

    /// <summary>Writes the NLB's address to <c>status.loadBalancer</c>; false when it already showed it.</summary>
    Task<bool> UpdateStatusAsync(V1Service service, string hostname, CancellationToken cancellationToken);

    /// <summary>Empties <c>status.loadBalancer</c>; false when it was empty.</summary>
    Task<bool> ClearStatusAsync(V1Service service, CancellationToken cancellationToken);

    /// <summary>Records an Event; returns why it could not be written, or null.</summary>
    Task<Exception?> RecordEventAsync(V1Service service, string type, string reason, string message, CancellationToken cancellationToken);

    /// <summary>Records a Warning once while its Event lives (a stable Event name), so replays do not pile it up.</summary>
    Task<(bool Written, Exception? Failure)> RecordWarningOnceAsync(V1Service service, string reason, string message, CancellationToken cancellationToken);
}

/// <summary>A live cluster: <see cref="IKubernetesApi"/> reads, <see cref="ServiceWriter"/> writes.</summary>
public sealed class LiveServiceSource(IKubernetesApi api, TimeProvider? time = null) : IServiceSource
{
    /// <summary>The label an EndpointSlice names its Service with.</summary>
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    private readonly ServiceWriter _writer = new(api, time);

    /// <inheritdoc />
    public IPodConditionWriter PodConditions { get; } = new PodConditionWriter(api);

    /// <inheritdoc />
    public async Task<IReadOnlyList<V1Pod>> LoadGatedPodsAsync(IReadOnlyList<V1EndpointSlice> slices, CancellationToken cancellationToken)
    {
        var keys = TargetBuilder.NotReadyPods(slices);
        return keys.Count == 0 ? [] : await GatedPodReader.GetAsync(api, keys, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<V1Service?> GetServiceAsync(StackId stack, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stack);
        return api.GetServiceAsync(stack.Namespace!, stack.Name!, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<(IReadOnlyList<V1EndpointSlice> EndpointSlices, IReadOnlyList<V1Node> Nodes)> LoadTargetsAsync(V1Service service, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        var slices = await api.ListEndpointSlicesAsync(service.Metadata.NamespaceProperty, ServiceNameLabel + "=" + service.Metadata.Name, cancellationToken).ConfigureAwait(false);
        var nodes = await api.ListNodesAsync(cancellationToken).ConfigureAwait(false);
        return (slices, nodes);
    }

    /// <inheritdoc />
    public Task<(V1Service? Service, bool Written)> AddFinalizerAsync(V1Service service, string finalizer, CancellationToken cancellationToken) =>
        _writer.AddFinalizerAsync(service, finalizer, cancellationToken);

    /// <inheritdoc />
    public Task<(V1Service? Service, bool Written)> RemoveFinalizerAsync(V1Service service, string finalizer, CancellationToken cancellationToken) =>
        _writer.RemoveFinalizerAsync(service, finalizer, cancellationToken);

    /// <inheritdoc />
    public Task<bool> UpdateStatusAsync(V1Service service, string hostname, CancellationToken cancellationToken) =>
        _writer.UpdateStatusAsync(service, hostname, cancellationToken);

    /// <inheritdoc />
    public Task<bool> ClearStatusAsync(V1Service service, CancellationToken cancellationToken) =>
        _writer.ClearStatusAsync(service, cancellationToken);

    /// <inheritdoc />
    public Task<Exception?> RecordEventAsync(V1Service service, string type, string reason, string message, CancellationToken cancellationToken) =>
        _writer.RecordEventAsync(service, type, reason, message, cancellationToken);

    /// <inheritdoc />
    public Task<(bool Written, Exception? Failure)> RecordWarningOnceAsync(V1Service service, string reason, string message, CancellationToken cancellationToken) =>
        _writer.RecordWarningOnceAsync(service, reason, message, cancellationToken);
}

/// <summary>
/// Manifest files: the Service, its EndpointSlices and the Nodes are the <see cref="Kubernetes.Manifests.ManifestSet"/>'s;
/// what a reconcile writes (finalizer, status) is applied to those objects in memory, so a second reconcile of the same
/// set sees it, as it would on a cluster. Events are kept in <see cref="Events"/>.
/// </summary>
public sealed class ManifestServiceSource(Kubernetes.Manifests.ManifestSet set) : IServiceSource
{
    private readonly List<IngressEvent> _events = [];

    /// <summary>Every Event recorded, in order.</summary>
    public IReadOnlyList<IngressEvent> Events => _events;

    /// <inheritdoc />
    public IPodConditionWriter PodConditions { get; } = new InMemoryPodConditionWriter(set.Pods);

    /// <inheritdoc />
    public Task<IReadOnlyList<V1Pod>> LoadGatedPodsAsync(IReadOnlyList<V1EndpointSlice> slices, CancellationToken cancellationToken)
    {
        var keys = new HashSet<(string, string)>(TargetBuilder.NotReadyPods(slices));
        return Task.FromResult<IReadOnlyList<V1Pod>>([.. set.Pods.Where(p => keys.Contains((p.Metadata.NamespaceProperty ?? "default", p.Metadata.Name)))]);
    }

    /// <inheritdoc />
    public Task<V1Service?> GetServiceAsync(StackId stack, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stack);
        return Task.FromResult(set.Services.FirstOrDefault(s => s.Metadata.NamespaceProperty == stack.Namespace && s.Metadata.Name == stack.Name));
    }

    /// <inheritdoc />
    public Task<(IReadOnlyList<V1EndpointSlice> EndpointSlices, IReadOnlyList<V1Node> Nodes)> LoadTargetsAsync(V1Service service, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        IReadOnlyList<V1EndpointSlice> slices = [.. set.EndpointSlices.Where(s => s.Metadata.NamespaceProperty == service.Metadata.NamespaceProperty
            && s.Metadata.Labels?.TryGetValue(LiveServiceSource.ServiceNameLabel, out var name) == true && name == service.Metadata.Name)];
        return Task.FromResult((slices, set.Nodes));
    }

    /// <inheritdoc />
    public Task<(V1Service? Service, bool Written)> AddFinalizerAsync(V1Service service, string finalizer, CancellationToken cancellationToken) =>
        Task.FromResult(ChangeFinalizer(service, finalizer, add: true));

    /// <inheritdoc />
    public Task<(V1Service? Service, bool Written)> RemoveFinalizerAsync(V1Service service, string finalizer, CancellationToken cancellationToken) =>
        Task.FromResult(ChangeFinalizer(service, finalizer, add: false));

    private static (V1Service?, bool) ChangeFinalizer(V1Service service, string finalizer, bool add)
    {
        ArgumentNullException.ThrowIfNull(service);
        var finalizers = service.Metadata.Finalizers ?? [];
        if (finalizers.Contains(finalizer) == add)
            return (service, false);
        service.Metadata.Finalizers = add ? [.. finalizers, finalizer] : [.. finalizers.Where(f => f != finalizer)];
        return (service, true);
    }

    /// <inheritdoc />
    public Task<bool> UpdateStatusAsync(V1Service service, string hostname, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (ServiceWriter.StatusEquals(service, hostname))
            return Task.FromResult(false);
        service.Status = new V1ServiceStatus
        {
            LoadBalancer = new V1LoadBalancerStatus
            {
                Ingress = [new V1LoadBalancerIngress { Hostname = hostname, Ports = [.. ServiceWriter.StatusPorts(service).Select(static p => new V1PortStatus { Port = p.Port, Protocol = p.Protocol })] }],
            },
        };
        return Task.FromResult(true);
    }

    /// <inheritdoc />
    public Task<bool> ClearStatusAsync(V1Service service, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (service.Status?.LoadBalancer?.Ingress is not { Count: > 0 })
            return Task.FromResult(false);
        service.Status.LoadBalancer = new V1LoadBalancerStatus();
        return Task.FromResult(true);
    }

    /// <inheritdoc />
    public Task<Exception?> RecordEventAsync(V1Service service, string type, string reason, string message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        _events.Add(new IngressEvent($"{service.Metadata.NamespaceProperty}/{service.Metadata.Name}", type, reason, message));
        return Task.FromResult<Exception?>(null);
    }

    /// <inheritdoc />
    public async Task<(bool Written, Exception? Failure)> RecordWarningOnceAsync(V1Service service, string reason, string message, CancellationToken cancellationToken)
    {
        await RecordEventAsync(service, "Warning", reason, message, cancellationToken).ConfigureAwait(false);
        return (true, null);
    }
}
