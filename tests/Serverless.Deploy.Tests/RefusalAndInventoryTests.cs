using Serverless.Testing;
using System.Diagnostics;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Deploy.Tests.Infrastructure;
using Serverless.Model;
using ElbTag = Serverless.Aws.ElasticLoadBalancingV2.Model.Tag;

namespace Serverless.Deploy.Tests;

/// <summary>
/// Deletions AWS refuses for now end the run with "requeue after" (no waiting in the run), and the next run finishes;
/// the cluster-wide inventory (garbage collection only) finds every stack of the cluster and nothing else.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class RefusalAndInventoryTests(MotoFixture fixture) : DeployTest(fixture)
{
    [Fact]
    public async Task A_target_group_still_in_use_is_requeued_without_waiting_and_deleted_by_the_next_run()
    {
        var shape = GroupShape.Reference(backends: 3);
        AssertDone(await ApplyAsync(Build(shape)));
        var fewer = shape with { Backends = shape.Backends.Take(2).ToList(), Paths = shape.Paths.Take(2).ToList() };
        // moto deletes a target group as soon as no rule forwards to it; AWS may still answer ResourceInUse for a while
        // after the rule is gone. Canned here.
        Canned = static r => r.Operation == "DeleteTargetGroup" ? ElbError("ResourceInUse", "Target group is currently in use by a listener or a rule") : null;

        var clock = Stopwatch.StartNew();
        var refused = await ApplyAsync(Build(fewer));
        clock.Stop();

        Assert.Equal(ReconcileKind.RequeueAfter, refused.Reconcile.Kind);
        Assert.Equal(TimeSpan.FromSeconds(30), refused.Reconcile.Delay);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the run waited: {clock.Elapsed}");
        Assert.Contains(refused.Changes, static c => c.Action == ChangeAction.Blocked && c.ResourceType == ResourceTypes.TargetGroup);
        AssertCalls(refused, "DeleteRule", 2);
        Assert.Contains(refused.Ingresses, static i => i.Status == IngressStatus.Pending);

        Canned = null;
        NewDeployer();
        var next = await ApplyAsync(Build(fewer));
        AssertDone(next);
        AssertCalls(next, "DeleteTargetGroup", 1);
        Assert.Equal(2, (await OwnedSnapshotAsync()).Split('\n').Count(static l => l.StartsWith("TG ", StringComparison.Ordinal)));
        await AssertForeignUntouchedAsync();
    }

    [Fact]
    public async Task A_security_group_still_attached_is_requeued_and_deleted_by_the_next_run()
    {
        var shape = GroupShape.Reference(backends: 2);
        AssertDone(await ApplyAsync(Build(shape)));
        // AWS refuses to delete an SG whose load balancer's network interfaces are still going away (DependencyViolation,
        // for minutes after DeleteLoadBalancer); moto deletes at once. Canned here.
        Canned = static r => r.Operation == "DeleteSecurityGroup" ? Ec2Error("DependencyViolation", "resource sg-x has a dependent object") : null;

        var refused = await ApplyAsync(Build(shape with { Empty = true, Members = [], Leaving = shape.Members }));

        Assert.Equal(ReconcileKind.RequeueAfter, refused.Reconcile.Kind);
        Assert.Contains(refused.Changes, static c => c.Action == ChangeAction.Blocked && c.ResourceType == ResourceTypes.SecurityGroup);
        Assert.DoesNotContain("LB ", await OwnedSnapshotAsync(), StringComparison.Ordinal);

        Canned = null;
        NewDeployer();
        var next = await ConvergeAsync(Build(shape with { Empty = true, Members = [], Leaving = shape.Members }));
        Assert.All(next.Ingresses, static i => Assert.Equal(IngressStatus.Removed, i.Status));
        Assert.DoesNotContain("SG k8s-shop-", await OwnedSnapshotAsync(), StringComparison.Ordinal);
        await AssertForeignUntouchedAsync();
    }

    [Fact]
    public async Task Rules_of_another_cluster_on_our_listener_are_skipped_and_survive_the_group_deletion_of_rules()
    {
        var shape = GroupShape.Reference(backends: 2) with { Https = false };
        AssertDone(await ApplyAsync(Build(shape)));
        var lb = (await Inspect.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { Names = [TestStacks.LoadBalancerName("shop", "internet-facing")] })).LoadBalancers![0];
        var listener = (await Inspect.DescribeListenersAsync(new DescribeListenersRequest { LoadBalancerArn = lb.LoadBalancerArn })).Listeners![0];
        var theirs = (await Inspect.CreateRuleAsync(new CreateRuleRequest
        {
            ListenerArn = listener.ListenerArn,
            Priority = 50,
            Conditions = [new RuleCondition { Field = "path-pattern", PathPatternConfig = new PathPatternConditionConfig { Values = ["/other/*"] } }],
            Actions = [new Serverless.Aws.ElasticLoadBalancingV2.Model.Action { Type = "fixed-response", FixedResponseConfig = new FixedResponseActionConfig { StatusCode = "503" } }],
            Tags = [new ElbTag { Key = TrackingTags.Cluster, Value = World.OtherCluster }, new ElbTag { Key = TrackingTags.Stack, Value = "shop" }, new ElbTag { Key = TrackingTags.Resource, Value = "80:1" }],
        })).Rules![0];
        var fewer = shape with { Backends = shape.Backends.Take(1).ToList(), Paths = shape.Paths.Take(1).ToList() };

        var result = await ApplyAsync(Build(fewer), full: true);

        AssertDone(result);
        Assert.Contains(result.Changes, c => c.Action == ChangeAction.SkippedForeign && c.Arn == theirs.RuleArn);
        AssertCalls(result, "DeleteRule", 1);
        var still = Assert.Single((await Inspect.DescribeRulesAsync(new DescribeRulesRequest { ListenerArn = listener.ListenerArn })).Rules!, r => r.RuleArn == theirs.RuleArn);
        Assert.Equal("50", still.Priority);
    }

    [Fact]
    public async Task The_cluster_inventory_finds_every_stack_of_the_cluster_and_nothing_foreign()
    {
        AssertDone(await ApplyAsync(Build(GroupShape.Reference(backends: 2))));
        AssertDone(await ApplyAsync(Build(GroupShape.Reference(backends: 1) with { Group = "blog", Members = ["blog/web"], Backends = [new Backend("blog/web", "web", NodePort: 30090)], Paths = [new PathRule("blog/web", "/", "web")] })));
        using var elb = new Serverless.Aws.ElasticLoadBalancingV2.ElasticLoadBalancingV2Client(Moto.ClientOptions());
        using var ec2 = Serverless.Aws.Ec2.Ec2Gateway.Create(Moto.ClientOptions());

        var stacks = await new ClusterInventory(elb, ec2).FindStacksAsync(World.Cluster, World.VpcId);

        Assert.Equal(["blog", "shop"], stacks.Select(static s => s.Stack));
        var shop = stacks.Single(static s => s.Stack == "shop");
        Assert.Equal([TestStacks.LoadBalancerName("shop", "internet-facing")], shop.LoadBalancerNames);
        Assert.Equal(2, shop.TargetGroupArns.Count);
        Assert.Single(shop.SecurityGroupIds);
        Assert.Single(stacks.Single(static s => s.Stack == "blog").TargetGroupArns);
        Assert.DoesNotContain(stacks.SelectMany(static s => s.LoadBalancerArns), World.ForeignLoadBalancerArns.Contains);
        Assert.DoesNotContain(stacks.SelectMany(static s => s.TargetGroupArns), World.ForeignTargetGroupArns.Contains);
    }
}
