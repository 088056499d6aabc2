using Serverless.Testing;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Tests.Infrastructure;

namespace Serverless.Aws.Tests.ElasticLoadBalancingV2;

/// <remarks>
/// Health states differ between AWS and moto, so the assertions accept exactly the states each documents:
/// a newly registered target behind a listener is <c>initial</c> on AWS and <c>healthy</c> at once on moto; a
/// deregistered target is <c>draining</c> (<c>Target.DeregistrationInProgress</c>) on AWS until the deregistration
/// delay ends, while moto drops it at once and, asked for it by id, answers <c>unused</c> (<c>Target.NotRegistered</c>).
/// </remarks>
[Collection(MotoCollection.Name)]
public sealed class TargetRoundTripTests(MotoFixture fixture) : MotoTest(fixture)
{
    private static readonly string[] RegisteredStates = [TargetHealthStateEnumValues.Initial, TargetHealthStateEnumValues.Healthy];

    [Fact]
    public async Task Registered_instance_targets_are_described_with_their_ids_ports_and_a_registration_health_state()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var tg = await TargetGroupBehindListenerAsync(bed, TargetTypeEnumValues.Instance);
        var instances = await bed.RunInstancesAsync(2);

        await bed.Elb.RegisterTargetsAsync(new RegisterTargetsRequest
        {
            TargetGroupArn = tg.TargetGroupArn,
            Targets = [new TargetDescription { Id = instances[0], Port = 8080 }, new TargetDescription { Id = instances[1], Port = 8081 }],
        });
        var all = await bed.Elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = tg.TargetGroupArn });
        var one = await bed.Elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest
        {
            TargetGroupArn = tg.TargetGroupArn,
            Targets = [new TargetDescription { Id = instances[1], Port = 8081 }],
        });

        Assert.Equal(
            [(instances[0], 8080), (instances[1], 8081)],
            all.TargetHealthDescriptions!.Select(static d => (d.Target!.Id!, d.Target.Port ?? 0)).OrderBy(static t => t.Item2));
        Assert.All(all.TargetHealthDescriptions!, static d => Assert.Contains(d.TargetHealth!.State, RegisteredStates));
        // The group health-checks on the traffic port: moto names it so, AWS gives the target's port.
        Assert.All(all.TargetHealthDescriptions!, static d => Assert.Contains(d.HealthCheckPort, new[] { "traffic-port", d.Target!.Port?.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
        var single = Assert.Single(one.TargetHealthDescriptions!);
        Assert.Equal(instances[1], single.Target!.Id);
        Assert.Equal(8081, single.Target.Port);
        Assert.Contains(single.TargetHealth!.State, RegisteredStates);
    }

    [Fact]
    public async Task Registered_ip_targets_are_described_with_their_addresses_and_ports()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var tg = await TargetGroupBehindListenerAsync(bed, TargetTypeEnumValues.Ip);

        await bed.Elb.RegisterTargetsAsync(new RegisterTargetsRequest
        {
            TargetGroupArn = tg.TargetGroupArn,
            Targets =
            [
                new TargetDescription { Id = "10.0.1.10", Port = 8080, AvailabilityZone = "us-east-1a" },
                new TargetDescription { Id = "10.0.2.20", Port = 9090, AvailabilityZone = "us-east-1b" },
            ],
        });
        var health = await bed.Elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = tg.TargetGroupArn });

        Assert.Equal(
            [("10.0.1.10", 8080), ("10.0.2.20", 9090)],
            health.TargetHealthDescriptions!.Select(static d => (d.Target!.Id!, d.Target.Port ?? 0)).OrderBy(static t => t.Item1, StringComparer.Ordinal));
        Assert.All(health.TargetHealthDescriptions!, static d => Assert.Contains(d.TargetHealth!.State, RegisteredStates));
    }

    [Fact]
    public async Task A_deregistered_target_leaves_the_group_or_drains_while_the_other_stays_registered()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var tg = await TargetGroupBehindListenerAsync(bed, TargetTypeEnumValues.Instance);
        var instances = await bed.RunInstancesAsync(2);
        await bed.Elb.RegisterTargetsAsync(new RegisterTargetsRequest
        {
            TargetGroupArn = tg.TargetGroupArn,
            Targets = [new TargetDescription { Id = instances[0], Port = 80 }, new TargetDescription { Id = instances[1], Port = 80 }],
        });

        await bed.Elb.DeregisterTargetsAsync(new DeregisterTargetsRequest
        {
            TargetGroupArn = tg.TargetGroupArn,
            Targets = [new TargetDescription { Id = instances[0], Port = 80 }],
        });
        var all = await bed.Elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = tg.TargetGroupArn });
        var asked = await bed.Elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest
        {
            TargetGroupArn = tg.TargetGroupArn,
            Targets = [new TargetDescription { Id = instances[0], Port = 80 }],
        });

        var kept = Assert.Single(all.TargetHealthDescriptions!, d => d.Target!.Id == instances[1]);
        Assert.Contains(kept.TargetHealth!.State, RegisteredStates);
        // Gone from the list (moto), or still listed but draining (AWS).
        Assert.All(
            all.TargetHealthDescriptions!.Where(d => d.Target!.Id == instances[0]),
            static d => Assert.Equal(TargetHealthStateEnumValues.Draining, d.TargetHealth!.State));
        var leaving = Assert.Single(asked.TargetHealthDescriptions!);
        Assert.Equal(instances[0], leaving.Target!.Id);
        Assert.Contains(
            (leaving.TargetHealth!.State, leaving.TargetHealth.Reason),
            new (string?, string?)[]
            {
                (TargetHealthStateEnumValues.Draining, TargetHealthReasonEnumValues.TargetDeregistrationInProgress),
                (TargetHealthStateEnumValues.Unused, TargetHealthReasonEnumValues.TargetNotRegistered),
            });
        Assert.False(string.IsNullOrEmpty(leaving.TargetHealth.Description));
    }

    private static async Task<TargetGroup> TargetGroupBehindListenerAsync(ElbTestBed bed, string targetType)
    {
        // Behind a listener, so AWS health-checks the targets instead of reporting them unused (Target.NotInUse).
        var lb = await bed.CreateAlbAsync("web");
        var tg = await bed.CreateTargetGroupAsync("targets", targetType: targetType);
        await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!, defaultAction: ElbTestBed.Forward(tg.TargetGroupArn!));
        return tg;
    }
}
