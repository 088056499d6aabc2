using Serverless.Testing;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Tests.Infrastructure;
using Action = Serverless.Aws.ElasticLoadBalancingV2.Model.Action;

namespace Serverless.Aws.Tests.ElasticLoadBalancingV2;

/// <summary>
/// The exact Query-protocol form our client sends for the nested shapes. moto silently drops mis-encoded
/// parameters, so a round trip alone could hide a wrong name; these tests pin the names AWS documents.
/// The requests still go to moto, which must accept them.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class WireFormatTests(MotoFixture fixture) : MotoTest(fixture)
{
    [Fact]
    public async Task A_client_with_an_HTTP_handler_wrapper_builds_the_wrapped_chain_once_and_sends_every_request_through_it()
    {
        var wraps = 0;
        CapturingHandler? capture = null;
        using var elb = new ElasticLoadBalancingV2Client(Moto.ClientOptions(wrap: inner =>
        {
            Interlocked.Increment(ref wraps);
            return capture = new CapturingHandler(inner);
        }));

        for (var i = 0; i < 5; i++)
            await elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest());

        Assert.Equal(1, wraps);
        Assert.Equal(5, capture!.Requests.Count);
    }

    [Fact]
    public async Task CreateRule_sends_conditions_actions_maps_and_weighted_target_groups_as_member_and_entry_lists()
    {
        CapturingHandler? capture = null;
        using var bed = await ElbTestBed.CreateAsync(Moto, Moto.ClientOptions(wrap: inner => capture = new CapturingHandler(inner)));
        var lb = await bed.CreateAlbAsync("web");
        var blue = await bed.CreateTargetGroupAsync("blue");
        var green = await bed.CreateTargetGroupAsync("green");
        var listener = await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!);

        await bed.Elb.CreateRuleAsync(new CreateRuleRequest
        {
            ListenerArn = listener.ListenerArn,
            Priority = 10,
            Conditions =
            [
                new RuleCondition
                {
                    Field = "query-string",
                    QueryStringConfig = new QueryStringConditionConfig
                    {
                        Values = [new QueryStringKeyValuePair { Key = "version", Value = "v1" }, new QueryStringKeyValuePair { Value = "beta" }],
                    },
                },
                new RuleCondition { Field = "http-header", HttpHeaderConfig = new HttpHeaderConditionConfig { HttpHeaderName = "X-Env", Values = ["staging"] } },
                new RuleCondition { Field = "source-ip", SourceIpConfig = new SourceIpConditionConfig { Values = ["192.0.2.0/24"] } },
            ],
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
                        SessionTimeout = 3600,
                        OnUnauthenticatedRequest = "authenticate",
                        AuthenticationRequestExtraParams = new Dictionary<string, string> { ["prompt"] = "login", ["display"] = "page" },
                    },
                },
                new Action
                {
                    Type = ActionTypeEnumValues.Forward,
                    Order = 2,
                    ForwardConfig = new ForwardActionConfig
                    {
                        TargetGroups =
                        [
                            new TargetGroupTuple { TargetGroupArn = blue.TargetGroupArn, Weight = 3 },
                            new TargetGroupTuple { TargetGroupArn = green.TargetGroupArn, Weight = 7 },
                        ],
                        TargetGroupStickinessConfig = new TargetGroupStickinessConfig { Enabled = true, DurationSeconds = 120 },
                    },
                },
            ],
        });

        var form = capture!.Last("CreateRule");
        var expected = new Dictionary<string, string>
        {
            ["Action"] = "CreateRule",
            ["Version"] = "2015-12-01",
            ["ListenerArn"] = listener.ListenerArn!,
            ["Priority"] = "10",
            ["Conditions.member.1.Field"] = "query-string",
            ["Conditions.member.1.QueryStringConfig.Values.member.1.Key"] = "version",
            ["Conditions.member.1.QueryStringConfig.Values.member.1.Value"] = "v1",
            ["Conditions.member.1.QueryStringConfig.Values.member.2.Value"] = "beta",
            ["Conditions.member.2.Field"] = "http-header",
            ["Conditions.member.2.HttpHeaderConfig.HttpHeaderName"] = "X-Env",
            ["Conditions.member.2.HttpHeaderConfig.Values.member.1"] = "staging",
            ["Conditions.member.3.Field"] = "source-ip",
            ["Conditions.member.3.SourceIpConfig.Values.member.1"] = "192.0.2.0/24",
            ["Actions.member.1.Type"] = "authenticate-oidc",
            ["Actions.member.1.Order"] = "1",
            ["Actions.member.1.AuthenticateOidcConfig.Issuer"] = "https://idp.example.com",
            ["Actions.member.1.AuthenticateOidcConfig.AuthorizationEndpoint"] = "https://idp.example.com/authorize",
            ["Actions.member.1.AuthenticateOidcConfig.TokenEndpoint"] = "https://idp.example.com/token",
            ["Actions.member.1.AuthenticateOidcConfig.UserInfoEndpoint"] = "https://idp.example.com/userinfo",
            ["Actions.member.1.AuthenticateOidcConfig.ClientId"] = "client-123",
            ["Actions.member.1.AuthenticateOidcConfig.ClientSecret"] = "s3cret",
            ["Actions.member.1.AuthenticateOidcConfig.SessionTimeout"] = "3600",
            ["Actions.member.1.AuthenticateOidcConfig.OnUnauthenticatedRequest"] = "authenticate",
            ["Actions.member.1.AuthenticateOidcConfig.AuthenticationRequestExtraParams.entry.1.key"] = "display",
            ["Actions.member.1.AuthenticateOidcConfig.AuthenticationRequestExtraParams.entry.1.value"] = "page",
            ["Actions.member.1.AuthenticateOidcConfig.AuthenticationRequestExtraParams.entry.2.key"] = "prompt",
            ["Actions.member.1.AuthenticateOidcConfig.AuthenticationRequestExtraParams.entry.2.value"] = "login",
            ["Actions.member.2.Type"] = "forward",
            ["Actions.member.2.Order"] = "2",
            ["Actions.member.2.ForwardConfig.TargetGroups.member.1.TargetGroupArn"] = blue.TargetGroupArn!,
            ["Actions.member.2.ForwardConfig.TargetGroups.member.1.Weight"] = "3",
            ["Actions.member.2.ForwardConfig.TargetGroups.member.2.TargetGroupArn"] = green.TargetGroupArn!,
            ["Actions.member.2.ForwardConfig.TargetGroups.member.2.Weight"] = "7",
            ["Actions.member.2.ForwardConfig.TargetGroupStickinessConfig.Enabled"] = "true",
            ["Actions.member.2.ForwardConfig.TargetGroupStickinessConfig.DurationSeconds"] = "120",
        };
        Assert.Equal(expected.OrderBy(static kv => kv.Key, StringComparer.Ordinal), form.OrderBy(static kv => kv.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async Task CreateRule_sends_the_cognito_action_and_host_path_and_method_conditions_under_their_documented_names()
    {
        CapturingHandler? capture = null;
        using var bed = await ElbTestBed.CreateAsync(Moto, Moto.ClientOptions(wrap: inner => capture = new CapturingHandler(inner)));
        var lb = await bed.CreateAlbAsync("web");
        var listener = await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!);

        await bed.Elb.CreateRuleAsync(new CreateRuleRequest
        {
            ListenerArn = listener.ListenerArn,
            Priority = 3,
            Conditions =
            [
                new RuleCondition { Field = "host-header", HostHeaderConfig = new HostHeaderConditionConfig { Values = ["a.example.com", "b.example.com"] } },
                new RuleCondition { Field = "path-pattern", PathPatternConfig = new PathPatternConditionConfig { Values = ["/x/*"] } },
                new RuleCondition { Field = "http-request-method", HttpRequestMethodConfig = new HttpRequestMethodConditionConfig { Values = ["POST"] } },
            ],
            Actions =
            [
                new Action
                {
                    Type = ActionTypeEnumValues.AuthenticateCognito,
                    Order = 1,
                    AuthenticateCognitoConfig = new AuthenticateCognitoActionConfig
                    {
                        UserPoolArn = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC",
                        UserPoolClientId = "client",
                        UserPoolDomain = "domain",
                        AuthenticationRequestExtraParams = new Dictionary<string, string> { ["lang"] = "en" },
                    },
                },
                new Action
                {
                    Type = ActionTypeEnumValues.Redirect,
                    Order = 2,
                    RedirectConfig = new RedirectActionConfig { Protocol = "HTTPS", Port = "443", StatusCode = "HTTP_301" },
                },
            ],
        });

        var form = capture!.Last("CreateRule");
        Assert.Equal("host-header", form["Conditions.member.1.Field"]);
        Assert.Equal("a.example.com", form["Conditions.member.1.HostHeaderConfig.Values.member.1"]);
        Assert.Equal("b.example.com", form["Conditions.member.1.HostHeaderConfig.Values.member.2"]);
        Assert.Equal("/x/*", form["Conditions.member.2.PathPatternConfig.Values.member.1"]);
        Assert.Equal("POST", form["Conditions.member.3.HttpRequestMethodConfig.Values.member.1"]);
        Assert.Equal("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC", form["Actions.member.1.AuthenticateCognitoConfig.UserPoolArn"]);
        Assert.Equal("client", form["Actions.member.1.AuthenticateCognitoConfig.UserPoolClientId"]);
        Assert.Equal("domain", form["Actions.member.1.AuthenticateCognitoConfig.UserPoolDomain"]);
        Assert.Equal("lang", form["Actions.member.1.AuthenticateCognitoConfig.AuthenticationRequestExtraParams.entry.1.key"]);
        Assert.Equal("en", form["Actions.member.1.AuthenticateCognitoConfig.AuthenticationRequestExtraParams.entry.1.value"]);
        Assert.Equal("HTTPS", form["Actions.member.2.RedirectConfig.Protocol"]);
        Assert.Equal("443", form["Actions.member.2.RedirectConfig.Port"]);
        Assert.Equal("HTTP_301", form["Actions.member.2.RedirectConfig.StatusCode"]);
        // The typed configs replace the legacy Conditions.member.N.Values list: it must not be sent alongside them.
        Assert.DoesNotContain(form.Keys, static k => k.StartsWith("Conditions.member.", StringComparison.Ordinal) && k.Split('.')[3] == "Values");
    }

    /// <remarks>
    /// moto keeps only a target's Id and Port, so AvailabilityZone (needed for IP targets outside the VPC) cannot
    /// round-trip there; this pins its wire name instead.
    /// </remarks>
    [Fact]
    public async Task RegisterTargets_sends_id_port_and_availability_zone_of_each_IP_target()
    {
        CapturingHandler? capture = null;
        using var bed = await ElbTestBed.CreateAsync(Moto, Moto.ClientOptions(wrap: inner => capture = new CapturingHandler(inner)));
        var tg = await bed.CreateTargetGroupAsync("ips", targetType: TargetTypeEnumValues.Ip);

        await bed.Elb.RegisterTargetsAsync(new RegisterTargetsRequest
        {
            TargetGroupArn = tg.TargetGroupArn,
            Targets =
            [
                new TargetDescription { Id = "10.0.1.10", Port = 8080, AvailabilityZone = "us-east-1a" },
                new TargetDescription { Id = "172.16.0.5", Port = 9090, AvailabilityZone = "all" },
            ],
        });

        var form = capture!.Last("RegisterTargets");
        Assert.Equal(tg.TargetGroupArn, form["TargetGroupArn"]);
        Assert.Equal("10.0.1.10", form["Targets.member.1.Id"]);
        Assert.Equal("8080", form["Targets.member.1.Port"]);
        Assert.Equal("us-east-1a", form["Targets.member.1.AvailabilityZone"]);
        Assert.Equal("172.16.0.5", form["Targets.member.2.Id"]);
        Assert.Equal("9090", form["Targets.member.2.Port"]);
        Assert.Equal("all", form["Targets.member.2.AvailabilityZone"]);
    }

    [Fact]
    public async Task Tag_and_attribute_requests_send_key_value_members_and_paging_sends_marker_and_page_size()
    {
        CapturingHandler? capture = null;
        using var bed = await ElbTestBed.CreateAsync(Moto, Moto.ClientOptions(wrap: inner => capture = new CapturingHandler(inner)));
        var lb = await bed.CreateAlbAsync("web");
        await bed.CreateAlbAsync("web2");

        await bed.Elb.AddTagsAsync(new AddTagsRequest { ResourceArns = [lb.LoadBalancerArn!], Tags = ElbTestBed.Tags(("k1", "v1"), ("k2", "")) });
        await bed.Elb.RemoveTagsAsync(new RemoveTagsRequest { ResourceArns = [lb.LoadBalancerArn!], TagKeys = ["k2"] });
        await bed.Elb.ModifyLoadBalancerAttributesAsync(new ModifyLoadBalancerAttributesRequest
        {
            LoadBalancerArn = lb.LoadBalancerArn,
            Attributes = [new LoadBalancerAttribute { Key = "idle_timeout.timeout_seconds", Value = "30" }],
        });
        var pages = 0;
        await foreach (var _ in bed.Elb.DescribeLoadBalancersPaginatedAsync(new DescribeLoadBalancersRequest { PageSize = 1 }))
            pages++;

        var addTags = capture!.Last("AddTags");
        Assert.Equal(lb.LoadBalancerArn, addTags["ResourceArns.member.1"]);
        Assert.Equal("k1", addTags["Tags.member.1.Key"]);
        Assert.Equal("v1", addTags["Tags.member.1.Value"]);
        Assert.Equal("k2", addTags["Tags.member.2.Key"]);
        Assert.Equal(string.Empty, addTags["Tags.member.2.Value"]);
        Assert.Equal("k2", capture.Last("RemoveTags")["TagKeys.member.1"]);
        var attributes = capture.Last("ModifyLoadBalancerAttributes");
        Assert.Equal("idle_timeout.timeout_seconds", attributes["Attributes.member.1.Key"]);
        Assert.Equal("30", attributes["Attributes.member.1.Value"]);
        var describes = capture.Requests.Where(static r => r["Action"] == "DescribeLoadBalancers").ToList();
        Assert.Equal(2, pages);
        Assert.Equal(2, describes.Count);
        Assert.All(describes, static r => Assert.Equal("1", r["PageSize"]));
        Assert.False(describes[0].ContainsKey("Marker"));
        Assert.False(string.IsNullOrEmpty(describes[1]["Marker"]));
    }
}
