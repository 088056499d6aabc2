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
    public const int MaxConflictRetries = ObjectWrites.MaxConflictRetries;

    private static readonly ObjectWrites.Involved Involved = new("networking.k8s.io/v1", "Ingress", "ingress");

    private readonly IKubernetesApi _api;
    private readonly ObjectWrites _writes;

    public IngressWriter(IKubernetesApi api, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        _api = api;
        _writes = new ObjectWrites(api, time ?? TimeProvider.System);
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
        _writes.RecordAsync((ingress ?? throw new ArgumentNullException(nameof(ingress))).Metadata, Involved, type, reason, message, once: false, cancellationToken);

    /// <summary>
    /// A Warning Event whose name is derived from the Ingress UID, reason and message, so the same warning is recorded
    /// once while that Event lives (the API server's event TTL, an hour by default) instead of on every reconcile.
    /// <c>Written</c> is false when it was recorded before (the create was a 409) or failed (<c>Failure</c>).
    /// </summary>
    public Task<(bool Written, Exception? Failure)> RecordWarningOnceAsync(V1Ingress ingress, string reason, string message, CancellationToken cancellationToken = default) =>
        _writes.RecordWarningOnceAsync((ingress ?? throw new ArgumentNullException(nameof(ingress))).Metadata, Involved, reason, message, cancellationToken);

    private Task<(V1Ingress? Ingress, bool Written)> ChangeFinalizersAsync(V1Ingress ingress, string finalizer, bool add, CancellationToken cancellationToken) =>
        ObjectWrites.ChangeFinalizersAsync(ingress, static i => i.Metadata, finalizer, add, _api.PatchIngressAsync, _api.GetIngressAsync, cancellationToken);
}
