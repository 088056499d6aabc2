using Serverless.Testing;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Tests.Infrastructure;
using Ec2Model = Amazon.EC2.Model;

namespace Serverless.Aws.Tests.ElasticLoadBalancingV2;

/// <summary>
/// Error codes that moto really produces, each provoked by an input AWS rejects with the same code, surface as
/// <see cref="ElasticLoadBalancingV2Exception"/> with the matching <c>IsXxx</c> helper, HTTP 400 and a request id.
/// </summary>
/// <remarks>
/// Not checked here because moto does not answer them (see <see cref="CannedErrorMappingTests"/>):
/// DuplicateLoadBalancerName, DuplicateListener, TooManyRules, TooManyTargetGroups, TooManyTargets,
/// TooManyUniqueTargetGroupsPerLoadBalancer, OperationNotPermitted, Throttling. moto answers an unknown subnet with
/// EC2's <c>InvalidSubnetID.NotFound</c> where AWS says <c>SubnetNotFound</c>, so that one is canned too.
/// </remarks>
[Collection(MotoCollection.Name)]
public sealed class ErrorMappingTests(MotoFixture fixture) : MotoTest(fixture)
{
    [Fact]
    public async Task Deleting_a_target_group_that_a_rule_forwards_to_raises_ResourceInUse()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");
        var tg = await bed.CreateTargetGroupAsync("used");
        var listener = await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!);
        await bed.CreatePathRuleAsync(listener.ListenerArn!, 1, "/a/*", tg.TargetGroupArn!);

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => bed.Elb.DeleteTargetGroupAsync(new DeleteTargetGroupRequest { TargetGroupArn = tg.TargetGroupArn }));

        ElbAssert.IsTypedError(error, ElasticLoadBalancingV2ErrorCode.ResourceInUse, static e => e.IsResourceInUse);
        Assert.Contains(tg.TargetGroupArn!, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_a_target_group_that_a_listener_default_action_forwards_to_raises_ResourceInUse()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");
        var tg = await bed.CreateTargetGroupAsync("used");
        await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!, defaultAction: ElbTestBed.Forward(tg.TargetGroupArn!));

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => bed.Elb.DeleteTargetGroupAsync(new DeleteTargetGroupRequest { TargetGroupArn = tg.TargetGroupArn }));

        ElbAssert.IsTypedError(error, ElasticLoadBalancingV2ErrorCode.ResourceInUse, static e => e.IsResourceInUse);
    }

    [Fact]
    public async Task Creating_a_second_rule_with_a_priority_already_taken_on_the_listener_raises_PriorityInUse()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");
        var tg = await bed.CreateTargetGroupAsync("web-tg");
        var listener = await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!);
        await bed.CreatePathRuleAsync(listener.ListenerArn!, 5, "/a/*", tg.TargetGroupArn!);

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => bed.CreatePathRuleAsync(listener.ListenerArn!, 5, "/b/*", tg.TargetGroupArn!));

        ElbAssert.IsTypedError(error, ElasticLoadBalancingV2ErrorCode.PriorityInUse, static e => e.IsPriorityInUse);
    }

    /// <remarks>AWS returns the existing group for an identical request; a different port makes it a conflict on both.</remarks>
    [Fact]
    public async Task Creating_a_target_group_whose_name_exists_with_other_settings_raises_DuplicateTargetGroupName()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        await bed.CreateTargetGroupAsync("web", port: 80);

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(() => bed.CreateTargetGroupAsync("web", port: 8080));

        ElbAssert.IsTypedError(error, ElasticLoadBalancingV2ErrorCode.DuplicateTargetGroupName, static e => e.IsDuplicateTargetGroupName);
    }

    [Fact]
    public async Task Reading_the_attributes_of_a_deleted_load_balancer_raises_LoadBalancerNotFound()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");
        await bed.Elb.DeleteLoadBalancerAsync(new DeleteLoadBalancerRequest { LoadBalancerArn = lb.LoadBalancerArn });

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => bed.Elb.DescribeLoadBalancerAttributesAsync(new DescribeLoadBalancerAttributesRequest { LoadBalancerArn = lb.LoadBalancerArn }));

        ElbAssert.IsTypedError(error, ElasticLoadBalancingV2ErrorCode.LoadBalancerNotFound, static e => e.IsLoadBalancerNotFound);
    }

    [Fact]
    public async Task Creating_a_rule_that_forwards_to_a_deleted_target_group_raises_TargetGroupNotFound()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");
        var listener = await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!);
        var tg = await bed.CreateTargetGroupAsync("gone");
        await bed.Elb.DeleteTargetGroupAsync(new DeleteTargetGroupRequest { TargetGroupArn = tg.TargetGroupArn });

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => bed.CreatePathRuleAsync(listener.ListenerArn!, 1, "/a/*", tg.TargetGroupArn!));

        ElbAssert.IsTypedError(error, ElasticLoadBalancingV2ErrorCode.TargetGroupNotFound, static e => e.IsTargetGroupNotFound);
    }

    [Fact]
    public async Task Creating_a_rule_on_a_deleted_listener_raises_ListenerNotFound()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");
        var tg = await bed.CreateTargetGroupAsync("web-tg");
        var listener = await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!);
        await bed.Elb.DeleteListenerAsync(new DeleteListenerRequest { ListenerArn = listener.ListenerArn });

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => bed.CreatePathRuleAsync(listener.ListenerArn!, 1, "/a/*", tg.TargetGroupArn!));

        ElbAssert.IsTypedError(error, ElasticLoadBalancingV2ErrorCode.ListenerNotFound, static e => e.IsListenerNotFound);
    }

    [Fact]
    public async Task Modifying_a_deleted_rule_raises_RuleNotFound()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");
        var tg = await bed.CreateTargetGroupAsync("web-tg");
        var listener = await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!);
        var rule = await bed.CreatePathRuleAsync(listener.ListenerArn!, 1, "/a/*", tg.TargetGroupArn!);
        await bed.Elb.DeleteRuleAsync(new DeleteRuleRequest { RuleArn = rule.RuleArn });

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => bed.Elb.ModifyRuleAsync(new ModifyRuleRequest { RuleArn = rule.RuleArn, Conditions = [ElbTestBed.PathCondition("/b/*")] }));

        ElbAssert.IsTypedError(error, ElasticLoadBalancingV2ErrorCode.RuleNotFound, static e => e.IsRuleNotFound);
    }

    [Fact]
    public async Task Registering_a_stopped_instance_raises_InvalidTarget()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var tg = await bed.CreateTargetGroupAsync("web");
        var instance = (await bed.RunInstancesAsync(1))[0];
        await bed.Ec2.StopInstancesAsync(new Ec2Model.StopInstancesRequest { InstanceIds = [instance] });

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => bed.Elb.RegisterTargetsAsync(new RegisterTargetsRequest { TargetGroupArn = tg.TargetGroupArn, Targets = [new TargetDescription { Id = instance }] }));

        ElbAssert.IsTypedError(error, ElasticLoadBalancingV2ErrorCode.InvalidTarget, static e => e.IsInvalidTarget);
        Assert.Contains(instance, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Creating_a_target_group_with_an_invalid_name_raises_ValidationError()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);

        foreach (var name in new[] { "has_underscore", "-leading-hyphen", "name-that-is-longer-than-32-chars" })
        {
            var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(() => bed.CreateTargetGroupAsync(name));

            ElbAssert.IsTypedError(error, ElasticLoadBalancingV2ErrorCode.ValidationError, static e => e.IsValidationError);
        }
        Assert.Empty((await bed.Elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest())).TargetGroups ?? []);
    }

    /// <remarks>
    /// AWS allows 50 tags per resource, moto 10. A group created with 50 tags and given a 51st fails on both.
    /// </remarks>
    [Fact]
    public async Task Adding_a_tag_to_a_target_group_that_already_has_fifty_raises_TooManyTags()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var tg = await bed.CreateTargetGroupAsync("web", tags: [.. Enumerable.Range(0, 50).Select(static i => new Tag { Key = $"k{i}", Value = "v" })]);

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => bed.Elb.AddTagsAsync(new AddTagsRequest { ResourceArns = [tg.TargetGroupArn!], Tags = ElbTestBed.Tags(("one-more", "v")) }));

        ElbAssert.IsTypedError(error, ElasticLoadBalancingV2ErrorCode.TooManyTags, static e => e.IsTooManyTags);
    }

    [Fact]
    public async Task Setting_lb_cookie_stickiness_on_a_TCP_target_group_raises_InvalidConfigurationRequest()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var tg = await bed.CreateTargetGroupAsync("tcp", protocol: ProtocolEnumValues.TCP);

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => bed.Elb.ModifyTargetGroupAttributesAsync(new ModifyTargetGroupAttributesRequest
            {
                TargetGroupArn = tg.TargetGroupArn,
                Attributes = [new TargetGroupAttribute { Key = "stickiness.type", Value = "lb_cookie" }],
            }));

        ElbAssert.IsTypedError(error, ElasticLoadBalancingV2ErrorCode.InvalidConfigurationRequest, static e => e.IsInvalidConfigurationRequest);
        Assert.Contains("lb_cookie", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Creating_an_HTTPS_listener_with_an_unknown_ACM_certificate_raises_CertificateNotFound()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(() => bed.Elb.CreateListenerAsync(new CreateListenerRequest
        {
            LoadBalancerArn = lb.LoadBalancerArn,
            Protocol = ProtocolEnumValues.HTTPS,
            Port = 443,
            Certificates = [new Certificate { CertificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000" }],
            DefaultActions = [ElbTestBed.FixedResponse("404")],
        }));

        ElbAssert.IsTypedError(error, ElasticLoadBalancingV2ErrorCode.CertificateNotFound, static e => e.IsCertificateNotFound);
    }

    [Fact]
    public async Task Modifying_an_HTTPS_listener_to_an_unknown_SSL_policy_raises_SSLPolicyNotFound()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");
        var certificate = await bed.ImportCertificateAsync("web.example.com");
        var listener = Assert.Single((await bed.Elb.CreateListenerAsync(new CreateListenerRequest
        {
            LoadBalancerArn = lb.LoadBalancerArn,
            Protocol = ProtocolEnumValues.HTTPS,
            Port = 443,
            Certificates = [new Certificate { CertificateArn = certificate }],
            DefaultActions = [ElbTestBed.FixedResponse("404")],
        })).Listeners!);

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => bed.Elb.ModifyListenerAsync(new ModifyListenerRequest { ListenerArn = listener.ListenerArn, SslPolicy = "ELBSecurityPolicy-Nonexistent" }));

        ElbAssert.IsTypedError(error, ElasticLoadBalancingV2ErrorCode.SSLPolicyNotFound, static e => e.IsSSLPolicyNotFound);
    }

    [Fact]
    public async Task Setting_a_security_group_that_does_not_exist_raises_InvalidSecurityGroup()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => bed.Elb.SetSecurityGroupsAsync(new SetSecurityGroupsRequest { LoadBalancerArn = lb.LoadBalancerArn, SecurityGroups = ["sg-0123456789abcdef0"] }));

        ElbAssert.IsTypedError(error, ElasticLoadBalancingV2ErrorCode.InvalidSecurityGroup, static e => e.IsInvalidSecurityGroup);
    }
}
