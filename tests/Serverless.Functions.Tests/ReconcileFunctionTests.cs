using System.Text;
using System.Text.Json;
using Serverless.Aws.Sqs;
using Serverless.Deploy;
using Serverless.Lambda;
using Serverless.Lambda.Events;
using Serverless.Messages;
using Serverless.Testing;

namespace Serverless.Functions.Tests;

/// <summary>
/// A reconciler that answers from a script and records what it was asked; Ingress group keys are its stack keys, and
/// it resolves Service and Node keys to the stack keys in <see cref="FanOut"/>.
/// </summary>
public sealed class ScriptedReconciler(Func<QueueKey, ReconcileResult>? script = null, Action? onCall = null) : IKeyReconciler, IKeyFanOut
{
    private readonly List<(QueueKey Key, ReconcileMode Mode)> _calls = [];

    /// <summary>The stack keys each fan-out key affects (absent: none).</summary>
    public Dictionary<QueueKey, IReadOnlyList<QueueKey>> FanOut { get; } = [];

    /// <summary>How many times fan-out keys were resolved (once per batch that has any).</summary>
    public int Resolutions { get; private set; }

    public bool Reconciles(QueueKey key) => key.Kind == QueueKeyKind.IngressGroup;

    public Task<IReadOnlyDictionary<QueueKey, IReadOnlyList<QueueKey>>> ResolveAsync(IReadOnlyList<QueueKey> keys, CancellationToken cancellationToken)
    {
        Resolutions++;
        return Task.FromResult<IReadOnlyDictionary<QueueKey, IReadOnlyList<QueueKey>>>(keys.ToDictionary(k => k, k => FanOut.GetValueOrDefault(k) ?? []));
    }

    public IReadOnlyList<(QueueKey Key, ReconcileMode Mode)> Calls
    {
        get
        {
            lock (_calls)
                return [.. _calls];
        }
    }

    public Task<ReconcileResult> ReconcileAsync(QueueKey key, ReconcileMode mode, CancellationToken cancellationToken)
    {
        lock (_calls)
            _calls.Add((key, mode));
        onCall?.Invoke();
        return Task.FromResult(script?.Invoke(key) ?? ReconcileResult.Done);
    }
}

/// <summary>The reconcile function on SQS event JSON of the shape AWS documents for FIFO queues.</summary>
public sealed class ReconcileFunctionTests
{
    private const string QueueArn = "arn:aws:sqs:us-east-1:123456789012:controller.fifo";

    /// <summary>One record as Lambda delivers it from a FIFO queue.</summary>
    internal static SqsRecord Record(string messageId, string body, string? group = null, int receiveCount = 1) => new()
    {
        MessageId = messageId,
        ReceiptHandle = "AQEB" + messageId,
        Body = body,
        Attributes = new Dictionary<string, string>
        {
            ["ApproximateReceiveCount"] = receiveCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SentTimestamp"] = "1573251510774",
            ["SequenceNumber"] = "18849496460467696128",
            ["MessageGroupId"] = group ?? QueueMessage.Parse(body).Key.MessageGroupId,
            ["SenderId"] = "AIDAIO23YVJENQZJOL4VO",
            ["MessageDeduplicationId"] = messageId,
            ["ApproximateFirstReceiveTimestamp"] = "1573251510774",
        },
        Md5OfBody = "e4e68fb7bd0e697a0ae8f1bb342846b3",
        EventSource = "aws:sqs",
        EventSourceArn = QueueArn,
        AwsRegion = "us-east-1",
    };

    internal static string Body(string group, QueueMessageOrigin origin = QueueMessageOrigin.Forwarder) =>
        new QueueMessage(QueueKey.IngressGroup(group), origin, "4711").ToJson();

    private static async Task<(List<string> Failed, CapturedOutput Output)> RunAsync(
        ScriptedReconciler reconciler, IEnumerable<SqsRecord> records, TimeProvider? time = null, TimeSpan? timeLeft = null, ReconcileOptions? options = null, ISqsGateway? sqs = null)
    {
        var output = new CapturedOutput();
        var context = TestContext.Create(output, time);
        var function = new ReconcileFunction(reconciler, reconciler, sqs ?? new ThrowingSqsGateway(), options ?? new ReconcileOptions(), context);
        var json = JsonSerializer.Serialize(new SqsEvent { Records = [.. records] }, LambdaJsonContext.Default.SqsEvent);
        var answer = await function.InvokeAsync(TestContext.Invocation(json, time, timeLeft), CancellationToken.None);
        var response = JsonSerializer.Deserialize(answer, LambdaJsonContext.Default.SqsBatchResponse)!;
        return ([.. response.BatchItemFailures.Select(f => f.ItemIdentifier)], output);
    }

