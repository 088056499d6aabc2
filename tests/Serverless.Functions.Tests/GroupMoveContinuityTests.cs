using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Serverless.Aws.Acm;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.Wafv2;
using Serverless.Deploy;
using Serverless.Ingress;
using Serverless.Kubernetes.Auth;
using Serverless.Local;
using Serverless.Model;
using Serverless.Reconcile;
using Serverless.Testing;
using Serverless.Testing.Continuity;
using Serverless.Testing.FakeKubernetes;

namespace Serverless.Functions.Tests;

/// <summary>
/// An Ingress moving into an IngressGroup whose ALB already exists, reconciled by the real reconciler and deployer
/// through the continuity proxy: after every mutating AWS call, each probe is evaluated on the load balancer its
/// Ingress's status points clients at (as external-dns would), and no request served before and after the move may go
/// unserved in between. New targets report <c>initial</c> until released between reconciles.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class GroupMoveContinuityTests(MotoFixture fixture) : MotoTest(fixture)
{
    private const string Cluster = "move";

    [Fact]
    public async Task An_Ingress_moving_into_a_group_whose_ALB_exists_is_served_after_every_AWS_call()
    {
        var (gaps, world) = await MoveAsync(holdLeavers: true);

        Assert.True(gaps.Count == 0, string.Join("\n", gaps));
        Assert.Equal(["group.ingress.k8s.aws/shop"], world.Finalizers("web"));
        Assert.Equal(world.DnsOf("shop"), world.StatusOf("web"));
        Assert.Null(world.DnsOf("old")); // the group it left had no other member: its ALB is gone
        Assert.True(world.Steps > 5, $"only {world.Steps} mutating calls were checked");
    }

    [Fact]
    public async Task Without_holding_the_member_the_old_group_drops_it_before_the_new_one_serves_it_and_the_checker_sees_the_gap()
    {
        var (gaps, _) = await MoveAsync(holdLeavers: false);

        Assert.Contains(gaps, g => g.Contains("web.example.com", StringComparison.Ordinal));
    }

    private async Task<(List<string> Gaps, World World)> MoveAsync(bool holdLeavers)
    {
        using var sdk = Ec2Gateway.CreateSdkClient(Moto.ClientOptions());
        var sandbox = await Sandbox.SeedAsync(sdk, Cluster, "us-east-1", [new("node-a"), new("node-b")]);
        await using var proxy = await ContinuityProxy.StartAsync(Moto.Endpoint);
        await using var kube = await FakeKubernetesApiServer.StartAsync();
        kube.Create("""{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"alb"},"spec":{"controller":"ingress.k8s.aws/alb"}}""");
        foreach (var instance in sandbox.Nodes)
            kube.CreateReadyNode(instance.NodeName, instance.ProviderId);
        kube.Create(Service("web", 30080));
        kube.Create(Service("shop", 30081));
        kube.Create(Ingress("web", "web.example.com", "old"));
        kube.Create(Ingress("shop", "shop.example.com", "shop"));
        using var api = KubernetesConnection.Create(new KubernetesClientConfiguration { Host = kube.Url });

        var options = AwsClientOptions.ForEmulator(proxy.Url);
        using var ec2 = Ec2Gateway.Create(options);
        using var elb = new ElasticLoadBalancingV2Client(options);
        using var waf = new Wafv2Client(options);
        using var acm = new AcmClient(options);
        using var moto = new ElasticLoadBalancingV2Client(Moto.ClientOptions());
        var cluster = new ClusterSettings { ClusterName = Cluster, VpcId = sandbox.VpcId };
        IAwsFactsLoader facts = new AwsFactsLoader(ec2, elb, acm, waf);
        if (!holdLeavers)
            facts = new WithoutLoadBalancerDns(facts);
        var reconciler = new IngressGroupReconciler(new LiveIngressGroupSource(api, cluster), cluster, facts, new StackDeployer(elb, ec2, waf, options.CallRecorder));
        var world = new World(kube, moto, cluster);
        var old = StackId.Explicit("old");
        var shop = StackId.Explicit("shop");
        foreach (var group in new[] { old, shop })
            Assert.True((await reconciler.ReconcileAsync(group, ReconcileRequest.Event)).Result.IsDone);

        // Each probe goes to the load balancer its Ingress's status shows.
        var probes = new Dictionary<string, Probe> { ["web"] = new(80, "web.example.com", "/"), ["shop"] = new(80, "shop.example.com", "/") };
        var names = new[] { Naming.LoadBalancerName(Cluster, old, "internet-facing"), Naming.LoadBalancerName(Cluster, shop, "internet-facing") };
        using var checker = new ContinuityChecker(proxy, Moto, names, probes.Values);
        async Task<Dictionary<string, ProbeOutcome>> EvaluateAsync()
        {
            var state = await checker.ReadAsync();
            var byDns = await world.LoadBalancerNamesByDnsAsync();
            var outcomes = new Dictionary<string, ProbeOutcome>(StringComparer.Ordinal);
            foreach (var (ingress, probe) in probes)
            {
                var status = world.StatusOf(ingress);
                var name = status is null ? null : byDns.GetValueOrDefault(status);
                var listeners = state.Listeners.Where(l => l.LoadBalancerName == name).ToList();
                outcomes[ingress] = name is null
                    ? new ProbeOutcome(false, $"status {status ?? "(none)"} names no load balancer")
                    : AlbRouting.Evaluate(state with { Listeners = listeners }, probe);
            }
            return outcomes;
        }

        var before = await EvaluateAsync();
        Assert.All(before.Values, o => Assert.True(o.Served, o.Detail));
        var steps = new List<(string Call, Dictionary<string, ProbeOutcome> Outcomes)>();
        proxy.AfterMutation = async call => steps.Add((call.ToString(), await EvaluateAsync()));
        proxy.Health.HoldNewTargets = true;

        kube.Mutate("networking.k8s.io/v1", "Ingress", "default", "web", static o => o["metadata"]!["annotations"]!["alb.ingress.kubernetes.io/group.name"] = "shop");
        // The queue's view: the web Ingress's key names both groups (its new one and the one its finalizer names);
        // each comes back after its requeue. The old group runs first, the worst order for a gap.
        for (var round = 0; round < 8; round++)
        {
            var results = new List<StackRun>();
            foreach (var group in new[] { old, shop })
            {
                results.Add(await reconciler.ReconcileAsync(group, ReconcileRequest.Event));
                steps.Add(($"after the reconcile of {group} (round {round})", await EvaluateAsync()));
            }
            Assert.DoesNotContain(results, r => r.Result.Kind == ReconcileKind.Failed);
            if (results.All(r => r.Result.IsDone))
                break;
            proxy.Health.ReleaseAll(); // the load balancer's health checks pass between two reconciles
        }
        proxy.AfterMutation = null;
        var after = await EvaluateAsync();
        Assert.All(after.Values, o => Assert.True(o.Served, o.Detail));

        var gaps = steps
            .SelectMany(s => s.Outcomes.Where(o => before[o.Key].Served && after[o.Key].Served && !o.Value.Served)
                .Select(o => $"after {s.Call}: {probes[o.Key]} not served ({o.Value.Detail})"))
            .ToList();
        world.Steps = steps.Count;
        await world.CaptureAsync();
        return (gaps, world);
    }

    private static string Service(string name, int nodePort) =>
        $$$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"{{{name}}}","namespace":"default"},"spec":{"type":"NodePort","ports":[{"name":"http","port":80,"targetPort":8080,"nodePort":{{{nodePort}}},"protocol":"TCP"}]}}""";

    private static JsonObject Ingress(string name, string host, string group) => new()
    {
        ["apiVersion"] = "networking.k8s.io/v1",
        ["kind"] = "Ingress",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = "default",
            ["annotations"] = new JsonObject { ["alb.ingress.kubernetes.io/scheme"] = "internet-facing", ["alb.ingress.kubernetes.io/group.name"] = group },
        },
        ["spec"] = JsonNode.Parse("""{"ingressClassName":"alb","rules":[{"host":"HOST","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"NAME","port":{"number":80}}}}]}}]}"""
            .Replace("HOST", host, StringComparison.Ordinal).Replace("NAME", name, StringComparison.Ordinal)),
    };

    /// <summary>The cluster and the load balancers as a client sees them.</summary>
    private sealed class World(FakeKubernetesApiServer kube, ElasticLoadBalancingV2Client moto, ClusterSettings cluster)
    {
        private Dictionary<string, string> _dnsByGroup = [];

        public int Steps { get; set; }

        public string? StatusOf(string ingress) =>
            kube.Get("networking.k8s.io/v1", "Ingress", "default", ingress)?["status"]?["loadBalancer"]?["ingress"]?[0]?["hostname"]?.GetValue<string>();

        public IReadOnlyList<string> Finalizers(string ingress) =>
            [.. (kube.Get("networking.k8s.io/v1", "Ingress", "default", ingress)?["metadata"]?["finalizers"]?.AsArray() ?? []).Select(static f => f!.GetValue<string>())];

        public string? DnsOf(string group) => _dnsByGroup.GetValueOrDefault(group);

        public async Task<Dictionary<string, string>> LoadBalancerNamesByDnsAsync()
        {
            var found = await moto.LoadBalancersByNameAsync([Name("old"), Name("shop")]);
            return found.ToDictionary(static lb => lb.DNSName!.ToLowerInvariant(), static lb => lb.LoadBalancerName!, StringComparer.OrdinalIgnoreCase);
        }

        public async Task CaptureAsync()
        {
            var found = await moto.LoadBalancersByNameAsync([Name("old"), Name("shop")]);
            _dnsByGroup = found.ToDictionary(lb => lb.LoadBalancerName == Name("old") ? "old" : "shop", static lb => lb.DNSName!.ToLowerInvariant(), StringComparer.Ordinal);
        }

        private string Name(string group) => Naming.LoadBalancerName(cluster.ClusterName, StackId.Explicit(group), "internet-facing");
    }

    /// <summary>Facts without the existing load balancer's DNS name: the reconcile cannot tell that a leaving member is still served here.</summary>
    private sealed class WithoutLoadBalancerDns(IAwsFactsLoader inner) : IAwsFactsLoader
    {
        public async Task<AwsFacts> LoadAsync(ClusterSettings cluster, StackId group, IReadOnlyList<V1Ingress> ingresses, IReadOnlyList<V1Node> nodes,
            CancellationToken cancellationToken = default, bool fresh = false, Action<KnownAwsReads>? read = null)
        {
            var facts = await inner.LoadAsync(cluster, group, ingresses, nodes, cancellationToken, fresh, read);
            return facts.ExistingLoadBalancer is { } lb ? facts with { ExistingLoadBalancer = lb with { DnsName = null } } : facts;
        }
    }
}
