using Serverless.Model;
using Serverless.Testing;
using Serverless.Deploy.Tests.Infrastructure;

namespace Serverless.Deploy.Tests;

/// <summary>
/// Stop the apply after its k-th mutating call, for every k; a new invocation then re-runs until done. The end state must
/// equal a clean apply's (normalized: same resources, same tags, same rules and targets, same region-wide counts, so no
/// duplicate and no leak) and the foreign resources must be untouched. The crash is the fault handler's
/// <see cref="Serverless.Testing.CrashSwitch"/>: every request after the k-th mutating one fails, as if the process died.
/// Each case has its own moto (collection) so the two long loops run in parallel with each other and the rest.
/// </summary>
public abstract class CrashSafetyTest(MotoFixture fixture) : DeployTest(fixture)
{
    protected Task CrashAfterEveryCallAsync(GroupShape? start, GroupShape target) =>
        CrashAfterEveryCallAsync(start is null ? null : () => Build(start), () => Build(target));

    /// <summary>The same with stacks built in the current <see cref="World"/> (each case resets it).</summary>
    protected async Task CrashAfterEveryCallAsync(Func<Stack>? start, Func<Stack> target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (start is not null)
            await ConvergeAsync(start());
        NewDeployer();
        var clean = await ApplyAsync(target());
        AssertDone(clean);
        var expected = await NormalizedSnapshotAsync();
        var mutating = (int)clean.MutatingCalls;
        Assert.True(mutating > 10, PlanRenderer.RenderText(clean));

        for (var k = 0; k < mutating; k++)
        {
            await ResetWorldAsync();
            if (start is not null)
                await ConvergeAsync(start());
            NewDeployer();
            Crash.MutatingCallsAllowed = k;
            var crashed = await ApplyAsync(target());
            Assert.True(crashed.Reconcile.Kind == ReconcileKind.Failed, $"k={k}: {crashed.Reconcile}");
            Crash.Reset();

            NewDeployer();
            await ConvergeAsync(target());
            var actual = await NormalizedSnapshotAsync();
            Assert.True(expected == actual, $"crash after mutating call {k} of {mutating}:\n--- expected\n{expected}\n--- actual\n{actual}");
            await AssertForeignUntouchedAsync();
        }
    }
}

[Collection(CrashMotoCollection.Name)]
public sealed class CreateCrashSafetyTests(MotoFixture fixture) : CrashSafetyTest(fixture)
{
    [Fact]
    public Task Create_from_empty_finishes_after_a_crash_after_any_mutating_call() =>
        CrashAfterEveryCallAsync(start: null, target: GroupShape.Reference(backends: 3));
}

[Collection(UpdateCrashMotoCollection.Name)]
public sealed class UpdateCrashSafetyTests(MotoFixture fixture) : CrashSafetyTest(fixture)
{
    [Fact]
    public Task A_large_update_finishes_after_a_crash_after_any_mutating_call()
    {
        var start = GroupShape.Reference(backends: 4) with { Https = false };
        // Everything at once: a path added and one removed (with its target group), a health check changed, a backend
        // switched to ip targets (replacement), HTTPS with ssl-redirect added, a node drained, an attribute changed.
        var target = start with
        {
            Https = true,
            SslRedirect = true,
            NodeCount = 4,
            Backends =
            [
                start.Backends[0] with { HealthPath = "/ready" },
                start.Backends[1] with { TargetType = "ip" },
                start.Backends[2],
                new Backend("default/web", "extra", NodePort: 30050),
            ],
            Paths = [new PathRule("default/web", "/extra/*", "extra"), .. start.Paths.Take(3)],
            TargetGroupAttributes = new SortedDictionary<string, string> { ["deregistration_delay.timeout_seconds"] = "30" },
        };
        return CrashAfterEveryCallAsync(start, target);
    }
}
