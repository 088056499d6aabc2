using Serverless.Model;
using static Serverless.Bindings.Tests.Objects;

namespace Serverless.Bindings.Tests;

public sealed class BindingTargetsTests
{
    private static readonly Endpoint[] Endpoints =
    [
        new("10.0.1.10", "shop-a"),
        new("10.0.1.11", "shop-b", Ready: null),
        new("10.0.1.12", "shop-c", Ready: false),
        new("10.0.1.13", "shop-d", Ready: false, Terminating: true),
        new("192.168.0.5", "shop-e"),
    ];

    private static BindingTargetsInput Input(string spec, string targetType, Func<k8s.Models.V1Endpoint, bool>? admit = null, string serviceType = "NodePort", bool service = true) => new()
    {
        Binding = Binding(spec),
        TargetType = targetType,
        Service = service ? Objects.Service(serviceType) : null,
        EndpointSlices = [Slice(Endpoints)],
        Nodes =
        [
            Node("i-01", new Dictionary<string, string> { ["pool"] = "web", ["zone"] = "a" }),
            Node("i-02", new Dictionary<string, string> { ["pool"] = "web", ["zone"] = "c" }),
            Node("i-03", new Dictionary<string, string> { ["pool"] = "batch", ["zone"] = "a" }),
            Node("i-04", new Dictionary<string, string> { ["pool"] = "web", ["zone"] = "b", ["node.kubernetes.io/exclude-from-external-load-balancers"] = "" }),
            Node("i-05", new Dictionary<string, string> { ["pool"] = "web", ["zone"] = "b", ["spot"] = "yes" }),
            Node("i-06", new Dictionary<string, string> { ["pool"] = "web", ["zone"] = "b" }, ready: "False"),
        ],
        VpcCidrs = ["10.0.0.0/16"],
        AdmitNotReady = admit,
    };

    [Fact]
    public void Instance_targets_are_the_eligible_ready_nodes_matching_the_node_selector_on_the_node_port()
    {
        var set = BindingTargets.Compute(Input("""
            targetGroupName: shop
            targetType: instance
            serviceRef: {name: shop, port: 80}
            nodeSelector:
              matchLabels: {pool: web}
              matchExpressions:
                - {key: zone, operator: In, values: [a, b]}
                - {key: spot, operator: DoesNotExist}
            """, "instance"));

        Assert.Equal(BindingTargetsOutcome.Targets, set.Outcome);
        // i-02 is in zone c, i-03 in another pool, i-04 excluded by label, i-05 a spot node, i-06 not Ready.
        Assert.Equal([new TargetSpec("i-01", 30080)], set.Targets.Select(static t => t.Target));
        Assert.All(set.Targets, static t => Assert.Null(t.Pod));
    }

    [Fact]
    public void Instance_targets_without_a_selector_take_every_eligible_ready_node_and_NotIn_and_Exists_filter()
    {
        var all = BindingTargets.Compute(Input("targetGroupName: shop\nserviceRef: {name: shop, port: admin}", "instance"));
        var filtered = BindingTargets.Compute(Input("""
            targetGroupName: shop
            serviceRef: {name: shop, port: admin}
            nodeSelector:
              matchExpressions:
                - {key: pool, operator: NotIn, values: [batch]}
                - {key: zone, operator: Exists}
                - {key: spot, operator: Exists}
            """, "instance"));

        Assert.Equal(["i-01", "i-02", "i-03", "i-05"], all.Targets.Select(static t => t.Target.Id));
        Assert.All(all.Targets, static t => Assert.Equal(30090, t.Target.Port));
        Assert.Equal(["i-05"], filtered.Targets.Select(static t => t.Target.Id));
    }

    [Fact]
    public void Ip_targets_are_the_ready_non_terminating_endpoints_with_their_pods_and_zone_all_outside_the_vpc()
    {
        var set = BindingTargets.Compute(Input("targetGroupName: shop\ntargetType: ip\nserviceRef: {name: shop, port: 80}", "ip"));

        Assert.Equal(
            [
                new DesiredTarget(new TargetSpec("10.0.1.10", 8080), new PodReference("web", "shop-a")),
                new DesiredTarget(new TargetSpec("10.0.1.11", 8080), new PodReference("web", "shop-b")),
                new DesiredTarget(new TargetSpec("192.168.0.5", 8080, "all"), new PodReference("web", "shop-e")),
            ],
            set.Targets);
    }

    [Fact]
    public void A_named_service_port_and_a_numbered_one_pick_the_same_port_and_another_number_another()
    {
        var byName = BindingTargets.Compute(Input("targetGroupName: shop\nserviceRef: {name: shop, port: admin}", "ip"));
        var byNumber = BindingTargets.Compute(Input("targetGroupName: shop\nserviceRef: {name: shop, port: 9000}", "ip"));
        var byTargetPort = BindingTargets.Compute(Input("targetGroupName: shop\nserviceRef: {name: shop, port: 9090}", "ip"));

        Assert.Equal(byName.Targets, byNumber.Targets);
        Assert.All(byName.Targets, static t => Assert.Equal(9090, t.Target.Port));
        Assert.Equal(BindingTargetsOutcome.BackendNotFound, byTargetPort.Outcome);
    }

    [Fact]
    public void A_missing_service_or_port_is_backend_not_found_with_no_target()
    {
        var noService = BindingTargets.Compute(Input("targetGroupName: shop\nserviceRef: {name: shop, port: 80}", "ip", service: false));
        var noPort = BindingTargets.Compute(Input("targetGroupName: shop\nserviceRef: {name: shop, port: metrics}", "instance"));

        Assert.Equal(BindingTargetsOutcome.BackendNotFound, noService.Outcome);
        Assert.Empty(noService.Targets);
        Assert.Contains("Service web/shop not found", noService.Reason, StringComparison.Ordinal);
        Assert.Equal(BindingTargetsOutcome.BackendNotFound, noPort.Outcome);
        Assert.Contains("has no port metrics", noPort.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Instance_targets_of_a_cluster_ip_service_are_an_error_naming_the_binding()
    {
        var set = BindingTargets.Compute(Input("targetGroupName: shop\nserviceRef: {name: shop, port: 80}", "instance", serviceType: "ClusterIP"));

        Assert.Equal(BindingTargetsOutcome.Invalid, set.Outcome);
        Assert.Empty(set.Targets);
        Assert.Contains("TargetGroupBinding web/shop", set.Reason, StringComparison.Ordinal);
        Assert.Contains("NodePort or LoadBalancer, not ClusterIP", set.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_not_ready_hook_admits_chosen_not_ready_endpoints_but_never_terminating_ones()
    {
        var set = BindingTargets.Compute(Input("targetGroupName: shop\nserviceRef: {name: shop, port: 80}", "ip",
            admit: static e => e.TargetRef.Name is "shop-c" or "shop-d"));

        Assert.Equal(["10.0.1.10", "10.0.1.11", "10.0.1.12", "192.168.0.5"], set.Targets.Select(static t => t.Target.Id));
        Assert.Equal(new PodReference("web", "shop-c"), set.Targets[2].Pod);
    }
}
