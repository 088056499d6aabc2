using System.Net;
using Amazon.EC2;
using Amazon.Runtime;
using Serverless.Aws.AutoScaling;
using Serverless.Aws.AutoScaling.Model;
using Serverless.Aws.Core;
using Serverless.Aws.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Aws.Tests.AutoScaling;

[Collection(MotoCollection.Name)]
public sealed class AutoScalingLifecycleTests(MotoFixture fixture) : MotoTest(fixture)
{
    private const string Terminating = "autoscaling:EC2_INSTANCE_TERMINATING";
    private const string Namespace = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

    [Fact]
    public async Task A_terminating_lifecycle_hook_put_on_a_real_group_is_described_with_transition_timeouts_and_default_result()
    {
        var recorder = new AwsCallRecorder();
        using var autoscaling = new AutoScalingClient(Moto.ClientOptions(recorder));
        await CreateGroupAsync(autoscaling, "nodes");

        await autoscaling.PutLifecycleHookAsync(new PutLifecycleHookRequest
        {
            AutoScalingGroupName = "nodes",
            LifecycleHookName = "drain",
            LifecycleTransition = Terminating,
            // 1800 s: AWS's global timeout is then min(100 × heartbeat, 48 h) = 48 h, the value moto always reports.
            HeartbeatTimeout = 1800,
            DefaultResult = "CONTINUE",
        });
        await autoscaling.PutLifecycleHookAsync(new PutLifecycleHookRequest
        {
            AutoScalingGroupName = "nodes",
            LifecycleHookName = "launch",
            LifecycleTransition = "autoscaling:EC2_INSTANCE_LAUNCHING",
            HeartbeatTimeout = 1800,
            DefaultResult = "ABANDON",
        });
        var all = await autoscaling.DescribeLifecycleHooksAsync(new DescribeLifecycleHooksRequest { AutoScalingGroupName = "nodes" });
        var named = await autoscaling.DescribeLifecycleHooksAsync(new DescribeLifecycleHooksRequest
        {
            AutoScalingGroupName = "nodes",
            LifecycleHookNames = ["drain"],
        });

        Assert.Equal(["drain", "launch"], all.LifecycleHooks!.Select(h => h.LifecycleHookName).Order(StringComparer.Ordinal));
        var hook = Assert.Single(named.LifecycleHooks!);
        Assert.Equal("drain", hook.LifecycleHookName);
        Assert.Equal("nodes", hook.AutoScalingGroupName);
        Assert.Equal(Terminating, hook.LifecycleTransition);
        Assert.Equal(1800, hook.HeartbeatTimeout);
        Assert.Equal(172800, hook.GlobalTimeout);
        Assert.Equal("CONTINUE", hook.DefaultResult);
        Assert.Equal(2, recorder.CallsOf("AutoScaling", "DescribeLifecycleHooks"));
        Assert.Equal(2, recorder.CallsOf("AutoScaling", "PutLifecycleHook"));
    }

    [Fact]
    public async Task A_group_without_hooks_describes_an_empty_list()
    {
        using var autoscaling = new AutoScalingClient(Moto.ClientOptions());
        await CreateGroupAsync(autoscaling, "nodes");

        var response = await autoscaling.DescribeLifecycleHooksAsync(new DescribeLifecycleHooksRequest { AutoScalingGroupName = "nodes" });

        Assert.Empty(response.LifecycleHooks ?? []);
    }

    /// <summary>moto has no CompleteLifecycleAction: the request is checked on the wire and answered as AWS answers.</summary>
    [Fact]
    public async Task CompleteLifecycleAction_sends_every_form_parameter_and_reads_the_AWS_success_response()
    {
        CannedResponseHandler? handler = null;
        var recorder = new AwsCallRecorder();
        using var autoscaling = new AutoScalingClient(Moto.ClientOptions(recorder, inner => handler = new CannedResponseHandler(inner, _ =>
            CannedResponseHandler.Xml(
                $"<CompleteLifecycleActionResponse xmlns=\"{Namespace}\"><CompleteLifecycleActionResult/>"
                + "<ResponseMetadata><RequestId>7c6e177f-f082-11e1-ac58-3714bEXAMPLE</RequestId></ResponseMetadata></CompleteLifecycleActionResponse>"))));

        var response = await autoscaling.CompleteLifecycleActionAsync(new CompleteLifecycleActionRequest
        {
            AutoScalingGroupName = "nodes",
            LifecycleHookName = "drain",
            LifecycleActionToken = "bcd2f1b8-9a78-44d3-8a7a-4dd07d7cf635",
            InstanceId = "i-0123456789abcdef0",
            LifecycleActionResult = "CONTINUE",
        });

        Assert.Equal("7c6e177f-f082-11e1-ac58-3714bEXAMPLE", response.ResponseMetadata.RequestId);
        var request = Assert.Single(handler!.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.StartsWith("application/x-www-form-urlencoded", request.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Contains("/autoscaling/aws4_request", request.Headers["Authorization"], StringComparison.Ordinal);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["Action"] = "CompleteLifecycleAction",
                ["AutoScalingGroupName"] = "nodes",
                ["InstanceId"] = "i-0123456789abcdef0",
                ["LifecycleActionResult"] = "CONTINUE",
                ["LifecycleActionToken"] = "bcd2f1b8-9a78-44d3-8a7a-4dd07d7cf635",
                ["LifecycleHookName"] = "drain",
                ["Version"] = "2011-01-01",
            },
            FormOf(request));
        Assert.Equal(1, recorder.CallsOf("AutoScaling", "CompleteLifecycleAction"));
    }

