using Serverless.Aws.Core;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;

namespace Serverless.Aws.Tests.ElasticLoadBalancingV2;

/// <summary>
/// moto answers one-line XML with microsecond timestamps; AWS answers indented XML with millisecond timestamps and
/// the namespace on the root. These feed AWS-shaped bodies (as in the ELBv2 API reference examples) to the client,
/// so the readers are proven on the real format too. No request leaves the process.
/// </summary>
public sealed class AwsResponseParsingTests
{
    private const string DescribeLoadBalancersXml = """
        <DescribeLoadBalancersResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
          <DescribeLoadBalancersResult>
            <LoadBalancers>
              <member>
                <LoadBalancerArn>arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/my-load-balancer/50dc6c495c0c9188</LoadBalancerArn>
                <Scheme>internet-facing</Scheme>
                <LoadBalancerName>my-load-balancer</LoadBalancerName>
                <VpcId>vpc-3ac0fb5f</VpcId>
                <CanonicalHostedZoneId>Z2P70J7EXAMPLE</CanonicalHostedZoneId>
                <CreatedTime>2016-03-25T21:29:48.850Z</CreatedTime>
                <AvailabilityZones>
                  <member>
                    <SubnetId>subnet-8360a9e7</SubnetId>
                    <ZoneName>us-west-2a</ZoneName>
                  </member>
                  <member>
                    <SubnetId>subnet-b7d581c0</SubnetId>
                    <ZoneName>us-west-2b</ZoneName>
                  </member>
                </AvailabilityZones>
                <SecurityGroups>
                  <member>sg-5943793c</member>
                </SecurityGroups>
                <DNSName>my-load-balancer-424835706.us-west-2.elb.amazonaws.com</DNSName>
                <State>
                  <Code>active</Code>
                </State>
                <Type>application</Type>
                <IpAddressType>ipv4</IpAddressType>
              </member>
            </LoadBalancers>
            <NextMarker>bXktbG9hZC1iYWxhbmNlcg==</NextMarker>
          </DescribeLoadBalancersResult>
          <ResponseMetadata>
            <RequestId>6581c0ac-f39f-11e5-bb98-57195a6eb84a</RequestId>
          </ResponseMetadata>
        </DescribeLoadBalancersResponse>
        """;

