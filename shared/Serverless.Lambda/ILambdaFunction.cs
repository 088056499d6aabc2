namespace Serverless.Lambda;

/// <summary>One invocation as the Runtime API hands it over.</summary>
/// <param name="RequestId">The <c>Lambda-Runtime-Aws-Request-Id</c> header.</param>
/// <param name="Deadline">When Lambda stops the invocation (the <c>Lambda-Runtime-Deadline-Ms</c> header).</param>
/// <param name="FunctionArn">The <c>Lambda-Runtime-Invoked-Function-Arn</c> header (null when absent).</param>
/// <param name="TraceId">The <c>Lambda-Runtime-Trace-Id</c> header (X-Ray), null when absent.</param>
/// <param name="Payload">The event, as received (UTF-8 JSON).</param>
public sealed record LambdaInvocation(string RequestId, DateTimeOffset Deadline, string? FunctionArn, string? TraceId, ReadOnlyMemory<byte> Payload)
{
    /// <summary>Time left before <see cref="Deadline"/> according to <paramref name="time"/> (never negative).</summary>
    public TimeSpan RemainingTime(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var left = Deadline - time.GetUtcNow();
        return left < TimeSpan.Zero ? TimeSpan.Zero : left;
    }
}

/// <summary>
/// A function's handler: built once per container (clients, configuration) by the init step of
/// <see cref="LambdaRuntime"/>, then called once per invocation, one invocation at a time.
/// </summary>
public interface ILambdaFunction
{
    /// <summary>
    /// Handles one event and returns the response body (UTF-8 JSON). <paramref name="cancellationToken"/> fires
    /// shortly before the invocation's deadline. An exception is reported to Lambda as the invocation's error.
    /// </summary>
    Task<byte[]> InvokeAsync(LambdaInvocation invocation, CancellationToken cancellationToken);
}
