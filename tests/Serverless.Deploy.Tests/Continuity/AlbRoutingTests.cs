using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Testing.Continuity;
using ElbAction = Serverless.Aws.ElasticLoadBalancingV2.Model.Action;

namespace Serverless.Deploy.Tests.Continuity;

/// <summary>The harness's routing evaluation on hand-made states (no AWS).</summary>
public sealed class AlbRoutingTests
{
    private const string A = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/a/1";
    private const string B = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/b/2";

    private static Rule PathRule(int priority, string path, ElbAction action, string? host = null)
    {
        var conditions = new List<RuleCondition> { new() { Field = "path-pattern", PathPatternConfig = new PathPatternConditionConfig { Values = [path] } } };
        if (host is not null)
            conditions.Add(new RuleCondition { Field = "host-header", HostHeaderConfig = new HostHeaderConditionConfig { Values = [host] } });
        return new Rule { Priority = priority.ToString(), Conditions = conditions, Actions = [action] };
    }

    private static ElbAction Forward(params (string Arn, int Weight)[] groups) => new()
    {
        Type = "forward",
        ForwardConfig = new ForwardActionConfig { TargetGroups = [.. groups.Select(static g => new TargetGroupTuple { TargetGroupArn = g.Arn, Weight = g.Weight })] },
    };

    private static Rule Default(ElbAction action) => new() { Priority = "default", IsDefault = true, Actions = [action] };

    private static readonly ElbAction NotFound = new() { Type = "fixed-response", FixedResponseConfig = new FixedResponseActionConfig { StatusCode = "404" } };

    private static RoutingState State(IReadOnlyList<Rule> rules, string[]? aStates = null, string[]? bStates = null) => new(
        [new RoutedListener("lb", 80, rules)],
        new Dictionary<string, IReadOnlyList<string>> { [A] = aStates ?? ["healthy"], [B] = bStates ?? ["healthy"] });

    [Fact]
    public void Rules_are_evaluated_by_priority_with_path_wildcards_and_case_insensitive_hosts()
    {
        var state = State([PathRule(2, "/*", Forward((A, 1))), PathRule(1, "/api/v?/*", Forward((B, 1)), host: "*.Example.com")], bStates: ["initial"]);

        Assert.False(AlbRouting.Evaluate(state, new Probe(80, "shop.example.COM", "/api/v1/x")).Served); // rule 1: B not healthy
        Assert.True(AlbRouting.Evaluate(state, new Probe(80, "example.com", "/api/v1/x")).Served); // host misses: rule 2
        Assert.True(AlbRouting.Evaluate(state, new Probe(80, "shop.example.com", "/api/v10/x")).Served); // '?' is one character
        Assert.False(AlbRouting.Evaluate(state, new Probe(443, "shop.example.com", "/")).Served); // no listener
    }

    [Fact]
    public void A_forward_is_served_when_every_weighted_group_has_a_healthy_target()
    {
        Assert.True(AlbRouting.Evaluate(State([PathRule(1, "/*", Forward((A, 1), (B, 0)))], bStates: []), new Probe(80, "h", "/x")).Served);
        Assert.False(AlbRouting.Evaluate(State([PathRule(1, "/*", Forward((A, 1), (B, 1)))], bStates: ["initial", "draining"]), new Probe(80, "h", "/x")).Served);
        Assert.False(AlbRouting.Evaluate(State([PathRule(1, "/*", Forward((A, 0)))]), new Probe(80, "h", "/x")).Served);
    }

    [Fact]
    public void The_default_fixed_response_is_not_served_but_a_rules_fixed_response_and_a_redirect_are()
    {
        var redirect = new ElbAction { Type = "redirect", RedirectConfig = new RedirectActionConfig { Protocol = "HTTPS", StatusCode = "HTTP_301" } };
        var state = State([PathRule(1, "/maintenance", NotFound), PathRule(2, "/old/*", redirect), Default(NotFound)]);

        Assert.True(AlbRouting.Evaluate(state, new Probe(80, "h", "/maintenance")).Served);
        Assert.True(AlbRouting.Evaluate(state, new Probe(80, "h", "/old/page")).Served);
        Assert.False(AlbRouting.Evaluate(state, new Probe(80, "h", "/other")).Served);
    }

    [Fact]
    public void Rules_with_conditions_a_probe_cannot_carry_are_skipped()
    {
        var header = new Rule
        {
            Priority = "1",
            Conditions = [new RuleCondition { Field = "http-header", HttpHeaderConfig = new HttpHeaderConditionConfig { HttpHeaderName = "x-canary", Values = ["1"] } }],
            Actions = [Forward((B, 1))],
        };
        var state = State([header, PathRule(2, "/*", Forward((A, 1)))], bStates: []);

        var outcome = AlbRouting.Evaluate(state, new Probe(80, "h", "/x"));

        Assert.True(outcome.Served);
        Assert.Contains("rule 2", outcome.Detail, StringComparison.Ordinal);
    }
}
