using System.Text.Json.Nodes;
using k8s.Models;
using Serverless.Kubernetes.Api;

namespace Serverless.Kubernetes.Writers;

/// <summary>
/// Writes to a Service of type LoadBalancer what its reconcile decided, and only what changed: the finalizer
/// (conditional merge patches, a 409 re-reads and re-applies), <c>status.loadBalancer</c> on the status subresource,
/// and Events (source component <c>service</c>, as upstream's recorder).
/// </summary>
public sealed class ServiceWriter
{
    private static readonly ObjectWrites.Involved Involved = new("v1", "Service", "service");

    private readonly IKubernetesApi _api;
    private readonly ObjectWrites _writes;

    public ServiceWriter(IKubernetesApi api, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        _api = api;
        _writes = new ObjectWrites(api, time ?? TimeProvider.System);
    }

    /// <summary>Adds <paramref name="finalizer"/> unless present; returns the Service as it now is (null when gone) and whether it wrote.</summary>
    public Task<(V1Service? Service, bool Written)> AddFinalizerAsync(V1Service service, string finalizer, CancellationToken cancellationToken = default) =>
        ObjectWrites.ChangeFinalizersAsync(service, static s => s.Metadata, finalizer, add: true, _api.PatchServiceAsync, _api.GetServiceAsync, cancellationToken);

    /// <summary>Removes <paramref name="finalizer"/> when present (a Service being deleted then goes).</summary>
    public Task<(V1Service? Service, bool Written)> RemoveFinalizerAsync(V1Service service, string finalizer, CancellationToken cancellationToken = default) =>
        ObjectWrites.ChangeFinalizersAsync(service, static s => s.Metadata, finalizer, add: false, _api.PatchServiceAsync, _api.GetServiceAsync, cancellationToken);

    /// <summary>
    /// Sets <c>status.loadBalancer.ingress</c> to one entry: <paramref name="hostname"/> and one
    /// <c>{port, protocol}</c> per <c>spec.ports</c> entry in spec order, unless it already shows it (upstream's rule:
    /// exactly one entry, no IP, the same hostname and the same set of port numbers). Returns true when it wrote.
    /// </summary>
    public async Task<bool> UpdateStatusAsync(V1Service service, string hostname, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentException.ThrowIfNullOrEmpty(hostname);
        if (StatusEquals(service, hostname))
            return false;
        var entry = new JsonObject { ["hostname"] = hostname };
        var ports = StatusPorts(service);
        if (ports.Count > 0)
            entry["ports"] = new JsonArray([.. ports.Select(static p => (JsonNode)new JsonObject { ["port"] = p.Port, ["protocol"] = p.Protocol })]);
        var patch = new JsonObject { ["status"] = new JsonObject { ["loadBalancer"] = new JsonObject { ["ingress"] = new JsonArray(entry) } } };
        await _api.PatchServiceStatusAsync(service.Metadata.NamespaceProperty, service.Metadata.Name, patch.ToJsonString(), cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Empties <c>status.loadBalancer</c> (the NLB is gone); false when it was already empty.</summary>
    public async Task<bool> ClearStatusAsync(V1Service service, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (service.Status?.LoadBalancer?.Ingress is not { Count: > 0 })
            return false;
        // A merge patch merges objects: "loadBalancer": {} would keep the entries; null removes the list.
        var patch = new JsonObject { ["status"] = new JsonObject { ["loadBalancer"] = new JsonObject { ["ingress"] = null } } };
        await _api.PatchServiceStatusAsync(service.Metadata.NamespaceProperty, service.Metadata.Name, patch.ToJsonString(), cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The status ports: one per <c>spec.ports</c> entry, in spec order (protocol defaults to TCP).</summary>
    public static IReadOnlyList<(int Port, string Protocol)> StatusPorts(V1Service service) =>
        [.. ((service ?? throw new ArgumentNullException(nameof(service))).Spec?.Ports ?? []).Select(static p => (p.Port, p.Protocol is { Length: > 0 } protocol ? protocol : "TCP"))];

    /// <summary>Upstream's comparison: exactly one entry, no IP, <paramref name="hostname"/>, and the same set of port numbers as <c>spec.ports</c>.</summary>
    public static bool StatusEquals(V1Service service, string hostname)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (service.Status?.LoadBalancer?.Ingress is not [var only] || !string.IsNullOrEmpty(only.Ip) || only.Hostname != hostname)
            return false;
        var current = (only.Ports ?? []).Select(static p => p.Port).ToHashSet();
        return current.SetEquals(StatusPorts(service).Select(static p => p.Port));
    }

    /// <summary>Creates an Event about the Service; a failure is returned, not thrown.</summary>
    public Task<Exception?> RecordEventAsync(V1Service service, string type, string reason, string message, CancellationToken cancellationToken = default) =>
        _writes.RecordAsync((service ?? throw new ArgumentNullException(nameof(service))).Metadata, Involved, type, reason, message, once: false, cancellationToken);

    /// <summary>A Warning recorded once while its Event lives (a stable name from the UID, reason and message).</summary>
    public Task<(bool Written, Exception? Failure)> RecordWarningOnceAsync(V1Service service, string reason, string message, CancellationToken cancellationToken = default) =>
        _writes.RecordWarningOnceAsync((service ?? throw new ArgumentNullException(nameof(service))).Metadata, Involved, reason, message, cancellationToken);
}
