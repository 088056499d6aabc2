using k8s;
using Serverless.Aws.AutoScaling;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.Sqs;
using Serverless.Functions.Wiring;
using Serverless.Ingress;
using Serverless.Kubernetes.Auth;
using Serverless.Local;
using Serverless.LocalHost;
using Serverless.Messages;
using Serverless.Testing;
using Serverless.Testing.FakeKubernetes;
using DescribeTargetGroupsRequest = Serverless.Aws.ElasticLoadBalancingV2.Model.DescribeTargetGroupsRequest;
using DescribeTargetHealthRequest = Serverless.Aws.ElasticLoadBalancingV2.Model.DescribeTargetHealthRequest;

namespace Serverless.Functions.Tests;

/// <summary>
/// The functions wired as deployed (<see cref="StackKeyReconciler"/>, <see cref="GroupFanOut"/>, <see cref="NodeMarker"/>) against a fake API
/// server and moto: an Ingress key goes through the FIFO queue, the local host invokes the reconcile function with
/// real SQS event JSON, the ALB appears and the Ingress gets its finalizer and status; then a spot interruption takes
/// the instance out of the target group in one invocation and marks its node.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class EndToEndTests(MotoFixture fixture) : MotoTest(fixture)
{
    private const string Cluster = "e2e";

    [Fact]
    public async Task An_Ingress_key_through_the_queue_creates_the_ALB_and_a_spot_interruption_drains_its_instance()
    {
        var options = Moto.ClientOptions();
        using var sdk = Ec2Gateway.CreateSdkClient(options);
        var sandbox = await Sandbox.SeedAsync(sdk, Cluster, "us-east-1", [new("node-a"), new("node-b")]);
        await using var kube = await FakeKubernetesApiServer.StartAsync();
        kube.Create("""{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"alb"},"spec":{"controller":"ingress.k8s.aws/alb"}}""");
        foreach (var instance in sandbox.Nodes)
            kube.CreateReadyNode(instance.NodeName, instance.ProviderId);
        kube.Create("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"echo","namespace":"default"},"spec":{"type":"NodePort","ports":[{"name":"http","port":80,"targetPort":8080,"nodePort":30080,"protocol":"TCP"}]}}""");
        kube.Create("""{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"echo","namespace":"default","annotations":{"alb.ingress.kubernetes.io/scheme":"internet-facing"}},"spec":{"ingressClassName":"alb","rules":[{"http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"echo","port":{"number":80}}}}]}}]}}""");
        using var api = KubernetesConnection.Create(new KubernetesClientConfiguration { Host = kube.Url });

        var cluster = new ClusterSettings { ClusterName = Cluster, VpcId = sandbox.VpcId };
        using var deployed = new DeployedReconciler(options, api, cluster, LiveSeams.FactsCacheWindow);
        var elb = deployed.Elb;
        var reconciler = deployed.Reconciler;
        using var sqs = SqsGateway.Create(options);
        var queue = await sqs.CreateQueueAsync(new SqsQueueSpec("e2e.fifo"));
        var output = new CapturedOutput();
        var context = TestContext.Create(output);
        var function = new ReconcileFunction(reconciler, new GroupFanOut(api, cluster), sqs, new ReconcileOptions { QueueUrl = queue, DeadlineMargin = TimeSpan.Zero }, context);
        var host = new LocalFunctionHost(function, function, function, sqs, queue, context) { FunctionTimeout = TimeSpan.FromSeconds(60) };

        var key = QueueKey.IngressGroup("default/echo");
        await sqs.SendAsync(queue, new SqsOutgoingMessage("m1", new QueueMessage(key, QueueMessageOrigin.Forwarder, "1").ToJson())
        {
            MessageGroupId = key.MessageGroupId,
            MessageDeduplicationId = key.DeduplicationId("1"),
        });
        var poll = await host.PollOnceAsync(TimeSpan.FromSeconds(2), CancellationToken.None);

        Assert.True(poll == new PollResult(1, 1, 0), $"{poll}\n{string.Join("\n", output.Lines)}");
        var name = Naming.LoadBalancerName(Cluster, Model.StackId.Implicit("default", "echo"), "internet-facing");
        var lb = Assert.Single(await elb.LoadBalancersByNameAsync([name]));
        var ingress = kube.Get("networking.k8s.io/v1", "Ingress", "default", "echo")!;
        Assert.Equal("ingress.k8s.aws/resources", ingress["metadata"]!["finalizers"]![0]!.GetValue<string>());
        Assert.Equal(lb.DNSName, ingress["status"]!["loadBalancer"]!["ingress"]![0]!["hostname"]!.GetValue<string>());
        var tg = Assert.Single((await elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { LoadBalancerArn = lb.LoadBalancerArn })).TargetGroups!);
        Assert.Equal(2, (await elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = tg.TargetGroupArn })).TargetHealthDescriptions!.Count);

        // The same key again with nothing changed: the facts come from the container's cache and the deployer's
        // checkpoint matches, so the whole reconcile costs two AWS calls (DescribeLoadBalancers, DescribeTags).
        long AwsCalls() => options.CallRecorder.Calls.Where(c => !c.Key.StartsWith("SQS:", StringComparison.Ordinal)).Sum(c => c.Value);
        var before = AwsCalls();
        await sqs.SendAsync(queue, new SqsOutgoingMessage("m1b", new QueueMessage(key, QueueMessageOrigin.Forwarder, "1b").ToJson())
        {
            MessageGroupId = key.MessageGroupId,
            MessageDeduplicationId = key.DeduplicationId("1b"),
        });
        Assert.Equal(new PollResult(1, 1, 0), await host.PollOnceAsync(TimeSpan.FromSeconds(2), CancellationToken.None));
        Assert.Equal(2, AwsCalls() - before);

        // A spot interruption for node-a's instance: out of the target group in one invocation, node marked.
        var victim = sandbox.Nodes.Single(n => n.NodeName == "node-a");
        using var autoScaling = new AutoScalingClient(options);
        var events = new InstanceEventsFunction(new ClusterTargetGroups(elb, Cluster), autoScaling, sqs, new NodeMarker(api),
            new InstanceEventsOptions { ClusterName = Cluster, DrainCheckQueueUrl = "unused" }, context);
        await events.InvokeAsync(TestContext.Invocation(EventParsingTests.Sample("spot-interruption.json").Replace("i-1234567890abcdef0", victim.InstanceId, StringComparison.Ordinal)), CancellationToken.None);

        var left = (await elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = tg.TargetGroupArn })).TargetHealthDescriptions!
            .Where(t => t.TargetHealth?.State != "draining").Select(t => t.Target!.Id);
        Assert.DoesNotContain(victim.InstanceId, left);
        var node = kube.Get("v1", "Node", null, "node-a")!;
        Assert.Equal("true", node["metadata"]!["labels"]!["node.kubernetes.io/exclude-from-external-load-balancers"]!.GetValue<string>());

        // The next group reconcile keeps the marked node out (the builder honours the label).
        await sqs.SendAsync(queue, new SqsOutgoingMessage("m2", new QueueMessage(key, QueueMessageOrigin.Forwarder, "2").ToJson())
        {
            MessageGroupId = key.MessageGroupId,
            MessageDeduplicationId = key.DeduplicationId("2"),
        });
        Assert.Equal(new PollResult(1, 1, 0), await host.PollOnceAsync(TimeSpan.FromSeconds(2), CancellationToken.None));
        var registered = (await elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = tg.TargetGroupArn })).TargetHealthDescriptions!
            .Where(t => t.TargetHealth?.State != "draining").Select(t => t.Target!.Id);
        Assert.Equal([sandbox.Nodes.Single(n => n.NodeName == "node-b").InstanceId], registered);
    }
}
