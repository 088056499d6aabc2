using Serverless.Deploy.Tests.Infrastructure;
using Serverless.Model;
using Serverless.Testing;

namespace Serverless.Deploy.Tests.Continuity;

/// <summary>
/// Service stacks (NLB) under the continuity check: a target group replaced behind a listener keeps serving until its
/// successor has a healthy target, attached meanwhile by a staging listener (an NLB forward names one group).
/// </summary>
[Collection(ContinuityMotoCollection.Name)]
public sealed class NlbContinuityTests(MotoFixture fixture) : ContinuityTest(fixture)
{
    private static readonly ServiceShape Ip = new() { Ports = [new ServicePort(80, "TCP", "ip"), new ServicePort(443, "TLS", "ip")] };

    [Fact]
    public async Task Target_type_ip_to_instance_keeps_serving_through_a_staging_listener_until_the_new_group_is_healthy()
    {
        var to = Ip with { Ports = [Ip.Ports[0] with { TargetType = "instance", NodePort = 31080 }, Ip.Ports[1]] };

        var change = await ChangeAsync(ServiceStacks.Build(World, Ip), ServiceStacks.Build(World, to));

        AssertNoGap(change);
        AssertDoneAfterStaging(change);
        var first = change.Runs[0];
        Assert.Contains(first.Changes, static c => c.Action == ChangeAction.Replace && c.ResourceType == ResourceTypes.TargetGroup);
        var staging = Assert.Single(first.Changes, static c => c.Action == ChangeAction.Create && c.ResourceType == ResourceTypes.Listener);
        Assert.Equal("staging-65535", staging.ResourceId);
        AssertCalls(first, "ModifyListener", 0);
        AssertCalls(first, "DeleteTargetGroup", 0);
        // The run that switches: one ModifyListener, then the staging listener, then the old group go.
        var last = change.Last;
        AssertCalls(last, "ModifyListener", 1);
        AssertCalls(last, "DeleteListener", 1);
        AssertCalls(last, "DeleteTargetGroup", 1);
        var order = change.Report.Steps.Select(static s => s.Call.Operation).ToList();
        var register = order.IndexOf("RegisterTargets");
        var modify = order.IndexOf("ModifyListener");
        Assert.True(register >= 0 && register < order.IndexOf("CreateListener") && order.IndexOf("CreateListener") < modify, string.Join(", ", order));
        Assert.True(modify < order.IndexOf("DeleteListener") && order.IndexOf("DeleteListener") < order.IndexOf("DeleteTargetGroup"), string.Join(", ", order));
        var snapshot = await OwnedSnapshotAsync();
        Assert.Contains(" instance TCP:31080", snapshot, StringComparison.Ordinal);
        Assert.DoesNotContain("listener 65535", snapshot, StringComparison.Ordinal);
        Assert.DoesNotContain(DeployTags.StagedSince, snapshot, StringComparison.Ordinal);
        Assert.Equal(2, snapshot.Split('\n').Count(static l => l.StartsWith("TG ", StringComparison.Ordinal)));
        await AssertSettledAsync(ServiceStacks.Build(World, to));
    }

    [Fact]
    public async Task A_run_that_stops_after_the_staging_listener_is_finished_by_the_next_without_a_second_one()
    {
        var to = Ip with { Ports = [Ip.Ports[0] with { TargetType = "instance", NodePort = 31080 }, Ip.Ports[1]] };
        var after = ServiceStacks.Build(World, to);

        // Nothing becomes healthy between the first two runs: the second finds the staging listener and keeps it.
        var change = await ChangeAsync(ServiceStacks.Build(World, Ip), after, betweenRuns: i =>
        {
            if (i >= 2)
                Proxy.Health.ReleaseAll();
        });

        AssertNoGap(change);
        Assert.True(change.Runs.Count >= 3, string.Join("\n", change.Runs.Select(PlanRenderer.RenderText)));
        AssertCalls(change.Runs[1], "CreateListener", 0);
        AssertCalls(change.Runs[1], "DeleteListener", 0);
        AssertMutating(change.Runs[1], 0);
        AssertDone(change.Last);
        await AssertSettledAsync(after);
    }
}