    private const string DescribeRulesXml = """
        <DescribeRulesResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
          <DescribeRulesResult>
            <Rules>
              <member>
                <IsDefault>false</IsDefault>
                <Conditions>
                  <member>
                    <Field>query-string</Field>
                    <QueryStringConfig>
                      <Values>
                        <member>
                          <Key>version</Key>
                          <Value>v1</Value>
                        </member>
                        <member>
                          <Value>beta</Value>
                        </member>
                      </Values>
                    </QueryStringConfig>
                  </member>
                  <member>
                    <Field>path-pattern</Field>
                    <Values>
                      <member>/img/*</member>
                    </Values>
                    <PathPatternConfig>
                      <Values>
                        <member>/img/*</member>
                      </Values>
                    </PathPatternConfig>
                  </member>
                </Conditions>
                <Priority>10</Priority>
                <Actions>
                  <member>
                    <Type>authenticate-oidc</Type>
                    <Order>1</Order>
                    <AuthenticateOidcConfig>
                      <Issuer>https://idp.example.com</Issuer>
                      <AuthorizationEndpoint>https://idp.example.com/authorize</AuthorizationEndpoint>
                      <TokenEndpoint>https://idp.example.com/token</TokenEndpoint>
                      <UserInfoEndpoint>https://idp.example.com/userinfo</UserInfoEndpoint>
                      <ClientId>client-123</ClientId>
                      <SessionCookieName>AWSELBAuthSessionCookie</SessionCookieName>
                      <Scope>openid</Scope>
                      <SessionTimeout>604800</SessionTimeout>
                      <OnUnauthenticatedRequest>authenticate</OnUnauthenticatedRequest>
                      <AuthenticationRequestExtraParams>
                        <entry>
                          <key>display</key>
                          <value>page</value>
                        </entry>
                        <entry>
                          <key>prompt</key>
                          <value>login</value>
                        </entry>
                      </AuthenticationRequestExtraParams>
                    </AuthenticateOidcConfig>
                  </member>
                  <member>
                    <Type>forward</Type>
                    <Order>2</Order>
                    <ForwardConfig>
                      <TargetGroups>
                        <member>
                          <TargetGroupArn>arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/blue/73e2d6bc24d8a067</TargetGroupArn>
                          <Weight>3</Weight>
                        </member>
                        <member>
                          <TargetGroupArn>arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/green/09966783158cda59</TargetGroupArn>
                          <Weight>7</Weight>
                        </member>
                      </TargetGroups>
                      <TargetGroupStickinessConfig>
                        <Enabled>true</Enabled>
                        <DurationSeconds>120</DurationSeconds>
                      </TargetGroupStickinessConfig>
                    </ForwardConfig>
                  </member>
                </Actions>
                <RuleArn>arn:aws:elasticloadbalancing:us-west-2:123456789012:listener-rule/app/my-load-balancer/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee</RuleArn>
              </member>
              <member>
                <IsDefault>true</IsDefault>
                <Conditions/>
                <Priority>default</Priority>
                <Actions>
                  <member>
                    <Type>fixed-response</Type>
                    <FixedResponseConfig>
                      <StatusCode>404</StatusCode>
                      <ContentType>text/plain</ContentType>
                    </FixedResponseConfig>
                  </member>
                </Actions>
                <RuleArn>arn:aws:elasticloadbalancing:us-west-2:123456789012:listener-rule/app/my-load-balancer/50dc6c495c0c9188/f2f7dc8efc522ab2/0000000000000000</RuleArn>
              </member>
            </Rules>
          </DescribeRulesResult>
          <ResponseMetadata>
            <RequestId>74926cf3-f3a3-11e5-b543-9f2c3fbb9bee</RequestId>
          </ResponseMetadata>
        </DescribeRulesResponse>
        """;

    [Fact]
    public async Task An_indented_AWS_DescribeLoadBalancers_body_with_millisecond_timestamps_is_read_field_by_field()
    {
        using var elb = new ElasticLoadBalancingV2Client(Canned(_ => CapturingHandler.AwsResponse(DescribeLoadBalancersXml, "6581c0ac-f39f-11e5-bb98-57195a6eb84a")));

        var response = await elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { Names = ["my-load-balancer"] });

