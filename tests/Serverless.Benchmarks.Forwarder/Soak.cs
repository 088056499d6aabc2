using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Serverless.Forwarder;
using Serverless.Testing.FakeKubernetes;

namespace Serverless.Benchmarks.Forwarder;

/// <summary>
/// The soak: 10,000 changes to 2,000 Services over a minute, with dropped connections and a 410 Gone on the way,
/// through the forwarder in this process (system clock) into <see cref="InMemoryFifoSqs"/> (moto's FIFO queue takes
/// seconds per SendMessageBatch once it holds a few thousand messages). Prints what it measured and checks that every
/// changed key was accepted after its last change, that no key was sent twice within the debounce window, and that
/// the 410 relisted; returns 1 when a check fails.
/// </summary>
internal static class Soak
{
    private const int Services = 2_000;
    private const int Changes = 10_000;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(300);

    public static async Task<int> RunAsync()
    {
        await using var api = await FakeKubernetesApiServer.StartAsync(new FakeKubernetesOptions { MaxHistory = 50_000, BookmarkInterval = TimeSpan.FromMilliseconds(200) });
        api.Create("""{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"alb"},"spec":{"controller":"ingress.k8s.aws/alb"}}""");
        for (var i = 0; i < Services; i++)
            api.Create(Service($"svc-{i:D4}"));
        var queue = new InMemoryFifoSqs();
        var config = new ForwarderConfig
        {
            QueueUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/soak.fifo",
            ApiServer = new Uri(api.Url),
            Debounce = Debounce,
            MaxPendingKeys = 5_000,
            HttpPort = 0,
            WatchIdleTimeout = TimeSpan.FromSeconds(10),
            ShutdownFlush = TimeSpan.FromSeconds(10),
            ListPageSize = 100,
        };
        using var host = new ForwarderHost(config, queue, JsonLog.None);
        using var stop = new CancellationTokenSource();
        var run = host.RunAsync(stop.Token);
        await host.Synced.WaitAsync(TimeSpan.FromSeconds(60));
        await WaitIdleAsync(host, queue);
        var initial = queue.Accepted.Count(static a => a.Key.StartsWith("service:soak/", StringComparison.Ordinal));
        queue.Accepted.Clear();

        var lastChange = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        var random = new Random(7);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Changes; i++)
        {
            var name = $"svc-{random.Next(Services):D4}";
            var port = i;
            lastChange["service:soak/" + name] = DateTime.UtcNow; // before the write: the send may come before this thread runs again
            api.Mutate("v1", "Service", "soak", name, s => s["spec"]!["ports"]![0]!["port"] = 1000 + port);
            if (i == Changes / 3 || i == Changes * 2 / 3)
                api.DropWatches();
            if (i == Changes / 2)
            {
                api.CompactHistory();
                api.ExpireWatches();
            }
            var due = Duration * ((i + 1) / (double)Changes);
            if (clock.Elapsed < due && i % 50 == 0)
                await Task.Delay(due - clock.Elapsed);
        }
        var changing = clock.Elapsed;
        await WaitIdleAsync(host, queue);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        var accepted = queue.Accepted.ToArray().Where(static a => a.Key.StartsWith("service:soak/", StringComparison.Ordinal)).ToList();
        var byKey = accepted.GroupBy(static a => a.Key).ToDictionary(static g => g.Key, static g => g.Select(static a => a.At).Order().ToList(), StringComparer.Ordinal);
        var lost = lastChange.Where(c => !byKey.TryGetValue(c.Key, out var sends) || sends[^1] < c.Value).Select(static c => c.Key).ToList();
        var gaps = byKey.Values.SelectMany(static sends => sends.Zip(sends.Skip(1), static (a, b) => b - a)).ToList();
        var tooSoon = byKey.Where(p => p.Value.Zip(p.Value.Skip(1)).Any(pair => pair.Second - pair.First < Debounce)).Select(static p => p.Key).ToList();
        // a relist sends every key again with the same causes as its last send when the object did not change since:
        // the same deduplication id, so SQS keeps only one
        var distinctIds = accepted.Select(static a => a.DedupId).Distinct().Count();
        var relists = host.Metrics.Relists("Service");

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"soak: initial sync sent {initial} of {Services} Services"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak: {Changes} changes to {lastChange.Count} keys in {changing.TotalSeconds:F0} s (2 dropped connections, one 410 Gone) -> {accepted.Count} sends ({distinctIds} distinct dedup ids), {queue.Messages.Count} messages in the queue incl. the initial sync, Service relists {relists}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak: keys without a send after their last change: {lost.Count}; keys sent twice within {Debounce.TotalMilliseconds} ms: {tooSoon.Count}; shortest gap between two sends of a key: {(gaps.Count == 0 ? "-" : ((int)gaps.Min().TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + " ms")}"));
        var failures = new List<string>();
        if (initial != Services)
            failures.Add($"the initial sync sent {initial} Services, not {Services}");
        if (lost.Count > 0)
            failures.Add($"{lost.Count} keys have no send after their last change, e.g. {string.Join(", ", lost.Take(5))}");
        if (tooSoon.Count > 0)
            failures.Add($"{tooSoon.Count} keys sent twice within {Debounce.TotalMilliseconds} ms, e.g. {string.Join(", ", tooSoon.Take(5))}");
        if (distinctIds < lastChange.Count)
            failures.Add($"{distinctIds} distinct deduplication ids for {lastChange.Count} changed keys");
        if (relists < 2)
            failures.Add("the 410 Gone did not relist Services");
        foreach (var failure in failures)
            Console.WriteLine("soak FAILED: " + failure);
        Console.WriteLine(failures.Count == 0 ? "soak: ok" : $"soak: {failures.Count} check(s) failed");
        return failures.Count == 0 ? 0 : 1;
    }

    /// <summary>Waits until nothing is pending and a second passed without a new accepted entry (at most two minutes).</summary>
    private static async Task WaitIdleAsync(ForwarderHost host, InMemoryFifoSqs queue)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        var last = -1;
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(1_000);
            if (host.Buffer.IsIdle && queue.Accepted.Count == last)
                return;
            last = queue.Accepted.Count;
        }
        throw new TimeoutException($"{host.Buffer.Count} keys still pending");
    }

    private static JsonObject Service(string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Service",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "soak" },
        ["spec"] = JsonNode.Parse("""{"type":"NodePort","ports":[{"port":80,"targetPort":8080,"nodePort":30080}]}"""),
    };
}
