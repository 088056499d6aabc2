using Serverless.Messages;

namespace Serverless.Forwarder;

/// <summary>A key waiting to be sent, with every change coalesced into it.</summary>
public sealed class PendingKey
{
    internal PendingKey(QueueKey key, long firstSeen, DateTimeOffset observedAt)
    {
        Key = key;
        FirstSeen = firstSeen;
        ObservedAt = observedAt;
    }

    public QueueKey Key { get; }

    /// <summary>When the first change of this batch was seen (monotonic microseconds).</summary>
    internal long FirstSeen { get; set; }

    /// <summary>When the first change was seen (wall clock; the message's observedAt).</summary>
    public DateTimeOffset ObservedAt { get; internal set; }

    /// <summary>What caused the key (<c>Kind/id@resourceVersion</c>), the input of the deduplication id.</summary>
    public SortedSet<string> Causes { get; } = new(StringComparer.Ordinal);

    /// <summary>The latest resourceVersion among the causes.</summary>
    public string? ResourceVersion { get; internal set; }

    internal int Attempts { get; set; }

    internal long RetryAt { get; set; }

    internal long ScheduledDue { get; set; }

    /// <summary>The SQS deduplication id: the key plus every cause, so the same changes seen twice dedupe in SQS.</summary>
    public string DeduplicationId => Key.DeduplicationId([.. Causes]);
}

/// <summary>
/// The per-key debounce buffer between the watch loops and the sender. A key is due <c>debounce</c> after its first
/// change and never sooner than <c>debounce</c> after its previous send completed; changes to a waiting key merge
/// into it; a key is in at most one SendMessageBatch call at a time. At most <c>capacity</c> distinct keys wait:
/// then <see cref="AddAsync(KeyCause, CancellationToken)"/> waits (backpressure on the watch loop; nothing is dropped).
/// Failed sends come back with an exponential delay.
/// </summary>
public sealed class KeyBuffer
{
    private readonly object _lock = new();
    private readonly Dictionary<QueueKey, PendingKey> _pending = [];
    private readonly PriorityQueue<QueueKey, long> _due = new();
    private readonly HashSet<QueueKey> _inFlight = [];
    private readonly Dictionary<QueueKey, long> _lastSent = [];
    private readonly SemaphoreSlim _signal = new(0);
    private readonly long _debounce;
    private readonly int _capacity;
    private readonly ForwarderMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly long _origin;
    private TaskCompletionSource _space = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _draining;
    private long _lastPrune;

    public KeyBuffer(TimeSpan debounce, int capacity, ForwarderMetrics metrics, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _debounce = (long)(debounce.TotalMilliseconds * 1000);
        _capacity = capacity;
        _metrics = metrics;
        _time = time ?? TimeProvider.System;
        _origin = _time.GetTimestamp();
        metrics.PendingKeys = () => Count;
        metrics.OldestPendingSeconds = OldestSeconds;
    }

