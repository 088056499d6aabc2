using k8s.Models;
using Serverless.Model;
using static Serverless.Ingress.Tests.Back.K;

namespace Serverless.Ingress.Tests.Back;

public sealed class ActionTests
{
    private readonly Scenario _scenario = new Scenario().With(
        Service(),
        Service("blue", uid: "uid-blue", ports: Port(80, "http", 30081, 8080)),
        Service("green", uid: "uid-green", ports: [Port(80, "http", 30082, 8080), Port(8443, "https", 30443, 8443)]));

    private static V1Ingress UseAnnotation(string service, string actionJson) =>
        Ing(Ann(("actions." + service, actionJson)), Path("/", "Prefix", service, "use-annotation"));

    private ActionSpec OnlyAction(V1Ingress ingress) => Assert.Single(Assert.Single(_scenario.Build(ingress).Rules80()).Actions);

    private BuildError ActionError(string service, string actionJson) => _scenario.Fails(UseAnnotation(service, actionJson));

    [Fact]
    public void A_service_backend_forwards_to_that_services_target_group_without_weight_or_order()
    {
        var action = Assert.Single(Assert.Single(_scenario.Build(Ing(Path("/"))).Rules80()).Actions);

        Assert.Equal("forward", action.Type);
        Assert.Null(action.Order);
        var group = Assert.Single(action.Forward!.TargetGroups);
        Assert.Equal(StringOrRef.To(ResourceRef.TargetGroupArn("default/web-api:80")), group.TargetGroupArn);
        Assert.Null(group.Weight);
        Assert.False(action.Forward.StickinessEnabled);
    }

    [Fact]
    public void A_backend_port_written_by_name_keeps_the_name_in_the_target_group_id()
    {
        var built = _scenario.Build(Ing(Path("/", "Prefix", "api", "http")));

        Assert.Equal("default/web-api:http", Assert.Single(built.TargetGroups).Id);
        Assert.Equal(StringOrRef.To(ResourceRef.TargetGroupArn("default/web-api:http")), built.Rules80()[0].Actions[0].Forward!.TargetGroups[0].TargetGroupArn);
    }

    [Fact]
    public void A_fixed_response_action_annotation_becomes_a_fixed_response_action()
    {
        var action = OnlyAction(UseAnnotation("teapot", """{"type":"fixed-response","fixedResponseConfig":{"contentType":"text/plain","statusCode":"418","messageBody":"short and stout"}}"""));

        Assert.Equal("fixed-response", action.Type);
        Assert.Equal(new FixedResponseActionSpec { StatusCode = "418", ContentType = "text/plain", MessageBody = "short and stout" }, action.FixedResponse);
    }

    [Fact]
    public void A_redirect_action_annotation_becomes_a_redirect_action_with_unset_parts_left_null()
    {
        var action = OnlyAction(UseAnnotation("ssl-redirect", """{"Type":"redirect","RedirectConfig":{"Protocol":"HTTPS","Port":"443","StatusCode":"HTTP_301"}}"""));

        Assert.Equal("redirect", action.Type);
        Assert.Equal(new RedirectActionSpec { Protocol = "HTTPS", Port = "443", StatusCode = "HTTP_301" }, action.Redirect);
    }

    [Fact]
    public void A_forward_to_a_target_group_ARN_forwards_to_that_literal_ARN()
    {
        const string arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/legacy/abc";
        var action = OnlyAction(UseAnnotation("legacy", $$"""{"type":"forward","targetGroupARN":"{{arn}}"}"""));

        Assert.Equal(StringOrRef.Of(arn), Assert.Single(action.Forward!.TargetGroups).TargetGroupArn);
    }

    [Fact]
    public void A_forward_to_a_target_group_name_resolves_the_ARN_from_the_AWS_facts()
    {
        _scenario.Aws = new AwsFacts { TargetGroupArnsByName = new Dictionary<string, string> { ["shared-tg"] = "arn:tg/shared" } };

        var action = OnlyAction(UseAnnotation("shared", """{"type":"forward","targetGroupName":"shared-tg"}"""));

        Assert.Equal(StringOrRef.Of("arn:tg/shared"), Assert.Single(action.Forward!.TargetGroups).TargetGroupArn);
    }

