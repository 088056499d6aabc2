using System.Diagnostics;
using System.Reflection;
using Serverless.Aws.Core;
using Serverless.Aws.ElasticLoadBalancingV2;

namespace Serverless.Aws.Tests.Resilience;

/// <summary>
/// <see cref="ApiRateLimits"/> (classes, defaults) and <see cref="OperationRateLimiter"/> (token buckets). The
/// buckets run on the real clock (System.Threading.RateLimiting has no TimeProvider), so pacing is asserted through
/// which acquisitions complete synchronously and through generous lower bounds only.
/// </summary>
public sealed class RateLimitTests
{
    [Theory]
    [InlineData("DescribeLoadBalancers", OperationClass.Describe)]
    [InlineData("DescribeTargetGroups", OperationClass.Describe)]
    [InlineData("DescribeTargetHealth", OperationClass.Describe)]
    [InlineData("DescribeListeners", OperationClass.Describe)]
    [InlineData("DescribeRules", OperationClass.Describe)]
    [InlineData("DescribeTags", OperationClass.Describe)]
    [InlineData("DescribeLoadBalancerAttributes", OperationClass.Describe)]
    [InlineData("DescribeTargetGroupAttributes", OperationClass.Describe)]
    [InlineData("GetResourcePolicy", OperationClass.Describe)]
    [InlineData("GetTrustStoreCaCertificatesBundle", OperationClass.Describe)]
    [InlineData("RegisterTargets", OperationClass.Registration)]
    [InlineData("DeregisterTargets", OperationClass.Registration)]
    [InlineData("CreateLoadBalancer", OperationClass.CreateDelete)]
    [InlineData("CreateTargetGroup", OperationClass.CreateDelete)]
    [InlineData("CreateListener", OperationClass.CreateDelete)]
    [InlineData("CreateRule", OperationClass.CreateDelete)]
    [InlineData("DeleteLoadBalancer", OperationClass.CreateDelete)]
    [InlineData("DeleteTargetGroup", OperationClass.CreateDelete)]
    [InlineData("DeleteListener", OperationClass.CreateDelete)]
    [InlineData("DeleteRule", OperationClass.CreateDelete)]
    [InlineData("ModifyLoadBalancerAttributes", OperationClass.Modify)]
    [InlineData("ModifyTargetGroup", OperationClass.Modify)]
    [InlineData("ModifyTargetGroupAttributes", OperationClass.Modify)]
    [InlineData("ModifyListener", OperationClass.Modify)]
    [InlineData("ModifyRule", OperationClass.Modify)]
    [InlineData("SetSecurityGroups", OperationClass.Modify)]
    [InlineData("SetSubnets", OperationClass.Modify)]
    [InlineData("SetIpAddressType", OperationClass.Modify)]
    [InlineData("SetRulePriorities", OperationClass.Modify)]
    [InlineData("AddTags", OperationClass.Modify)]
    [InlineData("AddListenerCertificates", OperationClass.Modify)]
    [InlineData("RemoveTags", OperationClass.Modify)]
    [InlineData("RemoveListenerCertificates", OperationClass.Modify)]
    public void ELBv2_operations_are_classified_by_their_name(string operation, OperationClass expected)
    {
        Assert.Equal(expected, ApiRateLimits.Classify(operation));
    }

