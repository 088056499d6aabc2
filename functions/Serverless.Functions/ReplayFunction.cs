using System.Text.Json;
using Serverless.Aws.Sqs;
using Serverless.Lambda;
using Serverless.Lambda.Events;
using Serverless.Messages;

namespace Serverless.Functions;

/// <summary>Configuration of the replay function (environment variables in Lambda).</summary>
public sealed record ReplayOptions
{
    /// <summary><c>QUEUE_URL</c>: the FIFO reconcile queue.</summary>
    public required string QueueUrl { get; init; }

    /// <summary><c>DLQ_URL</c>: the FIFO dead-letter queue (redriven on <c>{"redriveDlq":true}</c>). Null: no redrive.</summary>
    public string? DeadLetterQueueUrl { get; init; }

    /// <summary>
    /// <c>RELAY_QUEUE_URL</c>: a standard queue where delayed replay messages wait (FIFO queues reject per-message
    /// delays); this function consumes it and forwards each message into the FIFO queue. Null: every key is sent to
    /// the FIFO queue at once (local runs).
    /// </summary>
    public string? RelayQueueUrl { get; init; }

    /// <summary><c>REPLAY_INTERVAL_SECONDS</c>: the schedule's period (must match <c>ReplaySchedule</c>). Default 10 min.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The Describe budget share (see <see cref="ReplayBudget"/>).</summary>
    public ReplayBudget Budget { get; init; } = new();

