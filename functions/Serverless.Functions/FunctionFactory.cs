using System.Globalization;
using Serverless.Aws.AutoScaling;
using Serverless.Aws.Core;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.Sqs;
using Serverless.Deploy;
using Serverless.Lambda;
using Serverless.Messages;

namespace Serverless.Functions;

/// <summary>
/// The handlers' seams to Kubernetes and the deployer. The deployed functions use <c>Wiring.LiveSeams</c>;
/// <see cref="Unwired"/> serves handler tests and the local host without a cluster: the reconciler retries every key
/// (so nothing is lost: messages wait in the queue, then the DLQ), the key and stack sources are empty, and the drain
/// marker finds no node — deregistration and lifecycle completion still work.
/// </summary>
public sealed record FunctionSeams(IKeyReconciler Reconciler, IKeyFanOut FanOut, IClusterKeySource Keys, IClusterStacks Stacks, INodeDrainMarker Marker)
{
    /// <summary>Stand-ins for running the handlers without a cluster (tests, the local host without --kubeconfig).</summary>
    public static FunctionSeams Unwired { get; } = new(new UnwiredSeams(), new UnwiredSeams(), new UnwiredSeams(), new UnwiredSeams(), new UnwiredSeams());

    private sealed class UnwiredSeams : IKeyReconciler, IKeyFanOut, IClusterKeySource, IClusterStacks, INodeDrainMarker
    {
        public bool Reconciles(QueueKey key) => true;

        public bool FansOut(QueueKey key) => false;

        public Task<ReconcileResult> ReconcileAsync(QueueKey key, ReconcileMode mode, CancellationToken cancellationToken) =>
            Task.FromResult(ReconcileResult.Failed("no key reconciler is wired into this build"));

