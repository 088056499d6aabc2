using Serverless.Deploy.Tests.Infrastructure;
using Serverless.Model;
using Serverless.Testing;
using Serverless.Testing.Continuity;

namespace Serverless.Deploy.Tests.Continuity;

/// <summary>A continuity moto of its own, so these tests run beside the other deployer tests.</summary>
[CollectionDefinition(Name)]
public sealed class ContinuityMotoCollection : ICollectionFixture<MotoFixture>
{
    public const string Name = "moto-continuity";
}

/// <summary>
/// Base of the continuity tests: the deployer's clients go through a <see cref="ContinuityProxy"/> in front of moto, its
/// clock is a <see cref="ManualTimeProvider"/>, and <c>ChangeAsync</c> runs a change under a
/// <see cref="ContinuityChecker"/> the way the queue would: apply, and while the deploy asks to come back, let the new
/// targets become healthy and apply again.
/// </summary>
public abstract class ContinuityTest(MotoFixture fixture) : DeployTest(fixture)
{
    protected ContinuityProxy Proxy { get; private set; } = null!;

    protected ManualTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    public override async Task InitializeAsync()
    {
        Proxy = await ContinuityProxy.StartAsync(Moto.Endpoint);
        Endpoint = Proxy.Url;
        Time = Clock;
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Proxy.DisposeAsync();
    }

    /// <summary>What one change did: the continuity report and every deploy it took.</summary>
    protected sealed record Change(ContinuityReport Report, IReadOnlyList<DeployResult> Runs)
    {
        public DeployResult Last => Runs[^1];
    }

    /// <summary>
    /// Converges on <paramref name="from"/>, then applies <paramref name="to"/> under the checker with new targets held
    /// <c>initial</c>: after each run that asks to come back, <paramref name="betweenRuns"/> runs (default: every held
    /// target becomes healthy) and the deploy runs again, at most <paramref name="runs"/> times. The state after the
    /// change is read once every new target is healthy, unless <paramref name="healthyInTheEnd"/> is false.
    /// </summary>
    protected Task<Change> ChangeAsync(GroupShape from, GroupShape to, Action<int>? betweenRuns = null, int runs = 5, bool healthyInTheEnd = true) =>
        ChangeAsync(Build(from), Build(to), betweenRuns, runs, healthyInTheEnd);

    /// <inheritdoc cref="ChangeAsync(GroupShape, GroupShape, Action{int}?, int, bool)"/>
    protected async Task<Change> ChangeAsync(Stack before, Stack after, Action<int>? betweenRuns = null, int runs = 5, bool healthyInTheEnd = true)
    {
        await ConvergeAsync(before);
        Proxy.Health.HoldNewTargets = true;
        using var checker = new ContinuityChecker(Proxy, Moto, before.KnownLoadBalancerNames.Concat(after.KnownLoadBalancerNames).Distinct(), Probe.From(before, after));
        await checker.BeginAsync();
        var results = new List<DeployResult>();
        for (var i = 0; i < runs; i++)
        {
            if (i > 0)
            {
                if (betweenRuns is null)
                    Proxy.Health.ReleaseAll();
                else
                    betweenRuns(i);
            }
            NewDeployer();
            var result = await ApplyAsync(after);
            results.Add(result);
            if (result.Reconcile.Kind != ReconcileKind.RequeueAfter)
                break;
        }
        // After the change means once its new targets passed their health checks, unless the test says they never do.
        if (healthyInTheEnd)
            Proxy.Health.ReleaseAll();
        var report = await checker.EndAsync();
        Proxy.Health.HoldNewTargets = false;
        return new Change(report, results);
    }

    protected static void AssertNoGap(Change change)
    {
        Assert.True(change.Report.Gaps.Count == 0, change.Report + "\n" + string.Join("\n", change.Runs.Select(PlanRenderer.RenderText)));
        Assert.True(change.Report.Continuous.Count > 0, "no probe is served before and after: the check proves nothing\n" + change.Report);
    }

    protected static void AssertDoneAfterStaging(Change change)
    {
        AssertDone(change.Last);
        Assert.True(change.Runs.Count >= 2, "the first run should have staged the forward and asked to come back\n" + string.Join("\n", change.Runs.Select(PlanRenderer.RenderText)));
        var first = change.Runs[0];
        Assert.Equal(ReconcileKind.RequeueAfter, first.Reconcile.Kind);
        Assert.Contains("healthy target", first.Reconcile.Reason, StringComparison.Ordinal);
    }

    /// <summary>The state reached is what a deploy on a fresh moto would settle on: a full drift check changes nothing.</summary>
    protected Task AssertSettledAsync(GroupShape shape) => AssertSettledAsync(Build(shape));

    protected async Task AssertSettledAsync(Stack stack)
    {
        NewDeployer();
        var again = await ApplyAsync(stack, full: true);
        AssertDone(again);
        AssertMutating(again, 0);
    }
}
