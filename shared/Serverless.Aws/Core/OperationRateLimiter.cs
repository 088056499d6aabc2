using System.Threading.RateLimiting;

namespace Serverless.Aws.Core;

/// <summary>
/// One token bucket per <see cref="OperationClass"/>; a call waits (asynchronously, honouring cancellation)
/// until its class has a token. Waiting callers are served oldest first.
/// </summary>
public sealed class OperationRateLimiter : IDisposable
{
    private readonly Dictionary<OperationClass, RateLimiter?> _buckets = [];

    /// <summary>Creates the buckets for <paramref name="limits"/>.</summary>
    public OperationRateLimiter(ApiRateLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        Limits = limits;
        foreach (var operationClass in Enum.GetValues<OperationClass>())
            _buckets[operationClass] = Create(limits.For(operationClass));
    }

    /// <summary>The limits this limiter enforces.</summary>
    public ApiRateLimits Limits { get; }

    /// <summary>Waits for a token of <paramref name="operationClass"/>.</summary>
    public async ValueTask AcquireAsync(OperationClass operationClass, CancellationToken cancellationToken)
    {
        var bucket = _buckets[operationClass];
        if (bucket is null)
            return;
        using var lease = await bucket.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        if (!lease.IsAcquired)
            throw new InvalidOperationException($"rate limiter for {operationClass} refused a lease (queue full)");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var bucket in _buckets.Values)
            bucket?.Dispose();
    }

    private static TokenBucketRateLimiter? Create(RateLimit limit) =>
        limit.IsUnlimited ? null : new TokenBucketRateLimiter(BucketOptions(limit));

    /// <summary>
    /// The token bucket for <paramref name="limit"/>: <see cref="RateLimit.Burst"/> tokens, refilled at
    /// <see cref="RateLimit.PerSecond"/> (never above it) in steps of at most 1/10 s or of a single token (a low rate
    /// such as 3/s gets one token every 1/3 s rather than its tokens in one lump each second).
    /// </summary>
    internal static TokenBucketRateLimiterOptions BucketOptions(RateLimit limit)
    {
        if (!(limit.PerSecond > 0) || double.IsPositiveInfinity(limit.PerSecond) || limit.Burst <= 0)
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "a rate limit needs a positive, finite rate and a positive burst");
        // perPeriod tokens every perPeriod/rate seconds is the rate (to within a tick, rounded towards slower);
        // rounding the token count instead (15/s as 2 per 100 ms) would overshoot the configured limit.
        var perPeriod = (int)Math.Clamp(Math.Floor(limit.PerSecond / 10.0), 1, int.MaxValue);
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = limit.Burst,
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = TimeSpan.FromTicks(Math.Max(1, (long)Math.Ceiling(perPeriod * TimeSpan.TicksPerSecond / limit.PerSecond))),
            AutoReplenishment = true,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        };
    }
}
