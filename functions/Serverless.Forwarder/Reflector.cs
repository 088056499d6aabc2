using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Serverless.Forwarder;

/// <summary>What one reflector lists and watches: a kind in one namespace or cluster-wide.</summary>
/// <param name="Kind">The kind.</param>
/// <param name="ApiPrefix"><c>/api/v1</c> or <c>/apis/group/version</c>.</param>
/// <param name="Plural">The resource's URL name.</param>
/// <param name="Namespace">A namespace, or null for all namespaces / cluster-scoped.</param>
/// <param name="Optional">A CRD that may be missing: 404 means "not installed", checked again later.</param>
public sealed record WatchTarget(ResourceKind Kind, string ApiPrefix, string Plural, string? Namespace, bool Optional = false)
{
    /// <summary>The collection path.</summary>
    public string Path => Namespace is null ? $"{ApiPrefix}/{Plural}" : $"{ApiPrefix}/namespaces/{Namespace}/{Plural}";

    /// <summary>Every target for the given namespaces (empty: all namespaces).</summary>
    public static IReadOnlyList<WatchTarget> All(IReadOnlyList<string> namespaces)
    {
        var scopes = namespaces.Count == 0 ? [null] : namespaces.Select(static n => (string?)n).ToArray();
        var targets = new List<WatchTarget>
        {
            new(ResourceKind.IngressClass, "/apis/networking.k8s.io/v1", "ingressclasses", null),
            new(ResourceKind.IngressClassParams, "/apis/elbv2.k8s.aws/v1beta1", "ingressclassparams", null, Optional: true),
            new(ResourceKind.Node, "/api/v1", "nodes", null),
        };
        foreach (var ns in scopes)
        {
            targets.Add(new(ResourceKind.Ingress, "/apis/networking.k8s.io/v1", "ingresses", ns));
            targets.Add(new(ResourceKind.Service, "/api/v1", "services", ns));
            targets.Add(new(ResourceKind.EndpointSlice, "/apis/discovery.k8s.io/v1", "endpointslices", ns));
            targets.Add(new(ResourceKind.TargetGroupBinding, "/apis/elbv2.k8s.aws/v1beta1", "targetgroupbindings", ns, Optional: true));
        }
        return targets;
    }
}

/// <summary>
/// List-then-watch of one <see cref="WatchTarget"/>, for ever: resumes from the last resourceVersion seen (event or
/// bookmark) after a broken or ended stream, relists on 410 Gone (the mapper's index survives it, so only objects
/// changed or deleted meanwhile produce keys), reconnects a watch silent for longer than the idle
/// timeout, backs off exponentially on errors. Every object of a list and every event goes through the
/// <see cref="KeyMapper"/> into the <see cref="KeyBuffer"/> before its resourceVersion counts as seen (and the
/// buffer's backpressure therefore slows this loop, never drops a key).
/// </summary>
public sealed class Reflector
{
    private readonly WatchTarget _target;
    private readonly KubernetesConnection _api;
    private readonly KeyMapper _mapper;
    private readonly KeyBuffer _buffer;
    private readonly ForwarderConfig _config;
    private readonly ForwarderMetrics _metrics;
    private readonly JsonLog _log;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _resourceVersion;
    private bool _progress;
    private long _failingSince = NotFailing;

    /// <summary>The value of <see cref="_failingSince"/> while the last list or watch attempt succeeded.</summary>
    private const long NotFailing = long.MinValue;

    internal Reflector(WatchTarget target, KubernetesConnection api, KeyMapper mapper, KeyBuffer buffer, ForwarderConfig config, ForwarderMetrics metrics, JsonLog log, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _target = target;
        _api = api;
        _mapper = mapper;
        _buffer = buffer;
        _config = config;
        _metrics = metrics;
        _log = log;
    }

    /// <summary>Completes after the first full list was handed to the buffer (or the optional kind was found missing).</summary>
    public Task Synced => _synced.Task;

    /// <summary>The last resourceVersion seen.</summary>
    public string? ResourceVersion => _resourceVersion;

    /// <summary>What this reflector lists and watches.</summary>
    public WatchTarget Target => _target;

    /// <summary>
    /// How long this kind's list or watch has been failing (the API server unreachable, too slow, or answering with an
    /// error) without a success in between; null while the last attempt succeeded. Any answer of the API server to a
    /// list (a missing optional kind included), a watch opened, and any event or bookmark count as success.
    /// </summary>
    public TimeSpan? FailingFor => Volatile.Read(ref _failingSince) is var since && since == NotFailing ? null : _time.GetElapsedTime(since);

    private void Succeeded() => Volatile.Write(ref _failingSince, NotFailing);

