using System.Collections.Concurrent;

namespace Serverless.Aws.Core;

/// <summary>
/// Counts AWS API calls by service and operation, so reconciles and benchmarks can report
/// "AWS calls by operation". Thread-safe; one recorder may be shared by every client of a reconcile.
/// </summary>
/// <remarks>
/// A <em>call</em> is one logical operation as the caller sees it; an <em>attempt</em> is one HTTP request,
/// so a call that was retried twice counts one call and three attempts.
/// </remarks>
public sealed class AwsCallRecorder
{
    private readonly ConcurrentDictionary<string, long> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _attempts = new(StringComparer.Ordinal);

    /// <summary>Records one logical call of <paramref name="operation"/> on <paramref name="service"/>.</summary>
    public void RecordCall(string service, string operation) =>
        _calls.AddOrUpdate(Key(service, operation), 1, static (_, n) => n + 1);

    /// <summary>Records one HTTP attempt (first try or retry) of <paramref name="operation"/>.</summary>
    public void RecordAttempt(string service, string operation) =>
        _attempts.AddOrUpdate(Key(service, operation), 1, static (_, n) => n + 1);

    /// <summary>Logical calls so far, keyed <c>Service:Operation</c>, sorted by key.</summary>
    public IReadOnlyDictionary<string, long> Calls => Snapshot(_calls);

    /// <summary>HTTP attempts so far (calls plus retries), keyed <c>Service:Operation</c>, sorted by key.</summary>
    public IReadOnlyDictionary<string, long> Attempts => Snapshot(_attempts);

    /// <summary>Total logical calls across every service and operation.</summary>
    public long TotalCalls => _calls.Values.Sum();

    /// <summary>Logical calls of one operation (0 when never called).</summary>
    public long CallsOf(string service, string operation) =>
        _calls.TryGetValue(Key(service, operation), out var n) ? n : 0;

    /// <summary>Forgets every count.</summary>
    public void Reset()
    {
        _calls.Clear();
        _attempts.Clear();
    }

    private static string Key(string service, string operation) => service + ":" + operation;

    private static SortedDictionary<string, long> Snapshot(ConcurrentDictionary<string, long> source) =>
        new(source.ToDictionary(static kv => kv.Key, static kv => kv.Value), StringComparer.Ordinal);
}
