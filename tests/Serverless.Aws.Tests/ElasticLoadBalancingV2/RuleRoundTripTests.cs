using Serverless.Testing;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Tests.Infrastructure;
using Action = Serverless.Aws.ElasticLoadBalancingV2.Model.Action;

namespace Serverless.Aws.Tests.ElasticLoadBalancingV2;

/// <remarks>
/// Every rule stays within AWS's limit of five condition values per rule, so what passes here would pass on AWS;
/// moto does not check that limit.
/// </remarks>
[Collection(MotoCollection.Name)]
public sealed class RuleRoundTripTests(MotoFixture fixture) : MotoTest(fixture)
{
    private const string UserPoolArn = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEfGhI";

    [Fact]
    public async Task A_rule_with_host_path_and_header_conditions_and_a_weighted_sticky_forward_is_read_back_field_by_field()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var (listener, blue, green) = await HttpListenerWithTwoTargetGroupsAsync(bed);

        var created = Assert.Single((await bed.Elb.CreateRuleAsync(new CreateRuleRequest
        {
            ListenerArn = listener.ListenerArn,
            Priority = 10,
            Conditions =
            [
                new RuleCondition { Field = "host-header", HostHeaderConfig = new HostHeaderConditionConfig { Values = ["shop.example.com"] } },
                new RuleCondition { Field = "path-pattern", PathPatternConfig = new PathPatternConditionConfig { Values = ["/api/*"] } },
                new RuleCondition { Field = "http-header", HttpHeaderConfig = new HttpHeaderConditionConfig { HttpHeaderName = "X-Canary", Values = ["on"] } },
            ],
            Actions = [WeightedForward(blue.TargetGroupArn!, 3, green.TargetGroupArn!, 7)],
        })).Rules!);
        var described = Assert.Single((await bed.Elb.DescribeRulesAsync(new DescribeRulesRequest { RuleArns = [created.RuleArn!] })).Rules!);