    [Fact]
    public void A_forward_to_an_unknown_target_group_name_is_an_error_naming_the_action_annotation()
    {
        var error = ActionError("shared", """{"type":"forward","forwardConfig":{"targetGroups":[{"targetGroupName":"nope"}]}}""");

        Assert.Equal("annotation alb.ingress.kubernetes.io/actions.shared", error.Field);
        Assert.Contains("\"nope\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_weighted_forward_builds_a_target_group_per_service_port_with_weights_and_stickiness()
    {
        var ingress = UseAnnotation("canary", """
            {"type":"forward","forwardConfig":{
              "targetGroups":[
                {"serviceName":"blue","servicePort":80,"weight":90},
                {"serviceName":"green","servicePort":"80","weight":10},
                {"serviceName":"green","servicePort":"https","weight":0}],
              "targetGroupStickinessConfig":{"enabled":true,"durationSeconds":300}}}
            """);

        var built = _scenario.Build(ingress);
        var forward = Assert.Single(Assert.Single(built.Rules80()).Actions).Forward!;

        Assert.Equal(
            [("default/web-blue:80", 90), ("default/web-green:80", 10), ("default/web-green:https", 0)],
            forward.TargetGroups.Select(static g => (g.TargetGroupArn.Ref!.ResourceId, g.Weight!.Value)));
        Assert.True(forward.StickinessEnabled);
        Assert.Equal(300, forward.StickinessDurationSeconds);
        Assert.Equal(["default/web-blue:80", "default/web-green:80", "default/web-green:https"], built.TargetGroups.Select(static t => t.Id));
    }

    [Fact]
    public void A_missing_service_is_an_error_naming_the_service_not_a_fixed_503()
    {
        var error = _scenario.Fails(Ing(Path("/", "Prefix", "ghost")));

        Assert.Equal("Ingress default/web", error.Object);
        Assert.Equal("spec.rules[0].http.paths[0].backend.service.name", error.Field);
        Assert.Equal("ghost", error.Value);
        Assert.Equal("Service default/ghost does not exist", error.Message);
    }

    [Fact]
    public void A_forward_annotation_to_one_missing_service_is_an_error_too()
    {
        var error = ActionError("x", """{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"ghost","servicePort":80}]}}""");

        Assert.Equal("annotation alb.ingress.kubernetes.io/actions.x", error.Field);
        Assert.Equal("Service default/ghost does not exist", error.Message);
    }

    [Theory]
    [InlineData("Web", "lowercase")]
    [InlineData("1api", "start with a letter")]
    [InlineData("api-", "end with a letter or digit")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234", "1-63 characters")]
    public void A_backend_service_name_that_is_not_a_DNS_label_is_an_error(string name, string expected)
    {
        var error = _scenario.Fails(Ing(Path("/", "Prefix", name)));

        Assert.Equal("spec.rules[0].http.paths[0].backend.service.name", error.Field);
        Assert.Equal(name, error.Value);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_forward_annotation_service_name_that_is_not_a_DNS_label_is_an_error()
    {
        var error = ActionError("x", """{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"My_Svc","servicePort":80}]}}""");

        Assert.Equal("annotation alb.ingress.kubernetes.io/actions.x", error.Field);
        Assert.Contains("serviceName \"My_Svc\" is not a valid Service name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_action_annotation_becomes_a_fixed_503_saying_the_backend_action_does_not_exist()
    {
        var action = OnlyAction(Ing(Path("/", "Prefix", "nothing", "use-annotation")));

        Assert.Equal(new FixedResponseActionSpec { StatusCode = "503", ContentType = "text/plain", MessageBody = "Backend action does not exist" }, action.FixedResponse);
    }

    [Fact]
    public void A_missing_service_among_several_target_groups_is_an_error()
    {
        var error = ActionError("canary", """{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"blue","servicePort":80,"weight":1},{"serviceName":"ghost","servicePort":80,"weight":1}]}}""");

        Assert.Equal("annotation alb.ingress.kubernetes.io/actions.canary", error.Field);
        Assert.Contains("Service default/ghost does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_service_port_is_an_error_naming_the_backend_port_of_the_path()
    {
        var error = _scenario.Fails(Ing(Path("/a", "Exact"), Path("/b", "Exact", "api", 9999)));

        Assert.Equal("Ingress default/web", error.Object);
        Assert.Equal("spec.rules[0].http.paths[1].backend.service.port", error.Field);
        Assert.Equal("9999", error.Value);
        Assert.Contains("has no port 9999", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_backend_without_a_service_is_an_error()
    {
        var ingress = Ing(new V1HTTPIngressPath { Path = "/", PathType = "Prefix", Backend = new V1IngressBackend() });

        Assert.Equal("spec.rules[0].http.paths[0].backend.service", _scenario.Fails(ingress).Field);
    }

    [Theory]
    [InlineData("""{"type":"teleport"}""", "unknown action type")]
    [InlineData("""{"type":"fixed-response"}""", "fixedResponseConfig: is required")]
    [InlineData("""{"type":"fixed-response","fixedResponseConfig":{"messageBody":"x"}}""", "statusCode: is required")]
    [InlineData("""{"type":"fixed-response","fixedResponseConfig":{"statusCode":"302"}}""", "not a 2XX, 4XX or 5XX")]
    [InlineData("""{"type":"fixed-response","fixedResponseConfig":{"statusCode":"200","contentType":"image/png"}}""", "contentType")]
    [InlineData("""{"type":"redirect","redirectConfig":{"protocol":"HTTPS"}}""", "statusCode: is required")]
    [InlineData("""{"type":"redirect","redirectConfig":{"statusCode":"HTTP_308"}}""", "HTTP_301 or HTTP_302")]
    [InlineData("""{"type":"forward"}""", "forwardConfig, targetGroupARN or targetGroupName")]
    [InlineData("""{"type":"forward","targetGroupARN":"arn:x","forwardConfig":{"targetGroups":[{"targetGroupARN":"arn:y"}]}}""", "not both")]
    [InlineData("""{"type":"forward","forwardConfig":{"targetGroups":[]}}""", "targetGroups: cannot be empty")]
    [InlineData("""{"type":"forward","forwardConfig":{"targetGroups":[{"weight":1}]}}""", "missing serviceName or targetGroupARN/targetGroupName")]
    [InlineData("""{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"blue","targetGroupARN":"arn:x"}]}}""", "not both")]
    [InlineData("""{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"blue"}]}}""", "servicePort: is required")]
    [InlineData("""{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"blue","servicePort":80},{"serviceName":"green","servicePort":80,"weight":1}]}}""", "[0].weight: must be set")]
    [InlineData("""{"type":"forward","forwardConfig":{"targetGroups":[{"targetGroupARN":"arn:x","weight":1000}]}}""", "0..999")]
    [InlineData("""{"type":"forward","forwardConfig":{"targetGroups":[{"targetGroupARN":"arn:x","weight":"1"}]}}""", "must be a whole number")]
    [InlineData("""{"type":"forward","forwardConfig":{"targetGroups":[{"targetGroupARN":"arn:x"}],"targetGroupStickinessConfig":{"enabled":"yes"}}}""", "must be true or false")]
    [InlineData("""["forward"]""", "must be a JSON object")]
    public void An_invalid_action_annotation_is_an_error_naming_the_annotation_and_its_value(string json, string message)
    {
        var error = ActionError("x", json);

        Assert.Equal("Ingress default/web", error.Object);
        Assert.Equal("annotation alb.ingress.kubernetes.io/actions.x", error.Field);
        Assert.Equal(json, error.Value);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_backend_gives_default_actions_on_every_listener_and_its_target_group()
    {
        var ingress = Ing([], defaultBackend: ServiceBackend("api", 80));

        var built = _scenario.Build(ingress, Scenario.Http80, new ListenerPort(8080, "HTTP"));

        Assert.Equal([80, 8080], built.DefaultActionsByPort.Keys.Order());
        var action = Assert.Single(built.DefaultActionsByPort[80]);
        Assert.Equal("default/web-api:80", action.Forward!.TargetGroups[0].TargetGroupArn.Ref!.ResourceId);
        Assert.Equal("default/web-api:80", Assert.Single(built.TargetGroups).Id);
        Assert.Empty(built.RulesByPort[80]);
    }

    [Fact]
    public void An_Ingress_without_a_default_backend_has_no_default_actions()
    {
        Assert.Empty(_scenario.Build(Ing(Path("/"))).DefaultActionsByPort);
    }

    [Fact]
    public void A_default_backend_on_a_missing_service_is_an_error()
    {
        var error = _scenario.Fails(Ing([], defaultBackend: ServiceBackend("ghost", 80)));

        Assert.Equal("spec.defaultBackend.service.name", error.Field);
        Assert.Equal("Service default/ghost does not exist", error.Message);
    }

    [Fact]
    public void A_service_referenced_by_several_paths_gets_one_target_group()
    {
        var built = _scenario.Build(Ing(Path("/a", "Exact"), Path("/b", "Exact"), Path("/c", "Prefix", "api", "http")));

        Assert.Equal(["default/web-api:80", "default/web-api:http"], built.TargetGroups.Select(static t => t.Id));
        Assert.Equal(2, built.TargetSets.Count);
    }
}
