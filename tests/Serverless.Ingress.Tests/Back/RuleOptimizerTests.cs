using Serverless.Model;

namespace Serverless.Ingress.Tests.Back;

public sealed class RuleOptimizerTests
{
    private static ConditionSpec Hosts(params string[] hosts) => new() { Field = "host-header", Values = hosts };

    private static ConditionSpec Paths(params string[] paths) => new() { Field = "path-pattern", Values = paths };

    private static ActionSpec Redirect(string? protocol = "HTTPS", string? port = "443", string? host = null, string? path = null, string? query = null) => new()
    {
        Type = "redirect",
        Redirect = new RedirectActionSpec { Protocol = protocol, Port = port, Host = host, Path = path, Query = query, StatusCode = "HTTP_301" },
    };

    private static readonly ActionSpec Forward = new()
    {
        Type = "forward",
        Forward = new ForwardActionSpec { TargetGroups = [new WeightedTargetGroup { TargetGroupArn = StringOrRef.Of("arn:tg") }] },
    };

    private static RuleDraft Rule(string name, ActionSpec action, params ConditionSpec[] conditions) =>
        new(conditions, [action], [], name);

    private static string[] Optimize(ListenerPort listener, params RuleDraft[] rules) =>
        [.. RuleOptimizer.Optimize(rules, listener).Select(static r => r.Owner)];

    [Fact]
    public void The_ssl_redirect_idiom_is_dropped_on_the_HTTPS_listener_where_it_would_loop()
    {
        var rules = new[] { Rule("redirect", Redirect(), Paths("/*")), Rule("app", Forward, Paths("/app", "/app/*")) };

        Assert.Equal(["app"], Optimize(Scenario.Https443, rules));
    }

    [Fact]
    public void The_ssl_redirect_idiom_on_the_HTTP_listener_shadows_every_later_rule()
    {
        var rules = new[] { Rule("redirect", Redirect(), Paths("/*")), Rule("app", Forward, Hosts("a.example.com"), Paths("/app", "/app/*")) };

        Assert.Equal(["redirect"], Optimize(Scenario.Http80, rules));
    }

    [Fact]
    public void Placeholders_in_a_redirect_count_as_keeping_the_request_as_it_is()
    {
        var rules = new[] { Rule("loop", Redirect(protocol: "#{protocol}", port: "#{port}", host: "#{host}", path: "/#{path}", query: "#{query}"), Paths("/*")) };

        Assert.Empty(Optimize(Scenario.Http80, rules));
    }

    [Theory]
    [InlineData(null, "443", "other.example.com", null, null)]
    [InlineData(null, "443", null, "/elsewhere", null)]
    [InlineData(null, "8443", null, null, null)]
    [InlineData("HTTP", "443", null, null, null)]
    [InlineData(null, "443", null, null, "x=1")]
    public void A_redirect_that_changes_any_part_of_the_request_is_kept(string? protocol, string? port, string? host, string? path, string? query)
    {
        var rules = new[] { Rule("redirect", Redirect(protocol, port, host, path, query), Hosts("a.example.com"), Paths("/old")) };

        Assert.Equal(["redirect"], Optimize(Scenario.Https443, rules));
    }

    [Fact]
    public void A_redirect_to_its_own_host_and_path_on_the_same_listener_loops()
    {
        var rules = new[] { Rule("redirect", Redirect(host: "a.example.com", path: "/old"), Hosts("a.example.com"), Paths("/old")) };

        Assert.Empty(Optimize(Scenario.Https443, rules));
    }

    [Fact]
    public void A_redirect_shadows_later_rules_whose_hosts_and_paths_it_covers_as_plain_strings()
    {
        var rules = new[]
        {
            Rule("redirect", Redirect(), Hosts("a.example.com", "b.example.com"), Paths("/old", "/old/*")),
            Rule("covered", Forward, Hosts("a.example.com"), Paths("/old")),
            Rule("other-host", Forward, Hosts("c.example.com"), Paths("/old")),
            Rule("other-path", Forward, Hosts("a.example.com"), Paths("/new")),
            Rule("no-host", Forward, Paths("/old")),
            Rule("wildcard-not-interpreted", Forward, Hosts("a.example.com"), Paths("/old/x")),
        };

        Assert.Equal(["redirect", "other-host", "other-path", "no-host", "wildcard-not-interpreted"], Optimize(Scenario.Http80, rules));
    }

    [Fact]
    public void A_redirect_without_host_condition_covers_every_host()
    {
        var rules = new[] { Rule("redirect", Redirect(), Paths("/old")), Rule("any-host", Forward, Hosts("z.example.com"), Paths("/old")) };

        Assert.Equal(["redirect"], Optimize(Scenario.Http80, rules));
    }

    [Fact]
    public void A_redirect_with_any_other_kind_of_condition_shadows_nothing()
    {
        var header = new ConditionSpec { Field = "http-header", HttpHeaderName = "X-Old", Values = ["1"] };
        var rules = new[] { Rule("redirect", Redirect(), header, Paths("/*")), Rule("app", Forward, Paths("/app")) };

        Assert.Equal(["redirect", "app"], Optimize(Scenario.Http80, rules));
    }

    [Fact]
    public void A_redirect_on_regex_hosts_shadows_nothing()
    {
        var regexHosts = new ConditionSpec { Field = "host-header", RegexValues = ["^old\\..*$"] };
        var rules = new[] { Rule("redirect", Redirect(), regexHosts), Rule("app", Forward, Hosts("new.example.com"), Paths("/app")) };

        Assert.Equal(["redirect", "app"], Optimize(Scenario.Http80, rules));
    }

    [Fact]
    public void Only_earlier_redirect_rules_shadow_and_forward_rules_never_do()
    {
        var rules = new[]
        {
            Rule("forward-all", Forward, Paths("/*")),
            Rule("app", Forward, Paths("/app")),
            Rule("redirect", Redirect(), Paths("/*")),
            Rule("late", Forward, Paths("/late")),
        };

        Assert.Equal(["forward-all", "app", "redirect"], Optimize(Scenario.Http80, rules));
    }

    [Fact]
    public void A_dropped_looping_redirect_shadows_nothing()
    {
        var rules = new[] { Rule("loop", Redirect(), Paths("/*")), Rule("app", Forward, Paths("/app")) };

        Assert.Equal(["app"], Optimize(Scenario.Https443, rules));
    }

    [Fact]
    public void A_redirect_built_from_an_Ingress_is_dropped_on_HTTPS_and_kept_on_HTTP()
    {
        var scenario = new Scenario();
        var ingress = K.Ing(K.Ann(("actions.ssl-redirect", """{"type":"redirect","redirectConfig":{"protocol":"HTTPS","port":"443","statusCode":"HTTP_301"}}""")),
            K.Path("/", "Prefix", "ssl-redirect", "use-annotation"));
        var built = scenario.Build(ingress, Scenario.Http80, Scenario.Https443);

        Assert.Single(RuleOptimizer.Optimize(built.RulesByPort[80], Scenario.Http80));
        Assert.Empty(RuleOptimizer.Optimize(built.RulesByPort[443], Scenario.Https443));
    }
}
