using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Serverless.Aws.Sqs;
using Serverless.Messages;
using Serverless.Testing;
using Serverless.Testing.FakeKubernetes;

namespace Serverless.Forwarder.Tests;

/// <summary>One moto_server for every test of this assembly; such tests run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class MotoCollection : ICollectionFixture<MotoFixture>
{
    public const string Name = "moto";
}

/// <summary>Starts moto once per test run and stops it at the end.</summary>
public sealed class MotoFixture : IDisposable
{
    public MotoServer Server { get; } = MotoServer.Start();

    public void Dispose() => Server.Dispose();
}

/// <summary>A message the forwarder sent, as received from the queue.</summary>
public sealed record Received(QueueMessage Message, string GroupId, string DedupId, DateTimeOffset SentAt)
{
    public string Key => Message.Key.ToString();
}

/// <summary>
/// A fake API server, a fresh FIFO queue in moto, and a <see cref="ForwarderHost"/> running in-process against both;
/// every successful send entry is recorded with its time, and <see cref="DrainAsync"/> reads the queue.
/// </summary>
public sealed class ForwarderHarness : IAsyncDisposable
{
    private static int _queues;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Received> _received = [];
    private Task? _run;

    private ForwarderHarness(FakeKubernetesApiServer api, SqsGateway sqs, RecordingSqs recording, string queueUrl)
    {
        Api = api;
        Sqs = sqs;
        Recording = recording;
        QueueUrl = queueUrl;
    }

    public FakeKubernetesApiServer Api { get; }

    public SqsGateway Sqs { get; }

    public RecordingSqs Recording { get; }

    public string QueueUrl { get; }

    public ForwarderHost Host { get; private set; } = null!;

    /// <summary>The forwarder's clock: debounce, retries, backoff and idle timeouts run on it, moved by <see cref="DrainAsync"/> and <see cref="WaitUntilAsync"/>.</summary>
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", CultureInfo.InvariantCulture));

    public static async Task<ForwarderHarness> CreateAsync(MotoServer moto, FakeKubernetesOptions? apiOptions = null)
    {
        ArgumentNullException.ThrowIfNull(moto);
        moto.Reset();
        var api = await FakeKubernetesApiServer.StartAsync(apiOptions ?? new FakeKubernetesOptions { BookmarkInterval = TimeSpan.FromMilliseconds(200) });
        var sqs = SqsGateway.Create(moto.ClientOptions());
        var url = await sqs.CreateQueueAsync(new SqsQueueSpec($"work-{Interlocked.Increment(ref _queues)}.fifo"));
        return new ForwarderHarness(api, sqs, new RecordingSqs(sqs), url);
    }

    /// <summary>
    /// Starts the forwarder (debounce, idle timeout and more via <paramref name="configure"/>; its connection to the API
    /// server through <paramref name="kubernetesHandler"/> if given) and waits for its first sync.
    /// </summary>
    public async Task StartAsync(Func<ForwarderConfig, ForwarderConfig>? configure = null, ISqsGateway? sqs = null, bool waitForSync = true, HttpMessageHandler? kubernetesHandler = null)
    {
        var config = new ForwarderConfig
        {
            QueueUrl = QueueUrl,
            ApiServer = new Uri(Api.Url),
            Debounce = TimeSpan.FromMilliseconds(200),
            HttpPort = 0,
            WatchIdleTimeout = TimeSpan.FromSeconds(10),
            ShutdownFlush = TimeSpan.FromSeconds(10),
            ListPageSize = 100,
        };
        config = configure?.Invoke(config) ?? config;
        Host = new ForwarderHost(config, sqs ?? Recording, JsonLog.None, kubernetesHandler, Time);
        _run = Host.RunAsync(_stop.Token);
        if (waitForSync)
            await Host.Synced.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Stops the forwarder (SIGTERM path: flush, then return).</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
            await _run.WaitAsync(TimeSpan.FromSeconds(30));
        _run = null;
    }

    /// <summary>
    /// Runs the forwarder's clock until it is quiet — it has seen everything the API server has (every watch is at
    /// the server's resourceVersion, which its bookmarks report), nothing waits or is in flight, and the queue had
    /// nothing more after that — then returns every message received so far. Fails after <paramref name="timeout"/>
    /// of real time.
    /// </summary>
    public async Task<IReadOnlyList<Received>> DrainAsync(TimeSpan? timeout = null)
    {
        await RunUntilAsync(null, timeout ?? TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        return [.. _received];
    }

    /// <summary>The messages received since the last call (drains first).</summary>
    public async Task<IReadOnlyList<Received>> NewMessagesAsync()
    {
        var before = _received.Count;
        var all = await DrainAsync();
        return [.. all.Skip(before)];
    }

    /// <summary>Runs the forwarder's clock (see <see cref="DrainAsync"/>) until <paramref name="condition"/> holds; fails after <paramref name="timeout"/> of real time.</summary>
    public Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null) => RunUntilAsync(condition, timeout ?? TimeSpan.FromSeconds(60));

