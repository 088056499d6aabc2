using Serverless.Testing;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Tests.Infrastructure;

namespace Serverless.Aws.Tests.ElasticLoadBalancingV2;

[Collection(MotoCollection.Name)]
public sealed class TargetGroupRoundTripTests(MotoFixture fixture) : MotoTest(fixture)
{
    [Fact]
    public async Task An_instance_target_group_keeps_every_health_check_field_and_its_tags()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);

        var created = Assert.Single((await bed.Elb.CreateTargetGroupAsync(new CreateTargetGroupRequest
        {
            Name = "web-instances",
            Protocol = ProtocolEnumValues.HTTP,
            Port = 8080,
            VpcId = bed.VpcId,
            TargetType = TargetTypeEnumValues.Instance,
            HealthCheckEnabled = true,
            HealthCheckProtocol = ProtocolEnumValues.HTTP,
            HealthCheckPort = "8081",
            HealthCheckPath = "/healthz",
            HealthCheckIntervalSeconds = 15,
            HealthCheckTimeoutSeconds = 5,
            HealthyThresholdCount = 3,
            UnhealthyThresholdCount = 4,
            Matcher = new Matcher { HttpCode = "200-299" },
            Tags = ElbTestBed.Tags(("service", "web")),
        })).TargetGroups!);
        var described = Assert.Single((await bed.Elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { Names = ["web-instances"] })).TargetGroups!);

        foreach (var tg in new[] { created, described })
        {
            Assert.Contains(":targetgroup/web-instances/", tg.TargetGroupArn, StringComparison.Ordinal);
            Assert.Equal("web-instances", tg.TargetGroupName);
            Assert.Equal(ProtocolEnumValues.HTTP, tg.Protocol);
            Assert.Equal("HTTP1", tg.ProtocolVersion);
            Assert.Equal(8080, tg.Port);
            Assert.Equal(bed.VpcId, tg.VpcId);
            Assert.Equal(TargetTypeEnumValues.Instance, tg.TargetType);
            Assert.True(tg.HealthCheckEnabled);
            Assert.Equal(ProtocolEnumValues.HTTP, tg.HealthCheckProtocol);
            Assert.Equal("8081", tg.HealthCheckPort);
            Assert.Equal("/healthz", tg.HealthCheckPath);
            Assert.Equal(15, tg.HealthCheckIntervalSeconds);
            Assert.Equal(5, tg.HealthCheckTimeoutSeconds);
            Assert.Equal(3, tg.HealthyThresholdCount);
            Assert.Equal(4, tg.UnhealthyThresholdCount);
            Assert.Equal("200-299", tg.Matcher?.HttpCode);
            Assert.Empty(tg.LoadBalancerArns ?? []);
        }
        var tags = Assert.Single((await bed.Elb.DescribeTagsAsync(new DescribeTagsRequest { ResourceArns = [created.TargetGroupArn!] })).TagDescriptions!);
        Assert.Equal(new Dictionary<string, string> { ["service"] = "web" }, ElbTestBed.TagMap(tags.Tags));
    }

    [Fact]
    public async Task HTTPS_ip_target_groups_keep_their_HTTP2_or_GRPC_protocol_version_and_matcher()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);

        foreach (var (protocolVersion, matcher) in new[] { ("HTTP2", new Matcher { HttpCode = "200" }), ("GRPC", new Matcher { GrpcCode = "0-99" }) })
        {
            var created = Assert.Single((await bed.Elb.CreateTargetGroupAsync(new CreateTargetGroupRequest
            {
                Name = "ips-" + protocolVersion.ToLowerInvariant(),
                Protocol = ProtocolEnumValues.HTTPS,
                ProtocolVersion = protocolVersion,
                Port = 443,
                VpcId = bed.VpcId,
                TargetType = TargetTypeEnumValues.Ip,
                HealthCheckProtocol = ProtocolEnumValues.HTTPS,
                HealthCheckPath = "/grpc.health.v1.Health/Check",
                HealthCheckIntervalSeconds = 10,
                HealthCheckTimeoutSeconds = 6,
                Matcher = matcher,
            })).TargetGroups!);
            var described = Assert.Single((await bed.Elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { TargetGroupArns = [created.TargetGroupArn!] })).TargetGroups!);

            foreach (var tg in new[] { created, described })
            {
                Assert.Equal(created.TargetGroupArn, tg.TargetGroupArn);
                Assert.Equal(ProtocolEnumValues.HTTPS, tg.Protocol);
                Assert.Equal(protocolVersion, tg.ProtocolVersion);
                Assert.Equal(443, tg.Port);
                Assert.Equal(TargetTypeEnumValues.Ip, tg.TargetType);
                Assert.Equal(ProtocolEnumValues.HTTPS, tg.HealthCheckProtocol);
                Assert.Equal("/grpc.health.v1.Health/Check", tg.HealthCheckPath);
                Assert.Equal(10, tg.HealthCheckIntervalSeconds);
                Assert.Equal(6, tg.HealthCheckTimeoutSeconds);
                Assert.Equal(matcher.HttpCode, tg.Matcher?.HttpCode);
                Assert.Equal(matcher.GrpcCode, tg.Matcher?.GrpcCode);
            }
        }
    }

    [Fact]
    public async Task Describing_target_groups_by_names_by_arns_and_by_load_balancer_returns_exactly_the_matching_groups()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");
        var used = await bed.CreateTargetGroupAsync("used");
        var spare = await bed.CreateTargetGroupAsync("spare", port: 8080);
        var third = await bed.CreateTargetGroupAsync("third", port: 9090);
        await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!, defaultAction: ElbTestBed.Forward(used.TargetGroupArn!));

        var byNames = await bed.Elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { Names = ["spare", "third"] });
        var byArns = await bed.Elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { TargetGroupArns = [used.TargetGroupArn!, third.TargetGroupArn!] });
        var byLb = await bed.Elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { LoadBalancerArn = lb.LoadBalancerArn });

        Assert.Equal([(spare.TargetGroupArn, 8080), (third.TargetGroupArn, 9090)], byNames.TargetGroups!.Select(static t => (t.TargetGroupArn, t.Port ?? 0)).OrderBy(static t => t.Item2));
        Assert.Equal(new[] { used.TargetGroupArn!, third.TargetGroupArn! }.Order(), byArns.TargetGroups!.Select(static t => t.TargetGroupArn!).Order());
        var attached = Assert.Single(byLb.TargetGroups!);
        Assert.Equal(used.TargetGroupArn, attached.TargetGroupArn);
        Assert.Equal([lb.LoadBalancerArn!], attached.LoadBalancerArns);
    }

    [Fact]
    public async Task Modifying_a_target_group_health_check_is_answered_and_read_back_by_describe()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var tg = await bed.CreateTargetGroupAsync("web");

        var modified = Assert.Single((await bed.Elb.ModifyTargetGroupAsync(new ModifyTargetGroupRequest
        {
            TargetGroupArn = tg.TargetGroupArn,
            HealthCheckProtocol = ProtocolEnumValues.HTTP,
            HealthCheckPort = "9000",
            HealthCheckPath = "/ready",
            HealthCheckIntervalSeconds = 20,
            HealthCheckTimeoutSeconds = 7,
            HealthyThresholdCount = 2,
            UnhealthyThresholdCount = 5,
            Matcher = new Matcher { HttpCode = "200,302" },
        })).TargetGroups!);
        var described = Assert.Single((await bed.Elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { TargetGroupArns = [tg.TargetGroupArn!] })).TargetGroups!);

        foreach (var t in new[] { modified, described })
        {
            Assert.Equal(tg.TargetGroupArn, t.TargetGroupArn);
            Assert.Equal("9000", t.HealthCheckPort);
            Assert.Equal("/ready", t.HealthCheckPath);
            Assert.Equal(20, t.HealthCheckIntervalSeconds);
            Assert.Equal(7, t.HealthCheckTimeoutSeconds);
            Assert.Equal(2, t.HealthyThresholdCount);
            Assert.Equal(5, t.UnhealthyThresholdCount);
            Assert.Equal("200,302", t.Matcher?.HttpCode);
            Assert.Equal(80, t.Port);
        }
    }

    [Fact]
    public async Task Modified_target_group_attributes_are_answered_and_read_back_by_describe()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var tg = await bed.CreateTargetGroupAsync("web");
        var wanted = new Dictionary<string, string>
        {
            ["deregistration_delay.timeout_seconds"] = "30",
            ["stickiness.enabled"] = "true",
            ["stickiness.type"] = "lb_cookie",
            ["stickiness.lb_cookie.duration_seconds"] = "3600",
            ["load_balancing.algorithm.type"] = "least_outstanding_requests",
        };

        var before = await bed.Elb.DescribeTargetGroupAttributesAsync(new DescribeTargetGroupAttributesRequest { TargetGroupArn = tg.TargetGroupArn });
        var modified = await bed.Elb.ModifyTargetGroupAttributesAsync(new ModifyTargetGroupAttributesRequest
        {
            TargetGroupArn = tg.TargetGroupArn,
            Attributes = [.. wanted.Select(static kv => new TargetGroupAttribute { Key = kv.Key, Value = kv.Value })],
        });
        var after = await bed.Elb.DescribeTargetGroupAttributesAsync(new DescribeTargetGroupAttributesRequest { TargetGroupArn = tg.TargetGroupArn });

        // Defaults of a new HTTP target group, as AWS documents them.
        var defaults = before.Attributes!.ToDictionary(static a => a.Key!, static a => a.Value, StringComparer.Ordinal);
        Assert.Equal("300", defaults["deregistration_delay.timeout_seconds"]);
        Assert.Equal("false", defaults["stickiness.enabled"]);
        Assert.Equal("round_robin", defaults["load_balancing.algorithm.type"]);
        // AWS answers every attribute, moto only the modified ones: the modified ones are in both.
        var answered = modified.Attributes!.ToDictionary(static a => a.Key!, static a => a.Value, StringComparer.Ordinal);
        var read = after.Attributes!.ToDictionary(static a => a.Key!, static a => a.Value, StringComparer.Ordinal);
        foreach (var (key, value) in wanted)
        {
            Assert.Equal(value, answered[key]);
            Assert.Equal(value, read[key]);
        }
    }

    [Fact]
    public async Task A_deleted_target_group_is_not_found_by_arn_or_name()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var tg = await bed.CreateTargetGroupAsync("gone");
        var kept = await bed.CreateTargetGroupAsync("kept");

        await bed.Elb.DeleteTargetGroupAsync(new DeleteTargetGroupRequest { TargetGroupArn = tg.TargetGroupArn });

        var byArn = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => bed.Elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { TargetGroupArns = [tg.TargetGroupArn!] }));
        ElbAssert.IsTypedError(byArn, ElasticLoadBalancingV2ErrorCode.TargetGroupNotFound, static e => e.IsTargetGroupNotFound);
        var byName = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => bed.Elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { Names = ["gone"] }));
        Assert.True(byName.IsTargetGroupNotFound);
        var all = await bed.Elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest());
        Assert.Equal([kept.TargetGroupArn], all.TargetGroups!.Select(static t => t.TargetGroupArn));
    }
}
