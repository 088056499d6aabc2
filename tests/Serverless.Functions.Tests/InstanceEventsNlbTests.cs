using System.Text.Json;
using Amazon.EC2;
using Serverless.Aws.AutoScaling;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Sqs;
using Serverless.Testing;
using Ec2Model = Amazon.EC2.Model;

namespace Serverless.Functions.Tests;

/// <summary>The instance-events drain reaches the instance target groups of Service stacks (NLB: TCP, UDP, TCP_UDP) too.</summary>
[Collection(MotoCollection.Name)]
public sealed class InstanceEventsNlbTests(MotoFixture fixture) : MotoTest(fixture)
{
    private const string Cluster = "drain-nlb";

    [Fact]
    public async Task A_spot_interruption_deregisters_the_instance_from_the_NLB_target_groups_of_a_Service_stack()
    {
        using var ec2 = Ec2Sdk();
        var vpc = (await ec2.CreateVpcAsync(new Ec2Model.CreateVpcRequest { CidrBlock = "10.1.0.0/16" })).Vpc.VpcId;
        var subnet = (await ec2.CreateSubnetAsync(new Ec2Model.CreateSubnetRequest { VpcId = vpc, CidrBlock = "10.1.1.0/24", AvailabilityZone = "us-east-1a" })).Subnet.SubnetId;
        var image = (await ec2.DescribeImagesAsync(new Ec2Model.DescribeImagesRequest { Owners = ["amazon"] })).Images[0].ImageId;
        var run = await ec2.RunInstancesAsync(new Ec2Model.RunInstancesRequest { ImageId = image, InstanceType = InstanceType.T3Micro, MinCount = 2, MaxCount = 2, SubnetId = subnet });
        var instances = run.Reservation.Instances.Select(static i => i.InstanceId).ToList();
        using var elb = new ElasticLoadBalancingV2Client(Moto.ClientOptions());
        async Task<string> TgAsync(string name, string protocol, int port, string stackKey)
        {
            var created = await elb.CreateTargetGroupAsync(new CreateTargetGroupRequest
            {
                Name = name,
                Protocol = protocol,
                Port = port,
                VpcId = vpc,
                TargetType = "instance",
                Tags = [new Tag { Key = "elbv2.k8s.aws/cluster", Value = Cluster }, new Tag { Key = stackKey, Value = "default/dns" }],
            });
            var arn = created.TargetGroups![0].TargetGroupArn!;
            await elb.RegisterTargetsAsync(new RegisterTargetsRequest { TargetGroupArn = arn, Targets = [new() { Id = instances[0], Port = port }, new() { Id = instances[1], Port = port }] });
            return arn;
        }
        var tcp = await TgAsync("k8s-default-dns-tcp", "TCP", 30053, "service.k8s.aws/stack");
        var udp = await TgAsync("k8s-default-dns-udp", "UDP", 30054, "service.k8s.aws/stack");
        var alb = await TgAsync("k8s-default-dns-http", "HTTP", 30080, "ingress.k8s.aws/stack");
        using var sqs = SqsGateway.Create(Moto.ClientOptions());
        using var autoScaling = new AutoScalingClient(Moto.ClientOptions());
        var marker = new RecordingMarker();
        var function = new InstanceEventsFunction(new ClusterTargetGroups(elb, Cluster), autoScaling, sqs, marker,
            new InstanceEventsOptions { ClusterName = Cluster, DrainCheckQueueUrl = "unused" }, TestContext.Create(new CapturedOutput()));
        var victim = instances[0];

        var answer = await function.InvokeAsync(
            TestContext.Invocation(EventParsingTests.Sample("spot-interruption.json").Replace("i-1234567890abcdef0", victim, StringComparison.Ordinal)), CancellationToken.None);

        var report = JsonSerializer.Deserialize(answer, FunctionsJsonContext.Default.InstanceEventReport)!;
        Assert.Equal(new[] { tcp, udp, alb }.Order(StringComparer.Ordinal), report.DeregisteredFrom.Order(StringComparer.Ordinal));
        foreach (var tg in new[] { tcp, udp, alb })
        {
            var targets = (await elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = tg })).TargetHealthDescriptions ?? [];
            Assert.Equal([instances[1]], targets.Select(static d => d.Target!.Id!));
        }
    }
}
