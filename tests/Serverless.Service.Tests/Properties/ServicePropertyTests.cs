using CsCheck;
using k8s.Models;
using Serverless.Ingress;
using Serverless.Model;
using Serverless.Service.Tests.Builder;

namespace Serverless.Service.Tests.Properties;

/// <summary>
/// Random Services (valid and invalid annotation values, odd specs, missing fields) against the builder's contract:
/// it never throws, it is deterministic, its outcome is consistent (active with a load balancer and no errors, frozen
/// with errors and nothing to deploy, leaving with nothing and no finalizer), and the stack does not depend on the
/// order of EndpointSlices, Nodes, endpoints or Service ports with distinct numbers.
/// </summary>
public sealed class ServicePropertyTests
{
    private static readonly (string Key, string[] Values)[] Choices =
    [
        (ServiceSelection.TypeAnnotation, ["nlb-ip", "external", "nlb", ""]),
        (ServiceSelection.TargetTypeAnnotation, ["ip", "instance", "IP", ""]),
        (P(ServiceAnnotations.Scheme), ["internal", "internet-facing", "public"]),
        (P(ServiceAnnotations.Internal), ["true", "false", "0.0.0.0/0"]),
        (P(ServiceAnnotations.IpAddressType), ["ipv4", "dualstack", "ipv6"]),
        (P(ServiceAnnotations.Name), ["custom", "", "name-that-is-far-too-long-for-an-nlb-xx"]),
        (P(ServiceAnnotations.Subnets), ["subnet-0private1", "private-a,private-b", "subnet-0nope", "public-a"]),
        (P(ServiceAnnotations.EipAllocations), ["eipalloc-1", "eipalloc-1,eipalloc-2,eipalloc-3"]),
        (P(ServiceAnnotations.PrivateIpv4Addresses), ["192.168.100.5", "x", "192.168.100.5,192.168.130.5,192.168.170.5"]),
        (P(ServiceAnnotations.Ipv6Addresses), ["::1", "2600:1f14:aaa:100::1,2600:1f14:aaa:200::1,2600:1f14:aaa:300::1"]),
        (P(ServiceAnnotations.EnablePrefixForIpv6SourceNat), ["on", "off", "x"]),
        (P(ServiceAnnotations.SourceNatIpv6Prefixes), ["auto_assigned", "auto_assigned,auto_assigned,auto_assigned"]),
        (P(ServiceAnnotations.Attributes), ["deletion_protection.enabled=true", "a", "dns_record.client_routing_policy=x", "load_balancing.cross_zone.enabled=false"]),
        (P(ServiceAnnotations.AccessLogEnabled), ["true", "false", "yes"]),
        (P(ServiceAnnotations.CrossZoneEnabled), ["true", "no"]),
        (P(ServiceAnnotations.MinimumCapacity), ["CapacityUnits=100", "x=1", "CapacityUnits=x"]),
        (P(ServiceAnnotations.AdditionalTags), ["a=b", "broken", "k=v\\,w"]),
        (P(ServiceAnnotations.SecurityGroups), ["sg-0node", "sg-missing", ""]),
        (P(ServiceAnnotations.ManageBackendSecurityGroupRules), ["true", "false", "x"]),
        (P(ServiceAnnotations.DisableNlbSecurityGroup), ["true", "false", "x"]),
        (P(ServiceAnnotations.InboundSgRulesOnPrivateLink), ["on", "off", "x"]),
        (P(ServiceAnnotations.SourceRanges), ["10.0.0.0/8", "::/0", "bad"]),
        (P(ServiceAnnotations.SecurityGroupPrefixLists), ["pl-1", "pl-1,pl-2"]),
        (P(ServiceAnnotations.IcmpForPathMtu), ["on", "off"]),
        (P(ServiceAnnotations.SslCert), ["arn:1", "arn:1,arn:2", ""]),
        (P(ServiceAnnotations.SslPorts), ["443", "https", "9999", "*"]),
        (P(ServiceAnnotations.SslNegotiationPolicy), ["ELBSecurityPolicy-TLS13-1-2-2021-06"]),
        (P(ServiceAnnotations.BackendProtocol), ["ssl", "tcp"]),
        (P(ServiceAnnotations.AlpnPolicy), ["HTTP2Preferred", "bogus"]),
        (P(ServiceAnnotations.EnableTcpUdpListener), ["true", "false", "x"]),
        (P(ServiceAnnotations.QuicEnabledPorts), ["53", "443", "dns"]),
        (P(ServiceAnnotations.ListenerAttributesPrefix + "TCP-80"), ["tcp.idle_timeout.seconds=400", "x"]),
        (P(ServiceAnnotations.HealthCheckProtocol), ["http", "HTTPS", "tcp", "udp"]),
        (P(ServiceAnnotations.HealthCheckPort), ["traffic-port", "8080", "https", "0", "x"]),
        (P(ServiceAnnotations.HealthCheckPath), ["/healthz"]),
        (P(ServiceAnnotations.HealthCheckInterval), ["5", "x", "-1"]),
        (P(ServiceAnnotations.HealthCheckTimeout), ["5", "x"]),
        (P(ServiceAnnotations.HealthyThreshold), ["2", "x"]),
        (P(ServiceAnnotations.UnhealthyThreshold), ["2", "99999999999"]),
        (P(ServiceAnnotations.HealthCheckSuccessCodes), ["200"]),
        (P(ServiceAnnotations.TargetGroupAttributes), ["preserve_client_ip.enabled=true", "preserve_client_ip.enabled=x", "stickiness.enabled=true"]),
        (P(ServiceAnnotations.TargetGroupAttributes + ".80"), ["deregistration_delay.timeout_seconds=5", "=x"]),
        (P(ServiceAnnotations.ProxyProtocol), ["*", "true"]),
        (P(ServiceAnnotations.ProxyProtocolPerTargetGroup), ["80", "80,x"]),
        (P(ServiceAnnotations.TargetNodeLabels), ["role=edge", "broken"]),
        (P(ServiceAnnotations.MultiClusterTargetGroup), ["true", "x"]),
        (P("aws-load-balancer-healthcheck-intervall"), ["5"]),
        (ServiceAnnotations.Prefix + "actions.TCP-80", ["{}"]),
    ];

