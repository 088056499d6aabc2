using Serverless.Deploy;
using Serverless.Ingress;
using Serverless.Kubernetes.Live;
using Serverless.Model;
using Serverless.Reconcile;

namespace Serverless.Kubernetes.Tests.Live;

/// <summary>The Ingress group reconcile against the fake API server, with a recording deployer.</summary>
public sealed class ReconcilerTests
{
    private const string Dns = "Internal-k8s-shop-0123456789.us-west-2.elb.amazonaws.com";

    internal sealed class Deployer : IStackDeployer
    {
        public List<(Stack Stack, IReadOnlyList<string> FinalizersSeen, DeployOptions Options)> Calls { get; } = [];

        public Func<Stack, IReadOnlyList<string>>? Observe { get; set; }

        /// <summary>The result the next deploys return (default: done).</summary>
        public ReconcileResult Result { get; set; } = ReconcileResult.Done;

        public bool Changed { get; set; } = true;

        public Func<Stack, string?> DnsOf { get; set; } = static _ => Dns;

        public IReadOnlyList<string> Warnings { get; set; } = [];

        public Task<DeployResult> DeployAsync(Stack desired, DeployOptions options, CancellationToken cancellationToken = default)
        {
            Calls.Add((desired, Observe?.Invoke(desired) ?? [], options));
            return Task.FromResult(new DeployResult
            {
                Stack = desired.Id.ToString(),
                Mode = options.Mode,
                Reconcile = Result,
                Changes = Changed ? [new ResourceChange(ChangeAction.Modify, "LoadBalancer", "LoadBalancer", "arn:lb", [])] : [],
                AwsCalls = new Dictionary<string, long>(),
                DnsName = desired.LoadBalancer is null ? null : DnsOf(desired),
                Warnings = Warnings,
            });
        }
    }

    /// <summary>Facts with an existing load balancer per group (its DNS name), as the facts loader finds it.</summary>
    internal sealed class Facts(Func<StackId, string?>? existingDns = null) : IAwsFactsLoader
    {
        public int Loads { get; private set; }

        public Task<AwsFacts> LoadAsync(ClusterSettings cluster, StackId group, IReadOnlyList<k8s.Models.V1Ingress> ingresses, IReadOnlyList<k8s.Models.V1Node> nodes,
            CancellationToken cancellationToken = default, bool fresh = false, Action<KnownAwsReads>? read = null)
        {
            Loads++;
            var dns = existingDns?.Invoke(group);
            return Task.FromResult(dns is null ? FakeCluster.Aws : FakeCluster.Aws with { ExistingLoadBalancer = new ExistingLoadBalancerFact { Scheme = "internal", DnsName = dns } });
        }
    }

    private static IngressGroupReconciler Reconciler(FakeCluster cluster, Deployer deployer, Facts? facts = null) =>
        new(new LiveIngressGroupSource(cluster.Api, FakeCluster.Settings), FakeCluster.Settings, facts ?? new Facts(), deployer);

    private static Task<StackRun> Apply(IngressGroupReconciler reconciler, StackId group) => reconciler.ReconcileAsync(group, ReconcileRequest.Event);

    [Fact]
    public async Task The_finalizer_is_on_the_Ingress_before_the_deploy_and_status_and_events_follow()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc", group: "shop"), FakeCluster.NodePortService("web-svc"), FakeCluster.Node("n1", "i-0a"));
        var deployer = new Deployer { Observe = _ => cluster.Finalizers("default", "web") };

        var result = await Apply(Reconciler(cluster, deployer), StackId.Explicit("shop"));