    private void Failed()
    {
        if (Volatile.Read(ref _failingSince) == NotFailing)
            Volatile.Write(ref _failingSince, _time.GetTimestamp());
    }

    /// <summary>Whether the last list found the (optional) kind not served.</summary>
    public bool KindMissing { get; private set; }

    /// <summary>How often a missing optional kind (CRD) is looked for again.</summary>
    public TimeSpan MissingRecheck { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a list waits for the API server: for the response, then for each part of its body.</summary>
    internal static TimeSpan ListReadTimeout { get; } = TimeSpan.FromSeconds(60);

    /// <summary>Runs until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var kind = _target.Kind.ToString();
        var failures = 0;
        var needList = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (needList)
                {
                    var served = await ListAsync(cancellationToken).ConfigureAwait(false);
                    Succeeded();
                    if (!served)
                    {
                        KindMissing = true;
                        _synced.TrySetResult();
                        await Task.Delay(MissingRecheck, _time, cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                    KindMissing = false;
                    needList = false;
                    _synced.TrySetResult();
                }
                _progress = false;
                var outcome = await WatchAsync(cancellationToken).ConfigureAwait(false);
                failures = outcome is WatchOutcome.Ended or WatchOutcome.Gone ? 0 : _progress ? 1 : failures + 1;
                if (outcome is WatchOutcome.Broken or WatchOutcome.Stalled or WatchOutcome.Failed)
                    Failed();
                else
                    Succeeded();
                _metrics.WatchRestarted(kind, outcome.ToString().ToLowerInvariant());
                if (outcome == WatchOutcome.Gone)
                {
                    _log.Info("watch expired (410 Gone), relisting", ("kind", kind), ("namespace", _target.Namespace), ("resourceVersion", _resourceVersion));
                    needList = true;
                }
                else if (outcome != WatchOutcome.Ended)
                    _log.Warn("watch restarted", ("kind", kind), ("namespace", _target.Namespace), ("reason", outcome.ToString()), ("resourceVersion", _resourceVersion));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or JsonException or KubernetesApiException or OperationCanceledException)
            {
                failures++;
                Failed();
                _metrics.WatchRestarted(kind, "error");
                _log.Warn("list or watch failed", ("kind", kind), ("namespace", _target.Namespace), ("error", e), ("attempt", failures));
            }
            if (failures > 0 && !await DelayAsync(Backoff(failures), cancellationToken).ConfigureAwait(false))
                break;
        }
    }

    /// <summary>Waits; false when cancelled (shutdown) instead of throwing.</summary>
    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static TimeSpan Backoff(int failures)
    {
        var ceiling = Math.Min(30_000, 100 * Math.Pow(2, Math.Min(failures - 1, 10)));
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    /// <summary>Lists every page, hands each object to the mapper, then resyncs deletions. False: optional kind missing.</summary>
    private async Task<bool> ListAsync(CancellationToken cancellationToken)
    {
        var kind = _target.Kind.ToString();
        _metrics.Relisted(kind);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? continueToken = null;
        while (true)
        {
            var query = $"?limit={_config.ListPageSize.ToString(CultureInfo.InvariantCulture)}" + (continueToken is null ? "" : "&continue=" + Uri.EscapeDataString(continueToken));
            using var timeout = new ClockTimeout(_time, cancellationToken);
            timeout.CancelAfter(ListReadTimeout);
            using var response = await _api.GetAsync(_target.Path + query, stream: true, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound && _target.Optional)
            {
                _log.Info("optional kind not served (CRD not installed), skipping", ("kind", kind));
                return false;
            }
            if (response.StatusCode == HttpStatusCode.Gone && continueToken is not null)
            {
                seen.Clear();
                continueToken = null; // the continue token expired: list again from the start
                continue;
            }
            if (!response.IsSuccessStatusCode)
                throw new KubernetesApiException((int)response.StatusCode, await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false));
            // The page is read one item at a time (never held whole); the timeout bounds each wait for the server,
            // not the time the buffer's backpressure holds this loop.
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            var reader = new JsonBodyReader(body);
            while (true)
            {
                timeout.CancelAfter(ListReadTimeout);
                if (await reader.ReadListItemAsync(timeout.Token).ConfigureAwait(false) is not { } json)
                    break;
                List<KeyCause> keys;
                using (var item = JsonDocument.Parse(json))
                {
                    seen.Add(KeyMapper.Identity(item.RootElement));
                    _metrics.EventSeen(kind, "LISTED");
                    keys = _mapper.Apply(_target.Kind, ChangeType.Listed, item.RootElement);
                }
                await _buffer.AddAsync(keys, cancellationToken).ConfigureAwait(false);
            }
            var listVersion = reader.ListResourceVersion ?? "";
            continueToken = reader.ListContinue is { Length: > 0 } next ? next : null;
            _resourceVersion = listVersion;
            if (continueToken is null)
                break;
        }
        await _buffer.AddAsync(_mapper.Resync(_target.Kind, _target.Namespace, seen, _resourceVersion ?? ""), cancellationToken).ConfigureAwait(false);
        _log.Info("listed", ("kind", kind), ("namespace", _target.Namespace), ("objects", seen.Count), ("resourceVersion", _resourceVersion));
        return true;
    }

