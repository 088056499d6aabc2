using k8s.Models;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Bindings;
using Serverless.Kubernetes.Gates;
using Serverless.Kubernetes.Manifests;
using Serverless.Kubernetes.Writers;
using Serverless.Reconcile;

namespace Serverless.Bindings;

/// <summary>
/// A TargetGroupBinding as read: its metadata always (so an invalid one can still get Events and lose its
/// finalizer), the checked binding when it is valid, else the problems.
/// </summary>
public sealed record BindingObject(BindingMetadata Metadata, TargetGroupBinding? Binding, IReadOnlyList<ManifestError> Errors)
{
    /// <summary>A valid binding.</summary>
    public static BindingObject Of(TargetGroupBinding binding) => new((binding ?? throw new ArgumentNullException(nameof(binding))).Metadata, binding, []);
}

/// <summary>
/// Where a binding and what its targets come from are read, and where its finalizer, ledger, status and Events go
/// (a live API server: <see cref="LiveBindingSource"/>; manifest files: <see cref="ManifestBindingSource"/>). The
/// <see cref="BindingReconciler"/> runs the same steps over either.
/// </summary>
public interface IBindingSource
{
    /// <summary>The binding, or null when it does not exist.</summary>
    Task<BindingObject?> GetBindingAsync(string ns, string name, CancellationToken cancellationToken);

    /// <summary>Every binding of the cluster (or of <paramref name="ns"/>).</summary>
    Task<IReadOnlyList<BindingObject>> ListBindingsAsync(string? ns, CancellationToken cancellationToken);

    /// <summary>The Service, or null.</summary>
    Task<V1Service?> GetServiceAsync(string ns, string name, CancellationToken cancellationToken);

    /// <summary>The EndpointSlices of a Service (label <c>kubernetes.io/service-name</c>).</summary>
    Task<IReadOnlyList<V1EndpointSlice>> ListEndpointSlicesAsync(string ns, string serviceName, CancellationToken cancellationToken);

    /// <summary>Every Node.</summary>
    Task<IReadOnlyList<V1Node>> ListNodesAsync(CancellationToken cancellationToken);

    /// <summary>The Pods named (those of not-ready endpoints, whose readiness gate may hold them back); missing ones left out.</summary>
    Task<IReadOnlyList<V1Pod>> GetPodsAsync(IReadOnlyList<(string Namespace, string Name)> pods, CancellationToken cancellationToken);

    /// <summary>Where readiness gate conditions of Pods are written.</summary>
    IPodConditionWriter PodConditions { get; }

    /// <summary>Adds or removes <paramref name="finalizer"/>; returns the metadata as it now is (null when gone) and whether anything was written.</summary>
    Task<(BindingMetadata? Metadata, bool Written)> ChangeFinalizerAsync(BindingMetadata metadata, string finalizer, bool add, CancellationToken cancellationToken);

    /// <summary>Sets an annotation to what <paramref name="compute"/> makes of its current value (null removes it), conditionally on the resource version.</summary>
    Task<(BindingMetadata? Metadata, bool Written)> SetAnnotationAsync(BindingMetadata metadata, string key, Func<string?, string?> compute, CancellationToken cancellationToken);

    /// <summary>Writes <c>status.observedGeneration</c>; false when it already showed it.</summary>
    Task<bool> UpdateObservedGenerationAsync(TargetGroupBinding binding, CancellationToken cancellationToken);

    /// <summary>Sets one status condition; false when it already showed it.</summary>
    Task<bool> SetConditionAsync(BindingMetadata metadata, BindingStatus status, string type, string value, string reason, string message, CancellationToken cancellationToken);

    /// <summary>Records an Event (<paramref name="once"/>: only once while it lives); returns whether it was written and why it could not be.</summary>
    Task<(bool Written, Exception? Failure)> RecordEventAsync(BindingMetadata metadata, string type, string reason, string message, bool once, CancellationToken cancellationToken);
}

/// <summary>A live cluster: <see cref="IKubernetesApi"/> reads, <see cref="TargetGroupBindingWriter"/> writes.</summary>
public sealed class LiveBindingSource(IKubernetesApi api, TimeProvider? time = null) : IBindingSource
{
    private readonly TargetGroupBindingWriter _writer = new(api, time);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <inheritdoc />
    public IPodConditionWriter PodConditions { get; } = new PodConditionWriter(api);

    /// <inheritdoc />
    public Task<IReadOnlyList<V1Pod>> GetPodsAsync(IReadOnlyList<(string Namespace, string Name)> pods, CancellationToken cancellationToken) =>
        GatedPodReader.GetAsync(api, pods, cancellationToken);

