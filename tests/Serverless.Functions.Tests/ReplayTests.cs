using Serverless.Testing;
using System.Globalization;
using System.Text.Json;
using Serverless.Aws.Sqs;
using Serverless.Lambda;
using Serverless.LocalHost;
using Serverless.Messages;

namespace Serverless.Functions.Tests;

/// <summary>The replay plan's budget math.</summary>
public sealed class ReplayPlanTests
{
    private static readonly DateTimeOffset Noon = DateTimeOffset.Parse("2026-11-23T12:00:00Z", CultureInfo.InvariantCulture);

    private static List<QueueKey> Keys(int n) => [.. Enumerable.Range(0, n).Select(i => QueueKey.IngressGroup($"ns/app{i:D4}"))];

    [Fact]
    public void Few_keys_are_all_enqueued_evenly_spread_over_the_interval()
    {
        var (items, deferred, window) = ReplayPlan.Compute(Keys(4), Noon, TimeSpan.FromMinutes(10), new ReplayBudget());

        Assert.Equal(0, deferred);
        Assert.Equal(TimeSpan.FromSeconds(600), window);
        Assert.Equal([0, 150, 300, 450], items.Select(i => (int)i.Delay.TotalSeconds));
    }

    [Fact]
    public void More_keys_than_the_budget_share_allows_are_rotated_so_every_key_is_covered_within_ceil_N_over_K_windows()
    {
        // 10 Describe/s × 0.2 ÷ 12 per key × 600 s = 100 keys per window.
        var keys = Keys(250);
        var interval = TimeSpan.FromMinutes(10);
        var seen = new HashSet<QueueKey>();
        for (var w = 0; w < 3; w++)
        {
            var (items, deferred, _) = ReplayPlan.Compute(keys, Noon + (interval * w), interval, new ReplayBudget());
            Assert.Equal(100, items.Count);
            Assert.Equal(150, deferred);
            Assert.Equal(6, (int)items[1].Delay.TotalSeconds);
            // The replay's Describe rate stays within the share: 100 keys × 12 calls ÷ 600 s = 2/s = 10/s × 0.2.
            Assert.True(items.Count * 12 / 600.0 <= 10 * 0.2);
            seen.UnionWith(items.Select(i => i.Key));
        }
        Assert.Equal(250, seen.Count);
    }

    [Fact]
    public void The_spread_never_exceeds_SQS_s_900_second_delay_limit()
    {
        var (items, _, window) = ReplayPlan.Compute(Keys(10), Noon, TimeSpan.FromHours(1), new ReplayBudget());

        Assert.Equal(TimeSpan.FromSeconds(900), window);
        Assert.All(items, i => Assert.True(i.Delay < TimeSpan.FromSeconds(900)));
    }

    [Fact]
    public void Runs_in_the_same_window_share_deduplication_ids_and_the_next_window_does_not()
    {
        var key = QueueKey.IngressGroup("default/echo");
        var interval = TimeSpan.FromMinutes(10);
        var a = ReplayPlan.DeduplicationId(key, ReplayPlan.WindowStart(Noon.AddSeconds(5), interval));
        var b = ReplayPlan.DeduplicationId(key, ReplayPlan.WindowStart(Noon.AddSeconds(590), interval));
        var c = ReplayPlan.DeduplicationId(key, ReplayPlan.WindowStart(Noon.AddSeconds(600), interval));

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }
}

/// <summary>The replay function against moto SQS (FIFO queue, standard relay queue, FIFO DLQ).</summary>
[Collection(MotoCollection.Name)]
public sealed class ReplayFunctionTests(MotoFixture fixture) : MotoTest(fixture)
{
    private sealed class FixedKeys(params string[] groups) : IClusterKeySource, IClusterStacks
    {
        public int Sweeps { get; private set; }

        public Task<SharedSweep> SweepSharedAsync(CancellationToken cancellationToken)
        {
            Sweeps++;
            return Task.FromResult(new SharedSweep(0, "absent"));
        }

        public string[] Stacks { get; init; } = [];

        public Task<ClusterGroups> ListGroupKeysAsync(CancellationToken cancellationToken) =>
            Task.FromResult(new ClusterGroups([.. groups.Select(QueueKey.IngressGroup)]) { ClassProblem = static _ => null });

