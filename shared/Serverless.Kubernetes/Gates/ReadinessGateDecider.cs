using System.Globalization;
using System.Text.Json.Nodes;
using k8s.Models;
using Serverless.Ingress.Backend;
using Serverless.Model;

namespace Serverless.Kubernetes.Gates;

/// <summary>One target of a target group: its ID (an IP for ip targets) and port, as DescribeTargetHealth names it.</summary>
public readonly record struct TargetKey(string Id, int Port)
{
    /// <summary>The key of <paramref name="target"/>.</summary>
    public static TargetKey Of(TargetSpec target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new TargetKey(target.Id, target.Port);
    }

    /// <summary>Reads <c>id:port</c> (the port after the last colon, so IPv6 IDs work); null when it is not that.</summary>
    public static TargetKey? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.LastIndexOf(':');
        return colon > 0 && int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? new TargetKey(text[..colon], port)
            : null;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Id}:{Port}");
}

/// <summary>A desired ip target and the Pod behind it (the EndpointSlice endpoint's <c>targetRef</c>).</summary>
/// <param name="Namespace">The Pod's namespace.</param>
/// <param name="Name">The Pod's name.</param>
/// <param name="Target">The target registered for it.</param>
public sealed record PodTarget(string Namespace, string Name, TargetSpec Target);

/// <summary>What DescribeTargetHealth reported for one target (<c>TargetHealth</c>).</summary>
/// <param name="State"><c>healthy</c>, <c>initial</c>, <c>unhealthy</c>, <c>unused</c>, <c>draining</c>, <c>unavailable</c>, …</param>
/// <param name="Reason">AWS's reason code, e.g. <c>Elb.InitialHealthChecking</c>; null when healthy.</param>
/// <param name="Description">AWS's description; null when healthy.</param>
public sealed record ObservedTargetHealth(string State, string? Reason = null, string? Description = null);

/// <summary>
/// How often a reconcile comes back while a gated Pod is not healthy, and for how long. Stateless: the wait is measured
/// from the gate condition's <c>lastTransitionTime</c> (when it last changed status), or from the Pod's
/// <c>creationTimestamp</c> while its target is not registered yet, so any Lambda invocation can compute it.
/// </summary>
public sealed record GateCadence
{
    /// <summary>The delay right after a Pod starts waiting (default 5 s).</summary>
    public TimeSpan FirstDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest delay (default 2 minutes).</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a Pod may wait before the reconcile stops coming back for it (default 8 minutes: an NLB takes a few
    /// minutes to register a target). Past it the owner gets a Warning and only the scheduled replay looks again. Each
    /// come-back is a receive of the key's message (FIFO queues have no per-message delay): with the default delays an
    /// 8-minute wait takes 9 of them, within the queue's default <c>MaxReceiveCount</c> of 10.
    /// </summary>
    public TimeSpan Bound { get; init; } = TimeSpan.FromMinutes(8);

    /// <summary>The delay after a Pod has waited <paramref name="waited"/>: as long again (doubling), within [first, max].</summary>
    public TimeSpan DelayFor(TimeSpan waited) =>
        waited < FirstDelay ? FirstDelay : waited > MaxDelay ? MaxDelay : waited;
}

/// <summary>The input of <see cref="ReadinessGateDecider.Decide"/> for one target group.</summary>
public sealed record GateInput
{
    /// <summary>The gate's condition type, <c>target-health.elbv2.k8s.aws/&lt;name&gt;</c> (<see cref="PodReadinessGates.ConditionType"/>).</summary>
    public required string ConditionType { get; init; }

    /// <summary>The target group as people know it (its name or ARN), for messages.</summary>
    public required string TargetGroup { get; init; }

    /// <summary>The desired ip targets of the group with the Pods behind them.</summary>
    public IReadOnlyList<PodTarget> Targets { get; init; } = [];

    /// <summary>
    /// The Pods known to the reconcile (those of not-ready endpoints). A Pod among them that carries the gate, whose gate
    /// is not True yet and that is not behind any of <see cref="Targets"/> (its containers or node are not ready yet)
    /// still counts as waiting: nothing else would bring the reconcile back when its containers become ready.
    /// </summary>
    public IReadOnlyList<V1Pod> Pods { get; init; } = [];

    /// <summary>DescribeTargetHealth of the group, by target.</summary>
    public IReadOnlyDictionary<TargetKey, ObservedTargetHealth> Health { get; init; } = new Dictionary<TargetKey, ObservedTargetHealth>();

    /// <summary>Targets registered by this reconcile: their registration is in progress whatever was described.</summary>
    public IReadOnlySet<TargetKey> RegisteredNow { get; init; } = new HashSet<TargetKey>();

    /// <summary>Now (the reconcile's clock).</summary>
    public required DateTimeOffset Now { get; init; }