    /// <inheritdoc />
    public async Task<BindingObject?> GetBindingAsync(string ns, string name, CancellationToken cancellationToken)
    {
        var json = await api.GetTargetGroupBindingJsonAsync(ns, name, cancellationToken).ConfigureAwait(false);
        return json is null ? null : Read(json, $"targetgroupbinding {ns}/{name}");
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<BindingObject>> ListBindingsAsync(string? ns, CancellationToken cancellationToken)
    {
        var items = await api.ListTargetGroupBindingsJsonAsync(ns, cancellationToken).ConfigureAwait(false);
        return [.. items.Select(static j => Read(j, "targetgroupbindings")).OfType<BindingObject>()];
    }

    /// <inheritdoc />
    public Task<V1Service?> GetServiceAsync(string ns, string name, CancellationToken cancellationToken) =>
        api.GetServiceAsync(ns, name, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<V1EndpointSlice>> ListEndpointSlicesAsync(string ns, string serviceName, CancellationToken cancellationToken) =>
        api.ListEndpointSlicesAsync(ns, LiveServiceSource.ServiceNameLabel + "=" + serviceName, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<V1Node>> ListNodesAsync(CancellationToken cancellationToken) => api.ListNodesAsync(cancellationToken);

    /// <inheritdoc />
    public Task<(BindingMetadata? Metadata, bool Written)> ChangeFinalizerAsync(BindingMetadata metadata, string finalizer, bool add, CancellationToken cancellationToken) =>
        add ? _writer.AddFinalizerAsync(metadata, finalizer, cancellationToken) : _writer.RemoveFinalizerAsync(metadata, finalizer, cancellationToken);

    /// <inheritdoc />
    public Task<(BindingMetadata? Metadata, bool Written)> SetAnnotationAsync(BindingMetadata metadata, string key, Func<string?, string?> compute, CancellationToken cancellationToken) =>
        _writer.SetAnnotationAsync(metadata, key, compute, cancellationToken);

    /// <inheritdoc />
    public Task<bool> UpdateObservedGenerationAsync(TargetGroupBinding binding, CancellationToken cancellationToken) =>
        _writer.UpdateObservedGenerationAsync(binding, cancellationToken);

    /// <inheritdoc />
    public Task<bool> SetConditionAsync(BindingMetadata metadata, BindingStatus status, string type, string value, string reason, string message, CancellationToken cancellationToken) =>
        _writer.SetConditionAsync(metadata, status, type, value, reason, message, _time.GetUtcNow(), cancellationToken);

    /// <inheritdoc />
    public async Task<(bool Written, Exception? Failure)> RecordEventAsync(BindingMetadata metadata, string type, string reason, string message, bool once, CancellationToken cancellationToken)
    {
        if (once)
            return await _writer.RecordOnceAsync(metadata, type, reason, message, cancellationToken).ConfigureAwait(false);
        var failure = await _writer.RecordEventAsync(metadata, type, reason, message, cancellationToken).ConfigureAwait(false);
        return (failure is null, failure);
    }

    private static BindingObject? Read(string json, string source)
    {
        if (TargetGroupBindingParser.ReadMetadataJson(json) is not { } metadata)
            return null;
        var parsed = TargetGroupBindingParser.ParseJson(json, source);
        return new BindingObject(metadata, parsed.Binding, parsed.Errors);
    }
}

/// <summary>
/// Manifest files: the binding, Service, EndpointSlices and Nodes are the <see cref="ManifestSet"/>'s; what a
/// reconcile writes (finalizer, ledger, status) is kept in memory, so a second reconcile of the same set sees it, as
/// it would on a cluster. Events are kept in <see cref="Events"/>.
/// </summary>
public sealed class ManifestBindingSource(ManifestSet set) : IBindingSource
{
    private readonly Dictionary<string, TargetGroupBinding> _current = (set ?? throw new ArgumentNullException(nameof(set))).TargetGroupBindings
        .GroupBy(static b => b.Key, StringComparer.Ordinal).ToDictionary(static g => g.Key, static g => g.First(), StringComparer.Ordinal);

    private readonly List<IngressEvent> _events = [];

    /// <summary>Every Event recorded, in order.</summary>
    public IReadOnlyList<IngressEvent> Events => _events;

    /// <inheritdoc />
    public Task<BindingObject?> GetBindingAsync(string ns, string name, CancellationToken cancellationToken) =>
        Task.FromResult(_current.TryGetValue($"{ns}/{name}", out var binding) ? BindingObject.Of(binding) : null);

    /// <inheritdoc />
    public Task<IReadOnlyList<BindingObject>> ListBindingsAsync(string? ns, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<BindingObject>>([.. _current.Values.Where(b => ns is null || b.Metadata.Namespace == ns).Select(BindingObject.Of)]);

    /// <inheritdoc />
    public Task<V1Service?> GetServiceAsync(string ns, string name, CancellationToken cancellationToken) =>
        Task.FromResult(set.Services.FirstOrDefault(s => s.Metadata.NamespaceProperty == ns && s.Metadata.Name == name));

    /// <inheritdoc />
    public Task<IReadOnlyList<V1EndpointSlice>> ListEndpointSlicesAsync(string ns, string serviceName, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<V1EndpointSlice>>([.. set.EndpointSlices.Where(s => s.Metadata.NamespaceProperty == ns
            && s.Metadata.Labels?.TryGetValue(LiveServiceSource.ServiceNameLabel, out var name) == true && name == serviceName)]);

    /// <inheritdoc />
    public Task<IReadOnlyList<V1Node>> ListNodesAsync(CancellationToken cancellationToken) => Task.FromResult(set.Nodes);

    /// <inheritdoc />
    public IPodConditionWriter PodConditions { get; } = new InMemoryPodConditionWriter(set.Pods);

    /// <inheritdoc />
    public Task<IReadOnlyList<V1Pod>> GetPodsAsync(IReadOnlyList<(string Namespace, string Name)> pods, CancellationToken cancellationToken)
    {
        var wanted = pods.ToHashSet();
        return Task.FromResult<IReadOnlyList<V1Pod>>([.. set.Pods.Where(p => wanted.Contains((p.Metadata.NamespaceProperty, p.Metadata.Name)))]);
    }

    /// <inheritdoc />
    public Task<(BindingMetadata? Metadata, bool Written)> ChangeFinalizerAsync(BindingMetadata metadata, string finalizer, bool add, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!_current.TryGetValue($"{metadata.Namespace}/{metadata.Name}", out var binding))
            return Task.FromResult<(BindingMetadata?, bool)>((null, false));
        var finalizers = binding.Metadata.Finalizers;
        if (finalizers.Contains(finalizer) == add)
            return Task.FromResult<(BindingMetadata?, bool)>((binding.Metadata, false));
        return Task.FromResult<(BindingMetadata?, bool)>((Update(binding, binding.Metadata with { Finalizers = add ? [.. finalizers, finalizer] : [.. finalizers.Where(f => f != finalizer)] }), true));
    }

    /// <inheritdoc />
    public Task<(BindingMetadata? Metadata, bool Written)> SetAnnotationAsync(BindingMetadata metadata, string key, Func<string?, string?> compute, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(compute);
        if (!_current.TryGetValue($"{metadata.Namespace}/{metadata.Name}", out var binding))
            return Task.FromResult<(BindingMetadata?, bool)>((null, false));
        var before = binding.Metadata.Annotations.GetValueOrDefault(key);
        var after = compute(before);
        if (after == before)
            return Task.FromResult<(BindingMetadata?, bool)>((binding.Metadata, false));
        var annotations = new Dictionary<string, string>(binding.Metadata.Annotations, StringComparer.Ordinal);
        if (after is null)
            annotations.Remove(key);
        else
            annotations[key] = after;
        return Task.FromResult<(BindingMetadata?, bool)>((Update(binding, binding.Metadata with { Annotations = annotations }), true));
    }

    /// <inheritdoc />
    public Task<bool> UpdateObservedGenerationAsync(TargetGroupBinding binding, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(binding);
        if (!_current.TryGetValue(binding.Key, out var current) || current.Status.ObservedGeneration == current.Metadata.Generation)
            return Task.FromResult(false);
        _current[binding.Key] = current with { Status = current.Status with { ObservedGeneration = current.Metadata.Generation } };
        return Task.FromResult(true);
    }

    /// <inheritdoc />
    public Task<bool> SetConditionAsync(BindingMetadata metadata, BindingStatus status, string type, string value, string reason, string message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var key = $"{metadata.Namespace}/{metadata.Name}";
        if (!_current.TryGetValue(key, out var current))
            return Task.FromResult(false);
        var condition = new BindingCondition(type, value, reason, message, null);
        if (current.Status.Conditions.Any(c => c.Type == type && c.Status == value && c.Reason == reason && c.Message == message))
            return Task.FromResult(false);
        _current[key] = current with { Status = current.Status with { Conditions = [.. current.Status.Conditions.Where(c => c.Type != type), condition] } };
        return Task.FromResult(true);
    }

    /// <inheritdoc />
    public Task<(bool Written, Exception? Failure)> RecordEventAsync(BindingMetadata metadata, string type, string reason, string message, bool once, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var key = $"{metadata.Namespace}/{metadata.Name}";
        if (once && _events.Any(e => e.Ingress == key && e.Type == type && e.Reason == reason && e.Message == message))
            return Task.FromResult<(bool, Exception?)>((false, null));
        _events.Add(new IngressEvent(key, type, reason, message));
        return Task.FromResult<(bool, Exception?)>((true, null));
    }

    private BindingMetadata Update(TargetGroupBinding binding, BindingMetadata metadata)
    {
        _current[binding.Key] = binding with { Metadata = metadata };
        return metadata;
    }
}
