using k8s.Models;
using Serverless.Ingress;
using Serverless.Model;

namespace Serverless.Service.Tests.Builder;

/// <summary>Leaving, frozen and active outcomes, and the errors that come from the Service's spec rather than an annotation.</summary>
public sealed class OutcomeTests
{
    [Fact]
    public void A_missing_service_leaves_with_an_empty_stack()
    {
        var build = ServiceModelBuilder.Build(ServiceFixtures.Snapshot(null));

        Assert.Null(build.Stack.LoadBalancer);
        Assert.False(build.Stack.AllMembersFrozen);
        Assert.True(build.Stack.Id.IsService);
        var outcome = Assert.Single(build.Stack.Ingresses);
        Assert.Equal(IngressState.Leaving, outcome.State);
        Assert.Null(outcome.Finalizer);
    }

    [Fact]
    public void A_service_that_is_not_ours_leaves_and_names_every_load_balancer_name_it_could_have_had()
    {
        var service = ServiceFixtures.Service(new Dictionary<string, string> { [ServiceSelection.TypeAnnotation] = "nlb", ["aws-load-balancer-name"] = "custom" });

        var build = ServiceModelBuilder.Build(ServiceFixtures.Snapshot(service));

        Assert.Equal(IngressState.Leaving, Assert.Single(build.Stack.Ingresses).State);
        Assert.Equal(["custom", "k8s-default-echo-4d831c6ca6", "k8s-default-echo-6b0ba8ff70"], build.Stack.KnownLoadBalancerNames);
    }

