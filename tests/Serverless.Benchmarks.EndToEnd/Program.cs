using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using Serverless.Aws.Acm;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.Sqs;
using Serverless.Aws.Wafv2;
using Serverless.Deploy;
using Serverless.Forwarder;
using Serverless.Functions;
using Serverless.Functions.Wiring;
using Serverless.Ingress;
using Serverless.Kubernetes.Auth;
using Serverless.Lambda;
using Serverless.Local;
using Serverless.LocalHost;
using Serverless.Messages;
using Serverless.Reconcile;
using Serverless.Testing;
using Serverless.Testing.FakeKubernetes;

// The AWS calls whole reconciles cost as deployed: Kubernetes changes on a loopback fake API server, the forwarder
// (in-process) sending keys to a FIFO queue in moto, the reconcile function wired as in Lambda (one container: its
// facts cache lives across invocations) consuming the queue through the local host, deploying to moto. Calls are
// counted per operation by the clients' recorder (SQS excluded: that is the queue, not the reconcile).
//
// The group: 1 ALB, HTTP and HTTPS, 20 paths (20 rules per listener) over 10 Services (5 instance targets on 5
// nodes, 5 ip targets with 2 ready endpoints each), 5 Ingresses in one IngressGroup.
const string Cluster = "bench";
const int Nodes = 5;
var log = new StringBuilder();
void Line(string text)
{
    Console.WriteLine(text);
    log.AppendLine(text);
}

using var moto = MotoServer.Start();
var recorder = new AwsCallRecorder();
var aws = moto.ClientOptions(recorder);
using var sdk = Ec2Gateway.CreateSdkClient(aws);
var sandbox = await Sandbox.SeedAsync(sdk, Cluster, "us-east-1", [.. Enumerable.Range(1, Nodes).Select(i => new SandboxNode($"node-{i}"))]);
using var http = new HttpClient();
const string manifestCertificate = "arn:aws:acm:us-east-1:123456789012:certificate/bench";
var certificate = (await SandboxCertificates.EnsureAsync(http, moto.Endpoint, "us-east-1", [manifestCertificate], CancellationToken.None))[manifestCertificate];

await using var kube = await FakeKubernetesApiServer.StartAsync(new FakeKubernetesOptions { BookmarkInterval = TimeSpan.FromMilliseconds(200) });
kube.Create("""{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"alb"},"spec":{"controller":"ingress.k8s.aws/alb"}}""");
foreach (var node in sandbox.Nodes)
    kube.CreateReadyNode(node.NodeName, node.ProviderId);
for (var s = 0; s < 10; s++)
{
    var ip = s >= 5;
    var name = $"svc-{s}";
    kube.Create(ip
        ? $$$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"{{{name}}}","namespace":"default","annotations":{"alb.ingress.kubernetes.io/target-type":"ip"}},"spec":{"type":"ClusterIP","ports":[{"name":"http","port":80,"targetPort":8080,"protocol":"TCP"}]}}"""
        : $$$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"{{{name}}}","namespace":"default"},"spec":{"type":"NodePort","ports":[{"name":"http","port":80,"targetPort":8080,"nodePort":{{{30080 + s}}},"protocol":"TCP"}]}}""");
    if (ip)
        kube.Create(Slice(name, [$"10.0.{s}.10", $"10.0.{s}.11"]));
}
for (var i = 0; i < 5; i++)
{
    // Ingress i routes 4 paths to two Services (a target group per Ingress and Service, as upstream names them).
    var paths = new JsonArray();
    for (var p = 0; p < 4; p++)
    {
        paths.Add((JsonNode)new JsonObject
        {
            ["path"] = $"/app-{i * 4 + p}",
            ["pathType"] = "Prefix",
            ["backend"] = new JsonObject { ["service"] = new JsonObject { ["name"] = $"svc-{2 * i + p % 2}", ["port"] = new JsonObject { ["number"] = 80 } } },
        });
    }
    kube.Create(new JsonObject
    {
        ["apiVersion"] = "networking.k8s.io/v1",
        ["kind"] = "Ingress",
        ["metadata"] = new JsonObject
        {
            ["name"] = $"ing-{i}",
            ["namespace"] = "default",
            ["annotations"] = new JsonObject
            {
                ["alb.ingress.kubernetes.io/group.name"] = "shop",
                ["alb.ingress.kubernetes.io/scheme"] = "internet-facing",
                ["alb.ingress.kubernetes.io/listen-ports"] = """[{"HTTP":80},{"HTTPS":443}]""",
                ["alb.ingress.kubernetes.io/certificate-arn"] = certificate,
            },
        },
        ["spec"] = new JsonObject { ["ingressClassName"] = "alb", ["rules"] = new JsonArray((JsonNode)new JsonObject { ["http"] = new JsonObject { ["paths"] = paths } }) },
    });
}

