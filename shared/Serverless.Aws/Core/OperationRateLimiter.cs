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

    private static TokenBucketRateLimiter? Create(RateLimit limit)
    {
        if (limit.IsUnlimited)
            return null;
        if (limit.PerSecond <= 0 || limit.Burst <= 0)
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "a rate limit needs a positive rate and burst");
        // Refill in 1/10 s steps so a low rate (3/s) does not release its tokens in one lump each second.
        var period = TimeSpan.FromMilliseconds(100);
        var perPeriod = Math.Max(1, (int)Math.Round(limit.PerSecond / 10.0));
        if (limit.PerSecond < 10)
        {
            period = TimeSpan.FromSeconds(1.0 / limit.PerSecond);
            perPeriod = 1;
        }
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = limit.Burst,
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = period,
            AutoReplenishment = true,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }
}
