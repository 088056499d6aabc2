using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using Serverless.Aws.Acm;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Sqs;
using Serverless.Aws.Wafv2;
using Serverless.Deploy;
using Serverless.Functions.Wiring;
using Serverless.Ingress;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Auth;
using Serverless.Lambda;
using Serverless.Lambda.Events;
using Serverless.Local;
using Serverless.LocalHost;
using Serverless.Messages;
using Serverless.Model;
using Serverless.Reconcile;
using Serverless.Testing;
using Serverless.Testing.FakeKubernetes;

namespace Serverless.Functions.Tests;

/// <summary>
/// Garbage collection of stacks whose group is gone, wired as deployed (cluster keys from a fake API server, the stack
/// inventory, the reconciler and deployer against moto): each guard alone keeps a stack, the cap keeps a mass
/// deletion from happening, and two replays far enough apart delete it.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class GarbageCollectionTests(MotoFixture fixture) : MotoTest(fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromMinutes(30);

    [Fact]
    public async Task Two_replays_at_least_the_wait_apart_delete_an_orphaned_stack_through_the_queue()
    {
        await using var world = await World.CreateAsync(Moto);
        var lb = await world.AddIngressAsync("echo");
        Assert.Equal("alb", (await world.TagsAsync(lb.LoadBalancerArn!))[DeployTags.IngressClass]);
        world.Orphan("echo");

        var first = await world.ReplayAsync();
        Assert.Equal((1, 0), (first.OrphanStacks, first.OrphanDeletions));
        Assert.Empty(await world.DrainAsync());
        world.Time.Advance(Wait + TimeSpan.FromMinutes(1));
        var second = await world.ReplayAsync();

        Assert.Equal(1, second.OrphanDeletions);
        var poll = await world.Host.PollOnceAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.True(poll == new PollResult(1, 1, 0), $"{poll}\n{string.Join("\n", world.Output.Lines)}");
        Assert.Null(await world.LoadBalancerAsync("echo"));
        Assert.Empty((await world.Elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest())).TargetGroups ?? []);
        Assert.Contains(world.Output.Lines, l => l.Contains("\"message\":\"reconciled\"", StringComparison.Ordinal) && l.Contains("\"mode\":\"Collect\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_single_absence_only_marks_the_load_balancer()
    {
        await using var world = await World.CreateAsync(Moto);
        var lb = await world.AddIngressAsync("echo");
        world.Orphan("echo");

        var report = await world.ReplayAsync();

        Assert.Equal(0, report.OrphanDeletions);
        Assert.Empty(await world.DrainAsync());
        Assert.Equal(DeployTags.FormatTime(world.Time.GetUtcNow()), (await world.TagsAsync(lb.LoadBalancerArn!))[DeployTags.AbsentSince]);
        Assert.Contains(world.Output.Lines, l => l.Contains("first absence", StringComparison.Ordinal));
        // Nor does the reconcile delete it on an approved-looking request: the mark is fresh.
        Assert.Equal(ReconcileKind.Done, (await world.Reconciler.ReconcileAsync(StackId.Implicit("default", "echo"), ReconcileRequest.Collect)).Result.Kind);
        Assert.NotNull(await world.LoadBalancerAsync("echo"));
    }

    [Fact]
    public async Task A_second_absence_sooner_than_the_wait_deletes_nothing()
    {
        await using var world = await World.CreateAsync(Moto);
        var lb = await world.AddIngressAsync("echo");
        world.Orphan("echo");
        await world.ReplayAsync();
        var marked = (await world.TagsAsync(lb.LoadBalancerArn!))[DeployTags.AbsentSince];
        world.Time.Advance(Wait - TimeSpan.FromMinutes(1));

        var report = await world.ReplayAsync();

        Assert.Equal(0, report.OrphanDeletions);
        Assert.Empty(await world.DrainAsync());
        Assert.Equal(marked, (await world.TagsAsync(lb.LoadBalancerArn!))[DeployTags.AbsentSince]);
        Assert.Contains(world.Output.Lines, l => l.Contains("eligible from", StringComparison.Ordinal));
        Assert.NotNull(await world.LoadBalancerAsync("echo"));
    }

    [Fact]
    public async Task A_failed_ingress_list_collects_nothing_and_a_partial_one_still_replays_the_groups_it_found()
    {
        await using var world = await World.CreateAsync(Moto);
        await world.AddIngressAsync("echo");
        await world.AddIngressAsync("live");
        world.Orphan("echo");
        await world.ReplayAsync();
        await world.DrainAsync();
        world.Time.Advance(Wait + TimeSpan.FromMinutes(1));

        world.Kube.FailNext(1, 403, static r => r.Verb == "list" && r.Plural == "ingresses");
        var failed = await world.ReplayAsync();

        Assert.NotNull(failed.Incomplete);
        Assert.Contains("403", failed.Incomplete, StringComparison.Ordinal);
        Assert.Equal(0, failed.OrphanDeletions);
        Assert.Empty(await world.DrainAsync());
        Assert.Equal(1, world.MetricValue(EmfMetrics.Names.GcIncompleteLists));

        // A list that found some groups but could not vouch for all: those are replayed, the orphan is not collected.
        world.Time.Advance(TimeSpan.FromMinutes(10));
        var partial = await world.ReplayAsync(new PartialKeys(new ClusterKeys(world.Api, world.Cluster)));
        Assert.Equal(0, partial.OrphanDeletions);
        var message = Assert.Single(await world.DrainAsync());
        Assert.Equal((QueueKey.IngressGroup("default/live"), QueueMessageOrigin.Replay), (message.Key, message.Origin));
        Assert.NotNull(await world.LoadBalancerAsync("echo"));
    }

    [Fact]
    public async Task A_stack_whose_IngressClass_is_gone_is_kept()
    {
        await using var world = await World.CreateAsync(Moto);
        await world.AddIngressAsync("echo");
        world.Orphan("echo");
        await world.ReplayAsync();
        world.Kube.Delete("networking.k8s.io/v1", "IngressClass", null, "alb");
        world.Time.Advance(Wait + TimeSpan.FromMinutes(1));

        var report = await world.ReplayAsync();

        Assert.Equal(0, report.OrphanDeletions);
        Assert.Empty(await world.DrainAsync());
        Assert.Contains(world.Output.Lines, l => l.Contains("IngressClass alb no longer exists", StringComparison.Ordinal));
        Assert.NotNull(await world.LoadBalancerAsync("echo"));
    }

    [Fact]
    public async Task A_protected_load_balancer_is_never_deleted_nor_unprotected_and_its_target_groups_stay()
    {
        await using var world = await World.CreateAsync(Moto);
        var lb = await world.AddIngressAsync("echo");
        world.Orphan("echo");
        await world.ReplayAsync();
        await world.Elb.ModifyLoadBalancerAttributesAsync(new ModifyLoadBalancerAttributesRequest
        {
            LoadBalancerArn = lb.LoadBalancerArn,
            Attributes = [new LoadBalancerAttribute { Key = "deletion_protection.enabled", Value = "true" }],
        });
        world.Time.Advance(Wait + TimeSpan.FromMinutes(1));

        var report = await world.ReplayAsync();

        Assert.Equal(0, report.OrphanDeletions);
        Assert.Empty(await world.DrainAsync());
        Assert.Contains(world.Output.Lines, l => l.Contains("deletion_protection.enabled=true", StringComparison.Ordinal));

        // The reconcile's own check: an approved deletion of a protected stack fails naming the load balancer and the
        // attribute, and deletes nothing of the stack.
        var groups = (await world.Elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest())).TargetGroups!.Count;
        var run = await world.Reconciler.ReconcileAsync(StackId.Implicit("default", "echo"), ReconcileRequest.Collect);
        Assert.Equal(ReconcileKind.Failed, run.Result.Kind);
        Assert.Contains(lb.LoadBalancerName!, run.Result.Reason, StringComparison.Ordinal);
        Assert.Contains("deletion_protection.enabled=true", run.Result.Reason, StringComparison.Ordinal);
        Assert.Equal(0, run.Deploy!.MutatingCalls);
        Assert.NotNull(await world.LoadBalancerAsync("echo"));
        Assert.Equal(groups, (await world.Elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest())).TargetGroups!.Count);
        var attributes = await world.Elb.DescribeLoadBalancerAttributesAsync(new DescribeLoadBalancerAttributesRequest { LoadBalancerArn = lb.LoadBalancerArn });
        Assert.Contains(attributes.Attributes!, static a => a.Key == "deletion_protection.enabled" && a.Value == "true");
    }

    [Fact]
    public async Task More_eligible_stacks_than_the_cap_delete_none_log_each_and_emit_the_metric()
    {
        await using var world = await World.CreateAsync(Moto);
        string[] names = ["a", "b", "c", "d"];
        foreach (var name in names)
            await world.AddIngressAsync(name);
        foreach (var name in names)
            world.Orphan(name);
        await world.ReplayAsync();
        world.Time.Advance(Wait + TimeSpan.FromMinutes(1));

        var report = await world.ReplayAsync();

        Assert.Equal((4, 0, 4), (report.OrphanStacks, report.OrphanDeletions, report.OrphanDeletionsCapped));
        Assert.Empty(await world.DrainAsync());
        Assert.Equal(4, world.MetricValue(EmfMetrics.Names.OrphanDeletionsCapped));
        foreach (var name in names)
        {
            Assert.Contains(world.Output.Lines, l => l.Contains("would have been deleted", StringComparison.Ordinal) && l.Contains("default/" + name, StringComparison.Ordinal));
            Assert.NotNull(await world.LoadBalancerAsync(name));
        }
    }

    [Fact]
    public async Task A_group_that_comes_back_loses_its_mark_and_the_deployer_leaves_the_mark_alone_meanwhile()
    {
        await using var world = await World.CreateAsync(Moto);
        var lb = await world.AddIngressAsync("echo");
        world.Orphan("echo");
        await world.ReplayAsync();

        await world.AddIngressAsync("echo", reconcile: false);
        var drift = await world.Reconciler.ReconcileAsync(StackId.Implicit("default", "echo"), ReconcileRequest.DriftCheck);
        Assert.True(drift.Result.IsDone, drift.Result.ToString());
        Assert.True((await world.TagsAsync(lb.LoadBalancerArn!)).ContainsKey(DeployTags.AbsentSince));
        world.Time.Advance(Wait + TimeSpan.FromMinutes(1));
        var report = await world.ReplayAsync();

        Assert.Equal(0, report.OrphanStacks);
        Assert.False((await world.TagsAsync(lb.LoadBalancerArn!)).ContainsKey(DeployTags.AbsentSince));
        var message = Assert.Single(await world.DrainAsync());
        Assert.Equal(QueueMessageOrigin.Replay, message.Origin);
    }

    [Fact]
    public async Task A_memberless_group_is_kept_by_events_and_drift_checks_but_a_deleted_member_still_deletes_its_stack()
    {
        await using var world = await World.CreateAsync(Moto);
        await world.AddIngressAsync("echo");
        await world.AddIngressAsync("gone");
        world.Orphan("echo");
        var echo = StackId.Implicit("default", "echo");

        foreach (var request in new[] { ReconcileRequest.Event, ReconcileRequest.DriftCheck, ReconcileRequest.Collect })
        {
            var run = await world.Reconciler.ReconcileAsync(echo, request);
            Assert.Equal(ReconcileKind.Done, run.Result.Kind);
            Assert.NotNull(await world.LoadBalancerAsync("echo"));
        }
        Assert.Contains(world.Output.Lines, l => l.Contains("its stack is kept", StringComparison.Ordinal));

        // The user's deletion: the Ingress carries the finalizer, so it is a leaving member and its stack goes.
        world.Kube.Delete("networking.k8s.io/v1", "Ingress", "default", "gone");
        var leaver = await world.Reconciler.ReconcileAsync(StackId.Implicit("default", "gone"), ReconcileRequest.Event);
        Assert.True(leaver.Result.IsDone, leaver.Result.ToString());
        Assert.Null(await world.LoadBalancerAsync("gone"));
    }

    /// <summary>The cluster keys as found, but declared incomplete (as when a later page of a list failed).</summary>
    private sealed class PartialKeys(IClusterKeySource inner) : IClusterKeySource
    {
        public async Task<ClusterGroups> ListGroupKeysAsync(CancellationToken cancellationToken) =>
            (await inner.ListGroupKeysAsync(cancellationToken)) with { Incomplete = "list ingresses: page 2 failed" };
    }

    /// <summary>A fake cluster, moto, the live seams and a replay and reconcile function on a manual clock.</summary>
    private sealed class World : IAsyncDisposable
    {
        private const string ClusterName = "gc";
        private const string TrustedSender = "AIDAIT2UOQQY3AUEKVGXU";
        private readonly List<IDisposable> _owned = [];
        private int _nextPort = 30080;

        public required FakeKubernetesApiServer Kube { get; init; }

        public required KubernetesApi Api { get; init; }

        public required ClusterSettings Cluster { get; init; }

        public required ElasticLoadBalancingV2Client Elb { get; init; }

        public required IngressGroupReconciler Reconciler { get; init; }

        public required SqsGateway Sqs { get; init; }

        public required string Queue { get; init; }

        public required ManualTime Time { get; init; }

        public required CapturedOutput Output { get; init; }

        public required LambdaContext Context { get; init; }

        public required InventoryStacks Stacks { get; init; }

        public required LocalFunctionHost Host { get; init; }

        public static async Task<World> CreateAsync(MotoServer moto)
        {
            var options = moto.ClientOptions();
            using var sdk = Ec2Gateway.CreateSdkClient(options);
            var sandbox = await Sandbox.SeedAsync(sdk, ClusterName, "us-east-1", [new("node-a")]);
            var kube = await FakeKubernetesApiServer.StartAsync();
            kube.Create("""{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"alb"},"spec":{"controller":"ingress.k8s.aws/alb"}}""");
            foreach (var node in sandbox.Nodes)
                kube.CreateReadyNode(node.NodeName, node.ProviderId);
            var api = KubernetesConnection.Create(new KubernetesClientConfiguration { Host = kube.Url });
            var ec2 = Ec2Gateway.Create(options);
            var elb = new ElasticLoadBalancingV2Client(options);
            var waf = new Wafv2Client(options);
            var acm = new AcmClient(options);
            var sqs = SqsGateway.Create(options);
            var queue = await sqs.CreateQueueAsync(new SqsQueueSpec("gc.fifo"));
            var time = new ManualTime(DateTimeOffset.UtcNow);
            var output = new CapturedOutput();
            var context = TestContext.Create(output, time);
            var cluster = new ClusterSettings { ClusterName = ClusterName, VpcId = sandbox.VpcId };
            var reconciler = new IngressGroupReconciler(
                new LiveIngressGroupSource(api, cluster), cluster, new AwsFactsLoader(ec2, elb, acm, waf), new StackDeployer(elb, ec2, waf, options.CallRecorder),
                context.Logger.ForCategory("Serverless.Reconcile"), new IngressReconcilerOptions { OrphanMinAbsence = Wait, Time = time });
            var inventory = new ClusterInventory(elb, ec2);
            var stacks = new InventoryStacks(inventory, new BackendSecurityGroupCollector(ec2, inventory), elb, cluster, time);
            var replay = new ReplayFunction(new ClusterKeys(api, cluster), stacks, sqs, ReplayOptions(queue), context);
            var reconcile = new ReconcileFunction(new StackKeyReconciler(reconciler), new GroupFanOut(api, cluster), sqs,
                new ReconcileOptions { QueueUrl = queue, ReplaySenderIds = [TrustedSender], DeadlineMargin = TimeSpan.Zero }, context);
            var world = new World
            {
                Kube = kube,
                Api = api,
                Cluster = cluster,
                Elb = elb,
                Reconciler = reconciler,
                Sqs = sqs,
                Queue = queue,
                Time = time,
                Output = output,
                Context = context,
                Stacks = stacks,
                Host = new LocalFunctionHost(reconcile, replay, replay, sqs, queue, context) { FunctionTimeout = TimeSpan.FromSeconds(60) },
            };
            world._owned.AddRange([api, ec2, elb, waf, acm, sqs]);
            return world;
        }

        private static ReplayOptions ReplayOptions(string queue) => new()
        {
            QueueUrl = queue,
            GarbageCollection = new GarbageCollectionOptions { MinAbsence = Wait, MaxDeletions = 3 },
        };

        /// <summary>Creates Ingress default/<paramref name="name"/> (and its Service) and reconciles its group; returns its load balancer.</summary>
        public async Task<LoadBalancer> AddIngressAsync(string name, bool reconcile = true)
        {
            var port = _nextPort++;
            if (Kube.Get("v1", "Service", "default", name) is null)
                Kube.Create($$$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"{{{name}}}","namespace":"default"},"spec":{"type":"NodePort","ports":[{"name":"http","port":80,"targetPort":8080,"nodePort":{{{port}}},"protocol":"TCP"}]}}""");
            Kube.Create("""{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"NAME","namespace":"default","annotations":{"alb.ingress.kubernetes.io/scheme":"internet-facing"}},"spec":{"ingressClassName":"alb","rules":[{"http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"NAME","port":{"number":80}}}}]}}]}}""".Replace("NAME", name, StringComparison.Ordinal));
            if (reconcile)
            {
                var run = await Reconciler.ReconcileAsync(StackId.Implicit("default", name), ReconcileRequest.Event);
                Assert.True(run.Result.IsDone, run.Result.ToString());
            }
            return (await LoadBalancerAsync(name))!;
        }

        /// <summary>The Ingress vanishes without its reconcile (its finalizer stripped by hand): its stack is orphaned.</summary>
        public void Orphan(string name)
        {
            Kube.Mutate("networking.k8s.io/v1", "Ingress", "default", name, static o => o["metadata"]!["finalizers"] = new JsonArray());
            Kube.Delete("networking.k8s.io/v1", "Ingress", "default", name);
        }

        public Task<ReplayReport> ReplayAsync(IClusterKeySource? keys = null) =>
            new ReplayFunction(keys ?? new ClusterKeys(Api, Cluster), Stacks, Sqs, ReplayOptions(Queue), Context).ReplayAsync(Time.GetUtcNow(), CancellationToken.None);

        public async Task<List<QueueMessage>> DrainAsync()
        {
            var all = new List<QueueMessage>();
            while (true)
            {
                var batch = await Sqs.ReceiveAsync(Queue, new SqsReceiveOptions { MaxMessages = 10, VisibilityTimeout = TimeSpan.FromMinutes(5) });
                if (batch.Count == 0)
                    return all;
                all.AddRange(batch.Select(static m => QueueMessage.Parse(m.Body)));
                // Deleted, so the next message of the same FIFO group is not held back behind it.
                await Sqs.DeleteBatchAsync(Queue, [.. batch.Select(static (m, i) => new SqsReceipt("d" + i, m.ReceiptHandle))]);
            }
        }

        public async Task<LoadBalancer?> LoadBalancerAsync(string name) =>
            (await Elb.LoadBalancersByNameAsync([Naming.LoadBalancerName(ClusterName, StackId.Implicit("default", name), "internet-facing")])).SingleOrDefault();

        public async Task<Dictionary<string, string>> TagsAsync(string arn)
        {
            var tags = await Elb.DescribeTagsAsync(new DescribeTagsRequest { ResourceArns = [arn] });
            return tags.TagDescriptions!.Single().Tags!.ToDictionary(static t => t.Key!, static t => t.Value ?? "", StringComparer.Ordinal);
        }

        /// <summary>The value of <paramref name="metric"/> in the last EMF line that carries it.</summary>
        public double MetricValue(string metric)
        {
            var line = Output.Lines.Last(l => l.Contains("\"_aws\"", StringComparison.Ordinal) && l.Contains("\"" + metric + "\"", StringComparison.Ordinal));
            using var emf = JsonDocument.Parse(line);
            return emf.RootElement.GetProperty(metric).GetDouble();
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var owned in _owned)
                owned.Dispose();
            await Kube.DisposeAsync();
        }
    }
}