// The functions, wired as LiveSeams wires them, in one container; a shifted clock stands for time passing.
var clock = new ShiftedClock();
using var sqs = SqsGateway.Create(moto.ClientOptions());
var queue = await sqs.CreateQueueAsync(new SqsQueueSpec("bench.fifo") { VisibilityTimeout = TimeSpan.FromSeconds(30) });
using var api = KubernetesConnection.Create(new KubernetesClientConfiguration { Host = kube.Url });
using var ec2 = Ec2Gateway.Create(aws);
using var elb = new ElasticLoadBalancingV2Client(aws);
using var waf = new Wafv2Client(aws);
using var acm = new AcmClient(aws);
var cluster = new ClusterSettings { ClusterName = Cluster, VpcId = sandbox.VpcId };
var output = new StringWriter();
var lambdaLog = new LambdaLogger(TextWriter.Synchronized(output), Serverless.Lambda.LogLevel.Info, clock);
var context = new LambdaContext(lambdaLog, new EmfMetrics(lambdaLog, "bench", time: clock), clock, _ => null);
var groups = new IngressGroupReconciler(
    new LiveIngressGroupSource(api, cluster), cluster, new AwsFactsLoader(ec2, elb, acm, waf, LiveSeams.FactsCacheWindow, clock), new StackDeployer(elb, ec2, waf, recorder));
var counting = new CountingReconciler(new StackKeyReconciler(groups));
var function = new ReconcileFunction(counting, new GroupFanOut(api, cluster), sqs,
    new ReconcileOptions { QueueUrl = queue, DeadlineMargin = TimeSpan.Zero, ReplaySenderIds = ["AIDAIT2UOQQY3AUEKVGXU"] }, context);
var host = new LocalFunctionHost(function, function, function, sqs, queue, context) { FunctionTimeout = TimeSpan.FromSeconds(120) };

var forwarderConfig = new ForwarderConfig { QueueUrl = queue, ApiServer = new Uri(kube.Url), Debounce = TimeSpan.FromMilliseconds(200), HttpPort = 0, ListPageSize = 100 };
using var stopForwarder = new CancellationTokenSource();
var forwarder = new ForwarderHost(forwarderConfig, sqs, JsonLog.None);
var forwarding = forwarder.RunAsync(stopForwarder.Token);
await forwarder.Synced.WaitAsync(TimeSpan.FromSeconds(60));

Line($"End-to-end reconcile cost (forwarder → SQS FIFO → reconcile function → moto), {DateTime.UtcNow:yyyy-MM-dd}");
Line("group: 1 ALB, HTTP+HTTPS, 20 rules per listener, 10 target groups (5 instance on 5 nodes, 5 ip with 2 endpoints), 5 Ingresses");
Line("");
Line("| scenario | reconciles | AWS calls | mutating | calls by operation |");
Line("|---|---:|---:|---:|---|");

await Scenario("create from empty (forwarder's initial sync)", () => Task.CompletedTask);
await Scenario("no-op event inside the facts window (an Ingress label changed)",
    () => Mutate("networking.k8s.io/v1", "Ingress", "default", "ing-0", o => o["metadata"]!["labels"] = new JsonObject { ["touched"] = "1" }));
clock.Offset += TimeSpan.FromMinutes(6);
await Scenario("no-op event after the facts window (cold facts)",
    () => Mutate("networking.k8s.io/v1", "Ingress", "default", "ing-0", o => o["metadata"]!["labels"] = new JsonObject { ["touched"] = "2" }));
await Scenario("one ip endpoint added", () => Replace(Slice("svc-5", ["10.0.5.10", "10.0.5.11", "10.0.5.12"])));
await Scenario("one ip endpoint removed", () => Replace(Slice("svc-5", ["10.0.5.10", "10.0.5.11"])));
await Scenario("one node NotReady (instance targets)", () => Mutate("v1", "Node", null, sandbox.Nodes[0].NodeName,
    o => o["status"]!["conditions"] = JsonNode.Parse("""[{"type":"Ready","status":"False"}]"""), status: true));
await Scenario("the node Ready again", () => Mutate("v1", "Node", null, sandbox.Nodes[0].NodeName,
    o => o["status"]!["conditions"] = JsonNode.Parse("""[{"type":"Ready","status":"True"}]"""), status: true));
await Scenario("replay: full drift check of the group", async () =>
{
    var replay = new ReplayFunction(new ClusterKeys(api, cluster), new NoStacks(), sqs, new ReplayOptions { QueueUrl = queue, Interval = TimeSpan.FromSeconds(1) }, context);
    await replay.ReplayAsync(DateTimeOffset.UtcNow, CancellationToken.None);
});
await Scenario("forwarder restart (every Node, Service, EndpointSlice and Ingress sent again)", async () =>
{
    await stopForwarder.CancelAsync();
    await forwarding;
    forwarder.Dispose();
    forwarder = new ForwarderHost(forwarderConfig, sqs, JsonLog.None);
    forwarding = forwarder.RunAsync(CancellationToken.None);
    await forwarder.Synced.WaitAsync(TimeSpan.FromSeconds(60));
});

