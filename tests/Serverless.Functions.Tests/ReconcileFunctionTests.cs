using System.Text;
using System.Text.Json;
using Serverless.Aws.Sqs;
using Serverless.Deploy;
using Serverless.Lambda;
using Serverless.Lambda.Events;
using Serverless.Messages;
using Serverless.Testing;

namespace Serverless.Functions.Tests;

/// <summary>A reconciler that answers from a script and records what it was asked.</summary>
public sealed class ScriptedReconciler(Func<QueueKey, ReconcileResult>? script = null, Action? onCall = null) : IKeyReconciler
{
    private readonly List<(QueueKey Key, ReconcileMode Mode)> _calls = [];

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
        IKeyReconciler reconciler, IEnumerable<SqsRecord> records, TimeProvider? time = null, TimeSpan? timeLeft = null, ReconcileOptions? options = null, ISqsGateway? sqs = null)
    {
        var output = new CapturedOutput();
        var context = TestContext.Create(output, time);
        var function = new ReconcileFunction(reconciler, sqs ?? new ThrowingSqsGateway(), options ?? new ReconcileOptions(), context);
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
        var function = new ReconcileFunction(reconciler, new ThrowingSqsGateway(), new ReconcileOptions(), TestContext.Create(output));

        var answer = await function.InvokeAsync(TestContext.Invocation(json), CancellationToken.None);

        Assert.Equal("{\"batchItemFailures\":[{\"itemIdentifier\":\"11d6ee51-4cc7-4302-9e22-7cd8afdaadf5\"}]}", Encoding.UTF8.GetString(answer));
        Assert.Empty(reconciler.Calls);
        var line = Assert.Single(output.Lines, l => l.Contains("malformed queue message", StringComparison.Ordinal));
        using var log = JsonDocument.Parse(line);
        Assert.Equal("body", log.RootElement.GetProperty("field").GetString());
        Assert.Equal("Test message.", log.RootElement.GetProperty("value").GetString());
        Assert.Equal("11d6ee51-4cc7-4302-9e22-7cd8afdaadf5", log.RootElement.GetProperty("messageId").GetString());
    }

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
        ]);

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
    public async Task A_failure_fails_the_rest_of_its_message_group_only_and_other_groups_are_reconciled()
    {
        var reconciler = new ScriptedReconciler(key => key.Name == "a" ? ReconcileResult.Failed("boom") : ReconcileResult.Done);

        var (failed, _) = await RunAsync(reconciler,
        [
            Record("m1", Body("a"), group: "g1"),
            Record("m2", Body("b"), group: "g2"),
            Record("m3", Body("c"), group: "g1"),
            Record("m4", Body("d"), group: "g2"),
        ]);

        Assert.Equal(["m1", "m3"], failed);
        Assert.Equal(["ingress-group:a", "ingress-group:b", "ingress-group:d"], reconciler.Calls.Select(c => c.Key.ToString()));
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
