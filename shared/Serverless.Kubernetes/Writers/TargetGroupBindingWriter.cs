using System.Text.Json.Nodes;
using k8s.Models;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Bindings;

namespace Serverless.Kubernetes.Writers;

/// <summary>
/// Writes to a TargetGroupBinding what its reconcile decided, and only what changed: the finalizer and annotations
/// (conditional merge patches: a 409 re-reads and re-applies), <c>status</c> on the status subresource, and Events
/// (source component <c>targetGroupBinding</c>, as upstream's recorder). Works on the metadata alone, so a binding
/// whose spec is invalid can still be released.
/// </summary>
public sealed class TargetGroupBindingWriter
{
    private static readonly ObjectWrites.Involved Involved = new(TargetGroupBinding.ApiVersion, TargetGroupBinding.Kind, "targetGroupBinding");

    private readonly IKubernetesApi _api;
    private readonly ObjectWrites _writes;

    public TargetGroupBindingWriter(IKubernetesApi api, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        _api = api;
        _writes = new ObjectWrites(api, time ?? TimeProvider.System);
    }

    /// <summary>Adds <paramref name="finalizer"/> unless present; returns the metadata as it now is (null when gone) and whether it wrote.</summary>
    public Task<(BindingMetadata? Metadata, bool Written)> AddFinalizerAsync(BindingMetadata metadata, string finalizer, CancellationToken cancellationToken = default) =>
        ObjectWrites.ChangeFinalizersAsync(metadata, ToObjectMeta, finalizer, add: true, PatchAsync, GetAsync, cancellationToken);

    /// <summary>Removes <paramref name="finalizer"/> when present (a binding being deleted then goes).</summary>
    public Task<(BindingMetadata? Metadata, bool Written)> RemoveFinalizerAsync(BindingMetadata metadata, string finalizer, CancellationToken cancellationToken = default) =>
        ObjectWrites.ChangeFinalizersAsync(metadata, ToObjectMeta, finalizer, add: false, PatchAsync, GetAsync, cancellationToken);