    /// <summary>No DLQ receive is started with less than this left before the deadline. Default 10 s.</summary>
    public TimeSpan DeadlineMargin { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>At most this many DLQ messages per invocation. Default 1000.</summary>
    public int MaxRedrive { get; init; } = 1000;

    /// <summary>The guards of the garbage collection of orphaned stacks.</summary>
    public GarbageCollectionOptions GarbageCollection { get; init; } = new();
}

/// <summary>
/// The replay function. Three entry points, told apart by the event:
/// <list type="bullet">
/// <item>EventBridge <c>Scheduled Event</c> (or <c>{"replay":true}</c>): every Ingress group key of the cluster is
/// enqueued with origin <c>replay</c> — reconciled as a full drift check — and the group of every stack tagged for
/// this cluster whose group no longer exists and which passed every guard of <see cref="OrphanCollector"/> with
/// origin <c>collect</c> (reconciling it deletes the stack), spread over the interval within the budget share
/// (<see cref="ReplayPlan"/>). Node keys are not enqueued:
/// a full drift check of a group already re-reads node eligibility and the targets of its target groups, so node keys
/// would only repeat the same Describes.</item>
/// <item><c>{"redriveDlq":true}</c>: every valid message of the DLQ goes back to the FIFO queue (same group, a new
/// deduplication id); malformed ones stay in the DLQ and are counted.</item>
/// <item>An SQS batch from the relay queue: each parked replay message is forwarded into the FIFO queue.</item>
/// </list>
/// </summary>
public sealed class ReplayFunction(
    IClusterKeySource keys,
    IClusterStacks stacks,
    ISqsGateway sqs,
    ReplayOptions options,
    LambdaContext context) : ILambdaFunction
{
    /// <inheritdoc />
    public async Task<byte[]> InvokeAsync(LambdaInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        switch (EventSniffer.Kind(invocation.Payload))
        {
            case EventKind.Sqs:
                var batch = JsonSerializer.Deserialize(invocation.Payload.Span, LambdaJsonContext.Default.SqsEvent)!;
                var relayed = await ForwardRelayedAsync(batch, cancellationToken).ConfigureAwait(false);
                return JsonSerializer.SerializeToUtf8Bytes(relayed, LambdaJsonContext.Default.SqsBatchResponse);
            case EventKind.EventBridge:
                var scheduled = JsonSerializer.Deserialize(invocation.Payload.Span, LambdaJsonContext.Default.EventBridgeEvent)!;
                var at = scheduled.Time ?? context.Time.GetUtcNow();
                var report = await ReplayAsync(at, cancellationToken).ConfigureAwait(false);
                return JsonSerializer.SerializeToUtf8Bytes(report, FunctionsJsonContext.Default.ReplayReport);
            default:
                var request = JsonSerializer.Deserialize(invocation.Payload.Span, FunctionsJsonContext.Default.ReplayRequest) ?? new ReplayRequest();
                var result = new ReplayReport();
                if (request.Replay || !request.RedriveDlq)
                    result = await ReplayAsync(context.Time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                if (request.RedriveDlq)
                    (result.Redriven, result.LeftInDlq) = await RedriveAsync(invocation, cancellationToken).ConfigureAwait(false);
                return JsonSerializer.SerializeToUtf8Bytes(result, FunctionsJsonContext.Default.ReplayReport);
        }
    }

    /// <summary>Enqueues every group key (and orphaned stacks' groups) for the window containing <paramref name="at"/>.</summary>
    public async Task<ReplayReport> ReplayAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        var log = context.Logger;
        var windowStart = ReplayPlan.WindowStart(at, options.Interval);
        var groups = await keys.ListGroupKeysAsync(cancellationToken).ConfigureAwait(false);
        var groupKeys = groups.Keys;
        if (groups.Incomplete is { } incomplete)
            log.Error("the cluster's groups could not be listed completely: the groups found are replayed, no stack is garbage-collected", null, ("reason", incomplete), ("groupsFound", groupKeys.Count));
        var now = context.Time.GetUtcNow();
        var all = await stacks.ListStacksAsync(cancellationToken).ConfigureAwait(false);
        var collection = await new OrphanCollector(stacks, options.GarbageCollection, context).CollectAsync(groups, all, now, cancellationToken).ConfigureAwait(false);
        var collect = collection.Collect.ToHashSet();

        var (items, deferred, window) = ReplayPlan.Compute(groupKeys.Concat(collection.Collect), windowStart, options.Interval, options.Budget);
        var messages = new List<(SqsOutgoingMessage Message, bool Relay)>();
        for (var i = 0; i < items.Count; i++)
        {
            var (key, delay) = items[i];
            var body = new QueueMessage(key, collect.Contains(key) ? QueueMessageOrigin.Collect : QueueMessageOrigin.Replay, ObservedAt: now).ToJson();
            var dedup = ReplayPlan.DeduplicationId(key, windowStart);
            var id = "m" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (delay > TimeSpan.Zero && options.RelayQueueUrl is not null)
            {
                var envelope = JsonSerializer.Serialize(new RelayEnvelope { DeduplicationId = dedup, Body = body }, FunctionsJsonContext.Default.RelayEnvelope);
                messages.Add((new SqsOutgoingMessage(id, envelope) { Delay = delay }, true));
            }
            else
            {
                messages.Add((new SqsOutgoingMessage(id, body) { MessageGroupId = key.MessageGroupId, MessageDeduplicationId = dedup }, false));
            }
        }
        var direct = await SendAsync(options.QueueUrl, [.. messages.Where(static m => !m.Relay).Select(static m => m.Message)], cancellationToken).ConfigureAwait(false);
        var relayed = options.RelayQueueUrl is null
            ? 0
            : await SendAsync(options.RelayQueueUrl, [.. messages.Where(static m => m.Relay).Select(static m => m.Message)], cancellationToken).ConfigureAwait(false);
        var report = new ReplayReport
        {
            Window = windowStart.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            GroupKeys = groupKeys.Count,
            OrphanStacks = collection.Orphans,
            OrphanDeletions = collection.Collect.Count,
            OrphanDeletionsCapped = collection.Capped,
            Incomplete = groups.Incomplete,
            Enqueued = items.Count - direct - relayed,
            Deferred = deferred,
            SpreadSeconds = (int)window.TotalSeconds,
            Failed = direct + relayed,
        };
        context.Metrics.Emit(new Metric(EmfMetrics.Names.ReplayKeys, report.Enqueued, MetricUnit.Count));
        log.Info("replay enqueued", ("window", report.Window), ("groups", report.GroupKeys), ("orphanStacks", report.OrphanStacks), ("orphanDeletions", report.OrphanDeletions),
            ("enqueued", report.Enqueued), ("deferredToLaterWindows", deferred), ("spreadSeconds", report.SpreadSeconds), ("failed", report.Failed));
        try
        {
            // Shared resources no single group reconcile may remove (node SG rules, the backend SG).
            var swept = await stacks.SweepSharedAsync(cancellationToken).ConfigureAwait(false);
            log.Info("shared resources swept", ("revokedNodeRules", swept.RevokedNodeRules), ("backendSecurityGroup", swept.BackendSecurityGroup));
        }
        catch (Exception ex) when (ex is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException)
        {
            log.Warn("sweeping shared resources failed; the next replay tries again", ("error", ex.Message));
        }
        if (report.Failed > 0)
            throw new InvalidOperationException($"{report.Failed} replay messages could not be sent (the schedule retries; deduplication ids keep the sent ones from doubling)");
        return report;
    }

    /// <summary>Forwards parked replay messages from the relay queue into the FIFO queue.</summary>
    public async Task<SqsBatchResponse> ForwardRelayedAsync(SqsEvent batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var response = new SqsBatchResponse();
        var outgoing = new List<SqsOutgoingMessage>();
        var idToMessage = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var record in batch.Records)
        {
            try
            {
                var envelope = JsonSerializer.Deserialize(record.Body ?? "", FunctionsJsonContext.Default.RelayEnvelope)
                    ?? throw new QueueMessageException("body", record.Body, "not a relay envelope");
                var message = QueueMessage.Parse(envelope.Body);
                var id = "r" + outgoing.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
                idToMessage[id] = record.MessageId;
                outgoing.Add(new SqsOutgoingMessage(id, envelope.Body) { MessageGroupId = message.Key.MessageGroupId, MessageDeduplicationId = envelope.DeduplicationId });
            }
            catch (Exception ex) when (ex is QueueMessageException or JsonException)
            {
                context.Logger.Error("malformed relay message: left to the relay queue's DLQ", ex, ("messageId", record.MessageId));
                response.BatchItemFailures.Add(new SqsBatchItemFailure { ItemIdentifier = record.MessageId });
            }
        }
        if (outgoing.Count > 0)
        {
            var result = await sqs.SendBatchAsync(options.QueueUrl, outgoing, cancellationToken).ConfigureAwait(false);
            foreach (var failure in result.Failed)
            {
                context.Logger.Warn("relay forward failed", ("code", failure.Code), ("error", failure.Message));
                response.BatchItemFailures.Add(new SqsBatchItemFailure { ItemIdentifier = idToMessage[failure.Id] });
            }
        }
        return response;
    }

