using Serverless.Testing;
using System.Text.Json;
using k8s;
using k8s.Models;
using Serverless.Functions.Wiring;
using Serverless.Ingress;
using Serverless.Kubernetes.Auth;
using Serverless.Model;
using Serverless.Reconcile;
using Serverless.Testing.FakeKubernetes;
using Serverless.Aws.Sqs;
using Serverless.Deploy;
using Serverless.Lambda;
using Serverless.LocalHost;
using Serverless.Messages;

namespace Serverless.Functions.Tests;

/// <summary>The reconcile function against a real FIFO queue with a redrive policy (moto SQS).</summary>
[Collection(MotoCollection.Name)]
public sealed class ReconcileQueueTests(MotoFixture fixture) : MotoTest(fixture)
{
    private async Task<(SqsGateway Sqs, string Queue, string Dlq)> QueuesAsync(int maxReceiveCount)
    {
        var sqs = SqsGateway.Create(Moto.ClientOptions());
        var dlq = await sqs.CreateQueueAsync(new SqsQueueSpec("controller-dlq.fifo"));
        var dlqArn = (await sqs.GetQueueAttributesAsync(dlq)).QueueArn;
        var queue = await sqs.CreateQueueAsync(new SqsQueueSpec("controller.fifo")
        {
            VisibilityTimeout = TimeSpan.FromSeconds(30),
            RedrivePolicy = new SqsRedrivePolicy(dlqArn, maxReceiveCount),
        });
        return (sqs, queue, dlq);
    }

    private static SqsOutgoingMessage Message(string id, string body, string group) =>
        new(id, body) { MessageGroupId = group, MessageDeduplicationId = id };

