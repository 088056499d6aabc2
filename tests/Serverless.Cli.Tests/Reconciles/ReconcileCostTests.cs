using Serverless.Deploy;
using Serverless.Deploy.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Cli.Tests.Reconciles;

/// <summary>
/// AWS calls of whole reconciles (facts + deploy) of the reference group, in one container, against moto made to fail
/// a multi-name lookup with a missing name as AWS does: the figures the README's Performance table reports.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class ReconcileCostTests(MotoFixture fixture)
{
    private readonly MotoServer _moto = fixture.Server;

    [Fact]
    public async Task Reconciles_of_the_reference_group_stay_within_their_call_budgets()
    {
        _moto.Reset();
        var world = await World.CreateAsync(_moto, unrelated: 25);
        AllOrNothingNamesHandler? handler = null;
        using var container = new ReconcileContainer(_moto, world, inner => handler = new AllOrNothingNamesHandler(inner));
        var reference = GroupShape.Reference();
        var shape = reference with { Backends = [.. reference.Backends.Take(9), reference.Backends[9] with { TargetType = "ip" }] };

        var created = await container.ReconcileAsync(shape);
        Assert.True(created.Deploy.Reconcile.Kind == ReconcileKind.Done, PlanRenderer.RenderText(created.Deploy));
        await container.ReconcileAsync(shape); // the load balancer turns active

        container.Clock.Advance(TimeSpan.FromMinutes(1));
        var warm = await container.ReconcileAsync(shape);
        Assert.True(warm.Deploy.CheckpointHit);
        Assert.Equal(0, warm.FactsCalls);
        Assert.Equal(1, warm.Total); // DescribeTags of the load balancer the deployer remembers

        container.Clock.Advance(ReconcileContainer.FactsWindow);
        var cold = await container.ReconcileAsync(shape);
        Assert.True(cold.Deploy.CheckpointHit);
        Assert.True(cold.Total <= 6, Show(cold));
        Assert.Equal(1, cold.Of("DescribeLoadBalancers")); // the name the members' status points at, once
        Assert.Equal(1, cold.Of("DescribeTags"));
        Assert.Equal(0, cold.Deploy.TotalCalls);

        var added = await container.ReconcileAsync(shape with { IpTargets = 4 });
        Assert.True(added.Total <= 3, Show(added));
        Assert.Equal(1, added.Of("RegisterTargets"));
        var removed = await container.ReconcileAsync(shape);
        Assert.True(removed.Total <= 3, Show(removed));
        Assert.Equal(1, removed.Of("DeregisterTargets"));

        var replay = await container.ReconcileAsync(shape, fullDriftCheck: true);
        Assert.Equal(ReconcileKind.Done, replay.Deploy.Reconcile.Kind);
        Assert.Equal(0, replay.Mutating);
        Assert.True(replay.Total <= 34, Show(replay));
        Assert.Equal(10, replay.Of("DescribeTargetHealth"));

        // No lookup ever named an absent load balancer together with others (it would fail on AWS).
        Assert.Equal(0, handler!.FailedLoadBalancerBatches);
    }

    private static string Show(ReconcileCost cost) =>
        string.Join("\n", cost.Calls.Select(static c => $"{c.Key} {c.Value}")) + "\n" + PlanRenderer.RenderText(cost.Deploy);
}
