using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Serverless.Messages;
using Serverless.Testing;
using Serverless.Testing.FakeKubernetes;

// Usage: dotnet run -c Release --project tests/Serverless.Benchmarks.Forwarder [-- changes]
//        dotnet run -c Release --project tests/Serverless.Benchmarks.Forwarder -- soak
// Needs artifacts/aot/forwarder/Serverless.Forwarder (published here when missing); the soak runs the forwarder in this process.
if (args is ["soak", ..])
    return await Serverless.Benchmarks.Forwarder.Soak.RunAsync();
var changes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000;
const int Nodes = 2_000, PerKind = 5_000;
var binary = RepoPaths.Combine("artifacts", "aot", "forwarder", "Serverless.Forwarder");
if (!File.Exists(binary))
{
    Console.WriteLine("publishing the forwarder with Native AOT ...");
    var publish = RepoPaths.Run("dotnet", ["publish", RepoPaths.Combine("functions", "Serverless.Forwarder", "Serverless.Forwarder.csproj"), "-c", "Release", "-r", "linux-x64", "-o", Path.GetDirectoryName(binary)!], timeout: TimeSpan.FromMinutes(15));
    if (publish.ExitCode != 0)
        throw new InvalidOperationException(publish.Stdout + publish.Stderr);
}

await using var api = await FakeKubernetesApiServer.StartAsync(new FakeKubernetesOptions { MaxHistory = 50_000, BookmarkInterval = TimeSpan.FromSeconds(5) });
var seed = Stopwatch.StartNew();
api.Create("""{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"alb"},"spec":{"controller":"ingress.k8s.aws/alb"}}""");
for (var i = 0; i < Nodes; i++)
    api.Create(JsonNode.Parse($$$$$"""{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-{{{{{i}}}}}","labels":{"kubernetes.io/hostname":"node-{{{{{i}}}}}","topology.kubernetes.io/zone":"us-east-1a"}},"spec":{"providerID":"aws:///us-east-1a/i-{{{{{i:x12}}}}}"},"status":{"conditions":[{"type":"Ready","status":"True"}],"allocatable":{"cpu":"4","memory":"16Gi"}}}""")!.AsObject());