    [Fact]
    public async Task The_documented_FIFO_sample_event_parses_and_its_non_schema_body_is_a_batch_item_failure_naming_the_field()
    {
        var json = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Events", "sqs-fifo-sample.json"));
        var output = new CapturedOutput();
        var reconciler = new ScriptedReconciler();
        var function = new ReconcileFunction(reconciler, reconciler, new ThrowingSqsGateway(), new ReconcileOptions(), TestContext.Create(output));

        var answer = await function.InvokeAsync(TestContext.Invocation(json), CancellationToken.None);

        Assert.Equal("{\"batchItemFailures\":[{\"itemIdentifier\":\"11d6ee51-4cc7-4302-9e22-7cd8afdaadf5\"}]}", Encoding.UTF8.GetString(answer));
        Assert.Empty(reconciler.Calls);
        var line = Assert.Single(output.Lines, l => l.Contains("malformed queue message", StringComparison.Ordinal));
        using var log = JsonDocument.Parse(line);
        Assert.Equal("body", log.RootElement.GetProperty("field").GetString());
        Assert.Equal("Test message.", log.RootElement.GetProperty("value").GetString());
        Assert.Equal("11d6ee51-4cc7-4302-9e22-7cd8afdaadf5", log.RootElement.GetProperty("messageId").GetString());
    }

    /// <summary>The SenderId <see cref="Record"/> puts on every record.</summary>
    internal const string Sender = "AIDAIO23YVJENQZJOL4VO";

    [Fact]
    public async Task Duplicate_keys_in_a_batch_collapse_to_one_reconcile_of_the_last_message_in_full_mode_when_any_came_from_the_replay()
    {
        var reconciler = new ScriptedReconciler();

        var (failed, output) = await RunAsync(reconciler,
        [
            Record("m1", Body("default/echo")),
            Record("m2", Body("shop")),
            Record("m3", Body("default/echo", QueueMessageOrigin.Replay)),
            Record("m4", Body("default/echo")),
        ], options: new ReconcileOptions { ReplaySenderIds = [Sender] });

        Assert.Empty(failed);
        Assert.Equal(
            [(QueueKey.IngressGroup("shop"), ReconcileMode.Event), (QueueKey.IngressGroup("default/echo"), ReconcileMode.FullDriftCheck)],
            reconciler.Calls);
        var metrics = output.Lines.Single(l => l.Contains("\"_aws\"", StringComparison.Ordinal) && l.Contains("KeysPerBatch", StringComparison.Ordinal));
        using var emf = JsonDocument.Parse(metrics);
        Assert.Equal(2, emf.RootElement.GetProperty("KeysPerBatch").GetInt32());
        Assert.Equal(4, emf.RootElement.GetProperty("MessagesPerBatch").GetInt32());
    }

    [Fact]
    public async Task When_the_kept_message_of_a_key_fails_its_earlier_duplicates_fail_with_it()
    {
        var reconciler = new ScriptedReconciler(key => key.Name == "default/echo" ? ReconcileResult.Failed("LB quota") : ReconcileResult.Done);

        var (failed, _) = await RunAsync(reconciler, [Record("m1", Body("default/echo")), Record("m2", Body("shop")), Record("m3", Body("default/echo"))]);

        Assert.Equal(["m1", "m3"], failed);
        Assert.Equal(2, reconciler.Calls.Count);
    }

    [Fact]
    public async Task A_failure_fails_every_message_of_its_key_and_other_keys_are_reconciled()
    {
        var reconciler = new ScriptedReconciler(key => key.Name == "a" ? ReconcileResult.Failed("boom") : ReconcileResult.Done);

        var (failed, _) = await RunAsync(reconciler,
        [
            Record("m1", Body("a")),
            Record("m2", Body("b")),
            Record("m3", Body("a")),
            Record("m4", Body("d")),
        ]);

        Assert.Equal(["m1", "m3"], failed);
        Assert.Equal(["ingress-group:b", "ingress-group:a", "ingress-group:d"], reconciler.Calls.Select(c => c.Key.ToString()));
    }