    [Fact]
    public async Task RequeueAfter_sets_the_message_visibility_to_the_delay_and_reports_it_failed_so_it_returns_after_the_delay()
    {
        var (sqs, queue, _) = await QueuesAsync(5);
        using var _ = sqs;
        var key = QueueKey.IngressGroup("default/echo");
        await sqs.SendAsync(queue, Message("m1", new QueueMessage(key, QueueMessageOrigin.Forwarder).ToJson(), key.MessageGroupId));
        var received = await sqs.ReceiveAsync(queue, new SqsReceiveOptions { VisibilityTimeout = TimeSpan.FromSeconds(60) });
        var arn = (await sqs.GetQueueAttributesAsync(queue)).QueueArn;
        var output = new CapturedOutput();
        var scripted = new ScriptedReconciler(_ => ReconcileResult.RequeueAfter("load balancer provisioning", TimeSpan.FromSeconds(2)));
        var function = new ReconcileFunction(
            scripted,
            scripted,
            sqs, new ReconcileOptions { QueueUrl = queue }, TestContext.Create(output));
        var json = JsonSerializer.Serialize(SqsEventBuilder.FromMessages(received, arn), LambdaJsonContext.Default.SqsEvent);

        var answer = JsonSerializer.Deserialize(await function.InvokeAsync(TestContext.Invocation(json), CancellationToken.None), LambdaJsonContext.Default.SqsBatchResponse)!;

        Assert.Equal([received[0].MessageId], answer.BatchItemFailures.Select(f => f.ItemIdentifier));
        Assert.Empty(await sqs.ReceiveAsync(queue, new SqsReceiveOptions()));
        // Without the change the message would stay hidden for 60 s; with it, it is back after about 2 s.
        var again = await sqs.ReceiveAsync(queue, new SqsReceiveOptions { WaitTime = TimeSpan.FromSeconds(6) });
        Assert.Equal(received[0].MessageId, Assert.Single(again).MessageId);
        Assert.Contains(output.Lines, l => l.Contains("\"requeued\"", StringComparison.Ordinal) && l.Contains("\"delaySeconds\":2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_poison_message_lands_in_the_DLQ_after_the_redrive_count_while_the_other_messages_succeed_at_once()
    {
        var (sqs, queue, dlq) = await QueuesAsync(maxReceiveCount: 2);
        using var _ = sqs;
        var good = QueueKey.IngressGroup("default/echo");
        await sqs.SendBatchAsync(queue,
        [
            Message("poison", "{\"version\":2,\"key\":{\"kind\":\"ingress-group\",\"name\":\"x\"},\"origin\":\"forwarder\"}", "ingress-group:x"),
            Message("good", new QueueMessage(good, QueueMessageOrigin.Forwarder).ToJson(), good.MessageGroupId),
        ]);
        var output = new CapturedOutput();
        var context = TestContext.Create(output);
        var reconciler = new ScriptedReconciler();
        var function = new ReconcileFunction(reconciler, reconciler, sqs, new ReconcileOptions { QueueUrl = queue, DeadlineMargin = TimeSpan.Zero }, context);
        var host = new LocalFunctionHost(function, function, function, sqs, queue, context) { FunctionTimeout = TimeSpan.FromSeconds(1) };

        var first = await host.PollOnceAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.Equal(new PollResult(2, 1, 1), first);
        Assert.Equal([good], reconciler.Calls.Select(c => c.Key));
        var polls = 1;
        while ((await sqs.GetQueueAttributesAsync(dlq)).ApproximateNumberOfMessages == 0 && polls++ < 10)
            await host.PollOnceAsync(TimeSpan.FromSeconds(2), CancellationToken.None);

        var dead = Assert.Single(await sqs.ReceiveAsync(dlq, new SqsReceiveOptions()));
        Assert.Contains("\"version\":2", dead.Body, StringComparison.Ordinal);
        Assert.Equal(0, (await sqs.GetQueueAttributesAsync(queue)).ApproximateNumberOfMessages);
        Assert.Single(reconciler.Calls);
        Assert.Contains(output.Lines, l => l.Contains("\"field\":\"version\"", StringComparison.Ordinal) && l.Contains("\"value\":\"2\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_burst_of_Node_and_Service_keys_for_one_group_costs_one_reconcile_per_batch_not_one_per_key()
    {
        var (sqs, queue, _) = await QueuesAsync(5);
        using var _ = sqs;
        var group = QueueKey.IngressGroup("shop");
        var reconciler = new ScriptedReconciler();
        // A forwarder restart: every Node and Service is sent again, each under its own message group.
        var keys = Enumerable.Range(1, 5).Select(i => QueueKey.Node($"node-{i}"))
            .Concat(Enumerable.Range(1, 12).Select(i => QueueKey.Service("default", $"svc-{i}")))
            .ToList();
        foreach (var key in keys)
            reconciler.FanOut[key] = [group];
        await sqs.SendBatchAsync(queue, [.. keys.Select((k, i) => Message("k" + i, new QueueMessage(k, QueueMessageOrigin.Forwarder, "1").ToJson(), k.MessageGroupId))]);
        var context = TestContext.Create(new CapturedOutput());
        var function = new ReconcileFunction(reconciler, reconciler, sqs, new ReconcileOptions { QueueUrl = queue, DeadlineMargin = TimeSpan.Zero }, context);
        var host = new LocalFunctionHost(function, function, function, sqs, queue, context) { FunctionTimeout = TimeSpan.FromSeconds(10) };

        var received = 0;
        for (var polls = 0; polls < 10; polls++)
        {
            var poll = await host.PollOnceAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
            received += poll.Received;
            if (poll.Received == 0 && (await sqs.GetQueueAttributesAsync(queue)).ApproximateNumberOfMessages == 0)
                break;
        }

        // 17 keys arrive in batches of at most 10: each batch enqueues the group once, and the group's own messages
        // collapse when they share a batch. Never one reconcile per key, and never a reconcile under a Node's or
        // Service's message group.
        Assert.InRange(reconciler.Calls.Count, 1, 2);
        Assert.All(reconciler.Calls, c => Assert.Equal(group, c.Key));
        Assert.InRange(received, 18, 19);
        Assert.Equal(0, (await sqs.GetQueueAttributesAsync(queue)).ApproximateNumberOfMessages);
    }

    /// <summary>Two discoverable internal subnets: enough for the group to build.</summary>
    internal sealed class TwoSubnets : IAwsFactsLoader, IServiceFactsLoader
    {
        public Task<ServiceAwsFacts> LoadServiceAsync(ClusterSettings cluster, StackId stack, V1Service service, IReadOnlyList<V1Node> nodes,
            CancellationToken cancellationToken = default, bool fresh = false, Action<KnownAwsReads>? read = null) =>
            Task.FromResult(new ServiceAwsFacts(Facts, null, new Dictionary<string, IReadOnlyList<string>>()));

        public Task<AwsFacts> LoadAsync(ClusterSettings cluster, StackId group, IReadOnlyList<V1Ingress> ingresses, IReadOnlyList<V1Node> nodes,
            CancellationToken cancellationToken = default, bool fresh = false, Action<KnownAwsReads>? read = null) =>
            Task.FromResult(Facts);

        private static AwsFacts Facts { get; } = new AwsFacts
            {
                Subnets =
                [
                    new SubnetFact { Id = "subnet-0a", AvailabilityZone = "us-east-1a", CidrBlock = "10.0.0.0/24", Tags = new Dictionary<string, string> { ["kubernetes.io/role/internal-elb"] = "1" } },
                    new SubnetFact { Id = "subnet-0b", AvailabilityZone = "us-east-1b", CidrBlock = "10.0.1.0/24", Tags = new Dictionary<string, string> { ["kubernetes.io/role/internal-elb"] = "1" } },
                ],
                VpcCidrs = ["10.0.0.0/16"],
            };
    }

    /// <summary>A deployer that has built the load balancer and waits for new targets to become healthy.</summary>
    private sealed class WaitingDeployer : IStackDeployer
    {
        public int Calls { get; private set; }

        public Task<DeployResult> DeployAsync(Stack desired, DeployOptions options, CancellationToken cancellationToken = default)
        {
            Calls++;
            return Task.FromResult(new DeployResult
            {
                Stack = desired.Id.ToString(),
                Mode = options.Mode,
                Reconcile = ReconcileResult.RequeueAfter("waiting for a healthy target in target group k8s-default-web before forwarding to it", TimeSpan.FromSeconds(2)),
                Changes = [],
                AwsCalls = new Dictionary<string, long>(),
                DnsName = "internal-k8s-default-web-0123456789.us-east-1.elb.amazonaws.com",
            });
        }
    }

    [Fact]
    public async Task A_requeue_through_the_queue_writes_the_status_emits_no_Warning_and_the_message_is_back_after_the_delay()
    {
        var (sqs, queue, _) = await QueuesAsync(5);
        using var _ = sqs;
        await using var kube = await FakeKubernetesApiServer.StartAsync();
        kube.Create("""{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"alb"},"spec":{"controller":"ingress.k8s.aws/alb"}}""");
        kube.CreateReadyNode("node-a", "aws:///us-east-1a/i-0000000000000000a");
        kube.Create("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default"},"spec":{"type":"NodePort","ports":[{"name":"http","port":80,"targetPort":8080,"nodePort":30080,"protocol":"TCP"}]}}""");
        kube.Create("""{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"web","namespace":"default"},"spec":{"ingressClassName":"alb","rules":[{"http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}}""");
        using var api = KubernetesConnection.Create(new KubernetesClientConfiguration { Host = kube.Url });
        var cluster = new ClusterSettings { ClusterName = "requeue", VpcId = "vpc-0123456789abcdef0" };
        var deployer = new WaitingDeployer();
        var reconciler = new StackKeyReconciler(new IngressGroupReconciler(new LiveIngressGroupSource(api, cluster), cluster, new TwoSubnets(), deployer));
        var output = new CapturedOutput();
        var context = TestContext.Create(output);
        var function = new ReconcileFunction(reconciler, new GroupFanOut(api, cluster), sqs, new ReconcileOptions { QueueUrl = queue, DeadlineMargin = TimeSpan.Zero }, context);
        var host = new LocalFunctionHost(function, function, function, sqs, queue, context);
        var key = QueueKey.IngressGroup("default/web");
        await sqs.SendAsync(queue, Message("m1", new QueueMessage(key, QueueMessageOrigin.Forwarder).ToJson(), key.MessageGroupId));

        var first = await host.PollOnceAsync(TimeSpan.FromSeconds(1), CancellationToken.None);

        Assert.Equal(new PollResult(1, 0, 1), first);
        Assert.Equal(1, deployer.Calls);
        var ingress = kube.Get("networking.k8s.io/v1", "Ingress", "default", "web")!;
        Assert.Equal("internal-k8s-default-web-0123456789.us-east-1.elb.amazonaws.com", ingress["status"]!["loadBalancer"]!["ingress"]![0]!["hostname"]!.GetValue<string>());
        Assert.Equal("ingress.k8s.aws/resources", ingress["metadata"]!["finalizers"]![0]!.GetValue<string>());
        Assert.DoesNotContain(kube.List("v1", "Event", "default"), e => e["type"]!.GetValue<string>() == "Warning");
        Assert.Contains(output.Lines, l => l.Contains("\"requeued\"", StringComparison.Ordinal) && l.Contains("\"delaySeconds\":2", StringComparison.Ordinal));
        // Hidden for the delay (the queue's own visibility timeout is 30 s), then back, by the queue's clock.
        Assert.Empty(await sqs.ReceiveAsync(queue, new SqsReceiveOptions()));
        var again = await sqs.ReceiveAsync(queue, new SqsReceiveOptions { WaitTime = TimeSpan.FromSeconds(10) });
        Assert.Equal(key, QueueMessage.Parse(Assert.Single(again).Body).Key);
    }
}
