using System.Text.Json;
using k8s;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Sqs;
using Serverless.Bindings;
using Serverless.Functions.Wiring;
using Serverless.Ingress;
using Serverless.Kubernetes.Auth;
using Serverless.Lambda;
using Serverless.Lambda.Events;
using Serverless.Local;
using Serverless.Messages;
using Serverless.Reconcile;
using Serverless.Testing;
using Serverless.Testing.FakeKubernetes;

namespace Serverless.Functions.Tests;

/// <summary>
/// A TargetGroupBinding's readiness gate through the reconcile function and a real FIFO queue (moto SQS), the fake
/// API server and moto ELBv2: a Pod gated by the binding, its endpoint not ready, is registered into the foreign
/// target group; its condition says the registration is in progress and the message goes back to the queue with the
/// gate's first delay; when it comes back (the test makes it visible at once instead of waiting) the target reports
/// healthy and the condition turns True, and the message is deleted. The cadence is read from the queue calls.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class BindingReadinessGateQueueTests(MotoFixture fixture) : MotoTest(fixture)
{
    private const string Cluster = "gate-queue";
    private const string Gate = "target-health.elbv2.k8s.aws/web-tg";

    [Fact]
    public async Task A_gated_pod_goes_false_while_registering_then_true_when_healthy_and_the_queue_carries_the_cadence()
    {
        var options = Moto.ClientOptions();
        using var sdk = Ec2Gateway.CreateSdkClient(options);
        var sandbox = await Sandbox.SeedAsync(sdk, Cluster, "us-east-1", [new("node-a")]);
        using var elb = new ElasticLoadBalancingV2Client(options);
        var group = (await elb.CreateTargetGroupAsync(new CreateTargetGroupRequest
        {
            Name = "gate-queue-web", Protocol = "HTTP", Port = 8080, VpcId = sandbox.VpcId, TargetType = "ip",
        })).TargetGroups![0].TargetGroupArn!;

        await using var kube = await FakeKubernetesApiServer.StartAsync();
        kube.CreateReadyNode("node-a", sandbox.Nodes[0].ProviderId);
        kube.Create("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"shop"},"spec":{"type":"ClusterIP","selector":{"app":"web"},"ports":[{"name":"http","port":80,"targetPort":8080,"protocol":"TCP"}]}}""");
        kube.Create($$$"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"shop","labels":{"app":"web"}},
             "spec":{"nodeName":"node-a","readinessGates":[{"conditionType":"{{{Gate}}}"}],"containers":[{"name":"app","image":"web"}]},
             "status":{"podIP":"10.0.10.20","conditions":[{"type":"ContainersReady","status":"True"},{"type":"Ready","status":"False"}]}}
            """);
        kube.Create("""
            {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"web-1","namespace":"shop","labels":{"kubernetes.io/service-name":"web"}},
             "addressType":"IPv4","ports":[{"name":"http","port":8080,"protocol":"TCP"}],
             "endpoints":[{"addresses":["10.0.10.20"],"conditions":{"ready":false},"targetRef":{"kind":"Pod","namespace":"shop","name":"web-1"}}]}
            """);
        kube.Create("""
            {"apiVersion":"elbv2.k8s.aws/v1beta1","kind":"TargetGroupBinding","metadata":{"name":"web-tg","namespace":"shop"},
             "spec":{"serviceRef":{"name":"web","port":80},"targetGroupName":"gate-queue-web","targetType":"ip"}}
            """);
        using var api = KubernetesConnection.Create(new KubernetesClientConfiguration { Host = kube.Url });
        var cluster = new ClusterSettings { ClusterName = Cluster, VpcId = sandbox.VpcId };
        using var ec2 = Ec2Gateway.Create(options);
        var bindings = new BindingReconciler(new LiveBindingSource(api), cluster, new BindingDeployer(elb, ec2));
        var reconciler = new StackKeyReconciler(
            new IngressGroupReconciler(new LiveIngressGroupSource(api, cluster), cluster, new ReconcileQueueTests.TwoSubnets(), new NoDeploy()),
            bindings: bindings);

        using var sqsGateway = SqsGateway.Create(options);
        var sqs = new VisibilityRecorder(sqsGateway);
        var queue = await sqsGateway.CreateQueueAsync(new SqsQueueSpec("gate-queue.fifo") { VisibilityTimeout = TimeSpan.FromSeconds(60) });
        var arn = (await sqsGateway.GetQueueAttributesAsync(queue)).QueueArn;
        var function = new ReconcileFunction(reconciler, new GroupFanOut(api, cluster), sqs, new ReconcileOptions { QueueUrl = queue, DeadlineMargin = TimeSpan.Zero }, TestContext.Create(new CapturedOutput()));
        var key = QueueKey.TargetGroupBinding("shop", "web-tg");
        await sqsGateway.SendAsync(queue, new SqsOutgoingMessage("m1", new QueueMessage(key, QueueMessageOrigin.Forwarder).ToJson()) { MessageGroupId = key.MessageGroupId, MessageDeduplicationId = "m1" });

        // First delivery: the Pod's target is registered although its endpoint is not ready, its gate is False
        // (registration in progress), and the message goes back with the first delay.
        var first = await DeliverAsync(function, sqsGateway, queue, arn);
        Assert.Single(first.BatchItemFailures);
        var (receipt, delay) = Assert.Single(sqs.Changes);
        Assert.Equal(TimeSpan.FromSeconds(5), delay);
        Assert.Equal(["10.0.10.20:8080"], await TargetsAsync(elb, group));
        Assert.Equal(("False", "Elb.RegistrationInProgress"), Condition(kube));

        // Nothing is visible while the delay runs; then it comes back (made visible now instead of after 5 s).
        Assert.Empty(await sqsGateway.ReceiveAsync(queue, new SqsReceiveOptions()));
        await sqsGateway.ChangeVisibilityAsync(queue, receipt, TimeSpan.Zero);
        var second = await DeliverAsync(function, sqsGateway, queue, arn);

        // moto reports the registered target healthy: the gate is True and the message is done (deleted).
        Assert.Empty(second.BatchItemFailures);
        Assert.Single(sqs.Changes);
        Assert.Equal(("True", null), Condition(kube));
        Assert.Empty(await sqsGateway.ReceiveAsync(queue, new SqsReceiveOptions { VisibilityTimeout = TimeSpan.Zero }));
        Assert.Equal(["10.0.10.20:8080"], await TargetsAsync(elb, group));
    }

    private static async Task<SqsBatchResponse> DeliverAsync(ReconcileFunction function, SqsGateway sqs, string queue, string arn)
    {
        var received = await sqs.ReceiveAsync(queue, new SqsReceiveOptions { VisibilityTimeout = TimeSpan.FromSeconds(60) });
        Assert.Single(received);
        var json = JsonSerializer.Serialize(SqsEventBuilder.FromMessages(received, arn), LambdaJsonContext.Default.SqsEvent);
        var answer = await function.InvokeAsync(TestContext.Invocation(json), CancellationToken.None);
        var response = JsonSerializer.Deserialize(answer, LambdaJsonContext.Default.SqsBatchResponse)!;
        // The runtime deletes what succeeded; a requeued message stays with its new visibility.
        if (response.BatchItemFailures.Count == 0)
            await sqs.DeleteAsync(queue, received[0].ReceiptHandle);
        return response;
    }

    private static (string? Status, string? Reason) Condition(FakeKubernetesApiServer kube)
    {
        var conditions = kube.Get("v1", "Pod", "shop", "web-1")!["status"]!["conditions"]!.AsArray();
        var gate = Assert.Single(conditions, static c => c!["type"]!.GetValue<string>() == Gate)!;
        var reason = gate["reason"]?.GetValue<string>();
        return (gate["status"]!.GetValue<string>(), string.IsNullOrEmpty(reason) ? null : reason);
    }

    private static async Task<List<string>> TargetsAsync(ElasticLoadBalancingV2Client elb, string arn) =>
        [.. ((await elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = arn })).TargetHealthDescriptions ?? [])
            .Select(static d => d.Target!.Id + ":" + d.Target.Port).Order(StringComparer.Ordinal)];

    /// <summary>Records each visibility change (the requeue delays the function asks the queue for).</summary>
    private sealed class VisibilityRecorder(ISqsGateway inner) : ISqsGateway
    {
        public List<(string Receipt, TimeSpan Delay)> Changes { get; } = [];

        public Task<string> GetQueueUrlAsync(string queueName, CancellationToken cancellationToken = default) => inner.GetQueueUrlAsync(queueName, cancellationToken);

        public Task<string> CreateQueueAsync(SqsQueueSpec spec, CancellationToken cancellationToken = default) => inner.CreateQueueAsync(spec, cancellationToken);

        public Task<SqsSendResult> SendAsync(string queueUrl, SqsOutgoingMessage message, CancellationToken cancellationToken = default) => inner.SendAsync(queueUrl, message, cancellationToken);

        public Task<SqsBatchResult> SendBatchAsync(string queueUrl, IReadOnlyList<SqsOutgoingMessage> messages, CancellationToken cancellationToken = default) => inner.SendBatchAsync(queueUrl, messages, cancellationToken);

        public Task<IReadOnlyList<SqsMessage>> ReceiveAsync(string queueUrl, SqsReceiveOptions options, CancellationToken cancellationToken = default) => inner.ReceiveAsync(queueUrl, options, cancellationToken);

        public Task DeleteAsync(string queueUrl, string receiptHandle, CancellationToken cancellationToken = default) => inner.DeleteAsync(queueUrl, receiptHandle, cancellationToken);

        public Task<SqsBatchResult> DeleteBatchAsync(string queueUrl, IReadOnlyList<SqsReceipt> receipts, CancellationToken cancellationToken = default) => inner.DeleteBatchAsync(queueUrl, receipts, cancellationToken);

        public Task ChangeVisibilityAsync(string queueUrl, string receiptHandle, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default)
        {
            Changes.Add((receiptHandle, visibilityTimeout));
            return inner.ChangeVisibilityAsync(queueUrl, receiptHandle, visibilityTimeout, cancellationToken);
        }

        public Task<SqsBatchResult> ChangeVisibilityBatchAsync(string queueUrl, IReadOnlyList<SqsVisibilityChange> changes, CancellationToken cancellationToken = default) =>
            inner.ChangeVisibilityBatchAsync(queueUrl, changes, cancellationToken);

        public Task<SqsQueueAttributes> GetQueueAttributesAsync(string queueUrl, CancellationToken cancellationToken = default) => inner.GetQueueAttributesAsync(queueUrl, cancellationToken);
    }

    /// <summary>No Ingress group is reconciled here.</summary>
    private sealed class NoDeploy : Serverless.Deploy.IStackDeployer
    {
        public Task<Serverless.Deploy.DeployResult> DeployAsync(Serverless.Model.Stack desired, Serverless.Deploy.DeployOptions options, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("no Ingress group is reconciled in this test");
    }
}
