using Serverless.Aws.Sqs;
using Serverless.Lambda.Events;

namespace Serverless.Functions;

/// <summary>
/// Builds the event an SQS event source mapping would send for received messages (AWS's documented record shape),
/// so the local host and the tests drive the functions with exactly what Lambda delivers.
/// </summary>
public static class SqsEventBuilder
{
    /// <summary>The event for <paramref name="messages"/> received from the queue <paramref name="queueArn"/>.</summary>
    public static SqsEvent FromMessages(IEnumerable<SqsMessage> messages, string queueArn, string region = "us-east-1")
    {
        ArgumentNullException.ThrowIfNull(messages);
        return new SqsEvent
        {
            Records = [.. messages.Select(m => new SqsRecord
            {
                MessageId = m.MessageId,
                ReceiptHandle = m.ReceiptHandle,
                Body = m.Body,
                Attributes = m.Attributes
                    .Where(static a => a.Key is "ApproximateReceiveCount" or "SentTimestamp" or "SenderId" or "ApproximateFirstReceiveTimestamp"
                        or "SequenceNumber" or "MessageGroupId" or "MessageDeduplicationId")
                    .ToDictionary(static a => a.Key, static a => a.Value, StringComparer.Ordinal),
                Md5OfBody = Md5(m.Body),
                EventSource = "aws:sqs",
                EventSourceArn = queueArn,
                AwsRegion = region,
            })],
        };
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms", Justification = "md5OfBody is SQS's checksum field, not security")]
    private static string Md5(string body) =>
        Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(body)));
}