for (var i = 0; i < PerKind; i++)
{
    var ns = "ns-" + (i % 50);
    api.Create(JsonNode.Parse($$$$$"""{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"ing-{{{{{i}}}}}","namespace":"{{{{{ns}}}}}","annotations":{"alb.ingress.kubernetes.io/group.name":"group-{{{{{i % 500}}}}}","alb.ingress.kubernetes.io/scheme":"internet-facing"}},"spec":{"ingressClassName":"alb","rules":[{"host":"app-{{{{{i}}}}}.example.com","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"svc-{{{{{i}}}}}","port":{"number":80}}}}]}}]}}""")!.AsObject());
    api.Create(JsonNode.Parse($$$$$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"svc-{{{{{i}}}}}","namespace":"{{{{{ns}}}}}"},"spec":{"type":"NodePort","selector":{"app":"app-{{{{{i}}}}}"},"ports":[{"port":80,"targetPort":8080,"nodePort":{{{{{30000 + i % 2000}}}}}}]}}""")!.AsObject());
    api.Create(JsonNode.Parse($$$$$"""{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"svc-{{{{{i}}}}}-abcde","namespace":"{{{{{ns}}}}}","labels":{"kubernetes.io/service-name":"svc-{{{{{i}}}}}"}},"addressType":"IPv4","endpoints":[{"addresses":["10.0.{{{{{i / 250}}}}}.{{{{{i % 250}}}}}"],"conditions":{"ready":true},"nodeName":"node-{{{{{i % Nodes}}}}}"}],"ports":[{"port":8080,"protocol":"TCP"}]}""")!.AsObject());
}
Console.WriteLine($"seeded {Nodes} Nodes and {PerKind} each of Ingresses, Services, EndpointSlices in {seed.Elapsed.TotalSeconds:F1} s");

// A loopback SQS endpoint (JSON protocol) that accepts SendMessageBatch and records when each key arrived.
var arrivals = new ConcurrentDictionary<string, ConcurrentQueue<long>>(StringComparer.Ordinal);
var sqsCalls = 0;
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
var sqs = builder.Build();
sqs.Run(async context =>
{
    var at = Stopwatch.GetTimestamp();
    var request = JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync())!;
    var target = context.Request.Headers["X-Amz-Target"].ToString();
    context.Response.ContentType = "application/x-amz-json-1.0";
    context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
    if (target != "AmazonSQS.SendMessageBatch")
    {
        context.Response.StatusCode = 400;
        await context.Response.WriteAsync("""{"__type":"com.amazonaws.sqs#UnsupportedOperation","message":"only SendMessageBatch"}""");
        return;
    }
    Interlocked.Increment(ref sqsCalls);
    var successful = new JsonArray();
    foreach (var entry in request["Entries"]!.AsArray())
    {
        var body = entry!["MessageBody"]!.GetValue<string>();
        arrivals.GetOrAdd(QueueMessage.Parse(body).Key.ToString(), static _ => new ConcurrentQueue<long>()).Enqueue(at);
        successful.Add(new JsonObject
        {
            ["Id"] = entry["Id"]!.GetValue<string>(),
            ["MessageId"] = Guid.NewGuid().ToString(),
            ["MD5OfMessageBody"] = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(body))),
            ["SequenceNumber"] = "1",
        });
    }
    await context.Response.WriteAsync(new JsonObject { ["Successful"] = successful, ["Failed"] = new JsonArray() }.ToJsonString());
});
await sqs.StartAsync();
var sqsUrl = sqs.Urls.First();

var statusPort = FreePort();
var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
foreach (var (k, v) in new Dictionary<string, string>
{
    ["KUBE_API_URL"] = api.Url,
    ["QUEUE_URL"] = sqsUrl + "/123456789012/bench.fifo",
    ["AWS_ENDPOINT_URL"] = sqsUrl,
    ["AWS_REGION"] = "us-east-1",
    ["AWS_ACCESS_KEY_ID"] = "bench",
    ["AWS_SECRET_ACCESS_KEY"] = "bench",
    ["HTTP_PORT"] = statusPort.ToString(CultureInfo.InvariantCulture),
    ["LOG_LEVEL"] = "warn",
})
    psi.Environment[k] = v;
// FORWARDER_CHILD_<NAME>=value reaches the forwarder only, as <NAME> (GC settings to try without affecting this process)
foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(static n => n.StartsWith("FORWARDER_CHILD_", StringComparison.Ordinal)))
    psi.Environment[name["FORWARDER_CHILD_".Length..]] = Environment.GetEnvironmentVariable(name);
using var forwarder = Process.Start(psi)!;
var log = new ConcurrentQueue<string>();
forwarder.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
forwarder.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
forwarder.BeginOutputReadLine();
forwarder.BeginErrorReadLine();
using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
var started = Stopwatch.StartNew();
while (true)
{
    if (forwarder.HasExited)
        throw new InvalidOperationException("forwarder exited: " + string.Join('\n', log));
    try
    {
        if ((await http.GetAsync($"http://127.0.0.1:{statusPort}/readyz")).IsSuccessStatusCode)
            break;
    }
    catch (HttpRequestException)
    {
    }
    await Task.Delay(100);
}
var readyAfter = started.Elapsed;
var expectedInitial = Nodes + 500 + PerKind; // nodes, groups, services
while (arrivals.Count < expectedInitial && started.Elapsed < TimeSpan.FromMinutes(3))
    await Task.Delay(100);
var syncedAfter = started.Elapsed;
await Task.Delay(2_000);
var (rssSynced, peakSynced) = Rss(forwarder.Id);
Console.WriteLine($"initial sync: ready after {readyAfter.TotalSeconds:F1} s, {arrivals.Count} keys sent after {syncedAfter.TotalSeconds:F1} s, {sqsCalls} SendMessageBatch calls");

// Latency: one change at a time to a distinct object, 20 per second, watch event -> SendMessageBatch arrival.
var latencies = new List<double>();
var sentBefore = arrivals.Values.Sum(static q => q.Count);
var random = new Random(1);
var pending = new List<(string Key, long At, int Before)>();
var clock = Stopwatch.StartNew();
for (var i = 0; i < changes; i++)
{
    string key;
    switch (i % 4)
    {
        case 0:
            {
                var n = random.Next(Nodes);
                api.Mutate("v1", "Node", null, $"node-{n}", o => o["metadata"]!["labels"]!["bench"] = i.ToString(CultureInfo.InvariantCulture));
                key = $"node:node-{n}";
                break;
            }
        case 1:
            {
                var s = random.Next(PerKind);
                api.Mutate("discovery.k8s.io/v1", "EndpointSlice", "ns-" + (s % 50), $"svc-{s}-abcde", o => o["endpoints"]![0]!["addresses"]![0] = $"10.1.{i / 250}.{i % 250}");
                key = $"service:ns-{s % 50}/svc-{s}";
                break;
            }
        case 2:
            {
                var s = random.Next(PerKind);
                api.Mutate("networking.k8s.io/v1", "Ingress", "ns-" + (s % 50), $"ing-{s}", o => o["spec"]!["rules"]![0]!["host"] = $"v{i}.example.com");
                key = $"ingress-group:group-{s % 500}";
                break;
            }
        default:
            {
                var n = random.Next(Nodes); // heartbeat only: must produce nothing
                api.Mutate("v1", "Node", null, $"node-{n}", o => o["status"]!["allocatable"]!["cpu"] = (i % 7).ToString(CultureInfo.InvariantCulture), status: true);
                key = "";
                break;
            }
    }
    if (key.Length > 0)
        pending.Add((key, Stopwatch.GetTimestamp(), arrivals.TryGetValue(key, out var q) ? q.Count : 0));
    var due = TimeSpan.FromMilliseconds(50 * (i + 1));
    if (clock.Elapsed < due)
        await Task.Delay(due - clock.Elapsed);
}
await Task.Delay(3_000);
var (rssWatched, peakWatched) = Rss(forwarder.Id);
var sentDuring = arrivals.Values.Sum(static q => q.Count) - sentBefore;
var missing = 0;
foreach (var (key, at, before) in pending)
{
    var after = arrivals.TryGetValue(key, out var q) ? q.Skip(before).FirstOrDefault(t => t >= at) : 0;
    if (after == 0)
        missing++;
    else
        latencies.Add(Stopwatch.GetElapsedTime(at, after).TotalMilliseconds);
}
latencies.Sort();
double P(double q) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
var metrics = await http.GetStringAsync($"http://127.0.0.1:{statusPort}/metrics");

Process.Start("kill", ["-TERM", forwarder.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
var exited = forwarder.WaitForExit(30_000);
await sqs.StopAsync();

Console.WriteLine($"objects: {Nodes} Nodes, {PerKind} Ingresses, {PerKind} Services, {PerKind} EndpointSlices (+1 IngressClass)");
Console.WriteLine($"RSS after initial sync: {rssSynced / 1024.0:F1} MB (peak {peakSynced / 1024.0:F1} MB)");
Console.WriteLine($"RSS after {changes} watched changes: {rssWatched / 1024.0:F1} MB (peak {peakWatched / 1024.0:F1} MB)");
Console.WriteLine($"latency watch event -> SendMessageBatch (debounce 300 ms), {latencies.Count} changes: p50 {P(0.5):F0} ms, p99 {P(0.99):F0} ms, max {P(1):F0} ms; not sent: {missing}");
Console.WriteLine($"watch phase: {pending.Count} real changes + {changes - pending.Count} heartbeat-only Node status updates -> {sentDuring} keys sent (heartbeats send nothing; changes to one key within 300 ms coalesce)");
Console.WriteLine($"SIGTERM: exited {(exited ? "with " + forwarder.ExitCode : "NOT within 30 s")}");
Console.WriteLine(string.Join('\n', metrics.Split('\n').Where(static l => l.StartsWith("forwarder_keys_sent_total", StringComparison.Ordinal) || l.StartsWith("forwarder_send_calls_total", StringComparison.Ordinal) || l.StartsWith("forwarder_queue_lag_seconds{", StringComparison.Ordinal))));
return missing == 0 && exited ? 0 : 1;

static (long RssKb, long PeakKb) Rss(int pid)
{
    long rss = 0, peak = 0;
    foreach (var line in File.ReadLines($"/proc/{pid}/status"))
    {
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            peak = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
    return (rss, peak);
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}