    /// <summary>Whether every reflector has seen the API server's current resourceVersion (kinds not served aside).</summary>
    public bool CaughtUp()
    {
        var current = Api.ResourceVersion;
        return Host.Reflectors.All(r => r.KindMissing || (long.TryParse(r.ResourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var seen) && seen >= current));
    }

    /// <summary>
    /// The loop behind <see cref="DrainAsync"/> and <see cref="WaitUntilAsync"/>: reads the queue; moves the clock to
    /// the next key's due time once every change made so far has reached the buffer (or during the first sync, whose
    /// keys may fill it); and when the forwarder has not caught up and shows no progress for a while (it waits
    /// on the clock: a backoff, an idle timeout), moves the clock a step.
    /// </summary>
    private async Task RunUntilAsync(Func<bool>? condition, TimeSpan timeout)
    {
        var giveUp = DateTime.UtcNow + timeout;
        var lastProgress = Progress();
        var lastProgressAt = DateTime.UtcNow;
        while (DateTime.UtcNow < giveUp)
        {
            if (condition?.Invoke() == true)
                return;
            var quiet = condition is null && (Host is null || (Host.Buffer.IsIdle && CaughtUp()));
            var batch = await Sqs.ReceiveAsync(QueueUrl, new SqsReceiveOptions { MaxMessages = 10, VisibilityTimeout = TimeSpan.FromSeconds(60) });
            if (batch.Count > 0)
            {
                foreach (var m in batch)
                    _received.Add(new Received(QueueMessage.Parse(m.Body), m.MessageGroupId!, m.MessageDeduplicationId!, m.SentTimestamp!.Value));
                await Sqs.DeleteBatchAsync(QueueUrl, [.. batch.Select((m, i) => new SqsReceipt(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle))]);
                continue;
            }
            if (quiet)
                return;
            if (Host is null)
                continue;
            if (Host.Buffer.UntilNextDue is { } due && due > TimeSpan.Zero && (CaughtUp() || !Host.Synced.IsCompleted))
            {
                Time.Advance(due);
                continue;
            }
            var progress = Progress();
            if (progress != lastProgress)
            {
                lastProgress = progress;
                lastProgressAt = DateTime.UtcNow;
            }
            else if (DateTime.UtcNow - lastProgressAt > StallGrace)
            {
                Time.Advance(ClockStep);
                lastProgressAt = DateTime.UtcNow;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException(condition is null
            ? $"forwarder not quiet; {_received.Count} messages so far, {Host?.Buffer.Count} pending, caught up: {Host is not null && CaughtUp()}"
            : $"condition not reached; {_received.Count} messages so far, {Host?.Buffer.Count} pending");
    }

    /// <summary>How long the forwarder may show no progress before the clock moves a step.</summary>
    private static readonly TimeSpan StallGrace = TimeSpan.FromMilliseconds(300);

    /// <summary>The step the clock moves when the forwarder waits on it.</summary>
    private static readonly TimeSpan ClockStep = TimeSpan.FromMilliseconds(250);

    private string Progress() => Host is null
        ? ""
        : string.Join(",", Host.Reflectors.Select(static r => r.ResourceVersion)) + $"|{Host.Buffer.Count}|{Host.Metrics.KeysSent}|{Recording.Calls}|{Api.ResourceVersion}|{_received.Count}";

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Host?.Dispose();
        _stop.Dispose();
        Sqs.Dispose();
        await Api.DisposeAsync();
    }

    // ------------------------------------------------------------ objects

    public static JsonObject Ingress(string ns, string name, string? group = null, string? className = "alb", string[]? finalizers = null)
    {
        var annotations = new JsonObject();
        if (group is not null)
            annotations["alb.ingress.kubernetes.io/group.name"] = group;
        var spec = new JsonObject { ["rules"] = JsonNode.Parse("""[{"http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]""") };
        if (className is not null)
            spec["ingressClassName"] = className;
        return new JsonObject
        {
            ["apiVersion"] = "networking.k8s.io/v1",
            ["kind"] = "Ingress",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = ns,
                ["annotations"] = annotations,
                ["finalizers"] = new JsonArray([.. (finalizers ?? []).Select(static f => (JsonNode)JsonValue.Create(f))]),
            },
            ["spec"] = spec,
        };
    }

    public static JsonObject IngressClass(string name, string controller = "ingress.k8s.aws/alb", string? parameters = null) => new()
    {
        ["apiVersion"] = "networking.k8s.io/v1",
        ["kind"] = "IngressClass",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = parameters is null
            ? new JsonObject { ["controller"] = controller }
            : new JsonObject { ["controller"] = controller, ["parameters"] = new JsonObject { ["apiGroup"] = "elbv2.k8s.aws", ["kind"] = "IngressClassParams", ["name"] = parameters } },
    };

