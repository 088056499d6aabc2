using k8s.Models;
using Serverless.Deploy;
using Serverless.Ingress;
using Serverless.Model;
using Serverless.Reconcile;
using Serverless.Service;

namespace Serverless.Kubernetes.Tests.Live;

/// <summary>
/// The Service (NLB) reconcile against the fake API server: the sequence around the builder and the deployer (both
/// replaced here by recording stand-ins, so each state — active, frozen, leaving — is chosen by the test).
/// </summary>
public sealed class ServiceReconcilerTests
{
    private const string Dns = "K8s-default-echo-0123456789-abcdef.elb.us-west-2.amazonaws.com";
    private static readonly StackId Echo = StackId.Service("default", "echo");

    private static string ServiceJson(string? className = "service.k8s.aws/nlb", string? finalizer = null, string? status = null, string type = "LoadBalancer") =>
        $$$"""
        {"apiVersion":"v1","kind":"Service","metadata":{"name":"echo","namespace":"default","uid":"6f1b2c3d-0000-4000-8000-000000000001"{{{(finalizer is null ? "" : $",\"finalizers\":[\"{finalizer}\"]")}}}},
         "spec":{"type":"{{{type}}}"{{{(className is null ? "" : $",\"loadBalancerClass\":\"{className}\"")}}},"ports":[{"name":"tcp","port":80,"targetPort":8080,"nodePort":30080,"protocol":"TCP"},{"name":"dns","port":53,"targetPort":5353,"nodePort":30053,"protocol":"UDP"}]}
         {{{(status is null ? "" : $",\"status\":{{\"loadBalancer\":{{\"ingress\":[{{\"hostname\":\"{status}\"}}]}}}}")}}}}
        """;

    /// <summary>Facts that record the Service they were asked for.</summary>
    private sealed class Facts : IServiceFactsLoader
    {
        public List<(V1Service Service, int Nodes, bool Fresh)> Loads { get; } = [];

        public Task<ServiceAwsFacts> LoadServiceAsync(ClusterSettings cluster, StackId stack, V1Service service, IReadOnlyList<V1Node> nodes,
            CancellationToken cancellationToken = default, bool fresh = false, Action<KnownAwsReads>? read = null)
        {
            Loads.Add((service, nodes.Count, fresh));
            return Task.FromResult(new ServiceAwsFacts(FakeCluster.Aws, null, new Dictionary<string, IReadOnlyList<string>>()));
        }
    }

    /// <summary>The builder's decision for the test: active (an NLB), frozen (an error), or leaving (empty stack).</summary>
    private sealed class Builder
    {
        public IngressState State { get; set; } = IngressState.Active;

        public List<ServiceSnapshot> Snapshots { get; } = [];

        public ServiceBuild Build(ServiceSnapshot snapshot)
        {
            Snapshots.Add(snapshot);
            var outcome = new IngressOutcome
            {
                Namespace = "default",
                Name = "echo",
                State = State,
                Finalizer = State == IngressState.Leaving ? null : ServiceSelection.Finalizer,
                Errors = State == IngressState.Frozen
                    ? [new BuildError("Service default/echo", "annotation service.beta.kubernetes.io/aws-load-balancer-scheme", "public", "must be internal or internet-facing")]
                    : [],
            };
            return new ServiceBuild
            {
                Stack = new Stack
                {
                    Id = snapshot.Stack,
                    ClusterName = snapshot.Cluster.ClusterName,
                    AllMembersFrozen = State == IngressState.Frozen,
                    LoadBalancer = State == IngressState.Active ? new LoadBalancerSpec { Name = "k8s-default-echo-0123456789", Scheme = "internal", Type = "network" } : null,
                    Ingresses = [outcome],
                },
                Warnings = State == IngressState.Active ? ["annotation service.beta.kubernetes.io/aws-load-balancer-proxy-protocol \"v2\": only * is supported and the value is ignored"] : [],
            };
        }
    }

    private static (ServiceReconciler Reconciler, ReconcilerTests.Deployer Deployer, Facts Facts, Builder Builder) Create(FakeCluster cluster)
    {
        var deployer = new ReconcilerTests.Deployer { DnsOf = static _ => Dns };
        var facts = new Facts();
        var builder = new Builder();
        return (new ServiceReconciler(new LiveServiceSource(cluster.Api), FakeCluster.Settings, facts, deployer, builder.Build), deployer, facts, builder);
    }

    private static JsonNodeReader Service(FakeCluster cluster) => new(cluster.Server.Get("v1", "Service", "default", "echo"));

    private sealed record JsonNodeReader(System.Text.Json.Nodes.JsonObject? Node)
    {
        public IReadOnlyList<string> Finalizers => Node?["metadata"]?["finalizers"]?.AsArray().Select(static f => f!.GetValue<string>()).ToList() ?? [];

