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

    /// <summary>SQS's ceiling on a visibility timeout (12 h): longer requeue delays are clipped to it.</summary>
    public static readonly TimeSpan MaxVisibility = TimeSpan.FromHours(12);
}

/// <summary>
/// The reconcile function: an SQS FIFO batch of key messages in, a partial-batch response out.
/// <list type="bullet">
/// <item>Each body is parsed and validated (<see cref="QueueMessage.Parse"/>). A malformed message is logged with
/// the field and value and reported as a batch item failure, so after the queue's redrive count it lands in the DLQ;
/// it never fails the batch.</item>
/// <item>Duplicate keys collapse: only the last message of a key is reconciled (a reconcile reads the current state,
/// so one run covers them all); the earlier duplicates share its outcome. If any of them came from the replay the run
/// is a <see cref="ReconcileMode.FullDriftCheck"/>.</item>
/// <item>FIFO: once a message of a message group fails, every later message of that group in the batch is reported
/// failed too, so SQS redelivers the group in order.</item>
/// <item>Deadline: no key is started with less than <see cref="ReconcileOptions.DeadlineMargin"/> left; the rest are
/// reported failed.</item>
/// <item><see cref="ReconcileResult.RequeueAfter"/>: the message's visibility timeout is set to the delay and it is
/// reported failed, so SQS hands it out again after the delay. A FIFO queue has no per-message delay, and deleting
/// and re-sending would let a newer message of the same key overtake it; the cost is that each requeue counts as a
/// receive toward the redrive count (maxReceiveCount must allow the expected requeues; the replay redrives the DLQ).
/// While the message waits, its group (its key) is blocked, which is what we want: one reconcile per key.</item>
/// </list>
/// </summary>
public sealed class ReconcileFunction(
    IKeyReconciler reconciler,
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
        var malformed = 0;
        for (var i = 0; i < records.Count; i++)
        {
            try
            {
                parsed[i] = QueueMessage.Parse(records[i].Body);
                lastIndexOfKey[parsed[i]!.Key] = i;
            }
            catch (QueueMessageException ex)
            {
                malformed++;
                log.Error("malformed queue message: reported as failed (goes to the DLQ after the redrive count)", ex,
                    ("messageId", records[i].MessageId), ("field", ex.Field), ("value", ex.Value), ("reason", ex.Reason),
                    ("receiveCount", records[i].ApproximateReceiveCount));
            }
        }

        // Outcome per record: true = succeeded, false = failed, null = a collapsed duplicate (decided by its key's kept message).
        var outcome = new bool?[records.Count];
        var keyOutcome = new Dictionary<QueueKey, bool>();
        var failedGroups = new HashSet<string>(StringComparer.Ordinal);
        int reconciled = 0, errors = 0, requeues = 0, skipped = 0;
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            var group = record.MessageGroupId;
            var message = parsed[i];
            if (group is not null && failedGroups.Contains(group))
            {
                outcome[i] = false;
                if (message is not null && lastIndexOfKey[message.Key] == i)
                    keyOutcome[message.Key] = false;
                continue;
            }
            if (message is null)
            {
                outcome[i] = false;
                Fail(group);
                continue;
            }
            if (lastIndexOfKey[message.Key] != i)
                continue; // an earlier duplicate: the kept (last) message decides
            if (invocation.RemainingTime(context.Time) < options.DeadlineMargin || cancellationToken.IsCancellationRequested)
            {
                skipped++;
                outcome[i] = keyOutcome[message.Key] = false;
                Fail(group);
                continue;
            }
            var mode = ModeFor(message.Key, parsed);
            var ok = await ReconcileOneAsync(record, message, mode, cancellationToken).ConfigureAwait(false);
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
            new Metric(EmfMetrics.Names.ReconcileErrors, errors, MetricUnit.Count),
            new Metric(EmfMetrics.Names.ReconcileRequeues, requeues, MetricUnit.Count),
            new Metric(EmfMetrics.Names.DeadlineSkipped, skipped, MetricUnit.Count),
            new Metric(EmfMetrics.Names.AwsCalls, (calls?.TotalCalls ?? 0) - callsBefore, MetricUnit.Count));
        log.Info("batch done",
            ("messages", records.Count), ("keys", lastIndexOfKey.Count), ("reconciled", reconciled), ("failed", response.BatchItemFailures.Count),
            ("malformed", malformed), ("requeued", requeues), ("skippedForDeadline", skipped));
        return response;

        void Fail(string? group)
        {
            if (group is not null)
                failedGroups.Add(group);
        }
    }

    private enum KeyOutcome
    {
        Done,
        Requeued,
        Failed,
    }

    /// <summary>Full drift check when any message of the key in this batch came from the replay.</summary>
    private static ReconcileMode ModeFor(QueueKey key, QueueMessage?[] parsed) =>
        parsed.Any(m => m is not null && m.Key == key && m.Origin == QueueMessageOrigin.Replay) ? ReconcileMode.FullDriftCheck : ReconcileMode.Event;

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
