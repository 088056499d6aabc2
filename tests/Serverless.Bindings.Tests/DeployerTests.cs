using Serverless.Deploy;
using Serverless.Model;
using Serverless.Reconcile;
using Serverless.Testing;

namespace Serverless.Bindings.Tests;

[Collection(MotoCollection.Name)]
public sealed class DeployerTests(MotoFixture fixture) : BindingMotoTest(fixture)
{
    private string IpBinding(string extra = "", string reference = "") => Objects.BindingYaml(
        (reference.Length > 0 ? reference : "targetGroupARN: " + IpGroupArn) + "\ntargetType: ip\nserviceRef: {name: shop, port: 80}" + (extra.Length > 0 ? "\n" + extra : string.Empty));

    private static readonly (string, bool, bool)[] Endpoints =
    [
        ("10.0.1.10", true, false),
        ("10.0.1.11", true, false),
        ("10.0.1.12", false, false),
        ("10.0.1.13", false, true),
    ];

    [Fact]
    public async Task An_ip_binding_registers_exactly_the_ready_endpoints_and_leaves_the_group_itself_identical()
    {
        var before = await GroupSnapshotAsync(IpGroupArn);
        var source = Manifests(IpBinding(), ServiceYaml(), SliceYaml(Endpoints));

        var run = await ReconcileAsync(source);

        Assert.True(run.Run.Result.IsDone, run.Run.Result.ToString());
        Assert.Equal(["10.0.1.10:8080", "10.0.1.11:8080"], await TargetsAsync(IpGroupArn));
        Assert.Equal(before, await GroupSnapshotAsync(IpGroupArn));
        Assert.Equal(StackKind.TargetGroupBinding, run.Run.Stack.Kind);
        Assert.Equal(["web/shop"], run.Run.FinalizersAdded);
        Assert.Equal(["web/shop"], run.Run.StatusesUpdated);
        Assert.Contains(run.Run.Events, static e => e.Reason == BindingEventReasons.SuccessfullyReconciled && e.Type == "Normal");
        Assert.Equal(1, Assert.Single(run.Run.Deploy!.AwsCalls, static kv => kv.Key.EndsWith(":RegisterTargets", StringComparison.Ordinal)).Value);
        var gate = Assert.IsType<BindingGateInput>(run.Gate);
        Assert.Equal(IpGroupArn, gate.TargetGroupArn);
        Assert.Equal([new PodReference("web", "pod-0"), new PodReference("web", "pod-1")], gate.Targets.Select(static t => t.Pod));
        Assert.Equal(["10.0.1.10:8080", "10.0.1.11:8080"], gate.Registered);

        // A second reconcile of the same set finds nothing to do.
        Log.Clear();
        var again = await ReconcileAsync(source);
        Assert.True(again.Run.Result.IsDone);
        Assert.DoesNotContain("RegisterTargets", Log.Aws);
        Assert.DoesNotContain("DeregisterTargets", Log.Aws);
        Assert.True(again.Run.Quiet);
    }

    [Fact]
    public async Task An_instance_binding_by_name_registers_the_eligible_nodes_on_the_node_port()
    {
        var before = await GroupSnapshotAsync(InstanceGroupArn);
        var source = Manifests(
            Objects.BindingYaml("targetGroupName: bind-instance\nserviceRef: {name: shop, port: http}\nnodeSelector: {matchLabels: {pool: web}}"),
            ServiceYaml("NodePort"),
            NodeYaml(Instances[0], "{pool: web}"),
            NodeYaml(Instances[1], "{pool: web, node.kubernetes.io/exclude-from-external-load-balancers: \"\"}"),
            NodeYaml(Instances[2], "{pool: batch}"));

        var run = await ReconcileAsync(source);

        Assert.True(run.Run.Result.IsDone, run.Run.Result.ToString());
        Assert.Equal([Instances[0] + ":30080"], await TargetsAsync(InstanceGroupArn));
        Assert.Equal(before, await GroupSnapshotAsync(InstanceGroupArn));
        Assert.Null(run.Gate);
    }

