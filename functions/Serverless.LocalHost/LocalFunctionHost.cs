using System.Globalization;
using System.Text;
using System.Text.Json;
using Serverless.Aws.Sqs;
using Serverless.Functions;
using Serverless.Lambda;

namespace Serverless.LocalHost;

/// <summary>What one poll did.</summary>
/// <param name="Received">Messages received.</param>
/// <param name="Deleted">Messages the function reported done (deleted, as the event source mapping does).</param>
/// <param name="Failed">Messages reported as batch item failures (left to come back after their visibility timeout).</param>
public sealed record PollResult(int Received, int Deleted, int Failed);

/// <summary>
/// The event source mappings, schedule and EventBridge rules of template.yaml, played locally: the same handlers,
/// the same event JSON, the same partial-batch semantics (listed failures stay, the rest are deleted).
/// </summary>
public sealed class LocalFunctionHost(
    ILambdaFunction reconcile,
    ILambdaFunction replay,
    ILambdaFunction instanceEvents,
    ISqsGateway sqs,
    string queueUrl,
    LambdaContext context)
{
    /// <summary>The function timeout the invocations get (template.yaml's reconcile timeout).</summary>
    public TimeSpan FunctionTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Receives up to 10 messages and invokes the reconcile function with them as an SQS event.</summary>
    public async Task<PollResult> PollOnceAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        var attributes = await sqs.GetQueueAttributesAsync(queueUrl, cancellationToken).ConfigureAwait(false);
        var messages = await sqs.ReceiveAsync(queueUrl, new SqsReceiveOptions { MaxMessages = 10, WaitTime = wait, VisibilityTimeout = FunctionTimeout }, cancellationToken).ConfigureAwait(false);
        if (messages.Count == 0)
            return new PollResult(0, 0, 0);
        var sqsEvent = SqsEventBuilder.FromMessages(messages, attributes.QueueArn);
        var payload = JsonSerializer.SerializeToUtf8Bytes(sqsEvent, LambdaJsonContext.Default.SqsEvent);
        var answer = await InvokeAsync(reconcile, payload, cancellationToken).ConfigureAwait(false);
        var failed = answer is null
            ? messages.Select(static m => m.MessageId).ToHashSet(StringComparer.Ordinal) // an invocation error fails the whole batch
            : JsonSerializer.Deserialize(answer, LambdaJsonContext.Default.SqsBatchResponse)!.BatchItemFailures.Select(static f => f.ItemIdentifier).ToHashSet(StringComparer.Ordinal);
        var done = messages.Where(m => !failed.Contains(m.MessageId)).Select((m, i) => new SqsReceipt("d" + i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle)).ToList();
        if (done.Count > 0)
            await sqs.DeleteBatchAsync(queueUrl, done, cancellationToken).ConfigureAwait(false);
        return new PollResult(messages.Count, done.Count, messages.Count - done.Count);
    }

    /// <summary>Invokes the replay with the EventBridge "Scheduled Event" a rule would send at <paramref name="at"/>.</summary>
    public Task<byte[]?> FireReplayAsync(DateTimeOffset at, CancellationToken cancellationToken) =>
        InvokeAsync(replay, Encoding.UTF8.GetBytes(ScheduledEvent(at)), cancellationToken);

    /// <summary>Invokes the instance-events function with an EventBridge JSON file.</summary>
    public async Task<byte[]?> FeedEventFileAsync(string path, CancellationToken cancellationToken) =>
        await InvokeAsync(instanceEvents, await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Polls until cancelled; fires the replay every <paramref name="replayEvery"/> (null: never); feeds every new
    /// <c>*.json</c> in <paramref name="eventsFolder"/> once (then renames it <c>*.json.done</c>).
    /// </summary>
    public async Task RunAsync(TimeSpan? replayEvery, string? eventsFolder, CancellationToken cancellationToken)
    {
        var nextReplay = context.Time.GetUtcNow();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (replayEvery is { } every && context.Time.GetUtcNow() >= nextReplay)
                {
                    await FireReplayAsync(context.Time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                    nextReplay = context.Time.GetUtcNow() + every;
                }
                if (eventsFolder is not null && Directory.Exists(eventsFolder))
                {
                    foreach (var file in Directory.EnumerateFiles(eventsFolder, "*.json").Order(StringComparer.Ordinal))
                    {
                        await FeedEventFileAsync(file, cancellationToken).ConfigureAwait(false);
                        File.Move(file, file + ".done", overwrite: true);
                    }
                }
                await PollOnceAsync(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    /// <summary>The JSON of an EventBridge scheduled event at <paramref name="at"/>.</summary>
    public static string ScheduledEvent(DateTimeOffset at) =>
        "{\"version\":\"0\",\"id\":\"" + Guid.NewGuid() + "\",\"detail-type\":\"Scheduled Event\",\"source\":\"aws.events\",\"account\":\"123456789012\",\"time\":\""
        + at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
        + "\",\"region\":\"us-east-1\",\"resources\":[\"arn:aws:events:us-east-1:123456789012:rule/replay\"],\"detail\":{}}";

    /// <summary>Invokes a handler as the runtime would; returns its response, or null (logged) when it threw.</summary>
    private async Task<byte[]?> InvokeAsync(ILambdaFunction function, byte[] payload, CancellationToken cancellationToken)
    {
        var invocation = new LambdaInvocation("local-" + Guid.NewGuid().ToString("N")[..12], context.Time.GetUtcNow() + FunctionTimeout, null, null, payload);
        LambdaLogger.Enter(new InvocationScope(invocation.RequestId, null));
        try
        {
            using var deadline = new CancellationTokenSource(FunctionTimeout);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
            return await function.InvokeAsync(invocation, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            context.Logger.Error("local invocation failed", ex);
            return null;
        }
        finally
        {
            LambdaLogger.Enter(null);
        }
    }
}
