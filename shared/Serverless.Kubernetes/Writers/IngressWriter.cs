using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using Serverless.Kubernetes.Api;

namespace Serverless.Kubernetes.Writers;

/// <summary>
/// Writes to Ingresses what a reconcile decided, and only what changed: finalizers (conditional merge patches, a 409
/// re-reads and re-applies), the load balancer address on the <c>status</c> subresource, and Events.
/// </summary>
public sealed class IngressWriter
{
    /// <summary>How often a finalizer patch is re-applied after a 409 before giving up.</summary>
    public const int MaxConflictRetries = 5;

    private readonly IKubernetesApi _api;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private long _lastEventNanos;

    public IngressWriter(IKubernetesApi api, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        _api = api;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Adds <paramref name="finalizer"/> unless present. Returns the Ingress as it now is (null when it no longer
    /// exists) and whether a write happened.
    /// </summary>
    public Task<(V1Ingress? Ingress, bool Written)> AddFinalizerAsync(V1Ingress ingress, string finalizer, CancellationToken cancellationToken = default) =>
        ChangeFinalizersAsync(ingress, finalizer, add: true, cancellationToken);

    /// <summary>Removes <paramref name="finalizer"/> when present (the API server then deletes an Ingress being deleted that has no finalizer left).</summary>
    public Task<(V1Ingress? Ingress, bool Written)> RemoveFinalizerAsync(V1Ingress ingress, string finalizer, CancellationToken cancellationToken = default) =>
        ChangeFinalizersAsync(ingress, finalizer, add: false, cancellationToken);

    /// <summary>
    /// Sets <c>status.loadBalancer.ingress</c> to one entry with <paramref name="hostname"/> and
    /// <paramref name="ports"/> (TCP, sorted), on the status subresource, unless it already says exactly that.
    /// Returns true when it wrote.
    /// </summary>
    public async Task<bool> UpdateStatusAsync(V1Ingress ingress, string hostname, IReadOnlyCollection<int> ports, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        ArgumentException.ThrowIfNullOrEmpty(hostname);
        ArgumentNullException.ThrowIfNull(ports);
        var sorted = ports.Distinct().Order().ToList();
        if (StatusEquals(ingress, hostname, sorted))
            return false;
        var entry = new JsonObject { ["hostname"] = hostname };
        if (sorted.Count > 0)
            entry["ports"] = new JsonArray([.. sorted.Select(static p => (JsonNode)new JsonObject { ["port"] = p, ["protocol"] = "TCP" })]);
        var patch = new JsonObject { ["status"] = new JsonObject { ["loadBalancer"] = new JsonObject { ["ingress"] = new JsonArray(entry) } } };
        await _api.PatchIngressStatusAsync(ingress.Metadata.NamespaceProperty, ingress.Metadata.Name, patch.ToJsonString(), cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>True when the status holds exactly one entry: no IP, <paramref name="hostname"/>, and the TCP <paramref name="sortedPorts"/>.</summary>
    public static bool StatusEquals(V1Ingress ingress, string hostname, IReadOnlyList<int> sortedPorts)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        if (ingress.Status?.LoadBalancer?.Ingress is not [var only] || !string.IsNullOrEmpty(only.Ip) || only.Hostname != hostname)
            return false;
        var current = (only.Ports ?? []).Where(static p => p.Protocol is null or "TCP" && p.Error is null).Select(static p => p.Port).Order().ToList();
        return (only.Ports?.Count ?? 0) == current.Count && current.SequenceEqual(sortedPorts);
    }

    /// <summary>
    /// Creates a core/v1 Event about <paramref name="ingress"/> (source component <c>ingress</c>, as upstream's
    /// recorder). Events are best effort, as with client-go: a failure is returned, not thrown.
    /// </summary>
    public Task<Exception?> RecordEventAsync(V1Ingress ingress, string type, string reason, string message, CancellationToken cancellationToken = default) =>
        RecordAsync(ingress, type, reason, message, once: false, cancellationToken);

    /// <summary>
    /// A Warning Event whose name is derived from the Ingress UID, reason and message, so the same warning is recorded
    /// once while that Event lives (the API server's event TTL, an hour by default) instead of on every reconcile.
    /// <c>Written</c> is false when it was recorded before (the create was a 409) or failed (<c>Failure</c>).
    /// </summary>
    public async Task<(bool Written, Exception? Failure)> RecordWarningOnceAsync(V1Ingress ingress, string reason, string message, CancellationToken cancellationToken = default)
    {
        var failure = await RecordAsync(ingress, "Warning", reason, message, once: true, cancellationToken).ConfigureAwait(false);
        return failure switch
        {
            null => (true, null),
            KubernetesApiException { IsConflict: true } => (false, null),
            _ => (false, failure),
        };
    }

    private async Task<Exception?> RecordAsync(V1Ingress ingress, string type, string reason, string message, bool once, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        var now = _time.GetUtcNow();
        long nanos;
        lock (_lock)
        {
            nanos = Math.Max((now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100, _lastEventNanos + 1);
            _lastEventNanos = nanos;
        }
        var meta = ingress.Metadata;
        var kubernetesEvent = new Corev1Event
        {
            ApiVersion = "v1",
            Kind = "Event",
            Metadata = new V1ObjectMeta
            {
                Name = meta.Name + "." + (once ? StableSuffix(meta.Uid, reason, message) : nanos.ToString("x", CultureInfo.InvariantCulture)),
                NamespaceProperty = meta.NamespaceProperty,
            },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = "networking.k8s.io/v1",
                Kind = "Ingress",
                NamespaceProperty = meta.NamespaceProperty,
                Name = meta.Name,
                Uid = meta.Uid,
                ResourceVersion = meta.ResourceVersion,
            },
            Type = type,
            Reason = reason,
            Message = message,
            Source = new V1EventSource { Component = "ingress" },
            ReportingComponent = "ingress",
            FirstTimestamp = now.UtcDateTime,
            LastTimestamp = now.UtcDateTime,
            Count = 1,
        };
        try
        {
            await _api.CreateEventAsync(meta.NamespaceProperty, kubernetesEvent, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (KubernetesApiException ex)
        {
            return ex;
        }
    }

    // 16 hex digits of SHA-256 over UID, reason and message.
    private static string StableSuffix(string? uid, string reason, string message) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes($"{uid}\n{reason}\n{message}")))[..16];

    private async Task<(V1Ingress? Ingress, bool Written)> ChangeFinalizersAsync(V1Ingress ingress, string finalizer, bool add, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        ArgumentException.ThrowIfNullOrEmpty(finalizer);
        var current = ingress;
        for (var attempt = 0; ; attempt++)
        {
            var finalizers = current.Metadata.Finalizers?.ToList() ?? [];
            var has = finalizers.Contains(finalizer, StringComparer.Ordinal);
            if (has == add)
                return (current, false);
            if (add)
                finalizers.Add(finalizer);
            else
                finalizers.RemoveAll(f => f == finalizer);
            // A merge patch replaces the whole list; the resourceVersion makes it conditional, so a concurrent change
            // to the list (another controller's finalizer) is never lost: it is a 409, re-read and re-applied.
            var patch = new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["finalizers"] = new JsonArray([.. finalizers.Select(static f => JsonValue.Create(f))]),
                    ["resourceVersion"] = current.Metadata.ResourceVersion,
                },
            };
            try
            {
                var patched = await _api.PatchIngressAsync(current.Metadata.NamespaceProperty, current.Metadata.Name, patch.ToJsonString(), cancellationToken).ConfigureAwait(false);
                return (patched, true);
            }
            catch (KubernetesApiException ex) when (ex.IsConflict && attempt < MaxConflictRetries)
            {
                current = await _api.GetIngressAsync(current.Metadata.NamespaceProperty, current.Metadata.Name, cancellationToken).ConfigureAwait(false)!;
                if (current is null)
                    return (null, false);
            }
            catch (KubernetesApiException ex) when (ex.IsNotFound)
            {
                return (null, false);
            }
        }
    }
}
