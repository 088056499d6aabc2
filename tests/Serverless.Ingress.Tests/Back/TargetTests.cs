using k8s.Models;
using Serverless.Model;
using static Serverless.Ingress.Tests.Back.K;

namespace Serverless.Ingress.Tests.Back;

public sealed class TargetTests
{
    private readonly Scenario _scenario = new Scenario().With(Service());

    private IReadOnlyList<TargetSpec> Targets(V1Ingress? ingress = null) =>
        Assert.Single(_scenario.Build(ingress ?? Ing(Path("/"))).TargetSets).Targets;

    private IReadOnlyList<TargetSpec> IpTargets() => Targets(Ing(Ann(("target-type", "ip")), Path("/")));

    private static string[] Ids(IEnumerable<TargetSpec> targets) => [.. targets.Select(static t => t.Id)];

    public static TheoryData<string, V1Node, bool> Eligibility => new()
    {
        { "a plain ready worker", Node("a"), true },
        { "a master", Node("a", labels: new() { ["node-role.kubernetes.io/master"] = "" }), false },
        { "a node excluded from external load balancers", Node("a", labels: new() { ["node.kubernetes.io/exclude-from-external-load-balancers"] = "true" }), false },
        { "a node with the alpha exclude-balancer label", Node("a", labels: new() { ["alpha.service-controller.kubernetes.io/exclude-balancer"] = "true" }), false },
        { "a Fargate node", Node("a", labels: new() { ["eks.amazonaws.com/compute-type"] = "fargate" }), false },
        { "an EC2 compute-type node", Node("a", labels: new() { ["eks.amazonaws.com/compute-type"] = "ec2" }), true },
        { "a control-plane-role node (only master is excluded)", Node("a", labels: new() { ["node-role.kubernetes.io/control-plane"] = "" }), true },
        { "a node being removed by the cluster autoscaler", Node("a", taint: Taint("ToBeDeletedByClusterAutoscaler", "NoSchedule")), false },
        { "a node being removed by the cluster autoscaler (any effect)", Node("a", taint: Taint("ToBeDeletedByClusterAutoscaler", "PreferNoSchedule")), false },
        { "a node disrupted by Karpenter", Node("a", taint: Taint("karpenter.sh/disrupted", "NoSchedule")), false },
        { "a node with Karpenter's taint as PreferNoSchedule", Node("a", taint: Taint("karpenter.sh/disrupted", "PreferNoSchedule")), true },
        { "a node tainted by the termination handler", Node("a", taint: Taint("aws-node-termination-handler/spot-itn", "NoSchedule")), true },
        { "a cordoned node", Cordoned(Node("a")), true },
        { "a node without providerID", Node("a", providerId: null), false },
        { "a node with a non-AWS providerID", Node("a", providerId: "gce://project/zone/a"), false },
        { "a hybrid node", Node("a", providerId: "eks-hybrid:///us-east-1/cluster/mi-0123"), false },
    };

    [Theory]
    [MemberData(nameof(Eligibility))]
    public void Node_eligibility_follows_upstream_labels_and_taints(string description, V1Node node, bool eligible)
    {
        _scenario.With(node, Node("other", ready: "Unknown"));

        var targets = Targets();

        // The Unknown node is only a fail-open fallback, so it appears exactly when the node under test is ineligible.
        Assert.True(Ids(targets).SequenceEqual(eligible ? ["i-a"] : ["i-other"]), $"{description}: {string.Join(",", Ids(targets))}");
    }

    [Fact]
    public void Instance_targets_are_every_ready_node_on_the_NodePort_sorted_by_instance_id()
    {
        _scenario.With(Node("c"), Node("a"), Node("b", ready: "False"), Node("d", ready: "Unknown"));

        Assert.Equal([new TargetSpec("i-a", 30080), new TargetSpec("i-c", 30080)], Targets());
    }

    [Fact]
    public void When_no_node_is_ready_the_nodes_of_unknown_readiness_are_used()
    {
        _scenario.With(Node("a", ready: "Unknown"), Node("b", ready: "False"), Node("c", ready: "Unknown"));

        Assert.Equal(["i-a", "i-c"], Ids(Targets()));
    }

    [Fact]
    public void Nodes_that_are_not_ready_give_no_targets()
    {
        _scenario.With(Node("a", ready: "False"));

        Assert.Empty(Targets());
    }

    [Fact]
    public void Target_node_labels_restrict_the_nodes()
    {
        _scenario.With(Node("a", labels: new() { ["pool"] = "web" }), Node("b", labels: new() { ["pool"] = "batch" }), Node("c"));

        Assert.Equal(["i-a"], Ids(Targets(Ing(Ann(("target-node-labels", "pool=web")), Path("/")))));
    }

    [Fact]
    public void Target_node_labels_from_the_Service_win_over_the_Ingress()
    {
        _scenario.Services.Clear();
        _scenario.With(Service(annotations: Ann(("target-node-labels", "pool=batch"))), Node("a", labels: new() { ["pool"] = "web" }), Node("b", labels: new() { ["pool"] = "batch" }));

        Assert.Equal(["i-b"], Ids(Targets(Ing(Ann(("target-node-labels", "pool=web")), Path("/")))));
    }

    [Fact]
    public void The_instance_id_is_the_last_segment_of_the_providerID()
    {
        _scenario.With(Node("a", providerId: "aws:///eu-west-1b/i-0abc123def"));

        Assert.Equal(["i-0abc123def"], Ids(Targets()));
    }

    [Fact]
    public void Ip_targets_are_the_ready_endpoints_on_the_endpoint_port_sorted_by_address()
    {
        _scenario.With(Slice("api", "http", 8080, Endpoint("10.0.2.9"), Endpoint("10.0.1.5"), Endpoint("10.0.3.1", ready: false)));

        Assert.Equal([new TargetSpec("10.0.1.5", 8080), new TargetSpec("10.0.2.9", 8080)], IpTargets());
    }