        var lb = Assert.Single(response.LoadBalancers!);
        Assert.Equal("arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/my-load-balancer/50dc6c495c0c9188", lb.LoadBalancerArn);
        Assert.Equal("internet-facing", lb.Scheme);
        Assert.Equal("my-load-balancer", lb.LoadBalancerName);
        Assert.Equal("vpc-3ac0fb5f", lb.VpcId);
        Assert.Equal("Z2P70J7EXAMPLE", lb.CanonicalHostedZoneId);
        Assert.Equal(new DateTime(2016, 3, 25, 21, 29, 48, 850, DateTimeKind.Utc), lb.CreatedTime);
        Assert.Equal(DateTimeKind.Utc, lb.CreatedTime!.Value.Kind);
        Assert.Equal([("subnet-8360a9e7", "us-west-2a"), ("subnet-b7d581c0", "us-west-2b")], lb.AvailabilityZones!.Select(static z => (z.SubnetId, z.ZoneName)));
        Assert.Equal(["sg-5943793c"], lb.SecurityGroups);
        Assert.Equal("my-load-balancer-424835706.us-west-2.elb.amazonaws.com", lb.DNSName);
        Assert.Equal("active", lb.State!.Code);
        Assert.Equal("application", lb.Type);
        Assert.Equal("ipv4", lb.IpAddressType);
        Assert.Equal("bXktbG9hZC1iYWxhbmNlcg==", response.NextMarker);
        Assert.Equal("6581c0ac-f39f-11e5-bb98-57195a6eb84a", response.ResponseMetadata.RequestId);
    }

    [Fact]
    public async Task An_indented_AWS_DescribeRules_body_yields_conditions_actions_maps_and_the_default_rule()
    {
        using var elb = new ElasticLoadBalancingV2Client(Canned(_ => CapturingHandler.AwsResponse(DescribeRulesXml, "74926cf3-f3a3-11e5-b543-9f2c3fbb9bee")));

        var response = await elb.DescribeRulesAsync(new DescribeRulesRequest { ListenerArn = "arn:aws:elasticloadbalancing:us-west-2:123456789012:listener/app/my-load-balancer/50dc6c495c0c9188/f2f7dc8efc522ab2" });

        Assert.Null(response.NextMarker);
        Assert.Equal(2, response.Rules!.Count);
        var rule = response.Rules[0];
        Assert.Equal("10", rule.Priority);
        Assert.False(rule.IsDefault);
        Assert.EndsWith("/9683b2d02a6cabee", rule.RuleArn, StringComparison.Ordinal);
        Assert.Equal(
            [("version", "v1"), (null, "beta")],
            rule.Conditions![0].QueryStringConfig!.Values!.Select(static p => (p.Key, p.Value)));
        Assert.Equal("path-pattern", rule.Conditions[1].Field);
        Assert.Equal(["/img/*"], rule.Conditions[1].Values);
        Assert.Equal(["/img/*"], rule.Conditions[1].PathPatternConfig!.Values);

        var oidc = rule.Actions![0];
        Assert.Equal(("authenticate-oidc", 1), (oidc.Type, oidc.Order ?? 0));
        Assert.Equal("https://idp.example.com", oidc.AuthenticateOidcConfig!.Issuer);
        Assert.Equal("https://idp.example.com/authorize", oidc.AuthenticateOidcConfig.AuthorizationEndpoint);
        Assert.Equal("https://idp.example.com/token", oidc.AuthenticateOidcConfig.TokenEndpoint);
        Assert.Equal("https://idp.example.com/userinfo", oidc.AuthenticateOidcConfig.UserInfoEndpoint);
        Assert.Equal("client-123", oidc.AuthenticateOidcConfig.ClientId);
        Assert.Equal(604800L, oidc.AuthenticateOidcConfig.SessionTimeout);
        Assert.Equal(new Dictionary<string, string> { ["display"] = "page", ["prompt"] = "login" }, oidc.AuthenticateOidcConfig.AuthenticationRequestExtraParams);
        var forward = rule.Actions[1];
        Assert.Equal(("forward", 2), (forward.Type, forward.Order ?? 0));
        Assert.Equal([3, 7], forward.ForwardConfig!.TargetGroups!.Select(static t => t.Weight ?? 0));
        Assert.EndsWith("targetgroup/green/09966783158cda59", forward.ForwardConfig.TargetGroups![1].TargetGroupArn, StringComparison.Ordinal);
        Assert.True(forward.ForwardConfig.TargetGroupStickinessConfig!.Enabled);
        Assert.Equal(120, forward.ForwardConfig.TargetGroupStickinessConfig.DurationSeconds);

        var defaultRule = response.Rules[1];
        Assert.True(defaultRule.IsDefault);
        Assert.Equal("default", defaultRule.Priority);
        Assert.Empty(defaultRule.Conditions!);
        Assert.Equal("404", Assert.Single(defaultRule.Actions!).FixedResponseConfig!.StatusCode);
        Assert.Equal("74926cf3-f3a3-11e5-b543-9f2c3fbb9bee", response.ResponseMetadata?.RequestId);
    }

    private static AwsClientOptions Canned(Func<string, HttpResponseMessage?> answer) =>
        AwsClientOptions.ForEmulator("http://127.0.0.1:9") with
        {
            HttpHandlerWrapper = inner => new CapturingHandler(inner, answer),
            MaxErrorRetry = 0,
        };
}
