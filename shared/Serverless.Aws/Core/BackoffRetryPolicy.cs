using Amazon.Runtime;
using Amazon.Runtime.Internal;

namespace Serverless.Aws.Core;

/// <summary>
/// The SDK's standard retry policy (which errors are retryable: throttling, 5xx, transient network and timeout
/// errors) with our backoff: retry n waits a uniformly random time in [0, min(max, base·2ⁿ)] ("full jitter").
/// </summary>
internal sealed class BackoffRetryPolicy : StandardRetryPolicy
{
    private readonly TimeSpan _base;
    private readonly TimeSpan _max;

    public BackoffRetryPolicy(IClientConfig config, TimeSpan baseDelay, TimeSpan maxDelay)
        : base(config)
    {
        _base = baseDelay;
        _max = maxDelay;
        // "Throttling" is already in the SDK list; ELBv2 also answers "ThrottlingException" / "RequestLimitExceeded".
        ThrottlingErrorCodes.Add("ThrottlingException");
        ThrottlingErrorCodes.Add("RequestLimitExceeded");
    }

    /// <summary>The wait before retry number <paramref name="retries"/> (1-based) for a uniform draw <paramref name="unit"/> in [0, 1).</summary>
    internal static TimeSpan Delay(int retries, TimeSpan baseDelay, TimeSpan maxDelay, double unit)
    {
        var exponent = Math.Min(Math.Max(retries - 1, 0), 30);
        var ceiling = Math.Min(maxDelay.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(ceiling * unit);
    }

    public override void WaitBeforeRetry(IExecutionContext executionContext) =>
        Thread.Sleep(Delay(executionContext.RequestContext.Retries, _base, _max, Random.Shared.NextDouble()));

    public override Task WaitBeforeRetryAsync(IExecutionContext executionContext) =>
        Task.Delay(
            Delay(executionContext.RequestContext.Retries, _base, _max, Random.Shared.NextDouble()),
            executionContext.RequestContext.CancellationToken);
}