/// <summary>Who may ask for a garbage-collecting reconcile: only the replay's own sender.</summary>
public sealed class CollectTrustTests
{
    [Theory]
    [InlineData(ReconcileFunctionTests.Sender, ReconcileMode.Collect)]
    [InlineData("AIDAOTHERSENDER000000", ReconcileMode.Event)]
    public async Task A_collect_message_is_a_collect_reconcile_only_from_the_replay_s_sender(string trusted, ReconcileMode expected)
    {
        var reconciler = new ScriptedReconciler();
        var output = new CapturedOutput();
        var function = new ReconcileFunction(reconciler, reconciler, new ThrowingSqsGateway(), new ReconcileOptions { ReplaySenderIds = [trusted] }, TestContext.Create(output));
        var json = JsonSerializer.Serialize(
            new SqsEvent { Records = [ReconcileFunctionTests.Record("m1", ReconcileFunctionTests.Body("default/echo", QueueMessageOrigin.Collect))] },
            LambdaJsonContext.Default.SqsEvent);

        await function.InvokeAsync(TestContext.Invocation(json), CancellationToken.None);

        Assert.Equal([(QueueKey.IngressGroup("default/echo"), expected)], reconciler.Calls);
        Assert.Equal(expected == ReconcileMode.Event, output.Lines.Any(l => l.Contains("its sender is not the replay", StringComparison.Ordinal)));
    }
}

