using System.Diagnostics;
using System.Globalization;
using k8s.Models;
using Serverless.Ingress;
using Serverless.Model;

namespace Serverless.Benchmarks.ModelBuilder;

/// <summary>
/// Times <see cref="IngressGroupModelBuilder.Build(GroupSnapshot)"/> on two groups: 100 Ingresses with 1,000 paths in total
/// (goal: median under 50 ms) and a single Ingress (goal: under 1 ms). Prints a markdown table: median and p95 build
/// time over the measured iterations after a warm-up, process CPU time per build (mean), and bytes allocated per build
/// on the building thread.
/// Usage: <c>dotnet run -c Release --project tests/Serverless.Benchmarks.ModelBuilder [-- iterations [warmup]]</c>.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        var warmup = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50;
        var scenarios = new[]
        {
            new Scenario("100 Ingresses, 1,000 paths (1 group)", Groups.Large(ingresses: 100, pathsPerIngress: 10), 50.0),
            new Scenario("1 Ingress, 1 path", Groups.Large(ingresses: 1, pathsPerIngress: 1), 1.0),
        };

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"IngressGroupModelBuilder.Build: {iterations} measured iterations after {warmup} warm-up, .NET {Environment.Version}, {Environment.ProcessorCount} cores"));
        Console.WriteLine();
        Console.WriteLine("| group | rules | target groups | median ms | p95 ms | CPU ms per build | allocated per build | goal (median) | met |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        var allMet = true;
        foreach (var scenario in scenarios)
        {
            var result = Measure(scenario.Snapshot, iterations, warmup);
            var met = result.MedianMs < scenario.GoalMs;
            allMet &= met;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {scenario.Name} | {result.Rules:N0} | {result.TargetGroups:N0} | {result.MedianMs:F3} | {result.P95Ms:F3} | {result.CpuMs:F3} | {result.AllocatedBytes / 1024.0:N0} KiB | < {scenario.GoalMs:G} ms | {(met ? "yes" : "NO")} |"));
        }
        return allMet ? 0 : 1;
    }

    private static Result Measure(GroupSnapshot snapshot, int iterations, int warmup)
    {
        var stack = IngressGroupModelBuilder.Build(snapshot);
        if (stack.Ingresses.Any(static i => i.State != IngressState.Active))
        {
            var first = stack.Ingresses.First(static i => i.State != IngressState.Active);
            throw new InvalidOperationException($"benchmark input is invalid: {first.Key} is {first.State}: {string.Join("; ", first.Errors)}");
        }
        for (var i = 0; i < warmup; i++)
            IngressGroupModelBuilder.Build(snapshot);

        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var times = new double[iterations];
        var allocated = new long[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var start = Stopwatch.GetTimestamp();
            IngressGroupModelBuilder.Build(snapshot);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            allocated[i] = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        // Process CPU time (all threads, GC included) over the whole run: unlike wall time, not inflated when other
        // processes compete for the cores.
        var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / iterations;
        Array.Sort(times);
        Array.Sort(allocated);
        return new Result(
            Percentile(times, 0.50),
            Percentile(times, 0.95),
            cpuMs,
            allocated[allocated.Length / 2],
            stack.Rules.Count,
            stack.TargetGroups.Count);
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static double Percentile(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private sealed record Scenario(string Name, GroupSnapshot Snapshot, double GoalMs);

    private sealed record Result(double MedianMs, double P95Ms, double CpuMs, long AllocatedBytes, int Rules, int TargetGroups);
}

/// <summary>The benchmark inputs, built in code.</summary>
internal static class Groups
{
    private const string Cluster = "prod";

    /// <summary>
    /// Explicit group <c>bench</c>: <paramref name="ingresses"/> Ingresses in 10 namespaces, each with one host and
    /// <paramref name="pathsPerIngress"/> Prefix paths to its own NodePort Service (instance targets on 10 nodes), on
    /// HTTP:80 and HTTPS:443 with tags and health-check annotations. The rule limit is raised to fit 1,000 rules per
    /// listener (an adjustable AWS quota).
    /// </summary>
    public static GroupSnapshot Large(int ingresses, int pathsPerIngress)
    {
        var items = new List<V1Ingress>();
        var services = new List<V1Service>();
        for (var i = 0; i < ingresses; i++)
        {
            var ns = "team-" + (i % 10).ToString(CultureInfo.InvariantCulture);
            var name = "app-" + i.ToString(CultureInfo.InvariantCulture);
            var paths = new List<V1HTTPIngressPath>();
            for (var p = 0; p < pathsPerIngress; p++)
            {
                paths.Add(new V1HTTPIngressPath
                {
                    Path = p == 0 ? "/" : $"/api/v{p}",
                    PathType = "Prefix",
                    Backend = new V1IngressBackend { Service = new V1IngressServiceBackend { Name = name, Port = new V1ServiceBackendPort { Number = 80 } } },
                });
            }
            items.Add(new V1Ingress
            {
                Metadata = new V1ObjectMeta
                {
                    Name = name,
                    NamespaceProperty = ns,
                    Annotations = new Dictionary<string, string>
                    {
                        ["alb.ingress.kubernetes.io/group.name"] = "bench",
                        ["alb.ingress.kubernetes.io/group.order"] = (i % 7).ToString(CultureInfo.InvariantCulture),
                        ["alb.ingress.kubernetes.io/scheme"] = "internet-facing",
                        ["alb.ingress.kubernetes.io/listen-ports"] = "[{\"HTTP\":80},{\"HTTPS\":443}]",
                        ["alb.ingress.kubernetes.io/certificate-arn"] = "arn:aws:acm:us-east-1:111122223333:certificate/bench",
                        ["alb.ingress.kubernetes.io/tags"] = "env=bench,owner=platform",
                        ["alb.ingress.kubernetes.io/healthcheck-path"] = "/healthz",
                    },
                    Finalizers = ["group.ingress.k8s.aws/bench"],
                },
                Spec = new V1IngressSpec
                {
                    IngressClassName = "alb",
                    Rules = [new V1IngressRule { Host = name + ".example.com", Http = new V1HTTPIngressRuleValue { Paths = paths } }],
                },
            });
            services.Add(new V1Service
            {
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Uid = $"00000000-0000-0000-0000-{i:D12}" },
                Spec = new V1ServiceSpec
                {
                    Type = "NodePort",
                    Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = 8080, NodePort = 30000 + i }],
                },
            });
        }

        var nodes = new List<V1Node>();
        for (var n = 0; n < 10; n++)
        {
            var zone = "us-east-1" + "abc"[n % 3];
            nodes.Add(new V1Node
            {
                Metadata = new V1ObjectMeta { Name = $"node-{n}", Labels = new Dictionary<string, string> { ["topology.kubernetes.io/zone"] = zone } },
                Spec = new V1NodeSpec { ProviderID = $"aws:///{zone}/i-{n:D17}" },
                Status = new V1NodeStatus { Conditions = [new V1NodeCondition { Type = "Ready", Status = "True" }] },
            });
        }

        return new GroupSnapshot
        {
            Group = StackId.Explicit("bench"),
            Cluster = new ClusterSettings { ClusterName = Cluster, VpcId = "vpc-0bench", MaxRulesPerListener = 1000 },
            Aws = new AwsFacts
            {
                Subnets = [.. "abc".Select(static (zone, i) => new SubnetFact
                {
                    Id = $"subnet-0{i}",
                    AvailabilityZone = "us-east-1" + zone,
                    CidrBlock = $"10.0.{i * 16}.0/20",
                    AvailableIpAddressCount = 4000,
                    Tags = new Dictionary<string, string> { ["kubernetes.io/role/elb"] = "1", [$"kubernetes.io/cluster/{Cluster}"] = "owned" },
                })],
                SecurityGroups = [new SecurityGroupFact { Id = "sg-0node", Name = "nodes", Tags = new Dictionary<string, string> { [$"kubernetes.io/cluster/{Cluster}"] = "owned" } }],
                NodeSecurityGroupIds = ["sg-0node"],
                VpcCidrs = ["10.0.0.0/16"],
            },
            Ingresses = items,
            Services = services,
            Nodes = nodes,
            IngressClasses = [new V1IngressClass { Metadata = new V1ObjectMeta { Name = "alb" }, Spec = new V1IngressClassSpec { Controller = "ingress.k8s.aws/alb" } }],
        };
    }
}
