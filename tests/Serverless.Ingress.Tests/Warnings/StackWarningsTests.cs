using k8s.Models;
using Serverless.Ingress.Tests.Back;
using Serverless.Ingress.Tests.Front;
using Serverless.Model;

namespace Serverless.Ingress.Tests.Warnings;

public sealed class StackWarningsTests
{
    private static readonly StackId Shop = StackId.Explicit("shop");

    // An Ingress of group "shop" with one rule: host web.example.com (from the name), path / → Service svc:80.
    private static V1Ingress Member(string name, string? order = null, params (string Key, string Value)[] annotations)
    {
        var all = new Dictionary<string, string>(annotations.ToDictionary(static a => a.Key, static a => a.Value)) { ["group.name"] = "shop" };
        if (order is not null)
            all["group.order"] = order;
        var ingress = F.Ing("default", name, all, rules: true);
        ingress.Spec.Rules[0].Host = "web.example.com";
        return ingress;
    }

    private static (GroupSnapshot Snapshot, Stack Stack) Build(IEnumerable<V1Ingress> ingresses, IEnumerable<V1Service> services, IEnumerable<V1Node>? nodes = null, IEnumerable<V1EndpointSlice>? slices = null)
    {
        var snapshot = F.Snapshot(Shop, [.. ingresses]) with
        {
            Services = [.. services],
            Nodes = [.. nodes ?? [K.Node("n1")]],
            EndpointSlices = [.. slices ?? []],
        };
        var stack = IngressGroupModelBuilder.Build(snapshot);
        Assert.All(stack.Ingresses, static o => Assert.Equal(IngressState.Active, o.State));
        return (snapshot, stack);
    }

    [Fact]
    public void A_clean_group_has_no_warnings()
    {
        var (snapshot, stack) = Build([Member("web")], [K.Service("svc")]);

        Assert.Empty(StackWarnings.Of(snapshot, stack));
    }

    [Fact]
    public void A_rule_with_the_same_conditions_as_an_earlier_one_of_the_group_is_reported_as_shadowed()
    {
        var (snapshot, stack) = Build([Member("web", order: "1"), Member("web-copy", order: "2")], [K.Service("svc")]);

        var warning = Assert.Single(StackWarnings.Of(snapshot, stack));
        Assert.Equal("default/web-copy", warning.Ingress);
        Assert.StartsWith("the rule at priority 2 on port 80 (", warning.Message, StringComparison.Ordinal);
        Assert.Contains("is shadowed by a rule of Ingress default/web with the same conditions at priority 1: no request reaches it", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rules_that_differ_in_one_value_are_not_shadowed()
    {
        var other = Member("api", order: "2");
        other.Spec.Rules[0].Host = "api.example.com";

        var (snapshot, stack) = Build([Member("web", order: "1"), other], [K.Service("svc")]);

        Assert.Empty(StackWarnings.Of(snapshot, stack));
    }

    [Fact]
    public void An_ip_target_group_without_a_ready_endpoint_is_reported_and_one_with_an_endpoint_is_not()
    {
        var service = K.Service("svc", type: "ClusterIP", annotations: K.Ann(("target-type", "ip")), ports: K.Port(80, "http", null, 8080));
        var notReady = new V1EndpointSlice
        {
            Metadata = new V1ObjectMeta { Name = "svc-1", NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = "svc" } },
            AddressType = "IPv4",
            Ports = [new Discoveryv1EndpointPort { Name = "http", Port = 8080 }],
            Endpoints = [new V1Endpoint { Addresses = ["10.0.0.5"], Conditions = new V1EndpointConditions { Ready = false } }],
        };

        var (snapshot, stack) = Build([Member("web")], [service], slices: [notReady]);
        var warning = Assert.Single(StackWarnings.Of(snapshot, stack));
        Assert.Equal("default/web", warning.Ingress);
        Assert.Matches("^target group k8s-default-svc-[0-9a-f]{10} \\(Service default/svc:80, target type ip\\) has no ready endpoint: requests routed to it get 503", warning.Message);

        notReady.Endpoints[0].Conditions.Ready = true;
        (snapshot, stack) = Build([Member("web")], [service], slices: [notReady]);
        Assert.Empty(StackWarnings.Of(snapshot, stack));
    }

    [Fact]
    public void Nodes_left_out_of_instance_targets_are_reported_with_the_reason()
    {
        var nodes = new[]
        {
            K.Node("ready"),
            K.Node("down", ready: "False"),
            K.Node("excluded", labels: new Dictionary<string, string> { ["node.kubernetes.io/exclude-from-external-load-balancers"] = "" }),
            K.Node("hybrid", providerId: "kind://docker/hybrid"),
            K.Node("leaving", taint: new V1Taint { Key = "ToBeDeletedByClusterAutoscaler", Effect = "NoSchedule" }),
        };

        var (snapshot, stack) = Build([Member("web")], [K.Service("svc")], nodes);

        Assert.Equal(
            [
                "Node down is not an instance target: it is not Ready (condition Ready is False)",
                "Node excluded is not an instance target: it has the label node.kubernetes.io/exclude-from-external-load-balancers",
                "Node hybrid is not an instance target: its spec.providerID \"kind://docker/hybrid\" names no EC2 instance (aws:///<zone>/i-…)",
                "Node leaving is not an instance target: it is being removed (taint ToBeDeletedByClusterAutoscaler)",
            ],
            StackWarnings.Of(snapshot, stack).Select(static w => w.Message));
        Assert.All(StackWarnings.Of(snapshot, stack), static w => Assert.Equal("default/web", w.Ingress));
    }

    [Fact]
    public void Without_instance_target_groups_nodes_are_not_reported()
    {
        var service = K.Service("svc", type: "ClusterIP", annotations: K.Ann(("target-type", "ip")), ports: K.Port(80, "http", null, 8080));
        var slice = new V1EndpointSlice
        {
            Metadata = new V1ObjectMeta { Name = "svc-1", NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = "svc" } },
            AddressType = "IPv4",
            Ports = [new Discoveryv1EndpointPort { Name = "http", Port = 8080 }],
            Endpoints = [new V1Endpoint { Addresses = ["10.0.0.5"], Conditions = new V1EndpointConditions { Ready = true } }],
        };

        var (snapshot, stack) = Build([Member("web")], [service], [K.Node("down", ready: "False")], [slice]);

        Assert.Empty(StackWarnings.Of(snapshot, stack));
    }
}
