using System.Text.Json.Nodes;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Deploy;
using Serverless.Model;
using Serverless.Reconcile;

namespace Serverless.Kubernetes.Tests.Live;

/// <summary>
/// Readiness gates on the Ingress path against the fake API server: the loader reads the Pod of the not-ready endpoint,
/// the group's ip target group registers it, and the gate follows the described health (a recording deployer and a
/// scripted health reader stand in for AWS).
/// </summary>
public sealed class IngressReadinessGateTests
{
    private static readonly StackId Shop = StackId.Explicit("shop");

    private sealed class Health : ITargetHealthReader
    {
        public List<(string Name, string? Arn)> Calls { get; } = [];

        public TargetHealth Next { get; set; } = new() { State = "initial", Reason = "Elb.InitialHealthChecking", Description = "Initial health checks in progress" };

        public Task<IReadOnlyList<TargetHealthDescription>?> DescribeTargetHealthAsync(string targetGroupName, string? targetGroupArn, CancellationToken cancellationToken = default)
        {
            Calls.Add((targetGroupName, targetGroupArn));
            IReadOnlyList<TargetHealthDescription> described = [new() { Target = new TargetDescription { Id = "10.0.3.7", Port = 8080 }, TargetHealth = Next }];
            return Task.FromResult<IReadOnlyList<TargetHealthDescription>?>(described);
        }
    }

    [Fact]
    public async Task A_gated_pod_of_an_ip_backend_is_registered_and_its_condition_follows_the_target_health()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc", group: "shop"), FakeCluster.ClusterIpService("web-svc"), FakeCluster.Node("n1", "i-0a"));
        var deployer = new ReconcilerTests.Deployer();
        var health = new Health();
        var reconciler = new IngressGroupReconciler(new LiveIngressGroupSource(cluster.Api, FakeCluster.Settings), FakeCluster.Settings, new ReconcilerTests.Facts(), deployer,
            options: new IngressReconcilerOptions { TargetHealth = health, Time = new FixedTime(new DateTimeOffset(2026, 12, 5, 7, 0, 0, TimeSpan.Zero)) });
        var tg = Assert.Single((await reconciler.ReconcileAsync(Shop, new ReconcileRequest(DeployMode.Plan))).Desired!.TargetGroups);
        var gate = "target-health.elbv2.k8s.aws/" + tg.Name;
        cluster.Seed(
            $$$"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"default"},
             "spec":{"nodeName":"n1","readinessGates":[{"conditionType":"{{{gate}}}"}],"containers":[]},
             "status":{"conditions":[{"type":"ContainersReady","status":"True"},{"type":"Ready","status":"False"}]}}
            """,
            """
            {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"web-svc-1","namespace":"default","labels":{"kubernetes.io/service-name":"web-svc"}},
             "addressType":"IPv4","ports":[{"name":"http","port":8080,"protocol":"TCP"}],
             "endpoints":[{"addresses":["10.0.3.7"],"conditions":{"ready":false},"targetRef":{"kind":"Pod","name":"web-1","namespace":"default"}}]}
            """);
        JsonObject Condition() => cluster.Server.Get("v1", "Pod", "default", "web-1")!["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == gate)!.AsObject();

        var first = await reconciler.ReconcileAsync(Shop, ReconcileRequest.Event);

        Assert.Equal((ReconcileKind.RequeueAfter, TimeSpan.FromSeconds(5)), (first.Result.Kind, first.Result.Delay));
        Assert.Equal([new TargetSpec("10.0.3.7", 8080)], Assert.Single(deployer.Calls[^1].Stack.TargetSets).Targets);
        Assert.Equal([(tg.Name, (string?)null)], health.Calls);
        Assert.Equal(("False", "Elb.InitialHealthChecking"), (Condition()["status"]!.GetValue<string>(), Condition()["reason"]!.GetValue<string>()));
        Assert.Equal(1, cluster.Server.CountRequests("get", "pods"));

        health.Next = new TargetHealth { State = "healthy" };
        var second = await reconciler.ReconcileAsync(Shop, ReconcileRequest.Event);

        Assert.True(second.Result.IsDone, second.Result.ToString());
        Assert.Equal("True", Condition()["status"]!.GetValue<string>());
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