    [Fact]
    public async Task New_targets_are_registered_before_stale_ones_are_deregistered_and_the_stale_one_is_removed_without_multi_cluster()
    {
        await RegisterByHandAsync(IpGroupArn, "10.0.1.99", 8080);

        var run = await ReconcileAsync(Manifests(IpBinding(), ServiceYaml(), SliceYaml(Endpoints)));

        Assert.True(run.Run.Result.IsDone, run.Run.Result.ToString());
        Assert.Equal(["10.0.1.10:8080", "10.0.1.11:8080"], await TargetsAsync(IpGroupArn));
        var calls = Log.Aws.ToList();
        Assert.True(calls.IndexOf("RegisterTargets") >= 0 && calls.IndexOf("RegisterTargets") < calls.IndexOf("DeregisterTargets"), string.Join(", ", calls));
        var change = Assert.Single(run.Run.Deploy!.Changes);
        Assert.Equal(
            [new FieldChange("target 10.0.1.10:8080", null, "registered"), new FieldChange("target 10.0.1.11:8080", null, "registered"), new FieldChange("target 10.0.1.99:8080", "registered", null)],
            change.Fields);
    }

    [Fact]
    public async Task A_multi_cluster_binding_never_deregisters_a_target_someone_else_registered()
    {
        await RegisterByHandAsync(IpGroupArn, "10.0.1.99", 8080);
        var source = Manifests(IpBinding("multiClusterTargetGroup: true"), ServiceYaml(), SliceYaml(Endpoints));

        var first = await ReconcileAsync(source);
        Assert.True(first.Run.Result.IsDone, first.Run.Result.ToString());
        Assert.Equal(["10.0.1.10:8080", "10.0.1.11:8080", "10.0.1.99:8080"], await TargetsAsync(IpGroupArn));
        var binding = (await source.GetBindingAsync("web", "shop", default))!.Binding!;
        Assert.Equal("10.0.1.10:8080,10.0.1.11:8080", binding.Metadata.Annotations[BindingDeployer.LedgerAnnotation]);

        // One endpoint goes: ours is deregistered, the foreign one stays, the ledger is exactly the desired set.
        var shrunk = Manifests(IpBinding("multiClusterTargetGroup: true"), ServiceYaml(), SliceYaml(("10.0.1.10", true, false)));
        await shrunk.SetAnnotationAsync(binding.Metadata, BindingDeployer.LedgerAnnotation, _ => binding.Metadata.Annotations[BindingDeployer.LedgerAnnotation], default);
        var second = await ReconcileAsync(shrunk);
        Assert.True(second.Run.Result.IsDone, second.Run.Result.ToString());
        Assert.Equal(["10.0.1.10:8080", "10.0.1.99:8080"], await TargetsAsync(IpGroupArn));
        Assert.Equal("10.0.1.10:8080", (await shrunk.GetBindingAsync("web", "shop", default))!.Metadata.Annotations[BindingDeployer.LedgerAnnotation]);
    }

    [Fact]
    public async Task A_multi_cluster_binding_without_a_ledger_yet_deregisters_nothing()
    {
        await RegisterByHandAsync(IpGroupArn, "10.0.1.10", 8080);
        await RegisterByHandAsync(IpGroupArn, "10.0.1.98", 8080);

        var run = await ReconcileAsync(Manifests(IpBinding("multiClusterTargetGroup: true"), ServiceYaml(), SliceYaml(("10.0.1.11", true, false))));

        Assert.True(run.Run.Result.IsDone, run.Run.Result.ToString());
        Assert.Equal(["10.0.1.10:8080", "10.0.1.11:8080", "10.0.1.98:8080"], await TargetsAsync(IpGroupArn));
        Assert.DoesNotContain("DeregisterTargets", Log.Aws);
    }

    [Fact]
    public async Task Deleting_a_binding_deregisters_its_targets_removes_the_finalizer_and_leaves_the_group()
    {
        var before = await GroupSnapshotAsync(IpGroupArn);
        await ReconcileAsync(Manifests(IpBinding(), ServiceYaml(), SliceYaml(Endpoints)));
        Assert.NotEmpty(await TargetsAsync(IpGroupArn));
        var deleting = Manifests(IpBinding().Replace("  namespace: web\n", "  namespace: web\n  deletionTimestamp: \"2026-01-01T00:00:00Z\"\n  finalizers: [elbv2.k8s.aws/resources]\n", StringComparison.Ordinal),
            ServiceYaml(), SliceYaml(Endpoints));

        var run = await ReconcileAsync(deleting);

        Assert.True(run.Run.Result.IsDone, run.Run.Result.ToString());
        Assert.Empty(await TargetsAsync(IpGroupArn));
        Assert.Equal(["web/shop"], run.Run.FinalizersRemoved);
        Assert.Empty((await deleting.GetBindingAsync("web", "shop", default))!.Metadata.Finalizers);
        Assert.Equal(before, await GroupSnapshotAsync(IpGroupArn));
    }

