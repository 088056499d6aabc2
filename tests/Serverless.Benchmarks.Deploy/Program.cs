using System.Globalization;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.Wafv2;
using Serverless.Cli.Tests.Reconciles;
using Serverless.Deploy;
using Serverless.Deploy.Tests.Infrastructure;
using Serverless.Testing;

// AWS calls by operation of reconciles (AWS facts + deploy, as the functions and the CLI run them) of the reference
// group (1 ALB, HTTP+HTTPS listeners, 20 rules, 10 target groups — svc9 in ip mode with 3 pod IPs, the others in
// instance mode — 5 nodes), with 0 and with N unrelated load balancers and target groups in the region (default 500).
// One "container" per region: one facts loader with the 5-minute cache on a manual clock, one deployer (its memory of
// the last apply lives as long as the container), as a Lambda container has.
// Usage: dotnet run --project tests/Serverless.Benchmarks.Deploy -c Release [-- <unrelated>]
// Each scenario runs three times: 0 and N unrelated on moto, and 0 on moto failing multi-name lookups as AWS does.
// Exit code 1 when a goal is missed (in any run) or a figure differs between 0 and N unrelated.
// With "-- plans": prints the plan text of two changes (add a path; switch a target type) instead (docs/deployer.md).
using var moto = MotoServer.Start();
if (args.Length > 0 && args[0] == "plans")
    return await PrintPlansAsync(moto);
var unrelated = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500;
// Regions: 0 and N unrelated resources on plain moto, and 0 with moto failing a multi-name lookup when one name is
// missing, as AWS does (AllOrNothingNamesHandler).
var regions = new[] { "0", unrelated.ToString(CultureInfo.InvariantCulture), "0, AWS-like" };
var results = new List<(string Region, string Scenario, ReconcileCost Cost)>();
var baseShape = GroupShape.Reference();
var reference = baseShape with { Backends = [.. baseShape.Backends.Take(9), baseShape.Backends[9] with { TargetType = "ip" }] };
var endpointAdded = reference with { IpTargets = 4 };
var nodeNotReady = reference with { NodeCount = 4 };
var pathChanged = nodeNotReady with { Paths = [nodeNotReady.Paths[0] with { Path = "/svc0-v2/*" }, .. nodeNotReady.Paths.Skip(1)] };
var goals = new Dictionary<string, long>
{
    ["no-op, event-driven, facts cached"] = 4,
    ["no-op, event-driven, after the facts window"] = 6,
    ["one ip endpoint added"] = 3,
    ["one ip endpoint removed"] = 3,
    ["full drift check (replay)"] = 34,
};
foreach (var region in regions)
{
    var count = region == regions[1] ? unrelated : 0;
    var awsLike = region == regions[2];
    Func<HttpMessageHandler, HttpMessageHandler>? wrap = awsLike ? static inner => new AllOrNothingNamesHandler(inner) : null;
    moto.Reset();
    var world = await World.CreateAsync(moto, count);
    using var container = new ReconcileContainer(moto, world, wrap);
    (string Name, GroupShape Shape, bool Full, TimeSpan Advance)[] scenarios =
    [
        ("create from empty", reference, false, TimeSpan.Zero),
        ("no-op, event-driven, facts cached", reference, false, TimeSpan.FromMinutes(1)),
        ("no-op, event-driven, after the facts window", reference, false, ReconcileContainer.FactsWindow + TimeSpan.FromMinutes(1)),
        ("one ip endpoint added", endpointAdded, false, TimeSpan.FromMinutes(1)),
        ("one ip endpoint removed", reference, false, TimeSpan.FromMinutes(1)),
        ("one node NotReady (instance mode, 9 target groups)", nodeNotReady, false, TimeSpan.FromMinutes(1)),
        ("full drift check (replay)", nodeNotReady, true, TimeSpan.FromMinutes(1)),
        ("one path change", pathChanged, false, TimeSpan.FromMinutes(1)),
    ];
    foreach (var (name, shape, full, advance) in scenarios)
    {
        container.Clock.Advance(advance);
        if (!await RunAsync(container, region, name, shape, full))
            return 2;
    }
    // The same two reconciles when the orchestration does not hand the facts' reads to the deployer.
    container.PassKnownReads = false;
    container.Clock.Advance(ReconcileContainer.FactsWindow + TimeSpan.FromMinutes(1));
    if (!await RunAsync(container, region, "no-op after the facts window, reads not passed to the deployer", pathChanged, false)
        || !await RunAsync(container, region, "full drift check, reads not passed to the deployer", pathChanged, true))
        return 2;

    // A target-only change reaching a container that remembers nothing (a new one): facts, then the full comparison
    // (structure checkpoint in place: target group attributes are not read).
    using var fresh = new ReconcileContainer(moto, world, wrap);
    if (!await RunAsync(fresh, region, "one ip endpoint added, new container (nothing remembered)", pathChanged with { IpTargets = 4 }, false))
        return 2;
}