        // Every listed stack has one load balancer, absent for a day: each orphan passes every guard.
        public Task<IReadOnlyList<StackOnAws>> ListStacksAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<StackOnAws>>([.. Stacks.Select(s => new StackOnAws(s,
                [new StackLoadBalancer("arn:" + s, "k8s-" + s, new Dictionary<string, string> { [Deploy.DeployTags.AbsentSince] = "2000-01-01T00:00:00Z" })], 1, 1))]);

        public Task MarkAbsentAsync(IReadOnlyList<string> loadBalancerArns, DateTimeOffset since, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("every stack here is marked already");

        public Task ClearAbsentAsync(IReadOnlyList<string> loadBalancerArns, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<bool> IsDeletionProtectedAsync(string loadBalancerArn, CancellationToken cancellationToken) => Task.FromResult(false);
    }

    private async Task<(SqsGateway Sqs, string Queue, string Relay, string Dlq)> QueuesAsync()
    {
        var sqs = SqsGateway.Create(Moto.ClientOptions());
        var queue = await sqs.CreateQueueAsync(new SqsQueueSpec("controller.fifo"));
        var relay = await sqs.CreateQueueAsync(new SqsQueueSpec("controller-relay"));
        var dlq = await sqs.CreateQueueAsync(new SqsQueueSpec("controller-dlq.fifo"));
        return (sqs, queue, relay, dlq);
    }

    private static async Task<List<QueueMessage>> DrainAsync(ISqsGateway sqs, string queue)
    {
        var all = new List<QueueMessage>();
        while (true)
        {
            var batch = await sqs.ReceiveAsync(queue, new SqsReceiveOptions { VisibilityTimeout = TimeSpan.FromMinutes(5) });
            if (batch.Count == 0)
                return all;
            all.AddRange(batch.Select(m => QueueMessage.Parse(m.Body)));
        }
    }

    [Fact]
    public async Task A_scheduled_replay_enqueues_every_group_and_orphaned_stack_once_even_when_it_runs_twice_in_the_window()
    {
        var (sqs, queue, relay, _) = await QueuesAsync();
        using var _ = sqs;
        var output = new CapturedOutput();
        var source = new FixedKeys("default/echo", "shop", "team-a") { Stacks = ["shop", "gone/app", "bad name"] };
        var function = new ReplayFunction(source, source, sqs,
            new ReplayOptions { QueueUrl = queue, RelayQueueUrl = relay, Interval = TimeSpan.FromSeconds(4), Budget = new ReplayBudget { DescribeRatePerSecond = 100, Share = 1, DescribesPerKey = 1 } }, TestContext.Create(output));
        var scheduled = LocalFunctionHost.ScheduledEvent(DateTimeOffset.UtcNow);

        var report = JsonSerializer.Deserialize(await function.InvokeAsync(TestContext.Invocation(scheduled), CancellationToken.None), FunctionsJsonContext.Default.ReplayReport)!;
        await function.InvokeAsync(TestContext.Invocation(scheduled), CancellationToken.None);
        // The relay holds the delayed ones (delays 1, 2, 3 s, kept by moto on its own clock); forward each as the
        // relay's event source mapping would, until the relay holds nothing, visible, in flight or delayed.
        var relayArn = (await sqs.GetQueueAttributesAsync(relay)).QueueArn;
        var giveUp = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var parked = await sqs.ReceiveAsync(relay, new SqsReceiveOptions { WaitTime = TimeSpan.FromSeconds(1) });
            if (parked.Count > 0)
            {
                var json = JsonSerializer.Serialize(SqsEventBuilder.FromMessages(parked, relayArn), LambdaJsonContext.Default.SqsEvent);
                var forwarded = JsonSerializer.Deserialize(await function.InvokeAsync(TestContext.Invocation(json), CancellationToken.None), LambdaJsonContext.Default.SqsBatchResponse)!;
                Assert.Empty(forwarded.BatchItemFailures);
                await sqs.DeleteBatchAsync(relay, [.. parked.Select((m, i) => new SqsReceipt("x" + i, m.ReceiptHandle))]);
                continue;
            }
            var left = await sqs.GetQueueAttributesAsync(relay);
            if (left.ApproximateNumberOfMessages + left.ApproximateNumberOfMessagesNotVisible + left.ApproximateNumberOfMessagesDelayed == 0)
                break;
            Assert.True(DateTime.UtcNow < giveUp, $"the relay still holds {left.ApproximateNumberOfMessagesDelayed} delayed messages");
        }

        Assert.Equal(3, report.GroupKeys);
        Assert.Equal(1, report.OrphanStacks);
        Assert.Equal(4, report.Enqueued);
        var messages = await DrainAsync(sqs, queue);
        Assert.Equal(["ingress-group:default/echo", "ingress-group:gone/app", "ingress-group:shop", "ingress-group:team-a"], messages.Select(m => m.Key.ToString()).Order(StringComparer.Ordinal));
        Assert.All(messages, m => Assert.Equal(m.Key.Name == "gone/app" ? QueueMessageOrigin.Collect : QueueMessageOrigin.Replay, m.Origin));
        Assert.Contains(output.Lines, l => l.Contains("not garbage-collected", StringComparison.Ordinal) && l.Contains("bad name", StringComparison.Ordinal));
        Assert.Equal(2, source.Sweeps); // each scheduled run sweeps the shared resources; relay batches do not
        Assert.Contains(output.Lines, l => l.Contains("shared resources swept", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_replayed_key_is_reconciled_as_a_full_drift_check()
    {
        var (sqs, queue, _, _) = await QueuesAsync();
        using var _ = sqs;
        var output = new CapturedOutput();
        var context = TestContext.Create(output);
        var source = new FixedKeys("default/echo");
        var replay = new ReplayFunction(source, source, sqs, new ReplayOptions { QueueUrl = queue }, context);
        var reconciler = new ScriptedReconciler();
        // moto stores one fixed SenderId on every message: here it stands for the replay function's.
        var reconcile = new ReconcileFunction(reconciler, reconciler, sqs, new ReconcileOptions { QueueUrl = queue, ReplaySenderIds = ["AIDAIT2UOQQY3AUEKVGXU"] }, context);
        var host = new LocalFunctionHost(reconcile, replay, replay, sqs, queue, context);

        await host.FireReplayAsync(DateTimeOffset.UtcNow, CancellationToken.None);
        var poll = await host.PollOnceAsync(TimeSpan.FromSeconds(1), CancellationToken.None);

        Assert.Equal(new PollResult(1, 1, 0), poll);
        Assert.Equal([(QueueKey.IngressGroup("default/echo"), ReconcileMode.FullDriftCheck)], reconciler.Calls);
    }

    [Fact]
    public async Task RedriveDlq_moves_valid_dead_letters_back_to_the_queue_and_leaves_malformed_ones()
    {
        var (sqs, queue, _, dlq) = await QueuesAsync();
        using var _ = sqs;
        var a = QueueKey.IngressGroup("a");
        var b = QueueKey.Node("ip-10-0-1-1.ec2.internal");
        await sqs.SendBatchAsync(dlq,
        [
            new SqsOutgoingMessage("1", new QueueMessage(a, QueueMessageOrigin.Forwarder).ToJson()) { MessageGroupId = a.MessageGroupId, MessageDeduplicationId = "1" },
            new SqsOutgoingMessage("2", new QueueMessage(b, QueueMessageOrigin.Forwarder).ToJson()) { MessageGroupId = b.MessageGroupId, MessageDeduplicationId = "2" },
            new SqsOutgoingMessage("3", "not json") { MessageGroupId = "junk", MessageDeduplicationId = "3" },
        ]);
        var source = new FixedKeys();
        var function = new ReplayFunction(source, source, sqs, new ReplayOptions { QueueUrl = queue, DeadLetterQueueUrl = dlq }, TestContext.Create(new CapturedOutput()));

        var report = JsonSerializer.Deserialize(await function.InvokeAsync(TestContext.Invocation("{\"redriveDlq\":true}"), CancellationToken.None), FunctionsJsonContext.Default.ReplayReport)!;

        Assert.Equal(2, report.Redriven);
        Assert.Equal(1, report.LeftInDlq);
        Assert.Equal([a, b], (await DrainAsync(sqs, queue)).Select(m => m.Key).OrderBy(k => k.ToString(), StringComparer.Ordinal));
        var dlqAttributes = await sqs.GetQueueAttributesAsync(dlq);
        Assert.Equal(1, dlqAttributes.ApproximateNumberOfMessages + dlqAttributes.ApproximateNumberOfMessagesNotVisible);
        Assert.Equal(0, report.Enqueued);
    }
}