    private static string P(string suffix) => ServiceAnnotations.Prefix + suffix;

    private static readonly (int Port, string Protocol, string Name, string? Target)[] PortChoices =
    [
        (80, "TCP", "http", "8080"),
        (443, "TCP", "https", "web"),
        (53, "UDP", "dns", "5353"),
        (53, "TCP", "dnstcp", "5353"),
        (8443, "TCP", "alt", null),
        (9999, "SCTP", "sctp", "9999"),
    ];

    private sealed record Input(
        Dictionary<string, string> Annotations,
        int[] Ports,
        bool[] Flags,
        int Variant);

    private static readonly Gen<Input> Inputs =
        Gen.Select(Gen.Int[0, Choices.Length - 1].Array[0, 8], Gen.Int[0, 3].Array[8], Gen.Int[0, PortChoices.Length - 1].Array[0, 4], Gen.Bool.Array[8], Gen.Int[0, 3])
            .Select(static (keys, picks, ports, flags, variant) =>
            {
                var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
                if (flags[0])
                    annotations[ServiceSelection.TypeAnnotation] = "nlb-ip";
                for (var i = 0; i < keys.Length; i++)
                {
                    var (key, values) = Choices[keys[i]];
                    annotations[key] = values[picks[i] % values.Length];
                }
                return new Input(annotations, ports, flags, variant);
            });