async Task<bool> RunAsync(ReconcileContainer container, string region, string name, GroupShape shape, bool full)
{
    var cost = await container.ReconcileAsync(shape, full);
    if (cost.Deploy.Reconcile.Kind != ReconcileKind.Done)
    {
        Console.Error.WriteLine($"{name} with {region} unrelated: {cost.Deploy.Reconcile}\n{PlanRenderer.RenderText(cost.Deploy)}");
        return false;
    }
    results.Add((region, name, cost));
    return true;
}

Console.WriteLine("Reference group: 1 ALB, HTTP+HTTPS listeners, 20 rules, 10 target groups (9 instance, 1 ip), 5 nodes; moto_server.");
Console.WriteLine("Calls of one reconcile: AWS facts + deploy, one Lambda container (facts cache 5 minutes, deployer memory).");
Console.WriteLine();
Console.WriteLine($"| scenario | calls, {regions[0]} unrelated | calls, {regions[1]} unrelated | calls, {regions[2]} | facts | deploy | mutating | goal |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
foreach (var group in results.GroupBy(static r => r.Scenario))
{
    var byRegion = group.ToDictionary(static r => r.Region, static r => r.Cost);
    var first = byRegion[regions[0]];
    var goal = goals.TryGetValue(group.Key, out var g) ? "≤ " + g.ToString(CultureInfo.InvariantCulture) : "";
    Console.WriteLine($"| {group.Key} | {first.Total} | {byRegion[regions[1]].Total} | {byRegion[regions[2]].Total} | {first.FactsCalls} | {first.Total - first.FactsCalls} | {first.Mutating} | {goal} |");
}
foreach (var group in results.GroupBy(static r => r.Scenario))
{
    Console.WriteLine();
    Console.WriteLine($"{group.Key}:");
    var byRegion = group.ToDictionary(static r => r.Region, static r => r.Cost);
    foreach (var operation in group.SelectMany(static r => r.Cost.Calls.Keys).Distinct().Order(StringComparer.Ordinal))
        Console.WriteLine($"  {operation,-40} {byRegion[regions[0]].Calls.GetValueOrDefault(operation),5} {byRegion[regions[1]].Calls.GetValueOrDefault(operation),5} {byRegion[regions[2]].Calls.GetValueOrDefault(operation),5}");
}

var failed = false;
foreach (var group in results.GroupBy(static r => r.Scenario))
{
    var totals = group.Select(static r => r.Cost.Total).ToList();
    if (group.Where(r => r.Region != regions[2]).Select(static r => r.Cost.Total).Distinct().Count() != 1)
    {
        Console.Error.WriteLine($"{group.Key}: {string.Join(" / ", totals)} calls: differ between 0 and {unrelated} unrelated (third: AWS-like lookups)");
        failed = true;
    }
    if (goals.TryGetValue(group.Key, out var goal) && totals.Any(t => t > goal))
    {
        Console.Error.WriteLine($"{group.Key}: {string.Join(" / ", totals)} calls (goal: at most {goal})");
        failed = true;
    }
}
return failed ? 1 : 0;

// One deploy with new clients and a new recorder, as a new Lambda invocation would have.
static async Task<DeployResult> DeployAsync(MotoServer moto, World world, GroupShape shape, DeployMode mode, bool full)
{
    var recorder = new AwsCallRecorder();
    var options = moto.ClientOptions(recorder);
    using var elb = new ElasticLoadBalancingV2Client(options);
    using var ec2 = Ec2Gateway.Create(options);
    using var waf = new Wafv2Client(options);
    var deployer = new StackDeployer(elb, ec2, waf, recorder);
    return await deployer.DeployAsync(
        TestStacks.Build(world, shape),
        new DeployOptions { ClusterName = World.Cluster, VpcId = world.VpcId, Mode = mode, FullDriftCheck = full });
}

static async Task<int> PrintPlansAsync(MotoServer moto)
{
    var world = await World.CreateAsync(moto);
    var shape = GroupShape.Reference(backends: 2);
    await DeployAsync(moto, world, shape, DeployMode.Apply, full: false);
    var added = shape.WithExtraPathInFront();
    var switched = shape.WithFirstBackendIp();
    foreach (var (title, target) in new[] { ("Add a path (/extra/* in front of the existing paths)", added), ("Switch a backend to target type ip", switched) })
    {
        var plan = await DeployAsync(moto, world, target, DeployMode.Plan, full: false);
        Console.WriteLine($"### {title}");
        Console.WriteLine();
        Console.WriteLine("```");
        Console.Write(PlanRenderer.RenderText(plan));
        Console.WriteLine("```");
        Console.WriteLine();
    }
    return 0;
}