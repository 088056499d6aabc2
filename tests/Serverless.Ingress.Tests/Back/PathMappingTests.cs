using static Serverless.Ingress.Tests.Back.K;

namespace Serverless.Ingress.Tests.Back;

public sealed class PathMappingTests
{
    private readonly Scenario _scenario = new Scenario().With(Service());

    [Theory]
    [InlineData("Prefix", "/", "path-pattern=/*")]
    [InlineData("Prefix", "/foo", "path-pattern=/foo,/foo/*")]
    [InlineData("Prefix", "/foo/", "path-pattern=/foo,/foo/*")]
    [InlineData("Prefix", "/foo/bar", "path-pattern=/foo/bar,/foo/bar/*")]
    [InlineData("Exact", "/foo", "path-pattern=/foo")]
    [InlineData("Exact", "/", "path-pattern=/")]
    [InlineData("Exact", "/foo/", "path-pattern=/foo/")]
    [InlineData("ImplementationSpecific", "/foo*", "path-pattern=/foo*")]
    [InlineData("ImplementationSpecific", "/a?c", "path-pattern=/a?c")]
    [InlineData(null, "/static/*", "path-pattern=/static/*")]
    public void A_path_of_each_type_maps_to_upstreams_path_patterns(string? pathType, string path, string expected)
    {
        var rules = _scenario.Build(Ing(Path(path, pathType))).Rules80();

        Assert.Equal([expected], Assert.Single(rules).Conditions.Render());
    }