    /// <summary>Delays and bound.</summary>
    public GateCadence Cadence { get; init; } = new();
}

/// <summary>One write of a Pod's gate condition: a strategic merge patch of its status, with its uid as precondition.</summary>
/// <param name="Namespace">The Pod's namespace.</param>
/// <param name="Name">The Pod's name.</param>
/// <param name="Uid">The Pod's uid (the precondition: a Pod replaced under the same name is not written).</param>
/// <param name="Condition">The condition to write.</param>
public sealed record PodConditionPatch(string Namespace, string Name, string? Uid, V1PodCondition Condition)
{
    /// <summary>
    /// The patch body: <c>metadata.uid</c> (when known) and the one condition, merged by <c>type</c> on the server, so
    /// kubelet's conditions stay. An empty reason or message is sent as null, which removes the old one.
    /// </summary>
    public string ToPatchJson()
    {
        var condition = new JsonObject
        {
            ["type"] = Condition.Type,
            ["status"] = Condition.Status,
            ["reason"] = string.IsNullOrEmpty(Condition.Reason) ? null : Condition.Reason,
            ["message"] = string.IsNullOrEmpty(Condition.Message) ? null : Condition.Message,
            ["lastTransitionTime"] = Condition.LastTransitionTime is { } at ? ReadinessGateDecider.FormatTime(at) : null,
        };
        var patch = new JsonObject { ["status"] = new JsonObject { ["conditions"] = new JsonArray(condition) } };
        if (!string.IsNullOrEmpty(Uid))
            patch["metadata"] = new JsonObject { ["uid"] = Uid };
        return patch.ToJsonString();
    }
}

/// <summary>A gated Pod that has not passed its gate yet.</summary>
/// <param name="Namespace">The Pod's namespace.</param>
/// <param name="Name">The Pod's name.</param>
/// <param name="Target">Its target, or null while it is not registered (containers or node not ready).</param>
/// <param name="Status">The gate condition's status (<c>False</c> or <c>Unknown</c>), or null while not registered.</param>
/// <param name="Reason">Why: AWS's reason (e.g. <c>Target.FailedHealthChecks</c>), or ours while not registered.</param>
/// <param name="Message">AWS's description, or ours.</param>
/// <param name="Since">Since when it waits (see <see cref="GateCadence"/>).</param>
/// <param name="OverBound">True when it has waited longer than <see cref="GateCadence.Bound"/>.</param>
public sealed record PendingGate(string Namespace, string Name, TargetSpec? Target, string? Status, string? Reason, string? Message, DateTimeOffset Since, bool OverBound)
{
    /// <summary>One line for logs and Warning events: Pod, target, status and AWS reason.</summary>
    public string Describe(string conditionType) =>
        $"Pod {Namespace}/{Name} has not passed readiness gate {conditionType} since {ReadinessGateDecider.FormatTime(Since.UtcDateTime)}: "
        + (Target is null ? "" : $"target {TargetKey.Of(Target)} is {Status}") + (Reason is null ? "" : (Target is null ? "" : ", ") + Reason)
        + (string.IsNullOrEmpty(Message) ? "" : $" ({Message})");
}

/// <summary>What <see cref="ReadinessGateDecider.Decide"/> decided for one target group.</summary>
public sealed record GateDecision
{
    /// <summary>The condition type the decision is about.</summary>
    public required string ConditionType { get; init; }

    /// <summary>The condition writes needed (none for a Pod whose condition already says the same).</summary>
    public IReadOnlyList<PodConditionPatch> Patches { get; init; } = [];

    /// <summary>Every gated Pod not healthy yet, within the bound or past it.</summary>
    public IReadOnlyList<PendingGate> Pending { get; init; } = [];

    /// <summary>When to look again: the shortest delay of the Pods still within the bound; null when there is none.</summary>
    public TimeSpan? RequeueAfter { get; init; }

    /// <summary>True when some gated Pod is not healthy yet.</summary>
    public bool AnyPending => Pending.Count > 0;

    /// <summary>The Pods that waited longer than the bound (a Warning on the owner names each).</summary>
    public IEnumerable<PendingGate> OverBound => Pending.Where(static p => p.OverBound);
}

/// <summary>
/// Pod readiness gates (upstream's <c>updateTargetHealthPodCondition</c>): for each desired target whose Pod carries
/// the gate, the condition its target's health calls for, and whether to come back. Pure: the caller reads the Pods and
/// DescribeTargetHealth and writes the patches (<see cref="PodConditionWriter"/>).
/// </summary>
/// <remarks>
/// Conditions: registered by this reconcile ⇒ <c>False</c> <c>Elb.RegistrationInProgress</c> "Target registration is in
/// progress"; <c>healthy</c> ⇒ <c>True</c> (AWS's reason and description, normally none); any other state ⇒
/// <c>False</c> with AWS's reason and description; not described ⇒ <c>Unknown</c>. A Pod whose condition already has
/// that status, reason and message is not written; <c>lastTransitionTime</c> moves only when the status changes.
/// </remarks>
public static class ReadinessGateDecider
{
    /// <summary>AWS's reason for a target whose registration is in progress.</summary>
    public const string RegistrationInProgress = "Elb.RegistrationInProgress";

