using System.Diagnostics;
using System.Text.Json;
using Serverless.Aws.Core;
using Serverless.Aws.Sqs;
using Serverless.Deploy;
using Serverless.Lambda;
using Serverless.Lambda.Events;
using Serverless.Messages;

namespace Serverless.Functions;

/// <summary>Configuration of the reconcile function (environment variables in Lambda).</summary>
public sealed record ReconcileOptions
{
    /// <summary>
    /// <c>QUEUE_URL</c>: the FIFO queue, for visibility changes of requeued messages. Null: derived from each
    /// record's <c>eventSourceARN</c>.
    /// </summary>
    public string? QueueUrl { get; init; }

    /// <summary>
    /// <c>DEADLINE_MARGIN_SECONDS</c>: no new key is started when less time than this is left before the invocation's
    /// deadline; the remaining messages are reported as failures (they come back after the visibility timeout).
    /// Should exceed the longest single reconcile. Default 20 s.
    /// </summary>
    public TimeSpan DeadlineMargin { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// <c>REPLAY_SENDER_ID</c> (comma-separated): the SQS <c>SenderId</c>s of the replay (for a Lambda function
    /// <c>&lt;role id&gt;:&lt;function name&gt;</c>). Only a message with origin <c>replay</c> sent by one of them is
    /// reconciled as a full drift check; any other sender's claim is an ordinary event (counted and logged). Empty: no
    /// message is trusted with a full drift check.
    /// </summary>
    public IReadOnlyList<string> ReplaySenderIds { get; init; } = [];

    /// <summary>SQS's ceiling on a visibility timeout (12 h): longer requeue delays are clipped to it.</summary>
    public static readonly TimeSpan MaxVisibility = TimeSpan.FromHours(12);
}

/// <summary>
/// The reconcile function: an SQS FIFO batch of key messages in, a partial-batch response out.
/// <list type="bullet">
/// <item>Each body is parsed and validated (<see cref="QueueMessage.Parse"/>). A malformed message is logged with
/// the field and value and reported as a batch item failure, so after the queue's redrive count it lands in the DLQ;
/// it never fails the batch.</item>
/// <item>A message whose FIFO message group is not its key's is logged and dropped (counted): one stack is reconciled
/// by one invocation at a time only because its messages share one message group.</item>
/// <item>Only the replay's own messages (origin <c>replay</c> and a trusted <c>SenderId</c>, see
/// <see cref="ReconcileOptions.ReplaySenderIds"/>) make a <see cref="ReconcileMode.FullDriftCheck"/>, and only its
/// origin <c>collect</c> a <see cref="ReconcileMode.Collect"/> (which may delete a memberless group's stack); a body
/// cannot choose either.</item>
/// <item>Service and Node keys are resolved to the Ingress group keys they affect (and a Node key to the Service keys
/// of instance-target NLBs), once per batch, and those are enqueued (SendMessageBatch, message group = the stack key)
/// unless the batch already reconciles them; they are never reconciled under the Service's or Node's message group.
/// A Service key is also a stack key of its own — the Service's NLB — reconciled under its own message group; its
/// message succeeds only when both the reconcile and the enqueueing did.</item>
/// <item>Duplicate keys collapse: each stack key of the batch is reconciled once (a reconcile reads the current
/// state, so one run covers every message of it); the duplicates share its outcome.</item>
/// <item>FIFO: once a message of a message group fails, every later message of that group in the batch is reported
/// failed too, so SQS redelivers the group in order.</item>
/// <item>Deadline: no key is started with less than <see cref="ReconcileOptions.DeadlineMargin"/> left; the rest are
/// reported failed.</item>
/// <item><see cref="ReconcileKind.RequeueAfter"/>: the message's visibility timeout is set to the delay and it is
/// reported failed, so SQS hands it out again after the delay. A FIFO queue has no per-message delay, and deleting
/// and re-sending would let a newer message of the same key overtake it; the cost is that each requeue counts as a
/// receive toward the redrive count (maxReceiveCount must allow the expected requeues; the replay redrives the DLQ).
/// While the message waits, its group (its key) is blocked, which is what we want: one reconcile per key.</item>
/// </list>
/// </summary>
public sealed class ReconcileFunction(
    IKeyReconciler reconciler,
    IKeyFanOut fanOut,
    ISqsGateway sqs,
    ReconcileOptions options,
    LambdaContext context,
    AwsCallRecorder? calls = null) : ILambdaFunction
{
    /// <inheritdoc />
    public async Task<byte[]> InvokeAsync(LambdaInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var batch = JsonSerializer.Deserialize(invocation.Payload.Span, LambdaJsonContext.Default.SqsEvent)
            ?? throw new JsonException("the event is not an SQS event");
        var response = await HandleAsync(batch, invocation, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.SerializeToUtf8Bytes(response, LambdaJsonContext.Default.SqsBatchResponse);
    }

    /// <summary>Handles one batch; the response lists every message that must come back.</summary>
    public async Task<SqsBatchResponse> HandleAsync(SqsEvent batch, LambdaInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(invocation);
        var log = context.Logger;
        var callsBefore = calls?.TotalCalls ?? 0;
        var records = batch.Records;
        var parsed = new QueueMessage?[records.Count];
        var lastIndexOfKey = new Dictionary<QueueKey, int>();
        // Outcome per record: true = succeeded, false = failed, null = decided later (by its key's kept message).
        var outcome = new bool?[records.Count];
        int malformed = 0, misrouted = 0, untrusted = 0;
        for (var i = 0; i < records.Count; i++)
        {
            try
            {
                parsed[i] = QueueMessage.Parse(records[i].Body);
            }
            catch (QueueMessageException ex)
            {
                malformed++;
                outcome[i] = false;
                log.Error("malformed queue message: reported as failed (goes to the DLQ after the redrive count)", ex,
                    ("messageId", records[i].MessageId), ("field", ex.Field), ("value", ex.Value), ("reason", ex.Reason),
                    ("receiveCount", records[i].ApproximateReceiveCount));
                continue;
            }
            var message = parsed[i]!;
            if (records[i].MessageGroupId != message.Key.MessageGroupId)
            {
                misrouted++;
                outcome[i] = true; // dropped: deleting it is the point
                parsed[i] = null;
                log.Error("queue message in the wrong message group: dropped (a stack must only be reconciled under its own message group)", null,
                    ("messageId", records[i].MessageId), ("key", message.Key.ToString()), ("messageGroupId", records[i].MessageGroupId),
                    ("expectedMessageGroupId", message.Key.MessageGroupId), ("senderId", records[i].Attributes.GetValueOrDefault("SenderId")));
                continue;
            }
            if ((message.Origin is QueueMessageOrigin.Replay or QueueMessageOrigin.Collect) && !IsReplaySender(records[i]))
            {
                untrusted++;
                log.Warn("a message claims to come from the replay but its sender is not the replay: reconciled as an ordinary event",
                    ("messageId", records[i].MessageId), ("key", message.Key.ToString()), ("senderId", records[i].Attributes.GetValueOrDefault("SenderId")));
            }
            lastIndexOfKey[message.Key] = i;
        }

        var failedGroups = new HashSet<string>(StringComparer.Ordinal);
        var keyOutcome = new Dictionary<QueueKey, bool>();
        int reconciled = 0, errors = 0, requeues = 0, skipped = 0;

        // Keys without a stack of their own: their stacks are enqueued, unless this batch reconciles them anyway.
        var fanned = await FanOutAsync(records, parsed, lastIndexOfKey, keyOutcome, cancellationToken).ConfigureAwait(false);

        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            var group = record.MessageGroupId;
            var message = parsed[i];
            if (outcome[i] is not null && message is null)
            {
                if (outcome[i] == false)
                    Fail(group);
                continue;
            }
            if (message is null || lastIndexOfKey[message.Key] != i)
                continue; // an earlier duplicate: the kept (last) message decides
            if (group is not null && failedGroups.Contains(group))
            {
                outcome[i] = keyOutcome[message.Key] = false;
                continue;
            }
            if (!reconciler.Reconciles(message.Key))
            {
                // Fanned out above.
                outcome[i] = keyOutcome.GetValueOrDefault(message.Key);
                if (outcome[i] == false)
                    Fail(group);
                continue;
            }
            if (invocation.RemainingTime(context.Time) < options.DeadlineMargin || cancellationToken.IsCancellationRequested)
            {
                skipped++;
                outcome[i] = keyOutcome[message.Key] = false;
                Fail(group);
                continue;
            }
            var mode = ModeFor(message.Key, records, parsed);
            // A key that is both (a Service: its own NLB, and the Ingress groups that use it) succeeds only when both did.
            var fannedOut = !fanOut.FansOut(message.Key) || keyOutcome.GetValueOrDefault(message.Key);
            var ok = await ReconcileOneAsync(record, message, mode, cancellationToken).ConfigureAwait(false);
            if (ok == KeyOutcome.Done && !fannedOut)
                ok = KeyOutcome.FannedOutFailed;
            reconciled++;
            switch (ok)
            {
                case KeyOutcome.Requeued:
                    requeues++;
                    break;
                case KeyOutcome.Failed:
                    errors++;
                    break;
            }
            outcome[i] = keyOutcome[message.Key] = ok == KeyOutcome.Done;
            if (ok != KeyOutcome.Done)
                Fail(group);
        }

        var response = new SqsBatchResponse();
        for (var i = 0; i < records.Count; i++)
        {
            var succeeded = outcome[i] ?? (parsed[i] is { } m && keyOutcome.GetValueOrDefault(m.Key));
            if (!succeeded)
                response.BatchItemFailures.Add(new SqsBatchItemFailure { ItemIdentifier = records[i].MessageId });
        }
        context.Metrics.Emit(
            new Metric(EmfMetrics.Names.MessagesPerBatch, records.Count, MetricUnit.Count),
            new Metric(EmfMetrics.Names.KeysPerBatch, lastIndexOfKey.Count, MetricUnit.Count),
            new Metric(EmfMetrics.Names.MalformedMessages, malformed, MetricUnit.Count),
            new Metric(EmfMetrics.Names.MisroutedMessages, misrouted, MetricUnit.Count),
            new Metric(EmfMetrics.Names.UntrustedReplayClaims, untrusted, MetricUnit.Count),
            new Metric(EmfMetrics.Names.FannedOutKeys, fanned, MetricUnit.Count),
            new Metric(EmfMetrics.Names.ReconcileErrors, errors, MetricUnit.Count),
            new Metric(EmfMetrics.Names.ReconcileRequeues, requeues, MetricUnit.Count),
            new Metric(EmfMetrics.Names.DeadlineSkipped, skipped, MetricUnit.Count),
            new Metric(EmfMetrics.Names.AwsCalls, (calls?.TotalCalls ?? 0) - callsBefore, MetricUnit.Count));
        log.Info("batch done",
            ("messages", records.Count), ("keys", lastIndexOfKey.Count), ("reconciled", reconciled), ("fannedOut", fanned), ("failed", response.BatchItemFailures.Count),
            ("malformed", malformed), ("misrouted", misrouted), ("requeued", requeues), ("skippedForDeadline", skipped));
        return response;

        void Fail(string? group)
        {
            if (group is not null)
                failedGroups.Add(group);
        }
    }

    /// <summary>True when the record was sent by the replay (its SQS <c>SenderId</c> is a configured one).</summary>
    private bool IsReplaySender(SqsRecord record) =>
        record.Attributes.GetValueOrDefault("SenderId") is { Length: > 0 } sender && options.ReplaySenderIds.Contains(sender, StringComparer.Ordinal);

    /// <summary>
    /// Resolves the batch's fan-out keys to the stack keys they affect and enqueues those the batch does not reconcile
    /// itself; records each fan-out key's outcome (true when every stack key it needs was enqueued). Returns how many
    /// stack keys were enqueued.
    /// </summary>
    private async Task<int> FanOutAsync(
        IReadOnlyList<SqsRecord> records, QueueMessage?[] parsed, Dictionary<QueueKey, int> lastIndexOfKey, Dictionary<QueueKey, bool> keyOutcome, CancellationToken cancellationToken)
    {
        var sources = lastIndexOfKey.Keys.Where(fanOut.FansOut).OrderBy(static k => k.ToString(), StringComparer.Ordinal).ToList();
        if (sources.Count == 0)
            return 0;
        var log = context.Logger;
        IReadOnlyDictionary<QueueKey, IReadOnlyList<QueueKey>> affected;
        try
        {
            affected = await fanOut.ResolveAsync(sources, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not OperationCanceledException)
        {
            log.Error("resolving the stacks of Service/Node keys failed: those messages are retried", ex, ("keys", string.Join(" ", sources)));
            foreach (var key in sources)
                keyOutcome[key] = false;
            return 0;
        }
        // A stack key this batch reconciles covers the change: its reconcile starts after these messages were received.
        var inBatch = lastIndexOfKey.Keys.Where(reconciler.Reconciles).ToHashSet();
        var outgoing = new Dictionary<QueueKey, (SqsOutgoingMessage Message, List<QueueKey> Sources)>();
        foreach (var source in sources)
        {
            var record = records[lastIndexOfKey[source]];
            var message = parsed[lastIndexOfKey[source]]!;
            foreach (var stack in affected.GetValueOrDefault(source) ?? [])
            {
                if (inBatch.Contains(stack))
                    continue;
                if (!outgoing.TryGetValue(stack, out var entry))
                {
                    var origin = message.Origin is QueueMessageOrigin.Replay or QueueMessageOrigin.Collect ? QueueMessageOrigin.Forwarder : message.Origin;
                    var body = new QueueMessage(stack, origin, message.ResourceVersion, message.ObservedAt).ToJson();
                    entry = (new SqsOutgoingMessage("f" + outgoing.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), body)
                    {
                        MessageGroupId = stack.MessageGroupId,
                        MessageDeduplicationId = stack.DeduplicationId("fan-out", record.MessageId),
                    }, []);
                    outgoing[stack] = entry;
                }
                entry.Sources.Add(source);
            }
            keyOutcome[source] = true;
        }
        if (outgoing.Count == 0)
            return 0;
        var queueUrl = options.QueueUrl ?? SqsQueues.UrlFromArn(records[lastIndexOfKey[sources[0]]].EventSourceArn);
        if (queueUrl is null)
        {
            log.Error("no QUEUE_URL and no eventSourceARN: the stacks of Service/Node keys cannot be enqueued; those messages are retried", null);
            foreach (var key in sources)
                keyOutcome[key] = false;
            return 0;
        }
        SqsBatchResult sent;
        try
        {
            sent = await sqs.SendBatchAsync(queueUrl, [.. outgoing.Values.Select(static e => e.Message)], cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not OperationCanceledException)
        {
            log.Error("enqueueing the stacks of Service/Node keys failed: those messages are retried", ex);
            foreach (var key in sources)
                keyOutcome[key] = false;
            return 0;
        }
        var byId = outgoing.ToDictionary(static e => e.Value.Message.Id, static e => e);
        foreach (var failure in sent.Failed)
        {
            var (stack, (_, failedSources)) = byId[failure.Id];
            log.Warn("enqueueing a stack key failed: its Service/Node messages are retried", ("key", stack.ToString()), ("code", failure.Code), ("error", failure.Message));
            foreach (var source in failedSources)
                keyOutcome[source] = false;
        }
        foreach (var success in sent.Succeeded)
        {
            var (stack, (_, from)) = byId[success.Id];
            log.Info("stack key enqueued", ("key", stack.ToString()), ("for", string.Join(" ", from.Select(static k => k.ToString()))));
        }
        return sent.Succeeded.Count;
    }

    private enum KeyOutcome
    {
        Done,
        Requeued,
        Failed,

        /// <summary>Reconciled, but the stacks it affects could not be enqueued: the message comes back for them.</summary>
        FannedOutFailed,
    }

    /// <summary>
    /// <see cref="ReconcileMode.Collect"/> when a message of the key in this batch is the replay's approved garbage
    /// collection, a full drift check when one was sent by the replay, else an event. Only the replay's sender counts.
    /// </summary>
    private ReconcileMode ModeFor(QueueKey key, IReadOnlyList<SqsRecord> records, QueueMessage?[] parsed)
    {
        var trusted = Enumerable.Range(0, records.Count)
            .Where(i => parsed[i] is { } m && m.Key == key && (m.Origin is QueueMessageOrigin.Replay or QueueMessageOrigin.Collect) && IsReplaySender(records[i]))
            .Select(i => parsed[i]!.Origin)
            .ToList();
        if (trusted.Contains(QueueMessageOrigin.Collect))
            return ReconcileMode.Collect;
        return trusted.Count > 0 ? ReconcileMode.FullDriftCheck : ReconcileMode.Event;
    }

    private async Task<KeyOutcome> ReconcileOneAsync(SqsRecord record, QueueMessage message, ReconcileMode mode, CancellationToken cancellationToken)
    {
        var log = context.Logger;
        var key = message.Key.ToString();
        var lag = message.ObservedAt ?? record.SentTimestamp;
        var started = Stopwatch.GetTimestamp();
        ReconcileResult result;
        try
        {
            result = await reconciler.ReconcileAsync(message.Key, mode, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            result = ReconcileResult.Failed(ex.GetType().Name + ": " + ex.Message);
        }
        var elapsed = Stopwatch.GetElapsedTime(started);
        context.Metrics.Emit(
            new Metric(EmfMetrics.Names.ReconcileDuration, elapsed.TotalMilliseconds, MetricUnit.Milliseconds),
            new Metric(EmfMetrics.Names.QueueLag, lag is { } at ? Math.Max(0, (context.Time.GetUtcNow() - at).TotalMilliseconds) : 0, MetricUnit.Milliseconds));
        switch (result.Kind)
        {
            case ReconcileKind.Done:
                log.Info("reconciled", ("key", key), ("mode", mode.ToString()), ("origin", QueueMessage.OriginName(message.Origin)), ("durationMs", elapsed));
                return KeyOutcome.Done;
            case ReconcileKind.RequeueAfter:
                var requested = result.Delay ?? TimeSpan.Zero;
                var delay = requested < TimeSpan.Zero ? TimeSpan.Zero : requested > ReconcileOptions.MaxVisibility ? ReconcileOptions.MaxVisibility : requested;
                var queueUrl = options.QueueUrl ?? SqsQueues.UrlFromArn(record.EventSourceArn);
                try
                {
                    if (queueUrl is null)
                        throw new InvalidOperationException("no QUEUE_URL and no eventSourceARN: cannot change the message's visibility");
                    await sqs.ChangeVisibilityAsync(queueUrl, record.ReceiptHandle, delay, CancellationToken.None).ConfigureAwait(false);
                    log.Info("requeued", ("key", key), ("delaySeconds", (int)delay.TotalSeconds), ("reason", result.Reason), ("durationMs", elapsed));
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    log.Error("requeue: visibility change failed; the message comes back after the queue's visibility timeout instead", ex, ("key", key));
                }
                return KeyOutcome.Requeued;
            case ReconcileKind.Failed:
                log.Log(LogLevel.Error, "reconcile failed: retried by the queue", null, ("key", key), ("error", result.Reason),
                    ("receiveCount", record.ApproximateReceiveCount), ("durationMs", elapsed));
                return KeyOutcome.Failed;
            default:
                throw new InvalidOperationException("unknown reconcile result " + result);
        }
    }
}
