using System.Globalization;
using System.Text;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Serverless.Aws.Core;

namespace Serverless.Aws.Sqs;

/// <summary>
/// The SQS calls of the forwarder, the functions and the local runner, over the FIFO work queue. Results are small
/// records, not SDK types. Batch operations take any number of entries, split them into calls of at most 10 entries
/// (and, for sends, at most <see cref="SqsGateway.MaxBatchPayloadBytes"/> of bodies) and report every entry as
/// succeeded or failed; they never throw for entries SQS rejected. Other failures surface as
/// <see cref="AmazonSQSException"/> (or its typed subclasses, e.g. <see cref="QueueDoesNotExistException"/>).
/// </summary>
public interface ISqsGateway
{
    /// <summary>The URL of the queue <paramref name="queueName"/>; throws <see cref="QueueDoesNotExistException"/>.</summary>
    Task<string> GetQueueUrlAsync(string queueName, CancellationToken cancellationToken = default);

    /// <summary>Creates a queue (or returns the existing one with identical attributes); returns its URL.</summary>
    Task<string> CreateQueueAsync(SqsQueueSpec spec, CancellationToken cancellationToken = default);

    /// <summary>Sends one message.</summary>
    Task<SqsSendResult> SendAsync(string queueUrl, SqsOutgoingMessage message, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends any number of messages, 10 per call. Entry ids must be distinct across the whole input. An entry SQS
    /// rejects, or an entry of a call that failed as a whole (after retries), is reported in
    /// <see cref="SqsBatchResult.Failed"/>; a call failing does not stop the following calls.
    /// </summary>
    Task<SqsBatchResult> SendBatchAsync(string queueUrl, IReadOnlyList<SqsOutgoingMessage> messages, CancellationToken cancellationToken = default);

    /// <summary>Receives up to <see cref="SqsReceiveOptions.MaxMessages"/> messages with every system attribute.</summary>
    Task<IReadOnlyList<SqsMessage>> ReceiveAsync(string queueUrl, SqsReceiveOptions options, CancellationToken cancellationToken = default);

    /// <summary>Deletes one received message.</summary>
    Task DeleteAsync(string queueUrl, string receiptHandle, CancellationToken cancellationToken = default);

    /// <summary>Deletes received messages, 10 per call, reporting every entry (see <see cref="SendBatchAsync"/>).</summary>
    Task<SqsBatchResult> DeleteBatchAsync(string queueUrl, IReadOnlyList<SqsReceipt> receipts, CancellationToken cancellationToken = default);

    /// <summary>Changes the visibility timeout of one received message (zero: visible again at once).</summary>
    Task ChangeVisibilityAsync(string queueUrl, string receiptHandle, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default);

    /// <summary>Changes visibility timeouts, 10 per call, reporting every entry (see <see cref="SendBatchAsync"/>).</summary>
    Task<SqsBatchResult> ChangeVisibilityBatchAsync(string queueUrl, IReadOnlyList<SqsVisibilityChange> changes, CancellationToken cancellationToken = default);

    /// <summary>The queue's attributes (counts, ARN, redrive policy, FIFO settings).</summary>
    Task<SqsQueueAttributes> GetQueueAttributesAsync(string queueUrl, CancellationToken cancellationToken = default);
}

/// <inheritdoc cref="ISqsGateway"/>
public sealed class SqsGateway : ISqsGateway, IDisposable
{
    /// <summary>Entries per batch call (the SQS limit).</summary>
    public const int MaxBatchEntries = 10;

    /// <summary>Bodies per send batch call: 256 KiB, the limit SQS has long had for a whole batch (and any emulator honours).</summary>
    public const int MaxBatchPayloadBytes = 256 * 1024;

    private readonly IAmazonSQS _sqs;
    private readonly bool _ownsClient;

    /// <summary>A gateway over an existing client (which the caller keeps owning).</summary>
    public SqsGateway(IAmazonSQS sqs)
        : this(sqs, ownsClient: false)
    {
    }

    private SqsGateway(IAmazonSQS sqs, bool ownsClient)
    {
        ArgumentNullException.ThrowIfNull(sqs);
        _sqs = sqs;
        _ownsClient = ownsClient;
    }