    private async Task<WatchOutcome> WatchAsync(CancellationToken cancellationToken)
    {
        var kind = _target.Kind.ToString();
        var query = $"?watch=true&allowWatchBookmarks=true&timeoutSeconds={_config.WatchTimeoutSeconds.ToString(CultureInfo.InvariantCulture)}&resourceVersion={Uri.EscapeDataString(_resourceVersion ?? "")}";
        using var idle = new ClockTimeout(_time, cancellationToken);
        idle.CancelAfter(_config.WatchIdleTimeout);
        HttpResponseMessage response;
        try
        {
            response = await _api.GetAsync(_target.Path + query, stream: true, idle.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return WatchOutcome.Stalled;
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.Gone)
                return WatchOutcome.Gone;
            if (!response.IsSuccessStatusCode)
            {
                _log.Warn("watch refused", ("kind", kind), ("status", (int)response.StatusCode));
                return WatchOutcome.Failed;
            }
            Succeeded();
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var reader = new JsonBodyReader(stream);
            while (true)
            {
                ReadOnlyMemory<byte>? line;
                try
                {
                    idle.CancelAfter(_config.WatchIdleTimeout);
                    line = await reader.ReadLineAsync(idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    return WatchOutcome.Stalled;
                }
                catch (Exception e) when (e is IOException or HttpRequestException)
                {
                    return WatchOutcome.Broken;
                }
                if (line is not { } json)
                    return WatchOutcome.Ended;
                if (json.Span.Trim(" \t\r"u8).IsEmpty)
                    continue;
                using var document = JsonDocument.Parse(json);
                var type = KeyMapper.Str(document.RootElement, "type");
                var obj = document.RootElement.GetProperty("object");
                var version = obj.TryGetProperty("metadata", out var metadata) ? KeyMapper.Str(metadata, "resourceVersion") : null;
                switch (type)
                {
                    case "BOOKMARK":
                        _metrics.EventSeen(kind, type);
                        _resourceVersion = version ?? _resourceVersion;
                        break;
                    case "ERROR":
                        _metrics.EventSeen(kind, type);
                        if (obj.TryGetProperty("code", out var code) && code.TryGetInt32(out var status) && status == 410)
                            return WatchOutcome.Gone;
                        _log.Warn("watch error event", ("kind", kind), ("status", Encoding.UTF8.GetString(json.Span)));
                        return WatchOutcome.Failed;
                    case "ADDED" or "MODIFIED" or "DELETED":
                        _metrics.EventSeen(kind, type);
                        var change = type == "ADDED" ? ChangeType.Added : type == "MODIFIED" ? ChangeType.Modified : ChangeType.Deleted;
                        await _buffer.AddAsync(_mapper.Apply(_target.Kind, change, obj), cancellationToken).ConfigureAwait(false);
                        _resourceVersion = version ?? _resourceVersion;
                        _progress = true;
                        break;
                    default:
                        _log.Warn("unknown watch event type", ("kind", kind), ("type", type));
                        break;
                }
            }
        }
    }

    private enum WatchOutcome
    {
        /// <summary>The server ended the stream (its timeout): resume at once.</summary>
        Ended,

        /// <summary>The connection broke: resume from the last version.</summary>
        Broken,

        /// <summary>Nothing arrived within the idle timeout: reconnect.</summary>
        Stalled,

        /// <summary>410 Gone: relist.</summary>
        Gone,

        /// <summary>Refused or an ERROR event: back off, then resume.</summary>
        Failed,
    }
}

/// <summary>A non-success answer of the API server.</summary>
public sealed class KubernetesApiException : Exception
{
    public KubernetesApiException()
    {
    }

    public KubernetesApiException(string message)
        : base(message)
    {
    }

    public KubernetesApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KubernetesApiException(int statusCode, string body)
        : base($"API server answered {statusCode}: {(body.Length > 300 ? body[..300] : body)}")
    {
        StatusCode = statusCode;
    }

    public int StatusCode { get; }
}