/// <summary>The garbage collection's limits from the environment.</summary>
public sealed class GarbageCollectionOptionsTests
{
    private static GarbageCollectionOptions From(Dictionary<string, string> environment) =>
        FunctionFactory.GarbageCollection(TestContext.Create(new CapturedOutput(), environment: environment));

    [Fact]
    public void Unset_variables_give_the_defaults_and_set_ones_are_read()
    {
        Assert.Equal(new GarbageCollectionOptions { MinAbsence = TimeSpan.FromMinutes(30), MaxDeletions = 3 }, From([]));
        Assert.Equal(new GarbageCollectionOptions { MinAbsence = TimeSpan.FromSeconds(3600), MaxDeletions = 0 },
            From(new() { ["GC_MIN_ABSENCE_SECONDS"] = "3600", ["GC_MAX_DELETIONS"] = "0" }));
    }

    [Theory]
    [InlineData("GC_MAX_DELETIONS", "three")]
    [InlineData("GC_MAX_DELETIONS", "-1")]
    [InlineData("GC_MIN_ABSENCE_SECONDS", "-5")]
    [InlineData("GC_MIN_ABSENCE_SECONDS", "soon")]
    public void A_bad_value_is_an_error_naming_the_variable_and_the_value(string name, string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => From(new() { [name] = value }));

        Assert.StartsWith($"{name}={value}: expected", error.Message, StringComparison.Ordinal);
    }
}