    /// <summary>Moves every valid DLQ message back to the FIFO queue; returns (moved, left behind).</summary>
    public async Task<(int Redriven, int Left)> RedriveAsync(LambdaInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        if (options.DeadLetterQueueUrl is null)
            return (0, 0);
        int redriven = 0, left = 0;
        while (redriven + left < options.MaxRedrive && invocation.RemainingTime(context.Time) > options.DeadlineMargin)
        {
            var received = await sqs.ReceiveAsync(options.DeadLetterQueueUrl, new SqsReceiveOptions { MaxMessages = 10 }, cancellationToken).ConfigureAwait(false);
            if (received.Count == 0)
                break;
            var outgoing = new List<SqsOutgoingMessage>();
            var receipts = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var message in received)
            {
                QueueMessage parsed;
                try
                {
                    parsed = QueueMessage.Parse(message.Body);
                }
                catch (QueueMessageException ex)
                {
                    left++;
                    context.Logger.Warn("malformed message stays in the DLQ", ("messageId", message.MessageId), ("field", ex.Field), ("value", ex.Value), ("reason", ex.Reason));
                    continue;
                }
                var id = "d" + outgoing.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
                receipts[id] = message.ReceiptHandle;
                outgoing.Add(new SqsOutgoingMessage(id, message.Body)
                {
                    MessageGroupId = parsed.Key.MessageGroupId,
                    MessageDeduplicationId = "redrive-" + message.MessageId,
                });
            }
            if (outgoing.Count == 0)
                continue;
            var sent = await sqs.SendBatchAsync(options.QueueUrl, outgoing, cancellationToken).ConfigureAwait(false);
            left += sent.Failed.Count;
            var delete = sent.Succeeded.Select(s => new SqsReceipt(s.Id, receipts[s.Id])).ToList();
            if (delete.Count > 0)
                await sqs.DeleteBatchAsync(options.DeadLetterQueueUrl, delete, cancellationToken).ConfigureAwait(false);
            redriven += delete.Count;
        }
        context.Metrics.Emit(new Metric(EmfMetrics.Names.RedrivenMessages, redriven, MetricUnit.Count));
        context.Logger.Info("DLQ redrive done", ("redriven", redriven), ("leftInDlq", left));
        return (redriven, left);
    }

    /// <summary>Sends messages in batches; returns how many failed.</summary>
    private async Task<int> SendAsync(string queueUrl, IReadOnlyList<SqsOutgoingMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
            return 0;
        var result = await sqs.SendBatchAsync(queueUrl, messages, cancellationToken).ConfigureAwait(false);
        foreach (var failure in result.Failed)
            context.Logger.Warn("replay send failed", ("queue", queueUrl), ("code", failure.Code), ("error", failure.Message));
        return result.Failed.Count;
    }
}