        Assert.True(result.Result.IsDone, result.Result.Reason);
        var call = Assert.Single(deployer.Calls);
        Assert.Equal(["group.ingress.k8s.aws/shop"], call.FinalizersSeen);
        Assert.False(call.Options.FullDriftCheck);
        Assert.NotNull(call.Stack.LoadBalancer);
        var status = cluster.Ingress("default", "web")!["status"]!["loadBalancer"]!["ingress"]![0]!;
        Assert.Equal(Dns.ToLowerInvariant(), status["hostname"]!.GetValue<string>());
        Assert.Equal(80, status["ports"]![0]!["port"]!.GetValue<int>());
        Assert.Equal("TCP", status["ports"]![0]!["protocol"]!.GetValue<string>());
        Assert.Equal([("web", "Normal", "SuccessfullyReconciled", "Successfully reconciled")], cluster.Events());
        // The status went through the status subresource, the finalizer through a conditional patch.
        Assert.Single(cluster.Server.Requests, static r => r.Verb == "patch" && r.Subresource == "status");
        Assert.Single(cluster.Server.Requests, static r => r.Verb == "patch" && r.Subresource is null && r.Plural == "ingresses");
    }

    [Fact]
    public async Task A_second_identical_reconcile_writes_nothing()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc", group: "shop"), FakeCluster.NodePortService("web-svc"), FakeCluster.Node("n1", "i-0a"));
        var deployer = new Deployer();
        var reconciler = Reconciler(cluster, deployer);
        Assert.True((await Apply(reconciler, StackId.Explicit("shop"))).Result.IsDone);
        cluster.Server.ClearRequests();
        deployer.Changed = false;

        var second = await Apply(reconciler, StackId.Explicit("shop"));

        Assert.True(second.Result.IsDone, second.Result.Reason);
        Assert.True(second.Quiet);
        Assert.Equal(0, cluster.Writes);
        Assert.All(cluster.Server.Requests, static r => Assert.Contains(r.Verb, new[] { "get", "list" }));
        Assert.Single(cluster.Events());
    }

    [Fact]
    public async Task An_ignored_annotation_is_one_Warning_Event_per_Ingress_not_one_per_reconcile()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var annotations = new Dictionary<string, string>
        {
            ["alb.ingress.kubernetes.io/healthcheck-pathh"] = "/healthz",
            ["alb.ingress.kubernetes.io/waf-acl-id"] = "abc",
        };
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc", group: "shop", annotations: annotations), FakeCluster.NodePortService("web-svc"), FakeCluster.Node("n1", "i-0a"));
        var deployer = new Deployer();
        var reconciler = Reconciler(cluster, deployer);

        var first = await Apply(reconciler, StackId.Explicit("shop"));

        Assert.True(first.Result.IsDone, first.Result.Reason);
        var warnings = cluster.Events().Where(static e => e.Reason == IngressEventReasons.IgnoredAnnotation).Select(static e => e.Message).ToList();
        Assert.Equal(
            [
                "annotation alb.ingress.kubernetes.io/healthcheck-pathh is not an AWS Load Balancer Controller annotation and is ignored (did you mean alb.ingress.kubernetes.io/healthcheck-path?)",
                "annotation alb.ingress.kubernetes.io/waf-acl-id (WAF Classic) is not supported by this controller and is ignored: use wafv2-acl-arn",
            ],
            warnings.Order(StringComparer.Ordinal).ToList());
        Assert.All(cluster.Events().Where(static e => e.Reason == IngressEventReasons.IgnoredAnnotation), static e => Assert.Equal("Warning", e.Type));

        deployer.Changed = false;
        var second = await Apply(reconciler, StackId.Explicit("shop"));

        Assert.True(second.Quiet);
        Assert.Equal(2, cluster.Events().Count(static e => e.Reason == IngressEventReasons.IgnoredAnnotation));
    }

    [Fact]
    public async Task A_backend_Service_annotation_that_does_nothing_is_a_Warning_on_the_Ingress_that_uses_it()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var service = FakeCluster.NodePortService("web-svc").Replace(
            "\"namespace\":\"default\"}", "\"namespace\":\"default\",\"annotations\":{\"alb.ingress.kubernetes.io/scheme\":\"internet-facing\"}}", StringComparison.Ordinal);
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc", group: "shop"), service, FakeCluster.Node("n1", "i-0a"));
        var reconciler = Reconciler(cluster, new Deployer());

        var run = await Apply(reconciler, StackId.Explicit("shop"));

        Assert.True(run.Result.IsDone, run.Result.Reason);
        var warning = Assert.Single(cluster.Events(), static e => e.Reason == IngressEventReasons.IgnoredAnnotation);
        Assert.Equal(
            "Service default/web-svc: annotation alb.ingress.kubernetes.io/scheme is read only from an Ingress (or its IngressClassParams), not from a Service, and is ignored here: set it on the Ingress",
            warning.Message);
        Assert.Equal("Warning", warning.Type);
    }

    [Fact]
    public async Task A_node_left_out_of_instance_targets_is_one_BuildWarning_on_the_Ingress_and_in_the_run()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var down = FakeCluster.Node("n2", "i-0b").Replace("\"status\":\"True\"", "\"status\":\"False\"", StringComparison.Ordinal);
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc", group: "shop"), FakeCluster.NodePortService("web-svc"), FakeCluster.Node("n1", "i-0a"), down);
        var deployer = new Deployer();
        var reconciler = Reconciler(cluster, deployer);

        var first = await Apply(reconciler, StackId.Explicit("shop"));

        Assert.True(first.Result.IsDone, first.Result.Reason);
        var warning = Assert.Single(first.Warnings);
        Assert.Equal("Node n2 is not an instance target: it is not Ready (condition Ready is False)", warning.Message);
        var recorded = Assert.Single(cluster.Events(), static e => e.Reason == IngressEventReasons.BuildWarning);
        Assert.Equal(warning.Message, recorded.Message);
        Assert.Equal("Warning", recorded.Type);

        deployer.Changed = false;
        var second = await Apply(reconciler, StackId.Explicit("shop"));
        Assert.Single(second.Warnings);
        Assert.Single(cluster.Events(), static e => e.Reason == IngressEventReasons.BuildWarning);
    }

    [Fact]
    public async Task An_invalid_member_gets_its_own_error_and_the_valid_member_is_not_blamed()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(
            FakeCluster.AlbClass,
            FakeCluster.IngressJson("good", "web-svc", group: "shop", path: "/good"),
            FakeCluster.IngressJson("bad", "web-svc", group: "shop", path: "/bad", annotations: new Dictionary<string, string> { ["alb.ingress.kubernetes.io/scheme"] = "sideways" }),
            FakeCluster.NodePortService("web-svc"),
            FakeCluster.Node("n1", "i-0a"));
        var deployer = new Deployer();

        var result = await Apply(Reconciler(cluster, deployer), StackId.Explicit("shop"));

        Assert.True(result.Result.IsDone, result.Result.Reason);
        var events = cluster.Events();
        var bad = Assert.Single(events, static e => e.Name == "bad");
        Assert.Equal(("Warning", "FailedBuildModel"), (bad.Type, bad.Reason));
        Assert.StartsWith("Failed build model due to Ingress default/bad: annotation alb.ingress.kubernetes.io/scheme \"sideways\"", bad.Message, StringComparison.Ordinal);
        var good = Assert.Single(events, static e => e.Name == "good");
        Assert.Equal(("Normal", "SuccessfullyReconciled"), (good.Type, good.Reason));
        Assert.DoesNotContain("bad", good.Message, StringComparison.Ordinal);
        // The address is written to the member it routes, not to the frozen one.
        Assert.NotNull(cluster.Ingress("default", "good")!["status"]?["loadBalancer"]?["ingress"]);
        Assert.Null(cluster.Ingress("default", "bad")!["status"]?["loadBalancer"]?["ingress"]);
    }

    [Fact]
    public async Task A_deploy_failure_is_reported_on_every_active_member_and_no_status_or_finalizer_removal_follows()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("a", "web-svc", group: "shop", path: "/a"), FakeCluster.IngressJson("b", "web-svc", group: "shop", path: "/b"),
            FakeCluster.NodePortService("web-svc"), FakeCluster.Node("n1", "i-0a"));
        var deployer = new Deployer { Result = ReconcileResult.Failed("TooManyRules: too many rules") };

        var result = await Apply(Reconciler(cluster, deployer), StackId.Explicit("shop"));

        Assert.Equal(ReconcileKind.Failed, result.Result.Kind);
        Assert.Equal(
            [("a", "Warning", "FailedDeployModel", "Failed deploy model due to TooManyRules: too many rules"), ("b", "Warning", "FailedDeployModel", "Failed deploy model due to TooManyRules: too many rules")],
            cluster.Events().OrderBy(static e => e.Name, StringComparer.Ordinal));
        Assert.Equal(["group.ingress.k8s.aws/shop"], cluster.Finalizers("default", "a"));
        Assert.Equal(0, cluster.Server.Requests.Count(static r => r.Subresource == "status"));
    }

    [Fact]
    public async Task A_deleted_Ingress_keeps_its_finalizer_through_the_deploy_and_is_gone_after()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc", finalizers: ["ingress.k8s.aws/resources"]), FakeCluster.NodePortService("web-svc"));
        cluster.Server.Delete("networking.k8s.io/v1", "Ingress", "default", "web");
        Assert.NotNull(cluster.Ingress("default", "web")!["metadata"]!["deletionTimestamp"]);
        var deployer = new Deployer { Observe = _ => cluster.Finalizers("default", "web") };

        var result = await Apply(Reconciler(cluster, deployer), StackId.Implicit("default", "web"));

        Assert.True(result.Result.IsDone, result.Result.Reason);
        var call = Assert.Single(deployer.Calls);
        Assert.Null(call.Stack.LoadBalancer);
        Assert.Equal(IngressState.Leaving, Assert.Single(call.Stack.Ingresses).State);
        Assert.Equal(["ingress.k8s.aws/resources"], call.FinalizersSeen);
        Assert.Equal(["default/web"], result.FinalizersRemoved);
        Assert.Null(cluster.Ingress("default", "web"));
    }

    [Fact]
    public async Task An_Ingress_moved_between_groups_is_reconciled_in_both_and_ends_with_the_new_finalizer_only()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc", group: "old"), FakeCluster.NodePortService("web-svc"), FakeCluster.Node("n1", "i-0a"));
        var deployer = new Deployer();
        var reconciler = Reconciler(cluster, deployer);
        Assert.True((await Apply(reconciler, StackId.Explicit("old"))).Result.IsDone);
        cluster.Server.Mutate("networking.k8s.io/v1", "Ingress", "default", "web",
            static o => o["metadata"]!["annotations"]!["alb.ingress.kubernetes.io/group.name"] = "new");

        var moved = (await cluster.Api.GetIngressAsync("default", "web"))!;
        var snapshot = (await new KubernetesGroupLoader(cluster.Api, FakeCluster.Settings).LoadAsync(StackId.Explicit("new"))).Snapshot;
        var groups = GroupKeys.ToReconcile(moved, snapshot.IngressClasses, snapshot.IngressClassParams, snapshot.Namespaces, FakeCluster.Settings);
        Assert.Equal(["new", "old"], groups.Select(static g => g.ToString()));
        foreach (var group in groups)
            Assert.True((await Apply(reconciler, group)).Result.IsDone);

        Assert.Equal(["group.ingress.k8s.aws/new"], cluster.Finalizers("default", "web"));
        Assert.NotNull(deployer.Calls[1].Stack.LoadBalancer);
        Assert.Equal(StackId.Explicit("new"), deployer.Calls[1].Stack.Id);
        Assert.Null(deployer.Calls[2].Stack.LoadBalancer);
        Assert.Equal(StackId.Explicit("old"), deployer.Calls[2].Stack.Id);
        Assert.Equal(IngressState.Leaving, Assert.Single(deployer.Calls[2].Stack.Ingresses).State);
    }

    [Fact]
    public async Task A_409_on_the_finalizer_patch_is_re_read_and_re_applied_keeping_the_other_finalizer()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc"), FakeCluster.NodePortService("web-svc"), FakeCluster.Node("n1", "i-0a"));
        var reconciler = Reconciler(cluster, new Deployer());
        // Someone else adds a finalizer between our list and our patch: our patch carries a stale resourceVersion.
        var loaded = await new KubernetesGroupLoader(cluster.Api, FakeCluster.Settings).LoadAsync(StackId.Implicit("default", "web"));
        cluster.Server.Mutate("networking.k8s.io/v1", "Ingress", "default", "web", static o => o["metadata"]!["finalizers"] = new System.Text.Json.Nodes.JsonArray("example.com/other"));
        cluster.Server.ClearRequests();

        var (ingress, written) = await new Serverless.Kubernetes.Writers.IngressWriter(cluster.Api).AddFinalizerAsync(loaded.Snapshot.Ingresses[0], "ingress.k8s.aws/resources");

        Assert.True(written);
        Assert.Equal(["example.com/other", "ingress.k8s.aws/resources"], ingress!.Metadata.Finalizers);
        Assert.Equal(["example.com/other", "ingress.k8s.aws/resources"], cluster.Finalizers("default", "web"));
        Assert.Equal(["patch", "get", "patch"], cluster.Server.Requests.Select(static r => r.Verb));

        // And through the reconciler, with an injected 409: the reconcile still succeeds.
        cluster.Server.Mutate("networking.k8s.io/v1", "Ingress", "default", "web", static o => o["metadata"]!["finalizers"] = new System.Text.Json.Nodes.JsonArray("example.com/other"));
        cluster.Server.FailNext(1, 409, static r => r.Verb == "patch" && r.Plural == "ingresses" && r.Subresource is null);
        var result = await Apply(reconciler, StackId.Implicit("default", "web"));
        Assert.True(result.Result.IsDone, result.Result.Reason);
        Assert.Equal(["example.com/other", "ingress.k8s.aws/resources"], cluster.Finalizers("default", "web"));
    }

    [Fact]
    public async Task A_finalizer_that_cannot_be_added_stops_the_reconcile_before_the_deploy_with_an_event_on_that_Ingress()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc"), FakeCluster.NodePortService("web-svc"), FakeCluster.Node("n1", "i-0a"));
        cluster.Server.FailNext(1, 403, static r => r.Verb == "patch" && r.Plural == "ingresses");
        var deployer = new Deployer();

        var result = await Apply(Reconciler(cluster, deployer), StackId.Implicit("default", "web"));

        Assert.Equal(ReconcileKind.Failed, result.Result.Kind);
        Assert.Empty(deployer.Calls);
        var e = Assert.Single(cluster.Events());
        Assert.Equal(("web", "Warning", "FailedAddFinalizer"), (e.Name, e.Type, e.Reason));
        Assert.StartsWith("Failed add finalizer due to patch ingress default/web: 403", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_requeue_is_quiet_no_Warning_Event_the_status_is_still_written_and_the_result_is_the_requeue()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc", group: "shop"), FakeCluster.NodePortService("web-svc"), FakeCluster.Node("n1", "i-0a"));
        var deployer = new Deployer { Result = ReconcileResult.RequeueAfter("target group k8s-shop-web is still in use", TimeSpan.FromSeconds(30)) };

        var result = await Apply(Reconciler(cluster, deployer), StackId.Explicit("shop"));

        Assert.Equal(ReconcileKind.RequeueAfter, result.Result.Kind);
        Assert.Equal(TimeSpan.FromSeconds(30), result.Result.Delay);
        Assert.Empty(cluster.Events());
        Assert.Equal(["default/web"], result.StatusesUpdated);
        Assert.Equal(Dns.ToLowerInvariant(), cluster.Ingress("default", "web")!["status"]!["loadBalancer"]!["ingress"]![0]!["hostname"]!.GetValue<string>());
        Assert.Equal(["group.ingress.k8s.aws/shop"], cluster.Finalizers("default", "web"));
    }

    [Fact]
    public async Task A_requeue_leaves_a_member_whose_status_shows_another_load_balancer_alone_and_a_leaving_member_keeps_its_finalizer()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc", group: "shop"), FakeCluster.NodePortService("web-svc"), FakeCluster.Node("n1", "i-0a"));
        cluster.Server.Mutate("networking.k8s.io/v1", "Ingress", "default", "web", static o => o["status"] = System.Text.Json.Nodes.JsonNode.Parse(
            """{"loadBalancer":{"ingress":[{"hostname":"elsewhere.elb.amazonaws.com"}]}}"""), status: true);
        var deployer = new Deployer { Result = ReconcileResult.RequeueAfter("new targets are not healthy yet", TimeSpan.FromSeconds(10)) };

        var requeued = await Apply(Reconciler(cluster, deployer), StackId.Explicit("shop"));

        Assert.Equal(ReconcileKind.RequeueAfter, requeued.Result.Kind);
        Assert.Empty(requeued.StatusesUpdated);
        Assert.Equal("elsewhere.elb.amazonaws.com", cluster.Ingress("default", "web")!["status"]!["loadBalancer"]!["ingress"]![0]!["hostname"]!.GetValue<string>());

        deployer.Result = ReconcileResult.Done;
        var done = await Apply(Reconciler(cluster, deployer), StackId.Explicit("shop"));
        Assert.Equal(["default/web"], done.StatusesUpdated);
    }

    [Fact]
    public async Task A_member_moving_to_another_group_keeps_its_rules_in_the_old_one_until_the_new_one_has_deployed_it()
    {
        const string oldDns = "k8s-old-0123456789.us-west-2.elb.amazonaws.com";
        const string newDns = "k8s-new-0123456789.us-west-2.elb.amazonaws.com";
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc", group: "old"), FakeCluster.NodePortService("web-svc"), FakeCluster.Node("n1", "i-0a"));
        var deployer = new Deployer { DnsOf = static s => s.Id == StackId.Explicit("old") ? oldDns : newDns };
        var reconciler = Reconciler(cluster, deployer, new Facts(static g => g == StackId.Explicit("old") ? oldDns : null));
        Assert.True((await Apply(reconciler, StackId.Explicit("old"))).Result.IsDone);
        cluster.Server.Mutate("networking.k8s.io/v1", "Ingress", "default", "web",
            static o => o["metadata"]!["annotations"]!["alb.ingress.kubernetes.io/group.name"] = "new");
        cluster.Server.ClearRequests();

        // The old group first: the member still shows the old load balancer, so its rules stay (held, frozen), quietly.
        var held = await Apply(reconciler, StackId.Explicit("old"));
        Assert.Equal(ReconcileKind.RequeueAfter, held.Result.Kind);
        Assert.Equal(["default/web"], held.Held);
        var outcome = Assert.Single(held.Desired!.Ingresses);
        Assert.Equal(IngressState.Frozen, outcome.State);
        Assert.Contains("default/web", held.Desired.FrozenOwners);
        Assert.Empty(held.FinalizersRemoved);
        Assert.DoesNotContain(cluster.Events(), static e => e.Type == "Warning");

        // The new group deploys, but waits for healthy targets: the status keeps pointing at the old load balancer.
        deployer.Result = ReconcileResult.RequeueAfter("new targets are not healthy yet", TimeSpan.FromSeconds(10));
        var waiting = await Apply(reconciler, StackId.Explicit("new"));
        Assert.Equal(ReconcileKind.RequeueAfter, waiting.Result.Kind);
        Assert.Equal(["default/web"], deployer.Calls[^1].Options.AwaitServing);
        Assert.Equal(oldDns, cluster.Ingress("default", "web")!["status"]!["loadBalancer"]!["ingress"]![0]!["hostname"]!.GetValue<string>());
        Assert.Equal(["default/web"], (await Apply(reconciler, StackId.Explicit("old"))).Held);

        // The new group is done: its address goes to the status, and the old group lets the member go.
        deployer.Result = ReconcileResult.Done;
        Assert.True((await Apply(reconciler, StackId.Explicit("new"))).Result.IsDone);
        Assert.Equal(newDns, cluster.Ingress("default", "web")!["status"]!["loadBalancer"]!["ingress"]![0]!["hostname"]!.GetValue<string>());
        var released = await Apply(reconciler, StackId.Explicit("old"));
        Assert.True(released.Result.IsDone, released.Result.Reason);
        Assert.Empty(released.Held);
        Assert.Equal(IngressState.Leaving, Assert.Single(released.Desired!.Ingresses).State);
        Assert.Null(released.Desired.LoadBalancer);
        Assert.Equal(["group.ingress.k8s.aws/new"], cluster.Finalizers("default", "web"));
    }

    [Fact]
    public async Task The_facts_are_read_once_per_reconcile_and_a_replay_asks_for_fresh_ones()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc", group: "shop"), FakeCluster.NodePortService("web-svc"), FakeCluster.Node("n1", "i-0a"));
        var facts = new Facts();
        var deployer = new Deployer();
        var reconciler = Reconciler(cluster, deployer, facts);

        var run = await Apply(reconciler, StackId.Explicit("shop"));
        Assert.Equal(1, facts.Loads);
        Assert.Contains(run.Phases, static p => p.Phase == "facts");
        Assert.Contains(run.Phases, static p => p.Phase == "deploy");

        await reconciler.ReconcileAsync(StackId.Explicit("shop"), ReconcileRequest.DriftCheck);
        Assert.Equal(2, facts.Loads);
        Assert.True(deployer.Calls[^1].Options.FullDriftCheck);
    }

    [Fact]
    public async Task A_plan_writes_nothing_to_the_cluster()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc", group: "shop"), FakeCluster.NodePortService("web-svc"), FakeCluster.Node("n1", "i-0a"));
        cluster.Server.ClearRequests();
        var deployer = new Deployer();

        var run = await Reconciler(cluster, deployer).ReconcileAsync(StackId.Explicit("shop"), new ReconcileRequest(DeployMode.Plan));

        Assert.Equal(DeployMode.Plan, Assert.Single(deployer.Calls).Options.Mode);
        Assert.All(cluster.Server.Requests, static r => Assert.Contains(r.Verb, new[] { "get", "list" }));
        Assert.Empty(run.FinalizersAdded);
    }

    [Fact]
    public async Task A_deploy_warning_becomes_a_Warning_Event_on_each_active_member()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc", group: "shop"), FakeCluster.NodePortService("web-svc"), FakeCluster.Node("n1", "i-0a"));
        var deployer = new Deployer { Warnings = ["target group k8s-shop-web: no target became healthy within 5m0s; switched anyway"] };

        var run = await Apply(Reconciler(cluster, deployer), StackId.Explicit("shop"));

        Assert.True(run.Result.IsDone);
        var warning = Assert.Single(cluster.Events(), static e => e.Type == "Warning");
        Assert.Equal(("web", IngressEventReasons.DeployWarning), (warning.Name, warning.Reason));
        Assert.Contains("k8s-shop-web", warning.Message, StringComparison.Ordinal);
    }
}
