using System.Diagnostics;
using System.Net;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Aws.Tests.Resilience;

/// <summary>
/// Which failures the ELBv2 client retries and how often, observed through the fault-injection handler under the
/// client (attempts on the wire) and the <c>AwsCallRecorder</c> (calls and attempts as the pipeline counts them).
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class RetryTests(MotoFixture fixture) : MotoTest(fixture)
{
    private const string Describe = "DescribeLoadBalancers";

    [Fact]
    public async Task Three_throttled_DescribeLoadBalancers_attempts_are_retried_and_the_fourth_succeeds_as_one_call_of_four_attempts()
    {
        using var elb = new FaultyElb(Moto, null, new FaultRule(Describe, FaultKind.Throttle) { Times = 3 });

        var response = await elb.Client.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest());

        Assert.Empty(response.LoadBalancers ?? []);
        Assert.Equal(1, elb.CallsOf(Describe));
        Assert.Equal(4, elb.AttemptsOf(Describe));
        Assert.Equal(4, elb.Handler.AttemptsOf(Describe));
    }

    [Fact]
    public async Task Every_attempt_of_one_client_goes_through_the_same_HTTP_handler_chain()
    {
        using var elb = new FaultyElb(Moto, null, new FaultRule(Describe, FaultKind.Throttle) { Times = 2 });

        await elb.Client.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest());
        await elb.Client.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest());

        // 2 calls, 4 attempts, 1 HTTP client: the SDK must not build a handler chain (and connection pool) per attempt.
        Assert.Equal(4, elb.AttemptsOf(Describe));
        Assert.Equal(1, elb.HandlerChainsBuilt);
    }

    [Fact]
    public async Task Always_throttled_DescribeLoadBalancers_with_MaxErrorRetry_2_fails_with_Throttling_after_exactly_3_attempts()
    {
        using var elb = new FaultyElb(Moto, o => o with { MaxErrorRetry = 2 }, new FaultRule(Describe, FaultKind.Throttle));

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => elb.Client.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest()));

        Assert.True(error.IsThrottling);
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal(1, elb.CallsOf(Describe));
        Assert.Equal(3, elb.AttemptsOf(Describe));
        Assert.Equal(3, elb.Handler.AttemptsOf(Describe));
    }

    [Theory]
    [InlineData(FaultKind.ServerError, "InternalFailure", HttpStatusCode.InternalServerError)]
    [InlineData(FaultKind.ServiceUnavailable, "ServiceUnavailable", HttpStatusCode.ServiceUnavailable)]
    public async Task A_persistent_5xx_with_MaxErrorRetry_2_fails_with_the_service_error_after_exactly_3_attempts(
        FaultKind kind, string code, HttpStatusCode status)
    {
        using var elb = new FaultyElb(Moto, o => o with { MaxErrorRetry = 2 }, new FaultRule(Describe, kind));

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => elb.Client.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest()));

        Assert.Equal(code, error.ErrorCode);
        Assert.Equal(status, error.StatusCode);
        Assert.Equal(1, elb.CallsOf(Describe));
        Assert.Equal(3, elb.AttemptsOf(Describe));
        Assert.Equal(3, elb.Handler.AttemptsOf(Describe));
    }

    [Theory]
    [InlineData(FaultKind.ServerError)]
    [InlineData(FaultKind.ServiceUnavailable)]
    [InlineData(FaultKind.Timeout)]
    [InlineData(FaultKind.ConnectionReset)]
    public async Task Two_transient_failures_are_retried_and_the_third_attempt_succeeds(FaultKind kind)
    {
        using var elb = new FaultyElb(Moto, o => o with { MaxErrorRetry = 2 }, new FaultRule(Describe, kind) { Times = 2 });

        var response = await elb.Client.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest());

        Assert.Empty(response.LoadBalancers ?? []);
        Assert.Equal(1, elb.CallsOf(Describe));
        Assert.Equal(3, elb.AttemptsOf(Describe));
        Assert.Equal(3, elb.Handler.AttemptsOf(Describe));
    }

    // The SDK unwraps HttpClient's exceptions (HttpWebRequestMessage.GetResponseAsync): a timed-out attempt surfaces
    // as the TimeoutException inside HttpClient's TaskCanceledException, a reset as the IOException inside the
    // HttpRequestException. Its RetryPolicy.IsTransientError retries both (IOException; OperationCanceledException
    // or TimeoutException without caller cancellation), and once retries run out the caller gets that exception
    // itself, not an AmazonServiceException.
    [Fact]
    public async Task Persistent_attempt_timeouts_with_MaxErrorRetry_2_fail_with_the_typed_RequestTimeout_error_after_exactly_3_attempts()
    {
        using var elb = new FaultyElb(Moto, o => o with { MaxErrorRetry = 2 }, new FaultRule(Describe, FaultKind.Timeout));

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(() => elb.Client.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest()));

        Assert.True(error.IsRequestTimeout);
        Assert.Equal((System.Net.HttpStatusCode)0, error.StatusCode);
        Assert.IsType<TimeoutException>(error.InnerException);

        Assert.Equal(3, elb.AttemptsOf(Describe));
        Assert.Equal(3, elb.Handler.AttemptsOf(Describe));
    }

    [Fact]
    public async Task Persistent_connection_resets_with_MaxErrorRetry_2_fail_with_the_typed_NetworkFailure_error_after_exactly_3_attempts()
    {
        using var elb = new FaultyElb(Moto, o => o with { MaxErrorRetry = 2 }, new FaultRule(Describe, FaultKind.ConnectionReset));

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(() => elb.Client.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest()));

        Assert.True(error.IsNetworkFailure);
        Assert.IsAssignableFrom<IOException>(error.InnerException);

        Assert.Contains("reset", error.InnerException!.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(3, elb.AttemptsOf(Describe));
        Assert.Equal(3, elb.Handler.AttemptsOf(Describe));
    }

    [Fact]
    public async Task An_attempt_that_exceeds_AttemptTimeout_is_abandoned_and_retried()
    {
        // moto loads a service's backend on its first request, which can take longer than the timeout below.
        using (var warmUp = new ElasticLoadBalancingV2Client(Moto.ClientOptions()))
            await warmUp.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest());
        // A real HttpClient timeout, not an injected exception: the first attempt hangs far beyond the timeout.
        using var elb = new FaultyElb(
            Moto,
            o => o with { MaxErrorRetry = 2, AttemptTimeout = TimeSpan.FromSeconds(3) },
            new FaultRule(Describe, FaultKind.Latency) { Times = 1, Latency = TimeSpan.FromMinutes(2) });

        var response = await elb.Client.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest());

        Assert.Empty(response.LoadBalancers ?? []);
        Assert.Equal(2, elb.AttemptsOf(Describe));
        Assert.Equal(2, elb.Handler.AttemptsOf(Describe));
    }

    [Fact]
    public async Task LoadBalancerNotFound_is_not_retried()
    {
        using var elb = new FaultyElb(Moto, null);

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => elb.Client.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { Names = ["missing"] }));

        Assert.True(error.IsLoadBalancerNotFound);
        Assert.Equal(1, elb.AttemptsOf(Describe));
        Assert.Equal(1, elb.Handler.AttemptsOf(Describe));
    }

    [Fact]
    public async Task ValidationError_is_not_retried()
    {
        using var elb = new FaultyElb(Moto, null);

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => elb.Client.CreateTargetGroupAsync(new CreateTargetGroupRequest { Name = "-not-valid-", TargetType = "lambda" }));

        Assert.True(error.IsValidationError);
        Assert.Equal(1, elb.AttemptsOf("CreateTargetGroup"));
        Assert.Equal(1, elb.Handler.AttemptsOf("CreateTargetGroup"));
    }

    // AWS documents CreateTargetGroup as idempotent: a second call with the same name and settings returns the existing
    // group, so there the retry after a lost response would succeed. moto instead rejects any second group of the same
    // name, which makes the hazard of retrying a non-idempotent create visible: the group exists, the caller sees an error.
    [Fact]
    public async Task A_CreateTargetGroup_whose_response_is_lost_is_retried_and_moto_answers_the_retry_with_DuplicateTargetGroupName_although_the_group_was_created()
    {
        var sandbox = await AwsSandbox.CreateAsync(Moto);
        using var elb = new FaultyElb(Moto, null, new FaultRule("CreateTargetGroup", FaultKind.LoseResponse) { Times = 1 });

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(() => elb.Client.CreateTargetGroupAsync(new CreateTargetGroupRequest
        {
            Name = "lost-response",
            Protocol = "HTTP",
            Port = 80,
            VpcId = sandbox.VpcId,
            TargetType = "ip",
        }));

        Assert.True(error.IsDuplicateTargetGroupName);
        Assert.Equal(1, elb.CallsOf("CreateTargetGroup"));
        Assert.Equal(2, elb.AttemptsOf("CreateTargetGroup"));
        var groups = await elb.Client.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { Names = ["lost-response"] });
        Assert.Single(groups.TargetGroups ?? []);
    }

    [Fact]
    public async Task A_ModifyTargetGroupAttributes_whose_response_is_lost_is_retried_and_succeeds_because_the_change_is_idempotent()
    {
        var sandbox = await AwsSandbox.CreateAsync(Moto);
        using var elb = new FaultyElb(Moto, null, new FaultRule("ModifyTargetGroupAttributes", FaultKind.LoseResponse) { Times = 1 });
        var created = await elb.Client.CreateTargetGroupAsync(new CreateTargetGroupRequest
        {
            Name = "lost-modify",
            Protocol = "HTTP",
            Port = 80,
            VpcId = sandbox.VpcId,
            TargetType = "ip",
        });
        var arn = Assert.Single(created.TargetGroups ?? []).TargetGroupArn;

        var response = await elb.Client.ModifyTargetGroupAttributesAsync(new ModifyTargetGroupAttributesRequest
        {
            TargetGroupArn = arn,
            Attributes = [new TargetGroupAttribute { Key = "deregistration_delay.timeout_seconds", Value = "42" }],
        });

        Assert.Contains(response.Attributes ?? [], a => a.Key == "deregistration_delay.timeout_seconds" && a.Value == "42");
        Assert.Equal(2, elb.AttemptsOf("ModifyTargetGroupAttributes"));
    }

    [Fact]
    public async Task The_configured_RetryBaseDelay_sets_the_backoff_ceiling_of_each_retry()
    {
        // Jitter pinned to the top of its range, so each wait is its ceiling: 200 ms, then 400 ms.
        var draws = 0;
        using var elb = new FaultyElb(
            Moto,
            o => o with
            {
                RetryBaseDelay = TimeSpan.FromMilliseconds(200),
                RetryMaxDelay = TimeSpan.FromSeconds(20),
                RetryJitter = () =>
                {
                    Interlocked.Increment(ref draws);
                    return 1.0;
                },
            },
            new FaultRule(Describe, FaultKind.Throttle) { Times = 2 });

        var stopwatch = Stopwatch.StartNew();
        await elb.Client.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest());
        stopwatch.Stop();

        Assert.Equal(2, draws);
        Assert.Equal(3, elb.AttemptsOf(Describe));
        // 600 ms of backoff; a lower bound only, with slack for timer granularity.
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(550), $"took {stopwatch.Elapsed.TotalMilliseconds} ms");
    }
}
