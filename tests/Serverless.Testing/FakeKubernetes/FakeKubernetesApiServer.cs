using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Serverless.Testing.FakeKubernetes;

/// <summary>Settings of a <see cref="FakeKubernetesApiServer"/>.</summary>
public sealed record FakeKubernetesOptions
{
    /// <summary>How many watch events are kept; a watch from an older resourceVersion gets 410 Gone.</summary>
    public int MaxHistory { get; init; } = 10_000;

    /// <summary>How often a watch with <c>allowWatchBookmarks=true</c> gets a BOOKMARK when idle.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>When set, every request must carry <c>Authorization: Bearer &lt;token&gt;</c> (else 401).</summary>
    public string? RequiredBearerToken { get; init; }

    /// <summary>The resource types served at start (more via <see cref="FakeKubernetesApiServer.RegisterResource"/>).</summary>
    public IReadOnlyList<FakeResourceType> Resources { get; init; } = FakeResourceType.Defaults;
}

/// <summary>
/// A loopback Kubernetes API server for tests with real semantics for any resource stored as JSON: list, get,
/// create, update with optimistic concurrency, delete with finalizers, merge/JSON patch, <c>/status</c>, watch
/// with bookmarks and 410 Gone, one cluster-wide resourceVersion; plus hooks to compact history, drop or stall
/// watches, inject failures and count requests. See README.md in this folder.
/// </summary>
public sealed class FakeKubernetesApiServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };
    private readonly object _lock = new();
    private readonly WebApplication _app;
    private readonly Dictionary<string, FakeResourceType> _typesByPath = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FakeResourceType> _typesByKind = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedDictionary<string, JsonObject>> _objects = new(StringComparer.Ordinal);
    private readonly LinkedList<HistoryEvent> _history = new();
    private readonly List<Watcher> _watchers = [];
    private readonly List<FakeRequest> _requests = [];
    private readonly List<InjectedFailure> _failures = [];
    private readonly List<Forbidden> _forbidden = [];
    private readonly Dictionary<string, (List<JsonObject> Items, int Offset, long Rv)> _continues = new(StringComparer.Ordinal);
    private long _resourceVersion = 1000;
    private long _compactedBelow;
    private long _uid;

    private FakeKubernetesApiServer(WebApplication app, FakeKubernetesOptions options)
    {
        _app = app;
        Options = options;
        foreach (var type in options.Resources)
            RegisterResource(type);
    }

    /// <summary>The server's settings.</summary>
    public FakeKubernetesOptions Options { get; }

    /// <summary>The base URL, e.g. <c>http://127.0.0.1:40123</c>.</summary>
    public string Url { get; private set; } = "";

    /// <summary>The latest cluster-wide resourceVersion.</summary>
    public long ResourceVersion
    {
        get
        {
            lock (_lock)
                return _resourceVersion;
        }
    }

    /// <summary>How many watch connections are open.</summary>
    public int OpenWatchCount
    {
        get
        {
            lock (_lock)
                return _watchers.Count;
        }
    }

    /// <summary>Every request received so far, in order.</summary>
    public IReadOnlyList<FakeRequest> Requests
    {
        get
        {
            lock (_lock)
                return [.. _requests];
        }
    }

    /// <summary>Starts a server on a free loopback port.</summary>
    public static async Task<FakeKubernetesApiServer> StartAsync(FakeKubernetesOptions? options = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeKubernetesApiServer(app, options ?? new FakeKubernetesOptions());
        app.Run(server.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        server.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return server;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        DropWatches();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
            await _app.StopAsync(stop.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- resource types

    /// <summary>Serves a resource type (e.g. a CRD) from now on.</summary>
    public void RegisterResource(FakeResourceType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        lock (_lock)
        {
            _typesByPath[type.Group + "/" + type.Version + "/" + type.Plural] = type;
            _typesByKind[type.ApiVersion + "|" + type.Kind] = type;
            _objects.TryAdd(StoreKey(type), new SortedDictionary<string, JsonObject>(StringComparer.Ordinal));
        }
    }

    /// <summary>Stops serving a resource type (its URLs answer 404, like a missing CRD); its objects are forgotten.</summary>
    public void UnregisterResource(string group, string version, string plural)
    {
        lock (_lock)
        {
            if (_typesByPath.Remove(group + "/" + version + "/" + plural, out var type))
            {
                _typesByKind.Remove(type.ApiVersion + "|" + type.Kind);
                _objects.Remove(StoreKey(type));
            }
        }
    }

    // ---------------------------------------------------------------- direct access for tests (same semantics, same events)

    /// <summary>Creates an object (its <c>apiVersion</c> and <c>kind</c> pick the type); returns the stored copy.</summary>
    public JsonObject Create(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        lock (_lock)
            return CreateCore(TypeOf(obj), Namespace(obj), (JsonObject)obj.DeepClone()).DeepClone().AsObject();
    }

    /// <summary>Creates an object from JSON text.</summary>
    public JsonObject Create(string json) => Create(JsonNode.Parse(json)!.AsObject());

    /// <summary>Creates a Ready Node with <paramref name="providerId"/> (e.g. <c>aws:///us-east-1a/i-0abc</c>).</summary>
    public JsonObject CreateReadyNode(string name, string providerId) => Create(new JsonObject
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Node",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject { ["providerID"] = providerId },
        ["status"] = new JsonObject { ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" }) },
    });

    /// <summary>Replaces an object (a PUT; conflicts only when it carries a stale resourceVersion).</summary>
    public JsonObject Update(JsonObject obj, bool status = false)
    {
        ArgumentNullException.ThrowIfNull(obj);
        lock (_lock)
            return UpdateCore(TypeOf(obj), Namespace(obj), Name(obj), (JsonObject)obj.DeepClone(), status).DeepClone().AsObject();
    }

    /// <summary>Reads, changes and writes back an object (a status-only write when <paramref name="status"/>).</summary>
    public JsonObject Mutate(string apiVersion, string kind, string? ns, string name, Action<JsonObject> change, bool status = false)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_lock)
        {
            var type = TypeOf(apiVersion, kind);
            var copy = Find(type, ns, name).DeepClone().AsObject();
            change(copy);
            return UpdateCore(type, ns, name, copy, status).DeepClone().AsObject();
        }
    }

    /// <summary>Deletes an object (only marks it deleting while finalizers remain); returns what the API returns.</summary>
    public JsonObject Delete(string apiVersion, string kind, string? ns, string name)
    {
        lock (_lock)
            return DeleteCore(TypeOf(apiVersion, kind), ns, name).DeepClone().AsObject();
    }

    /// <summary>An object, or null.</summary>
    public JsonObject? Get(string apiVersion, string kind, string? ns, string name)
    {
        lock (_lock)
        {
            var type = TypeOf(apiVersion, kind);
            return _objects[StoreKey(type)].TryGetValue(ObjectKey(ns, name), out var obj) ? obj.DeepClone().AsObject() : null;
        }
    }

    /// <summary>Every object of a kind (in one namespace, or all).</summary>
    public IReadOnlyList<JsonObject> List(string apiVersion, string kind, string? ns = null)
    {
        lock (_lock)
        {
            var type = TypeOf(apiVersion, kind);
            return [.. _objects[StoreKey(type)].Values.Where(o => ns is null || Namespace(o) == ns).Select(static o => o.DeepClone().AsObject())];
        }
    }

    // ---------------------------------------------------------------- test hooks

    /// <summary>Forgets the event history: a watch from any older resourceVersion now gets 410 Gone.</summary>
    public void CompactHistory()
    {
        lock (_lock)
        {
            _history.Clear();
            _compactedBelow = _resourceVersion;
        }
    }

    /// <summary>Aborts every open watch connection (the client sees a broken stream); returns how many.</summary>
    public int DropWatches() => EachWatcher(static w => w.Abort.Cancel());

    /// <summary>Open watches stop sending anything (no events, no bookmarks) until dropped; new watches are not affected.</summary>
    public int StallWatches() => EachWatcher(static w => w.Stalled = true);

    /// <summary>Sends every open watch an ERROR event with a 410 Status (like an expired watch cache), then ends it.</summary>
    public int ExpireWatches() => EachWatcher(w =>
    {
        w.Events.Writer.TryWrite(GoneEvent(w.Since));
        w.Events.Writer.TryComplete();
    });

    /// <summary>Ends every open watch cleanly (like the server's watch timeout); returns how many.</summary>
    public int CloseWatches() => EachWatcher(static w => w.Events.Writer.TryComplete());

    /// <summary>The next <paramref name="count"/> requests matching <paramref name="match"/> (all when null) fail with <paramref name="statusCode"/>.</summary>
    public void FailNext(int count, int statusCode = 500, Func<FakeRequest, bool>? match = null)
    {
        lock (_lock)
            _failures.Add(new InjectedFailure(count, statusCode, match ?? (static _ => true)));
    }

    /// <summary>
    /// From now on, answers <paramref name="verb"/> on <paramref name="plural"/> of API group <paramref name="group"/>
    /// (<c>""</c> for core) — in namespace <paramref name="ns"/> and of object <paramref name="name"/> when given — with
    /// 403 Forbidden and the message RBAC gives (<c>secrets "x" is forbidden: User "…" cannot get resource "secrets"
    /// in API group "" in the namespace "ns"</c>), as for an identity that lacks that permission.
    /// </summary>
    public void Forbid(string verb, string group, string plural, string? ns = null, string? name = null, string user = "fake-user")
    {
        ArgumentException.ThrowIfNullOrEmpty(verb);
        ArgumentNullException.ThrowIfNull(group);
        ArgumentException.ThrowIfNullOrEmpty(plural);
        lock (_lock)
            _forbidden.Add(new Forbidden(verb, group, plural, ns, name, user));
    }

    /// <summary>Cancels every injected failure not yet used.</summary>
    public void ClearFailures()
    {
        lock (_lock)
            _failures.Clear();
    }

    /// <summary>Forgets the recorded requests.</summary>
    public void ClearRequests()
    {
        lock (_lock)
            _requests.Clear();
    }

    /// <summary>How many recorded requests had this verb (and plural, when given).</summary>
    public int CountRequests(string verb, string? plural = null)
    {
        lock (_lock)
            return _requests.Count(r => r.Verb == verb && (plural is null || r.Plural == plural));
    }

    /// <summary>Waits until at least <paramref name="count"/> watches are open.</summary>
    public async Task WaitForWatchesAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (OpenWatchCount < count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{OpenWatchCount} watches open, expected {count}");
            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    private int EachWatcher(Action<Watcher> action)
    {
        lock (_lock)
        {
            foreach (var watcher in _watchers)
                action(watcher);
            return _watchers.Count;
        }
    }

    // ---------------------------------------------------------------- store semantics (callers hold _lock)

    private JsonObject CreateCore(FakeResourceType type, string? ns, JsonObject obj)
    {
        var metadata = Metadata(obj);
        if (type.Namespaced)
        {
            var bodyNs = metadata["namespace"]?.GetValue<string>();
            if (ns is not null && bodyNs is not null && bodyNs != ns)
                throw new FakeApiException(400, "BadRequest", $"the namespace of the provided object ({bodyNs}) does not match the namespace sent on the request ({ns})");
            ns ??= bodyNs ?? "default";
            metadata["namespace"] = ns;
        }
        else
        {
            ns = null;
            metadata.Remove("namespace");
        }
        var name = metadata["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name))
        {
            var prefix = metadata["generateName"]?.GetValue<string>()
                ?? throw new FakeApiException(422, "Invalid", "name or generateName is required");
            name = prefix + (++_uid).ToString("x5", CultureInfo.InvariantCulture);
            metadata["name"] = name;
        }
        var store = _objects[StoreKey(type)];
        if (store.ContainsKey(ObjectKey(ns, name)))
            throw new FakeApiException(409, "AlreadyExists", $"{type.Plural}.{type.Group} \"{name}\" already exists");
        obj["apiVersion"] = type.ApiVersion;
        obj["kind"] = type.Kind;
        metadata["uid"] = $"00000000-0000-4000-8000-{++_uid:D12}";
        metadata["creationTimestamp"] = Now();
        metadata["generation"] = 1;
        metadata.Remove("deletionTimestamp");
        metadata["resourceVersion"] = Next();
        store[ObjectKey(ns, name)] = obj;
        Emit("ADDED", type, obj);
        return obj;
    }

    private JsonObject UpdateCore(FakeResourceType type, string? ns, string name, JsonObject body, bool statusOnly)
    {
        var existing = Find(type, ns, name);
        var bodyMetadata = Metadata(body);
        var bodyRv = bodyMetadata["resourceVersion"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(bodyRv) && bodyRv != Rv(existing))
            throw Conflict(type, name);
        if (bodyMetadata["name"]?.GetValue<string>() is { } bodyName && bodyName != name)
            throw new FakeApiException(400, "BadRequest", $"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        if (statusOnly && !type.HasStatus)
            throw new FakeApiException(404, "NotFound", $"{type.Plural} has no status subresource");

        JsonObject updated;
        if (statusOnly)
        {
            updated = existing.DeepClone().AsObject();
            updated.Remove("status");
            if (body["status"] is { } status)
                updated["status"] = status.DeepClone();
        }
        else
        {
            updated = body;
            if (type.HasStatus)
            {
                updated.Remove("status");
                if (existing["status"] is { } status)
                    updated["status"] = status.DeepClone();
            }
            var metadata = Metadata(updated);
            var old = Metadata(existing);
            foreach (var immutable in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace", "name" })
            {
                metadata.Remove(immutable);
                if (old[immutable] is { } value)
                    metadata[immutable] = value.DeepClone();
            }
            if (!JsonNode.DeepEquals(WithoutMetaAndStatus(existing), WithoutMetaAndStatus(updated)))
                metadata["generation"] = long.Parse(old["generation"]?.ToJsonString() ?? "0", CultureInfo.InvariantCulture) + 1;
        }
        updated["apiVersion"] = type.ApiVersion;
        updated["kind"] = type.Kind;
        Metadata(updated)["resourceVersion"] = Rv(existing);
        if (JsonNode.DeepEquals(existing, updated))
            return existing; // a no-op write changes nothing, like the real server

        var store = _objects[StoreKey(type)];
        if (Metadata(updated)["deletionTimestamp"] is not null && Finalizers(updated) == 0)
        {
            store.Remove(ObjectKey(ns, name));
            Metadata(updated)["resourceVersion"] = Next();
            Emit("DELETED", type, updated);
            return updated;
        }
        Metadata(updated)["resourceVersion"] = Next();
        store[ObjectKey(ns, name)] = updated;
        Emit("MODIFIED", type, updated);
        return updated;
    }

    private JsonObject PatchCore(FakeResourceType type, string? ns, string name, string contentType, JsonNode patch, bool statusOnly)
    {
        var existing = Find(type, ns, name);
        JsonNode? patched;
        try
        {
            if (contentType.StartsWith("application/json-patch+json", StringComparison.Ordinal))
                patched = JsonPatching.JsonPatch(existing.DeepClone(), patch as JsonArray ?? throw new InvalidOperationException("a JSON patch is an array"));
            else if (contentType.StartsWith("application/strategic-merge-patch+json", StringComparison.Ordinal))
                patched = JsonPatching.StrategicMergePatch(existing.DeepClone(), patch);
            else
                patched = JsonPatching.MergePatch(existing.DeepClone(), patch);
        }
        catch (InvalidOperationException e)
        {
            throw new FakeApiException(422, "Invalid", e.Message);
        }
        if (patched is not JsonObject patchedObject)
            throw new FakeApiException(422, "Invalid", "the patch did not produce an object");
        if (Rv(patchedObject) is { Length: > 0 } rv && rv != Rv(existing))
            throw Conflict(type, name);
        // A uid in the patch is a precondition, as on the real server (the object may have been replaced by one of the same name).
        if (patch is JsonObject patchObject && patchObject["metadata"]?["uid"]?.GetValue<string>() is { } uid && uid != existing["metadata"]?["uid"]?.GetValue<string>())
            throw new FakeApiException(409, "Conflict", $"Precondition failed: UID in precondition: {uid}, UID in object meta: {existing["metadata"]?["uid"]}");
        return UpdateCore(type, ns, name, patchedObject, statusOnly);
    }

    private JsonObject DeleteCore(FakeResourceType type, string? ns, string name)
    {
        var existing = Find(type, ns, name);
        var store = _objects[StoreKey(type)];
        if (Finalizers(existing) > 0)
        {
            if (Metadata(existing)["deletionTimestamp"] is not null)
                return existing;
            var marked = existing.DeepClone().AsObject();
            Metadata(marked)["deletionTimestamp"] = Now();
            Metadata(marked)["deletionGracePeriodSeconds"] = 0;
            Metadata(marked)["resourceVersion"] = Next();
            store[ObjectKey(ns, name)] = marked;
            Emit("MODIFIED", type, marked);
            return marked;
        }
        store.Remove(ObjectKey(ns, name));
        var deleted = existing.DeepClone().AsObject();
        Metadata(deleted)["resourceVersion"] = Next();
        Emit("DELETED", type, deleted);
        return deleted;
    }

    private JsonObject Find(FakeResourceType type, string? ns, string name) =>
        _objects[StoreKey(type)].TryGetValue(ObjectKey(type.Namespaced ? ns : null, name), out var obj)
            ? obj
            : throw new FakeApiException(404, "NotFound", $"{type.Plural}{(type.Group.Length == 0 ? "" : "." + type.Group)} \"{name}\" not found");

    private static FakeApiException Conflict(FakeResourceType type, string name) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {type.Plural}{(type.Group.Length == 0 ? "" : "." + type.Group)} \"{name}\": the object has been modified; please apply your changes to the latest version and try again");

    private void Emit(string eventType, FakeResourceType type, JsonObject obj)
    {
        var rv = long.Parse(Rv(obj)!, CultureInfo.InvariantCulture);
        var ev = new HistoryEvent(rv, eventType, type, obj.DeepClone().AsObject());
        _history.AddLast(ev);
        while (_history.Count > Options.MaxHistory)
        {
            _compactedBelow = _history.First!.Value.Rv;
            _history.RemoveFirst();
        }
        foreach (var watcher in _watchers)
        {
            if (watcher.Matches(ev.Type, ev.Object))
                watcher.Events.Writer.TryWrite(EventLine(eventType, ev.Object));
        }
    }

    private string Next() => (++_resourceVersion).ToString(CultureInfo.InvariantCulture);

    // ---------------------------------------------------------------- HTTP

    private async Task HandleAsync(HttpContext context)
    {
        var request = Parse(context.Request);
        InjectedFailure? failure;
        lock (_lock)
        {
            _requests.Add(request);
            failure = _failures.FirstOrDefault(f => f.Remaining > 0 && f.Match(request));
            if (failure is not null)
                failure.Remaining--;
        }
        try
        {
            if (Options.RequiredBearerToken is { } token && context.Request.Headers.Authorization.ToString() != "Bearer " + token)
                throw new FakeApiException(401, "Unauthorized", "Unauthorized");
            if (ForbiddenFor(request) is { } forbidden)
                throw new FakeApiException(403, "Forbidden", forbidden.Message(request));
            if (failure is not null)
                throw new FakeApiException(failure.StatusCode, failure.StatusCode switch { 403 => "Forbidden", 404 => "NotFound", 409 => "Conflict", _ => "InternalError" }, "injected failure");
            if (request.Verb == "watch")
            {
                await WatchAsync(context, request).ConfigureAwait(false);
                return;
            }
            var (code, body) = request.Verb switch
            {
                "discovery" => (200, Discovery(request.Path)),
                _ when request.Resource is null => throw new FakeApiException(404, "NotFound", "the server could not find the requested resource"),
                _ => await ExecuteAsync(context, request).ConfigureAwait(false),
            };
            await WriteJsonAsync(context, code, body).ConfigureAwait(false);
        }
        catch (FakeApiException e)
        {
            await WriteJsonAsync(context, e.Code, Status(e.Code, e.Reason, e.Message, request)).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            await WriteJsonAsync(context, 400, Status(400, "BadRequest", e.Message, request)).ConfigureAwait(false);
        }
    }

    private Forbidden? ForbiddenFor(FakeRequest request)
    {
        lock (_lock)
            return _forbidden.FirstOrDefault(f => f.Matches(request));
    }

    private async Task<(int, JsonNode)> ExecuteAsync(HttpContext context, FakeRequest request)
    {
        var type = request.Resource!;
        var ns = type.Namespaced ? request.Namespace : null;
        var statusOnly = request.Subresource == "status";
        if (request.Subresource is not null && !statusOnly)
            throw new FakeApiException(404, "NotFound", $"subresource {request.Subresource} is not served");
        JsonNode? body = null;
        if (request.Verb is "create" or "update" or "patch")
            body = await JsonNode.ParseAsync(context.Request.Body).ConfigureAwait(false) ?? throw new FakeApiException(400, "BadRequest", "empty body");
        lock (_lock)
        {
            return request.Verb switch
            {
                "get" => (200, Find(type, ns, request.Name!).DeepClone()),
                "list" => (200, ListCore(type, ns, request)),
                "create" => (201, CreateCore(type, ns, body!.AsObject()).DeepClone()),
                "update" => (200, UpdateCore(type, ns, request.Name!, body!.AsObject(), statusOnly).DeepClone()),
                "patch" => (200, PatchCore(type, ns, request.Name!, request.ContentType ?? "application/merge-patch+json", body!, statusOnly).DeepClone()),
                "delete" => (200, DeleteCore(type, ns, request.Name!).DeepClone()),
                "deletecollection" => (200, DeleteCollection(type, ns, request)),
                _ => throw new FakeApiException(405, "MethodNotAllowed", $"{request.Method} is not allowed here"),
            };
        }
    }

    private JsonObject ListCore(FakeResourceType type, string? ns, FakeRequest request)
    {
        List<JsonObject> items;
        long rv;
        var offset = 0;
        if (request.QueryValue("continue") is { Length: > 0 } token)
        {
            if (!_continues.Remove(token, out var snapshot))
                throw new FakeApiException(410, "Expired", "the provided continue parameter is too old");
            (items, offset, rv) = snapshot;
        }
        else
        {
            rv = _resourceVersion;
            items = [.. Matching(type, ns, request).Select(StripKind)];
        }
        var limit = int.TryParse(request.QueryValue("limit"), NumberStyles.None, CultureInfo.InvariantCulture, out var l) && l > 0 ? l : int.MaxValue;
        var page = items.Skip(offset).Take(limit).ToList();
        var metadata = new JsonObject { ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture) };
        if (offset + page.Count < items.Count)
        {
            var next = Guid.NewGuid().ToString("N");
            _continues[next] = (items, offset + page.Count, rv);
            metadata["continue"] = next;
            metadata["remainingItemCount"] = items.Count - offset - page.Count;
        }
        return new JsonObject
        {
            ["kind"] = type.Kind + "List",
            ["apiVersion"] = type.ApiVersion,
            ["metadata"] = metadata,
            ["items"] = new JsonArray([.. page]),
        };
    }

    private JsonObject DeleteCollection(FakeResourceType type, string? ns, FakeRequest request)
    {
        var deleted = new JsonArray();
        foreach (var obj in Matching(type, ns, request).ToList())
            deleted.Add(StripKind(DeleteCore(type, Namespace(obj), Name(obj))));
        return new JsonObject { ["kind"] = type.Kind + "List", ["apiVersion"] = type.ApiVersion, ["metadata"] = new JsonObject(), ["items"] = deleted };
    }

    private IEnumerable<JsonObject> Matching(FakeResourceType type, string? ns, FakeRequest request)
    {
        var labels = request.QueryValue("labelSelector");
        var fields = request.QueryValue("fieldSelector");
        return _objects[StoreKey(type)].Values.Where(o =>
            (ns is null || Namespace(o) == ns) && Selectors.MatchesLabels(o, labels) && Selectors.MatchesFields(o, fields));
    }

    private static JsonObject StripKind(JsonObject obj)
    {
        var copy = obj.DeepClone().AsObject();
        copy.Remove("kind");
        copy.Remove("apiVersion");
        return copy;
    }

    private async Task WatchAsync(HttpContext context, FakeRequest request)
    {
        var type = request.Resource ?? throw new FakeApiException(404, "NotFound", "the server could not find the requested resource");
        var ns = type.Namespaced ? request.Namespace : null;
        var bookmarks = request.QueryValue("allowWatchBookmarks") == "true";
        var since = request.QueryValue("resourceVersion");
        var timeout = int.TryParse(request.QueryValue("timeoutSeconds"), NumberStyles.None, CultureInfo.InvariantCulture, out var t) && t > 0
            ? TimeSpan.FromSeconds(t)
            : TimeSpan.FromMinutes(30);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var watcher = new Watcher(type, ns, request.QueryValue("labelSelector"), request.QueryValue("fieldSelector"), abort, since ?? "");
        lock (_lock)
        {
            if (string.IsNullOrEmpty(since) || since == "0")
            {
                foreach (var obj in Matching(type, ns, request))
                    watcher.Events.Writer.TryWrite(EventLine("ADDED", obj));
            }
            else if (!long.TryParse(since, NumberStyles.None, CultureInfo.InvariantCulture, out var from))
                throw new FakeApiException(400, "BadRequest", $"invalid resourceVersion {since}");
            else if (from < _compactedBelow)
                watcher.Events.Writer.TryComplete();
            else
            {
                foreach (var ev in _history)
                {
                    if (ev.Rv > from && watcher.Matches(ev.Type, ev.Object))
                        watcher.Events.Writer.TryWrite(EventLine(ev.EventType, ev.Object));
                }
            }
            if (watcher.Events.Reader.Completion.IsCompleted)
                watcher.Gone = true;
            else
                _watchers.Add(watcher);
        }
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        if (watcher.Gone)
        {
            await WriteLineAsync(context, GoneEvent(since!), context.RequestAborted).ConfigureAwait(false);
            return;
        }
        var deadline = DateTime.UtcNow + timeout;
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                if (watcher.Stalled)
                {
                    await Task.Delay(Timeout.Infinite, abort.Token).ConfigureAwait(false);
                }
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(abort.Token);
                wait.CancelAfter(Min(Options.BookmarkInterval, deadline - DateTime.UtcNow));
                string? line = null;
                try
                {
                    if (!await watcher.Events.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false))
                        break;
                    watcher.Events.Reader.TryRead(out line);
                }
                catch (OperationCanceledException) when (!abort.IsCancellationRequested)
                {
                    if (bookmarks)
                        line = BookmarkLine(watcher);
                }
                if (line is not null && !watcher.Stalled)
                    await WriteLineAsync(context, line, abort.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            context.Abort();
        }
        finally
        {
            lock (_lock)
                _watchers.Remove(watcher);
        }
    }

    private string? BookmarkLine(Watcher watcher)
    {
        lock (_lock)
        {
            if (watcher.Events.Reader.Count > 0)
                return null; // events not yet written: a bookmark now would claim more than the client has
            var bookmark = new JsonObject
            {
                ["kind"] = watcher.Type.Kind,
                ["apiVersion"] = watcher.Type.ApiVersion,
                ["metadata"] = new JsonObject
                {
                    ["resourceVersion"] = _resourceVersion.ToString(CultureInfo.InvariantCulture),
                    ["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" },
                },
            };
            return EventLine("BOOKMARK", bookmark);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? (b < TimeSpan.Zero ? TimeSpan.Zero : a) : (b < TimeSpan.Zero ? TimeSpan.Zero : b);

    private static async Task WriteLineAsync(HttpContext context, string line, CancellationToken cancellationToken)
    {
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), cancellationToken).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteJsonAsync(HttpContext context, int code, JsonNode body)
    {
        if (context.Response.HasStarted)
            return;
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(Compact)).ConfigureAwait(false);
    }

    private static string EventLine(string type, JsonObject obj) =>
        new JsonObject { ["type"] = type, ["object"] = obj.DeepClone() }.ToJsonString(Compact);

    private static string GoneEvent(string since) =>
        EventLine("ERROR", Status(410, "Expired", $"too old resource version: {since}", null));

    private static JsonObject Status(int code, string reason, string message, FakeRequest? request)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
            ["code"] = code,
        };
        if (request?.Resource is { } type)
        {
            var details = new JsonObject { ["group"] = type.Group, ["kind"] = type.Plural };
            if (request.Name is not null)
                details["name"] = request.Name;
            status["details"] = details;
        }
        return status;
    }

    private JsonNode Discovery(string path)
    {
        lock (_lock)
        {
            if (path == "/version")
                return new JsonObject { ["major"] = "1", ["minor"] = "33", ["gitVersion"] = "v1.33.0-fake", ["platform"] = "linux/amd64" };
            if (path is "/healthz" or "/readyz" or "/livez")
                return JsonValue.Create("ok");
            if (path == "/api")
                return new JsonObject { ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1") };
            if (path == "/apis")
            {
                var groups = _typesByPath.Values.Where(static t => t.Group.Length > 0).GroupBy(static t => t.Group).Select(g =>
                {
                    var versions = new JsonArray([.. g.Select(static t => t.Version).Distinct().Select(v => (JsonNode)new JsonObject { ["groupVersion"] = g.Key + "/" + v, ["version"] = v })]);
                    return (JsonNode)new JsonObject { ["name"] = g.Key, ["versions"] = versions, ["preferredVersion"] = versions[0]!.DeepClone() };
                });
                return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = new JsonArray([.. groups]) };
            }
            var resources = _typesByPath.Values.Where(t => t.Prefix == path).ToList();
            if (resources.Count == 0)
                throw new FakeApiException(404, "NotFound", "the server could not find the requested resource");
            return new JsonObject
            {
                ["kind"] = "APIResourceList",
                ["apiVersion"] = "v1",
                ["groupVersion"] = resources[0].ApiVersion,
                ["resources"] = new JsonArray([.. resources.Select(static t => (JsonNode)new JsonObject
                {
                    ["name"] = t.Plural,
                    ["namespaced"] = t.Namespaced,
                    ["kind"] = t.Kind,
                    ["verbs"] = new JsonArray("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
                })]),
            };
        }
    }

    private FakeRequest Parse(HttpRequest http)
    {
        var path = http.Path.Value ?? "/";
        var query = http.QueryString.Value ?? "";
        var parts = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        string group, version;
        string[] rest;
        if (parts.Length >= 2 && parts[0] == "api")
            (group, version, rest) = ("", parts[1], parts[2..]);
        else if (parts.Length >= 3 && parts[0] == "apis")
            (group, version, rest) = (parts[1], parts[2], parts[3..]);
        else
            return new FakeRequest(http.Method, "discovery", path, query, null, null, null, null, http.ContentType);
        if (rest.Length == 0)
            return new FakeRequest(http.Method, "discovery", path, query, null, null, null, null, http.ContentType);

        FakeResourceType? type;
        string? ns = null, name = null, sub = null;
        lock (_lock)
        {
            if (rest.Length >= 3 && rest[0] == "namespaces" && _typesByPath.TryGetValue(group + "/" + version + "/" + rest[2], out var namespaced) && namespaced.Namespaced)
            {
                type = namespaced;
                ns = rest[1];
                name = rest.ElementAtOrDefault(3);
                sub = rest.ElementAtOrDefault(4);
            }
            else
            {
                type = _typesByPath.GetValueOrDefault(group + "/" + version + "/" + rest[0]);
                name = rest.ElementAtOrDefault(1);
                sub = rest.ElementAtOrDefault(2);
            }
        }
        var watch = http.Query["watch"] is var w && (w == "true" || w == "1");
        var verb = (http.Method, name is null) switch
        {
            ("GET", true) => watch ? "watch" : "list",
            ("GET", false) => "get",
            ("POST", true) => "create",
            ("PUT", false) => "update",
            ("PATCH", false) => "patch",
            ("DELETE", false) => "delete",
            ("DELETE", true) => "deletecollection",
            _ => "other",
        };
        return new FakeRequest(http.Method, verb, path, query, type, ns, name, sub, http.ContentType);
    }

    private FakeResourceType TypeOf(JsonObject obj) =>
        TypeOf(obj["apiVersion"]?.GetValue<string>() ?? "", obj["kind"]?.GetValue<string>() ?? "");

    private FakeResourceType TypeOf(string apiVersion, string kind)
    {
        lock (_lock)
            return _typesByKind.TryGetValue(apiVersion + "|" + kind, out var type)
                ? type
                : throw new FakeApiException(404, "NotFound", $"no resource is registered for {apiVersion} {kind}");
    }

    private static string StoreKey(FakeResourceType type) => type.Group + "/" + type.Plural;

    private static string ObjectKey(string? ns, string name) => (ns ?? "") + "/" + name;

    private static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject metadata)
            return metadata;
        metadata = [];
        obj["metadata"] = metadata;
        return metadata;
    }

    private static string? Namespace(JsonObject obj) => obj["metadata"]?["namespace"]?.GetValue<string>();

    private static string Name(JsonObject obj) => obj["metadata"]?["name"]?.GetValue<string>() ?? throw new FakeApiException(422, "Invalid", "metadata.name is required");

    private static string? Rv(JsonObject obj) => obj["metadata"]?["resourceVersion"]?.GetValue<string>();

    private static int Finalizers(JsonObject obj) => (obj["metadata"]?["finalizers"] as JsonArray)?.Count ?? 0;

    private static string Now() => DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static JsonObject WithoutMetaAndStatus(JsonObject obj)
    {
        var copy = obj.DeepClone().AsObject();
        copy.Remove("metadata");
        copy.Remove("status");
        return copy;
    }

    private sealed record HistoryEvent(long Rv, string EventType, FakeResourceType Type, JsonObject Object);

    private sealed record Forbidden(string Verb, string Group, string Plural, string? Namespace, string? Name, string User)
    {
        public bool Matches(FakeRequest request) =>
            request.Verb == Verb && request.Resource is { } type && type.Group == Group && type.Plural == Plural
            && (Namespace is null || request.Namespace == Namespace) && (Name is null || request.Name == Name);

        public string Message(FakeRequest request)
        {
            var resource = Group.Length == 0 ? Plural : Plural + "." + Group;
            var subject = request.Name is null ? resource : $"{resource} \"{request.Name}\"";
            var scope = request.Namespace is null ? "at the cluster scope" : $"in the namespace \"{request.Namespace}\"";
            return $"{subject} is forbidden: User \"{User}\" cannot {Verb} resource \"{Plural}\" in API group \"{Group}\" {scope}";
        }
    }

    private sealed class InjectedFailure(int count, int statusCode, Func<FakeRequest, bool> match)
    {
        public int Remaining { get; set; } = count;

        public int StatusCode { get; } = statusCode;

        public Func<FakeRequest, bool> Match { get; } = match;
    }

    private sealed class Watcher(FakeResourceType type, string? ns, string? labels, string? fields, CancellationTokenSource abort, string since)
    {
        public FakeResourceType Type { get; } = type;

        public Channel<string> Events { get; } = Channel.CreateUnbounded<string>();

        public CancellationTokenSource Abort { get; } = abort;

        public string Since { get; } = since;

        public volatile bool Stalled;

        public bool Gone { get; set; }

        public bool Matches(FakeResourceType eventType, JsonObject obj) =>
            eventType == Type
            && (ns is null || Namespace(obj) == ns)
            && Selectors.MatchesLabels(obj, labels)
            && Selectors.MatchesFields(obj, fields);
    }
}