    [Theory]
    [InlineData("Exact", "/foo*")]
    [InlineData("Exact", "/fo?")]
    [InlineData("Prefix", "/foo/*")]
    [InlineData("Prefix", "/a?")]
    public void A_wildcard_in_an_Exact_or_Prefix_path_is_an_error_naming_the_path(string pathType, string path)
    {
        var error = _scenario.Fails(Ing(Path("/ok", "Exact"), Path(path, pathType)));

        Assert.Equal("Ingress default/web", error.Object);
        Assert.Equal("spec.rules[0].http.paths[1].path", error.Field);
        Assert.Equal(path, error.Value);
        Assert.Contains("wildcards", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Exact", 128, true)]
    [InlineData("Exact", 129, false)]
    [InlineData("Prefix", 126, true)]
    [InlineData("Prefix", 127, false)]
    public void A_path_pattern_longer_than_128_characters_is_an_error_before_any_AWS_call(string pathType, int length, bool accepted)
    {
        // A Prefix path /x… becomes /x… and /x…/*: the longer pattern counts.
        var path = "/" + new string('x', length - 1);
        var ingress = Ing(Path(path, pathType));

        if (accepted)
        {
            Assert.NotEmpty(_scenario.Build(ingress).RulesByPort[80]);
            return;
        }
        var error = _scenario.Fails(ingress);
        Assert.Equal(("spec.rules[0].http.paths[0].path", path), (error.Field, error.Value));
        Assert.EndsWith("characters long; a load balancer rule allows at most 128", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void With_use_regex_path_match_an_ImplementationSpecific_path_becomes_regexValues_without_its_leading_slash()
    {
        var ingress = Ing(Ann(("use-regex-path-match", "true")), Path("/^/api/(.+)$", "ImplementationSpecific"));

        var rule = Assert.Single(_scenario.Build(ingress).Rules80());

        Assert.Equal(["path-pattern~^/api/(.+)$"], rule.Conditions.Render());
        Assert.Null(rule.Conditions[0].Values);
    }

    [Fact]
    public void Use_regex_path_match_leaves_Prefix_and_Exact_paths_as_wildcard_values()
    {
        var ingress = Ing(Ann(("use-regex-path-match", "true")), Path("/a", "Exact"), Path("/b", "Prefix"));

        var rules = _scenario.Build(ingress).Rules80();

        Assert.Equal(["path-pattern=/a"], rules[0].Conditions.Render());
        Assert.Equal(["path-pattern=/b,/b/*"], rules[1].Conditions.Render());
    }

    [Fact]
    public void An_invalid_use_regex_path_match_is_an_error_only_when_an_ImplementationSpecific_path_reads_it()
    {
        Assert.Single(_scenario.Build(Ing(Ann(("use-regex-path-match", "maybe")), Path("/a", "Prefix"))).Rules80());

        var error = _scenario.Fails(Ing(Ann(("use-regex-path-match", "maybe")), Path("/a", "ImplementationSpecific")));

        Assert.Equal("annotation alb.ingress.kubernetes.io/use-regex-path-match", error.Field);
        Assert.Equal("maybe", error.Value);
    }

    [Fact]
    public void A_path_without_host_or_path_matches_everything_with_path_pattern_slash_star()
    {
        var rule = Assert.Single(_scenario.Build(Ing(Path(null, null))).Rules80());

        Assert.Equal(["path-pattern=/*"], rule.Conditions.Render());
    }

    [Fact]
    public void A_rule_host_becomes_a_host_header_condition_before_the_path_pattern()
    {
        var ingress = Ing([Rule("*.example.com", Path("/api", "Prefix"))]);

        var rule = Assert.Single(_scenario.Build(ingress).Rules80());

        Assert.Equal(["host-header=*.example.com", "path-pattern=/api,/api/*"], rule.Conditions.Render());
    }

    [Fact]
    public void A_host_without_a_path_has_only_the_host_header_condition()
    {
        var rule = Assert.Single(_scenario.Build(Ing([Rule("a.example.com", Path(null, null))])).Rules80());

        Assert.Equal(["host-header=a.example.com"], rule.Conditions.Render());
    }

    [Fact]
    public void Paths_are_ordered_Exact_first_then_Prefix_longest_first_then_the_rest_in_their_original_order()
    {
        var ingress = Ing(
            Path("/impl-one", "ImplementationSpecific"),
            Path("/b", "Prefix"),
            Path("/exact-one", "Exact"),
            Path("/dddd", "Prefix"),
            Path("/unset", null),
            Path("/xx", "Prefix"),
            Path("/yy", "Prefix"),
            Path("/exact-two", "Exact"));

        var order = _scenario.Build(ingress).Rules80().Select(static r => r.Conditions[0].Values![0]);

        Assert.Equal(["/exact-one", "/exact-two", "/dddd", "/xx", "/yy", "/b", "/impl-one", "/unset"], order);
    }

    [Fact]
    public void Errors_name_a_path_by_its_written_index_even_after_sorting()
    {
        var error = _scenario.Fails(Ing(Path("/fine", "ImplementationSpecific"), Path("/bad*", "Exact")));

        Assert.Equal("spec.rules[0].http.paths[1].path", error.Field);
    }

    [Fact]
    public void An_unknown_pathType_is_an_error_naming_the_pathType_field()
    {
        var error = _scenario.Fails(Ing(Path("/a", "Regex")));

        Assert.Equal("spec.rules[0].http.paths[0].pathType", error.Field);
        Assert.Equal("Regex", error.Value);
    }

    [Fact]
    public void Rules_without_http_are_skipped_and_the_others_keep_their_order()
    {
        var ingress = Ing([
            Rule("one.example.com", Path("/1", "Exact")),
            new k8s.Models.V1IngressRule { Host = "nohttp.example.com" },
            Rule("two.example.com", Path("/2", "Exact")),
        ]);

        var rules = _scenario.Build(ingress).Rules80();

        Assert.Equal(["host-header=one.example.com", "path-pattern=/1"], rules[0].Conditions.Render());
        Assert.Equal(["host-header=two.example.com", "path-pattern=/2"], rules[1].Conditions.Render());
        Assert.Equal(2, rules.Count);
    }

    [Fact]
    public void Every_listener_port_gets_the_same_rules_each_owned_by_the_Ingress()
    {
        var built = _scenario.Build(Ing(Path("/a", "Exact"), Path("/b", "Exact")), Scenario.Http80, new ListenerPort(8080, "HTTP"));

        Assert.Equal([80, 8080], built.RulesByPort.Keys.Order());
        Assert.Equal(built.RulesByPort[80].Select(static r => r.Conditions.Render()), built.RulesByPort[8080].Select(static r => r.Conditions.Render()));
        Assert.All(built.RulesByPort.Values.SelectMany(static r => r), static r => Assert.Equal("default/web", r.Owner));
    }

    [Fact]
    public void No_listener_ports_means_no_rules_and_no_target_groups()
    {
        var built = MemberBackendBuilder.Build(_scenario.Context(Ing(Path("/a"))), _scenario.Member(Ing(Path("/a"))), []);

        Assert.Empty(built.RulesByPort);
        Assert.Empty(built.TargetGroups);
    }
}
