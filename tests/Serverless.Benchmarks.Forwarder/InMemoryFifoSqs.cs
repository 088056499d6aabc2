using System.Collections.Concurrent;
using System.Globalization;
using Serverless.Aws.Sqs;
using Serverless.Messages;
using Serverless.Testing;

namespace Serverless.Benchmarks.Forwarder;

/// <summary>
/// An in-memory stand-in for one SQS FIFO queue's send side, for volumes moto cannot take (moto's FIFO
/// SendMessageBatch slows down with every message held: 0.6 s per call at first, several seconds after 1,500
/// messages). Keeps SQS's rules that matter here: at most 10 entries, distinct ids, group id required, and a
/// deduplication id seen within 5 minutes is accepted but not enqueued again. Every accepted entry is recorded with
/// its key, deduplication id and time.
/// </summary>
public sealed class InMemoryFifoSqs : ThrowingSqsGateway
{
    private readonly object _lock = new();
    private readonly Dictionary<string, DateTime> _dedup = new(StringComparer.Ordinal);
    private long _sequence;

    public List<SqsOutgoingMessage> Messages { get; } = [];

    /// <summary>Every entry accepted, in order: key, deduplication id, when.</summary>
    public ConcurrentQueue<(string Key, string DedupId, DateTime At)> Accepted { get; } = new();

    public override Task<SqsBatchResult> SendBatchAsync(string queueUrl, IReadOnlyList<SqsOutgoingMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count > SqsGateway.MaxBatchEntries || messages.Select(static m => m.Id).Distinct().Count() != messages.Count)
            throw new InvalidOperationException("TooManyEntriesInBatchRequest or BatchEntryIdsNotDistinct");
        var ok = new List<SqsBatchSuccess>();
        lock (_lock)
        {
            var now = DateTime.UtcNow;
            foreach (var m in messages)
            {
                if (string.IsNullOrEmpty(m.MessageGroupId) || string.IsNullOrEmpty(m.MessageDeduplicationId))
                    throw new InvalidOperationException("MissingParameter: MessageGroupId / MessageDeduplicationId");
                if (!_dedup.TryGetValue(m.MessageDeduplicationId, out var at) || now - at > TimeSpan.FromMinutes(5))
                {
                    _dedup[m.MessageDeduplicationId] = now;
                    Messages.Add(m);
                }
                Accepted.Enqueue((QueueMessage.Parse(m.Body).Key.ToString(), m.MessageDeduplicationId, now));
                ok.Add(new SqsBatchSuccess(m.Id, Guid.NewGuid().ToString(), (++_sequence).ToString(CultureInfo.InvariantCulture)));
            }
        }
        return Task.FromResult(new SqsBatchResult(ok, []));
    }
}
