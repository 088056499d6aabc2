using Serverless.Testing;
using System.Text.Json;
using Serverless.Deploy.Tests.Infrastructure;
using Serverless.Model;

namespace Serverless.Deploy.Tests;

/// <summary>Plan mode: the same diff as apply, no mutating call, rendered as text and JSON.</summary>
[Collection(MotoCollection.Name)]
public sealed class PlanTests(MotoFixture fixture) : DeployTest(fixture)
{
    public static TheoryData<string> Changes => ["create", "add a path", "switch a target type", "change the scheme", "delete the group"];

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task A_plan_makes_no_mutating_call_and_lists_exactly_the_changes_the_apply_then_makes(string change)
    {
        var shape = GroupShape.Reference(backends: 3);
        if (change != "create")
            AssertDone(await ApplyAsync(Build(shape)));
        var target = change switch
        {
            "create" => shape,
            "add a path" => shape.WithExtraPathInFront(),
            "switch a target type" => shape.WithFirstBackendIp(),
            "change the scheme" => shape with { Scheme = "internal" },
            _ => shape with { Empty = true, Members = [], Leaving = shape.Members },
        };
        var before = await OwnedSnapshotAsync();

        var plan = await PlanAsync(Build(target));

        AssertMutating(plan, 0);
        Assert.Equal(DeployMode.Plan, plan.Mode);
        Assert.Equal(before, await OwnedSnapshotAsync());
        Assert.Contains(plan.Changes, static c => c.IsMutation);

        var apply = await ApplyAsync(Build(target), full: true);
        AssertDone(apply);
        Assert.Equal(PlanRenderer.RenderChanges(plan.Changes), PlanRenderer.RenderChanges(apply.Changes));
        Assert.Equal(plan.Changes.Count, apply.Changes.Count);
    }

    [Fact]
    public async Task The_json_rendering_carries_every_change_with_its_field_changes_and_the_calls_by_operation()
    {
        var shape = GroupShape.Reference(backends: 2);
        AssertDone(await ApplyAsync(Build(shape)));
        var changed = shape with { Backends = [shape.Backends[0] with { HealthPath = "/ready" }, shape.Backends[1]] };

        var result = await ApplyAsync(Build(changed));
        using var json = JsonDocument.Parse(PlanRenderer.RenderJson(result));

        var root = json.RootElement;
        Assert.Equal("apply", root.GetProperty("mode").GetString());
        Assert.Equal("done", root.GetProperty("reconcile").GetProperty("kind").GetString());
        var modify = Assert.Single(root.GetProperty("changes").EnumerateArray(), static c => c.GetProperty("action").GetString() == "modify");
        Assert.Equal(ResourceTypes.TargetGroup, modify.GetProperty("resourceType").GetString());
        var field = Assert.Single(modify.GetProperty("fields").EnumerateArray());
        Assert.Equal("healthCheck", field.GetProperty("field").GetString());
        Assert.Contains("/healthz", field.GetProperty("before").GetString(), StringComparison.Ordinal);
        Assert.Contains("/ready", field.GetProperty("after").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, root.GetProperty("awsCalls").GetProperty("ELBv2:ModifyTargetGroup").GetInt64());
        Assert.NotNull(root.GetProperty("dnsName").GetString());
    }
}