    [Fact]
    public async Task Deleting_a_multi_cluster_binding_deregisters_only_what_its_ledger_names()
    {
        await RegisterByHandAsync(IpGroupArn, "10.0.1.99", 8080);
        await RegisterByHandAsync(IpGroupArn, "10.0.1.10", 8080);
        var deleting = Manifests(IpBinding("multiClusterTargetGroup: true").Replace("  namespace: web\n",
            "  namespace: web\n  deletionTimestamp: \"2026-01-01T00:00:00Z\"\n  finalizers: [elbv2.k8s.aws/resources]\n  annotations: {serverless.elbv2.k8s.aws/registered-targets: \"10.0.1.10:8080,10.0.1.11:8080\"}\n", StringComparison.Ordinal),
            ServiceYaml(), SliceYaml(Endpoints));

        var run = await ReconcileAsync(deleting);

        Assert.True(run.Run.Result.IsDone, run.Run.Result.ToString());
        Assert.Equal(["10.0.1.99:8080"], await TargetsAsync(IpGroupArn));
        Assert.Equal(["web/shop"], run.Run.FinalizersRemoved);
    }

    [Fact]
    public async Task A_vpc_mismatch_fails_naming_the_binding_field_and_both_values_and_registers_nothing()
    {
        var run = await ReconcileAsync(Manifests(IpBinding("vpcID: vpc-0123456789abcdef0"), ServiceYaml(), SliceYaml(Endpoints)));

        Assert.Equal(ReconcileKind.Failed, run.Run.Result.Kind);
        Assert.Contains("TargetGroupBinding web/shop: spec.vpcID \"vpc-0123456789abcdef0\" does not match the VPC \"" + VpcId + "\"", run.Run.Result.Reason, StringComparison.Ordinal);
        Assert.Empty(await TargetsAsync(IpGroupArn));
        Assert.DoesNotContain("RegisterTargets", Log.Aws);
        Assert.Empty(run.Run.FinalizersAdded);
        Assert.Contains(run.Run.Events, static e => e.Type == "Warning" && e.Reason == BindingEventReasons.FailedReconcile);
    }

    [Fact]
    public async Task A_target_type_that_differs_from_the_group_fails_and_registers_nothing()
    {
        var run = await ReconcileAsync(Manifests(Objects.BindingYaml("targetGroupARN: " + InstanceGroupArn + "\ntargetType: ip\nserviceRef: {name: shop, port: 80}"), ServiceYaml(), SliceYaml(Endpoints)));

        Assert.Equal(ReconcileKind.Failed, run.Run.Result.Kind);
        Assert.Contains("spec.targetType \"ip\" does not match the target type \"instance\"", run.Run.Result.Reason, StringComparison.Ordinal);
        Assert.Empty(await TargetsAsync(InstanceGroupArn));
    }

