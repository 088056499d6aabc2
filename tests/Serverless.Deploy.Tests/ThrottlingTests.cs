using Serverless.Deploy.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Deploy.Tests;

/// <summary>
/// A throttling storm: 30% of all ELBv2 and EC2 requests answer Throttling / RequestLimitExceeded. Every scenario of
/// <see cref="ScenarioTests"/>, in sequence, must converge (the SDK retries; what outlasts the retries ends the run with
/// "retry" and the next run, as the queue would redeliver, finishes) to the state the same sequence reaches without
/// faults, and leave the foreign resources untouched.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class ThrottlingTests(MotoFixture fixture) : DeployTest(fixture)
{
    protected override IReadOnlyList<FaultRule> Faults => [new FaultRule(null, FaultKind.Throttle) { Probability = 0.3 }];

    [Fact]
    public async Task Every_scenario_converges_under_30_percent_throttling_to_the_state_of_a_clean_run()
    {
        var steps = Steps();
        var expected = new List<string>();
        NewDeployer(faults: false);
        foreach (var (_, shape) in steps)
        {
            await ConvergeAsync(Build(shape));
            expected.Add(await NormalizedSnapshotAsync());
        }

        await ResetWorldAsync();
        var throttled = 0L;
        for (var i = 0; i < steps.Count; i++)
        {
            NewDeployer();
            await ConvergeAsync(Build(steps[i].Shape), attempts: 20);
            throttled += Recorder.Attempts.Values.Sum() - Recorder.TotalCalls;
            var actual = await NormalizedSnapshotAsync();
            Assert.True(expected[i] == actual, $"step {steps[i].Name}:\n--- expected\n{expected[i]}\n--- actual\n{actual}");
            await AssertForeignUntouchedAsync();
            NewDeployer(faults: false);
            AssertMutating(await ApplyAsync(Build(steps[i].Shape), full: true), 0);
        }
        Assert.True(throttled > 50, $"only {throttled} retried attempts: the storm did not happen");
    }

    private static List<(string Name, GroupShape Shape)> Steps()
    {
        var shape = GroupShape.Reference(backends: 3) with { Https = false };
        var extra = new Backend("default/web", "extra", NodePort: 30050);
        var added = shape with { Backends = [.. shape.Backends, extra], Paths = [new PathRule("default/web", "/extra/*", "extra"), .. shape.Paths] };
        var health = added with { Backends = [added.Backends[0] with { HealthPath = "/ready" }, .. added.Backends.Skip(1)] };
        var ip = health with { Backends = [health.Backends[0], health.Backends[1] with { TargetType = "ip" }, .. health.Backends.Skip(2)] };
        var https = ip with { Https = true, SslRedirect = true };
        var member = https with
        {
            Members = [.. https.Members, "shop/cart"],
            Backends = [.. https.Backends, new Backend("shop/cart", "cart", NodePort: 30070)],
            Paths = [.. https.Paths, new PathRule("shop/cart", "/cart/*", "cart")],
        };
        var internalLb = https with { Scheme = "internal", Leaving = ["shop/cart"], NodeCount = 4 };
        return
        [
            ("create", shape),
            ("add a path", added),
            ("change a health check", health),
            ("switch a target type", ip),
            ("add HTTPS and ssl-redirect", https),
            ("add a member", member),
            ("remove the member, drain a node, change the scheme", internalLb),
            ("delete the group", internalLb with { Empty = true, Members = [], Leaving = internalLb.Members }),
        ];
    }
}
