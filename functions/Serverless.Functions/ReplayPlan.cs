using System.Globalization;
using Serverless.Messages;

namespace Serverless.Functions;

/// <summary>
/// The replay's share of the ELBv2 <c>Describe*</c> budget. All controllers, consoles and tools of an account and
/// Region share one token bucket per operation class, so the replay, which exists only to catch drift, takes a small
/// share of it and leaves the rest to event-driven reconciles.
/// </summary>
public sealed record ReplayBudget
{
    /// <summary><c>REPLAY_DESCRIBE_RATE</c>: the sustained Describe refill rate assumed for the account (per second). Default 10 (AWS's documented example bucket refills 10/s).</summary>
    public double DescribeRatePerSecond { get; init; } = 10;

    /// <summary><c>REPLAY_BUDGET_SHARE</c>: the fraction of that rate the replay may use on average. Default 0.2.</summary>
    public double Share { get; init; } = 0.2;

    /// <summary><c>REPLAY_DESCRIBES_PER_KEY</c>: Describe calls one full drift check of a group costs (LB, listeners, rules, TGs, attributes, tags, health). Default 12.</summary>
    public double DescribesPerKey { get; init; } = 12;

    /// <summary>Keys per second the replay may start: <c>rate × share ÷ describesPerKey</c>.</summary>
    public double KeysPerSecond => DescribeRatePerSecond * Share / DescribesPerKey;
}

/// <summary>One key of a replay with its delay.</summary>
public sealed record ReplayItem(QueueKey Key, TimeSpan Delay);

/// <summary>
/// Which keys a replay enqueues and when. The math:
/// <list type="bullet">
/// <item>Spread window <c>W = min(interval, 900 s)</c> (900 s is SQS's largest message delay).</item>
/// <item>Capacity <c>K = max(1, floor(W × keysPerSecond))</c>: the keys that fit into <c>W</c> within the budget share.</item>
/// <item><c>N ≤ K</c>: every key is enqueued; key <c>i</c> (ordinal order) gets delay <c>floor(i × W / N)</c>, so starts
/// are evenly spaced and the replay's Describe rate is <c>N × describesPerKey / W ≤ rate × share</c>.</item>
/// <item><c>N &gt; K</c>: only <c>K</c> keys this window, a rotating slice starting at <c>(windowIndex × K) mod N</c>, delays
/// <c>floor(i × W / K)</c>; every key is covered within <c>ceil(N / K)</c> intervals.</item>
/// </list>
/// Example: 10 Describe/s, share 0.2, 12 per key, interval 10 min ⇒ W = 600 s, 0.167 keys/s ⇒ K = 100 groups per
/// replay; 250 groups are all covered every 3 replays (30 min).
/// Overlapping replays of the same window (a late schedule, a retry, a manual run) compute the same keys, delays and
/// deduplication ids, so the FIFO queue drops the second copy.
/// </summary>
public static class ReplayPlan
{
    /// <summary>SQS's largest per-message delay.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(900);

    /// <summary>The start of the schedule window containing <paramref name="at"/> (windows are aligned to the Unix epoch).</summary>
    public static DateTimeOffset WindowStart(DateTimeOffset at, TimeSpan interval)
    {
        var ticks = Math.Max(interval.Ticks, TimeSpan.TicksPerSecond);
        var utc = at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return DateTimeOffset.UnixEpoch.AddTicks(utc - (utc % ticks));
    }

    /// <summary>The deduplication id of a key's replay message in a window.</summary>
    public static string DeduplicationId(QueueKey key, DateTimeOffset windowStart) =>
        key.DeduplicationId("replay", windowStart.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));

    /// <summary>The plan for <paramref name="keys"/> (deduplicated, sorted ordinally) in the window starting at <paramref name="windowStart"/>.</summary>
    public static (IReadOnlyList<ReplayItem> Items, int Deferred, TimeSpan Window) Compute(
        IEnumerable<QueueKey> keys, DateTimeOffset windowStart, TimeSpan interval, ReplayBudget budget)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(budget);
        var sorted = keys.Distinct().OrderBy(static k => k.ToString(), StringComparer.Ordinal).ToList();
        var window = interval < MaxDelay ? interval : MaxDelay;
        if (window < TimeSpan.Zero)
            window = TimeSpan.Zero;
        if (sorted.Count == 0)
            return ([], 0, window);
        var capacity = (int)Math.Max(1, Math.Floor(window.TotalSeconds * budget.KeysPerSecond));
        var chosen = sorted;
        if (sorted.Count > capacity)
        {
            var windowIndex = interval.Ticks > 0 ? (windowStart.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / interval.Ticks : 0;
            var offset = (int)(windowIndex * capacity % sorted.Count);
            chosen = [.. Enumerable.Range(0, capacity).Select(i => sorted[(offset + i) % sorted.Count])];
        }
        var items = chosen
            .Select((key, i) => new ReplayItem(key, TimeSpan.FromSeconds(Math.Floor(i * window.TotalSeconds / chosen.Count))))
            .ToList();
        return (items, sorted.Count - chosen.Count, window);
    }
}
