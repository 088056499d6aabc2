using k8s.Models;
using Serverless.Model;
using static Serverless.Ingress.Tests.Back.K;

namespace Serverless.Ingress.Tests.Back;

public sealed class TargetGroupTests
{
    private readonly Scenario _scenario = new();

    private TargetGroupSpec OnlyTargetGroup(V1Ingress ingress, params V1Service[] services)
    {
        _scenario.With(services.Length == 0 ? [Service()] : services);
        return Assert.Single(_scenario.Build(ingress).TargetGroups);
    }

    private static V1Ingress WithAnnotations(params (string, string)[] annotations) => Ing(Ann(annotations), Path("/"));

    [Fact]
    public void A_plain_backend_gets_upstreams_defaults_in_instance_mode_on_the_NodePort()
    {
        var tg = OnlyTargetGroup(Ing(Path("/")));

        Assert.Equal("default/web-api:80", tg.Id);
        Assert.Equal(("instance", 30080, "HTTP", "HTTP1", "ipv4"), (tg.TargetType, tg.Port, tg.Protocol, tg.ProtocolVersion, tg.IpAddressType));
        Assert.Equal(
            new HealthCheckSpec { Port = "traffic-port", Protocol = "HTTP", Path = "/", IntervalSeconds = 15, TimeoutSeconds = 5, HealthyThresholdCount = 2, UnhealthyThresholdCount = 2, HttpCode = "200" },
            tg.HealthCheck);
        Assert.Empty(tg.Attributes);
        Assert.Equal(("default/web", "default/api:80"), (tg.Owner, tg.Backend));
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["elbv2.k8s.aws/cluster"] = "prod",
                ["ingress.k8s.aws/stack"] = "default/web",
                ["ingress.k8s.aws/resource"] = "default/web-api:80",
                ["serverless.elbv2.k8s.aws/ingress"] = "default/web",
            },
            tg.Tags);
    }

    [Fact]
    public void The_name_is_upstreams_hash_of_cluster_group_Ingress_service_UID_port_as_written_and_protocol_settings()
    {
        _scenario.Group = StackId.Explicit("shop");
        var tg = OnlyTargetGroup(Ing(Path("/", "Prefix", "api", "http")));

        var expected = Naming.TargetGroupName("prod", StackId.Explicit("shop"), "default", "web", "default", "api", "uid-api", "http", 30080, "instance", "HTTP", "HTTP1");
        Assert.Equal(expected, tg.Name);
        Assert.StartsWith("k8s-default-api-", tg.Name, StringComparison.Ordinal);
        Assert.Equal("default/web-api:http", tg.Id);
    }

    [Fact]
    public void The_name_changes_when_the_target_type_changes()
    {
        var instance = OnlyTargetGroup(Ing(Path("/")));
        var ip = new Scenario().With(Service()).Build(WithAnnotations(("target-type", "ip"))).TargetGroups[0];

        Assert.NotEqual(instance.Name, ip.Name);
        Assert.Equal(Naming.TargetGroupName("prod", StackId.Implicit("default", "web"), "default", "web", "default", "api", "uid-api", "80", 8080, "ip", "HTTP", "HTTP1"), ip.Name);
    }

    [Fact]
    public void Every_target_group_annotation_on_the_Ingress_is_applied()
    {
        var tg = OnlyTargetGroup(WithAnnotations(
            ("target-type", "ip"),
            ("backend-protocol", "HTTPS"),
            ("backend-protocol-version", "HTTP2"),
            ("healthcheck-port", "9000"),
            ("healthcheck-protocol", "HTTP"),
            ("healthcheck-path", "/healthz"),
            ("healthcheck-interval-seconds", "30"),
            ("healthcheck-timeout-seconds", "10"),
            ("healthy-threshold-count", "3"),
            ("unhealthy-threshold-count", "4"),
            ("success-codes", "200-299"),
            ("target-group-attributes", "deregistration_delay.timeout_seconds=30, stickiness.enabled=true"),
            ("tags", "team=shop,env=prod")));

        Assert.Equal(("ip", 8080, "HTTPS", "HTTP2"), (tg.TargetType, tg.Port, tg.Protocol, tg.ProtocolVersion));
        Assert.Equal(
            new HealthCheckSpec { Port = "9000", Protocol = "HTTP", Path = "/healthz", IntervalSeconds = 30, TimeoutSeconds = 10, HealthyThresholdCount = 3, UnhealthyThresholdCount = 4, HttpCode = "200-299" },
            tg.HealthCheck);
        Assert.Equal(new Dictionary<string, string> { ["deregistration_delay.timeout_seconds"] = "30", ["stickiness.enabled"] = "true" }, tg.Attributes);
        Assert.Equal(("shop", "prod"), (tg.Tags["team"], tg.Tags["env"]));
    }

    [Fact]
    public void The_health_check_protocol_follows_the_backend_protocol_by_default()
    {
        Assert.Equal("HTTPS", OnlyTargetGroup(WithAnnotations(("backend-protocol", "HTTPS"))).HealthCheck.Protocol);
    }

    [Fact]
    public void GRPC_defaults_to_the_ALB_gRPC_health_check_path_and_gRPC_code_12()
    {
        var tg = OnlyTargetGroup(WithAnnotations(("backend-protocol-version", "GRPC")));

        Assert.Equal(("GRPC", "/AWS.ALB/healthcheck", "12", null), (tg.ProtocolVersion, tg.HealthCheck.Path, tg.HealthCheck.GrpcCode, tg.HealthCheck.HttpCode));
    }

    [Fact]
    public void GRPC_success_codes_go_to_the_gRPC_matcher()
    {
        Assert.Equal("0-99", OnlyTargetGroup(WithAnnotations(("backend-protocol-version", "GRPC"), ("success-codes", "0-99"))).HealthCheck.GrpcCode);
    }

    [Fact]
    public void Service_annotations_win_over_Ingress_annotations()
    {
        var service = Service(annotations: Ann(("healthcheck-path", "/svc"), ("target-group-attributes", "a=svc")));

        var tg = OnlyTargetGroup(WithAnnotations(("healthcheck-path", "/ing"), ("target-group-attributes", "a=ing,b=ing"), ("success-codes", "204")), service);

        Assert.Equal(("/svc", "204"), (tg.HealthCheck.Path, tg.HealthCheck.HttpCode));
        Assert.Equal(new Dictionary<string, string> { ["a"] = "svc" }, tg.Attributes);
    }

    [Fact]
    public void IngressClassParams_targetType_wins_over_the_annotations()
    {
        _scenario.Params = new IngressClassParams { Name = "alb", TargetType = "ip" };

        Assert.Equal("ip", OnlyTargetGroup(WithAnnotations(("target-type", "instance"))).TargetType);
    }

    [Fact]
    public void The_cluster_default_target_type_applies_without_annotation()
    {
        _scenario.Cluster = _scenario.Cluster with { DefaultTargetType = "ip" };

        Assert.Equal("ip", OnlyTargetGroup(Ing(Path("/"))).TargetType);
    }

    [Fact]
    public void In_ip_mode_a_named_target_port_gives_port_1()
    {
        var tg = OnlyTargetGroup(WithAnnotations(("target-type", "ip")), Service(type: "ClusterIP", ports: Port(80, "http", null, "web")));

        Assert.Equal(1, tg.Port);
    }

    [Fact]
    public void In_ip_mode_an_unset_target_port_defaults_to_the_service_port()
    {
        var tg = OnlyTargetGroup(WithAnnotations(("target-type", "ip")), Service(type: "ClusterIP", ports: Port(80, "http")));

        Assert.Equal(80, tg.Port);
    }

    [Fact]
    public void Instance_mode_on_a_ClusterIP_service_is_an_error_naming_the_service_type()
    {
        _scenario.With(Service(type: "ClusterIP", ports: Port(80, "http", null, 8080)));

        var error = _scenario.Fails(Ing(Path("/")));

        Assert.Equal("Service default/api", error.Object);
        Assert.Equal("spec.type", error.Field);
        Assert.Equal("ClusterIP", error.Value);
        Assert.Contains("service type must be either 'NodePort' or 'LoadBalancer'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Instance_mode_on_a_port_without_nodePort_is_an_error()
    {
        _scenario.With(Service(type: "LoadBalancer", ports: [Port(443, "https", 30443), Port(80, "http", null, 8080)]));

        var error = _scenario.Fails(Ing(Path("/")));

        Assert.Equal("spec.ports[1].nodePort", error.Field);
    }

    [Fact]
    public void A_LoadBalancer_service_works_in_instance_mode()
    {
        Assert.Equal(30080, OnlyTargetGroup(Ing(Path("/")), Service(type: "LoadBalancer")).Port);
    }

    [Theory]
    [InlineData("instance", "health", "31000")]
    [InlineData("ip", "health", "9000")]
    [InlineData("instance", "8081", "8081")]
    [InlineData("ip", "traffic-port", "traffic-port")]
    public void A_named_health_check_port_resolves_to_the_NodePort_or_the_numeric_target_port(string targetType, string healthCheckPort, string expected)
    {
        var service = Service(ports: [Port(80, "http", 30080, 8080), Port(9000, "health", 31000, 9000)]);

        var tg = OnlyTargetGroup(WithAnnotations(("target-type", targetType), ("healthcheck-port", healthCheckPort)), service);

        Assert.Equal(expected, tg.HealthCheck.Port);
    }

    [Theory]
    [InlineData("ip", "health", "named healthcheck port")]
    [InlineData("instance", "nope", "no port named nope")]
    [InlineData("instance", "0", "1..65535")]
    [InlineData("instance", "70000", "1..65535")]
    public void An_unusable_health_check_port_is_an_error(string targetType, string healthCheckPort, string message)
    {
        _scenario.With(Service(ports: [Port(80, "http", 30080, 8080), Port(9000, "health", 31000, "metrics")]));

        var error = _scenario.Fails(WithAnnotations(("target-type", targetType), ("healthcheck-port", healthCheckPort)));

        Assert.Equal("annotation alb.ingress.kubernetes.io/healthcheck-port", error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("target-type", "lambda")]
    [InlineData("backend-protocol", "TCP")]
    [InlineData("backend-protocol", "http")]
    [InlineData("backend-protocol-version", "HTTP3")]
    [InlineData("healthcheck-protocol", "TCP")]
    [InlineData("healthcheck-interval-seconds", "1")]
    [InlineData("healthcheck-timeout-seconds", "ten")]
    [InlineData("healthy-threshold-count", "11")]
    [InlineData("unhealthy-threshold-count", "1")]
    [InlineData("target-group-attributes", "novalue")]
    [InlineData("target-node-labels", "=x")]
    public void An_invalid_target_group_annotation_is_an_error_naming_it_and_its_value(string suffix, string value)
    {
        _scenario.With(Service());

        var error = _scenario.Fails(WithAnnotations((suffix, value)));

        Assert.Equal("Ingress default/web", error.Object);
        Assert.Equal("annotation alb.ingress.kubernetes.io/" + suffix, error.Field);
        Assert.Equal(value, error.Value);
    }

    [Fact]
    public void An_invalid_IngressClassParams_target_type_is_an_error_naming_the_params()
    {
        _scenario.With(Service());
        _scenario.Params = new IngressClassParams { Name = "alb", TargetType = "lambda" };

        var error = _scenario.Fails(Ing(Path("/")));

        Assert.Equal(("IngressClassParams alb", "spec.targetType"), (error.Object, error.Field));
    }

    [Fact]
    public void A_service_with_an_IPv6_family_gets_an_ipv6_target_group()
    {
        var service = Service();
        service.Spec.IpFamilies = ["IPv4", "IPv6"];

        Assert.Equal("ipv6", OnlyTargetGroup(Ing(Path("/")), service).IpAddressType);
    }

    [Fact]
    public void Tags_merge_Service_over_Ingress_then_IngressClassParams_then_default_tags_and_tracking_tags_win()
    {
        _scenario.Cluster = _scenario.Cluster with { DefaultTags = new Dictionary<string, string> { ["cost"] = "central" } };
        _scenario.Params = new IngressClassParams { Name = "alb", Tags = [new("tier", "class")] };
        var service = Service(annotations: Ann(("tags", "team=svc,tier=svc,cost=svc")));

        var tg = OnlyTargetGroup(WithAnnotations(("tags", "team=ing,only=ing,ingress.k8s.aws/resource=mine")), service);

        Assert.Equal(("svc", "ing", "class", "central", "default/web-api:80"), (tg.Tags["team"], tg.Tags["only"], tg.Tags["tier"], tg.Tags["cost"], tg.Tags["ingress.k8s.aws/resource"]));
    }

    [Fact]
    public void A_tag_key_managed_externally_is_an_error()
    {
        _scenario.Cluster = _scenario.Cluster with { ExternalManagedTags = ["owner"] };
        _scenario.With(Service(annotations: Ann(("tags", "owner=me"))));

        var error = _scenario.Fails(Ing(Path("/")));

        Assert.Equal(("Service default/api", "annotation alb.ingress.kubernetes.io/tags"), (error.Object, error.Field));
    }

    [Fact]
    public void Target_ports_hold_the_NodePort_and_a_distinct_numeric_health_check_port_in_instance_mode()
    {
        _scenario.With(Service());

        var built = _scenario.Build(WithAnnotations(("healthcheck-port", "10256")));

        Assert.Equal([10256, 30080], built.TargetPorts);
    }

    [Fact]
    public void Target_ports_hold_the_numeric_target_port_in_ip_mode()
    {
        _scenario.With(Service());

        Assert.Equal([8080], _scenario.Build(WithAnnotations(("target-type", "ip"))).TargetPorts);
    }

    [Fact]
    public void Target_ports_hold_the_endpoint_ports_for_a_named_target_port_in_ip_mode()
    {
        _scenario.With(
            Service(type: "ClusterIP", ports: Port(80, "http", null, "web")),
            Slice("api", "http", 8080, Endpoint("10.0.1.1")),
            Slice("api", "http", 8081, Endpoint("10.0.1.2")));

        Assert.Equal([8080, 8081], _scenario.Build(WithAnnotations(("target-type", "ip"))).TargetPorts);
    }

    [Fact]
    public void The_same_service_port_from_two_ingresses_gives_two_target_groups_with_different_names()
    {
        _scenario.With(Service());
        _scenario.Group = StackId.Explicit("shop");

        var one = _scenario.Build(Ing([Rule(null, Path("/"))], name: "one")).TargetGroups[0];
        var two = _scenario.Build(Ing([Rule(null, Path("/"))], name: "two")).TargetGroups[0];

        Assert.Equal(("default/one-api:80", "default/two-api:80"), (one.Id, two.Id));
        Assert.NotEqual(one.Name, two.Name);
    }
}
