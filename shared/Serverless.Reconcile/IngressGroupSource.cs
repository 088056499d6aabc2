using k8s.Models;
using Serverless.Ingress;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Gates;
using Serverless.Kubernetes.Live;
using Serverless.Kubernetes.Manifests;
using Serverless.Kubernetes.Writers;
using Serverless.Model;

namespace Serverless.Reconcile;

/// <summary>
/// Where an Ingress group's objects come from and where its finalizers, status and events go: a live API server
/// (<see cref="LiveIngressGroupSource"/>) or manifest files (<see cref="ManifestIngressGroupSource"/>). The
/// <see cref="IngressGroupReconciler"/> runs the same steps over either.
/// </summary>
public interface IIngressGroupSource
{
    /// <summary>Loads the group; <paramref name="prepare"/> is called once, before the build, and the stack is built from what it returned.</summary>
    Task<LoadedGroup> LoadAsync(StackId group, SnapshotPreparation prepare, CancellationToken cancellationToken);

    /// <summary>Adds <paramref name="finalizer"/>; returns the Ingress as it is now and whether anything was written.</summary>
    Task<(V1Ingress? Ingress, bool Written)> AddFinalizerAsync(V1Ingress ingress, string finalizer, CancellationToken cancellationToken);

    /// <summary>Removes <paramref name="finalizer"/>; returns the Ingress as it is now and whether anything was written.</summary>
    Task<(V1Ingress? Ingress, bool Written)> RemoveFinalizerAsync(V1Ingress ingress, string finalizer, CancellationToken cancellationToken);

    /// <summary>Writes the load balancer's address to the status; false when it already showed it.</summary>
    Task<bool> UpdateStatusAsync(V1Ingress ingress, string hostname, IReadOnlyCollection<int> ports, CancellationToken cancellationToken);

    /// <summary>Records an Event; returns why it could not be written, or null.</summary>
    Task<Exception?> RecordEventAsync(V1Ingress ingress, string type, string reason, string message, CancellationToken cancellationToken);

    /// <summary>Records a Warning once while its Event lives (a stable Event name), so replays do not pile it up.</summary>
    Task<(bool Written, Exception? Failure)> RecordWarningOnceAsync(V1Ingress ingress, string reason, string message, CancellationToken cancellationToken);

    /// <summary>Writes the readiness gate conditions of the Pods behind the group's ip targets.</summary>
    IPodConditionWriter PodConditions { get; }
}

/// <summary>A live cluster: <see cref="KubernetesGroupLoader"/> reads, <see cref="IngressWriter"/> writes.</summary>
public sealed class LiveIngressGroupSource(IKubernetesApi api, ClusterSettings cluster, TimeProvider? time = null) : IIngressGroupSource
{
    private readonly KubernetesGroupLoader _loader = new(api, cluster);
    private readonly IngressWriter _writer = new(api, time);

    /// <inheritdoc />
    public IPodConditionWriter PodConditions { get; } = new PodConditionWriter(api);

    /// <inheritdoc />
    public Task<LoadedGroup> LoadAsync(StackId group, SnapshotPreparation prepare, CancellationToken cancellationToken) =>
        _loader.LoadAsync(group, prepare, cancellationToken);

    /// <inheritdoc />
    public Task<(V1Ingress? Ingress, bool Written)> AddFinalizerAsync(V1Ingress ingress, string finalizer, CancellationToken cancellationToken) =>
        _writer.AddFinalizerAsync(ingress, finalizer, cancellationToken);

    /// <inheritdoc />
    public Task<(V1Ingress? Ingress, bool Written)> RemoveFinalizerAsync(V1Ingress ingress, string finalizer, CancellationToken cancellationToken) =>
        _writer.RemoveFinalizerAsync(ingress, finalizer, cancellationToken);

    /// <inheritdoc />
    public Task<bool> UpdateStatusAsync(V1Ingress ingress, string hostname, IReadOnlyCollection<int> ports, CancellationToken cancellationToken) =>
        _writer.UpdateStatusAsync(ingress, hostname, ports, cancellationToken);