var results = Path.Combine(AppContext.BaseDirectory, "end-to-end.md");
await File.WriteAllTextAsync(results, log.ToString());
Console.WriteLine($"\n(written to {results})");
return 0;

async Task Scenario(string name, Func<Task> change)
{
    var before = new Dictionary<string, long>(recorder.Calls);
    var reconcilesBefore = counting.Calls;
    await change();
    await SettleAsync();
    var calls = recorder.Calls
        .Where(c => !c.Key.StartsWith("SQS:", StringComparison.Ordinal))
        .Select(c => (c.Key, Count: c.Value - before.GetValueOrDefault(c.Key)))
        .Where(c => c.Count > 0)
        .OrderBy(c => c.Key, StringComparer.Ordinal)
        .ToList();
    var total = calls.Sum(c => c.Count);
    var mutating = calls.Where(c => DeployResult.IsMutatingOperation(c.Key)).Sum(c => c.Count);
    Line(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {counting.Calls - reconcilesBefore} | {total} | {mutating} | {string.Join(", ", calls.Select(c => $"{c.Key[(c.Key.IndexOf(':', StringComparison.Ordinal) + 1)..]} {c.Count}"))} |"));
}

// Until the forwarder has nothing pending and the queue is empty (visible and in flight) for a moment.
async Task SettleAsync()
{
    var quiet = 0;
    for (var polls = 0; polls < 200 && quiet < 3; polls++)
    {
        var poll = await host.PollOnceAsync(TimeSpan.FromMilliseconds(300), CancellationToken.None);
        var attributes = await sqs.GetQueueAttributesAsync(queue);
        quiet = poll.Received == 0 && forwarder.Buffer.IsIdle && attributes.ApproximateNumberOfMessages == 0 && attributes.ApproximateNumberOfMessagesNotVisible == 0 ? quiet + 1 : 0;
    }
}

Task Mutate(string apiVersion, string kind, string? ns, string name, Action<JsonObject> change, bool status = false)
{
    kube.Mutate(apiVersion, kind, ns, name, change, status);
    return Task.CompletedTask;
}

Task Replace(string json)
{
    var obj = JsonNode.Parse(json)!.AsObject();
    kube.Mutate("discovery.k8s.io/v1", "EndpointSlice", "default", obj["metadata"]!["name"]!.GetValue<string>(), o => o["endpoints"] = obj["endpoints"]!.DeepClone());
    return Task.CompletedTask;
}

static string Slice(string service, string[] ips)
{
    var endpoints = new JsonArray([.. ips.Select(ip => (JsonNode?)new JsonObject
    {
        ["addresses"] = new JsonArray(JsonValue.Create(ip)),
        ["conditions"] = new JsonObject { ["ready"] = true },
    })]);
    return new JsonObject
    {
        ["apiVersion"] = "discovery.k8s.io/v1",
        ["kind"] = "EndpointSlice",
        ["metadata"] = new JsonObject { ["name"] = service, ["namespace"] = "default", ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = service } },
        ["addressType"] = "IPv4",
        ["ports"] = new JsonArray((JsonNode)new JsonObject { ["name"] = "http", ["port"] = 8080, ["protocol"] = "TCP" }),
        ["endpoints"] = endpoints,
    }.ToJsonString();
}

/// <summary>Counts the stack reconciles the function starts.</summary>
internal sealed class CountingReconciler(IKeyReconciler inner) : IKeyReconciler
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public bool Reconciles(QueueKey key) => inner.Reconciles(key);

    public Task<ReconcileResult> ReconcileAsync(QueueKey key, ReconcileMode mode, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        return inner.ReconcileAsync(key, mode, cancellationToken);
    }
}

/// <summary>The system clock shifted forward by <see cref="Offset"/> (time passing for the facts cache).</summary>
internal sealed class ShiftedClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}

/// <summary>The replay's stack inventory, empty: this benchmark measures the reconciles, not the GC scan.</summary>
internal sealed class NoStacks : IClusterStacks
{
    public Task<IReadOnlyList<StackOnAws>> ListStacksAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<StackOnAws>>([]);

    public Task MarkAbsentAsync(IReadOnlyList<string> loadBalancerArns, DateTimeOffset since, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("this benchmark has no stacks to mark");

    public Task ClearAbsentAsync(IReadOnlyList<string> loadBalancerArns, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("this benchmark has no stacks to clear");

    public Task<bool> IsDeletionProtectedAsync(string loadBalancerArn, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("this benchmark has no load balancers");

    public Task<SharedSweep> SweepSharedAsync(CancellationToken cancellationToken) => Task.FromResult(new SharedSweep(0, "skipped"));
}
