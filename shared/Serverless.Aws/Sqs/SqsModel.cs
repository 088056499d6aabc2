using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Serverless.Aws.Sqs;

/// <summary>A message to send.</summary>
/// <param name="Id">The entry id in a batch (unique per batch, <c>[A-Za-z0-9_-]{1,80}</c>); results are keyed by it. Not sent for single sends.</param>
/// <param name="Body">The body (1 byte to 256 KiB of XML-safe Unicode).</param>
public sealed record SqsOutgoingMessage(string Id, string Body)
{
    /// <summary>FIFO: the ordering group (messages of one group are delivered in order, one batch at a time). Required on FIFO queues.</summary>
    public string? MessageGroupId { get; init; }

    /// <summary>FIFO: a second send with the same id within 5 minutes is accepted but not delivered. Required unless content-based deduplication is on.</summary>
    public string? MessageDeduplicationId { get; init; }

    /// <summary>Standard queues only: delay before the message becomes visible.</summary>
    public TimeSpan? Delay { get; init; }
}

/// <summary>What SQS assigned to a sent message.</summary>
/// <param name="MessageId">The message id.</param>
/// <param name="SequenceNumber">FIFO: the sequence number within the group (null on standard queues).</param>
public sealed record SqsSendResult(string MessageId, string? SequenceNumber);

/// <summary>A batch entry SQS accepted.</summary>
/// <param name="Id">The entry id given by the caller.</param>
/// <param name="MessageId">For sends: the message id SQS assigned; otherwise null.</param>
/// <param name="SequenceNumber">For sends to FIFO queues: the sequence number; otherwise null.</param>
public sealed record SqsBatchSuccess(string Id, string? MessageId = null, string? SequenceNumber = null);

/// <summary>A batch entry SQS rejected (or whose whole call failed).</summary>
/// <param name="Id">The entry id given by the caller.</param>
/// <param name="Code">The error code, e.g. <c>InvalidParameterValue</c>, <c>MissingParameter</c>, <c>ReceiptHandleIsInvalid</c>.</param>
/// <param name="Message">SQS's message.</param>
/// <param name="SenderFault">True when the entry itself is wrong (resending it unchanged fails again); false for service-side failures worth retrying.</param>
public sealed record SqsBatchFailure(string Id, string Code, string Message, bool SenderFault);

/// <summary>The per-entry outcome of a batch operation, however many calls it took.</summary>
/// <param name="Succeeded">Accepted entries, in input order.</param>
/// <param name="Failed">Rejected entries, in input order.</param>
public sealed record SqsBatchResult(IReadOnlyList<SqsBatchSuccess> Succeeded, IReadOnlyList<SqsBatchFailure> Failed)
{
    /// <summary>True when every entry was accepted.</summary>
    public bool AllSucceeded => Failed.Count == 0;
}

/// <summary>How to receive.</summary>
public sealed record SqsReceiveOptions
{
    /// <summary>At most this many messages (1–10). Default 10.</summary>
    public int MaxMessages { get; init; } = 10;

    /// <summary>Long polling: wait up to this long (≤ 20 s) for a message. Default zero (short poll).</summary>
    public TimeSpan WaitTime { get; init; } = TimeSpan.Zero;

    /// <summary>Hide received messages this long. Null: the queue's visibility timeout.</summary>
    public TimeSpan? VisibilityTimeout { get; init; }
}

