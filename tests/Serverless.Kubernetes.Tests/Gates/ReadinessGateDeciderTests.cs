using System.Text.Json.Nodes;
using k8s.Models;
using Serverless.Kubernetes.Gates;
using Serverless.Model;

namespace Serverless.Kubernetes.Tests.Gates;

public sealed class ReadinessGateDeciderTests
{
    private const string Gate = "target-health.elbv2.k8s.aws/k8s-default-echo-0123456789";
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 7, 0, 0, TimeSpan.Zero);
    private static readonly TargetSpec Target = new("10.0.1.6", 8080);
    private static readonly TargetKey Key = TargetKey.Of(Target);

    private static V1Pod Pod(string name = "web-1", string? gate = Gate, V1PodCondition? condition = null, DateTime? created = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Uid = "uid-" + name, CreationTimestamp = created ?? Now.UtcDateTime.AddMinutes(-1) },
        Spec = new V1PodSpec { ReadinessGates = gate is null ? null : [new V1PodReadinessGate { ConditionType = gate }], Containers = [] },
        Status = new V1PodStatus { Conditions = [new V1PodCondition { Type = "ContainersReady", Status = "True" }, .. condition is null ? Array.Empty<V1PodCondition>() : [condition]] },
    };

    private static V1PodCondition Condition(string status, string? reason = null, string? message = null, DateTime? at = null) =>
        new() { Type = Gate, Status = status, Reason = reason, Message = message, LastTransitionTime = at ?? Now.UtcDateTime.AddMinutes(-2) };

    private static GateDecision Decide(V1Pod pod, ObservedTargetHealth? health = null, bool registeredNow = false, DateTimeOffset? now = null, GateCadence? cadence = null) =>
        ReadinessGateDecider.Decide(new GateInput
        {
            ConditionType = Gate,
            TargetGroup = "k8s-default-echo-0123456789",
            Targets = [new PodTarget("default", pod.Metadata.Name, Target)],
            Pods = [pod],
            Health = health is null ? new Dictionary<TargetKey, ObservedTargetHealth>() : new Dictionary<TargetKey, ObservedTargetHealth> { [Key] = health },
            RegisteredNow = registeredNow ? new HashSet<TargetKey> { Key } : new HashSet<TargetKey>(),
            Now = now ?? Now,
            Cadence = cadence ?? new GateCadence(),
        });

    public static TheoryData<string, ObservedTargetHealth?, bool, string, string?, string?> States => new()
    {
        { "registered this round (even if described healthy)", new ObservedTargetHealth("healthy"), true, "False", "Elb.RegistrationInProgress", "Target registration is in progress" },
        { "healthy", new ObservedTargetHealth("healthy"), false, "True", null, null },
        { "initial health checking", new ObservedTargetHealth("initial", "Elb.InitialHealthChecking", "Initial health checks in progress"), false, "False", "Elb.InitialHealthChecking", "Initial health checks in progress" },
        { "unhealthy", new ObservedTargetHealth("unhealthy", "Target.FailedHealthChecks", "Health checks failed"), false, "False", "Target.FailedHealthChecks", "Health checks failed" },
        { "unused (no listener)", new ObservedTargetHealth("unused", "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer"), false, "False", "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer" },
        { "not described", null, false, "Unknown", null, null },
    };

    [Theory]
    [MemberData(nameof(States))]
    public void Each_target_state_gives_its_condition(string description, ObservedTargetHealth? health, bool registeredNow, string status, string? reason, string? message)
    {
        var decision = Decide(Pod(), health, registeredNow);

        var patch = Assert.Single(decision.Patches);
        Assert.True(patch.Condition.Status == status && patch.Condition.Reason == reason && patch.Condition.Message == message,
            $"{description}: {patch.Condition.Status} {patch.Condition.Reason} {patch.Condition.Message}");
        Assert.Equal(("default", "web-1", "uid-web-1", Gate), (patch.Namespace, patch.Name, patch.Uid, patch.Condition.Type));
        Assert.Equal(status != "True", decision.AnyPending);
        Assert.Equal(status == "True" ? null : TimeSpan.FromSeconds(5), decision.RequeueAfter);
    }

    [Fact]
    public void An_unchanged_condition_is_not_written_and_a_healthy_pod_needs_no_requeue()
    {
        var decision = Decide(Pod(condition: Condition("True")), new ObservedTargetHealth("healthy"));

        Assert.Empty(decision.Patches);
        Assert.False(decision.AnyPending);
        Assert.Null(decision.RequeueAfter);
    }

    [Fact]
    public void An_unchanged_not_healthy_condition_is_not_written_but_the_reconcile_comes_back()
    {
        var decision = Decide(Pod(condition: Condition("False", "Elb.InitialHealthChecking", "Initial health checks in progress")),
            new ObservedTargetHealth("initial", "Elb.InitialHealthChecking", "Initial health checks in progress"));

        Assert.Empty(decision.Patches);
        Assert.True(decision.AnyPending);
        Assert.NotNull(decision.RequeueAfter);
    }

    [Fact]
    public void A_new_reason_with_the_same_status_keeps_the_last_transition_time()
    {
        var since = Now.UtcDateTime.AddSeconds(-40);
        var decision = Decide(Pod(condition: Condition("False", "Elb.RegistrationInProgress", "Target registration is in progress", since)),
            new ObservedTargetHealth("initial", "Elb.InitialHealthChecking", "Initial health checks in progress"));

        var patch = Assert.Single(decision.Patches);
        Assert.Equal("Elb.InitialHealthChecking", patch.Condition.Reason);
        Assert.Equal(since, patch.Condition.LastTransitionTime);
        // 40 s waited: as long again.
        Assert.Equal(TimeSpan.FromSeconds(40), decision.RequeueAfter);
    }

    [Fact]
    public void A_status_change_moves_the_last_transition_time_to_now()
    {
        var decision = Decide(Pod(condition: Condition("False", "Elb.InitialHealthChecking", "x")), new ObservedTargetHealth("healthy"));

        var patch = Assert.Single(decision.Patches);
        Assert.Equal(("True", Now.UtcDateTime), (patch.Condition.Status, patch.Condition.LastTransitionTime));
    }

    [Fact]
    public void The_patch_merges_one_condition_by_type_with_the_uid_as_precondition_and_removes_an_old_reason()
    {
        var patch = Assert.Single(Decide(Pod(condition: Condition("False", "Elb.InitialHealthChecking", "x")), new ObservedTargetHealth("healthy")).Patches);

        var json = JsonNode.Parse(patch.ToPatchJson())!;

        Assert.Equal("uid-web-1", json["metadata"]!["uid"]!.GetValue<string>());
        var condition = Assert.Single(json["status"]!["conditions"]!.AsArray())!.AsObject();
        Assert.Equal(Gate, condition["type"]!.GetValue<string>());
        Assert.Equal("True", condition["status"]!.GetValue<string>());
        Assert.True(condition.ContainsKey("reason") && condition["reason"] is null, "an empty reason is sent as null so the old one goes");
        Assert.Equal("2026-12-05T07:00:00Z", condition["lastTransitionTime"]!.GetValue<string>());
    }

    [Fact]
    public void A_pod_without_the_gate_or_with_another_gate_is_left_alone()
    {
        Assert.Empty(Decide(Pod(gate: null), new ObservedTargetHealth("initial", "Elb.InitialHealthChecking")).Patches);
        var other = Decide(Pod(gate: "target-health.elbv2.k8s.aws/other"), new ObservedTargetHealth("initial"));
        Assert.Empty(other.Patches);
        Assert.False(other.AnyPending);
    }

    [Fact]
    public void The_delay_doubles_from_five_seconds_to_at_most_two_minutes()
    {
        var cadence = new GateCadence();

        Assert.Equal(
            [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(120)],
            new[] { 0, 20, 60, 120, 500 }.Select(s => cadence.DelayFor(TimeSpan.FromSeconds(s))));
    }

    [Fact]
    public void Past_the_bound_the_pod_is_reported_and_no_longer_brings_the_reconcile_back()
    {
        var since = Now.UtcDateTime.AddMinutes(-11);
        var decision = Decide(Pod(condition: Condition("False", "Target.FailedHealthChecks", "Health checks failed", since)),
            new ObservedTargetHealth("unhealthy", "Target.FailedHealthChecks", "Health checks failed"));

        Assert.Empty(decision.Patches);
        var pending = Assert.Single(decision.OverBound);
        Assert.Null(decision.RequeueAfter);
        var line = pending.Describe(Gate);
        Assert.Contains("Pod default/web-1", line, StringComparison.Ordinal);
        Assert.Contains("target 10.0.1.6:8080 is False", line, StringComparison.Ordinal);
        Assert.Contains("Target.FailedHealthChecks", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pod_within_the_bound_keeps_the_requeue_while_another_is_past_it()
    {
        var stuck = Pod("web-1", condition: Condition("False", "Target.FailedHealthChecks", "f", Now.UtcDateTime.AddMinutes(-20)));
        var fresh = Pod("web-2");
        var decision = ReadinessGateDecider.Decide(new GateInput
        {
            ConditionType = Gate,
            TargetGroup = "tg",
            Targets = [new PodTarget("default", "web-1", Target), new PodTarget("default", "web-2", new TargetSpec("10.0.1.7", 8080))],
            Pods = [stuck, fresh],
            Health = new Dictionary<TargetKey, ObservedTargetHealth> { [Key] = new("unhealthy", "Target.FailedHealthChecks", "f") },
            RegisteredNow = new HashSet<TargetKey> { new("10.0.1.7", 8080) },
            Now = Now,
        });

        Assert.Equal(["web-1"], decision.OverBound.Select(static p => p.Name));
        Assert.Equal(TimeSpan.FromSeconds(5), decision.RequeueAfter);
        Assert.Equal(["web-2"], decision.Patches.Select(static p => p.Name));
    }

    [Fact]
    public void A_gated_pod_that_is_not_registered_yet_waits_from_its_creation_without_a_write()
    {
        var waiting = Pod("web-3", created: Now.UtcDateTime.AddSeconds(-80));
        var decision = ReadinessGateDecider.Decide(new GateInput { ConditionType = Gate, TargetGroup = "tg", Pods = [waiting], Now = Now });

        Assert.Empty(decision.Patches);
        var pending = Assert.Single(decision.Pending);
        Assert.Null(pending.Target);
        Assert.Equal(TimeSpan.FromSeconds(80), decision.RequeueAfter); // 80 s since its creation: as long again

        var passed = Pod("web-3", condition: Condition("True"));
        Assert.False(ReadinessGateDecider.Decide(new GateInput { ConditionType = Gate, TargetGroup = "tg", Pods = [passed], Now = Now }).AnyPending);
    }

    [Fact]
    public async Task The_in_memory_writer_merges_by_type_and_refuses_a_replaced_pod()
    {
        var pod = Pod(condition: Condition("False", "r", "m"));
        var writer = new InMemoryPodConditionWriter([pod]);
        var patch = Assert.Single(Decide(pod, new ObservedTargetHealth("healthy")).Patches);

        Assert.Equal(PodWriteOutcome.Written, await writer.WriteAsync(patch, CancellationToken.None));
        Assert.Equal(["ContainersReady", Gate], pod.Status.Conditions.Select(static c => c.Type));
        Assert.Equal("True", pod.Status.Conditions[1].Status);
        Assert.Equal(PodWriteOutcome.Conflict, await writer.WriteAsync(patch with { Uid = "uid-other" }, CancellationToken.None));
        Assert.Equal(PodWriteOutcome.Gone, await writer.WriteAsync(patch with { Name = "gone" }, CancellationToken.None));
    }

    [Theory]
    [InlineData("10.0.1.6:8080", "10.0.1.6", 8080)]
    [InlineData("2600:1f18::5:443", "2600:1f18::5", 443)]
    public void A_target_key_reads_id_and_port_after_the_last_colon(string text, string id, int port) =>
        Assert.Equal(new TargetKey(id, port), TargetKey.Parse(text));

    [Theory]
    [InlineData("10.0.1.6")]
    [InlineData(":80")]
    [InlineData("10.0.1.6:http")]
    public void A_text_without_an_id_and_a_numeric_port_is_no_target_key(string text) => Assert.Null(TargetKey.Parse(text));
}
