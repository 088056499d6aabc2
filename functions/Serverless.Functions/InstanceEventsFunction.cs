using System.Text.Json;
using Serverless.Aws.AutoScaling;
using Serverless.Aws.AutoScaling.Model;
using Serverless.Aws.Sqs;
using Serverless.Lambda;
using Serverless.Lambda.Events;

namespace Serverless.Functions;

/// <summary>Configuration of the instance-events function (environment variables in Lambda).</summary>
public sealed record InstanceEventsOptions
{
    /// <summary><c>CLUSTER_NAME</c>: the value of <c>elbv2.k8s.aws/cluster</c>.</summary>
    public required string ClusterName { get; init; }

    /// <summary><c>DRAIN_CHECK_QUEUE_URL</c>: the standard queue of delayed drain checks (consumed by this function).</summary>
    public required string DrainCheckQueueUrl { get; init; }

    /// <summary>
    /// <c>LIFECYCLE_HOOK_NAME</c>: the names of the lifecycle hooks the operator created for the cluster's node groups
    /// (comma-separated). Only an action of one of these hooks is acted on and completed; an action of any other hook
    /// belongs to someone else and is left alone. Empty: no lifecycle action is ever completed.
    /// </summary>
    public IReadOnlySet<string> LifecycleHookNames { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Parses <c>LIFECYCLE_HOOK_NAME</c>: comma-separated names, blanks around them ignored; empty or unset is no name.</summary>
    public static IReadOnlySet<string> ParseHookNames(string? value) =>
        new HashSet<string>((value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);

    /// <summary><c>DRAIN_CHECK_INTERVAL_SECONDS</c>: delay between drain checks (≤ 900 s). Default 20 s.</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>A heartbeat is recorded when the action would expire within this after the next check. Default 30 s.</summary>
    public TimeSpan HeartbeatMargin { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The heartbeat timeout assumed when the hook cannot be described (AWS's default 3600 s).</summary>
    public TimeSpan DefaultHeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(3600);
}

/// <summary>
/// The instance-events function. For an EventBridge event (spot interruption, rebalance recommendation, leaving state
/// change, Health scheduled change, Auto Scaling terminate lifecycle action) it marks the instance's node
/// (<see cref="INodeDrainMarker"/>) and deregisters the instance right away from every instance-mode target group
/// tagged for the cluster. For a lifecycle action it then waits for draining without sleeping: a
/// <see cref="DrainCheck"/> goes to a standard SQS queue with a delay (FIFO queues have no per-message delay; a
/// re-invocation would need an extra API and IAM), and this function consumes that queue: when the instance has left
/// <c>draining</c> in all those target groups, or the largest deregistration delay has passed, it calls
/// <c>CompleteLifecycleAction(CONTINUE)</c>; otherwise it records a heartbeat if the action would expire before the
/// next check, and sends the next check. Only actions of the lifecycle hooks the operator configured
/// (<see cref="InstanceEventsOptions.LifecycleHookNames"/>) are handled: an action of another hook is someone else's,
/// so its instance is neither marked nor deregistered and the action is not completed (the event is logged and ignored).
/// </summary>
public sealed class InstanceEventsFunction(
    ClusterTargetGroups targetGroups,
    IAutoScalingClient autoScaling,
    ISqsGateway sqs,
    INodeDrainMarker marker,
    InstanceEventsOptions options,
    LambdaContext context) : ILambdaFunction
{
    /// <inheritdoc />
    public async Task<byte[]> InvokeAsync(LambdaInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        if (EventSniffer.Kind(invocation.Payload) == EventKind.Sqs)
        {
            var batch = JsonSerializer.Deserialize(invocation.Payload.Span, LambdaJsonContext.Default.SqsEvent)!;
            var response = await HandleChecksAsync(batch, cancellationToken).ConfigureAwait(false);
            return JsonSerializer.SerializeToUtf8Bytes(response, LambdaJsonContext.Default.SqsBatchResponse);
        }
        var e = JsonSerializer.Deserialize(invocation.Payload.Span, LambdaJsonContext.Default.EventBridgeEvent)
            ?? throw new JsonException("not an EventBridge event");
        var report = await HandleEventAsync(e, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.SerializeToUtf8Bytes(report, FunctionsJsonContext.Default.InstanceEventReport);
    }

    /// <summary>Handles one EventBridge event. Throws (so EventBridge's async invoke retries) when marking or deregistering failed.</summary>
    public async Task<InstanceEventReport> HandleEventAsync(EventBridgeEvent e, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(e);
        var log = context.Logger;
        var (instanceEvent, ignored) = InstanceEventParser.Parse(e);
        var report = new InstanceEventReport();
        if (instanceEvent is null)
        {
            log.Info("event ignored", ("detailType", e.DetailType), ("reason", ignored));
            report.Ignored = ignored;
            return report;
        }
        if (instanceEvent.Lifecycle is { } foreign && !options.LifecycleHookNames.Contains(foreign.LifecycleHookName))
        {
            log.Warn("lifecycle action of a hook not configured for this controller left alone",
                ("hook", foreign.LifecycleHookName), ("autoScalingGroup", foreign.AutoScalingGroupName), ("instanceIds", instanceEvent.InstanceIds));
            report.Ignored = "lifecycle hook not configured: " + foreign.LifecycleHookName;
            return report;
        }
        var startedAt = context.Time.GetUtcNow();
        var failures = new List<Exception>();
        IReadOnlyList<string> clusterGroups = await targetGroups.FindInstanceTargetGroupsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var instanceId in instanceEvent.InstanceIds)
        {
            report.Instances.Add(instanceId);
            try
            {
                var mark = await marker.MarkAsync(instanceId, instanceEvent.Reason, cancellationToken).ConfigureAwait(false);
                if (mark.NodeName is { } node)
                    report.Nodes.Add(node);
                log.Info(mark.NodeName is null ? "no node runs this instance" : "node marked", ("instanceId", instanceId), ("node", mark.NodeName), ("changed", mark.Changed), ("reason", instanceEvent.Reason));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.Error("marking the node failed; deregistering anyway", ex, ("instanceId", instanceId));
                failures.Add(ex);
            }
            var deregistered = await targetGroups.DeregisterAsync(instanceId, clusterGroups, cancellationToken).ConfigureAwait(false);
            report.DeregisteredFrom.AddRange(deregistered);
            log.Info("instance deregistered", ("instanceId", instanceId), ("targetGroups", deregistered), ("reason", instanceEvent.Reason));
            context.Metrics.Emit(new Metric(EmfMetrics.Names.TargetsDeregistered, deregistered.Count, MetricUnit.Count));

            if (instanceEvent.Lifecycle is { } action)
            {
                var check = await StartCheckAsync(instanceId, action, deregistered, e.Time ?? startedAt, startedAt, cancellationToken).ConfigureAwait(false);
                report.Lifecycle = await RunCheckAsync(check, cancellationToken).ConfigureAwait(false);
            }
        }
        if (failures.Count > 0)
            throw new AggregateException("some nodes could not be marked (EventBridge retries the event; deregistration is idempotent)", failures);
        return report;
    }

    /// <summary>Handles a batch of drain checks from the drain-check queue (a failed check is retried by the queue).</summary>
    public async Task<SqsBatchResponse> HandleChecksAsync(SqsEvent batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var response = new SqsBatchResponse();
        foreach (var record in batch.Records)
        {
            try
            {
                var check = JsonSerializer.Deserialize(record.Body ?? "", FunctionsJsonContext.Default.DrainCheck)
                    ?? throw new JsonException("empty drain check");
                if (!InstanceEventParser.IsInstanceId(check.InstanceId) || check.LifecycleActionToken.Length == 0)
                    throw new JsonException("drain check without instance id or token");
                if (!options.LifecycleHookNames.Contains(check.LifecycleHookName))
                {
                    context.Logger.Warn("drain check of a hook no longer configured dropped; the action is not completed",
                        ("hook", check.LifecycleHookName), ("instanceId", check.InstanceId));
                    continue;
                }
                await RunCheckAsync(check, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                context.Logger.Error("drain check failed: retried by the queue", ex, ("messageId", record.MessageId));
                response.BatchItemFailures.Add(new SqsBatchItemFailure { ItemIdentifier = record.MessageId });
            }
        }
        return response;
    }

    private async Task<DrainCheck> StartCheckAsync(
        string instanceId, LifecycleAction action, IReadOnlyList<string> deregistered, DateTimeOffset actionStartedAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var heartbeat = options.DefaultHeartbeatTimeout;
        try
        {
            var hooks = await autoScaling.DescribeLifecycleHooksAsync(
                new DescribeLifecycleHooksRequest { AutoScalingGroupName = action.AutoScalingGroupName, LifecycleHookNames = [action.LifecycleHookName] },
                cancellationToken).ConfigureAwait(false);
            if (hooks.LifecycleHooks?.FirstOrDefault()?.HeartbeatTimeout is { } seconds)
                heartbeat = TimeSpan.FromSeconds(seconds);
        }
        catch (AutoScalingException ex)
        {
            context.Logger.Warn("lifecycle hook not described; assuming the default heartbeat timeout", ("hook", action.LifecycleHookName), ("error", ex.Message));
        }
        var maxDelay = await targetGroups.MaxDeregistrationDelayAsync(deregistered, cancellationToken).ConfigureAwait(false);
        return new DrainCheck
        {
            InstanceId = instanceId,
            AutoScalingGroupName = action.AutoScalingGroupName,
            LifecycleHookName = action.LifecycleHookName,
            LifecycleActionToken = action.LifecycleActionToken,
            TargetGroupArns = [.. deregistered],
            StartedAt = now,
            DrainDeadline = now + maxDelay,
            ActionExpiresAt = actionStartedAt + heartbeat,
            HeartbeatTimeoutSeconds = (int)heartbeat.TotalSeconds,
        };
    }

    /// <summary>One drain check: complete, or heartbeat if needed and check again later. Returns what was done.</summary>
    private async Task<string> RunCheckAsync(DrainCheck check, CancellationToken cancellationToken)
    {
        var log = context.Logger;
        var now = context.Time.GetUtcNow();
        check.Checks++;
        var draining = now < check.DrainDeadline
            && await targetGroups.IsDrainingAsync(check.InstanceId, check.TargetGroupArns, cancellationToken).ConfigureAwait(false);
        if (!draining)
        {
            await CompleteAsync(check, cancellationToken).ConfigureAwait(false);
            var latency = now - check.StartedAt;
            context.Metrics.Emit(new Metric(EmfMetrics.Names.DrainLatency, latency.TotalMilliseconds, MetricUnit.Milliseconds));
            log.Info("lifecycle action completed", ("instanceId", check.InstanceId), ("drainMs", latency), ("checks", check.Checks),
                ("deadlineReached", now >= check.DrainDeadline));
            return "completed";
        }
        var interval = options.CheckInterval > ReplayPlan.MaxDelay ? ReplayPlan.MaxDelay : options.CheckInterval;
        if (now + interval + options.HeartbeatMargin >= check.ActionExpiresAt)
        {
            await autoScaling.RecordLifecycleActionHeartbeatAsync(new RecordLifecycleActionHeartbeatRequest
            {
                AutoScalingGroupName = check.AutoScalingGroupName,
                LifecycleHookName = check.LifecycleHookName,
                LifecycleActionToken = check.LifecycleActionToken,
                InstanceId = check.InstanceId,
            }, cancellationToken).ConfigureAwait(false);
            check.ActionExpiresAt = now + TimeSpan.FromSeconds(check.HeartbeatTimeoutSeconds);
            log.Info("lifecycle heartbeat recorded", ("instanceId", check.InstanceId), ("expiresAt", check.ActionExpiresAt));
        }
        var body = JsonSerializer.Serialize(check, FunctionsJsonContext.Default.DrainCheck);
        await sqs.SendAsync(options.DrainCheckQueueUrl, new SqsOutgoingMessage("check", body) { Delay = interval }, cancellationToken).ConfigureAwait(false);
        log.Info("still draining: checking again later", ("instanceId", check.InstanceId), ("inSeconds", (int)interval.TotalSeconds), ("checks", check.Checks));
        return "waiting";
    }

    private async Task CompleteAsync(DrainCheck check, CancellationToken cancellationToken)
    {
        try
        {
            await autoScaling.CompleteLifecycleActionAsync(new CompleteLifecycleActionRequest
            {
                AutoScalingGroupName = check.AutoScalingGroupName,
                LifecycleHookName = check.LifecycleHookName,
                LifecycleActionToken = check.LifecycleActionToken,
                InstanceId = check.InstanceId,
                LifecycleActionResult = "CONTINUE",
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (AutoScalingException ex) when (ex.Is("ValidationError"))
        {
            // "No active Lifecycle Action found": completed by someone else or timed out; nothing left to do.
            context.Logger.Warn("lifecycle action no longer active", ("instanceId", check.InstanceId), ("error", ex.Message));
        }
    }
}
