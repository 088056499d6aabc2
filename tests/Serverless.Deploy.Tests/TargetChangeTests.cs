using Serverless.Deploy.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Deploy.Tests;

/// <summary>
/// Target-only changes of event-driven deploys: with the structure checkpoint in place and the deployer's memory of its
/// last apply still matching the load balancer's checkpoint, only the affected target groups are touched. A memory
/// another deploy made stale, and any structure change, still compare everything.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class TargetChangeTests(MotoFixture fixture) : DeployTest(fixture)
{
    /// <summary>The reference group with its last backend (svc9) in ip mode.</summary>
    private static GroupShape Shape()
    {
        var reference = GroupShape.Reference();
        return reference with { Backends = [.. reference.Backends.Take(9), reference.Backends[9] with { TargetType = "ip" }] };
    }

    private async Task SettleAsync(GroupShape shape)
    {
        await ConvergeAsync(Build(shape));
        AssertDone(await ApplyAsync(Build(shape))); // the load balancer is active now
    }

    [Fact]
    public async Task An_endpoint_added_or_removed_costs_three_calls_and_a_node_leaving_one_per_target_group()
    {
        var shape = Shape();
        await SettleAsync(shape);

        var added = await ApplyAsync(Build(shape with { IpTargets = 4 }));
        AssertDone(added);
        Assert.True(added.TotalCalls <= 3, PlanRenderer.RenderText(added));
        AssertCalls(added, "RegisterTargets", 1);
        AssertCalls(added, "DescribeTargetHealth", 0);
        Assert.Single(added.Changes);

        var removed = await ApplyAsync(Build(shape));
        AssertDone(removed);
        Assert.True(removed.TotalCalls <= 3, PlanRenderer.RenderText(removed));
        AssertCalls(removed, "DeregisterTargets", 1);

        var nodeLeft = await ApplyAsync(Build(shape with { NodeCount = 4 }));
        AssertDone(nodeLeft);
        AssertCalls(nodeLeft, "DeregisterTargets", 9);
        Assert.True(nodeLeft.TotalCalls <= 9 + 2, PlanRenderer.RenderText(nodeLeft));

        // AWS holds what was asked for: a full comparison finds nothing to change.
        var replay = await ApplyAsync(Build(shape with { NodeCount = 4 }), full: true);
        AssertDone(replay);
        AssertMutating(replay, 0);
        var noOp = await ApplyAsync(Build(shape with { NodeCount = 4 }));
        Assert.True(noOp.CheckpointHit);
        Assert.True(noOp.TotalCalls <= 2, PlanRenderer.RenderText(noOp));
    }

    [Fact]
    public async Task A_memory_made_stale_by_another_deploy_is_not_trusted()
    {
        var shape = Shape();
        await SettleAsync(shape);
        var first = Deployer;

        NewDeployer(); // another container applies one more endpoint
        AssertDone(await ApplyAsync(Build(shape with { IpTargets = 4 })));

        // The first container still remembers 3 endpoints under the old checkpoint: it must read the truth.
        var back = await first.DeployAsync(Build(shape), Options());
        AssertDone(back);
        Assert.True(back.AwsCalls.GetValueOrDefault("ELBv2:DescribeTargetHealth") >= 1, PlanRenderer.RenderText(back));
        AssertCalls(back, "DeregisterTargets", 1);
        var replay = await ApplyAsync(Build(shape), full: true);
        AssertMutating(replay, 0);
    }

    [Fact]
    public async Task Without_a_memory_a_target_only_change_reads_the_targets_but_not_the_rest_of_the_stack()
    {
        var shape = Shape();
        await SettleAsync(shape);
        NewDeployer(); // a new container: nothing remembered

        var added = await ApplyAsync(Build(shape with { IpTargets = 4 }));
        AssertDone(added);
        AssertCalls(added, "DescribeTargetGroups", 1);
        AssertCalls(added, "DescribeTargetHealth", 10);
        AssertCalls(added, "DescribeRules", 0);
        AssertCalls(added, "DescribeTargetGroupAttributes", 0);
        AssertCalls(added, "RegisterTargets", 1);
        AssertMutating(added, 2); // RegisterTargets, the checkpoint

        // It remembers now: the next change is the short one, and AWS holds what was asked for.
        var removed = await ApplyAsync(Build(shape));
        Assert.True(removed.TotalCalls <= 3, PlanRenderer.RenderText(removed));
        AssertMutating(await ApplyAsync(Build(shape), full: true), 0);
    }

    [Fact]
    public async Task A_structure_change_is_compared_in_full()
    {
        var shape = Shape();
        await SettleAsync(shape);

        var changed = shape with { Paths = [shape.Paths[0] with { Path = "/svc0-v2/*" }, .. shape.Paths.Skip(1)], IpTargets = 4 };
        var result = await ApplyAsync(Build(changed));
        AssertDone(result);
        AssertCalls(result, "DescribeRules", 2);
        AssertCalls(result, "DescribeTargetGroupAttributes", 10);
        AssertCalls(result, "DescribeTargetHealth", 10);
        AssertCalls(result, "ModifyRule", 2);
        AssertCalls(result, "RegisterTargets", 1);
    }
}