    [Fact]
    public void An_endpoint_of_unknown_readiness_is_included()
    {
        _scenario.With(Slice("api", "http", 8080, Endpoint("10.0.1.5", ready: null)));

        Assert.Equal(["10.0.1.5"], Ids(IpTargets()));
    }

    [Fact]
    public void A_terminating_endpoint_is_excluded()
    {
        _scenario.With(Slice("api", "http", 8080, Endpoint("10.0.1.5", ready: null, terminating: true), Endpoint("10.0.1.6", ready: true, terminating: false)));

        Assert.Equal(["10.0.1.6"], Ids(IpTargets()));
    }

    [Fact]
    public void Only_endpoint_ports_named_like_the_service_port_are_used()
    {
        _scenario.With(
            Slice("api", "metrics", 9090, Endpoint("10.0.1.5")),
            Slice("api", "http", 8080, Endpoint("10.0.1.5")),
            Slice("other", "http", 8080, Endpoint("10.0.9.9")));

        Assert.Equal([new TargetSpec("10.0.1.5", 8080)], IpTargets());
    }

    [Fact]
    public void An_unnamed_service_port_matches_unnamed_endpoint_ports()
    {
        _scenario.Services.Clear();
        _scenario.With(Service(ports: Port(80, null, 30080, 8080)), Slice("api", null, 8080, Endpoint("10.0.1.5")), Slice("api", "other", 9000, Endpoint("10.0.1.6")));

        Assert.Equal([new TargetSpec("10.0.1.5", 8080)], IpTargets());
    }

    [Fact]
    public void Endpoints_of_another_address_family_are_ignored()
    {
        _scenario.With(Slice("api", "IPv6", "http", 8080, Endpoint("fd00::5")), Slice("api", "http", 8080, Endpoint("10.0.1.5")));

        Assert.Equal(["10.0.1.5"], Ids(IpTargets()));
    }

    [Fact]
    public void An_ipv6_target_group_takes_the_IPv6_endpoints()
    {
        _scenario.Services[0].Spec.IpFamilies = ["IPv6"];
        _scenario.With(Slice("api", "IPv6", "http", 8080, Endpoint("fd00::5")), Slice("api", "http", 8080, Endpoint("10.0.1.5")));

        Assert.Equal(["fd00::5"], Ids(IpTargets()));
    }

    [Fact]
    public void Endpoints_backed_by_something_other_than_a_pod_are_skipped_but_endpoints_without_a_reference_are_kept()
    {
        _scenario.With(Slice("api", "http", 8080, Endpoint("10.0.1.5", kind: "Node"), Endpoint("10.0.1.6", kind: null), Endpoint("10.0.1.7")));

        Assert.Equal(["10.0.1.6", "10.0.1.7"], Ids(IpTargets()));
    }

    [Fact]
    public void An_address_outside_the_VPC_CIDRs_gets_availability_zone_all()
    {
        _scenario.Aws = new AwsFacts { VpcCidrs = ["10.0.0.0/16", "fd00::/56"] };
        _scenario.With(Slice("api", "http", 8080, Endpoint("10.0.1.5"), Endpoint("192.168.1.5")));

        Assert.Equal([new TargetSpec("10.0.1.5", 8080), new TargetSpec("192.168.1.5", 8080, "all")], IpTargets());
    }

    [Fact]
    public void Without_known_VPC_CIDRs_no_target_gets_an_availability_zone()
    {
        _scenario.With(Slice("api", "http", 8080, Endpoint("192.168.1.5")));

        Assert.Null(Assert.Single(IpTargets()).AvailabilityZone);
    }

    [Fact]
    public void The_same_endpoint_in_two_slices_is_one_target_and_targets_sort_by_id_then_port()
    {
        _scenario.With(
            Slice("api", "http", 8081, Endpoint("10.0.1.5")),
            Slice("api", "http", 8080, Endpoint("10.0.1.5"), Endpoint("10.0.1.10")),
            Slice("api", "http", 8080, Endpoint("10.0.1.5")));

        Assert.Equal(
            [new TargetSpec("10.0.1.10", 8080), new TargetSpec("10.0.1.5", 8080), new TargetSpec("10.0.1.5", 8081)],
            IpTargets());
    }

    [Fact]
    public void Each_target_set_names_its_target_group_and_type()
    {
        _scenario.With(Slice("api", "http", 8080, Endpoint("10.0.1.5")));

        var set = Assert.Single(_scenario.Build(Ing(Ann(("target-type", "ip")), Path("/"))).TargetSets);

        Assert.Equal(("default/web-api:80", "ip"), (set.TargetGroupId, set.TargetType));
    }

    [Fact]
    public void The_order_of_objects_in_the_snapshot_does_not_change_the_targets()
    {
        V1Node[] nodes = [Node("c"), Node("a"), Node("b")];
        V1EndpointSlice[] slices = [Slice("api", "http", 8080, Endpoint("10.0.1.7"), Endpoint("10.0.1.5")), Slice("api", "http", 8080, Endpoint("10.0.1.6"))];
        var forward = new Scenario().With(Service()).With([.. nodes, .. slices]);
        var backward = new Scenario().With(Service()).With([.. nodes.Reverse(), .. slices.Reverse()]);

        foreach (var ingress in new[] { Ing(Path("/")), Ing(Ann(("target-type", "ip")), Path("/")) })
            Assert.Equal(forward.Build(ingress).TargetSets[0].Targets, backward.Build(ingress).TargetSets[0].Targets);
    }

    private static V1Node Cordoned(V1Node node)
    {
        node.Spec.Unschedulable = true;
        return node;
    }
}
