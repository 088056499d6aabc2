using System.Text.Json.Nodes;
using k8s;
using Serverless.Aws.Acm;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.Wafv2;
using Serverless.Deploy;
using Serverless.Functions.Wiring;
using Serverless.Ingress;
using Serverless.Kubernetes.Auth;
using Serverless.Kubernetes.Gates;
using Serverless.Local;
using Serverless.Model;
using Serverless.Reconcile;
using Serverless.Service;
using Serverless.Testing;
using Serverless.Testing.FakeKubernetes;
using DescribeTargetGroupsRequest = Serverless.Aws.ElasticLoadBalancingV2.Model.DescribeTargetGroupsRequest;
using DescribeTargetHealthRequest = Serverless.Aws.ElasticLoadBalancingV2.Model.DescribeTargetHealthRequest;

namespace Serverless.Functions.Tests;

/// <summary>
/// Pod readiness gates through the Service (NLB) reconcile, against the fake API server and moto: a Pod carrying the
/// gate of its ip target group is registered while its endpoint is not ready, its condition says the registration is in
/// progress and the reconcile comes back; once the target is healthy (moto reports every registered target of a group
/// <c>healthy</c>) the next reconcile sets it True and is done. The cadence is read from the returned results.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class ReadinessGateTests(MotoFixture fixture) : MotoTest(fixture)
{
    private const string Cluster = "gates";
    private static readonly StackId Echo = StackId.Service("default", "echo");

    [Fact]
    public async Task A_gated_pod_behind_an_ip_Service_is_registered_then_its_condition_goes_from_registration_in_progress_to_true()
    {
        await using var world = await GatedWorld.StartAsync(Moto.ClientOptions(), "0f6c4a9e-0000-4000-8000-0000000a7e01");
        var (kube, elb, time) = (world.Kube, world.Elb, world.Time);
        var reconciler = world.Reconciler();

        // The gate's name is the target group's name: deterministic, and shown by a plan before anything exists.
        var plan = await reconciler.ReconcileAsync(Echo, new ReconcileRequest(DeployMode.Plan));
        var tgName = Assert.Single(plan.Desired!.TargetGroups).Name;
        var gate = "target-health.elbv2.k8s.aws/" + tgName;
        kube.Create($$$"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"echo-1","namespace":"default"},
             "spec":{"nodeName":"node-a","readinessGates":[{"conditionType":"{{{gate}}}"}],"containers":[{"name":"app","image":"echo"}]},
             "status":{"podIP":"10.0.10.20","conditions":[{"type":"ContainersReady","status":"True"},{"type":"Ready","status":"False"}]}}
            """);
        kube.Create("""
            {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"echo-1","namespace":"default","labels":{"kubernetes.io/service-name":"echo"}},
             "addressType":"IPv4","ports":[{"name":"tcp","port":8080,"protocol":"TCP"}],
             "endpoints":[{"addresses":["10.0.10.20"],"conditions":{"ready":false,"serving":false,"terminating":false},"targetRef":{"kind":"Pod","name":"echo-1","namespace":"default"}}]}
            """);
        JsonObject? Condition() => kube.Get("v1", "Pod", "default", "echo-1")!["status"]!["conditions"]!.AsArray()
            .FirstOrDefault(c => c!["type"]!.GetValue<string>() == gate)?.AsObject();

        // 1. The not-ready endpoint is registered (its Pod waits only for the gate); the condition says so; come back in 5 s.
        var first = await reconciler.ReconcileAsync(Echo, ReconcileRequest.Event);

        Assert.Equal(ReconcileKind.RequeueAfter, first.Result.Kind);
        Assert.Equal(TimeSpan.FromSeconds(5), first.Result.Delay);
        Assert.Contains("readiness gate " + gate, first.Result.Reason, StringComparison.Ordinal);
        var tg = Assert.Single((await elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { Names = [tgName] })).TargetGroups!);
        var health = (await elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = tg.TargetGroupArn })).TargetHealthDescriptions!;
        Assert.Equal([("10.0.10.20", 8080)], health.Select(static h => (h.Target!.Id!, h.Target.Port ?? 0)));
        var registering = Condition()!;
        Assert.Equal("False", registering["status"]!.GetValue<string>());
        Assert.Equal(ReadinessGateDecider.RegistrationInProgress, registering["reason"]!.GetValue<string>());
        Assert.Equal(ReadinessGateDecider.RegistrationInProgressMessage, registering["message"]!.GetValue<string>());
        Assert.Equal("2026-12-05T07:00:00Z", registering["lastTransitionTime"]!.GetValue<string>());
        // kubelet's conditions are untouched (merged by type).
        Assert.Equal(3, kube.Get("v1", "Pod", "default", "echo-1")!["status"]!["conditions"]!.AsArray().Count);

        // 2. Moto reports the registered target healthy: the next reconcile sets the condition True and is done.
        time.Advance(first.Result.Delay!.Value);
        var second = await reconciler.ReconcileAsync(Echo, ReconcileRequest.Event);

        Assert.True(second.Result.IsDone, second.Result.ToString());
        var passed = Condition()!;
        Assert.Equal("True", passed["status"]!.GetValue<string>());
        Assert.Null(passed["reason"]);
        Assert.Null(passed["message"]);
        Assert.Equal("2026-12-05T07:00:05Z", passed["lastTransitionTime"]!.GetValue<string>());

        // 3. Nothing changed: no condition write.
        var patches = kube.CountRequests("patch", "pods");
        var third = await reconciler.ReconcileAsync(Echo, ReconcileRequest.Event);
        Assert.True(third.Result.IsDone, third.Result.ToString());
        Assert.Equal(patches, kube.CountRequests("patch", "pods"));

        // 4. The Pod is Ready now, so its endpoint is: the reconcile reads no Pod and describes no target health for gates.
        kube.Mutate("discovery.k8s.io/v1", "EndpointSlice", "default", "echo-1", s => s["endpoints"]![0]!["conditions"]!["ready"] = true);
        kube.ClearRequests();
        var ready = await reconciler.ReconcileAsync(Echo, ReconcileRequest.Event);
        Assert.True(ready.Result.IsDone, ready.Result.ToString());
        Assert.Equal(0, kube.CountRequests("get", "pods") + kube.CountRequests("list", "pods") + kube.CountRequests("patch", "pods"));
        Assert.DoesNotContain(ready.Phases, static p => p.Phase is "pods");
        Assert.Contains("10.0.10.20", (await elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = tg.TargetGroupArn })).TargetHealthDescriptions!.Select(static h => h.Target!.Id));
    }

    /// <summary>What a target group that never gets healthy reports (moto reports every registered target healthy).</summary>
    private sealed class Unhealthy(ITargetHealthReader real) : ITargetHealthReader
    {
        public int Calls { get; private set; }

        public async Task<IReadOnlyList<Aws.ElasticLoadBalancingV2.Model.TargetHealthDescription>?> DescribeTargetHealthAsync(string targetGroupName, string? targetGroupArn, CancellationToken cancellationToken = default)
        {
            Calls++;
            var described = await real.DescribeTargetHealthAsync(targetGroupName, targetGroupArn, cancellationToken);
            return described?.Select(static d => new Aws.ElasticLoadBalancingV2.Model.TargetHealthDescription
            {
                Target = d.Target,
                TargetHealth = new Aws.ElasticLoadBalancingV2.Model.TargetHealth { State = "unhealthy", Reason = "Target.FailedHealthChecks", Description = "Health checks failed" },
            }).ToList();
        }
    }

    [Fact]
    public async Task A_gated_pod_that_never_gets_healthy_brings_the_reconcile_back_with_growing_delays_until_the_bound_then_a_Warning_names_it()
    {
        await using var world = await GatedWorld.StartAsync(Moto.ClientOptions(), "0f6c4a9e-0000-4000-8000-0000000a7e02");
        var (kube, time) = (world.Kube, world.Time);
        var health = new Unhealthy(world.Deployer);
        var reconciler = world.Reconciler(health);
        var tgName = Assert.Single((await reconciler.ReconcileAsync(Echo, new ReconcileRequest(DeployMode.Plan))).Desired!.TargetGroups).Name;
        kube.Create($$$"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"echo-1","namespace":"default"},
             "spec":{"nodeName":"node-a","readinessGates":[{"conditionType":"target-health.elbv2.k8s.aws/{{{tgName}}}"}],"containers":[{"name":"app","image":"echo"}]},
             "status":{"podIP":"10.0.10.20","conditions":[{"type":"ContainersReady","status":"True"},{"type":"Ready","status":"False"}]}}
            """);
        kube.Create("""
            {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"echo-1","namespace":"default","labels":{"kubernetes.io/service-name":"echo"}},
             "addressType":"IPv4","ports":[{"name":"tcp","port":8080,"protocol":"TCP"}],
             "endpoints":[{"addresses":["10.0.10.20"],"conditions":{"ready":false},"targetRef":{"kind":"Pod","name":"echo-1"}}]}
            """);

        // Come back after each returned delay, as the queue would: 5 s, then as long as the wait so far, at most 2 minutes.
        var delays = new List<TimeSpan>();
        StackRun run;
        while (true)
        {
            run = await reconciler.ReconcileAsync(Echo, ReconcileRequest.Event);
            if (run.Result.Kind != ReconcileKind.RequeueAfter)
                break;
            delays.Add(run.Result.Delay!.Value);
            Assert.True(delays.Count < 100, "the reconcile kept coming back past the bound");
            time.Advance(run.Result.Delay.Value);
        }

        Assert.True(run.Result.IsDone, run.Result.ToString());
        Assert.Equal([5, 5, 10, 20, 40, 80, 120, 120, 120], delays.Select(static d => d.TotalSeconds));
        var waited = delays.Aggregate(TimeSpan.Zero, static (a, d) => a + d);
        Assert.InRange(waited.TotalMinutes, 8, 9);
        // Ten reconciles in all (the first and nine come-backs): within the queue's default MaxReceiveCount of 10.
        Assert.True(delays.Count + 1 <= 10, $"{delays.Count + 1} receives");
        var condition = kube.Get("v1", "Pod", "default", "echo-1")!["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>().EndsWith(tgName, StringComparison.Ordinal))!;
        Assert.Equal(("False", "Target.FailedHealthChecks"), (condition["status"]!.GetValue<string>(), condition["reason"]!.GetValue<string>()));
        var warning = Assert.Single(run.Events, static e => e.Reason == IngressEventReasons.ReadinessGatePending);
        Assert.Equal("Warning", warning.Type);
        Assert.Contains("Pod default/echo-1", warning.Message, StringComparison.Ordinal);
        Assert.Contains("target 10.0.10.20:8080 is False", warning.Message, StringComparison.Ordinal);
        Assert.Contains("Target.FailedHealthChecks", warning.Message, StringComparison.Ordinal);
        Assert.Equal(delays.Count + 1, health.Calls);

        // Past the bound the scheduled replay still looks (and still finds it unhealthy), without piling up Warnings.
        var replay = await reconciler.ReconcileAsync(Echo, ReconcileRequest.DriftCheck);
        Assert.True(replay.Result.IsDone, replay.Result.ToString());
        Assert.Equal(delays.Count + 2, health.Calls);
        Assert.Single(kube.List("v1", "Event", "default"), static e => e["reason"]?.GetValue<string>() == IngressEventReasons.ReadinessGatePending);
    }

    /// <summary>A sandbox node, the fake API server with an ip NLB Service, and the AWS clients and clock of its reconciler.</summary>
    private sealed class GatedWorld : IAsyncDisposable
    {
        private readonly ClusterSettings _cluster;
        private readonly Kubernetes.Api.KubernetesApi _api;
        private readonly Ec2Gateway _ec2;
        private readonly AcmClient _acm;
        private readonly Wafv2Client _waf;

        private GatedWorld(AwsClientOptions options, ClusterSettings cluster, FakeKubernetesApiServer kube)
        {
            _cluster = cluster;
            Kube = kube;
            _api = KubernetesConnection.Create(new KubernetesClientConfiguration { Host = kube.Url });
            _ec2 = Ec2Gateway.Create(options);
            Elb = new ElasticLoadBalancingV2Client(options);
            _acm = new AcmClient(options);
            _waf = new Wafv2Client(options);
            Deployer = new StackDeployer(Elb, _ec2, _waf, options.CallRecorder, time: Time);
        }

        public FakeKubernetesApiServer Kube { get; }

        public ElasticLoadBalancingV2Client Elb { get; }

        public ManualTime Time { get; } = new(new DateTimeOffset(2026, 12, 5, 7, 0, 0, TimeSpan.Zero));

        public StackDeployer Deployer { get; }

        public static async Task<GatedWorld> StartAsync(AwsClientOptions options, string serviceUid)
        {
            using var sdk = Ec2Gateway.CreateSdkClient(options);
            var sandbox = await Sandbox.SeedAsync(sdk, Cluster, "us-east-1", [new("node-a")]);
            var kube = await FakeKubernetesApiServer.StartAsync();
            kube.CreateReadyNode("node-a", sandbox.Nodes[0].ProviderId);
            kube.Create($$$"""
                {"apiVersion":"v1","kind":"Service","metadata":{"name":"echo","namespace":"default","uid":"{{{serviceUid}}}",
                 "annotations":{"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type":"ip"}},
                 "spec":{"type":"LoadBalancer","loadBalancerClass":"service.k8s.aws/nlb","ports":[{"name":"tcp","port":80,"targetPort":8080,"nodePort":30080,"protocol":"TCP"}]}}
                """);
            return new GatedWorld(options, new ClusterSettings { ClusterName = Cluster, VpcId = sandbox.VpcId }, kube);
        }

        public ServiceReconciler Reconciler(ITargetHealthReader? health = null) =>
            new(new LiveServiceSource(_api, Time), _cluster, new AwsFactsLoader(_ec2, Elb, _acm, _waf, LiveSeams.FactsCacheWindow),
                Deployer, ServiceModelBuilder.Build, targetHealth: health, time: Time);

        public async ValueTask DisposeAsync()
        {
            _api.Dispose();
            _ec2.Dispose();
            Elb.Dispose();
            _acm.Dispose();
            _waf.Dispose();
            await Kube.DisposeAsync();
        }
    }
}