/// <summary>A received message.</summary>
/// <param name="MessageId">The message id.</param>
/// <param name="ReceiptHandle">The handle to delete the message or change its visibility (valid for this receive only).</param>
/// <param name="Body">The body.</param>
/// <param name="Attributes">Every system attribute SQS returned (ApproximateReceiveCount, SentTimestamp, MessageGroupId, …).</param>
public sealed record SqsMessage(string MessageId, string ReceiptHandle, string Body, IReadOnlyDictionary<string, string> Attributes)
{
    /// <summary>How many times the message was received, this receive included (1 on the first delivery).</summary>
    public int ApproximateReceiveCount =>
        Attributes.TryGetValue("ApproximateReceiveCount", out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;

    /// <summary>FIFO: the message group.</summary>
    public string? MessageGroupId => Attributes.GetValueOrDefault("MessageGroupId");

    /// <summary>FIFO: the deduplication id (given or content-based).</summary>
    public string? MessageDeduplicationId => Attributes.GetValueOrDefault("MessageDeduplicationId");

    /// <summary>FIFO: the sequence number within the group.</summary>
    public string? SequenceNumber => Attributes.GetValueOrDefault("SequenceNumber");

    /// <summary>When the message was sent (from <c>SentTimestamp</c>, epoch milliseconds).</summary>
    public DateTimeOffset? SentTimestamp =>
        Attributes.TryGetValue("SentTimestamp", out var v) && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;
}

/// <summary>A received message to delete in a batch.</summary>
/// <param name="Id">The entry id (unique per batch).</param>
/// <param name="ReceiptHandle">The receipt handle of the receive.</param>
public sealed record SqsReceipt(string Id, string ReceiptHandle);

/// <summary>A received message whose visibility timeout to change in a batch.</summary>
/// <param name="Id">The entry id (unique per batch).</param>
/// <param name="ReceiptHandle">The receipt handle of the receive.</param>
/// <param name="VisibilityTimeout">The new timeout from now (zero: visible again at once; at most 12 hours).</param>
public sealed record SqsVisibilityChange(string Id, string ReceiptHandle, TimeSpan VisibilityTimeout);

/// <summary>Where a queue sends messages received too often.</summary>
/// <param name="DeadLetterTargetArn">The dead-letter queue's ARN (a FIFO queue needs a FIFO DLQ).</param>
/// <param name="MaxReceiveCount">Receives after which the next receive moves the message to the DLQ.</param>
public sealed record SqsRedrivePolicy(string DeadLetterTargetArn, int MaxReceiveCount)
{
    /// <summary>The attribute's JSON: <c>{"deadLetterTargetArn":"…","maxReceiveCount":3}</c>.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("deadLetterTargetArn", DeadLetterTargetArn);
            writer.WriteNumber("maxReceiveCount", MaxReceiveCount);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Parses the attribute (<c>maxReceiveCount</c> may be a number or a string); null when absent or unreadable.</summary>
    public static SqsRedrivePolicy? Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
            return null;
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("deadLetterTargetArn", out var arn) || arn.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("maxReceiveCount", out var count))
                return null;
            int? max = count.ValueKind switch
            {
                JsonValueKind.Number when count.TryGetInt32(out var n) => n,
                JsonValueKind.String when int.TryParse(count.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
                _ => null,
            };
            return max is { } m ? new SqsRedrivePolicy(arn.GetString()!, m) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>A queue to create.</summary>
/// <param name="Name">The name; FIFO queue names end in <c>.fifo</c>.</param>
public sealed record SqsQueueSpec(string Name)
{
    /// <summary>A FIFO queue (the default when the name ends in <c>.fifo</c>).</summary>
    public bool Fifo { get; init; } = Name.EndsWith(".fifo", StringComparison.Ordinal);

    /// <summary>FIFO: deduplicate by a SHA-256 of the body when a message carries no deduplication id.</summary>
    public bool ContentBasedDeduplication { get; init; }

    /// <summary>The default visibility timeout of received messages. Null: SQS's default (30 s).</summary>
    public TimeSpan? VisibilityTimeout { get; init; }

    /// <summary>How long messages are kept. Null: SQS's default (4 days).</summary>
    public TimeSpan? MessageRetentionPeriod { get; init; }

    /// <summary>Where to send messages received too often. Null: none.</summary>
    public SqsRedrivePolicy? RedrivePolicy { get; init; }

    /// <summary>Queue tags. Null: none.</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; init; }
}

/// <summary>The attributes of a queue the controller looks at.</summary>
/// <param name="QueueArn">The ARN (a redrive policy's target).</param>
/// <param name="ApproximateNumberOfMessages">Messages available for receiving.</param>
/// <param name="ApproximateNumberOfMessagesNotVisible">Messages in flight (received, neither deleted nor timed out).</param>
/// <param name="ApproximateNumberOfMessagesDelayed">Messages not yet visible because of a delay.</param>
/// <param name="VisibilityTimeout">The queue's default visibility timeout.</param>
/// <param name="Fifo">Whether the queue is FIFO.</param>
/// <param name="ContentBasedDeduplication">Whether content-based deduplication is on.</param>
/// <param name="RedrivePolicy">The redrive policy, or null.</param>
/// <param name="All">Every attribute as SQS returned it.</param>
public sealed record SqsQueueAttributes(
    string QueueArn,
    long ApproximateNumberOfMessages,
    long ApproximateNumberOfMessagesNotVisible,
    long ApproximateNumberOfMessagesDelayed,
    TimeSpan VisibilityTimeout,
    bool Fifo,
    bool ContentBasedDeduplication,
    SqsRedrivePolicy? RedrivePolicy,
    IReadOnlyDictionary<string, string> All);
