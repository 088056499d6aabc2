using System.Globalization;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.Wafv2;
using Serverless.Deploy;
using Serverless.Deploy.Tests.Infrastructure;
using Serverless.Testing;

// AWS calls by operation of the deployer for the reference group (1 ALB, HTTP+HTTPS listeners, 20 rules, 10 target
// groups, 5 nodes), with 0 and with N unrelated load balancers and target groups in the region (default 500).
// Usage: dotnet run --project tests/Serverless.Benchmarks.Deploy -c Release [-- <unrelated>]
// Exit code 1 when the event-driven no-op exceeds 8 calls or differs between the two regions.
// With "-- plans": prints the plan text of two changes (add a path; switch a target type) instead (NOTES-issue4.md).
using var moto = MotoServer.Start();
if (args.Length > 0 && args[0] == "plans")
    return await PrintPlansAsync(moto);
var unrelated = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500;
var regions = new[] { 0, unrelated };
var results = new List<(int Unrelated, string Scenario, DeployResult Result)>();
foreach (var count in regions)
{
    moto.Reset();
    var world = await World.CreateAsync(moto, count);
    var reference = GroupShape.Reference();
    var pathChanged = reference with { Paths = [reference.Paths[0] with { Path = "/svc0-v2/*" }, .. reference.Paths.Skip(1)] };
    var drained = pathChanged with { NodeCount = 4 };
    (string Name, GroupShape Shape, bool Full)[] scenarios =
    [
        ("create from empty", reference, false),
        ("no-op (event-driven)", reference, false),
        ("no-op (full drift check)", reference, true),
        ("one path change", pathChanged, false),
        ("one node drained", drained, false),
    ];
    foreach (var (name, shape, full) in scenarios)
    {
        // Every deploy gets new clients and a new recorder, as a new Lambda invocation would.
        var result = await DeployAsync(moto, world, shape, DeployMode.Apply, full);
        if (result.Reconcile.Kind != ReconcileKind.Done)
        {
            Console.Error.WriteLine($"{name} with {count} unrelated: {result.Reconcile}\n{PlanRenderer.RenderText(result)}");
            return 2;
        }
        results.Add((count, name, result));
    }
}

Console.WriteLine($"Reference group: 1 ALB, HTTP+HTTPS listeners, 20 rules, 10 target groups, 5 nodes; moto_server.");
Console.WriteLine();
Console.WriteLine($"| scenario | calls, {regions[0]} unrelated | calls, {regions[1]} unrelated | mutating |");
Console.WriteLine("|---|---:|---:|---:|");
foreach (var group in results.GroupBy(static r => r.Scenario))
{
    var byRegion = group.ToDictionary(static r => r.Unrelated, static r => r.Result);
    Console.WriteLine($"| {group.Key} | {byRegion[regions[0]].TotalCalls} | {byRegion[regions[1]].TotalCalls} | {byRegion[regions[0]].MutatingCalls} |");
}
foreach (var group in results.GroupBy(static r => r.Scenario))
{
    Console.WriteLine();
    Console.WriteLine($"{group.Key}:");
    var byRegion = group.ToDictionary(static r => r.Unrelated, static r => r.Result);
    foreach (var operation in group.SelectMany(static r => r.Result.AwsCalls.Keys).Distinct().Order(StringComparer.Ordinal))
        Console.WriteLine($"  {operation,-40} {byRegion[regions[0]].AwsCalls.GetValueOrDefault(operation),5} {byRegion[regions[1]].AwsCalls.GetValueOrDefault(operation),5}");
}

var noOp = results.Where(static r => r.Scenario == "no-op (event-driven)").Select(static r => r.Result.TotalCalls).ToList();
if (noOp.Any(static n => n > 8) || noOp.Distinct().Count() != 1)
{
    Console.Error.WriteLine($"no-op goal missed: {string.Join(" / ", noOp)} calls (goal: at most 8, identical)");
    return 1;
}
return 0;

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