    [Fact]
    public void Every_ELBv2_operation_of_the_generated_client_has_a_prefix_with_a_deliberate_class()
    {
        // Classify sends any unknown prefix to Modify; this catches an operation added to the model under a new verb.
        var operations = typeof(ElasticLoadBalancingV2Client).Assembly
            .GetType("Serverless.Aws.ElasticLoadBalancingV2.ElasticLoadBalancingV2Operations", throwOnError: true)!
            .GetFields(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
            .Select(f => (string)f.FieldType.GetProperty("Name")!.GetValue(f.GetValue(null))!)
            .ToList();

        Assert.True(operations.Count > 40, $"only {operations.Count} operations found");
        Assert.All(operations, operation =>
        {
            OperationClass? expected =
                operation.StartsWith("Describe", StringComparison.Ordinal) || operation.StartsWith("Get", StringComparison.Ordinal) ? OperationClass.Describe
                : operation is "RegisterTargets" or "DeregisterTargets" ? OperationClass.Registration
                : operation.StartsWith("Create", StringComparison.Ordinal) || operation.StartsWith("Delete", StringComparison.Ordinal) ? OperationClass.CreateDelete
                : new[] { "Modify", "Set", "Add", "Remove" }.Any(p => operation.StartsWith(p, StringComparison.Ordinal)) ? OperationClass.Modify
                : null;
            Assert.True(expected is not null, $"{operation} has a verb no class was chosen for");
            Assert.Equal(expected, ApiRateLimits.Classify(operation));
        });
    }

    // Pins the defaults as ApiRateLimits declares them. Against upstream (aws-load-balancer-controller,
    // pkg/aws/throttle/defaults.go): Registration 4/20 and Modify 3/20 match its "^RegisterTargets|^DeregisterTargets"
    // and "^Modify.*" entries; the newest upstream version found has "^Describe.*" at 10/s burst 40 (its docs, older:
    // ".*" at 10:40), not 50/200; and CreateDelete has no upstream counterpart.
    [Fact]
    public void The_default_limits_are_Describe_50_per_second_burst_200_Modify_and_CreateDelete_3_burst_20_and_Registration_4_burst_20()
    {
        Assert.Equal(new RateLimit(50, 200), ApiRateLimits.Default.Describe);
        Assert.Equal(new RateLimit(3, 20), ApiRateLimits.Default.Modify);
        Assert.Equal(new RateLimit(3, 20), ApiRateLimits.Default.CreateDelete);
        Assert.Equal(new RateLimit(4, 20), ApiRateLimits.Default.Registration);
        Assert.Same(ApiRateLimits.Default, new AwsClientOptions().RateLimits);
        Assert.All(Enum.GetValues<OperationClass>(), c => Assert.True(ApiRateLimits.None.For(c).IsUnlimited));
    }

    [Theory]
    [InlineData(0.5, 1)]
    [InlineData(3, 20)]
    [InlineData(4, 20)]
    [InlineData(10, 40)]
    [InlineData(15, 5)]
    [InlineData(25, 5)]
    [InlineData(50, 200)]
    [InlineData(1_000, 1_000)]
    public void A_bucket_holds_the_burst_and_refills_at_the_configured_rate_never_above_it_in_steps_of_at_most_a_tenth_of_a_second_or_one_token(double perSecond, int burst)
    {
        var options = OperationRateLimiter.BucketOptions(new RateLimit(perSecond, burst));

        Assert.Equal(burst, options.TokenLimit);
        var rate = options.TokensPerPeriod / options.ReplenishmentPeriod.TotalSeconds;
        Assert.True(rate <= perSecond, $"{rate}/s exceeds {perSecond}/s");
        Assert.True(rate >= perSecond * (1 - 1e-6), $"{rate}/s is well under {perSecond}/s");
        Assert.True(options.TokensPerPeriod == 1 || options.ReplenishmentPeriod <= TimeSpan.FromMilliseconds(100));
        Assert.True(options.AutoReplenishment);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(-1, 1)]
    [InlineData(double.NaN, 1)]
    [InlineData(1, 0)]
    public void A_limit_without_a_positive_rate_and_burst_is_rejected(double perSecond, int burst)
    {
        Assert.Throws<ArgumentOutOfRangeException>(
            () => new OperationRateLimiter(ApiRateLimits.None with { Modify = new RateLimit(perSecond, burst) }));
    }

    [Fact]
    public async Task A_full_burst_is_granted_at_once_and_later_tokens_arrive_at_the_configured_rate()
    {
        using var limiter = new OperationRateLimiter(ApiRateLimits.None with { Modify = new RateLimit(10, 5) });

        var burst = Enumerable.Range(0, 5).Select(_ => limiter.AcquireAsync(OperationClass.Modify, CancellationToken.None)).ToList();
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < 5; i++)
            await limiter.AcquireAsync(OperationClass.Modify, CancellationToken.None);
        stopwatch.Stop();

        Assert.All(burst, acquisition => Assert.True(acquisition.IsCompletedSuccessfully));
        // Five more at 10/s: the first may arrive with the next refill, each further one 100 ms later.
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(300), $"5 tokens beyond the burst took {stopwatch.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task With_the_default_limits_the_21st_Modify_call_of_a_burst_waits_for_a_token()
    {
        using var limiter = new OperationRateLimiter(ApiRateLimits.Default);

        var granted = 0;
        ValueTask waiting;
        while ((waiting = limiter.AcquireAsync(OperationClass.Modify, CancellationToken.None)).IsCompletedSuccessfully)
            granted++;

        // 20 from the burst; one more only if a refill (every 1/3 s) happened to land inside this loop.
        Assert.InRange(granted, 20, 21);
        await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task An_exhausted_class_does_not_hold_up_the_other_classes()
    {
        using var limiter = new OperationRateLimiter(new ApiRateLimits
        {
            Describe = new RateLimit(1, 3),
            Modify = new RateLimit(0.1, 1),
            Registration = new RateLimit(1, 3),
            CreateDelete = new RateLimit(1, 3),
        });
        await limiter.AcquireAsync(OperationClass.Modify, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var modifyWaiting = limiter.AcquireAsync(OperationClass.Modify, cancel.Token).AsTask();

        foreach (var other in new[] { OperationClass.Describe, OperationClass.Registration, OperationClass.CreateDelete })
        {
            for (var i = 0; i < 3; i++)
                Assert.True(limiter.AcquireAsync(other, CancellationToken.None).IsCompletedSuccessfully, $"{other} #{i + 1} had to wait");
        }

        Assert.False(modifyWaiting.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => modifyWaiting);
    }

    [Fact]
    public async Task Cancelling_a_call_that_waits_for_a_token_throws_OperationCanceledException()
    {
        using var limiter = new OperationRateLimiter(ApiRateLimits.None with { Registration = new RateLimit(0.1, 1) });
        await limiter.AcquireAsync(OperationClass.Registration, CancellationToken.None);
        using var cancel = new CancellationTokenSource();

        var waiting = limiter.AcquireAsync(OperationClass.Registration, cancel.Token).AsTask();
        Assert.False(waiting.IsCompleted);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => limiter.AcquireAsync(OperationClass.Registration, cancelled.Token).AsTask());
    }

    [Fact]
    public void An_unlimited_class_never_waits()
    {
        using var limiter = new OperationRateLimiter(ApiRateLimits.None);

        for (var i = 0; i < 10_000; i++)
            Assert.True(limiter.AcquireAsync(OperationClass.Describe, CancellationToken.None).IsCompletedSuccessfully);
    }
}
