using static Serverless.Ingress.Tests.Back.K;

namespace Serverless.Ingress.Tests.Back;

public sealed class ConditionTests
{
    private readonly Scenario _scenario = new Scenario().With(Service());

    private IReadOnlyList<Model.ConditionSpec> ConditionsOf(string conditionsJson, string? host = "app.example.com", string? path = "/api", string? pathType = "Prefix")
    {
        var ingress = Ing([Rule(host, Path(path, pathType))], Ann(("conditions.api", conditionsJson)));
        return Assert.Single(_scenario.Build(ingress).Rules80()).Conditions;
    }

    private Model.BuildError ConditionError(string conditionsJson) =>
        _scenario.Fails(Ing(Ann(("conditions.api", conditionsJson)), Path("/api")));

    [Fact]
    public void Annotation_hosts_are_appended_to_the_rule_host_in_one_host_header_condition()
    {
        var conditions = ConditionsOf("""[{"field":"host-header","hostHeaderConfig":{"values":["b.example.com"]}}]""");

        Assert.Equal(["host-header=app.example.com,b.example.com", "path-pattern=/api,/api/*"], conditions.Render());
    }

    [Fact]
    public void Annotation_paths_are_appended_to_the_path_patterns_in_one_path_pattern_condition()
    {
        var conditions = ConditionsOf("""[{"field":"path-pattern","pathPatternConfig":{"values":["/v2/*"]}}]""", host: null);

        Assert.Equal(["path-pattern=/api,/api/*,/v2/*"], conditions.Render());
    }

    [Fact]
    public void Other_condition_kinds_are_separate_conditions_placed_before_host_and_path_in_annotation_order()
    {
        var conditions = ConditionsOf("""
            [
              {"field":"source-ip","sourceIPConfig":{"values":["10.0.0.0/8"]}},
              {"field":"http-header","httpHeaderConfig":{"httpHeaderName":"X-Env","values":["canary"]}},
              {"field":"http-request-method","httpRequestMethodConfig":{"values":["GET"]}}
            ]
            """, path: "/", pathType: "Exact");

        Assert.Equal(
            ["source-ip=10.0.0.0/8", "http-header:X-Env=canary", "http-request-method=GET", "host-header=app.example.com", "path-pattern=/"],
            conditions.Render());
    }

    [Fact]
    public void A_query_string_condition_keeps_its_key_value_pairs_and_a_missing_key_stays_null()
    {
        var conditions = ConditionsOf("""[{"field":"query-string","queryStringConfig":{"values":[{"key":"v","value":"2"},{"value":"beta"}]}}]""", host: null, path: null);

        var query = Assert.Single(conditions);
        Assert.Equal("query-string", query.Field);
        Assert.Equal([new Model.QueryStringPair("v", "2"), new Model.QueryStringPair(null, "beta")], query.QueryStrings);
    }

    [Fact]
    public void An_http_header_condition_may_use_regexValues()
    {
        var conditions = ConditionsOf("""[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"User-Agent","regexValues":[".*Mobile.*"]}}]""", host: null, path: null);

        var header = Assert.Single(conditions);
        Assert.Equal("User-Agent", header.HttpHeaderName);
        Assert.Equal([".*Mobile.*"], header.RegexValues);
        Assert.Null(header.Values);
    }

    [Fact]
    public void Host_regexValues_from_the_annotation_form_their_own_host_header_condition()
    {
        var conditions = ConditionsOf("""[{"field":"host-header","hostHeaderConfig":{"regexValues":["^(.+)\\.example\\.com$"]}}]""", host: null, path: null);

        Assert.Equal(["host-header~^(.+)\\.example\\.com$"], conditions.Render());
    }

    [Fact]
    public void A_rule_with_only_annotation_conditions_gets_no_extra_slash_star()
    {
        var conditions = ConditionsOf("""[{"field":"http-request-method","httpRequestMethodConfig":{"values":["POST"]}}]""", host: null, path: null);

        Assert.Equal(["http-request-method=POST"], conditions.Render());
    }

