using Serverless.Testing;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Tests.Infrastructure;
using Action = Serverless.Aws.ElasticLoadBalancingV2.Model.Action;

namespace Serverless.Aws.Tests.ElasticLoadBalancingV2;

[Collection(MotoCollection.Name)]
public sealed class ListenerRoundTripTests(MotoFixture fixture) : MotoTest(fixture)
{
    private const string ModernPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06";

    [Fact]
    public async Task An_HTTP_listener_with_a_fixed_response_default_action_is_returned_and_described_with_that_action()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");

        var created = Assert.Single((await bed.Elb.CreateListenerAsync(new CreateListenerRequest
        {
            LoadBalancerArn = lb.LoadBalancerArn,
            Protocol = ProtocolEnumValues.HTTP,
            Port = 80,
            DefaultActions = [ElbTestBed.FixedResponse("404", "no route")],
        })).Listeners!);
        var described = Assert.Single((await bed.Elb.DescribeListenersAsync(new DescribeListenersRequest { ListenerArns = [created.ListenerArn!] })).Listeners!);

        foreach (var listener in new[] { created, described })
        {
            Assert.Contains(":listener/app/web/", listener.ListenerArn, StringComparison.Ordinal);
            Assert.Equal(lb.LoadBalancerArn, listener.LoadBalancerArn);
            Assert.Equal(ProtocolEnumValues.HTTP, listener.Protocol);
            Assert.Equal(80, listener.Port);
            var action = Assert.Single(listener.DefaultActions!);
            Assert.Equal(ActionTypeEnumValues.FixedResponse, action.Type);
            Assert.Equal("404", action.FixedResponseConfig?.StatusCode);
            Assert.Equal("text/plain", action.FixedResponseConfig?.ContentType);
            Assert.Equal("no route", action.FixedResponseConfig?.MessageBody);
            Assert.Null(action.TargetGroupArn);
        }
    }

    [Fact]
    public async Task An_HTTPS_listener_keeps_its_ACM_certificate_ssl_policy_and_forward_default_action()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");
        var tg = await bed.CreateTargetGroupAsync("web-tg");
        var certificate = await bed.ImportCertificateAsync("web.example.com");

        var created = Assert.Single((await bed.Elb.CreateListenerAsync(new CreateListenerRequest
        {
            LoadBalancerArn = lb.LoadBalancerArn,
            Protocol = ProtocolEnumValues.HTTPS,
            Port = 443,
            SslPolicy = ModernPolicy,
            Certificates = [new Certificate { CertificateArn = certificate }],
            DefaultActions = [ElbTestBed.Forward(tg.TargetGroupArn!)],
        })).Listeners!);
        var described = Assert.Single((await bed.Elb.DescribeListenersAsync(new DescribeListenersRequest { LoadBalancerArn = lb.LoadBalancerArn })).Listeners!);

        foreach (var listener in new[] { created, described })
        {
            Assert.Equal(created.ListenerArn, listener.ListenerArn);
            Assert.Equal(ProtocolEnumValues.HTTPS, listener.Protocol);
            Assert.Equal(443, listener.Port);
            Assert.Equal(ModernPolicy, listener.SslPolicy);
            Assert.Equal([certificate], listener.Certificates!.Select(static c => c.CertificateArn));
            var action = Assert.Single(listener.DefaultActions!);
            Assert.Equal(ActionTypeEnumValues.Forward, action.Type);
            Assert.Equal(tg.TargetGroupArn, action.TargetGroupArn);
        }
        var tgAfter = Assert.Single((await bed.Elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { TargetGroupArns = [tg.TargetGroupArn!] })).TargetGroups!);
        Assert.Equal([lb.LoadBalancerArn!], tgAfter.LoadBalancerArns);
    }

    [Fact]
    public async Task Describing_listeners_by_load_balancer_returns_all_of_them_and_by_arn_only_the_ones_asked_for()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");
        var http = await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!, 80);
        var alt = await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!, 8080, ElbTestBed.FixedResponse("503"));

        var byLb = await bed.Elb.DescribeListenersAsync(new DescribeListenersRequest { LoadBalancerArn = lb.LoadBalancerArn });
        var byArn = await bed.Elb.DescribeListenersAsync(new DescribeListenersRequest { ListenerArns = [alt.ListenerArn!] });

        Assert.Equal(
            [(http.ListenerArn, 80), (alt.ListenerArn, 8080)],
            byLb.Listeners!.Select(static l => (l.ListenerArn, l.Port ?? 0)).OrderBy(static l => l.Item2));
        var only = Assert.Single(byArn.Listeners!);
        Assert.Equal(alt.ListenerArn, only.ListenerArn);
        Assert.Equal(8080, only.Port);
        Assert.Equal("503", Assert.Single(only.DefaultActions!).FixedResponseConfig?.StatusCode);
    }

    [Fact]
    public async Task Modifying_a_listener_default_action_to_a_redirect_is_read_back_with_every_redirect_field()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");
        var listener = await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!);

        var modified = Assert.Single((await bed.Elb.ModifyListenerAsync(new ModifyListenerRequest
        {
            ListenerArn = listener.ListenerArn,
            DefaultActions =
            [
                new Action
                {
                    Type = ActionTypeEnumValues.Redirect,
                    RedirectConfig = new RedirectActionConfig
                    {
                        Protocol = "HTTPS",
                        Port = "443",
                        Host = "#{host}",
                        Path = "/#{path}",
                        Query = "#{query}&from=http",
                        StatusCode = RedirectActionStatusCodeEnumValues.HTTP301,
                    },
                },
            ],
        })).Listeners!);
        var described = Assert.Single((await bed.Elb.DescribeListenersAsync(new DescribeListenersRequest { ListenerArns = [listener.ListenerArn!] })).Listeners!);

        foreach (var l in new[] { modified, described })
        {
            Assert.Equal(80, l.Port);
            Assert.Equal(ProtocolEnumValues.HTTP, l.Protocol);
            var action = Assert.Single(l.DefaultActions!);
            Assert.Equal(ActionTypeEnumValues.Redirect, action.Type);
            Assert.Null(action.FixedResponseConfig);
            var redirect = action.RedirectConfig!;
            Assert.Equal("HTTPS", redirect.Protocol);
            Assert.Equal("443", redirect.Port);
            Assert.Equal("#{host}", redirect.Host);
            Assert.Equal("/#{path}", redirect.Path);
            Assert.Equal("#{query}&from=http", redirect.Query);
            Assert.Equal("HTTP_301", redirect.StatusCode);
        }
    }

    [Fact]
    public async Task Listener_certificates_added_are_described_beside_the_default_one_and_removed_ones_disappear()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");
        var tg = await bed.CreateTargetGroupAsync("web-tg");
        var defaultCertificate = await bed.ImportCertificateAsync("web.example.com");
        var sniCertificate = await bed.ImportCertificateAsync("api.example.com");
        var listener = Assert.Single((await bed.Elb.CreateListenerAsync(new CreateListenerRequest
        {
            LoadBalancerArn = lb.LoadBalancerArn,
            Protocol = ProtocolEnumValues.HTTPS,
            Port = 443,
            Certificates = [new Certificate { CertificateArn = defaultCertificate }],
            DefaultActions = [ElbTestBed.Forward(tg.TargetGroupArn!)],
        })).Listeners!);

        var added = await bed.Elb.AddListenerCertificatesAsync(new AddListenerCertificatesRequest
        {
            ListenerArn = listener.ListenerArn,
            Certificates = [new Certificate { CertificateArn = sniCertificate }],
        });
        var afterAdd = await bed.Elb.DescribeListenerCertificatesAsync(new DescribeListenerCertificatesRequest { ListenerArn = listener.ListenerArn });
        await bed.Elb.RemoveListenerCertificatesAsync(new RemoveListenerCertificatesRequest
        {
            ListenerArn = listener.ListenerArn,
            Certificates = [new Certificate { CertificateArn = sniCertificate }],
        });
        var afterRemove = await bed.Elb.DescribeListenerCertificatesAsync(new DescribeListenerCertificatesRequest { ListenerArn = listener.ListenerArn });

        Assert.Contains(sniCertificate, added.Certificates!.Select(static c => c.CertificateArn));
        Assert.Equal(
            [(defaultCertificate, true), (sniCertificate, false)],
            afterAdd.Certificates!.Select(static c => (c.CertificateArn, c.IsDefault ?? false)).OrderByDescending(static c => c.Item2));
        var remaining = Assert.Single(afterRemove.Certificates!);
        Assert.Equal(defaultCertificate, remaining.CertificateArn);
        Assert.True(remaining.IsDefault);
    }

    [Fact]
    public async Task Modified_listener_attributes_are_read_back_by_describe()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");
        var listener = await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!);

        var modified = await bed.Elb.ModifyListenerAttributesAsync(new ModifyListenerAttributesRequest
        {
            ListenerArn = listener.ListenerArn,
            Attributes = [new ListenerAttribute { Key = "routing.http.response.server.enabled", Value = "false" }],
        });
        var described = await bed.Elb.DescribeListenerAttributesAsync(new DescribeListenerAttributesRequest { ListenerArn = listener.ListenerArn });

        foreach (var attributes in new[] { modified.Attributes!, described.Attributes! })
        {
            var attribute = Assert.Single(attributes, static a => a.Key == "routing.http.response.server.enabled");
            Assert.Equal("false", attribute.Value);
        }
    }

    [Fact]
    public async Task A_deleted_listener_is_gone_from_its_load_balancer_and_not_found_by_arn()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");
        var deleted = await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!, 80);
        var kept = await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!, 8080);

        await bed.Elb.DeleteListenerAsync(new DeleteListenerRequest { ListenerArn = deleted.ListenerArn });

        var remaining = await bed.Elb.DescribeListenersAsync(new DescribeListenersRequest { LoadBalancerArn = lb.LoadBalancerArn });
        Assert.Equal([kept.ListenerArn], remaining.Listeners!.Select(static l => l.ListenerArn));
        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => bed.Elb.DescribeListenersAsync(new DescribeListenersRequest { ListenerArns = [deleted.ListenerArn!] }));
        ElbAssert.IsTypedError(error, ElasticLoadBalancingV2ErrorCode.ListenerNotFound, static e => e.IsListenerNotFound);
    }

    [Fact]
    public async Task Describing_an_SSL_policy_by_name_returns_its_TLS_protocols_and_ranked_ciphers()
    {
        using var elb = new ElasticLoadBalancingV2Client(Moto.ClientOptions());

        var response = await elb.DescribeSSLPoliciesAsync(new DescribeSSLPoliciesRequest { Names = [ModernPolicy] });

        var policy = Assert.Single(response.SslPolicies!);
        Assert.Equal(ModernPolicy, policy.Name);
        Assert.Equal(["TLSv1.2", "TLSv1.3"], policy.SslProtocols!.Order());
        Assert.Contains(policy.Ciphers!, static c => c.Name == "TLS_AES_128_GCM_SHA256");
        Assert.Contains(policy.Ciphers!, static c => c.Name == "ECDHE-RSA-AES128-GCM-SHA256");
        Assert.All(policy.Ciphers!, static c => Assert.True(c.Priority > 0));
        Assert.Equal(policy.Ciphers!.Count, policy.Ciphers.Select(static c => c.Priority).Distinct().Count());
        Assert.DoesNotContain("TLSv1", policy.SslProtocols!);
    }
}