    /// <inheritdoc />
    public Task<Exception?> RecordEventAsync(V1Ingress ingress, string type, string reason, string message, CancellationToken cancellationToken) =>
        _writer.RecordEventAsync(ingress, type, reason, message, cancellationToken);

    /// <inheritdoc />
    public Task<(bool Written, Exception? Failure)> RecordWarningOnceAsync(V1Ingress ingress, string reason, string message, CancellationToken cancellationToken) =>
        _writer.RecordWarningOnceAsync(ingress, reason, message, cancellationToken);
}

/// <summary>
/// Manifest files: the objects are the <see cref="ManifestSet"/>'s, and what a reconcile writes (finalizers, status)
/// is applied to those objects in memory, so a second reconcile of the same set sees it, as it would on a cluster.
/// Events are kept in <see cref="Events"/>; annotation warnings were already reported by the manifest loader.
/// </summary>
public sealed class ManifestIngressGroupSource(ManifestSet set, ClusterSettings cluster) : IIngressGroupSource
{
    private readonly List<IngressEvent> _events = [];

    /// <summary>Every Event recorded, in order.</summary>
    public IReadOnlyList<IngressEvent> Events => _events;

    /// <inheritdoc />
    public IPodConditionWriter PodConditions { get; } = new InMemoryPodConditionWriter(set.Pods);

    /// <inheritdoc />
    public async Task<LoadedGroup> LoadAsync(StackId group, SnapshotPreparation prepare, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prepare);
        var prepared = await prepare(set.ToSnapshot(group, cluster, new AwsFacts()), cancellationToken).ConfigureAwait(false);
        var snapshot = set.ToSnapshot(group, cluster, prepared.Aws) with { HeldLeavers = prepared.HeldLeavers };
        return new LoadedGroup(snapshot, IngressGroupModelBuilder.Build(snapshot), set.Errors, 1);
    }

    /// <inheritdoc />
    public Task<(V1Ingress? Ingress, bool Written)> AddFinalizerAsync(V1Ingress ingress, string finalizer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        var finalizers = ingress.Metadata.Finalizers ?? [];
        if (finalizers.Contains(finalizer))
            return Task.FromResult<(V1Ingress?, bool)>((ingress, false));
        ingress.Metadata.Finalizers = [.. finalizers, finalizer];
        return Task.FromResult<(V1Ingress?, bool)>((ingress, true));
    }

    /// <inheritdoc />
    public Task<(V1Ingress? Ingress, bool Written)> RemoveFinalizerAsync(V1Ingress ingress, string finalizer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        var finalizers = ingress.Metadata.Finalizers ?? [];
        if (!finalizers.Contains(finalizer))
            return Task.FromResult<(V1Ingress?, bool)>((ingress, false));
        ingress.Metadata.Finalizers = [.. finalizers.Where(f => f != finalizer)];
        return Task.FromResult<(V1Ingress?, bool)>((ingress, true));
    }

    /// <inheritdoc />
    public Task<bool> UpdateStatusAsync(V1Ingress ingress, string hostname, IReadOnlyCollection<int> ports, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        ArgumentNullException.ThrowIfNull(ports);
        var sorted = ports.Distinct().Order().ToList();
        if (IngressWriter.StatusEquals(ingress, hostname, sorted))
            return Task.FromResult(false);
        ingress.Status = new V1IngressStatus
        {
            LoadBalancer = new V1IngressLoadBalancerStatus
            {
                Ingress = [new V1IngressLoadBalancerIngress { Hostname = hostname, Ports = [.. sorted.Select(static p => new V1IngressPortStatus { Port = p, Protocol = "TCP" })] }],
            },
        };
        return Task.FromResult(true);
    }

    /// <inheritdoc />
    public Task<Exception?> RecordEventAsync(V1Ingress ingress, string type, string reason, string message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        _events.Add(new IngressEvent($"{ingress.Metadata.NamespaceProperty}/{ingress.Metadata.Name}", type, reason, message));
        return Task.FromResult<Exception?>(null);
    }

    /// <inheritdoc />
    public Task<(bool Written, Exception? Failure)> RecordWarningOnceAsync(V1Ingress ingress, string reason, string message, CancellationToken cancellationToken) =>
        Task.FromResult<(bool, Exception?)>((false, null));
}
