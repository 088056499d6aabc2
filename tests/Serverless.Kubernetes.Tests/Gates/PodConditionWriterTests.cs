using k8s.Models;
using Serverless.Kubernetes.Gates;

namespace Serverless.Kubernetes.Tests.Gates;

/// <summary>The live condition writer against the fake API server: a strategic merge patch of pods/status.</summary>
public sealed class PodConditionWriterTests
{
    private const string Gate = "target-health.elbv2.k8s.aws/k8s-default-echo-0123456789";

    private static PodConditionPatch Patch(string name, string? uid, string status = "False") =>
        new("default", name, uid, new V1PodCondition { Type = Gate, Status = status, Reason = status == "True" ? null : "Elb.RegistrationInProgress", LastTransitionTime = new DateTime(2026, 12, 5, 7, 0, 0, DateTimeKind.Utc) });

    [Fact]
    public async Task The_gate_condition_is_merged_beside_kubelet_conditions_a_replaced_pod_conflicts_and_a_missing_pod_is_ignored()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"default"},
             "spec":{"readinessGates":[{"conditionType":"target-health.elbv2.k8s.aws/k8s-default-echo-0123456789"}],"containers":[]},
             "status":{"conditions":[{"type":"Ready","status":"False"},{"type":"ContainersReady","status":"True"}]}}
            """);
        var pod = (await cluster.Api.GetPodAsync("default", "web-1"))!;
        var writer = new PodConditionWriter(cluster.Api);

        Assert.Equal(PodWriteOutcome.Written, await writer.WriteAsync(Patch("web-1", pod.Metadata.Uid), CancellationToken.None));
        Assert.Equal(PodWriteOutcome.Written, await writer.WriteAsync(Patch("web-1", pod.Metadata.Uid, "True"), CancellationToken.None));
        Assert.Equal(PodWriteOutcome.Conflict, await writer.WriteAsync(Patch("web-1", "uid-of-a-pod-deleted-since", "False"), CancellationToken.None));
        Assert.Equal(PodWriteOutcome.Gone, await writer.WriteAsync(Patch("web-9", "uid-9"), CancellationToken.None));

        var now = (await cluster.Api.GetPodAsync("default", "web-1"))!;
        Assert.Equal(["Ready", "ContainersReady", Gate], now.Status.Conditions.Select(static c => c.Type));
        var gate = now.Status.Conditions[2];
        Assert.Equal(("True", null), (gate.Status, gate.Reason));
        var patches = cluster.Server.Requests.Where(static r => r.Verb == "patch" && r.Plural == "pods").ToList();
        Assert.Equal(4, patches.Count);
        Assert.All(patches, static r =>
        {
            Assert.Equal("status", r.Subresource);
            Assert.StartsWith("application/strategic-merge-patch+json", r.ContentType, StringComparison.Ordinal);
        });
        Assert.Single(await cluster.Api.ListPodsAsync("default", "app!=none"));
    }
}
