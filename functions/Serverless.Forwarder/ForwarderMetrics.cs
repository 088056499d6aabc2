using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Serverless.Forwarder;

/// <summary>Counters and gauges of the forwarder, rendered in the Prometheus text format at /metrics.</summary>
public sealed class ForwarderMetrics
{
    private readonly ConcurrentDictionary<string, long> _events = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _restarts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _relists = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _statusRefused = new(StringComparer.Ordinal);
    private readonly object _lagLock = new();
    private readonly double[] _lagSamples = new double[1024];
    private long _lagCount;
    private double _lagSum;
    private long _keysSent;
    private long _keysEnqueued;
    private long _sendFailures;
    private long _sendCalls;
    private long _backpressureWaits;

    /// <summary>Keys waiting to be sent (set by the buffer).</summary>
    public Func<int> PendingKeys { get; set; } = static () => 0;

    /// <summary>Age in seconds of the oldest pending key (set by the buffer).</summary>
    public Func<double> OldestPendingSeconds { get; set; } = static () => 0;

    /// <summary>Why the forwarder is not ready (null: ready), for /readyz (set by the forwarder).</summary>
    public Func<string?> Readiness { get; set; } = static () => "not started";

    /// <summary>The longest time a kind's list or watch has been failing without a success in between (set by the forwarder).</summary>
    public Func<TimeSpan> ApiFailing { get; set; } = static () => TimeSpan.Zero;

    /// <summary>Whether /readyz answers 200.</summary>
    public bool Ready => Readiness() is null;

    public long KeysSent => Interlocked.Read(ref _keysSent);

    public long SendFailures => Interlocked.Read(ref _sendFailures);

    public long EventsSeen(string kind) => _events.GetValueOrDefault(kind);

    public long WatchRestarts(string kind) => _restarts.Where(p => p.Key.StartsWith(kind + "|", StringComparison.Ordinal)).Sum(static p => p.Value);

    public long Relists(string kind) => _relists.GetValueOrDefault(kind);

    /// <summary>Status connections closed without an answer or refused, by reason (connections, request_line, headers, timeout).</summary>
    public long StatusRefusals(string reason) => _statusRefused.GetValueOrDefault(reason);

    public void StatusRefused(string reason) => _statusRefused.AddOrUpdate(reason, 1, static (_, v) => v + 1);

    public void EventSeen(string kind, string type) => _events.AddOrUpdate(kind + "|" + type, 1, static (_, v) => v + 1);

    public void WatchRestarted(string kind, string reason) => _restarts.AddOrUpdate(kind + "|" + reason, 1, static (_, v) => v + 1);

    public void Relisted(string kind) => _relists.AddOrUpdate(kind, 1, static (_, v) => v + 1);

    public void KeyEnqueued() => Interlocked.Increment(ref _keysEnqueued);

    public void BackpressureWait() => Interlocked.Increment(ref _backpressureWaits);

    public void SendCall() => Interlocked.Increment(ref _sendCalls);

    public void SendFailed(int entries) => Interlocked.Add(ref _sendFailures, entries);

    /// <summary>A key was accepted by SQS <paramref name="lag"/> after the change that caused it was seen.</summary>
    public void KeySent(TimeSpan lag)
    {
        Interlocked.Increment(ref _keysSent);
        lock (_lagLock)
        {
            _lagSamples[_lagCount % _lagSamples.Length] = lag.TotalSeconds;
            _lagCount++;
            _lagSum += lag.TotalSeconds;
        }
    }

