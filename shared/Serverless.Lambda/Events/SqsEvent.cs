using System.Globalization;
using System.Text.Json.Serialization;

namespace Serverless.Lambda.Events;

/// <summary>The event an SQS event source mapping sends: up to BatchSize records (10 for FIFO queues).</summary>
public sealed class SqsEvent
{
    [JsonPropertyName("Records")]
    public List<SqsRecord> Records { get; set; } = [];
}

/// <summary>One SQS message as Lambda delivers it (AWS's documented shape; field names are camelCase except attributes).</summary>
public sealed class SqsRecord
{
    [JsonPropertyName("messageId")]
    public string MessageId { get; set; } = "";

    [JsonPropertyName("receiptHandle")]
    public string ReceiptHandle { get; set; } = "";

    [JsonPropertyName("body")]
    public string? Body { get; set; }

    [JsonPropertyName("attributes")]
    public Dictionary<string, string> Attributes { get; set; } = [];

    [JsonPropertyName("messageAttributes")]
    public Dictionary<string, SqsMessageAttribute> MessageAttributes { get; set; } = [];

    [JsonPropertyName("md5OfBody")]
    public string? Md5OfBody { get; set; }

    [JsonPropertyName("eventSource")]
    public string? EventSource { get; set; }

    [JsonPropertyName("eventSourceARN")]
    public string? EventSourceArn { get; set; }

    [JsonPropertyName("awsRegion")]
    public string? AwsRegion { get; set; }

    /// <summary>FIFO: the message group (the key's <c>MessageGroupId</c>); null on standard queues.</summary>
    [JsonIgnore]
    public string? MessageGroupId => Attributes.GetValueOrDefault("MessageGroupId");

    /// <summary>How many times SQS has handed this message out, this delivery included.</summary>
    [JsonIgnore]
    public int ApproximateReceiveCount =>
        int.TryParse(Attributes.GetValueOrDefault("ApproximateReceiveCount"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;

    /// <summary>When SQS accepted the message.</summary>
    [JsonIgnore]
    public DateTimeOffset? SentTimestamp =>
        long.TryParse(Attributes.GetValueOrDefault("SentTimestamp"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
}

/// <summary>A user message attribute.</summary>
public sealed class SqsMessageAttribute
{
    [JsonPropertyName("stringValue")]
    public string? StringValue { get; set; }

    [JsonPropertyName("binaryValue")]
    public string? BinaryValue { get; set; }

    [JsonPropertyName("dataType")]
    public string? DataType { get; set; }
}

/// <summary>
/// The partial-batch response (<c>FunctionResponseTypes: [ReportBatchItemFailures]</c>): the listed messages stay on
/// the queue (and come back after their visibility timeout); every other message of the batch is deleted.
/// </summary>
public sealed class SqsBatchResponse
{
    [JsonPropertyName("batchItemFailures")]
    public List<SqsBatchItemFailure> BatchItemFailures { get; set; } = [];
}

/// <summary>A message that failed.</summary>
public sealed class SqsBatchItemFailure
{
    /// <summary>The failed message's <c>messageId</c>.</summary>
    [JsonPropertyName("itemIdentifier")]
    public string ItemIdentifier { get; set; } = "";
}
