using k8s.Models;
using Serverless.Model;
using static Serverless.Ingress.Tests.Back.K;

namespace Serverless.Ingress.Tests.Back;

/// <summary>Target group values ELBv2 would reject are errors on the Ingress (or Service) that set them, before any AWS call.</summary>
public sealed class AwsLimitTests
{
    private readonly Scenario _scenario = new();

    public AwsLimitTests() => _scenario.With(Service());

    private static V1Ingress With(params (string, string)[] annotations) => Ing(Ann(annotations), Path("/"));

    [Theory]
    [InlineData("200", null)]
    [InlineData("200,202", null)]
    [InlineData("200-399", null)]
    [InlineData("200-299,302,404", null)]
    [InlineData("499", null)]
    [InlineData("199", "199 is outside 200-499")]
    [InlineData("500", "500 is outside 200-499")]
    [InlineData("200-199", "199 is outside 200-499")]
    [InlineData("2xx", "is not a code")]
    [InlineData("200,", "\"200,\" has an empty entry")]
    [InlineData("1000", "is not a code")]
    [InlineData("", "must be HTTP status codes within 200-499")]
    [InlineData("399-200", "starts above its end")]
    [InlineData("200-", "is malformed")]
    [InlineData("-300", "is malformed")]
    [InlineData("200-300-400", "is malformed")]
    public void Http_success_codes_are_codes_lists_or_ranges_within_200_to_499(string codes, string? problem)
    {
        if (problem is null)
        {
            Assert.Equal(codes, Assert.Single(_scenario.Build(With(("success-codes", codes))).TargetGroups).HealthCheck.HttpCode);
            return;
        }
        var error = _scenario.Fails(With(("success-codes", codes)));
        Assert.Equal("Ingress default/web", error.Object);
        Assert.Equal("annotation alb.ingress.kubernetes.io/success-codes", error.Field);
        Assert.Equal(codes, error.Value);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0", null)]
    [InlineData("0-99", null)]
    [InlineData("0,12", null)]
    [InlineData("100", "100 is outside 0-99")]
    [InlineData("200", "200 is outside 0-99")]
    [InlineData("20-10", "starts above its end")]
    public void Grpc_success_codes_are_within_0_to_99(string codes, string? problem)
    {
        var ingress = With(("backend-protocol-version", "GRPC"), ("success-codes", codes));
        if (problem is null)
        {
            var tg = Assert.Single(_scenario.Build(ingress).TargetGroups);
            Assert.Equal((codes, (string?)null), (tg.HealthCheck.GrpcCode, tg.HealthCheck.HttpCode));
            return;
        }
        var error = _scenario.Fails(ingress);
        Assert.Equal("annotation alb.ingress.kubernetes.io/success-codes", error.Field);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Contains("gRPC status codes within 0-99", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("(backend-protocol-version is GRPC)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_success_code_on_the_Service_is_reported_against_the_Service()
    {
        _scenario.Services.Clear();
        _scenario.With(Service(annotations: Ann(("success-codes", "600"))));

        var error = _scenario.Fails(Ing(Path("/")));

        Assert.Equal("Service default/api", error.Object);
        Assert.Equal("600", error.Value);
    }

    [Theory]
    [InlineData("healthz", false)]
    [InlineData("", false)]
    [InlineData("/healthz", true)]
    public void The_health_check_path_must_start_with_a_slash(string path, bool valid)
    {
        var ingress = With(("healthcheck-path", path));
        if (valid)
        {
            Assert.Equal(path, Assert.Single(_scenario.Build(ingress).TargetGroups).HealthCheck.Path);
            return;
        }
        var error = _scenario.Fails(ingress);
        Assert.Equal(("annotation alb.ingress.kubernetes.io/healthcheck-path", path, "must start with /"), (error.Field, error.Value, error.Message));
    }

    [Fact]
    public void A_grpc_health_check_path_is_a_method_path_starting_with_a_slash()
    {
        var tg = Assert.Single(_scenario.Build(With(("backend-protocol-version", "GRPC"), ("healthcheck-path", "/package.service/method"))).TargetGroups);
        Assert.Equal("/package.service/method", tg.HealthCheck.Path);

        var error = _scenario.Fails(With(("backend-protocol-version", "GRPC"), ("healthcheck-path", "package.service/method")));
        Assert.Equal("must start with /", error.Message);
    }

    [Theory]
    [InlineData("healthcheck-timeout-seconds", "15", "the health check timeout (15s) must be smaller than the interval (15s)")]
    [InlineData("healthcheck-timeout-seconds", "20", "the health check timeout (20s) must be smaller than the interval (15s)")]
    [InlineData("healthcheck-interval-seconds", "5", "the health check timeout (5s) must be smaller than the interval (5s)")]
    public void The_health_check_timeout_must_be_smaller_than_the_interval(string suffix, string value, string message)
    {
        var error = _scenario.Fails(With((suffix, value)));

        Assert.Equal(("annotation alb.ingress.kubernetes.io/" + suffix, value, message), (error.Field, error.Value, error.Message));
    }

    [Theory]
    [InlineData("healthcheck-interval-seconds", "4", "must be between 5 and 300")]
    [InlineData("healthcheck-timeout-seconds", "121", "must be between 2 and 120")]
    [InlineData("healthy-threshold-count", "11", "must be between 2 and 10")]
    [InlineData("unhealthy-threshold-count", "1", "must be between 2 and 10")]
    public void Health_check_numbers_outside_the_ELBv2_ranges_are_errors(string suffix, string value, string message)
    {
        var error = _scenario.Fails(With((suffix, value)));

        Assert.Equal(("annotation alb.ingress.kubernetes.io/" + suffix, value, message), (error.Field, error.Value, error.Message));
    }

    [Theory]
    [InlineData("deregistration_delay.timeout_seconds=3601", "must be an integer within 0-3600")]
    [InlineData("stickiness.enabled=yes", "must be true or false")]
    [InlineData("stickiness.type=source_ip", "must be one of: lb_cookie, app_cookie")]
    [InlineData("stickiness.lb_cookie.duration_seconds=0", "must be an integer within 1-604800")]
    [InlineData("slow_start.duration_seconds=10", "must be 0 (off) or an integer within 30-900")]
    [InlineData("load_balancing.algorithm.type=random", "must be one of: round_robin, least_outstanding_requests, weighted_random")]
    [InlineData("load_balancing.cross_zone.enabled=maybe", "must be one of: true, false, use_load_balancer_configuration")]
    public void Target_group_attribute_values_ELBv2_rejects_are_errors(string attributes, string message)
    {
        var error = _scenario.Fails(With(("target-group-attributes", attributes)));

        Assert.Equal(("annotation alb.ingress.kubernetes.io/target-group-attributes", attributes), (error.Field, error.Value));
        Assert.Equal($"attribute {attributes}: {message}", error.Message);
    }

    [Fact]
    public void Valid_and_unknown_target_group_attributes_pass_through()
    {
        var tg = Assert.Single(_scenario.Build(With(("target-group-attributes",
            "slow_start.duration_seconds=0,deregistration_delay.timeout_seconds=0,load_balancing.cross_zone.enabled=use_load_balancer_configuration,some.new.attribute=x"))).TargetGroups);

        Assert.Equal("x", tg.Attributes["some.new.attribute"]);
        Assert.Equal(4, tg.Attributes.Count);
    }

    [Fact]
    public void An_OIDC_secret_name_that_is_not_a_DNS_subdomain_is_an_error_before_any_lookup()
    {
        const string Oidc = """{"issuer":"https://idp","authorizationEndpoint":"https://idp/a","tokenEndpoint":"https://idp/t","userInfoEndpoint":"https://idp/u","secretName":"Bad_Secret"}""";

        var error = _scenario.Fails(With(("auth-type", "oidc"), ("auth-idp-oidc", Oidc)), Scenario.Https443);

        Assert.Equal("annotation alb.ingress.kubernetes.io/auth-idp-oidc", error.Field);
        Assert.Contains("secretName \"Bad_Secret\" is not a valid object name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_service_with_an_IPv6_family_gets_an_ipv6_target_group_with_its_IPv6_endpoints()
    {
        _scenario.Services.Clear();
        var service = Service();
        service.Spec.IpFamilies = ["IPv6"];
        _scenario.With(service, Slice("api", "IPv6", "http", 8080, Endpoint("2001:db8::10")), Slice("api", "http", 8080, Endpoint("10.0.0.10")));

        var built = _scenario.Build(With(("target-type", "ip")));

        var tg = Assert.Single(built.TargetGroups);
        Assert.Equal("ipv6", tg.IpAddressType);
        Assert.Equal(["2001:db8::10"], Assert.Single(built.TargetSets).Targets.Select(static t => t.Id));
    }

    [Fact]
    public void A_target_control_port_is_part_of_the_target_group_name_as_upstream()
    {
        var without = Assert.Single(_scenario.Build(With(("target-type", "ip"))).TargetGroups);
        var with = Assert.Single(new Scenario().With(Service()).Build(With(("target-type", "ip"), ("target-control-port.api.80", "3000"))).TargetGroups);
        var otherPort = Assert.Single(new Scenario().With(Service()).Build(With(("target-type", "ip"), ("target-control-port.api.http", "3000"))).TargetGroups);

        Assert.Equal(Naming.TargetGroupName("prod", StackId.Implicit("default", "web"), "default", "web", "default", "api", "uid-api", "80", 8080, "ip", "HTTP", "HTTP1", 3000), with.Name);
        Assert.NotEqual(without.Name, with.Name);
        // The annotation names the Service port as the backend writes it: another spelling does not apply.
        Assert.Equal(without.Name, otherPort.Name);
    }

    [Theory]
    [InlineData("instance", "3000", "target control port is not supported for instance target target group")]
    [InlineData("ip", "many", "must be an integer")]
    public void A_target_control_port_with_instance_targets_or_not_a_number_is_an_error(string targetType, string value, string message)
    {
        var error = _scenario.Fails(With(("target-type", targetType), ("target-control-port.api.80", value)));

        Assert.Equal(("annotation alb.ingress.kubernetes.io/target-control-port.api.80", value, message), (error.Field, error.Value, error.Message));
    }
}