    /// <summary>Keys waiting or in flight.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
                return _pending.Count + _inFlight.Count;
        }
    }

    /// <summary>Whether nothing waits and nothing is in flight.</summary>
    public bool IsIdle => Count == 0;

    /// <summary>Whether <see cref="Drain"/> was called.</summary>
    public bool Draining
    {
        get
        {
            lock (_lock)
                return _draining;
        }
    }

    /// <summary>How long until the earliest waiting key is due (zero when one is due now); null when none waits.</summary>
    public TimeSpan? UntilNextDue
    {
        get
        {
            lock (_lock)
            {
                var next = _pending.Where(p => !_inFlight.Contains(p.Key)).Select(p => (long?)DueOf(p.Key, p.Value)).Min();
                return next is { } due ? TimeSpan.FromMicroseconds(Math.Max(0, due - Now)) : null;
            }
        }
    }

    // Microseconds from the clock's high-resolution timestamp, not Environment.TickCount64 (a coarse clock, several ms
    // steps on Linux): whole milliseconds would let a key go out 299.x ms after its previous send with a 300 ms debounce.
    // Counted from the buffer's creation, so the conversion stays exact for clocks with large timestamps.
    private long Now => _time.GetElapsedTime(_origin).Ticks / TimeSpan.TicksPerMicrosecond;

    /// <summary>From now on every key is due at once (shutdown: flush without waiting for debounce).</summary>
    public void Drain()
    {
        lock (_lock)
        {
            _draining = true;
            foreach (var (key, pending) in _pending)
                Schedule(key, pending);
        }
        Signal();
    }

    /// <summary>Adds keys in order, waiting for space when the buffer is full.</summary>
    public async ValueTask AddAsync(List<KeyCause> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys)
            await AddAsync(key, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds (or merges) one key, waiting for space when the buffer is full.</summary>
    public async ValueTask AddAsync(KeyCause cause, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task space;
            lock (_lock)
            {
                _metrics.KeyEnqueued();
                if (_pending.TryGetValue(cause.Key, out var pending))
                {
                    Merge(pending, cause);
                    return;
                }
                if (_pending.Count < _capacity)
                {
                    pending = new PendingKey(cause.Key, Now, _time.GetUtcNow());
                    Merge(pending, cause);
                    _pending[cause.Key] = pending;
                    Schedule(cause.Key, pending);
                    break;
                }
                if (_space.Task.IsCompleted)
                    _space = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                space = _space.Task;
            }
            _metrics.BackpressureWait();
            await space.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        Signal();
    }

    /// <summary>Takes up to <paramref name="max"/> keys that are due now (they are in flight until <see cref="Complete"/>).</summary>
    public List<PendingKey> TakeDue(int max)
    {
        var batch = new List<PendingKey>(max);
        lock (_lock)
        {
            var now = Now;
            while (batch.Count < max && _due.TryPeek(out var key, out var due) && due <= now)
            {
                _due.Dequeue();
                if (!_pending.TryGetValue(key, out var pending) || pending.ScheduledDue != due || _inFlight.Contains(key))
                    continue; // stale entry, or a send of this key is still running (rescheduled when it completes)
                if (DueOf(key, pending) > now)
                {
                    Schedule(key, pending);
                    continue;
                }
                _pending.Remove(key);
                _inFlight.Add(key);
                batch.Add(pending);
            }
            if (batch.Count > 0 && _pending.Count < _capacity)
                _space.TrySetResult();
        }
        return batch;
    }

    /// <summary>Ends a send: <paramref name="sent"/> keys are done, <paramref name="failed"/> ones wait again (with backoff).</summary>
    public void Complete(IEnumerable<PendingKey> sent, IEnumerable<PendingKey> failed)
    {
        ArgumentNullException.ThrowIfNull(sent);
        ArgumentNullException.ThrowIfNull(failed);
        lock (_lock)
        {
            var now = Now;
            foreach (var done in sent)
            {
                _inFlight.Remove(done.Key);
                _lastSent[done.Key] = now;
                if (_pending.TryGetValue(done.Key, out var next))
                    Schedule(done.Key, next);
            }
            foreach (var retry in failed)
            {
                _inFlight.Remove(retry.Key);
                retry.Attempts++;
                retry.RetryAt = now + (long)(1000 * Math.Min(5_000, 50 * Math.Pow(2, Math.Min(retry.Attempts, 10))));
                if (_pending.TryGetValue(retry.Key, out var newer))
                {
                    foreach (var cause in retry.Causes)
                        newer.Causes.Add(cause);
                    newer.FirstSeen = Math.Min(newer.FirstSeen, retry.FirstSeen);
                    newer.ObservedAt = retry.ObservedAt < newer.ObservedAt ? retry.ObservedAt : newer.ObservedAt;
                    newer.RetryAt = retry.RetryAt;
                    newer.Attempts = retry.Attempts;
                    Schedule(retry.Key, newer);
                }
                else
                {
                    _pending[retry.Key] = retry;
                    Schedule(retry.Key, retry);
                }
            }
            if (now - _lastPrune > Math.Max(1_000_000, _debounce))
            {
                _lastPrune = now;
                foreach (var old in _lastSent.Where(p => now - p.Value >= _debounce).Select(static p => p.Key).ToList())
                    _lastSent.Remove(old);
            }
        }
        Signal();
    }

    /// <summary>Waits until a key may be due (a new key, a completed send, or the earliest due time).</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        long wait;
        lock (_lock)
            wait = _due.TryPeek(out _, out var due) ? Math.Clamp((due - Now + 999) / 1000, 1, 1_000) : 1_000;
        using var timeout = new ClockTimeout(_time, cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMilliseconds(wait));
        try
        {
            await _signal.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // the wait ran out: a key may be due
        }
    }

    private void Merge(PendingKey pending, KeyCause cause)
    {
        pending.Causes.Add(cause.Cause);
        // provenance: the newest version (resourceVersions are opaque, but the API server's are integers)
        if (cause.ResourceVersion is { } rv && (pending.ResourceVersion is not { } old || !long.TryParse(old, out var a) || !long.TryParse(rv, out var b) || b > a))
            pending.ResourceVersion = rv;
    }

    private long DueOf(QueueKey key, PendingKey pending)
    {
        if (_draining)
            return pending.RetryAt;
        var due = Math.Max(pending.FirstSeen + _debounce, pending.RetryAt);
        return _lastSent.TryGetValue(key, out var sent) ? Math.Max(due, sent + _debounce) : due;
    }

    private void Schedule(QueueKey key, PendingKey pending)
    {
        pending.ScheduledDue = DueOf(key, pending);
        _due.Enqueue(key, pending.ScheduledDue);
    }

    private double OldestSeconds()
    {
        lock (_lock)
            return _pending.Count == 0 ? 0 : (Now - _pending.Values.Min(static p => p.FirstSeen)) / 1_000_000.0;
    }

    private void Signal()
    {
        if (_signal.CurrentCount == 0)
            _signal.Release();
    }
}