    /// <summary>
    /// A gateway over the SDK's SQS client configured by <paramref name="options"/>, with our backoff and its calls
    /// counted in <see cref="AwsClientOptions.CallRecorder"/> under service <c>SQS</c>.
    /// </summary>
    public static SqsGateway Create(AwsClientOptions options) => new(SqsSdkClient.Create(options), ownsClient: true);

    /// <inheritdoc />
    public async Task<string> GetQueueUrlAsync(string queueName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queueName);
        var response = await _sqs.GetQueueUrlAsync(new GetQueueUrlRequest { QueueName = queueName }, cancellationToken).ConfigureAwait(false);
        return response.QueueUrl;
    }

    /// <inheritdoc />
    public async Task<string> CreateQueueAsync(SqsQueueSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentException.ThrowIfNullOrEmpty(spec.Name);
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (spec.Fifo)
        {
            attributes[QueueAttributeName.FifoQueue] = "true";
            if (spec.ContentBasedDeduplication)
                attributes[QueueAttributeName.ContentBasedDeduplication] = "true";
        }
        if (spec.VisibilityTimeout is { } visibility)
            attributes[QueueAttributeName.VisibilityTimeout] = Seconds(visibility);
        if (spec.MessageRetentionPeriod is { } retention)
            attributes[QueueAttributeName.MessageRetentionPeriod] = Seconds(retention);
        if (spec.RedrivePolicy is { } redrive)
            attributes[QueueAttributeName.RedrivePolicy] = redrive.ToJson();
        var request = new CreateQueueRequest { QueueName = spec.Name, Attributes = attributes };
        if (spec.Tags is { Count: > 0 } tags)
            request.Tags = new Dictionary<string, string>(tags, StringComparer.Ordinal);
        var response = await _sqs.CreateQueueAsync(request, cancellationToken).ConfigureAwait(false);
        return response.QueueUrl;
    }

