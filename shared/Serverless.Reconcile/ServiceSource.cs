using k8s.Models;
using Serverless.Kubernetes.Api;
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