    /// <summary>The Prometheus text exposition.</summary>
    public string Render()
    {
        var text = new StringBuilder();
        void Metric(string name, string type, string help)
        {
            text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        }
        void Value(string name, string labels, double value) =>
            text.Append(name).Append(labels.Length == 0 ? "" : "{" + labels + "}").Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');

        Metric("forwarder_watch_events_total", "counter", "Watch and list events seen, by kind and type.");
        foreach (var (key, value) in _events.OrderBy(static p => p.Key, StringComparer.Ordinal))
        {
            var parts = key.Split('|');
            Value("forwarder_watch_events_total", $"kind=\"{parts[0]}\",type=\"{parts[1]}\"", value);
        }
        Metric("forwarder_watch_restarts_total", "counter", "Watches restarted, by kind and reason.");
        foreach (var (key, value) in _restarts.OrderBy(static p => p.Key, StringComparer.Ordinal))
        {
            var parts = key.Split('|');
            Value("forwarder_watch_restarts_total", $"kind=\"{parts[0]}\",reason=\"{parts[1]}\"", value);
        }
        Metric("forwarder_relists_total", "counter", "Full lists (start, 410 Gone, errors), by kind.");
        foreach (var (key, value) in _relists.OrderBy(static p => p.Key, StringComparer.Ordinal))
            Value("forwarder_relists_total", $"kind=\"{key}\"", value);
        Metric("forwarder_keys_enqueued_total", "counter", "Keys handed to the send buffer (before coalescing).");
        Value("forwarder_keys_enqueued_total", "", Interlocked.Read(ref _keysEnqueued));
        Metric("forwarder_keys_sent_total", "counter", "Keys accepted by SQS.");
        Value("forwarder_keys_sent_total", "", KeysSent);
        Metric("forwarder_send_failures_total", "counter", "Entries SQS rejected or calls that failed (each is retried).");
        Value("forwarder_send_failures_total", "", SendFailures);
        Metric("forwarder_send_calls_total", "counter", "SendMessageBatch calls.");
        Value("forwarder_send_calls_total", "", Interlocked.Read(ref _sendCalls));
        Metric("forwarder_backpressure_waits_total", "counter", "Times a watch loop waited for buffer space.");
        Value("forwarder_backpressure_waits_total", "", Interlocked.Read(ref _backpressureWaits));
        Metric("forwarder_pending_keys", "gauge", "Keys waiting to be sent.");
        Value("forwarder_pending_keys", "", PendingKeys());
        Metric("forwarder_queue_lag_oldest_seconds", "gauge", "Age of the oldest key not yet sent.");
        Value("forwarder_queue_lag_oldest_seconds", "", OldestPendingSeconds());
        Metric("forwarder_queue_lag_seconds", "summary", "From the change being seen to SQS accepting its key (last 1024 keys).");
        double[] samples;
        long count;
        double sum;
        lock (_lagLock)
        {
            samples = [.. _lagSamples.Take((int)Math.Min(_lagCount, _lagSamples.Length))];
            count = _lagCount;
            sum = _lagSum;
        }
        Array.Sort(samples);
        foreach (var q in new[] { 0.5, 0.9, 0.99 })
            Value("forwarder_queue_lag_seconds", $"quantile=\"{q.ToString(CultureInfo.InvariantCulture)}\"", samples.Length == 0 ? 0 : samples[Math.Min(samples.Length - 1, (int)(q * samples.Length))]);
        Value("forwarder_queue_lag_seconds_sum", "", sum);
        Value("forwarder_queue_lag_seconds_count", "", count);
        Metric("forwarder_api_failing_seconds", "gauge", "How long the longest-failing kind's list or watch has failed without a success (0: none failing).");
        Value("forwarder_api_failing_seconds", "", ApiFailing().TotalSeconds);
        Metric("forwarder_status_refused_total", "counter", "Status connections closed at once (connections over the cap) or refused (request_line, headers, timeout).");
        foreach (var (key, value) in _statusRefused.OrderBy(static p => p.Key, StringComparer.Ordinal))
            Value("forwarder_status_refused_total", $"reason=\"{key}\"", value);
        Metric("forwarder_ready", "gauge", "1 while /readyz answers 200: the first full sync finished and no kind's list or watch has failed for longer than API_UNREACHABLE_SECONDS.");
        Value("forwarder_ready", "", Ready ? 1 : 0);
        return text.ToString();
    }
}