    [Fact]
    public void Mixing_host_values_and_host_regexValues_is_an_error_naming_the_conditions_annotation()
    {
        var ingress = Ing([Rule("app.example.com", Path("/api"))], Ann(("conditions.api", """[{"field":"host-header","hostHeaderConfig":{"regexValues":["^x$"]}}]""")));

        var error = _scenario.Fails(ingress);

        Assert.Equal("annotation alb.ingress.kubernetes.io/conditions.api", error.Field);
        Assert.Contains("host condition", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mixing_regex_paths_with_annotation_path_values_is_an_error()
    {
        var ingress = Ing(
            Ann(("use-regex-path-match", "true"), ("conditions.api", """[{"field":"path-pattern","pathPatternConfig":{"values":["/x"]}}]""")),
            Path("/^/api$", "ImplementationSpecific"));

        var error = _scenario.Fails(ingress);

        Assert.Equal("annotation alb.ingress.kubernetes.io/conditions.api", error.Field);
        Assert.Contains("path condition", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Five_condition_values_are_allowed()
    {
        var conditions = ConditionsOf("""[{"field":"http-request-method","httpRequestMethodConfig":{"values":["GET","HEAD"]}}]""");

        Assert.Equal(5, conditions.Sum(static c => c.Values!.Count));
    }

    [Fact]
    public void More_than_five_condition_values_is_an_error_naming_the_path()
    {
        var ingress = Ing(
            [Rule("app.example.com", Path("/api"), Path("/other", "Exact"))],
            Ann(("conditions.api", """[{"field":"http-request-method","httpRequestMethodConfig":{"values":["GET","HEAD","POST"]}}]""")));

        var error = _scenario.Fails(ingress);

        Assert.Equal("Ingress default/web", error.Object);
        Assert.Equal("spec.rules[0].http.paths[0].path", error.Field);
        Assert.Equal("/api", error.Value);
        Assert.Contains("6 condition values", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Query_string_pairs_count_against_the_five_value_limit()
    {
        var error = ConditionError("""[{"field":"query-string","queryStringConfig":{"values":[{"value":"1"},{"value":"2"},{"value":"3"},{"value":"4"}]}}]""");

        Assert.Contains("6 condition values", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Conditions_of_another_service_do_not_apply()
    {
        var ingress = Ing([Rule(null, Path("/api"))], Ann(("conditions.other", """[{"field":"source-ip","sourceIPConfig":{"values":["1.2.3.4/32"]}}]""")));

        Assert.Equal(["path-pattern=/api,/api/*"], Assert.Single(_scenario.Build(ingress).Rules80()).Conditions.Render());
    }

    [Fact]
    public void Condition_keys_match_case_insensitively_as_Go_does()
    {
        var conditions = ConditionsOf("""[{"Field":"source-ip","SourceIpConfig":{"Values":["10.0.0.0/8"]}}]""", host: null, path: null);

        Assert.Equal(["source-ip=10.0.0.0/8"], conditions.Render());
    }

    [Theory]
    [InlineData("""{"field":"host-header"}""", "must be a JSON array")]
    [InlineData("""[{"field":"host-header"}]""", "[0].hostHeaderConfig: is required")]
    [InlineData("""[{"field":"host-header","hostHeaderConfig":{}}]""", "values or regexValues must be specified")]
    [InlineData("""[{"field":"path-pattern","pathPatternConfig":{"values":["/a"],"regexValues":["b"]}}]""", "precisely one of values and regexValues")]
    [InlineData("""[{"field":"http-header","httpHeaderConfig":{"values":["x"]}}]""", "httpHeaderName: is required")]
    [InlineData("""[{"field":"http-request-method","httpRequestMethodConfig":{"values":[]}}]""", "values: cannot be empty")]
    [InlineData("""[{"field":"source-ip","sourceIPConfig":{}}]""", "values: cannot be empty")]
    [InlineData("""[{"field":"query-string","queryStringConfig":{"values":[{"key":"a"}]}}]""", "value: cannot be empty")]
    [InlineData("""[{"field":"source-ip","sourceIPConfig":{"values":"10.0.0.0/8"}}]""", "must be a JSON array")]
    [InlineData("""[{"field":"cookie","cookieConfig":{}}]""", "unknown condition field")]
    [InlineData("""[{"field":""", "not valid JSON")]
    public void An_invalid_conditions_annotation_is_an_error_naming_the_annotation_and_its_value(string json, string message)
    {
        var error = ConditionError(json);

        Assert.Equal("Ingress default/web", error.Object);
        Assert.Equal("annotation alb.ingress.kubernetes.io/conditions.api", error.Field);
        Assert.Equal(json, error.Value);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
