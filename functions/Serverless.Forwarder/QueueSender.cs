using System.Globalization;
using Serverless.Aws.Sqs;
using Serverless.Messages;

namespace Serverless.Forwarder;

/// <summary>
/// Sends due keys from the <see cref="KeyBuffer"/> with SendMessageBatch (10 per call, several calls in flight):
/// MessageGroupId = the key's, MessageDeduplicationId = key + causes. Entries SQS rejects and calls that fail go back
/// to the buffer and are retried (at-least-once). Runs until <see cref="KeyBuffer.Drain"/> was called and the buffer
/// is empty, or until cancelled.
/// </summary>
public sealed class QueueSender(ISqsGateway sqs, string queueUrl, KeyBuffer buffer, ForwarderMetrics metrics, JsonLog log, int concurrency, TimeProvider? time = null)
{
    /// <summary>Sends until drained and empty, or cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var slots = new SemaphoreSlim(concurrency);
        var running = new HashSet<Task>();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (buffer.Draining && buffer.IsIdle)
                    break;
                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                var batch = buffer.TakeDue(SqsGateway.MaxBatchEntries);
                if (batch.Count == 0)
                {
                    slots.Release();
                    await buffer.WaitAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }
                var task = SendAsync(batch, cancellationToken);
                lock (running)
                    running.Add(task);
                _ = task.ContinueWith(
                    t =>
                    {
                        lock (running)
                            running.Remove(t);
                        slots.Release();
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        Task[] rest;
        lock (running)
            rest = [.. running];
        await Task.WhenAll(rest).ConfigureAwait(false);
    }

    private async Task SendAsync(List<PendingKey> batch, CancellationToken cancellationToken)
    {
        metrics.SendCall();
        var messages = batch.Select((pending, i) => new SqsOutgoingMessage(
            i.ToString(CultureInfo.InvariantCulture),
            new QueueMessage(pending.Key, QueueMessageOrigin.Forwarder, pending.ResourceVersion, pending.ObservedAt).ToJson())
        {
            MessageGroupId = pending.Key.MessageGroupId,
            MessageDeduplicationId = pending.DeduplicationId,
        }).ToList();
        var sent = new List<PendingKey>();
        var failed = new List<PendingKey>();
        try
        {
            var result = await sqs.SendBatchAsync(queueUrl, messages, cancellationToken).ConfigureAwait(false);
            var ok = result.Succeeded.Select(static s => s.Id).ToHashSet(StringComparer.Ordinal);
            for (var i = 0; i < batch.Count; i++)
                (ok.Contains(messages[i].Id) ? sent : failed).Add(batch[i]);
            foreach (var failure in result.Failed.Take(3))
                log.Warn("SQS rejected an entry, retrying", ("code", failure.Code), ("message", failure.Message), ("senderFault", failure.SenderFault));
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            log.Warn("SendMessageBatch failed, retrying", ("error", e), ("entries", batch.Count));
            failed.AddRange(batch);
        }
        catch (OperationCanceledException)
        {
            failed.AddRange(batch);
        }
        var now = (time ?? TimeProvider.System).GetUtcNow();
        foreach (var pending in sent)
        {
            metrics.KeySent(now - pending.ObservedAt);
            log.Debug("key sent", ("key", pending.Key.ToString()), ("resourceVersion", pending.ResourceVersion), ("causes", pending.Causes.Count));
        }
        if (failed.Count > 0)
            metrics.SendFailed(failed.Count);
        buffer.Complete(sent, failed);
    }
}
