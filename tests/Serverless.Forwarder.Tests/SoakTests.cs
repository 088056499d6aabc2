using System.Diagnostics;
using System.Globalization;

namespace Serverless.Forwarder.Tests;

[Collection(MotoCollection.Name)]
public sealed class SoakTests(MotoFixture moto) : IAsyncLifetime
{
    private const int Services = 2_000;
    private const int Changes = 10_000;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(300);
    private ForwarderHarness _h = null!;

    public async Task InitializeAsync() => _h = await ForwarderHarness.CreateAsync(moto.Server);

    public async Task DisposeAsync() => await _h.DisposeAsync();

    /// <summary>
    /// 10,000 changes to 2,000 Services over a minute, with dropped connections and a 410 Gone on the way: every
    /// changed key is accepted after its last change and no key is sent twice within the debounce window. The queue is <see cref="InMemoryFifoSqs"/>: moto's FIFO queue
    /// takes seconds per SendMessageBatch once it holds a few thousand messages (the functional tests use moto).
    /// </summary>
    [Fact]
    public async Task Ten_thousand_changes_in_a_minute_each_reach_the_queue_and_no_key_is_sent_twice_within_the_debounce_window()
    {
        for (var i = 0; i < Services; i++)
            _h.Api.Create(ForwarderHarness.Service("soak", $"svc-{i:D4}"));
        var queue = new InMemoryFifoSqs();
        var recording = new RecordingSqs(queue);
        await _h.StartAsync(c => c with { Debounce = Debounce, MaxPendingKeys = 5_000 }, recording);
        await WaitIdleAsync(recording);
        Assert.Equal(Services, recording.Accepted.Count);
        recording.Accepted.Clear();

        var lastChange = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        var random = new Random(7);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Changes; i++)
        {
            var name = $"svc-{random.Next(Services):D4}";
            var port = i;
            lastChange["service:soak/" + name] = DateTime.UtcNow; // before the write: the send may come before this thread runs again
            _h.Api.Mutate("v1", "Service", "soak", name, s => s["spec"]!["ports"]![0]!["port"] = 1000 + port);
            if (i == Changes / 3 || i == Changes * 2 / 3)
                _h.Api.DropWatches();
            if (i == Changes / 2)
            {
                _h.Api.CompactHistory();
                _h.Api.ExpireWatches();
            }
            var due = Duration * ((i + 1) / (double)Changes);
            if (clock.Elapsed < due && i % 50 == 0)
                await Task.Delay(due - clock.Elapsed);
        }
        await WaitIdleAsync(recording);

        var accepted = recording.Accepted.ToArray().Where(a => a.Key.StartsWith("service:soak/", StringComparison.Ordinal)).ToList();
        var byKey = accepted.GroupBy(static a => a.Key).ToDictionary(static g => g.Key, static g => g.Select(static a => a.At).Order().ToList(), StringComparer.Ordinal);
        var lost = lastChange.Where(c => !byKey.TryGetValue(c.Key, out var sends) || sends[^1] < c.Value).Select(static c => c.Key).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} keys have no send after their last change, e.g. {string.Join(", ", lost.Take(5))}");
        var tooSoon = byKey.Where(p => p.Value.Zip(p.Value.Skip(1)).Any(pair => pair.Second - pair.First < Debounce)).Select(static p => p.Key).ToList();
        Assert.True(tooSoon.Count == 0, $"{tooSoon.Count} keys sent twice within {Debounce.TotalMilliseconds} ms, e.g. {string.Join(", ", tooSoon.Take(5).Select(k => k + " " + string.Join("/", byKey[k].Zip(byKey[k].Skip(1)).Select(static p => (int)(p.Second - p.First).TotalMilliseconds))))}");
        // a relist sends every key again with the same causes as its last send when the object did not change
        // since: the same deduplication id, so SQS keeps only one
        var distinctIds = accepted.Select(static a => a.DedupId).Distinct().Count();
        Assert.InRange(distinctIds, lastChange.Count, accepted.Count);
        Assert.True(_h.Host.Metrics.Relists("Service") >= 2); // the 410 in the middle relisted
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak: {Changes} changes to {lastChange.Count} keys in {clock.Elapsed.TotalSeconds:F0} s -> {accepted.Count} sends ({distinctIds} distinct dedup ids), {queue.Messages.Count} messages in the queue incl. {Services} of the initial sync, relists {_h.Host.Metrics.Relists("Service")}"));
    }

    private async Task WaitIdleAsync(RecordingSqs recording)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        var last = -1;
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(1_000);
            if (_h.Host.Buffer.IsIdle && recording.Accepted.Count == last)
                return;
            last = recording.Accepted.Count;
        }
        throw new TimeoutException($"{_h.Host.Buffer.Count} keys still pending");
    }
}