    /// <inheritdoc />
    public async Task<SqsSendResult> SendAsync(string queueUrl, SqsOutgoingMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queueUrl);
        ArgumentNullException.ThrowIfNull(message);
        var request = new SendMessageRequest
        {
            QueueUrl = queueUrl,
            MessageBody = message.Body,
            MessageGroupId = message.MessageGroupId,
            MessageDeduplicationId = message.MessageDeduplicationId,
        };
        if (message.Delay is { } delay)
            request.DelaySeconds = SecondsInt(delay);
        var response = await _sqs.SendMessageAsync(request, cancellationToken).ConfigureAwait(false);
        return new SqsSendResult(response.MessageId, response.SequenceNumber);
    }

    /// <inheritdoc />
    public Task<SqsBatchResult> SendBatchAsync(string queueUrl, IReadOnlyList<SqsOutgoingMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queueUrl);
        ArgumentNullException.ThrowIfNull(messages);
        RequireDistinctIds(messages.Select(static m => m.Id));
        return RunBatchesAsync(
            messages,
            SplitBySize(messages),
            async (chunk, ct) =>
            {
                var request = new SendMessageBatchRequest
                {
                    QueueUrl = queueUrl,
                    Entries = [.. chunk.Select(static m =>
                    {
                        var entry = new SendMessageBatchRequestEntry
                        {
                            Id = m.Id,
                            MessageBody = m.Body,
                            MessageGroupId = m.MessageGroupId,
                            MessageDeduplicationId = m.MessageDeduplicationId,
                        };
                        if (m.Delay is { } delay)
                            entry.DelaySeconds = SecondsInt(delay);
                        return entry;
                    })],
                };
                var response = await _sqs.SendMessageBatchAsync(request, ct).ConfigureAwait(false);
                return (
                    (response.Successful ?? []).Select(static s => new SqsBatchSuccess(s.Id, s.MessageId, s.SequenceNumber)),
                    response.Failed);
            },
            static m => m.Id,
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SqsMessage>> ReceiveAsync(string queueUrl, SqsReceiveOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queueUrl);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxMessages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxMessages, MaxBatchEntries);
        var request = new ReceiveMessageRequest
        {
            QueueUrl = queueUrl,
            MaxNumberOfMessages = options.MaxMessages,
            WaitTimeSeconds = SecondsInt(options.WaitTime),
            MessageSystemAttributeNames = ["All"],
        };
        if (options.VisibilityTimeout is { } visibility)
            request.VisibilityTimeout = SecondsInt(visibility);
        var response = await _sqs.ReceiveMessageAsync(request, cancellationToken).ConfigureAwait(false);
        return [.. (response.Messages ?? []).Select(static m => new SqsMessage(
            m.MessageId,
            m.ReceiptHandle,
            m.Body ?? string.Empty,
            m.Attributes is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(m.Attributes, StringComparer.Ordinal)))];
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string queueUrl, string receiptHandle, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queueUrl);
        ArgumentException.ThrowIfNullOrEmpty(receiptHandle);
        await _sqs.DeleteMessageAsync(new DeleteMessageRequest { QueueUrl = queueUrl, ReceiptHandle = receiptHandle }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<SqsBatchResult> DeleteBatchAsync(string queueUrl, IReadOnlyList<SqsReceipt> receipts, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queueUrl);
        ArgumentNullException.ThrowIfNull(receipts);
        RequireDistinctIds(receipts.Select(static r => r.Id));
        return RunBatchesAsync(
            receipts,
            receipts.Chunk(MaxBatchEntries),
            async (chunk, ct) =>
            {
                var request = new DeleteMessageBatchRequest
                {
                    QueueUrl = queueUrl,
                    Entries = [.. chunk.Select(static r => new DeleteMessageBatchRequestEntry { Id = r.Id, ReceiptHandle = r.ReceiptHandle })],
                };
                var response = await _sqs.DeleteMessageBatchAsync(request, ct).ConfigureAwait(false);
                return ((response.Successful ?? []).Select(static s => new SqsBatchSuccess(s.Id)), response.Failed);
            },
            static r => r.Id,
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task ChangeVisibilityAsync(string queueUrl, string receiptHandle, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queueUrl);
        ArgumentException.ThrowIfNullOrEmpty(receiptHandle);
        var request = new ChangeMessageVisibilityRequest
        {
            QueueUrl = queueUrl,
            ReceiptHandle = receiptHandle,
            VisibilityTimeout = SecondsInt(visibilityTimeout),
        };
        await _sqs.ChangeMessageVisibilityAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<SqsBatchResult> ChangeVisibilityBatchAsync(string queueUrl, IReadOnlyList<SqsVisibilityChange> changes, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queueUrl);
        ArgumentNullException.ThrowIfNull(changes);
        RequireDistinctIds(changes.Select(static c => c.Id));
        return RunBatchesAsync(
            changes,
            changes.Chunk(MaxBatchEntries),
            async (chunk, ct) =>
            {
                var request = new ChangeMessageVisibilityBatchRequest
                {
                    QueueUrl = queueUrl,
                    Entries = [.. chunk.Select(static c => new ChangeMessageVisibilityBatchRequestEntry
                    {
                        Id = c.Id,
                        ReceiptHandle = c.ReceiptHandle,
                        VisibilityTimeout = SecondsInt(c.VisibilityTimeout),
                    })],
                };
                var response = await _sqs.ChangeMessageVisibilityBatchAsync(request, ct).ConfigureAwait(false);
                return ((response.Successful ?? []).Select(static s => new SqsBatchSuccess(s.Id)), response.Failed);
            },
            static c => c.Id,
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<SqsQueueAttributes> GetQueueAttributesAsync(string queueUrl, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queueUrl);
        var response = await _sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = queueUrl, AttributeNames = ["All"] }, cancellationToken).ConfigureAwait(false);
        var all = response.Attributes is null
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            : new Dictionary<string, string>(response.Attributes, StringComparer.Ordinal);
        return new SqsQueueAttributes(
            all.GetValueOrDefault(QueueAttributeName.QueueArn, string.Empty),
            Long(all, QueueAttributeName.ApproximateNumberOfMessages),
            Long(all, QueueAttributeName.ApproximateNumberOfMessagesNotVisible),
            Long(all, QueueAttributeName.ApproximateNumberOfMessagesDelayed),
            TimeSpan.FromSeconds(Long(all, QueueAttributeName.VisibilityTimeout)),
            Bool(all, QueueAttributeName.FifoQueue),
            Bool(all, QueueAttributeName.ContentBasedDeduplication),
            SqsRedrivePolicy.Parse(all.GetValueOrDefault(QueueAttributeName.RedrivePolicy)),
            all);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsClient)
            _sqs.Dispose();
    }

    /// <summary>Runs one call per chunk and merges the per-entry results; a call failing as a whole fails its entries.</summary>
    private static async Task<SqsBatchResult> RunBatchesAsync<T>(
        IReadOnlyList<T> entries,
        IEnumerable<T[]> chunks,
        Func<T[], CancellationToken, Task<(IEnumerable<SqsBatchSuccess> Succeeded, List<BatchResultErrorEntry>? Failed)>> call,
        Func<T, string> id,
        CancellationToken cancellationToken)
    {
        var succeeded = new List<SqsBatchSuccess>();
        var failed = new List<SqsBatchFailure>();
        foreach (var chunk in chunks)
        {
            if (chunk.Length == 0)
                continue;
            try
            {
                var (ok, errors) = await call(chunk, cancellationToken).ConfigureAwait(false);
                succeeded.AddRange(ok);
                failed.AddRange((errors ?? []).Select(static e => new SqsBatchFailure(e.Id, e.Code ?? "Unknown", e.Message ?? string.Empty, e.SenderFault ?? false)));
            }
            catch (AmazonServiceException ex) when (!cancellationToken.IsCancellationRequested)
            {
                var senderFault = ex.ErrorType == ErrorType.Sender && !IsRetryable(ex);
                failed.AddRange(chunk.Select(e => new SqsBatchFailure(id(e), ex.ErrorCode ?? "Unknown", ex.Message, senderFault)));
            }
            catch (Exception ex) when (ex is AmazonClientException or HttpRequestException or IOException or OperationCanceledException
                && !cancellationToken.IsCancellationRequested)
            {
                // Network failure or attempt timeout after every retry: the call may or may not have been applied.
                failed.AddRange(chunk.Select(e => new SqsBatchFailure(id(e), ex.GetType().Name, ex.Message, SenderFault: false)));
            }
        }
        // Report in input order, whatever order SQS answered in.
        var position = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < entries.Count; i++)
            position[id(entries[i])] = i;
        succeeded.Sort((a, b) => position.GetValueOrDefault(a.Id).CompareTo(position.GetValueOrDefault(b.Id)));
        failed.Sort((a, b) => position.GetValueOrDefault(a.Id).CompareTo(position.GetValueOrDefault(b.Id)));
        return new SqsBatchResult(succeeded, failed);
    }

    private static bool IsRetryable(AmazonServiceException ex) =>
        (int)ex.StatusCode >= 500 || ex.ErrorCode is "ThrottlingException" or "RequestThrottled" or "Throttling";

    /// <summary>Chunks of at most 10 messages and <see cref="MaxBatchPayloadBytes"/> of bodies (a larger body goes alone).</summary>
    private static List<SqsOutgoingMessage[]> SplitBySize(IReadOnlyList<SqsOutgoingMessage> messages)
    {
        var chunks = new List<SqsOutgoingMessage[]>();
        var current = new List<SqsOutgoingMessage>();
        var bytes = 0;
        foreach (var message in messages)
        {
            var size = Encoding.UTF8.GetByteCount(message.Body ?? string.Empty);
            if (current.Count > 0 && (current.Count == MaxBatchEntries || bytes + size > MaxBatchPayloadBytes))
            {
                chunks.Add([.. current]);
                current.Clear();
                bytes = 0;
            }
            current.Add(message);
            bytes += size;
        }
        if (current.Count > 0)
            chunks.Add([.. current]);
        return chunks;
    }

    private static void RequireDistinctIds(IEnumerable<string> ids)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            if (string.IsNullOrEmpty(id))
                throw new ArgumentException("every batch entry needs an id", nameof(ids));
            if (!seen.Add(id))
                throw new ArgumentException($"batch entry id '{id}' is used twice; results are keyed by id", nameof(ids));
        }
    }

    private static string Seconds(TimeSpan value) => SecondsInt(value).ToString(CultureInfo.InvariantCulture);

    private static int SecondsInt(TimeSpan value) => (int)Math.Round(Math.Max(0, value.TotalSeconds), MidpointRounding.AwayFromZero);

    private static long Long(Dictionary<string, string> attributes, string name) =>
        attributes.TryGetValue(name, out var v) && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static bool Bool(Dictionary<string, string> attributes, string name) =>
        attributes.TryGetValue(name, out var v) && string.Equals(v, "true", StringComparison.OrdinalIgnoreCase);
}
