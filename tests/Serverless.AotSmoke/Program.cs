using Serverless.Aws.Acm;
using Serverless.Aws.Acm.Model;
using Serverless.Aws.AutoScaling;
using Serverless.Aws.AutoScaling.Model;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Aws.Sqs;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;

// Everything comes from the environment, as in a Lambda: AWS_ENDPOINT_URL (the SDK's own override),
// AWS_REGION and credentials from the default chain. Prints one line per check; exit code 0 only if all pass.
var options = new AwsClientOptions { Region = Environment.GetEnvironmentVariable("AWS_REGION") ?? "us-east-1" };
using var elb = new ElasticLoadBalancingV2Client(options);
using var autoScaling = new AutoScalingClient(options);
var failures = 0;

var vpcId = args.Length > 0 ? args[0] : null;
if (vpcId is not null)
{
    var created = await elb.CreateTargetGroupAsync(new CreateTargetGroupRequest
    {
        Name = "aot-smoke",
        Protocol = ProtocolEnumValues.HTTP,
        Port = 8080,
        VpcId = vpcId,
        TargetType = TargetTypeEnumValues.Instance,
        Matcher = new Matcher { HttpCode = "200-399" },
        Tags = [new Tag { Key = "elbv2.k8s.aws/cluster", Value = "smoke" }],
    });
    Check("CreateTargetGroup", created.TargetGroups is [{ TargetGroupName: "aot-smoke", Port: 8080, Matcher.HttpCode: "200-399" }]);
}

var described = await elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest());
Check("DescribeLoadBalancers", described.LoadBalancers is not null && described.ResponseMetadata?.RequestId is { Length: > 0 });
Console.WriteLine($"load balancers: {described.LoadBalancers?.Count ?? 0}");

var groups = 0;
await foreach (var group in elb.DescribeTargetGroupsPaginatedAsync(new DescribeTargetGroupsRequest { PageSize = 1 }))
    groups++;
Check("DescribeTargetGroups (paginated)", vpcId is null || groups >= 1);

try
{
    await elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { Names = ["aot-smoke-missing"] });
    Check("typed error", false);
}
catch (ElasticLoadBalancingV2Exception error)
{
    Check("typed error", error.IsLoadBalancerNotFound && error.StatusCode == System.Net.HttpStatusCode.BadRequest);
}

var hooks = await autoScaling.DescribeLifecycleHooksAsync(new DescribeLifecycleHooksRequest { AutoScalingGroupName = "missing-asg" })
    .ContinueWith(static t => t.Exception?.InnerException is AutoScalingException or null, TaskScheduler.Default);
Check("AutoScaling DescribeLifecycleHooks", hooks);

using var ec2 = Ec2Gateway.Create(options);
if (vpcId is not null)
{
    var vpc = await ec2.DescribeVpcAsync(vpcId);
    var subnets = await ec2.FindSubnetsAsync([Ec2Filter.VpcId(vpcId)]);
    Check("EC2 FindSubnets", vpc.CidrBlocks.Count >= 1 && subnets.Count >= 2 && subnets.All(static s => s.AvailabilityZone.Length > 0));
}
try
{
    await ec2.DescribeSubnetsAsync(["subnet-0123456789abcdef0"]);
    Check("EC2 typed error", false);
}
catch (Amazon.EC2.AmazonEC2Exception error)
{
    Check("EC2 typed error", error.IsSubnetNotFound());
}

using var sqs = SqsGateway.Create(options);
var queueUrl = await sqs.CreateQueueAsync(new SqsQueueSpec("aot-smoke.fifo") { ContentBasedDeduplication = true });
var sent = await sqs.SendBatchAsync(queueUrl, [.. Enumerable.Range(0, 12).Select(static i => new SqsOutgoingMessage($"m{i}", $"body-{i}") { MessageGroupId = "g" })]);
var received = await sqs.ReceiveAsync(queueUrl, new SqsReceiveOptions { MaxMessages = 10 });
var attributes = await sqs.GetQueueAttributesAsync(queueUrl);
Check("SQS FIFO round trip", sent.AllSucceeded && sent.Succeeded.Count == 12 && received.Count == 10
    && received[0] is { Body: "body-0", MessageGroupId: "g", ApproximateReceiveCount: 1 } && attributes.Fifo);

// ACM (AWS JSON 1.1, source-generated JSON): the test imports a certificate for aot-smoke.example before the run.
using var acm = new AcmClient(options);
var issued = await AcmCertificateDiscovery.IssuedAsync(acm);
Check("ACM issued certificates", issued.Any(static c => c.CertificateArn.StartsWith("arn:aws:acm:", StringComparison.Ordinal) && c.Domains.Contains("aot-smoke.example")));
try
{
    await acm.DescribeCertificateAsync(new DescribeCertificateRequest { CertificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000" });
    Check("ACM typed error", false);
}
catch (AcmException error)
{
    Check("ACM typed error", error.IsResourceNotFound);
}

foreach (var (operation, count) in options.CallRecorder.Calls)
    Console.WriteLine($"calls {operation}={count}");
return failures == 0 ? 0 : 1;

void Check(string name, bool ok)
{
    Console.WriteLine($"{(ok ? "ok" : "FAILED")} {name}");
    if (!ok)
        failures++;
}
