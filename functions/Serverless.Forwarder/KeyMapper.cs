using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Serverless.Messages;

namespace Serverless.Forwarder;

/// <summary>The kinds the forwarder watches.</summary>
public enum ResourceKind
{
    Ingress,
    IngressClass,
    IngressClassParams,
    Service,
    EndpointSlice,
    Node,

    /// <summary>elbv2.k8s.aws/v1beta1 TargetGroupBinding (a CRD that may be missing).</summary>
    TargetGroupBinding,
}

/// <summary>How an object reached the mapper: a watch event, or an item of a (re)list.</summary>
public enum ChangeType
{
    Added,
    Modified,
    Deleted,
    Listed,
}

/// <summary>A key to send and what caused it (<c>Kind/namespace/name@resourceVersion</c>: the input of the dedup id).</summary>
public readonly record struct KeyCause(QueueKey Key, string Cause, string? ResourceVersion);

/// <summary>
/// Maps watched objects to reconcile keys, keeping only what that needs in memory: per Ingress its class and
/// groups, per IngressClass its controller, default flag and parameters, and a 64-bit fingerprint of the fields
/// that matter per object (so status-only writes and Node heartbeats produce nothing). The index outlives the watch:
/// an object a relist (after 410 Gone) finds with the fingerprint already known produces nothing, one that changed
/// while not watching produces its keys, and one the list no longer has is found by <see cref="Resync"/>. Thread-safe.
/// </summary>
public sealed class KeyMapper(string ingressClass)
{
    /// <summary>The controller name in IngressClass.spec.controller that marks our classes.</summary>
    public const string Controller = "ingress.k8s.aws/alb";

    private const string GroupAnnotation = "alb.ingress.kubernetes.io/group.name";
    private const string ClassAnnotation = "kubernetes.io/ingress.class";
    private const string DefaultClassAnnotation = "ingressclass.kubernetes.io/is-default-class";
    private const string ImplicitFinalizer = "ingress.k8s.aws/resources";
    private const string ExplicitFinalizerPrefix = "group.ingress.k8s.aws/";
    private const string ServiceNameLabel = "kubernetes.io/service-name";
    private const string ServiceFinalizer = "service.k8s.aws/resources";