        foreach (var rule in new[] { created, described })
        {
            Assert.Equal(created.RuleArn, rule.RuleArn);
            Assert.Contains(":listener-rule/app/web/", rule.RuleArn, StringComparison.Ordinal);
            Assert.Equal("10", rule.Priority);
            Assert.False(rule.IsDefault);
            Assert.Equal(3, rule.Conditions!.Count);
            var host = Assert.Single(rule.Conditions, static c => c.Field == "host-header");
            Assert.Equal(["shop.example.com"], host.HostHeaderConfig!.Values);
            var path = Assert.Single(rule.Conditions, static c => c.Field == "path-pattern");
            Assert.Equal(["/api/*"], path.PathPatternConfig!.Values);
            var header = Assert.Single(rule.Conditions, static c => c.Field == "http-header");
            Assert.Equal("X-Canary", header.HttpHeaderConfig!.HttpHeaderName);
            Assert.Equal(["on"], header.HttpHeaderConfig.Values);

            var action = Assert.Single(rule.Actions!);
            Assert.Equal(ActionTypeEnumValues.Forward, action.Type);
            var forward = action.ForwardConfig!;
            Assert.Equal(
                [(blue.TargetGroupArn, 3), (green.TargetGroupArn, 7)],
                forward.TargetGroups!.Select(static t => (t.TargetGroupArn, t.Weight ?? -1)).OrderBy(static t => t.Item2));
            Assert.True(forward.TargetGroupStickinessConfig!.Enabled);
            Assert.Equal(120, forward.TargetGroupStickinessConfig.DurationSeconds);
        }
    }

    [Fact]
    public async Task A_rule_with_method_query_string_and_source_ip_conditions_is_read_back_with_every_value()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var (listener, blue, _) = await HttpListenerWithTwoTargetGroupsAsync(bed);

        var created = Assert.Single((await bed.Elb.CreateRuleAsync(new CreateRuleRequest
        {
            ListenerArn = listener.ListenerArn,
            Priority = 20,
            Conditions =
            [
                new RuleCondition { Field = "http-request-method", HttpRequestMethodConfig = new HttpRequestMethodConditionConfig { Values = ["GET", "HEAD"] } },
                new RuleCondition
                {
                    Field = "query-string",
                    QueryStringConfig = new QueryStringConditionConfig
                    {
                        Values = [new QueryStringKeyValuePair { Key = "version", Value = "v1" }, new QueryStringKeyValuePair { Value = "beta" }],
                    },
                },
                new RuleCondition { Field = "source-ip", SourceIpConfig = new SourceIpConditionConfig { Values = ["10.0.0.0/8"] } },
            ],
            Actions = [ElbTestBed.Forward(blue.TargetGroupArn!)],
        })).Rules!);
        var described = Assert.Single((await bed.Elb.DescribeRulesAsync(new DescribeRulesRequest { RuleArns = [created.RuleArn!] })).Rules!);

        foreach (var rule in new[] { created, described })
        {
            Assert.Equal("20", rule.Priority);
            var method = Assert.Single(rule.Conditions!, static c => c.Field == "http-request-method");
            Assert.Equal(["GET", "HEAD"], method.HttpRequestMethodConfig!.Values);
            var query = Assert.Single(rule.Conditions!, static c => c.Field == "query-string");
            Assert.Equal(
                [("version", "v1"), (null, "beta")],
                query.QueryStringConfig!.Values!.Select(static p => (p.Key, p.Value)));
            var source = Assert.Single(rule.Conditions!, static c => c.Field == "source-ip");
            Assert.Equal(["10.0.0.0/8"], source.SourceIpConfig!.Values);
            var action = Assert.Single(rule.Actions!);
            Assert.Equal(ActionTypeEnumValues.Forward, action.Type);
            Assert.Equal(blue.TargetGroupArn, action.TargetGroupArn);
        }
    }

    [Fact]
    public async Task Redirect_and_fixed_response_rules_are_read_back_with_every_action_field()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");
        var listener = await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!);

        var redirect = Assert.Single((await bed.Elb.CreateRuleAsync(new CreateRuleRequest
        {
            ListenerArn = listener.ListenerArn,
            Priority = 1,
            Conditions = [ElbTestBed.PathCondition("/old/*")],
            Actions =
            [
                new Action
                {
                    Type = ActionTypeEnumValues.Redirect,
                    RedirectConfig = new RedirectActionConfig
                    {
                        Protocol = "HTTPS",
                        Port = "8443",
                        Host = "new.example.com",
                        Path = "/new/#{path}",
                        Query = "moved=1",
                        StatusCode = RedirectActionStatusCodeEnumValues.HTTP302,
                    },
                },
            ],
        })).Rules!);
        var fixedResponse = Assert.Single((await bed.Elb.CreateRuleAsync(new CreateRuleRequest
        {
            ListenerArn = listener.ListenerArn,
            Priority = 2,
            Conditions = [ElbTestBed.PathCondition("/health")],
            Actions =
            [
                new Action
                {
                    Type = ActionTypeEnumValues.FixedResponse,
                    FixedResponseConfig = new FixedResponseActionConfig { StatusCode = "200", ContentType = "application/json", MessageBody = "{\"ok\":true}" },
                },
            ],
        })).Rules!);
        var described = (await bed.Elb.DescribeRulesAsync(new DescribeRulesRequest { RuleArns = [redirect.RuleArn!, fixedResponse.RuleArn!] })).Rules!;

        Assert.Equal(2, described.Count);
        foreach (var rule in new[] { redirect, described.Single(r => r.RuleArn == redirect.RuleArn) })
        {
            var config = Assert.Single(rule.Actions!).RedirectConfig!;
            Assert.Equal(ActionTypeEnumValues.Redirect, rule.Actions![0].Type);
            Assert.Equal("HTTPS", config.Protocol);
            Assert.Equal("8443", config.Port);
            Assert.Equal("new.example.com", config.Host);
            Assert.Equal("/new/#{path}", config.Path);
            Assert.Equal("moved=1", config.Query);
            Assert.Equal("HTTP_302", config.StatusCode);
        }
        foreach (var rule in new[] { fixedResponse, described.Single(r => r.RuleArn == fixedResponse.RuleArn) })
        {
            var action = Assert.Single(rule.Actions!);
            Assert.Equal(ActionTypeEnumValues.FixedResponse, action.Type);
            Assert.Equal("200", action.FixedResponseConfig!.StatusCode);
            Assert.Equal("application/json", action.FixedResponseConfig.ContentType);
            Assert.Equal("{\"ok\":true}", action.FixedResponseConfig.MessageBody);
            Assert.Equal(["/health"], Assert.Single(rule.Conditions!).PathPatternConfig!.Values);
        }
    }

    [Fact]
    public async Task An_authenticate_oidc_rule_on_an_HTTPS_listener_is_read_back_with_every_OIDC_field_and_the_extra_params()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var (listener, blue, _) = await HttpsListenerWithTargetGroupAsync(bed);

        var created = Assert.Single((await bed.Elb.CreateRuleAsync(new CreateRuleRequest
        {
            ListenerArn = listener.ListenerArn,
            Priority = 5,
            Conditions = [new RuleCondition { Field = "host-header", HostHeaderConfig = new HostHeaderConditionConfig { Values = ["admin.example.com"] } }],
            Actions =
            [
                new Action
                {
                    Type = ActionTypeEnumValues.AuthenticateOidc,
                    Order = 1,
                    AuthenticateOidcConfig = new AuthenticateOidcActionConfig
                    {
                        Issuer = "https://idp.example.com",
                        AuthorizationEndpoint = "https://idp.example.com/authorize",
                        TokenEndpoint = "https://idp.example.com/token",
                        UserInfoEndpoint = "https://idp.example.com/userinfo",
                        ClientId = "client-123",
                        ClientSecret = "s3cret",
                        SessionCookieName = "AWSELBAuthSessionCookie-admin",
                        Scope = "openid email",
                        SessionTimeout = 3600,
                        OnUnauthenticatedRequest = AuthenticateOidcActionConditionalBehaviorEnumValues.Authenticate,
                        AuthenticationRequestExtraParams = new Dictionary<string, string> { ["prompt"] = "login", ["display"] = "page" },
                    },
                },
                new Action { Type = ActionTypeEnumValues.Forward, Order = 2, TargetGroupArn = blue.TargetGroupArn },
            ],
        })).Rules!);
        var described = Assert.Single((await bed.Elb.DescribeRulesAsync(new DescribeRulesRequest { RuleArns = [created.RuleArn!] })).Rules!);

        foreach (var rule in new[] { created, described })
        {
            Assert.Equal("5", rule.Priority);
            Assert.Equal(2, rule.Actions!.Count);
            var auth = Assert.Single(rule.Actions, static a => a.Type == ActionTypeEnumValues.AuthenticateOidc);
            Assert.Equal(1, auth.Order);
            var oidc = auth.AuthenticateOidcConfig!;
            Assert.Equal("https://idp.example.com", oidc.Issuer);
            Assert.Equal("https://idp.example.com/authorize", oidc.AuthorizationEndpoint);
            Assert.Equal("https://idp.example.com/token", oidc.TokenEndpoint);
            Assert.Equal("https://idp.example.com/userinfo", oidc.UserInfoEndpoint);
            Assert.Equal("client-123", oidc.ClientId);
            Assert.Equal("AWSELBAuthSessionCookie-admin", oidc.SessionCookieName);
            Assert.Equal("openid email", oidc.Scope);
            Assert.Equal(3600, oidc.SessionTimeout);
            Assert.Equal("authenticate", oidc.OnUnauthenticatedRequest);
            Assert.Equal(
                new Dictionary<string, string> { ["display"] = "page", ["prompt"] = "login" },
                oidc.AuthenticationRequestExtraParams);
            var forward = Assert.Single(rule.Actions, static a => a.Type == ActionTypeEnumValues.Forward);
            Assert.Equal(2, forward.Order);
            Assert.Equal(blue.TargetGroupArn, forward.TargetGroupArn);
        }
    }

    [Fact]
    public async Task An_authenticate_cognito_rule_on_an_HTTPS_listener_is_read_back_with_its_user_pool_fields()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var (listener, blue, _) = await HttpsListenerWithTargetGroupAsync(bed);

        var created = Assert.Single((await bed.Elb.CreateRuleAsync(new CreateRuleRequest
        {
            ListenerArn = listener.ListenerArn,
            Priority = 6,
            Conditions = [ElbTestBed.PathCondition("/members/*")],
            Actions =
            [
                new Action
                {
                    Type = ActionTypeEnumValues.AuthenticateCognito,
                    Order = 1,
                    AuthenticateCognitoConfig = new AuthenticateCognitoActionConfig
                    {
                        UserPoolArn = UserPoolArn,
                        UserPoolClientId = "4abcdefghijklmnop",
                        UserPoolDomain = "members-auth",
                        SessionCookieName = "members-session",
                        Scope = "openid",
                        SessionTimeout = 600,
                        OnUnauthenticatedRequest = AuthenticateCognitoActionConditionalBehaviorEnumValues.Deny,
                        AuthenticationRequestExtraParams = new Dictionary<string, string> { ["lang"] = "en" },
                    },
                },
                new Action { Type = ActionTypeEnumValues.Forward, Order = 2, TargetGroupArn = blue.TargetGroupArn },
            ],
        })).Rules!);
        var described = Assert.Single((await bed.Elb.DescribeRulesAsync(new DescribeRulesRequest { ListenerArn = listener.ListenerArn })).Rules!, static r => r.IsDefault != true);

        foreach (var rule in new[] { created, described })
        {
            Assert.Equal(created.RuleArn, rule.RuleArn);
            var auth = Assert.Single(rule.Actions!, static a => a.Type == ActionTypeEnumValues.AuthenticateCognito);
            Assert.Equal(1, auth.Order);
            var cognito = auth.AuthenticateCognitoConfig!;
            Assert.Equal(UserPoolArn, cognito.UserPoolArn);
            Assert.Equal("4abcdefghijklmnop", cognito.UserPoolClientId);
            Assert.Equal("members-auth", cognito.UserPoolDomain);
            Assert.Equal("members-session", cognito.SessionCookieName);
            Assert.Equal("openid", cognito.Scope);
            Assert.Equal(600, cognito.SessionTimeout);
            Assert.Equal("deny", cognito.OnUnauthenticatedRequest);
            Assert.Equal(new Dictionary<string, string> { ["lang"] = "en" }, cognito.AuthenticationRequestExtraParams);
            Assert.Equal(blue.TargetGroupArn, Assert.Single(rule.Actions!, static a => a.Type == ActionTypeEnumValues.Forward).TargetGroupArn);
        }
    }

    [Fact]
    public async Task Describing_rules_by_listener_returns_the_rules_and_the_default_rule_with_the_listener_default_action()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var (listener, blue, green) = await HttpListenerWithTwoTargetGroupsAsync(bed);
        var first = await bed.CreatePathRuleAsync(listener.ListenerArn!, 1, "/blue/*", blue.TargetGroupArn!);
        var second = await bed.CreatePathRuleAsync(listener.ListenerArn!, 2, "/green/*", green.TargetGroupArn!);

        var rules = (await bed.Elb.DescribeRulesAsync(new DescribeRulesRequest { ListenerArn = listener.ListenerArn })).Rules!;

        Assert.Equal(3, rules.Count);
        Assert.Equal([(first.RuleArn, "1"), (second.RuleArn, "2")], rules.Where(static r => r.IsDefault == false).Select(static r => (r.RuleArn, r.Priority)));
        var defaultRule = Assert.Single(rules, static r => r.IsDefault == true);
        Assert.Equal("default", defaultRule.Priority);
        Assert.Empty(defaultRule.Conditions ?? []);
        Assert.Equal("404", Assert.Single(defaultRule.Actions!).FixedResponseConfig?.StatusCode);
        Assert.Equal(green.TargetGroupArn, Assert.Single(rules.Single(r => r.RuleArn == second.RuleArn).Actions!).TargetGroupArn);
    }

    [Fact]
    public async Task Modifying_a_rule_replaces_its_conditions_and_actions_and_keeps_its_priority()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var (listener, blue, green) = await HttpListenerWithTwoTargetGroupsAsync(bed);
        var rule = await bed.CreatePathRuleAsync(listener.ListenerArn!, 7, "/old/*", blue.TargetGroupArn!);

        var modified = Assert.Single((await bed.Elb.ModifyRuleAsync(new ModifyRuleRequest
        {
            RuleArn = rule.RuleArn,
            Conditions =
            [
                ElbTestBed.PathCondition("/new/*", "/v2/*"),
                new RuleCondition { Field = "host-header", HostHeaderConfig = new HostHeaderConditionConfig { Values = ["api.example.com"] } },
            ],
            Actions = [WeightedForward(blue.TargetGroupArn!, 1, green.TargetGroupArn!, 4)],
        })).Rules!);
        var described = Assert.Single((await bed.Elb.DescribeRulesAsync(new DescribeRulesRequest { RuleArns = [rule.RuleArn!] })).Rules!);

        foreach (var r in new[] { modified, described })
        {
            Assert.Equal(rule.RuleArn, r.RuleArn);
            Assert.Equal("7", r.Priority);
            Assert.Equal(["/new/*", "/v2/*"], Assert.Single(r.Conditions!, static c => c.Field == "path-pattern").PathPatternConfig!.Values);
            Assert.Equal(["api.example.com"], Assert.Single(r.Conditions!, static c => c.Field == "host-header").HostHeaderConfig!.Values);
            var forward = Assert.Single(r.Actions!).ForwardConfig!;
            Assert.Equal(
                [(blue.TargetGroupArn, 1), (green.TargetGroupArn, 4)],
                forward.TargetGroups!.Select(static t => (t.TargetGroupArn, t.Weight ?? -1)).OrderBy(static t => t.Item2));
        }
    }

    /// <remarks>
    /// AWS accepts a swap of two priorities in one SetRulePriorities call; moto 5.2 rejects it with PriorityInUse
    /// because it checks each new priority against the rules as they are. So the order of two rules is inverted here
    /// by moving both to free priorities in one call, which both accept.
    /// </remarks>
    [Fact]
    public async Task Setting_rule_priorities_moves_both_rules_in_one_call_and_describe_reads_the_new_priorities_back()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var (listener, blue, green) = await HttpListenerWithTwoTargetGroupsAsync(bed);
        var first = await bed.CreatePathRuleAsync(listener.ListenerArn!, 1, "/a/*", blue.TargetGroupArn!);
        var second = await bed.CreatePathRuleAsync(listener.ListenerArn!, 2, "/b/*", green.TargetGroupArn!);

        var response = await bed.Elb.SetRulePrioritiesAsync(new SetRulePrioritiesRequest
        {
            RulePriorities =
            [
                new RulePriorityPair { RuleArn = first.RuleArn, Priority = 20 },
                new RulePriorityPair { RuleArn = second.RuleArn, Priority = 10 },
            ],
        });
        var described = (await bed.Elb.DescribeRulesAsync(new DescribeRulesRequest { RuleArns = [first.RuleArn!, second.RuleArn!] })).Rules!;

        var expected = new Dictionary<string, string> { [first.RuleArn!] = "20", [second.RuleArn!] = "10" };
        Assert.Equal(expected, response.Rules!.ToDictionary(static r => r.RuleArn!, static r => r.Priority!));
        Assert.Equal(expected, described.ToDictionary(static r => r.RuleArn!, static r => r.Priority!));
        Assert.Equal(["/b/*"], described.Single(r => r.RuleArn == second.RuleArn).Conditions![0].PathPatternConfig!.Values);
    }

    [Fact]
    public async Task A_deleted_rule_is_gone_from_its_listener_and_not_found_by_arn()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var (listener, blue, _) = await HttpListenerWithTwoTargetGroupsAsync(bed);
        var deleted = await bed.CreatePathRuleAsync(listener.ListenerArn!, 1, "/a/*", blue.TargetGroupArn!);
        var kept = await bed.CreatePathRuleAsync(listener.ListenerArn!, 2, "/b/*", blue.TargetGroupArn!);

        await bed.Elb.DeleteRuleAsync(new DeleteRuleRequest { RuleArn = deleted.RuleArn });

        var remaining = (await bed.Elb.DescribeRulesAsync(new DescribeRulesRequest { ListenerArn = listener.ListenerArn })).Rules!;
        Assert.Equal([kept.RuleArn], remaining.Where(static r => r.IsDefault == false).Select(static r => r.RuleArn));
        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => bed.Elb.DescribeRulesAsync(new DescribeRulesRequest { RuleArns = [deleted.RuleArn!] }));
        ElbAssert.IsTypedError(error, ElasticLoadBalancingV2ErrorCode.RuleNotFound, static e => e.IsRuleNotFound);
    }

    internal static Action WeightedForward(string firstArn, int firstWeight, string secondArn, int secondWeight) => new()
    {
        Type = ActionTypeEnumValues.Forward,
        ForwardConfig = new ForwardActionConfig
        {
            TargetGroups =
            [
                new TargetGroupTuple { TargetGroupArn = firstArn, Weight = firstWeight },
                new TargetGroupTuple { TargetGroupArn = secondArn, Weight = secondWeight },
            ],
            TargetGroupStickinessConfig = new TargetGroupStickinessConfig { Enabled = true, DurationSeconds = 120 },
        },
    };

    private static async Task<(Listener Listener, TargetGroup Blue, TargetGroup Green)> HttpListenerWithTwoTargetGroupsAsync(ElbTestBed bed)
    {
        var lb = await bed.CreateAlbAsync("web");
        var blue = await bed.CreateTargetGroupAsync("blue");
        var green = await bed.CreateTargetGroupAsync("green");
        var listener = await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!);
        return (listener, blue, green);
    }

    private static async Task<(Listener Listener, TargetGroup Blue, string Certificate)> HttpsListenerWithTargetGroupAsync(ElbTestBed bed)
    {
        var lb = await bed.CreateAlbAsync("web");
        var blue = await bed.CreateTargetGroupAsync("blue");
        var certificate = await bed.ImportCertificateAsync("web.example.com");
        var listener = Assert.Single((await bed.Elb.CreateListenerAsync(new CreateListenerRequest
        {
            LoadBalancerArn = lb.LoadBalancerArn,
            Protocol = ProtocolEnumValues.HTTPS,
            Port = 443,
            Certificates = [new Certificate { CertificateArn = certificate }],
            DefaultActions = [ElbTestBed.FixedResponse("404")],
        })).Listeners!);
        return (listener, blue, certificate);
    }
}
