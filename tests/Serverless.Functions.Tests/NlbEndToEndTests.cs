using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
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
using ForwarderChange = Serverless.Forwarder.ChangeType;
using ForwarderKind = Serverless.Forwarder.ResourceKind;

namespace Serverless.Functions.Tests;

/// <summary>
/// A Service of type LoadBalancer end to end, wired as deployed: the forwarder's key mapping turns the watched objects
/// into keys, the keys go through the FIFO queue, the local host invokes the reconcile function with real SQS event
/// JSON, and the Service's NLB appears with its ip targets, finalizer and status; an EndpointSlice change registers
/// the new endpoint; the Service turning ClusterIP deletes the NLB and releases the finalizer.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class NlbEndToEndTests(MotoFixture fixture) : MotoTest(fixture)
{
    private const string Cluster = "e2e-nlb";

    [Fact]
    public async Task A_Service_key_from_the_forwarder_creates_the_NLB_follows_its_endpoints_and_deletes_it_when_it_leaves()
    {
        var options = Moto.ClientOptions();
        using var sdk = Ec2Gateway.CreateSdkClient(options);
        var sandbox = await Sandbox.SeedAsync(sdk, Cluster, "us-east-1", [new("node-a")]);
        await using var kube = await FakeKubernetesApiServer.StartAsync();
        foreach (var instance in sandbox.Nodes)
            kube.CreateReadyNode(instance.NodeName, instance.ProviderId);
        var service = kube.Create("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"echo","namespace":"default","uid":"0f6c4a9e-0000-4000-8000-00000000e2e1",
             "annotations":{"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type":"ip"}},
             "spec":{"type":"LoadBalancer","loadBalancerClass":"service.k8s.aws/nlb","ports":[{"name":"tcp","port":80,"targetPort":8080,"nodePort":30080,"protocol":"TCP"}]}}
            """);
        var slice = kube.Create("""
            {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"echo-1","namespace":"default","labels":{"kubernetes.io/service-name":"echo"}},
             "addressType":"IPv4","ports":[{"name":"tcp","port":8080,"protocol":"TCP"}],"endpoints":[{"addresses":["10.0.10.20"],"conditions":{"ready":true}}]}
            """);
        using var api = KubernetesConnection.Create(new KubernetesClientConfiguration { Host = kube.Url });
        var cluster = new ClusterSettings { ClusterName = Cluster, VpcId = sandbox.VpcId };
        using var deployed = new DeployedReconciler(options, api, cluster, LiveSeams.FactsCacheWindow);
        var elb = deployed.Elb;
        using var sqs = SqsGateway.Create(options);
        var queue = await sqs.CreateQueueAsync(new SqsQueueSpec("e2e-nlb.fifo"));
        var output = new CapturedOutput();
        var context = TestContext.Create(output);
        var function = new ReconcileFunction(deployed.Reconciler, new GroupFanOut(api, cluster), sqs, new ReconcileOptions { QueueUrl = queue, DeadlineMargin = TimeSpan.Zero }, context);
        var host = new LocalFunctionHost(function, function, function, sqs, queue, context) { FunctionTimeout = TimeSpan.FromSeconds(60) };
        var mapper = new Serverless.Forwarder.KeyMapper("alb");
        var sent = 0;

        // What the forwarder sends for one watched change, sent as it sends it (message group = the key).
        async Task<List<QueueKey>> ForwardAsync(ForwarderKind kind, ForwarderChange change, JsonObject obj)
        {
            using var document = JsonDocument.Parse(obj.ToJsonString());
            var keys = mapper.Apply(kind, change, document.RootElement);
            foreach (var key in keys)
            {
                sent++;
                await sqs.SendAsync(queue, new SqsOutgoingMessage("m" + sent, new QueueMessage(key.Key, QueueMessageOrigin.Forwarder, key.ResourceVersion).ToJson())
                {
                    MessageGroupId = key.Key.MessageGroupId,
                    MessageDeduplicationId = key.Key.DeduplicationId(key.Cause),
                });
            }
            return [.. keys.Select(static k => k.Key)];
        }
        async Task PollAsync()
        {
            var poll = await host.PollOnceAsync(TimeSpan.FromSeconds(2), CancellationToken.None);
            Assert.True(poll.Failed == 0 && poll.Received > 0, $"{poll}\n{string.Join("\n", output.Lines)}");
        }
        async Task<List<string>> TargetsAsync()
        {
            var tg = Assert.Single((await elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest())).TargetGroups!, static t => t.TargetType == "ip" && t.TargetGroupName!.StartsWith("k8s-default-echo-", StringComparison.Ordinal));
            return [.. (await elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = tg.TargetGroupArn })).TargetHealthDescriptions!
                .Where(static t => t.TargetHealth?.State != "draining").Select(static t => t.Target!.Id!).Order(StringComparer.Ordinal)];
        }
        JsonObject Current(string apiVersion, string kind, string name) => kube.Get(apiVersion, kind, "default", name)!;

        // The forwarder's initial list: the Service and its EndpointSlice both map to the Service's key.
        Assert.Equal([QueueKey.Service("default", "echo")], await ForwardAsync(ForwarderKind.Service, ForwarderChange.Listed, service));
        Assert.Equal([QueueKey.Service("default", "echo")], await ForwardAsync(ForwarderKind.EndpointSlice, ForwarderChange.Listed, slice));
        await PollAsync();

        var name = AwsFactsLoaderNames(cluster, Current("v1", "Service", "echo"));
        var lb = Assert.Single(await elb.LoadBalancersByNameAsync([name]));
        Assert.Equal("network", lb.Type);
        var now = Current("v1", "Service", "echo");
        Assert.Equal("service.k8s.aws/resources", now["metadata"]!["finalizers"]![0]!.GetValue<string>());
        Assert.Equal(lb.DNSName!.ToLowerInvariant(), now["status"]!["loadBalancer"]!["ingress"]![0]!["hostname"]!.GetValue<string>());
        Assert.Equal(["10.0.10.20"], await TargetsAsync());

        // The reconcile's own writes (finalizer, status) come back through the watch: the finalizer is a change the
        // forwarder sends (it carries ours now), the status write is not.
        Assert.Equal([QueueKey.Service("default", "echo")], await ForwardAsync(ForwarderKind.Service, ForwarderChange.Modified, now));
        await PollAsync();

        // A new endpoint: the slice's change is the Service's key again, and the target is registered.
        var changed = kube.Mutate("discovery.k8s.io/v1", "EndpointSlice", "default", "echo-1", s =>
            s["endpoints"]!.AsArray().Add(JsonNode.Parse("""{"addresses":["10.0.10.21"],"conditions":{"ready":true}}""")));
        Assert.Equal([QueueKey.Service("default", "echo")], await ForwardAsync(ForwarderKind.EndpointSlice, ForwarderChange.Modified, changed));
        await PollAsync();
        Assert.Equal(["10.0.10.20", "10.0.10.21"], await TargetsAsync());

        // The Service turns ClusterIP (the API server clears its class): the NLB goes, then the finalizer and status.
        var left = kube.Mutate("v1", "Service", "default", "echo", s =>
        {
            s["spec"]!["type"] = "ClusterIP";
            s["spec"]!.AsObject().Remove("loadBalancerClass");
        });
        Assert.Equal([QueueKey.Service("default", "echo")], await ForwardAsync(ForwarderKind.Service, ForwarderChange.Modified, left));
        await PollAsync();
        Assert.Empty(await elb.LoadBalancersByNameAsync([name]));
        var after = Current("v1", "Service", "echo");
        Assert.Null(after["metadata"]!["finalizers"]?.AsArray().FirstOrDefault(static f => f!.GetValue<string>() == "service.k8s.aws/resources"));
        Assert.True(after["status"]?["loadBalancer"]?["ingress"] is null or JsonArray { Count: 0 });
    }

    private static string AwsFactsLoaderNames(ClusterSettings cluster, JsonObject service)
    {
        var v1 = KubernetesJson.Deserialize<k8s.Models.V1Service>(service.ToJsonString());
        v1.Status = null;
        // Neither annotated nor in a status yet: the generated names, one per scheme; the default scheme is internal.
        var names = Serverless.Reconcile.AwsFactsLoader.ServiceLoadBalancerNames(cluster, Model.StackId.Service("default", "echo"), v1);
        var internalName = $"k8s-default-echo-{Naming.Sha256Hex(cluster.ClusterName, v1.Metadata.Uid, "internal")[..10]}";
        Assert.Contains(internalName, names);
        return internalName;
    }
}
