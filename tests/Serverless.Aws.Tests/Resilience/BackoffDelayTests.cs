using Serverless.Aws.Core;

namespace Serverless.Aws.Tests.Resilience;

/// <summary><see cref="BackoffRetryPolicy.Delay"/>: exponential ceiling base·2ⁿ⁻¹ capped at max, full jitter below it.</summary>
public sealed class BackoffDelayTests
{
    private static readonly TimeSpan Base = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 200)]
    [InlineData(3, 400)]
    [InlineData(5, 1_600)]
    [InlineData(8, 12_800)]
    [InlineData(9, 20_000)]
    [InlineData(10, 20_000)]
    [InlineData(1_000, 20_000)]
    [InlineData(int.MaxValue, 20_000)]
    public void Retry_n_waits_at_most_base_times_two_to_the_n_minus_1_capped_at_the_maximum(int retries, double ceilingMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(ceilingMs), BackoffRetryPolicy.Delay(retries, Base, Max, 1.0));
        Assert.Equal(TimeSpan.FromMilliseconds(ceilingMs / 2), BackoffRetryPolicy.Delay(retries, Base, Max, 0.5));
        Assert.Equal(TimeSpan.Zero, BackoffRetryPolicy.Delay(retries, Base, Max, 0.0));
    }

    [Fact]
    public void The_wait_is_uniform_over_the_whole_range_from_zero_to_the_ceiling()
    {
        var random = new Random(42);
        for (var retries = 1; retries <= 12; retries++)
        {
            var ceiling = Math.Min(Max.TotalMilliseconds, Base.TotalMilliseconds * Math.Pow(2, retries - 1));
            var waits = Enumerable.Range(0, 2_000)
                .Select(_ => BackoffRetryPolicy.Delay(retries, Base, Max, random.NextDouble()).TotalMilliseconds)
                .ToList();

            Assert.All(waits, w => Assert.InRange(w, 0, ceiling));
            // Full jitter, not "equal jitter" (ceiling/2 + random half): short waits occur as well as long ones.
            Assert.True(waits.Min() < ceiling * 0.05, $"retry {retries}: shortest wait {waits.Min()} ms of {ceiling}");
            Assert.True(waits.Max() > ceiling * 0.95, $"retry {retries}: longest wait {waits.Max()} ms of {ceiling}");
            Assert.InRange(waits.Average(), ceiling * 0.45, ceiling * 0.55);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void A_retry_count_below_one_is_treated_as_the_first_retry_and_never_gives_a_negative_wait(int retries)
    {
        Assert.Equal(Base, BackoffRetryPolicy.Delay(retries, Base, Max, 1.0));
        Assert.Equal(TimeSpan.Zero, BackoffRetryPolicy.Delay(retries, Base, Max, 0.0));
    }

    [Theory]
    [InlineData(-0.5, 0)]
    [InlineData(double.NaN, 0)]
    [InlineData(1.5, 1)]
    public void A_draw_outside_zero_to_one_is_clamped_so_the_wait_stays_between_zero_and_the_ceiling(double unit, double fractionOfCeiling)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(400 * fractionOfCeiling), BackoffRetryPolicy.Delay(3, Base, Max, unit));
    }

    [Fact]
    public void A_maximum_below_the_base_caps_even_the_first_retry()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(50), BackoffRetryPolicy.Delay(1, Base, TimeSpan.FromMilliseconds(50), 1.0));
    }
}