    [Fact]
    public void An_unparsable_deletion_protection_on_a_leaving_service_with_our_finalizer_freezes_it()
    {
        var service = ServiceFixtures.Service(new Dictionary<string, string> { [ServiceSelection.TypeAnnotation] = "nlb", ["aws-load-balancer-attributes"] = "deletion_protection.enabled=yes" });
        service.Metadata.Finalizers = [ServiceSelection.Finalizer];

        var build = ServiceModelBuilder.Build(ServiceFixtures.Snapshot(service));

        Assert.True(build.Stack.AllMembersFrozen);
        var error = Assert.Single(Assert.Single(build.Stack.Ingresses).Errors);
        Assert.Contains("deletion_protection.enabled=yes is not a bool", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deletion_protection_without_our_finalizer_does_not_hold_anything()
    {
        var service = ServiceFixtures.Service(new Dictionary<string, string> { [ServiceSelection.TypeAnnotation] = "nlb", ["aws-load-balancer-attributes"] = "deletion_protection.enabled=true" });

        var build = ServiceModelBuilder.Build(ServiceFixtures.Snapshot(service));

        Assert.Equal(IngressState.Leaving, Assert.Single(build.Stack.Ingresses).State);
    }

    [Fact]
    public void A_snapshot_whose_service_is_not_its_stacks_freezes()
    {
        var snapshot = ServiceFixtures.Snapshot(ServiceFixtures.Service()) with { Stack = StackId.Service("default", "other") };

        var build = ServiceModelBuilder.Build(snapshot);

        Assert.True(build.Stack.AllMembersFrozen);
        Assert.Equal("metadata", Assert.Single(Assert.Single(build.Stack.Ingresses).Errors).Field);
    }

    [Fact]
    public void A_snapshot_missing_its_required_parts_freezes_instead_of_throwing()
    {
        var snapshot = ServiceFixtures.Snapshot(ServiceFixtures.Service()) with { Stack = null!, Cluster = null! };

        var build = ServiceModelBuilder.Build(snapshot);

        Assert.True(build.Stack.AllMembersFrozen);
        Assert.Equal("default/echo", build.Stack.Id.ToString());
        Assert.StartsWith("internal error", Assert.Single(Assert.Single(build.Stack.Ingresses).Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_class_other_than_ours_is_not_ours_whatever_the_annotations_say()
    {
        var service = ServiceFixtures.Service();
        service.Spec.LoadBalancerClass = "example.com/other";

        Assert.Equal(IngressState.Leaving, Assert.Single(ServiceModelBuilder.Build(ServiceFixtures.Snapshot(service)).Stack.Ingresses).State);
        Assert.Equal(IngressState.Active, Assert.Single(ServiceModelBuilder.Build(ServiceFixtures.Snapshot(service) with { LoadBalancerClass = "example.com/other" }).Stack.Ingresses).State);
    }

    public static TheoryData<string, string, string> SpecErrors() => new()
    {
        // case, field, part of the message
        { "cluster-ip-instance", "spec.type", "unsupported service type \"ClusterIP\" for load balancer target type \"instance\"" },
        { "unallocated-node-port", "spec.allocateLoadBalancerNodePorts", "unable to support instance target type with an unallocated NodePort" },
        { "node-port-zero", "spec.ports[port=80].nodePort", "TargetGroup port is empty. When using Instance targets" },
        { "sctp", "spec.ports[port=80].protocol", "TCP or UDP Service ports only" },
        { "three-ports-merged", "spec.ports", "can only merge two ports, not 3" },
        { "two-tcp-merged", "spec.ports", "protocols can't match for merging: TCP" },
        { "ipv6-family-on-ipv4", "annotation service.beta.kubernetes.io/aws-load-balancer-ip-address-type", "unsupported IPv6 configuration, lb not dual-stack" },
        { "local-without-health-check-node-port", "spec.healthCheckNodePort", "needs a health check node port" },
        { "named-health-check-port-ip-named-target", "annotation service.beta.kubernetes.io/aws-load-balancer-healthcheck-port", "cannot use named healthCheckPort for IP TargetType" },
    };

    [Theory]
    [MemberData(nameof(SpecErrors))]
    public void A_spec_upstream_cannot_serve_freezes_the_service(string name, string field, string message)
    {
        var instance = new Dictionary<string, string> { [ServiceSelection.TypeAnnotation] = "external", [ServiceSelection.TargetTypeAnnotation] = "instance" };
        var tcpUdp = new Dictionary<string, string> { ["aws-load-balancer-enable-tcp-udp-listener"] = "true" };
        var service = name switch
        {
            "cluster-ip-instance" => With(ServiceFixtures.Service(instance), s => s.Spec.Type = "ClusterIP"),
            "unallocated-node-port" => With(ServiceFixtures.Service(instance), s => s.Spec.AllocateLoadBalancerNodePorts = false),
            "node-port-zero" => ServiceFixtures.Service(instance),
            "sctp" => ServiceFixtures.Service(null, ServiceFixtures.Port(80, "SCTP")),
            "three-ports-merged" => ServiceFixtures.Service(tcpUdp, ServiceFixtures.Port(53, "TCP", "a"), ServiceFixtures.Port(53, "UDP", "b"), ServiceFixtures.Port(53, "UDP", "c")),
            "two-tcp-merged" => ServiceFixtures.Service(tcpUdp, ServiceFixtures.Port(53, "TCP", "a"), ServiceFixtures.Port(53, "TCP", "b")),
            "ipv6-family-on-ipv4" => With(ServiceFixtures.Service(), s => s.Spec.IpFamilies = ["IPv6"]),
            "local-without-health-check-node-port" => With(ServiceFixtures.Service(instance, ServiceFixtures.Port(80, nodePort: 30080)), s =>
            {
                s.Spec.ExternalTrafficPolicy = "Local";
            }),
            "named-health-check-port-ip-named-target" => ServiceFixtures.Service(new Dictionary<string, string> { ["aws-load-balancer-healthcheck-port"] = "web" },
                ServiceFixtures.Port(80, name: "web", targetPort: "http")),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };

        var build = ServiceModelBuilder.Build(ServiceFixtures.Snapshot(service));

        Assert.True(build.Stack.AllMembersFrozen, name);
        var errors = Assert.Single(build.Stack.Ingresses).Errors;
        Assert.Contains(errors, e => e.Field == field && e.Message.Contains(message, StringComparison.Ordinal) && e.Object == "Service default/echo");
    }

    [Fact]
    public void Disabling_security_groups_on_a_load_balancer_that_has_them_is_a_conflict()
    {
        var service = ServiceFixtures.Service(new Dictionary<string, string> { ["aws-load-balancer-disable-nlb-sg"] = "true" });
        var snapshot = ServiceFixtures.Snapshot(service, aws: new AwsFacts { ExistingLoadBalancer = new ExistingLoadBalancerFact { Scheme = "internal" } })
            with { ExistingLoadBalancerSecurityGroups = ["sg-0lb"] };

        var build = ServiceModelBuilder.Build(snapshot);

        var error = Assert.Single(Assert.Single(build.Stack.Ingresses).Errors);
        Assert.StartsWith("conflicting security groups configuration", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Managing_backend_rules_with_named_security_groups_needs_the_backend_security_group()
    {
        var service = ServiceFixtures.Service(new Dictionary<string, string>
        {
            ["aws-load-balancer-security-groups"] = "sg-0node",
            ["aws-load-balancer-manage-backend-security-group-rules"] = "true",
        });
        var cluster = new ClusterSettings { ClusterName = "my-cluster", VpcId = "vpc-0example", EnableBackendSecurityGroup = false };

        var error = Assert.Single(Assert.Single(ServiceModelBuilder.Build(ServiceFixtures.Snapshot(service, cluster)).Stack.Ingresses).Errors);

        Assert.Contains("backendSG feature is required", error.Message, StringComparison.Ordinal);
        Assert.Equal("true", error.Value);
    }

    [Fact]
    public void A_security_groups_annotation_on_a_load_balancer_created_without_them_is_warned_about_and_not_applied()
    {
        var service = ServiceFixtures.Service(new Dictionary<string, string> { ["aws-load-balancer-security-groups"] = "sg-0node" });
        var snapshot = ServiceFixtures.Snapshot(service, aws: new AwsFacts { ExistingLoadBalancer = new ExistingLoadBalancerFact { Scheme = "internal" } })
            with { ExistingLoadBalancerSecurityGroups = [] };

        var build = ServiceModelBuilder.Build(snapshot);

        Assert.Empty(build.Stack.LoadBalancer!.SecurityGroups);
        Assert.Null(build.Stack.ManagedSecurityGroup);
        Assert.Contains(build.Warnings, w => w.Contains("created without security groups", StringComparison.Ordinal));
    }

    [Fact]
    public void The_upstream_golden_vectors_hold()
    {
        var ip = ServiceModelBuilder.Build(ServiceFixtures.Snapshot(With(ServiceFixtures.Service(), s => s.Metadata.Name = "nlb-ip-svc-tls")
            )).Stack;

        Assert.Equal("k8s-default-nlbipsvc-6b0ba8ff70", ip.LoadBalancer!.Name);
        Assert.Equal("k8s-default-nlbipsvc-d4818dcd51", Assert.Single(ip.TargetGroups).Name);
        Assert.Equal("k8s-default-nlbipsvc-1da4b78715", ip.ManagedSecurityGroup!.Name);

        var tcpUdp = new V1Service
        {
            Metadata = new V1ObjectMeta
            {
                Name = "tcpudp-protocol",
                NamespaceProperty = "app",
                Uid = "2dc098f0-ae33-4378-af7b-83e2a0424495",
                Annotations = new Dictionary<string, string>
                {
                    [ServiceSelection.TypeAnnotation] = "external",
                    [ServiceSelection.TargetTypeAnnotation] = "instance",
                    [ServiceAnnotations.Prefix + ServiceAnnotations.Scheme] = "internet-facing",
                    [ServiceAnnotations.Prefix + ServiceAnnotations.EnableTcpUdpListener] = "true",
                },
            },
            Spec = new V1ServiceSpec { Type = "LoadBalancer", Ports = [ServiceFixtures.Port(80, "TCP", "p1", 31223), ServiceFixtures.Port(80, "UDP", "p2", 31223)] },
        };
        var stack = ServiceModelBuilder.Build(ServiceFixtures.Snapshot(tcpUdp)).Stack;

        Assert.Equal("k8s-app-tcpudppr-2af705447d", stack.LoadBalancer!.Name);
        Assert.Equal("k8s-app-tcpudppr-2213a0d759", Assert.Single(stack.TargetGroups).Name);
        Assert.Equal("k8s-app-tcpudppr-06a9156bf8", stack.ManagedSecurityGroup!.Name);
    }

    private static V1Service With(V1Service service, Action<V1Service> change)
    {
        change(service);
        return service;
    }
}
