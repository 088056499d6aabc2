using System.Net;
using Serverless.Aws.Core;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;

namespace Serverless.Aws.Tests.ElasticLoadBalancingV2;

/// <summary>
/// Error codes moto never answers (it does not enforce the condition, or has no throttling), checked by feeding
/// the client AWS-format error bodies from a handler under it. No request leaves the process.
/// </summary>
public sealed class CannedErrorMappingTests
{
    private const string LbArn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188";
    private const string ListenerArn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2";
    private const string TgArn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/73e2d6bc24d8a067";

    private static readonly Dictionary<string, Func<ElasticLoadBalancingV2Exception, bool>> Helpers = new(StringComparer.Ordinal)
    {
        [ElasticLoadBalancingV2ErrorCode.DuplicateLoadBalancerName] = static e => e.IsDuplicateLoadBalancerName,
        [ElasticLoadBalancingV2ErrorCode.DuplicateListener] = static e => e.IsDuplicateListener,
        [ElasticLoadBalancingV2ErrorCode.TooManyRules] = static e => e.IsTooManyRules,
        [ElasticLoadBalancingV2ErrorCode.TooManyTargetGroups] = static e => e.IsTooManyTargetGroups,
        [ElasticLoadBalancingV2ErrorCode.TooManyTargets] = static e => e.IsTooManyTargets,
        [ElasticLoadBalancingV2ErrorCode.TooManyUniqueTargetGroupsPerLoadBalancer] = static e => e.IsTooManyUniqueTargetGroupsPerLoadBalancer,
        [ElasticLoadBalancingV2ErrorCode.OperationNotPermitted] = static e => e.IsOperationNotPermitted,
        [ElasticLoadBalancingV2ErrorCode.SubnetNotFound] = static e => e.IsSubnetNotFound,
        [ElasticLoadBalancingV2ErrorCode.Throttling] = static e => e.IsThrottling,
    };