    /// <summary>
    /// Sets annotation <paramref name="key"/> to what <paramref name="compute"/> makes of its current value (null
    /// removes it), with the resource version as precondition; on a 409 re-reads and computes again. Returns the
    /// metadata as it now is (null when the binding is gone) and whether it wrote.
    /// </summary>
    public async Task<(BindingMetadata? Metadata, bool Written)> SetAnnotationAsync(BindingMetadata metadata, string key, Func<string?, string?> compute, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(compute);
        var current = metadata;
        for (var attempt = 0; ; attempt++)
        {
            var before = current.Annotations.GetValueOrDefault(key);
            var after = compute(before);
            if (after == before)
                return (current, false);
            var body = new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["annotations"] = new JsonObject { [key] = after },
                    ["resourceVersion"] = current.ResourceVersion,
                },
            };
            try
            {
                return (await PatchAsync(current.Namespace, current.Name, body.ToJsonString(), cancellationToken).ConfigureAwait(false), true);
            }
            catch (KubernetesApiException ex) when (ex.IsConflict && attempt < ObjectWrites.MaxConflictRetries)
            {
                var reread = await GetAsync(current.Namespace, current.Name, cancellationToken).ConfigureAwait(false);
                if (reread is null)
                    return (null, false);
                current = reread;
            }
            catch (KubernetesApiException ex) when (ex.IsNotFound)
            {
                return (null, false);
            }
        }
    }

    /// <summary>Writes <c>status.observedGeneration</c>; false when it already showed it.</summary>
    public async Task<bool> UpdateObservedGenerationAsync(TargetGroupBinding binding, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(binding);
        if (binding.Status.ObservedGeneration == binding.Metadata.Generation)
            return false;
        var patch = new JsonObject { ["status"] = new JsonObject { ["observedGeneration"] = binding.Metadata.Generation } };
        await _api.PatchTargetGroupBindingStatusAsync(binding.Metadata.Namespace, binding.Metadata.Name, patch.ToJsonString(), cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Sets the condition <paramref name="type"/> (upstream: only <c>Ready=False</c>, reason <c>FailedCleanup</c>),
    /// keeping the others; <c>lastTransitionTime</c> changes only with the status. False when it already showed it.
    /// </summary>
    public async Task<bool> SetConditionAsync(BindingMetadata metadata, BindingStatus status, string type, string value, string reason, string message, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(status);
        var existing = status.Conditions.FirstOrDefault(c => c.Type == type);
        if (existing is not null && existing.Status == value && existing.Reason == reason && existing.Message == message)
            return false;
        var since = existing is not null && existing.Status == value && existing.LastTransitionTime is { } kept
            ? kept
            : now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var conditions = new JsonArray();
        foreach (var c in status.Conditions.Where(c => c.Type != type))
            conditions.Add((JsonNode)Condition(c.Type, c.Status, c.Reason, c.Message, c.LastTransitionTime));
        conditions.Add((JsonNode)Condition(type, value, reason, message, since));
        // A merge patch replaces a list whole: every other condition is written back as it was.
        var patch = new JsonObject { ["status"] = new JsonObject { ["conditions"] = conditions } };
        await _api.PatchTargetGroupBindingStatusAsync(metadata.Namespace, metadata.Name, patch.ToJsonString(), cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Creates an Event about the binding; a failure is returned, not thrown.</summary>
    public Task<Exception?> RecordEventAsync(BindingMetadata metadata, string type, string reason, string message, CancellationToken cancellationToken = default) =>
        _writes.RecordAsync(ToObjectMeta(metadata ?? throw new ArgumentNullException(nameof(metadata))), Involved, type, reason, message, once: false, cancellationToken);

    /// <summary>
    /// An Event of <paramref name="type"/> recorded once while it lives (a stable name from the UID, reason and
    /// message): <c>Written</c> is false when it existed (409) or failed.
    /// </summary>
    public async Task<(bool Written, Exception? Failure)> RecordOnceAsync(BindingMetadata metadata, string type, string reason, string message, CancellationToken cancellationToken = default)
    {
        var failure = await _writes.RecordAsync(ToObjectMeta(metadata ?? throw new ArgumentNullException(nameof(metadata))), Involved, type, reason, message, once: true, cancellationToken).ConfigureAwait(false);
        return failure switch
        {
            null => (true, null),
            KubernetesApiException { IsConflict: true } => (false, null),
            _ => (false, failure),
        };
    }

    private static JsonObject Condition(string type, string status, string? reason, string? message, string? since) => new()
    {
        ["type"] = type,
        ["status"] = status,
        ["reason"] = string.IsNullOrEmpty(reason) ? "Unknown" : reason, // metav1.Condition requires a non-empty reason
        ["message"] = message ?? string.Empty,
        ["lastTransitionTime"] = since,
    };

    private static V1ObjectMeta ToObjectMeta(BindingMetadata metadata) => new()
    {
        Name = metadata.Name,
        NamespaceProperty = metadata.Namespace,
        Uid = metadata.Uid,
        ResourceVersion = metadata.ResourceVersion,
        Finalizers = [.. metadata.Finalizers],
    };

    private async Task<BindingMetadata> PatchAsync(string ns, string name, string patch, CancellationToken cancellationToken)
    {
        var json = await _api.PatchTargetGroupBindingAsync(ns, name, patch, cancellationToken).ConfigureAwait(false);
        return TargetGroupBindingParser.ReadMetadataJson(json)
            ?? throw new KubernetesApiException(System.Net.HttpStatusCode.OK, $"patch targetgroupbinding {ns}/{name}: the response is not a TargetGroupBinding");
    }

    private async Task<BindingMetadata?> GetAsync(string ns, string name, CancellationToken cancellationToken)
    {
        var json = await _api.GetTargetGroupBindingJsonAsync(ns, name, cancellationToken).ConfigureAwait(false);
        return json is null ? null : TargetGroupBindingParser.ReadMetadataJson(json);
    }
}