    [Theory]
    [InlineData("targetGroupARN: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/nope/0123456789abcdef", "spec.targetGroupARN \"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/nope/0123456789abcdef\": no such target group")]
    [InlineData("targetGroupName: nope", "spec.targetGroupName \"nope\": no such target group")]
    public async Task An_unknown_target_group_fails_naming_the_binding_and_registers_nothing(string reference, string message)
    {
        var run = await ReconcileAsync(Manifests(IpBinding(reference: reference), ServiceYaml(), SliceYaml(Endpoints)));

        Assert.Equal(ReconcileKind.Failed, run.Run.Result.Kind);
        Assert.Contains("TargetGroupBinding web/shop: " + message, run.Run.Result.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("RegisterTargets", Log.Aws);
        Assert.Empty(run.Run.FinalizersAdded);
    }

    [Fact]
    public async Task A_missing_service_deregisters_every_target_and_says_backend_not_found()
    {
        await RegisterByHandAsync(IpGroupArn, "10.0.1.99", 8080);

        var run = await ReconcileAsync(Manifests(IpBinding(), SliceYaml(Endpoints)));

        Assert.True(run.Run.Result.IsDone, run.Run.Result.ToString());
        Assert.Empty(await TargetsAsync(IpGroupArn));
        var warning = Assert.Single(run.Run.Events, static e => e.Reason == BindingEventReasons.BackendNotFound);
        Assert.Equal("Warning", warning.Type);
        Assert.DoesNotContain(run.Run.Events, static e => e.Reason == BindingEventReasons.SuccessfullyReconciled);
    }

    [Fact]
    public async Task A_plan_reads_and_writes_nothing_but_shows_the_changes()
    {
        await RegisterByHandAsync(IpGroupArn, "10.0.1.99", 8080);
        var source = Manifests(IpBinding(), ServiceYaml(), SliceYaml(Endpoints));

        var run = await ReconcileAsync(source, request: new ReconcileRequest(DeployMode.Plan));

        Assert.True(run.Run.Result.IsDone, run.Run.Result.ToString());
        Assert.Equal(["10.0.1.99:8080"], await TargetsAsync(IpGroupArn));
        Assert.All(Log.Aws, static op => Assert.False(DeployResult.IsMutatingOperation(op), op));
        Assert.Empty(run.Run.FinalizersAdded);
        Assert.Empty((await source.GetBindingAsync("web", "shop", default))!.Metadata.Finalizers);
        var text = PlanRenderer.RenderChanges(run.Run.Deploy!.Changes);
        Assert.Contains("target 10.0.1.10:8080", text, StringComparison.Ordinal);
        Assert.Contains("target 10.0.1.99:8080", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_group_of_one_of_our_stacks_is_left_to_that_stack_and_a_deleting_binding_upstream_left_is_released_without_deregistering()
    {
        var owned = CreateGroup("k8s-web-shop-0123456789", "ip", 8080, new Dictionary<string, string> { [TrackingTags.Cluster] = Cluster, [TrackingTags.Stack] = "web/shop" });
        await RegisterByHandAsync(owned, "10.0.1.50", 8080);
        var binding = Objects.BindingYaml("targetGroupARN: " + owned + "\ntargetType: ip\nserviceRef: {name: shop, port: 80}");

        var active = await ReconcileAsync(Manifests(binding, ServiceYaml(), SliceYaml(Endpoints)));

        Assert.True(active.Run.Result.IsDone, active.Run.Result.ToString());
        Assert.Equal(["10.0.1.50:8080"], await TargetsAsync(owned));
        Assert.Empty(active.Run.FinalizersAdded);
        var evt = Assert.Single(active.Run.Events);
        Assert.Equal(("Normal", BindingEventReasons.OwnedByStack), (evt.Type, evt.Reason));
        Assert.Contains("Ingress group web/shop", evt.Message, StringComparison.Ordinal);

        var deleting = Manifests(binding.Replace("  namespace: web\n", "  namespace: web\n  deletionTimestamp: \"2026-01-01T00:00:00Z\"\n  finalizers: [elbv2.k8s.aws/resources]\n", StringComparison.Ordinal),
            ServiceYaml(), SliceYaml(Endpoints));
        var released = await ReconcileAsync(deleting);

        Assert.True(released.Run.Result.IsDone, released.Run.Result.ToString());
        Assert.Equal(["web/shop"], released.Run.FinalizersRemoved);
        Assert.Equal(["10.0.1.50:8080"], await TargetsAsync(owned));
        Assert.DoesNotContain("DeregisterTargets", Log.Aws);
        Assert.DoesNotContain("RegisterTargets", Log.Aws);
    }

    [Fact]
    public async Task A_group_tagged_for_another_cluster_is_not_a_stack_of_ours_and_gets_the_targets()
    {
        var foreign = CreateGroup("other-cluster-tg", "ip", 8080, new Dictionary<string, string> { [TrackingTags.Cluster] = "other-cluster", [TrackingTags.ServiceStack] = "web/shop" });

        var run = await ReconcileAsync(Manifests(Objects.BindingYaml("targetGroupARN: " + foreign + "\nserviceRef: {name: shop, port: 80}"), ServiceYaml(), SliceYaml(Endpoints)));

        Assert.True(run.Run.Result.IsDone, run.Run.Result.ToString());
        Assert.Equal(["10.0.1.10:8080", "10.0.1.11:8080"], await TargetsAsync(foreign));
    }

    [Fact]
    public async Task Batches_have_the_configured_size()
    {
        var many = Enumerable.Range(20, 5).Select(static i => ($"10.0.1.{i}", true, false)).ToArray();
        var reconciler = new BindingReconciler(Manifests(IpBinding(), ServiceYaml(), SliceYaml(many)), Settings, Deployer) { TargetBatchSize = 2 };

        var run = await reconciler.ReconcileAsync("web", "shop", ReconcileRequest.Event);

        Assert.True(run.Run.Result.IsDone, run.Run.Result.ToString());
        Assert.Equal(3, Log.Aws.Count(static op => op == "RegisterTargets"));
        Assert.Equal(5, (await TargetsAsync(IpGroupArn)).Count);
    }
}
