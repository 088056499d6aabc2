using System.Diagnostics;
using Serverless.Aws.Core;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Aws.Tests.Resilience;

/// <summary>The client's rate limiter against moto. Wall-clock bounds are lower bounds, or an order of magnitude apart.</summary>
[Collection(MotoCollection.Name)]
public sealed class RateLimitIntegrationTests(MotoFixture fixture) : MotoTest(fixture)
{
    // 2 tokens a second, burst 1: six calls need five refills, the first of which may come at once: at least 2 s.
    private static readonly ApiRateLimits SlowModify = ApiRateLimits.None with { Modify = new RateLimit(2, 1) };
    private static readonly TimeSpan SixSlowModifies = TimeSpan.FromSeconds(1.8);

    [Fact]
    public async Task Six_ModifyTargetGroupAttributes_calls_under_a_2_per_second_limit_are_paced_while_six_unlimited_Describe_calls_are_not()
    {
        var recorder = new AwsCallRecorder();
        using var elb = new ElasticLoadBalancingV2Client(Moto.ClientOptions(recorder) with { RateLimits = SlowModify });
        var arn = await CreateTargetGroupAsync(elb);

        var modifies = Stopwatch.StartNew();
        for (var i = 0; i < 6; i++)
        {
            await elb.ModifyTargetGroupAttributesAsync(new ModifyTargetGroupAttributesRequest
            {
                TargetGroupArn = arn,
                Attributes = [new TargetGroupAttribute { Key = "deregistration_delay.timeout_seconds", Value = (10 + i).ToString(System.Globalization.CultureInfo.InvariantCulture) }],
            });
        }
        modifies.Stop();
        var describes = Stopwatch.StartNew();
        for (var i = 0; i < 6; i++)
            await elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { TargetGroupArns = [arn] });
        describes.Stop();

        Assert.Equal(6, recorder.CallsOf("ELBv2", "ModifyTargetGroupAttributes"));
        Assert.True(modifies.Elapsed >= SixSlowModifies, $"6 modifies took {modifies.Elapsed.TotalMilliseconds} ms");
        Assert.True(describes.Elapsed < SixSlowModifies, $"6 describes took {describes.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Every_retry_pays_a_rate_limit_token()
    {
        FaultInjectionHandler? faults = null;
        var recorder = new AwsCallRecorder();
        var rule = new FaultRule("ModifyTargetGroupAttributes", FaultKind.Throttle) { Times = 2 };
        using var elb = new ElasticLoadBalancingV2Client(Moto.ClientOptions(recorder, inner => faults = new FaultInjectionHandler(inner).Add(rule)) with
        {
            RateLimits = SlowModify,
        });
        var arn = await CreateTargetGroupAsync(elb);

        var stopwatch = Stopwatch.StartNew();
        await elb.ModifyTargetGroupAttributesAsync(new ModifyTargetGroupAttributesRequest
        {
            TargetGroupArn = arn,
            Attributes = [new TargetGroupAttribute { Key = "deregistration_delay.timeout_seconds", Value = "30" }],
        });
        stopwatch.Stop();

        // One call, three attempts, one token each: the second waits for the next refill, the third a full 500 ms.
        Assert.Equal(1, recorder.CallsOf("ELBv2", "ModifyTargetGroupAttributes"));
        Assert.Equal(3, faults!.AttemptsOf("ModifyTargetGroupAttributes"));
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(450), $"took {stopwatch.Elapsed.TotalMilliseconds} ms");
    }

    private async Task<string> CreateTargetGroupAsync(ElasticLoadBalancingV2Client elb)
    {
        var sandbox = await AwsSandbox.CreateAsync(Moto);
        var created = await elb.CreateTargetGroupAsync(new CreateTargetGroupRequest
        {
            Name = "paced",
            Protocol = "HTTP",
            Port = 80,
            VpcId = sandbox.VpcId,
            TargetType = "ip",
        });
        return Assert.Single(created.TargetGroups ?? []).TargetGroupArn!;
    }
}