    [Fact]
    public async Task A_message_whose_message_group_is_not_its_key_is_dropped_logged_and_counted_and_never_reconciled()
    {
        var reconciler = new ScriptedReconciler();

        var (failed, output) = await RunAsync(reconciler, [Record("m1", Body("shop"), group: "ingress-group:other"), Record("m2", Body("b"))]);

        Assert.Empty(failed); // dropped: deleted, not retried
        Assert.Equal(["ingress-group:b"], reconciler.Calls.Select(c => c.Key.ToString()));
        Assert.Contains(output.Lines, l => l.Contains("wrong message group", StringComparison.Ordinal) && l.Contains("\"messageGroupId\":\"ingress-group:other\"", StringComparison.Ordinal));
        using var emf = JsonDocument.Parse(output.Lines.Single(l => l.Contains("MisroutedMessages", StringComparison.Ordinal)));
        Assert.Equal(1, emf.RootElement.GetProperty("MisroutedMessages").GetInt32());
    }

    [Fact]
    public async Task Only_the_replay_sender_gets_a_full_drift_check_a_body_claiming_the_replay_from_another_sender_is_an_event()
    {
        var reconciler = new ScriptedReconciler();

        var (_, output) = await RunAsync(reconciler, [Record("m1", Body("shop", QueueMessageOrigin.Replay))],
            options: new ReconcileOptions { ReplaySenderIds = ["AROAEXAMPLEROLEID:stack-replay"] });

        Assert.Equal([(QueueKey.IngressGroup("shop"), ReconcileMode.Event)], reconciler.Calls);
        Assert.Contains(output.Lines, l => l.Contains("claims to come from the replay", StringComparison.Ordinal) && l.Contains(Sender, StringComparison.Ordinal));
        using var emf = JsonDocument.Parse(output.Lines.Single(l => l.Contains("UntrustedReplayClaims", StringComparison.Ordinal)));
        Assert.Equal(1, emf.RootElement.GetProperty("UntrustedReplayClaims").GetInt32());

        // Without any configured replay sender nobody is trusted.
        var strict = new ScriptedReconciler();
        await RunAsync(strict, [Record("m1", Body("shop", QueueMessageOrigin.Replay))]);
        Assert.Equal([(QueueKey.IngressGroup("shop"), ReconcileMode.Event)], strict.Calls);
    }

    private static string KeyBody(QueueKey key) => new QueueMessage(key, QueueMessageOrigin.Forwarder, "4711").ToJson();

    /// <summary>An SQS stand-in that records SendMessageBatch calls and fails the entries a test names.</summary>
    private sealed class RecordingSqs(Func<SqsOutgoingMessage, bool>? fail = null) : ThrowingSqsGateway
    {
        public List<(string Queue, List<SqsOutgoingMessage> Messages)> Batches { get; } = [];

        public override Task<SqsBatchResult> SendBatchAsync(string queueUrl, IReadOnlyList<SqsOutgoingMessage> messages, CancellationToken cancellationToken = default)
        {
            Batches.Add((queueUrl, [.. messages]));
            var failed = messages.Where(m => fail?.Invoke(m) == true).ToList();
            return Task.FromResult(new SqsBatchResult(
                [.. messages.Except(failed).Select(m => new SqsBatchSuccess(m.Id))],
                [.. failed.Select(m => new SqsBatchFailure(m.Id, "InternalError", "injected", false))]));
        }
    }

