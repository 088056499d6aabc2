using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Amazon.EC2;
using Serverless.Aws.AutoScaling;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Sqs;
using Serverless.Lambda;
using Serverless.Testing;
using Ec2Model = Amazon.EC2.Model;

namespace Serverless.Functions.Tests;

/// <summary>A drain marker that records the instances it was asked about.</summary>
public sealed class RecordingMarker : INodeDrainMarker
{
    public ConcurrentQueue<(string InstanceId, string Reason)> Marks { get; } = new();

    public Task<NodeMarkResult> MarkAsync(string instanceId, string reason, CancellationToken cancellationToken)
    {
        Marks.Enqueue((instanceId, reason));
        return Task.FromResult(new NodeMarkResult("node-" + instanceId, true));
    }
}

/// <summary>The instance-events function against moto ELBv2/EC2/SQS, with Auto Scaling lifecycle calls canned.</summary>
[Collection(MotoCollection.Name)]
public sealed class InstanceEventsTests(MotoFixture fixture) : MotoTest(fixture)
{
    private const string Cluster = "demo";
    private const string AsgNamespace = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

    private sealed record World(ElasticLoadBalancingV2Client Elb, List<string> Instances, string Tg1, string Tg2, string TgIp, string TgOther);

    private async Task<World> WorldAsync(Func<HttpMessageHandler, HttpMessageHandler>? wrapElb = null)
    {
        using var ec2 = Ec2Sdk();
        var vpc = (await ec2.CreateVpcAsync(new Ec2Model.CreateVpcRequest { CidrBlock = "10.0.0.0/16" })).Vpc.VpcId;
        var subnet = (await ec2.CreateSubnetAsync(new Ec2Model.CreateSubnetRequest { VpcId = vpc, CidrBlock = "10.0.1.0/24", AvailabilityZone = "us-east-1a" })).Subnet.SubnetId;
        var image = (await ec2.DescribeImagesAsync(new Ec2Model.DescribeImagesRequest { Owners = ["amazon"] })).Images[0].ImageId;
        var run = await ec2.RunInstancesAsync(new Ec2Model.RunInstancesRequest { ImageId = image, InstanceType = InstanceType.T3Micro, MinCount = 2, MaxCount = 2, SubnetId = subnet });
        var instances = run.Reservation.Instances.Select(i => i.InstanceId).ToList();
        var elb = new ElasticLoadBalancingV2Client(Moto.ClientOptions(wrap: wrapElb));

        async Task<string> TgAsync(string name, string type, string cluster)
        {
            var created = await elb.CreateTargetGroupAsync(new CreateTargetGroupRequest
            {
                Name = name,
                Protocol = "HTTP",
                Port = 80,
                VpcId = vpc,
                TargetType = type,
                Tags = [new Tag { Key = "elbv2.k8s.aws/cluster", Value = cluster }, new Tag { Key = "ingress.k8s.aws/stack", Value = "default/echo" }],
            });
            return created.TargetGroups![0].TargetGroupArn!;
        }
        var tg1 = await TgAsync("k8s-default-echo-1", "instance", Cluster);
        var tg2 = await TgAsync("k8s-default-echo-2", "instance", Cluster);
        var tgIp = await TgAsync("k8s-default-echo-ip", "ip", Cluster);
        var tgOther = await TgAsync("k8s-other-echo", "instance", "other");
        await elb.RegisterTargetsAsync(new RegisterTargetsRequest { TargetGroupArn = tg1, Targets = [new() { Id = instances[0], Port = 30080 }, new() { Id = instances[1], Port = 30080 }] });
        await elb.RegisterTargetsAsync(new RegisterTargetsRequest { TargetGroupArn = tg2, Targets = [new() { Id = instances[0], Port = 30443 }] });
        await elb.RegisterTargetsAsync(new RegisterTargetsRequest { TargetGroupArn = tgOther, Targets = [new() { Id = instances[0], Port = 31000 }] });
        return new World(elb, instances, tg1, tg2, tgIp, tgOther);
    }