        public Task<IReadOnlyDictionary<QueueKey, IReadOnlyList<QueueKey>>> ResolveAsync(IReadOnlyList<QueueKey> keys, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("no key fan-out is wired into this build");

        public Task<ClusterGroups> ListGroupKeysAsync(CancellationToken cancellationToken) =>
            Task.FromResult(new ClusterGroups([]) { Incomplete = "no cluster is wired into this build" });

        public Task<IReadOnlyList<StackOnAws>> ListStacksAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<StackOnAws>>([]);

        public Task MarkAbsentAsync(IReadOnlyList<string> loadBalancerArns, DateTimeOffset since, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("no AWS inventory is wired into this build");

        public Task ClearAbsentAsync(IReadOnlyList<string> loadBalancerArns, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("no AWS inventory is wired into this build");

        public Task<bool> IsDeletionProtectedAsync(string loadBalancerArn, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("no AWS inventory is wired into this build");

        public Task<SharedSweep> SweepSharedAsync(CancellationToken cancellationToken) => Task.FromResult(new SharedSweep(0, "unwired"));

        public Task<NodeMarkResult> MarkAsync(string instanceId, string reason, CancellationToken cancellationToken) => Task.FromResult(new NodeMarkResult(null, false));
    }
}

/// <summary>
/// Builds each function from its environment, once per container: AWS clients (default credential chain, Region and
/// endpoint from the environment), options, seams. Shared by the bootstrap executables and the local host.
/// </summary>
public static class FunctionFactory
{
    /// <summary>Client options for a Lambda container: the SDK's own resolution of Region, endpoint and credentials.</summary>
    public static AwsClientOptions ClientOptions(LambdaContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new AwsClientOptions { Region = context.Environment("AWS_REGION") };
    }

    /// <summary>The reconcile function (<c>QUEUE_URL</c>, <c>DEADLINE_MARGIN_SECONDS</c>, <c>REPLAY_SENDER_ID</c>).</summary>
    public static ReconcileFunction Reconcile(LambdaContext context, FunctionSeams seams, AwsClientOptions? aws = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(seams);
        aws ??= ClientOptions(context);
        var options = new ReconcileOptions
        {
            QueueUrl = context.Environment("QUEUE_URL"),
            DeadlineMargin = context.Seconds("DEADLINE_MARGIN_SECONDS", new ReconcileOptions().DeadlineMargin),
            ReplaySenderIds = (context.Environment("REPLAY_SENDER_ID") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };
        return new ReconcileFunction(seams.Reconciler, seams.FanOut, SqsGateway.Create(aws), options, context, aws.CallRecorder);
    }

    /// <summary>
    /// The garbage collection's guards from <c>GC_MIN_ABSENCE_SECONDS</c> and <c>GC_MAX_DELETIONS</c> (defaults when
    /// unset; a value that is not a non-negative number is an error naming the variable and the value).
    /// </summary>
    public static GarbageCollectionOptions GarbageCollection(LambdaContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var defaults = new GarbageCollectionOptions();
        var absence = defaults.MinAbsence;
        if (context.Environment("GC_MIN_ABSENCE_SECONDS") is { Length: > 0 } absenceText)
        {
            if (!double.TryParse(absenceText, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds < 0 || double.IsInfinity(seconds))
                throw new InvalidOperationException($"GC_MIN_ABSENCE_SECONDS={absenceText}: expected a non-negative number of seconds");
            absence = TimeSpan.FromSeconds(seconds);
        }
        var max = defaults.MaxDeletions;
        if (context.Environment("GC_MAX_DELETIONS") is { Length: > 0 } maxText
            && (!int.TryParse(maxText, NumberStyles.None, CultureInfo.InvariantCulture, out max)))
        {
            throw new InvalidOperationException($"GC_MAX_DELETIONS={maxText}: expected a non-negative integer");
        }
        return new GarbageCollectionOptions { MinAbsence = absence, MaxDeletions = max };
    }

    /// <summary>The replay function (<c>QUEUE_URL</c>, <c>DLQ_URL</c>, <c>RELAY_QUEUE_URL</c>, <c>REPLAY_*</c>, <c>GC_*</c>).</summary>
    public static ReplayFunction Replay(LambdaContext context, FunctionSeams seams, AwsClientOptions? aws = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(seams);
        aws ??= ClientOptions(context);
        var defaults = new ReplayBudget();
        var options = new ReplayOptions
        {
            QueueUrl = context.Required("QUEUE_URL"),
            DeadLetterQueueUrl = context.Environment("DLQ_URL") is { Length: > 0 } dlq ? dlq : null,
            RelayQueueUrl = context.Environment("RELAY_QUEUE_URL") is { Length: > 0 } relay ? relay : null,
            Interval = context.Seconds("REPLAY_INTERVAL_SECONDS", TimeSpan.FromMinutes(10)),
            Budget = new ReplayBudget
            {
                DescribeRatePerSecond = Number(context, "REPLAY_DESCRIBE_RATE", defaults.DescribeRatePerSecond),
                Share = Number(context, "REPLAY_BUDGET_SHARE", defaults.Share),
                DescribesPerKey = Number(context, "REPLAY_DESCRIBES_PER_KEY", defaults.DescribesPerKey),
            },
            GarbageCollection = GarbageCollection(context),
        };
        return new ReplayFunction(seams.Keys, seams.Stacks, SqsGateway.Create(aws), options, context);
    }

    /// <summary>The instance-events function (<c>CLUSTER_NAME</c>, <c>DRAIN_CHECK_QUEUE_URL</c>, <c>DRAIN_CHECK_INTERVAL_SECONDS</c>, <c>LIFECYCLE_HOOK_NAME</c>).</summary>
    public static InstanceEventsFunction InstanceEvents(LambdaContext context, FunctionSeams seams, AwsClientOptions? aws = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(seams);
        aws ??= ClientOptions(context);
        var options = new InstanceEventsOptions
        {
            ClusterName = context.Required("CLUSTER_NAME"),
            DrainCheckQueueUrl = context.Required("DRAIN_CHECK_QUEUE_URL"),
            CheckInterval = context.Seconds("DRAIN_CHECK_INTERVAL_SECONDS", TimeSpan.FromSeconds(20)),
            LifecycleHookNames = InstanceEventsOptions.ParseHookNames(context.Environment("LIFECYCLE_HOOK_NAME")),
        };
        return new InstanceEventsFunction(
            new ClusterTargetGroups(new ElasticLoadBalancingV2Client(aws), options.ClusterName),
            new AutoScalingClient(aws),
            SqsGateway.Create(aws),
            seams.Marker,
            options,
            context);
    }

    private static double Number(LambdaContext context, string name, double fallback) =>
        double.TryParse(context.Environment(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : fallback;
}