    /// <summary>The call that provokes each code on AWS, by the code.</summary>
    private static readonly Dictionary<string, (string Operation, Func<IElasticLoadBalancingV2Client, Task> Call)> Calls = new(StringComparer.Ordinal)
    {
        [ElasticLoadBalancingV2ErrorCode.DuplicateLoadBalancerName] = ("CreateLoadBalancer", static c => c.CreateLoadBalancerAsync(new CreateLoadBalancerRequest { Name = "web", Subnets = ["subnet-a", "subnet-b"] })),
        [ElasticLoadBalancingV2ErrorCode.DuplicateListener] = ("CreateListener", static c => c.CreateListenerAsync(new CreateListenerRequest { LoadBalancerArn = LbArn, Protocol = "HTTP", Port = 80, DefaultActions = [ElbTestBed.FixedResponse("404")] })),
        [ElasticLoadBalancingV2ErrorCode.TooManyRules] = ("CreateRule", static c => c.CreateRuleAsync(new CreateRuleRequest { ListenerArn = ListenerArn, Priority = 101, Conditions = [ElbTestBed.PathCondition("/x")], Actions = [ElbTestBed.Forward(TgArn)] })),
        [ElasticLoadBalancingV2ErrorCode.TooManyTargetGroups] = ("CreateTargetGroup", static c => c.CreateTargetGroupAsync(new CreateTargetGroupRequest { Name = "tg-3001", Protocol = "HTTP", Port = 80, VpcId = "vpc-1" })),
        [ElasticLoadBalancingV2ErrorCode.TooManyTargets] = ("RegisterTargets", static c => c.RegisterTargetsAsync(new RegisterTargetsRequest { TargetGroupArn = TgArn, Targets = [new TargetDescription { Id = "10.0.0.1" }] })),
        [ElasticLoadBalancingV2ErrorCode.TooManyUniqueTargetGroupsPerLoadBalancer] = ("ModifyRule", static c => c.ModifyRuleAsync(new ModifyRuleRequest { RuleArn = ListenerArn.Replace(":listener/", ":listener-rule/", StringComparison.Ordinal) + "/9683b2d02a6cabee", Actions = [ElbTestBed.Forward(TgArn)] })),
        [ElasticLoadBalancingV2ErrorCode.OperationNotPermitted] = ("DeleteLoadBalancer", static c => c.DeleteLoadBalancerAsync(new DeleteLoadBalancerRequest { LoadBalancerArn = LbArn })),
        [ElasticLoadBalancingV2ErrorCode.SubnetNotFound] = ("CreateLoadBalancer", static c => c.CreateLoadBalancerAsync(new CreateLoadBalancerRequest { Name = "web", Subnets = ["subnet-0000", "subnet-1111"] })),
        [ElasticLoadBalancingV2ErrorCode.Throttling] = ("DescribeLoadBalancers", static c => c.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest())),
    };

    [Theory]
    [InlineData("DuplicateLoadBalancerName", "A load balancer with the same name 'web' exists, but with different settings")]
    [InlineData("DuplicateListener", "A listener already exists on this port for this load balancer")]
    [InlineData("TooManyRules", "The maximum number of rules per listener has been reached")]
    [InlineData("TooManyTargetGroups", "You've reached the limit on the number of target groups for your AWS account")]
    [InlineData("TooManyTargets", "You've reached the limit on the number of targets")]
    [InlineData("TooManyUniqueTargetGroupsPerLoadBalancer", "You've reached the limit on the number of unique target groups per load balancer")]
    [InlineData("OperationNotPermitted", "Load balancer 'web' cannot be deleted because deletion protection is enabled")]
    [InlineData("SubnetNotFound", "The subnet ID 'subnet-0000' is not valid")]
    public async Task A_canned_AWS_error_body_surfaces_as_the_typed_exception_without_retries(string code, string message)
    {
        var requestId = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
        var recorder = new AwsCallRecorder();
        CapturingHandler? capture = null;
        using var elb = new ElasticLoadBalancingV2Client(CannedOptions(recorder, inner => capture = new CapturingHandler(inner, _ => CapturingHandler.AwsError(code, message, requestId))));
        var (operation, call) = Calls[code];

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(() => call(elb));

        ElbAssert.IsTypedError(error, code, Helpers[code]);
        Assert.Equal(message, error.Message);
        Assert.Equal(requestId, error.RequestId);
        Assert.Equal(operation, capture!.Requests.Single()["Action"]);
        Assert.Equal(1, recorder.Attempts["ELBv2:" + operation]);
        Assert.Equal(1, recorder.CallsOf("ELBv2", operation));
        Assert.Single(Helpers, h => h.Value(error));
    }

    [Fact]
    public async Task A_Throttling_error_body_is_retried_to_the_limit_and_then_surfaces_as_the_typed_exception()
    {
        var requestId = "7a6b5c4d-3e2f-1a0b-9c8d-7e6f5a4b3c2d";
        var recorder = new AwsCallRecorder();
        using var elb = new ElasticLoadBalancingV2Client(CannedOptions(
            recorder,
            inner => new CapturingHandler(inner, _ => CapturingHandler.AwsError("Throttling", "Rate exceeded", requestId))) with { MaxErrorRetry = 2 });

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(() => Calls["Throttling"].Call(elb));

        ElbAssert.IsTypedError(error, ElasticLoadBalancingV2ErrorCode.Throttling, static e => e.IsThrottling);
        Assert.Equal("Rate exceeded", error.Message);
        Assert.Equal(requestId, error.RequestId);
        Assert.Equal(3, recorder.Attempts["ELBv2:DescribeLoadBalancers"]);
        Assert.Equal(1, recorder.CallsOf("ELBv2", "DescribeLoadBalancers"));
    }

    [Fact]
    public async Task A_canned_error_without_a_code_of_its_own_keeps_the_code_AWS_sent()
    {
        var recorder = new AwsCallRecorder();
        using var elb = new ElasticLoadBalancingV2Client(CannedOptions(
            recorder,
            inner => new CapturingHandler(inner, _ => CapturingHandler.AwsError("SomeFutureError", "new in 2030", "r-1"))));

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(() => Calls["Throttling"].Call(elb));

        Assert.Equal("SomeFutureError", error.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal("r-1", error.RequestId);
        Assert.DoesNotContain(Helpers, h => h.Value(error));
    }

    private static AwsClientOptions CannedOptions(AwsCallRecorder recorder, Func<HttpMessageHandler, HttpMessageHandler> wrap) =>
        // Port 9 (discard) on loopback: nothing listens, and the canned handler answers before any connection.
        AwsClientOptions.ForEmulator("http://127.0.0.1:9") with
        {
            CallRecorder = recorder,
            HttpHandlerWrapper = wrap,
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            RetryMaxDelay = TimeSpan.FromMilliseconds(5),
        };
}
