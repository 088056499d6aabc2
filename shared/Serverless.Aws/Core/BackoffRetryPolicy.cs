using Amazon.Runtime;
using Amazon.Runtime.Internal;

namespace Serverless.Aws.Core;

/// <summary>
/// The SDK's standard retry policy (which errors are retryable: throttling, 5xx, transient network and timeout
/// errors) with our backoff: retry n (1-based) waits a uniformly random time in [0, min(max, base·2ⁿ⁻¹)] ("full jitter").
/// </summary>
internal sealed class BackoffRetryPolicy : StandardRetryPolicy
{
    private readonly TimeSpan _base;
    private readonly TimeSpan _max;
    private readonly Func<double> _jitter;

    /// <param name="config">The client configuration (maximum retries).</param>
    /// <param name="baseDelay">The ceiling of the first retry's wait.</param>
    /// <param name="maxDelay">The ceiling of any wait.</param>
    /// <param name="jitter">Draws the uniform number in [0, 1) that scales the ceiling. Null: <see cref="Random.Shared"/>.</param>
    public BackoffRetryPolicy(IClientConfig config, TimeSpan baseDelay, TimeSpan maxDelay, Func<double>? jitter = null)
        : base(config)
    {
        _base = baseDelay;
        _max = maxDelay;
        _jitter = jitter ?? Random.Shared.NextDouble;
        // "Throttling" is already in the SDK list; ELBv2 also answers "ThrottlingException" / "RequestLimitExceeded".
        ThrottlingErrorCodes.Add("ThrottlingException");
        ThrottlingErrorCodes.Add("RequestLimitExceeded");
    }

    /// <summary>
    /// The wait before retry number <paramref name="retries"/> (1-based; below 1 counts as 1) for a uniform draw
    /// <paramref name="unit"/> in [0, 1) (clamped into [0, 1], so the wait is never negative nor above the ceiling).
    /// </summary>
    internal static TimeSpan Delay(int retries, TimeSpan baseDelay, TimeSpan maxDelay, double unit)
    {
        // Math.Max first: retries - 1 would wrap around for int.MinValue.
        var exponent = Math.Min(Math.Max(retries, 1) - 1, 30);
        var ceiling = Math.Min(maxDelay.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(Math.Max(0, ceiling) * (double.IsNaN(unit) ? 0 : Math.Clamp(unit, 0, 1)));
    }

    public override void WaitBeforeRetry(IExecutionContext executionContext) =>
        Thread.Sleep(Delay(executionContext.RequestContext.Retries, _base, _max, _jitter()));

    public override Task WaitBeforeRetryAsync(IExecutionContext executionContext) =>
        Task.Delay(
            Delay(executionContext.RequestContext.Retries, _base, _max, _jitter()),
            executionContext.RequestContext.CancellationToken);
}
