using Serverless.Ingress;
using Serverless.Kubernetes.Live;
using Serverless.Model;

namespace Serverless.Kubernetes.Tests.Live;

/// <summary>The group reconcile against the fake API server, with a recording deployer.</summary>
public sealed class ReconcilerTests
{
    private const string Dns = "Internal-k8s-shop-0123456789.us-west-2.elb.amazonaws.com";

    private sealed class Deployer
    {
        public List<(Stack Stack, IReadOnlyList<string> FinalizersSeen)> Calls { get; } = [];

        public Func<Stack, IReadOnlyList<string>>? Observe { get; set; }

        public Exception? Fail { get; set; }

        public bool Changed { get; set; } = true;

        public IReadOnlyList<string>? Warnings { get; set; }

        public Task<DeployOutcome> DeployAsync(Stack stack, CancellationToken cancellationToken)
        {
            Calls.Add((stack, Observe?.Invoke(stack) ?? []));
            if (Fail is not null)
                throw Fail;
            return Task.FromResult(new DeployOutcome(stack.LoadBalancer is null ? null : Dns, Changed, Warnings));
        }
    }

    private static GroupReconciler Reconciler(FakeCluster cluster, Deployer deployer) =>
        new(cluster.Api, FakeCluster.Settings, deployer.DeployAsync, static (_, _) => Task.FromResult(FakeCluster.Aws));

    [Fact]
    public async Task The_finalizer_is_on_the_Ingress_before_the_deploy_and_status_and_events_follow()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc", group: "shop"), FakeCluster.NodePortService("web-svc"), FakeCluster.Node("n1", "i-0a"));
        var deployer = new Deployer { Observe = _ => cluster.Finalizers("default", "web") };

        var result = await Reconciler(cluster, deployer).ReconcileAsync(StackId.Explicit("shop"));

        Assert.True(result.Succeeded, result.Error);
        var call = Assert.Single(deployer.Calls);
        Assert.Equal(["group.ingress.k8s.aws/shop"], call.FinalizersSeen);
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
    public async Task A_deploy_warning_is_a_Warning_Event_on_each_active_member()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc", group: "shop"), FakeCluster.NodePortService("web-svc"), FakeCluster.Node("n1", "i-0a"));
        const string warning = "target group k8s-default-web-0123456789 had no healthy target 360s after traffic was staged to it (timeout 300s): traffic switched to it anyway";
        var deployer = new Deployer { Warnings = [warning] };

        var result = await Reconciler(cluster, deployer).ReconcileAsync(StackId.Explicit("shop"));

        Assert.True(result.Succeeded, result.Error);
        Assert.Contains(("web", "Warning", IngressEventReasons.DeployWarning, warning), cluster.Events());
    }

    [Fact]
    public async Task A_second_identical_reconcile_writes_nothing()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc", group: "shop"), FakeCluster.NodePortService("web-svc"), FakeCluster.Node("n1", "i-0a"));
        var deployer = new Deployer();
        var reconciler = Reconciler(cluster, deployer);
        Assert.True((await reconciler.ReconcileAsync(StackId.Explicit("shop"))).Succeeded);
        cluster.Server.ClearRequests();
        deployer.Changed = false;

        var second = await reconciler.ReconcileAsync(StackId.Explicit("shop"));

        Assert.True(second.Succeeded, second.Error);
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

        var first = await reconciler.ReconcileAsync(StackId.Explicit("shop"));

        Assert.True(first.Succeeded, first.Error);
        var warnings = cluster.Events().Where(static e => e.Reason == IngressEventReasons.IgnoredAnnotation).Select(static e => e.Message).ToList();
        Assert.Equal(
            [
                "annotation alb.ingress.kubernetes.io/healthcheck-pathh is not an AWS Load Balancer Controller annotation and is ignored (did you mean alb.ingress.kubernetes.io/healthcheck-path?)",
                "annotation alb.ingress.kubernetes.io/waf-acl-id (WAF Classic) is not supported by this controller and is ignored: use wafv2-acl-arn",
            ],
            warnings.Order(StringComparer.Ordinal).ToList());
        Assert.All(cluster.Events().Where(static e => e.Reason == IngressEventReasons.IgnoredAnnotation), static e => Assert.Equal("Warning", e.Type));

        deployer.Changed = false;
        var second = await reconciler.ReconcileAsync(StackId.Explicit("shop"));

        Assert.True(second.Quiet);
        Assert.Equal(2, cluster.Events().Count(static e => e.Reason == IngressEventReasons.IgnoredAnnotation));
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

        var result = await Reconciler(cluster, deployer).ReconcileAsync(StackId.Explicit("shop"));

        Assert.True(result.Succeeded, result.Error);
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
        var deployer = new Deployer { Fail = new InvalidOperationException("TooManyRules: too many rules") };

        var result = await Reconciler(cluster, deployer).ReconcileAsync(StackId.Explicit("shop"));

        Assert.False(result.Succeeded);
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

        var result = await Reconciler(cluster, deployer).ReconcileAsync(StackId.Implicit("default", "web"));

        Assert.True(result.Succeeded, result.Error);
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
        Assert.True((await reconciler.ReconcileAsync(StackId.Explicit("old"))).Succeeded);
        cluster.Server.Mutate("networking.k8s.io/v1", "Ingress", "default", "web",
            static o => o["metadata"]!["annotations"]!["alb.ingress.kubernetes.io/group.name"] = "new");

        var moved = (await cluster.Api.GetIngressAsync("default", "web"))!;
        var snapshot = (await new KubernetesGroupLoader(cluster.Api, FakeCluster.Settings).LoadAsync(StackId.Explicit("new"))).Snapshot;
        var groups = GroupKeys.ToReconcile(moved, snapshot.IngressClasses, snapshot.IngressClassParams, snapshot.Namespaces, FakeCluster.Settings);
        Assert.Equal(["new", "old"], groups.Select(static g => g.ToString()));
        foreach (var group in groups)
            Assert.True((await reconciler.ReconcileAsync(group)).Succeeded);

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
        var result = await reconciler.ReconcileAsync(StackId.Implicit("default", "web"));
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(["example.com/other", "ingress.k8s.aws/resources"], cluster.Finalizers("default", "web"));
    }

    [Fact]
    public async Task A_finalizer_that_cannot_be_added_stops_the_reconcile_before_the_deploy_with_an_event_on_that_Ingress()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc"), FakeCluster.NodePortService("web-svc"), FakeCluster.Node("n1", "i-0a"));
        cluster.Server.FailNext(1, 403, static r => r.Verb == "patch" && r.Plural == "ingresses");
        var deployer = new Deployer();

        var result = await Reconciler(cluster, deployer).ReconcileAsync(StackId.Implicit("default", "web"));

        Assert.False(result.Succeeded);
        Assert.Empty(deployer.Calls);
        var e = Assert.Single(cluster.Events());
        Assert.Equal(("web", "Warning", "FailedAddFinalizer"), (e.Name, e.Type, e.Reason));
        Assert.StartsWith("Failed add finalizer due to patch ingress default/web: 403", e.Message, StringComparison.Ordinal);
    }
}