    private static async Task<List<string>> TargetsAsync(IElasticLoadBalancingV2Client elb, string tg) =>
        [.. ((await elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = tg })).TargetHealthDescriptions ?? []).Select(d => d.Target!.Id!)];

    /// <summary>The operator's hooks: the sample event's <c>drain</c> among others.</summary>
    private static readonly IReadOnlySet<string> OurHooks = InstanceEventsOptions.ParseHookNames("spot-drain, drain");

    private static string Event(string file, string instanceId) => EventParsingTests.Sample(file).Replace("i-1234567890abcdef0", instanceId, StringComparison.Ordinal);

    [Fact]
    public async Task A_spot_interruption_deregisters_the_instance_from_every_instance_mode_target_group_of_the_cluster_in_one_invocation_and_marks_its_node()
    {
        var world = await WorldAsync();
        using var _ = world.Elb;
        using var sqs = SqsGateway.Create(Moto.ClientOptions());
        using var autoScaling = new AutoScalingClient(Moto.ClientOptions());
        var marker = new RecordingMarker();
        var output = new CapturedOutput();
        var function = new InstanceEventsFunction(new ClusterTargetGroups(world.Elb, Cluster), autoScaling, sqs, marker,
            new InstanceEventsOptions { ClusterName = Cluster, DrainCheckQueueUrl = "unused" }, TestContext.Create(output));
        var victim = world.Instances[0];

        var answer = await function.InvokeAsync(TestContext.Invocation(Event("spot-interruption.json", victim)), CancellationToken.None);

        var report = JsonSerializer.Deserialize(answer, FunctionsJsonContext.Default.InstanceEventReport)!;
        Assert.Equal([world.Tg1, world.Tg2], report.DeregisteredFrom);
        Assert.Equal([world.Instances[1]], await TargetsAsync(world.Elb, world.Tg1));
        Assert.Empty(await TargetsAsync(world.Elb, world.Tg2));
        Assert.Equal([victim], await TargetsAsync(world.Elb, world.TgOther)); // another cluster's target group is never touched
        Assert.Equal([(victim, "spot-interruption")], marker.Marks);
        Assert.Equal(["node-" + victim], report.Nodes);
        Assert.Null(report.Lifecycle);
    }

    [Fact]
    public async Task An_ASG_lifecycle_action_completes_with_CONTINUE_only_after_the_targets_stopped_draining_with_a_heartbeat_before_expiry()
    {
        // moto reports no `draining` state: while `draining` is set, DescribeTargetHealth answers as AWS does during
        // the deregistration delay; afterwards moto answers (the target is gone).
        var draining = true;
        string? victim = null;
        CannedResponseHandler? elbHandler = null;
        var world = await WorldAsync(inner => elbHandler = new CannedResponseHandler(inner, request =>
            draining && victim is not null && request.Form["Action"] == "DescribeTargetHealth" ? DrainingHealth(victim) : null));
        using var _ = world.Elb;
        victim = world.Instances[0];
        CannedResponseHandler? asgHandler = null;
        using var autoScaling = new AutoScalingClient(Moto.ClientOptions(wrap: inner => asgHandler = new CannedResponseHandler(inner, request => AsgAnswer(request.Form["Action"]))));
        using var sqs = SqsGateway.Create(Moto.ClientOptions());
        var checks = await sqs.CreateQueueAsync(new SqsQueueSpec("drain-checks"));
        var checksArn = (await sqs.GetQueueAttributesAsync(checks)).QueueArn;
        var time = new ManualTime(DateTimeOffset.Parse("2026-11-23T12:00:00Z", CultureInfo.InvariantCulture));
        var output = new CapturedOutput();
        var function = new InstanceEventsFunction(new ClusterTargetGroups(world.Elb, Cluster), autoScaling, sqs, new RecordingMarker(),
            new InstanceEventsOptions { ClusterName = Cluster, DrainCheckQueueUrl = checks, CheckInterval = TimeSpan.FromSeconds(1), LifecycleHookNames = OurHooks }, TestContext.Create(output, time));
        int Completes() => asgHandler!.Requests.Count(r => r.Form["Action"] == "CompleteLifecycleAction");
        int Heartbeats() => asgHandler!.Requests.Count(r => r.Form["Action"] == "RecordLifecycleActionHeartbeat");

        async Task<string?> NextCheckAsync()
        {
            var received = await sqs.ReceiveAsync(checks, new SqsReceiveOptions { WaitTime = TimeSpan.FromSeconds(5) });
            var message = Assert.Single(received);
            await sqs.DeleteAsync(checks, message.ReceiptHandle);
            var json = JsonSerializer.Serialize(SqsEventBuilder.FromMessages(received, checksArn), LambdaJsonContext.Default.SqsEvent);
            var answer = JsonSerializer.Deserialize(await function.InvokeAsync(TestContext.Invocation(json, time), CancellationToken.None), LambdaJsonContext.Default.SqsBatchResponse)!;
            Assert.Empty(answer.BatchItemFailures);
            return message.Body;
        }

        // 1. The event: deregistered at once; still draining, so no CONTINUE yet but a check is queued.
        var first = await function.InvokeAsync(TestContext.Invocation(Event("terminate-lifecycle-action.json", victim), time), CancellationToken.None);
        var report = JsonSerializer.Deserialize(first, FunctionsJsonContext.Default.InstanceEventReport)!;
        Assert.Equal("waiting", report.Lifecycle);
        Assert.Equal([world.Tg1, world.Tg2], report.DeregisteredFrom);
        Assert.Equal(0, Completes());

        // 2. 40 s later, still draining; the hook's 60 s heartbeat timeout would run out before the check after next: heartbeat.
        time.Advance(TimeSpan.FromSeconds(40));
        var check = await NextCheckAsync();
        Assert.Contains("\"targetGroupArns\"", check, StringComparison.Ordinal);
        Assert.Equal(0, Completes());
        Assert.Equal(1, Heartbeats());

        // 3. Draining ended: the next check completes the action with CONTINUE.
        draining = false;
        time.Advance(TimeSpan.FromSeconds(20));
        await NextCheckAsync();
        Assert.Equal(1, Completes());
        var complete = asgHandler!.Requests.Single(r => r.Form["Action"] == "CompleteLifecycleAction").Form;
        Assert.Equal("CONTINUE", complete["LifecycleActionResult"]);
        Assert.Equal("nodes", complete["AutoScalingGroupName"]);
        Assert.Equal("drain", complete["LifecycleHookName"]);
        Assert.Equal("87654321-4321-4321-4321-210987654321", complete["LifecycleActionToken"]);
        Assert.Equal(victim, complete["InstanceId"]);
        Assert.Empty(await sqs.ReceiveAsync(checks, new SqsReceiveOptions { WaitTime = TimeSpan.FromSeconds(2) }));
        var metric = output.Lines.Single(l => l.Contains("\"DrainLatency\"", StringComparison.Ordinal) && l.Contains("_aws", StringComparison.Ordinal));
        using var emf = JsonDocument.Parse(metric);
        Assert.Equal(60_000, emf.RootElement.GetProperty("DrainLatency").GetDouble());
    }

    [Fact]
    public async Task When_the_largest_deregistration_delay_has_passed_the_action_completes_even_if_a_target_still_reports_draining()
    {
        string? victim = null;
        var world = await WorldAsync(inner => new CannedResponseHandler(inner, request =>
            victim is not null && request.Form["Action"] == "DescribeTargetHealth" ? DrainingHealth(victim) : null));
        using var _ = world.Elb;
        victim = world.Instances[0];
        CannedResponseHandler? asgHandler = null;
        using var autoScaling = new AutoScalingClient(Moto.ClientOptions(wrap: inner => asgHandler = new CannedResponseHandler(inner, request => AsgAnswer(request.Form["Action"]))));
        using var sqs = SqsGateway.Create(Moto.ClientOptions());
        var checks = await sqs.CreateQueueAsync(new SqsQueueSpec("drain-checks"));
        var time = new ManualTime(DateTimeOffset.Parse("2026-11-23T12:00:00Z", CultureInfo.InvariantCulture));
        var function = new InstanceEventsFunction(new ClusterTargetGroups(world.Elb, Cluster), autoScaling, sqs, new RecordingMarker(),
            new InstanceEventsOptions { ClusterName = Cluster, DrainCheckQueueUrl = checks, CheckInterval = TimeSpan.FromSeconds(1), LifecycleHookNames = OurHooks }, TestContext.Create(new CapturedOutput(), time));
        await function.InvokeAsync(TestContext.Invocation(Event("terminate-lifecycle-action.json", victim), time), CancellationToken.None);
        var message = Assert.Single(await sqs.ReceiveAsync(checks, new SqsReceiveOptions { WaitTime = TimeSpan.FromSeconds(5) }));

        time.Advance(TimeSpan.FromSeconds(301)); // moto's default deregistration_delay.timeout_seconds is 300
        var json = JsonSerializer.Serialize(SqsEventBuilder.FromMessages([message], "arn:aws:sqs:us-east-1:123456789012:drain-checks"), LambdaJsonContext.Default.SqsEvent);
        await function.InvokeAsync(TestContext.Invocation(json, time), CancellationToken.None);

        Assert.Equal(1, asgHandler!.Requests.Count(r => r.Form["Action"] == "CompleteLifecycleAction"));
    }

    [Theory]
    [InlineData("someone-elses-hook", "drain")]
    [InlineData("drain", "")]
    public async Task A_lifecycle_action_of_a_hook_not_configured_is_left_alone_no_mark_no_deregistration_no_lifecycle_call_and_logged_with_the_hooks_name(string hook, string configured)
    {
        CannedResponseHandler? elbHandler = null;
        var world = await WorldAsync(inner => elbHandler = new CannedResponseHandler(inner, _ => null));
        using var _ = world.Elb;
        var victim = world.Instances[0];
        CannedResponseHandler? asgHandler = null;
        using var autoScaling = new AutoScalingClient(Moto.ClientOptions(wrap: inner => asgHandler = new CannedResponseHandler(inner, request => AsgAnswer(request.Form["Action"]))));
        using var sqs = SqsGateway.Create(Moto.ClientOptions());
        var checks = await sqs.CreateQueueAsync(new SqsQueueSpec("drain-checks-foreign"));
        var marker = new RecordingMarker();
        var output = new CapturedOutput();
        var function = new InstanceEventsFunction(new ClusterTargetGroups(world.Elb, Cluster), autoScaling, sqs, marker,
            new InstanceEventsOptions { ClusterName = Cluster, DrainCheckQueueUrl = checks, LifecycleHookNames = InstanceEventsOptions.ParseHookNames(configured) },
            TestContext.Create(output));
        var json = Event("terminate-lifecycle-action.json", victim).Replace("\"LifecycleHookName\": \"drain\"", $"\"LifecycleHookName\": \"{hook}\"", StringComparison.Ordinal);
        Assert.Contains(hook, json, StringComparison.Ordinal);

        var answer = await function.InvokeAsync(TestContext.Invocation(json), CancellationToken.None);

        var report = JsonSerializer.Deserialize(answer, FunctionsJsonContext.Default.InstanceEventReport)!;
        Assert.Equal("lifecycle hook not configured: " + hook, report.Ignored);
        Assert.Null(report.Lifecycle);
        Assert.Empty(report.DeregisteredFrom);
        Assert.Empty(marker.Marks);
        Assert.Empty(asgHandler?.Requests ?? []); // no DescribeLifecycleHooks, heartbeat or CompleteLifecycleAction
        Assert.DoesNotContain(elbHandler!.Requests, r => r.Form["Action"] == "DeregisterTargets");
        Assert.Equal(world.Instances.Order(StringComparer.Ordinal), (await TargetsAsync(world.Elb, world.Tg1)).Order(StringComparer.Ordinal));
        Assert.Equal([victim], await TargetsAsync(world.Elb, world.Tg2));
        Assert.Empty(await sqs.ReceiveAsync(checks, new SqsReceiveOptions { WaitTime = TimeSpan.FromSeconds(1) }));
        Assert.Contains(output.Lines, l => l.Contains("not configured", StringComparison.Ordinal) && l.Contains($"\"{hook}\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_drain_check_of_a_hook_no_longer_configured_is_dropped_without_completing_the_action()
    {
        var world = await WorldAsync();
        using var _ = world.Elb;
        var victim = world.Instances[0];
        CannedResponseHandler? asgHandler = null;
        using var autoScaling = new AutoScalingClient(Moto.ClientOptions(wrap: inner => asgHandler = new CannedResponseHandler(inner, request => AsgAnswer(request.Form["Action"]))));
        using var sqs = SqsGateway.Create(Moto.ClientOptions());
        var output = new CapturedOutput();
        var function = new InstanceEventsFunction(new ClusterTargetGroups(world.Elb, Cluster), autoScaling, sqs, new RecordingMarker(),
            new InstanceEventsOptions { ClusterName = Cluster, DrainCheckQueueUrl = "unused", LifecycleHookNames = InstanceEventsOptions.ParseHookNames("drain") },
            TestContext.Create(output));
        var check = new DrainCheck
        {
            InstanceId = victim,
            AutoScalingGroupName = "nodes",
            LifecycleHookName = "someone-elses-hook",
            LifecycleActionToken = "87654321-4321-4321-4321-210987654321",
            TargetGroupArns = [world.Tg1],
            StartedAt = DateTimeOffset.UnixEpoch,
            DrainDeadline = DateTimeOffset.UnixEpoch,
            ActionExpiresAt = DateTimeOffset.UnixEpoch,
            HeartbeatTimeoutSeconds = 60,
        };
        var batch = new Lambda.Events.SqsEvent { Records = [new Lambda.Events.SqsRecord { MessageId = "m-1", Body = JsonSerializer.Serialize(check, FunctionsJsonContext.Default.DrainCheck) }] };

        var response = await function.HandleChecksAsync(batch, CancellationToken.None);

        Assert.Empty(response.BatchItemFailures);
        Assert.DoesNotContain(asgHandler?.Requests ?? [], r => r.Form["Action"] == "CompleteLifecycleAction");
        Assert.Contains(output.Lines, l => l.Contains("no longer configured", StringComparison.Ordinal) && l.Contains("\"someone-elses-hook\"", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("drain", new[] { "drain" })]
    [InlineData("drain,spot-drain", new[] { "drain", "spot-drain" })]
    [InlineData(" drain , spot-drain ,", new[] { "drain", "spot-drain" })]
    [InlineData("", new string[0])]
    [InlineData(null, new string[0])]
    public void The_hook_names_are_a_comma_separated_list_and_empty_is_none(string? value, string[] expected) =>
        Assert.Equal(expected, InstanceEventsOptions.ParseHookNames(value).Order(StringComparer.Ordinal));

    private static HttpResponseMessage DrainingHealth(string instanceId) => CannedResponseHandler.Xml(
        "<DescribeTargetHealthResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\"><DescribeTargetHealthResult><TargetHealthDescriptions><member>"
        + $"<Target><Id>{instanceId}</Id><Port>30080</Port></Target><HealthCheckPort>30080</HealthCheckPort>"
        + "<TargetHealth><State>draining</State><Reason>Target.DeregistrationInProgress</Reason><Description>Target deregistration is in progress</Description></TargetHealth>"
        + "</member></TargetHealthDescriptions></DescribeTargetHealthResult><ResponseMetadata><RequestId>draining</RequestId></ResponseMetadata></DescribeTargetHealthResponse>");

    /// <summary>AWS's answers to the lifecycle calls (moto has no CompleteLifecycleAction/RecordLifecycleActionHeartbeat).</summary>
    private static HttpResponseMessage? AsgAnswer(string? action) => action switch
    {
        "DescribeLifecycleHooks" => CannedResponseHandler.Xml(
            $"<DescribeLifecycleHooksResponse xmlns=\"{AsgNamespace}\"><DescribeLifecycleHooksResult><LifecycleHooks><member>"
            + "<AutoScalingGroupName>nodes</AutoScalingGroupName><LifecycleHookName>drain</LifecycleHookName><LifecycleTransition>autoscaling:EC2_INSTANCE_TERMINATING</LifecycleTransition>"
            + "<HeartbeatTimeout>60</HeartbeatTimeout><GlobalTimeout>6000</GlobalTimeout><DefaultResult>CONTINUE</DefaultResult>"
            + "</member></LifecycleHooks></DescribeLifecycleHooksResult><ResponseMetadata><RequestId>hooks</RequestId></ResponseMetadata></DescribeLifecycleHooksResponse>"),
        "CompleteLifecycleAction" or "RecordLifecycleActionHeartbeat" => CannedResponseHandler.Xml(
            $"<{action}Response xmlns=\"{AsgNamespace}\"><{action}Result/><ResponseMetadata><RequestId>{action}</RequestId></ResponseMetadata></{action}Response>"),
        _ => new HttpResponseMessage(HttpStatusCode.BadRequest) { Content = new StringContent("unexpected " + action, Encoding.UTF8) },
    };
}