    /// <summary>AWS's description of it.</summary>
    public const string RegistrationInProgressMessage = "Target registration is in progress";

    /// <summary>The reason of a gated Pod that is not registered because its containers or its node are not ready.</summary>
    public const string NotRegistered = "the Pod is not registered yet: its containers or its node are not ready";

    /// <summary>Decides the conditions and the cadence for one target group.</summary>
    public static GateDecision Decide(GateInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var pods = input.Pods
            .Where(static p => p?.Metadata?.Name is not null)
            .GroupBy(static p => (p.Metadata.NamespaceProperty ?? string.Empty, p.Metadata.Name), static p => p)
            .ToDictionary(static g => g.Key, static g => g.First());
        var patches = new List<PodConditionPatch>();
        var pending = new List<PendingGate>();
        var targeted = new HashSet<(string, string)>();
        foreach (var target in input.Targets.OrderBy(static t => t.Namespace, StringComparer.Ordinal).ThenBy(static t => t.Name, StringComparer.Ordinal).ThenBy(static t => t.Target.Id, StringComparer.Ordinal).ThenBy(static t => t.Target.Port))
        {
            if (!pods.TryGetValue((target.Namespace, target.Name), out var pod) || !PodReadinessGates.HasGate(pod, input.ConditionType))
                continue;
            targeted.Add((target.Namespace, target.Name));
            var key = TargetKey.Of(target.Target);
            var (status, reason, message) = input.RegisteredNow.Contains(key)
                ? ("False", RegistrationInProgress, RegistrationInProgressMessage)
                : input.Health.TryGetValue(key, out var health)
                    ? (health.State == "healthy" ? "True" : "False", health.Reason, health.Description)
                    : ("Unknown", null, null);
            var existing = PodReadinessGates.Condition(pod, input.ConditionType);
            var transition = existing is null || existing.Status != status || existing.LastTransitionTime is null
                ? input.Now.UtcDateTime
                : existing.LastTransitionTime.Value;
            if (existing is null || existing.Status != status || !SameText(existing.Reason, reason) || !SameText(existing.Message, message))
            {
                patches.Add(new PodConditionPatch(target.Namespace, target.Name, pod.Metadata.Uid, new V1PodCondition
                {
                    Type = input.ConditionType,
                    Status = status,
                    Reason = reason,
                    Message = message,
                    LastTransitionTime = Truncate(transition),
                }));
            }
            if (status != "True")
                pending.Add(Pending(input, target.Namespace, target.Name, target.Target, status, reason, message, new DateTimeOffset(DateTime.SpecifyKind(transition, DateTimeKind.Utc))));
        }

        // Gated Pods not registered yet: their containers or node are not ready. Nothing but a requeue brings the
        // reconcile back when they become ready (the endpoint stays not ready until the gate passes).
        foreach (var ((ns, name), pod) in pods.OrderBy(static p => p.Key))
        {
            if (targeted.Contains((ns, name)) || pod.Metadata.DeletionTimestamp is not null || !PodReadinessGates.HasGate(pod, input.ConditionType)
                || PodReadinessGates.Condition(pod, input.ConditionType)?.Status == "True")
            {
                continue;
            }
            var created = pod.Metadata.CreationTimestamp is { } c ? new DateTimeOffset(DateTime.SpecifyKind(c, DateTimeKind.Utc)) : input.Now;
            pending.Add(Pending(input, ns, name, null, null, NotRegistered, null, created));
        }

        var within = pending.Where(static p => !p.OverBound).ToList();
        return new GateDecision
        {
            ConditionType = input.ConditionType,
            Patches = patches,
            Pending = pending,
            RequeueAfter = within.Count == 0 ? null : within.Min(p => input.Cadence.DelayFor(input.Now - p.Since)),
        };
    }

    /// <summary>A Kubernetes timestamp (RFC 3339, seconds, UTC).</summary>
    public static string FormatTime(DateTime at) => DateTime.SpecifyKind(at, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static PendingGate Pending(GateInput input, string ns, string name, TargetSpec? target, string? status, string? reason, string? message, DateTimeOffset since) =>
        new(ns, name, target, status, reason, message, since, input.Now - since >= input.Cadence.Bound);

    // The API server stores times to the second.
    private static DateTime Truncate(DateTime at) => new(at.Ticks - (at.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);

    private static bool SameText(string? a, string? b) => string.Equals(a ?? string.Empty, b ?? string.Empty, StringComparison.Ordinal);
}