    private static ServiceSnapshot Snapshot(Input input)
    {
        var ports = input.Ports.Distinct().Select(static (index, n) =>
        {
            var (port, protocol, name, target) = PortChoices[index];
            return new V1ServicePort { Port = port, Protocol = protocol, Name = name, TargetPort = target, NodePort = n % 3 == 2 ? null : 30000 + port };
        }).ToList();
        var service = new V1Service
        {
            Metadata = new V1ObjectMeta
            {
                Name = "echo",
                NamespaceProperty = "default",
                Uid = input.Flags[6] ? ServiceFixtures.Uid : null,
                Annotations = input.Flags[7] && input.Annotations.Count == 0 ? null : input.Annotations,
                Finalizers = input.Flags[1] ? [ServiceSelection.Finalizer] : null,
                DeletionTimestamp = input.Variant == 3 && input.Flags[2] ? new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) : null,
            },
            Spec = input.Variant == 2 && input.Flags[2] ? null : new V1ServiceSpec
            {
                Type = input.Flags[3] ? "LoadBalancer" : "NodePort",
                LoadBalancerClass = input.Variant == 1 ? "service.k8s.aws/nlb" : null,
                ExternalTrafficPolicy = input.Flags[4] ? "Local" : "Cluster",
                HealthCheckNodePort = input.Flags[5] ? 32000 : null,
                IpFamilies = input.Variant == 2 ? ["IPv6"] : null,
                Ports = ports,
            },
        };
        var aws = new AwsFacts
        {
            ExistingLoadBalancer = input.Variant == 3 ? new ExistingLoadBalancerFact { Scheme = "internet-facing", SubnetIds = ["subnet-0public1"] } : null,
        };
        var snapshot = ServiceFixtures.Snapshot(service, aws: aws) with
        {
            ExistingLoadBalancerSecurityGroups = input.Variant == 3 ? (input.Flags[5] ? [] : ["sg-0lb"]) : null,
            Nodes = Nodes(),
            EndpointSlices = Slices(),
        };
        return snapshot;
    }

    private static List<V1Node> Nodes() =>
    [
        new() { Metadata = new V1ObjectMeta { Name = "a", Labels = new Dictionary<string, string> { ["role"] = "edge" } }, Spec = new V1NodeSpec { ProviderID = "aws:///us-west-2a/i-0aaa" }, Status = new V1NodeStatus { Conditions = [new V1NodeCondition { Type = "Ready", Status = "True" }] } },
        new() { Metadata = new V1ObjectMeta { Name = "b" }, Spec = new V1NodeSpec { ProviderID = "aws:///us-west-2b/i-0bbb" }, Status = new V1NodeStatus { Conditions = [new V1NodeCondition { Type = "Ready", Status = "True" }] } },
        new() { Metadata = new V1ObjectMeta { Name = "c" }, Spec = new V1NodeSpec { ProviderID = "fargate" } },
        new() { Metadata = null!, Spec = null, Status = null },
    ];

    private static List<V1EndpointSlice> Slices()
    {
        V1EndpointSlice Slice(string name, string family, string address, string port, int number) => new()
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = "echo" } },
            AddressType = family,
            Ports = [new Discoveryv1EndpointPort { Name = port, Port = number }],
            Endpoints =
            [
                new V1Endpoint { Addresses = [address], Conditions = new V1EndpointConditions { Ready = true } },
                new V1Endpoint { Addresses = [address + "0"], Conditions = new V1EndpointConditions { Ready = false } },
                null!,
                new V1Endpoint { Addresses = null! },
            ],
        };
        return
        [
            Slice("s1", "IPv4", "192.168.10.1", "http", 8080),
            Slice("s2", "IPv4", "192.168.10.2", "https", 8443),
            Slice("s3", "IPv6", "2600:1f14:aaa:100::5", "http", 8080),
            Slice("s4", "IPv4", "192.168.10.3", "dns", 5353),
            new V1EndpointSlice { Metadata = null!, AddressType = "IPv4" },
        ];
    }

    [Fact]
    public void Random_services_never_throw_and_the_outcome_matches_the_stack()
    {
        Inputs.Sample(input =>
        {
            var build = ServiceModelBuilder.Build(Snapshot(input));
            var stack = build.Stack;
            var outcome = Assert.Single(stack.Ingresses);
            Assert.DoesNotContain(outcome.Errors, static e => e.Message.StartsWith("internal error", StringComparison.Ordinal));
            switch (outcome.State)
            {
                case IngressState.Active:
                    Assert.NotNull(stack.LoadBalancer);
                    Assert.Empty(outcome.Errors);
                    Assert.False(stack.AllMembersFrozen);
                    Assert.Equal(ServiceSelection.Finalizer, outcome.Finalizer);
                    Assert.Equal(stack.Listeners.Count, stack.TargetGroups.Count);
                    Assert.All(stack.TargetGroups, t => Assert.True(t.Name.Length <= 32 && t.Port is >= 1 and <= 65535, t.Name));
                    Assert.DoesNotContain(stack.LoadBalancer!.Name, stack.KnownLoadBalancerNames);
                    break;
                case IngressState.Frozen:
                    Assert.Null(stack.LoadBalancer);
                    Assert.True(stack.AllMembersFrozen);
                    Assert.NotEmpty(outcome.Errors);
                    Assert.All(outcome.Errors, static e => Assert.Equal("Service default/echo", e.Object));
                    break;
                default:
                    Assert.Null(stack.LoadBalancer);
                    Assert.False(stack.AllMembersFrozen);
                    Assert.Null(outcome.Finalizer);
                    break;
            }
        }, iter: 2000);
    }

    [Fact]
    public void The_build_is_deterministic_and_does_not_depend_on_the_order_of_slices_nodes_endpoints_or_ports()
    {
        Inputs.Sample(input =>
        {
            var snapshot = Snapshot(input);
            var first = Render(ServiceModelBuilder.Build(snapshot));
            Assert.Equal(first, Render(ServiceModelBuilder.Build(snapshot)));

            var service = snapshot.Service!;
            var distinctNumbers = service.Spec?.Ports is { } ports && ports.Select(static p => p.Port).Distinct().Count() == ports.Count;
            var reordered = snapshot with
            {
                Nodes = [.. snapshot.Nodes.Reverse()],
                EndpointSlices = [.. snapshot.EndpointSlices.Reverse().Select(static s => { s.Endpoints = s.Endpoints?.Reverse().ToList(); return s; })],
            };
            if (distinctNumbers && service.Spec is not null)
                service.Spec.Ports = [.. service.Spec.Ports.Reverse()];
            Assert.Equal(first, Render(ServiceModelBuilder.Build(reordered)));
        }, iter: 1000);
    }

    private static string Render(ServiceBuild build) => StackJson.Serialize(build.Stack) + "\n" + string.Join("\n", build.Warnings);
}