    /// <summary>moto has no RecordLifecycleActionHeartbeat either.</summary>
    [Fact]
    public async Task RecordLifecycleActionHeartbeat_sends_every_form_parameter_and_reads_the_AWS_success_response()
    {
        CannedResponseHandler? handler = null;
        using var autoscaling = new AutoScalingClient(Moto.ClientOptions(wrap: inner => handler = new CannedResponseHandler(inner, _ =>
            CannedResponseHandler.Xml(
                $"<RecordLifecycleActionHeartbeatResponse xmlns=\"{Namespace}\"><RecordLifecycleActionHeartbeatResult/>"
                + "<ResponseMetadata><RequestId>heartbeat-request-id</RequestId></ResponseMetadata></RecordLifecycleActionHeartbeatResponse>"))));

        var response = await autoscaling.RecordLifecycleActionHeartbeatAsync(new RecordLifecycleActionHeartbeatRequest
        {
            AutoScalingGroupName = "nodes",
            LifecycleHookName = "drain",
            LifecycleActionToken = "bcd2f1b8-9a78-44d3-8a7a-4dd07d7cf635",
            InstanceId = "i-0123456789abcdef0",
        });

        Assert.Equal("heartbeat-request-id", response.ResponseMetadata.RequestId);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["Action"] = "RecordLifecycleActionHeartbeat",
                ["AutoScalingGroupName"] = "nodes",
                ["InstanceId"] = "i-0123456789abcdef0",
                ["LifecycleActionToken"] = "bcd2f1b8-9a78-44d3-8a7a-4dd07d7cf635",
                ["LifecycleHookName"] = "drain",
                ["Version"] = "2011-01-01",
            },
            FormOf(Assert.Single(handler!.Requests)));
    }

    [Fact]
    public async Task Completing_a_lifecycle_action_that_is_no_longer_active_raises_a_ValidationError_without_retrying()
    {
        CannedResponseHandler? handler = null;
        using var autoscaling = new AutoScalingClient(Moto.ClientOptions(wrap: inner => handler = new CannedResponseHandler(inner, _ =>
            CannedResponseHandler.Xml(
                $"<ErrorResponse xmlns=\"{Namespace}\"><Error><Type>Sender</Type><Code>ValidationError</Code>"
                + "<Message>No active Lifecycle Action found with instance ID i-0123456789abcdef0</Message></Error>"
                + "<RequestId>b5c9a4e1-0f6e-4a53-9a55-2f0c9d3e8f21</RequestId></ErrorResponse>",
                HttpStatusCode.BadRequest))));

        var error = await Assert.ThrowsAsync<AutoScalingException>(() => autoscaling.CompleteLifecycleActionAsync(new CompleteLifecycleActionRequest
        {
            AutoScalingGroupName = "nodes",
            LifecycleHookName = "drain",
            InstanceId = "i-0123456789abcdef0",
            LifecycleActionResult = "CONTINUE",
        }));

        Assert.True(error.IsValidationError);
        Assert.Equal("ValidationError", error.ErrorCode);
        Assert.Equal("No active Lifecycle Action found with instance ID i-0123456789abcdef0", error.Message);
        Assert.Equal(ErrorType.Sender, error.ErrorType);
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal("b5c9a4e1-0f6e-4a53-9a55-2f0c9d3e8f21", error.RequestId);
        var request = Assert.Single(handler!.Requests);
        Assert.Null(request.Form["LifecycleActionToken"]); // not set: not sent
    }

    private async Task CreateGroupAsync(AutoScalingClient autoscaling, string name)
    {
        using var ec2 = new AmazonEC2Client(
            new BasicAWSCredentials("testing", "testing"),
            new AmazonEC2Config { ServiceURL = Moto.Endpoint, AuthenticationRegion = "us-east-1" });
        var imageId = (await ec2.DescribeImagesAsync(new Amazon.EC2.Model.DescribeImagesRequest { Owners = ["amazon"] })).Images[0].ImageId;
        await autoscaling.CreateLaunchConfigurationAsync(new CreateLaunchConfigurationRequest
        {
            LaunchConfigurationName = name + "-lc",
            ImageId = imageId,
            InstanceType = "m5.large",
        });
        await autoscaling.CreateAutoScalingGroupAsync(new CreateAutoScalingGroupRequest
        {
            AutoScalingGroupName = name,
            LaunchConfigurationName = name + "-lc",
            MinSize = 1,
            MaxSize = 2,
            DesiredCapacity = 1,
            AvailabilityZones = ["us-east-1a"],
            Tags = [new AutoScalingTag { Key = "eks:nodegroup-name", Value = name, PropagateAtLaunch = true, ResourceId = name, ResourceType = "auto-scaling-group" }],
        });
    }

    private static SortedDictionary<string, string> FormOf(CapturedRequest request)
    {
        var form = request.Form;
        return new SortedDictionary<string, string>(
            form.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => form[k]!),
            StringComparer.Ordinal);
    }
}
