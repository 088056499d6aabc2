using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using Serverless.Kubernetes.Api;

namespace Serverless.Kubernetes.Writers;

/// <summary>
/// The writes every reconciled kind shares (Ingresses, Services): finalizer changes as conditional merge patches (a 409
/// re-reads and re-applies) and Events about the object.
/// </summary>
internal sealed class ObjectWrites(IKubernetesApi api, TimeProvider time)
{
    /// <summary>How often a finalizer patch is re-applied after a 409 before giving up.</summary>
    public const int MaxConflictRetries = 5;

    private readonly Lock _lock = new();
    private long _lastEventNanos;

    /// <summary>The object an Event is about: its API version, kind and the recorder's component name.</summary>
    public sealed record Involved(string ApiVersion, string Kind, string Component);

    /// <summary>
    /// Creates a core/v1 Event about the object (<paramref name="once"/>: its name derives from the UID, reason and
    /// message, so the same Event is created once while it lives). A failure is returned, not thrown.
    /// </summary>
    public async Task<Exception?> RecordAsync(V1ObjectMeta meta, Involved involved, string type, string reason, string message, bool once, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(meta);
        var now = time.GetUtcNow();
        long nanos;
        lock (_lock)
        {
            nanos = Math.Max((now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100, _lastEventNanos + 1);
            _lastEventNanos = nanos;
        }
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
                ApiVersion = involved.ApiVersion,
                Kind = involved.Kind,
                NamespaceProperty = meta.NamespaceProperty,
                Name = meta.Name,
                Uid = meta.Uid,
                ResourceVersion = meta.ResourceVersion,
            },
            Type = type,
            Reason = reason,
            Message = message,
            Source = new V1EventSource { Component = involved.Component },
            ReportingComponent = involved.Component,
            FirstTimestamp = now.UtcDateTime,
            LastTimestamp = now.UtcDateTime,
            Count = 1,
        };
        try
        {
            await api.CreateEventAsync(meta.NamespaceProperty, kubernetesEvent, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (KubernetesApiException ex)
        {
            return ex;
        }
    }

    /// <summary>A Warning created once while its Event lives: <c>Written</c> is false when it existed (409) or failed.</summary>
    public async Task<(bool Written, Exception? Failure)> RecordWarningOnceAsync(V1ObjectMeta meta, Involved involved, string reason, string message, CancellationToken cancellationToken)
    {
        var failure = await RecordAsync(meta, involved, "Warning", reason, message, once: true, cancellationToken).ConfigureAwait(false);
        return failure switch
        {
            null => (true, null),
            KubernetesApiException { IsConflict: true } => (false, null),
            _ => (false, failure),
        };
    }

    // 16 hex digits of SHA-256 over UID, reason and message.
    private static string StableSuffix(string? uid, string reason, string message) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes($"{uid}\n{reason}\n{message}")))[..16];

    /// <summary>
    /// Adds or removes <paramref name="finalizer"/>; returns the object as it now is (null when it no longer exists)
    /// and whether a write happened.
    /// </summary>
    public static async Task<(T? Object, bool Written)> ChangeFinalizersAsync<T>(
        T obj,
        Func<T, V1ObjectMeta> metadata,
        string finalizer,
        bool add,
        Func<string, string, string, CancellationToken, Task<T>> patch,
        Func<string, string, CancellationToken, Task<T?>> get,
        CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(obj);
        ArgumentException.ThrowIfNullOrEmpty(finalizer);
        var current = obj;
        for (var attempt = 0; ; attempt++)
        {
            var meta = metadata(current);
            var finalizers = meta.Finalizers?.ToList() ?? [];
            var has = finalizers.Contains(finalizer, StringComparer.Ordinal);
            if (has == add)
                return (current, false);
            if (add)
                finalizers.Add(finalizer);
            else
                finalizers.RemoveAll(f => f == finalizer);
            // A merge patch replaces the whole list; the resourceVersion makes it conditional, so a concurrent change
            // to the list (another controller's finalizer) is never lost: it is a 409, re-read and re-applied.
            var body = new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["finalizers"] = new JsonArray([.. finalizers.Select(static f => JsonValue.Create(f))]),
                    ["resourceVersion"] = meta.ResourceVersion,
                },
            };
            try
            {
                var patched = await patch(meta.NamespaceProperty, meta.Name, body.ToJsonString(), cancellationToken).ConfigureAwait(false);
                return (patched, true);
            }
            catch (KubernetesApiException ex) when (ex.IsConflict && attempt < MaxConflictRetries)
            {
                var reread = await get(meta.NamespaceProperty, meta.Name, cancellationToken).ConfigureAwait(false);
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
}