    [Fact]
    public async Task A_Service_key_and_its_group_key_in_one_batch_reconcile_the_group_once_and_enqueue_only_the_groups_not_in_the_batch()
    {
        var reconciler = new ScriptedReconciler();
        var service = QueueKey.Service("default", "web");
        var node = QueueKey.Node("ip-10-0-1-1.ec2.internal");
        reconciler.FanOut[service] = [QueueKey.IngressGroup("shop"), QueueKey.IngressGroup("default/other")];
        reconciler.FanOut[node] = [QueueKey.IngressGroup("shop"), QueueKey.IngressGroup("default/other"), QueueKey.IngressGroup("team-a")];
        var sqs = new RecordingSqs();

        var (failed, output) = await RunAsync(reconciler,
            [Record("m1", KeyBody(service)), Record("m2", Body("shop")), Record("m3", KeyBody(node)), Record("m4", Body("shop"))],
            options: new ReconcileOptions { QueueUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/controller.fifo" }, sqs: sqs);

        Assert.Empty(failed);
        // The group is reconciled once, under its own message group; the Service and Node keys are never reconciled inline.
        Assert.Equal([(QueueKey.IngressGroup("shop"), ReconcileMode.Event)], reconciler.Calls);
        Assert.Equal(1, reconciler.Resolutions);
        // The groups not in the batch are enqueued once each, in one SendMessageBatch, each under its own message group.
        var batch = Assert.Single(sqs.Batches);
        Assert.Equal(
            [("ingress-group:default/other", "ingress-group:default/other"), ("ingress-group:team-a", "ingress-group:team-a")],
            batch.Messages.Select(m => (QueueMessage.Parse(m.Body).Key.ToString(), m.MessageGroupId!)).Order());
        Assert.All(batch.Messages, m => Assert.NotNull(m.MessageDeduplicationId));
        Assert.All(batch.Messages, m => Assert.Equal(QueueMessageOrigin.Forwarder, QueueMessage.Parse(m.Body).Origin));
        using var emf = JsonDocument.Parse(output.Lines.Single(l => l.Contains("FannedOutKeys", StringComparison.Ordinal)));
        Assert.Equal(2, emf.RootElement.GetProperty("FannedOutKeys").GetInt32());
    }

    [Fact]
    public async Task A_fan_out_that_cannot_be_enqueued_fails_its_Service_message_so_it_comes_back()
    {
        var reconciler = new ScriptedReconciler();
        var service = QueueKey.Service("default", "web");
        var other = QueueKey.Service("default", "api");
        reconciler.FanOut[service] = [QueueKey.IngressGroup("shop")];
        reconciler.FanOut[other] = [QueueKey.IngressGroup("team-a")];
        var sqs = new RecordingSqs(fail: m => m.MessageGroupId == "ingress-group:shop");

        var (failed, _) = await RunAsync(reconciler, [Record("m1", KeyBody(service)), Record("m2", KeyBody(other))],
            options: new ReconcileOptions { QueueUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/controller.fifo" }, sqs: sqs);

        Assert.Equal(["m1"], failed);
        Assert.Empty(reconciler.Calls);
    }

    [Fact]
    public async Task A_reconciler_exception_is_a_retry_of_that_message_not_a_failed_batch()
    {
        var reconciler = new ScriptedReconciler(key => key.Name == "a" ? throw new InvalidOperationException("kube API down") : ReconcileResult.Done);

        var (failed, output) = await RunAsync(reconciler, [Record("m1", Body("a")), Record("m2", Body("b"))]);

        Assert.Equal(["m1"], failed);
        Assert.Contains(output.Lines, l => l.Contains("kube API down", StringComparison.Ordinal) && l.Contains("ingress-group:a", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_malformed_message_is_logged_with_field_and_value_and_fails_alone_while_the_others_succeed()
    {
        var reconciler = new ScriptedReconciler();
        var bad = "{\"version\":1,\"key\":{\"kind\":\"pod\",\"name\":\"x\"},\"origin\":\"forwarder\"}";

        var (failed, output) = await RunAsync(reconciler, [Record("m1", bad, group: "pod:x"), Record("m2", Body("b"))]);

        Assert.Equal(["m1"], failed);
        Assert.Single(reconciler.Calls);
        Assert.Contains(output.Lines, l => l.Contains("\"field\":\"key.kind\"", StringComparison.Ordinal) && l.Contains("\"value\":\"pod\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Near_the_deadline_no_new_key_starts_and_the_rest_of_the_batch_is_reported_failed()
    {
        var time = new ManualTime(DateTimeOffset.Parse("2026-11-23T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        // Each reconcile takes 30 s of the 70 s left; the margin is 20 s: two run, then 10 s are left.
        var reconciler = new ScriptedReconciler(onCall: () => time.Advance(TimeSpan.FromSeconds(30)));

        var (failed, output) = await RunAsync(reconciler,
            [Record("m1", Body("a")), Record("m2", Body("b")), Record("m3", Body("c")), Record("m4", Body("d"))],
            time, TimeSpan.FromSeconds(70), new ReconcileOptions { DeadlineMargin = TimeSpan.FromSeconds(20) });

        Assert.Equal(["m3", "m4"], failed);
        Assert.Equal(2, reconciler.Calls.Count);
        Assert.Contains(output.Lines, l => l.Contains("\"skippedForDeadline\":2", StringComparison.Ordinal));
    }
}