    public static JsonObject Service(string ns, string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Service",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["spec"] = JsonNode.Parse("""{"type":"NodePort","ports":[{"port":80,"targetPort":8080,"nodePort":30080}]}"""),
    };

    public static JsonObject EndpointSlice(string ns, string name, string service, string ip = "10.0.0.1") => new()
    {
        ["apiVersion"] = "discovery.k8s.io/v1",
        ["kind"] = "EndpointSlice",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = service } },
        ["addressType"] = "IPv4",
        ["endpoints"] = new JsonArray(new JsonObject { ["addresses"] = new JsonArray(ip), ["conditions"] = new JsonObject { ["ready"] = true } }),
    };

    public static JsonObject Node(string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Node",
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["kubernetes.io/hostname"] = name } },
        ["spec"] = new JsonObject { ["providerID"] = "aws:///us-east-1a/i-" + name },
        ["status"] = JsonNode.Parse("""{"conditions":[{"type":"Ready","status":"True","lastHeartbeatTime":"2026-01-01T00:00:00Z"}],"allocatable":{"cpu":"2"},"images":[]}"""),
    };
}

/// <summary>An <see cref="ISqsGateway"/> that records every entry SQS accepted (key and time) and can fail on demand.</summary>
public sealed class RecordingSqs(ISqsGateway inner) : ISqsGateway
{
    private int _failCalls;

    public ConcurrentQueue<(string Key, string DedupId, DateTime At)> Accepted { get; } = new();

    public int Calls;

    /// <summary>The next <paramref name="calls"/> SendBatch calls throw.</summary>
    public void FailNextCalls(int calls) => _failCalls = calls;

    /// <summary>Entries whose key matches are reported failed by the next calls while this returns true.</summary>
    public Func<string, bool> RejectEntry { get; set; } = static _ => false;

    public async Task<SqsBatchResult> SendBatchAsync(string queueUrl, IReadOnlyList<SqsOutgoingMessage> messages, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Calls);
        if (Interlocked.Decrement(ref _failCalls) >= 0)
            throw new HttpRequestException("injected: connection reset");
        var rejected = messages.Where(m => RejectEntry(QueueMessage.Parse(m.Body).Key.ToString())).ToList();
        var result = await inner.SendBatchAsync(queueUrl, [.. messages.Except(rejected)], cancellationToken);
        var ids = result.Succeeded.Select(static s => s.Id).ToHashSet();
        foreach (var m in messages.Where(m => ids.Contains(m.Id)))
            Accepted.Enqueue((QueueMessage.Parse(m.Body).Key.ToString(), m.MessageDeduplicationId!, DateTime.UtcNow));
        return new SqsBatchResult(result.Succeeded, [.. result.Failed, .. rejected.Select(static m => new SqsBatchFailure(m.Id, "InternalError", "injected", false))]);
    }

    public Task<string> GetQueueUrlAsync(string queueName, CancellationToken cancellationToken = default) => inner.GetQueueUrlAsync(queueName, cancellationToken);

    public Task<string> CreateQueueAsync(SqsQueueSpec spec, CancellationToken cancellationToken = default) => inner.CreateQueueAsync(spec, cancellationToken);

    public Task<SqsSendResult> SendAsync(string queueUrl, SqsOutgoingMessage message, CancellationToken cancellationToken = default) => inner.SendAsync(queueUrl, message, cancellationToken);

    public Task<IReadOnlyList<SqsMessage>> ReceiveAsync(string queueUrl, SqsReceiveOptions options, CancellationToken cancellationToken = default) => inner.ReceiveAsync(queueUrl, options, cancellationToken);

    public Task DeleteAsync(string queueUrl, string receiptHandle, CancellationToken cancellationToken = default) => inner.DeleteAsync(queueUrl, receiptHandle, cancellationToken);

    public Task<SqsBatchResult> DeleteBatchAsync(string queueUrl, IReadOnlyList<SqsReceipt> receipts, CancellationToken cancellationToken = default) => inner.DeleteBatchAsync(queueUrl, receipts, cancellationToken);

    public Task ChangeVisibilityAsync(string queueUrl, string receiptHandle, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default) => inner.ChangeVisibilityAsync(queueUrl, receiptHandle, visibilityTimeout, cancellationToken);

    public Task<SqsBatchResult> ChangeVisibilityBatchAsync(string queueUrl, IReadOnlyList<SqsVisibilityChange> changes, CancellationToken cancellationToken = default) => inner.ChangeVisibilityBatchAsync(queueUrl, changes, cancellationToken);

    public Task<SqsQueueAttributes> GetQueueAttributesAsync(string queueUrl, CancellationToken cancellationToken = default) => inner.GetQueueAttributesAsync(queueUrl, cancellationToken);
}
