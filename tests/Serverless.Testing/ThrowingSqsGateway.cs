using Serverless.Aws.Sqs;

namespace Serverless.Testing;

/// <summary>
/// An SQS gateway whose every operation throws <see cref="NotSupportedException"/>: as is, a gateway a test must not
/// reach; as a base, a stand-in that overrides only the operations it models.
/// </summary>
public class ThrowingSqsGateway : ISqsGateway
{
    public virtual Task<string> GetQueueUrlAsync(string queueName, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual Task<string> CreateQueueAsync(SqsQueueSpec spec, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual Task<SqsSendResult> SendAsync(string queueUrl, SqsOutgoingMessage message, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual Task<SqsBatchResult> SendBatchAsync(string queueUrl, IReadOnlyList<SqsOutgoingMessage> messages, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual Task<IReadOnlyList<SqsMessage>> ReceiveAsync(string queueUrl, SqsReceiveOptions options, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual Task DeleteAsync(string queueUrl, string receiptHandle, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual Task<SqsBatchResult> DeleteBatchAsync(string queueUrl, IReadOnlyList<SqsReceipt> receipts, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual Task ChangeVisibilityAsync(string queueUrl, string receiptHandle, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual Task<SqsBatchResult> ChangeVisibilityBatchAsync(string queueUrl, IReadOnlyList<SqsVisibilityChange> changes, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual Task<SqsQueueAttributes> GetQueueAttributesAsync(string queueUrl, CancellationToken cancellationToken = default) => throw new NotSupportedException();
}