        public System.Text.Json.Nodes.JsonArray? Ingress => Node?["status"]?["loadBalancer"]?["ingress"]?.AsArray();
    }

    [Fact]
    public async Task An_active_Service_gets_the_finalizer_before_the_deploy_then_its_status_with_every_port_and_one_success_Event()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(ServiceJson(), FakeCluster.Slice("echo-1", "echo", "10.0.0.5"), FakeCluster.Slice("other-1", "other", "10.0.0.6"), FakeCluster.Node("n1", "i-0a"));
        var (reconciler, deployer, facts, builder) = Create(cluster);
        deployer.Observe = _ => Service(cluster).Finalizers;

        var run = await reconciler.ReconcileAsync(Echo, ReconcileRequest.Event);

        Assert.True(run.Result.IsDone, run.Result.Reason);
        var call = Assert.Single(deployer.Calls);
        Assert.Equal([ServiceSelection.Finalizer], call.FinalizersSeen);
        Assert.Contains("k8s-default-echo-0123456789", call.Stack.KnownLoadBalancerNames);
        var snapshot = Assert.Single(builder.Snapshots);
        Assert.Equal(["echo-1"], snapshot.EndpointSlices.Select(static s => s.Metadata.Name));
        Assert.Single(snapshot.Nodes);
        Assert.Equal(1, Assert.Single(facts.Loads).Nodes);
        var ingress = Assert.Single(Service(cluster).Ingress!)!;
        Assert.Equal(Dns.ToLowerInvariant(), ingress["hostname"]!.GetValue<string>());
        Assert.Equal(
            [(80, "TCP"), (53, "UDP")],
            ingress["ports"]!.AsArray().Select(static p => (p!["port"]!.GetValue<int>(), p["protocol"]!.GetValue<string>())).ToList());
        Assert.Equal(["default/echo"], run.FinalizersAdded);
        Assert.Equal(["default/echo"], run.StatusesUpdated);
        var events = cluster.Events();
        Assert.Contains(("echo", "Normal", "SuccessfullyReconciled", "Successfully reconciled"), events);
        Assert.Contains(events, static e => e.Type == "Warning" && e.Reason == IngressEventReasons.BuildWarning && e.Message.Contains("proxy-protocol", StringComparison.Ordinal));
        Assert.Single(cluster.Server.Requests, static r => r.Verb == "patch" && r.Subresource == "status" && r.Plural == "services");
    }

    [Fact]
    public async Task A_second_identical_reconcile_writes_nothing()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(ServiceJson(), FakeCluster.Node("n1", "i-0a"));
        var (reconciler, deployer, _, _) = Create(cluster);
        Assert.True((await reconciler.ReconcileAsync(Echo, ReconcileRequest.Event)).Result.IsDone);
        var events = cluster.Events().Count;
        cluster.Server.ClearRequests();
        deployer.Changed = false;

        var second = await reconciler.ReconcileAsync(Echo, ReconcileRequest.Event);

        Assert.True(second.Result.IsDone, second.Result.Reason);
        Assert.True(second.Quiet);
        // The only write is the build warning's create under its stable name, which the API server refuses (it exists).
        Assert.All(cluster.Server.Requests.Where(static r => r.Verb is not ("get" or "list")), static r => Assert.Equal(("create", "events"), (r.Verb, r.Plural)));
        Assert.Equal(events, cluster.Events().Count);
    }

    [Fact]
    public async Task A_frozen_Service_gets_a_FailedBuildModel_Warning_naming_field_and_value_and_nothing_else()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(ServiceJson());
        var (reconciler, deployer, _, builder) = Create(cluster);
        builder.State = IngressState.Frozen;

        var run = await reconciler.ReconcileAsync(Echo, ReconcileRequest.Event);

        Assert.True(run.Result.IsDone, run.Result.Reason);
        Assert.Empty(deployer.Calls);
        Assert.Empty(Service(cluster).Finalizers);
        var warning = Assert.Single(cluster.Events());
        Assert.Equal(("echo", "Warning", "FailedBuildModel"), (warning.Name, warning.Type, warning.Reason));
        Assert.Equal(
            "Failed build model due to Service default/echo: annotation service.beta.kubernetes.io/aws-load-balancer-scheme \"public\": must be internal or internet-facing",
            warning.Message);
        Assert.Equal(1, cluster.Writes); // the Event
    }

    [Fact]
    public async Task A_Service_that_left_deploys_the_empty_stack_then_loses_its_status_and_finalizer()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(ServiceJson(className: null, finalizer: ServiceSelection.Finalizer, status: Dns.ToLowerInvariant(), type: "ClusterIP"));
        var (reconciler, deployer, facts, builder) = Create(cluster);
        builder.State = IngressState.Leaving;
        deployer.Observe = _ => Service(cluster).Finalizers;

        var run = await reconciler.ReconcileAsync(Echo, ReconcileRequest.Event);

        Assert.True(run.Result.IsDone, run.Result.Reason);
        var call = Assert.Single(deployer.Calls);
        Assert.Null(call.Stack.LoadBalancer);
        Assert.Equal([ServiceSelection.Finalizer], call.FinalizersSeen); // still there while the NLB goes
        Assert.Equal(0, Assert.Single(facts.Loads).Nodes); // a leaving Service reads no targets
        Assert.Empty(Service(cluster).Finalizers);
        Assert.True(Service(cluster).Ingress is null or { Count: 0 });
        Assert.Equal(["default/echo"], run.FinalizersRemoved);
        Assert.DoesNotContain(cluster.Events(), static e => e.Type == "Warning");
    }

    [Fact]
    public async Task A_leaving_Service_keeps_its_finalizer_while_the_deploy_requeues()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(ServiceJson(className: null, finalizer: ServiceSelection.Finalizer, status: Dns.ToLowerInvariant(), type: "ClusterIP"));
        var (reconciler, deployer, _, builder) = Create(cluster);
        builder.State = IngressState.Leaving;
        deployer.Result = ReconcileResult.RequeueAfter("target groups still draining", TimeSpan.FromSeconds(30));

        var run = await reconciler.ReconcileAsync(Echo, ReconcileRequest.Event);

        Assert.Equal(ReconcileKind.RequeueAfter, run.Result.Kind);
        Assert.Equal([ServiceSelection.Finalizer], Service(cluster).Finalizers);
        Assert.NotNull(Service(cluster).Ingress);
        Assert.Empty(cluster.Events());
    }

    [Fact]
    public async Task A_Service_that_is_not_ours_and_has_no_finalizer_is_not_read_further()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(ServiceJson(className: null));
        var (reconciler, deployer, facts, builder) = Create(cluster);

        var run = await reconciler.ReconcileAsync(Echo, ReconcileRequest.Event);
        var gone = await reconciler.ReconcileAsync(StackId.Service("default", "absent"), ReconcileRequest.Event);

        Assert.True(run.Result.IsDone);
        Assert.True(gone.Result.IsDone);
        Assert.True(run.Quiet);
        Assert.Empty(facts.Loads);
        Assert.Empty(builder.Snapshots);
        Assert.Empty(deployer.Calls);
        Assert.Equal(0, cluster.Writes);
    }

    [Fact]
    public async Task A_failed_deploy_is_a_FailedDeployModel_Warning_and_no_status()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(ServiceJson());
        var (reconciler, deployer, _, _) = Create(cluster);
        deployer.Result = ReconcileResult.Failed("CreateLoadBalancer: TooManyLoadBalancers");

        var run = await reconciler.ReconcileAsync(Echo, ReconcileRequest.Event);

        Assert.Equal(ReconcileKind.Failed, run.Result.Kind);
        Assert.Equal([ServiceSelection.Finalizer], Service(cluster).Finalizers);
        Assert.Null(Service(cluster).Ingress);
        Assert.Contains(("echo", "Warning", "FailedDeployModel", "Failed deploy model due to CreateLoadBalancer: TooManyLoadBalancers"), cluster.Events());
    }

    [Fact]
    public async Task A_requeue_is_quiet_but_writes_the_address_of_a_Service_that_shows_none()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(ServiceJson());
        var (reconciler, deployer, _, _) = Create(cluster);
        deployer.Result = ReconcileResult.RequeueAfter("targets not healthy yet", TimeSpan.FromSeconds(10));

        var run = await reconciler.ReconcileAsync(Echo, ReconcileRequest.Event);

        Assert.Equal(ReconcileKind.RequeueAfter, run.Result.Kind);
        Assert.NotNull(Service(cluster).Ingress);
        Assert.DoesNotContain(cluster.Events(), static e => e.Reason is "SuccessfullyReconciled" or "FailedDeployModel");
    }

    [Fact]
    public async Task A_refused_finalizer_stops_the_reconcile_before_the_deploy()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(ServiceJson());
        cluster.Server.Forbid("patch", "", "services");
        var (reconciler, deployer, _, _) = Create(cluster);

        var run = await reconciler.ReconcileAsync(Echo, ReconcileRequest.Event);

        Assert.Equal(ReconcileKind.Failed, run.Result.Kind);
        Assert.Empty(deployer.Calls);
        Assert.Contains(cluster.Events(), static e => e.Reason == "FailedAddFinalizer");
    }

    [Fact]
    public async Task A_plan_writes_nothing_to_the_cluster()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(ServiceJson());
        var (reconciler, deployer, _, _) = Create(cluster);

        var run = await reconciler.ReconcileAsync(Echo, new ReconcileRequest(DeployMode.Plan));

        Assert.True(run.Result.IsDone);
        Assert.Equal(DeployMode.Plan, Assert.Single(deployer.Calls).Options.Mode);
        Assert.Equal(0, cluster.Writes);
    }
}