    private readonly object _lock = new();
    private readonly Dictionary<string, IngressEntry> _ingresses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ClassEntry> _classes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _params = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string? Service, ulong Fingerprint)> _slices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _bindings = new(StringComparer.Ordinal);

    /// <summary>How many objects are indexed (all kinds).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
                return _ingresses.Count + _classes.Count + _params.Count + _services.Count + _slices.Count + _nodes.Count + _bindings.Count;
        }
    }

    /// <summary>The identity of an object in its kind: <c>namespace/name</c>, or the name when cluster-scoped.</summary>
    public static string Identity(JsonElement obj)
    {
        var metadata = obj.GetProperty("metadata");
        var name = Str(metadata, "name") ?? "";
        return Str(metadata, "namespace") is { } ns ? ns + "/" + name : name;
    }

    /// <summary>The keys one change produces (possibly none).</summary>
    public List<KeyCause> Apply(ResourceKind kind, ChangeType change, JsonElement obj)
    {
        var keys = new List<KeyCause>();
        var id = Identity(obj);
        var cause = kind + "/" + id + "@" + Str(obj.GetProperty("metadata"), "resourceVersion");
        var rv = Str(obj.GetProperty("metadata"), "resourceVersion");
        lock (_lock)
        {
            switch (kind)
            {
                case ResourceKind.Ingress:
                    ApplyIngress(keys, id, change, change == ChangeType.Deleted ? null : ParseIngress(obj), cause, rv);
                    break;
                case ResourceKind.IngressClass:
                    ApplyClass(keys, id, change == ChangeType.Deleted ? null : ParseClass(obj), change, cause, rv);
                    break;
                case ResourceKind.IngressClassParams:
                    ApplyParams(keys, id, change == ChangeType.Deleted ? null : Fingerprint(obj, "spec"), change, cause, rv);
                    break;
                case ResourceKind.Service:
                    ApplyFingerprinted(_services, keys, id, change == ChangeType.Deleted ? null : ServiceFingerprint(obj), change,
                        () => ServiceKey(id), cause, rv);
                    break;
                case ResourceKind.EndpointSlice:
                    {
                        var known = _slices.TryGetValue(id, out var o);
                        var old = known ? o.Service : null;
                        var service = change == ChangeType.Deleted ? null : SliceService(obj);
                        var fingerprint = change == ChangeType.Deleted ? 0 : SliceFingerprint(obj);
                        if (change == ChangeType.Listed && known && old == service && o.Fingerprint == fingerprint)
                            break; // relisted as it was known: its Service has nothing new to reconcile
                        if (change == ChangeType.Deleted)
                            _slices.Remove(id);
                        else
                            _slices[id] = (service, fingerprint);
                        AddKey(keys, old is null ? null : ServiceKey(old), cause, rv);
                        AddKey(keys, service is null ? null : ServiceKey(service), cause, rv);
                        break;
                    }
                case ResourceKind.Node:
                    ApplyFingerprinted(_nodes, keys, id, change == ChangeType.Deleted ? null : NodeFingerprint(obj), change,
                        () => TryKey(() => QueueKey.Node(id)), cause, rv);
                    break;
                case ResourceKind.TargetGroupBinding:
                    ApplyFingerprinted(_bindings, keys, id, change == ChangeType.Deleted ? null : BindingFingerprint(obj), change,
                        () => BindingKey(id), cause, rv);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown kind");
            }
        }
        return keys;
    }

    /// <summary>
    /// After a (re)list of <paramref name="kind"/> in <paramref name="ns"/> (null: all namespaces / cluster-scoped):
    /// every indexed object that the list no longer has was deleted while not watching; its keys are returned.
    /// </summary>
    public List<KeyCause> Resync(ResourceKind kind, string? ns, IReadOnlySet<string> seen, string listResourceVersion)
    {
        ArgumentNullException.ThrowIfNull(seen);
        var keys = new List<KeyCause>();
        lock (_lock)
        {
            IEnumerable<string> known = kind switch
            {
                ResourceKind.Ingress => _ingresses.Keys,
                ResourceKind.IngressClass => _classes.Keys,
                ResourceKind.IngressClassParams => _params.Keys,
                ResourceKind.Service => _services.Keys,
                ResourceKind.EndpointSlice => _slices.Keys,
                ResourceKind.TargetGroupBinding => _bindings.Keys,
                _ => _nodes.Keys,
            };
            var gone = known.Where(id => !seen.Contains(id) && (ns is null || id.StartsWith(ns + "/", StringComparison.Ordinal))).ToList();
            foreach (var id in gone)
            {
                var cause = kind + "/" + id + "@deleted-before-" + listResourceVersion;
                switch (kind)
                {
                    case ResourceKind.Ingress:
                        ApplyIngress(keys, id, ChangeType.Deleted, null, cause, listResourceVersion);
                        break;
                    case ResourceKind.IngressClass:
                        ApplyClass(keys, id, null, ChangeType.Deleted, cause, listResourceVersion);
                        break;
                    case ResourceKind.IngressClassParams:
                        ApplyParams(keys, id, null, ChangeType.Deleted, cause, listResourceVersion);
                        break;
                    case ResourceKind.Service:
                        _services.Remove(id);
                        AddKey(keys, ServiceKey(id), cause, listResourceVersion);
                        break;
                    case ResourceKind.EndpointSlice:
                        if (_slices.Remove(id, out var slice) && slice.Service is not null)
                            AddKey(keys, ServiceKey(slice.Service), cause, listResourceVersion);
                        break;
                    case ResourceKind.TargetGroupBinding:
                        _bindings.Remove(id);
                        AddKey(keys, BindingKey(id), cause, listResourceVersion);
                        break;
                    default:
                        _nodes.Remove(id);
                        AddKey(keys, TryKey(() => QueueKey.Node(id)), cause, listResourceVersion);
                        break;
                }
            }
        }
        return keys;
    }

    // ---------------------------------------------------------------- Ingress and classes

    private void ApplyIngress(List<KeyCause> keys, string id, ChangeType change, IngressEntry? next, string cause, string? rv)
    {
        _ingresses.TryGetValue(id, out var previous);
        if ((change is ChangeType.Modified or ChangeType.Listed) && previous is not null && next is not null && previous.Fingerprint == next.Fingerprint)
            return; // status-only write (e.g. the reconcile's own load balancer hostname), or relisted as it was known
        if (next is null)
            _ingresses.Remove(id);
        else
            _ingresses[id] = next;
        if (previous is not null)
            AddIngressKeys(keys, previous, cause, rv);
        if (next is not null)
            AddIngressKeys(keys, next, cause, rv);
    }

    private void AddIngressKeys(List<KeyCause> keys, IngressEntry ingress, string cause, string? rv)
    {
        if (IsOurs(ingress))
            AddKey(keys, ingress.Group, cause, rv);
        foreach (var group in ingress.FinalizerGroups)
            AddKey(keys, group, cause, rv);
    }

    /// <summary>Whether the Ingress belongs to this controller by its class (its finalizers' groups are keys regardless).</summary>
    private bool IsOurs(IngressEntry ingress)
    {
        if (ingress.AnnotationClass is { } annotation)
            return annotation == ingressClass;
        if (ingress.ClassName is { } className)
            return _classes.TryGetValue(className, out var cls) ? cls.Controller == Controller : className == ingressClass;
        return _classes.Values.Any(static c => c.IsDefault && c.Controller == Controller);
    }

    private void ApplyClass(List<KeyCause> keys, string name, ClassEntry? next, ChangeType change, string cause, string? rv)
    {
        _classes.TryGetValue(name, out var previous);
        if (next is not null && previous is not null && next.Fingerprint == previous.Fingerprint)
            return;
        var affected = IngressesOfClass(name, (previous?.IsDefault ?? false) || (next?.IsDefault ?? false)).ToList();
        foreach (var ingress in affected)
            AddIngressKeys(keys, ingress, cause, rv); // ours under the old class
        if (next is null)
            _classes.Remove(name);
        else
            _classes[name] = next;
        foreach (var ingress in affected)
            AddIngressKeys(keys, ingress, cause, rv); // ours under the new class
        _ = change;
    }

    private void ApplyParams(List<KeyCause> keys, string name, ulong? fingerprint, ChangeType change, string cause, string? rv)
    {
        var known = _params.TryGetValue(name, out var previous);
        if (fingerprint is { } f && known && f == previous)
            return;
        if (fingerprint is { } value)
            _params[name] = value;
        else
            _params.Remove(name);
        foreach (var (className, cls) in _classes.Where(c => c.Value.Params == name).ToList())
        {
            foreach (var ingress in IngressesOfClass(className, cls.IsDefault))
                AddIngressKeys(keys, ingress, cause, rv);
        }
        _ = change;
    }

    private IEnumerable<IngressEntry> IngressesOfClass(string className, bool includeClassless) =>
        _ingresses.Values.Where(i => i.ClassName == className || (includeClassless && i.ClassName is null && i.AnnotationClass is null));

    private static IngressEntry ParseIngress(JsonElement obj)
    {
        var metadata = obj.GetProperty("metadata");
        var ns = Str(metadata, "namespace") ?? "";
        var name = Str(metadata, "name") ?? "";
        var annotations = metadata.TryGetProperty("annotations", out var a) && a.ValueKind == JsonValueKind.Object ? a : default;
        var groupName = annotations.ValueKind == JsonValueKind.Object ? Str(annotations, GroupAnnotation) : null;
        var group = TryKey(() => QueueKey.IngressGroup(string.IsNullOrWhiteSpace(groupName) ? ns + "/" + name : groupName.Trim()));
        var finalizerGroups = new List<QueueKey>();
        if (metadata.TryGetProperty("finalizers", out var finalizers) && finalizers.ValueKind == JsonValueKind.Array)
        {
            foreach (var finalizer in finalizers.EnumerateArray())
            {
                var text = finalizer.GetString() ?? "";
                var key = text == ImplicitFinalizer ? TryKey(() => QueueKey.IngressGroup(ns + "/" + name))
                    : text.StartsWith(ExplicitFinalizerPrefix, StringComparison.Ordinal) ? TryKey(() => QueueKey.IngressGroup(text[ExplicitFinalizerPrefix.Length..]))
                    : null;
                if (key is not null)
                    finalizerGroups.Add(key);
            }
        }
        return new IngressEntry(
            group,
            Str(obj.TryGetProperty("spec", out var spec) ? spec : default, "ingressClassName"),
            annotations.ValueKind == JsonValueKind.Object ? Str(annotations, ClassAnnotation) : null,
            [.. finalizerGroups],
            Fingerprint(obj, "spec", "metadata.labels", "metadata.annotations", "metadata.finalizers", "metadata.deletionTimestamp"));
    }

    private static ClassEntry ParseClass(JsonElement obj)
    {
        var spec = obj.TryGetProperty("spec", out var s) ? s : default;
        string? parameters = null;
        if (spec.ValueKind == JsonValueKind.Object && spec.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object
            && Str(p, "apiGroup") == "elbv2.k8s.aws" && Str(p, "kind") == "IngressClassParams")
            parameters = Str(p, "name");
        var metadata = obj.GetProperty("metadata");
        var isDefault = metadata.TryGetProperty("annotations", out var a) && a.ValueKind == JsonValueKind.Object && Str(a, DefaultClassAnnotation) == "true";
        return new ClassEntry(Str(spec, "controller"), isDefault, parameters, Fingerprint(obj, "spec", "metadata.annotations"));
    }

    // ---------------------------------------------------------------- Services, slices, nodes

    private static void ApplyFingerprinted(Dictionary<string, ulong> index, List<KeyCause> keys, string id, ulong? fingerprint, ChangeType change, Func<QueueKey?> key, string cause, string? rv)
    {
        var known = index.TryGetValue(id, out var previous);
        if (fingerprint is { } f)
        {
            index[id] = f;
            if (known && f == previous && (change is ChangeType.Modified or ChangeType.Listed))
                return; // nothing that matters changed (status heartbeat, or relisted as it was known)
        }
        else
            index.Remove(id);
        AddKey(keys, key(), cause, rv);
    }

    /// <summary>
    /// The fields of a Service a reconcile reads: spec, labels, annotations; and while it carries our finalizer
    /// (<c>service.k8s.aws/resources</c>: we own an NLB for it) also its finalizers and deletion mark, so a delete (which
    /// only sets <c>deletionTimestamp</c> until the finalizer goes) reaches its reconcile. Status writes (the NLB's
    /// address) change nothing here; other Services' finalizers are not looked at.
    /// </summary>
    private static ulong ServiceFingerprint(JsonElement obj) =>
        HasFinalizer(obj, ServiceFinalizer)
            ? Fingerprint(obj, "spec", "metadata.labels", "metadata.annotations", "metadata.finalizers", "metadata.deletionTimestamp")
            : Fingerprint(obj, "spec", "metadata.labels", "metadata.annotations");

    /// <summary>
    /// The fields of a TargetGroupBinding its reconcile acts on: spec, labels, finalizers and the deletion mark. Status
    /// writes (observedGeneration) and annotations (the reconcile's own ledger of registered targets) change nothing here.
    /// </summary>
    private static ulong BindingFingerprint(JsonElement obj) =>
        Fingerprint(obj, "spec", "metadata.labels", "metadata.finalizers", "metadata.deletionTimestamp");

    private static QueueKey? BindingKey(string id)
    {
        var slash = id.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? null : TryKey(() => QueueKey.TargetGroupBinding(id[..slash], id[(slash + 1)..]));
    }

    private static bool HasFinalizer(JsonElement obj, string finalizer) =>
        obj.GetProperty("metadata").TryGetProperty("finalizers", out var finalizers) && finalizers.ValueKind == JsonValueKind.Array
        && finalizers.EnumerateArray().Any(f => f.ValueKind == JsonValueKind.String && f.GetString() == finalizer);

    private static string? SliceService(JsonElement obj)
    {
        var metadata = obj.GetProperty("metadata");
        return metadata.TryGetProperty("labels", out var labels) && labels.ValueKind == JsonValueKind.Object && Str(labels, ServiceNameLabel) is { Length: > 0 } service
            ? (Str(metadata, "namespace") ?? "") + "/" + service
            : null;
    }

    /// <summary>
    /// The fields of an EndpointSlice a reconcile reads: its endpoints, ports, address type, labels and deletion mark.
    /// Compared only when a relist finds a slice already known; every watched change of a slice is sent.
    /// </summary>
    private static ulong SliceFingerprint(JsonElement obj) =>
        Fingerprint(obj, "endpoints", "ports", "addressType", "metadata.labels", "metadata.deletionTimestamp");

    private static QueueKey? ServiceKey(string id)
    {
        var slash = id.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? null : TryKey(() => QueueKey.Service(id[..slash], id[(slash + 1)..]));
    }

    /// <summary>The fields of a Node the reconcile acts on: Ready status, labels, taints, unschedulable, providerID.</summary>
    private static ulong NodeFingerprint(JsonElement obj)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendPath(hash, obj, "metadata.labels");
        AppendPath(hash, obj, "spec.taints");
        AppendPath(hash, obj, "spec.unschedulable");
        AppendPath(hash, obj, "spec.providerID");
        AppendPath(hash, obj, "metadata.deletionTimestamp");
        if (obj.TryGetProperty("status", out var status) && status.TryGetProperty("conditions", out var conditions) && conditions.ValueKind == JsonValueKind.Array)
        {
            foreach (var condition in conditions.EnumerateArray())
            {
                if (Str(condition, "type") == "Ready")
                    hash.AppendData(System.Text.Encoding.UTF8.GetBytes("ready=" + Str(condition, "status")));
            }
        }
        return Digest(hash);
    }

    // ---------------------------------------------------------------- helpers

    private static ulong Fingerprint(JsonElement obj, params string[] paths)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var path in paths)
            AppendPath(hash, obj, path);
        return Digest(hash);
    }

    private static void AppendPath(IncrementalHash hash, JsonElement obj, string path)
    {
        var node = obj;
        foreach (var part in path.Split('.'))
        {
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(part, out node))
            {
                hash.AppendData("\0-"u8);
                return;
            }
        }
        hash.AppendData("\0+"u8);
        hash.AppendData(JsonMarshal.GetRawUtf8Value(node));
    }

    private static ulong Digest(IncrementalHash hash)
    {
        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return BinaryPrimitives.ReadUInt64LittleEndian(digest);
    }

    private static void AddKey(List<KeyCause> keys, QueueKey? key, string cause, string? rv)
    {
        if (key is not null && !keys.Exists(k => k.Key == key))
            keys.Add(new KeyCause(key, cause, rv));
    }

    private static QueueKey? TryKey(Func<QueueKey> create)
    {
        try
        {
            return create();
        }
        catch (QueueMessageException)
        {
            return null; // a name no reconcile could act on (e.g. whitespace in group.name): upstream rejects it too
        }
    }

    internal static string? Str(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private sealed record IngressEntry(QueueKey? Group, string? ClassName, string? AnnotationClass, QueueKey[] FinalizerGroups, ulong Fingerprint);

    private sealed record ClassEntry(string? Controller, bool IsDefault, string? Params, ulong Fingerprint);
}
