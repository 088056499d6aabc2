using k8s.Models;
using Serverless.Ingress.Backend;
using static Serverless.Ingress.Tests.Back.K;

namespace Serverless.Ingress.Tests.Back;

/// <summary>
/// A not-ready endpoint is registered when its Pod waits only for this target group's readiness gate (upstream's
/// endpoint resolver): the gate could never pass otherwise.
/// </summary>
public sealed class GatedEndpointTests
{
    private readonly Scenario _scenario = new Scenario().With(Service(), Node("a"), Node("b", ready: "False"));

    private static V1Ingress IpIngress => Ing(Ann(("target-type", "ip")), Path("/"));

    // The target group's name, which names its gate.
    private string GateName => Assert.Single(_scenario.Build(IpIngress).TargetGroups).Name;

    private static V1Pod Pod(string ip, string? gate, bool containersReady = true, string node = "a") => new()
    {
        Metadata = new V1ObjectMeta { Name = "pod-" + ip, NamespaceProperty = "default", Uid = "uid-" + ip },
        Spec = new V1PodSpec { NodeName = node, ReadinessGates = gate is null ? null : [new V1PodReadinessGate { ConditionType = gate }], Containers = [] },
        Status = new V1PodStatus
        {
            PodIP = ip,
            Conditions = [new V1PodCondition { Type = "ContainersReady", Status = containersReady ? "True" : "False" }, new V1PodCondition { Type = "Ready", Status = "False" }],
        },
    };

    private string[] IpTargets() => [.. Assert.Single(_scenario.Build(IpIngress).TargetSets).Targets.Select(static t => t.Id)];

    [Fact]
    public void A_not_ready_endpoint_whose_pod_carries_the_gate_with_ready_containers_on_a_ready_node_is_registered()
    {
        var gate = PodReadinessGates.ConditionType(GateName);
        _scenario.With(Slice("api", "http", 8080, Endpoint("10.0.1.5"), Endpoint("10.0.1.6", ready: false)), Pod("10.0.1.6", gate));

        Assert.Equal(["10.0.1.5", "10.0.1.6"], IpTargets());
    }

    public static TheoryData<string, bool?, bool, string, bool> HeldBack => new()
    {
        { "the pod has no gate", false, true, "a", false },
        { "the pod carries the gate of another target group", false, true, "a", true },
        { "its containers are not ready", false, false, "a", false },
        { "its node is not Ready", false, true, "b", false },
        { "its node is unknown", false, true, "gone", false },
        { "the endpoint is terminating", true, true, "a", false },
    };

    [Theory]
    [MemberData(nameof(HeldBack))]
    public void A_not_ready_endpoint_stays_out_when(string description, bool? terminating, bool containersReady, string node, bool otherGate)
    {
        var gate = description.Contains("no gate", StringComparison.Ordinal) ? null
            : otherGate ? PodReadinessGates.ConditionType("k8s-default-other-0123456789") : PodReadinessGates.ConditionType(GateName);
        _scenario.With(Slice("api", "http", 8080, Endpoint("10.0.1.5"), Endpoint("10.0.1.6", ready: false, terminating: terminating)), Pod("10.0.1.6", gate, containersReady, node));

        Assert.True(IpTargets().SequenceEqual(["10.0.1.5"]), $"{description}: {string.Join(",", IpTargets())}");
    }

    [Fact]
    public void A_not_ready_endpoint_without_its_pod_in_the_snapshot_stays_out_and_the_pod_is_recorded_as_read()
    {
        _scenario.With(Slice("api", "http", 8080, Endpoint("10.0.1.6", ready: false)));
        var references = new GroupReferences();
        var ingress = IpIngress;

        var rules = MemberBackendBuilder.Build(new BuildContext(_scenario.Context(ingress).Snapshot, references), _scenario.Member(ingress), [Scenario.Http80]);

        Assert.Empty(Assert.Single(rules.TargetSets).Targets);
        Assert.Equal(["default/pod-10.0.1.6"], references.Pods);
    }

    [Fact]
    public void Ready_endpoints_read_no_pod()
    {
        _scenario.With(Slice("api", "http", 8080, Endpoint("10.0.1.5"), Endpoint("10.0.1.7", ready: null)));
        var references = new GroupReferences();
        var ingress = IpIngress;

        MemberBackendBuilder.Build(new BuildContext(_scenario.Context(ingress).Snapshot, references), _scenario.Member(ingress), [Scenario.Http80]);

        Assert.Empty(references.Pods);
    }

    [Fact]
    public void Not_ready_pods_are_the_not_ready_not_terminating_pod_endpoints_in_their_namespace()
    {
        var slice = Slice("api", "http", 8080,
            Endpoint("10.0.1.5"),
            Endpoint("10.0.1.6", ready: false),
            Endpoint("10.0.1.7", ready: false, terminating: true),
            Endpoint("10.0.1.8", ready: false, kind: "Node"),
            Endpoint("10.0.1.9", ready: false, kind: null));
        slice.Endpoints.Add(new V1Endpoint { Addresses = ["10.0.2.1"], Conditions = new V1EndpointConditions { Ready = false }, TargetRef = new V1ObjectReference { Kind = "Pod", Name = "elsewhere", NamespaceProperty = "other" } });

        Assert.Equal([("default", "pod-10.0.1.6"), ("other", "elsewhere")], TargetBuilder.NotReadyPods([slice]));
    }
}
