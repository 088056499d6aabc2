using System.Globalization;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Serverless.Deploy;
using Serverless.Ingress.Backend;
using Serverless.Kubernetes.Gates;
using Serverless.Model;

namespace Serverless.Reconcile;

/// <summary>What the readiness gates of a stack did after its deploy.</summary>
/// <param name="Result">Done, or a requeue while a gated Pod is not healthy (within the bound) or a write conflicted.</param>
/// <param name="Written">Pods whose gate condition was written, as <c>namespace/name</c>.</param>
/// <param name="OverBound">Pods past the bound, each with the owner (<c>namespace/name</c>) of its target group and one line naming Pod, target and AWS reason.</param>
/// <param name="TargetGroupsRead">Target groups whose health was described (one DescribeTargetHealth each).</param>
public sealed record StackGateRun(ReconcileResult Result, IReadOnlyList<string> Written, IReadOnlyList<(string Owner, string Message)> OverBound, int TargetGroupsRead)
{
    /// <summary>Nothing gated: no call was made.</summary>
    public static StackGateRun None { get; } = new(ReconcileResult.Done, [], [], 0);
}

/// <summary>
/// The readiness gates of an Ingress group's or a Service's ip target groups, after a successful apply: for each target
/// group whose desired endpoints include a Pod carrying <c>target-health.elbv2.k8s.aws/&lt;target group name&gt;</c>, one
/// DescribeTargetHealth, the decision (<see cref="ReadinessGateDecider"/>) and its condition writes. Only Pods of
/// not-ready endpoints are ever loaded, so a stack whose endpoints are all ready makes no call here.
/// </summary>
public static class StackReadinessGates
{
    /// <summary>Runs the gates of <paramref name="stack"/> as deployed by <paramref name="deploy"/>.</summary>
    /// <param name="stack">The deployed stack.</param>
    /// <param name="deploy">The deploy's result (target group ARNs, targets registered by it).</param>
    /// <param name="slices">The EndpointSlices the stack's targets came from (they name the Pod behind each address).</param>
    /// <param name="pods">The Pods of not-ready endpoints (the snapshot's).</param>
    /// <param name="health">DescribeTargetHealth.</param>
    /// <param name="writer">Writes the conditions.</param>
    /// <param name="now">The reconcile's clock.</param>
    /// <param name="cadence">Delays and bound.</param>
    /// <param name="logger">The log.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static async Task<StackGateRun> RunAsync(
        Stack stack,
        DeployResult deploy,
        IReadOnlyList<V1EndpointSlice> slices,
        IReadOnlyList<V1Pod> pods,
        ITargetHealthReader health,
        IPodConditionWriter writer,
        DateTimeOffset now,
        GateCadence cadence,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(deploy);
        ArgumentNullException.ThrowIfNull(slices);
        ArgumentNullException.ThrowIfNull(pods);
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(writer);
        if (pods.Count == 0)
            return StackGateRun.None;
        var podsByAddress = PodsByAddress(slices);
        var registered = RegisteredNow(deploy);
        var result = ReconcileResult.Done;
        var written = new List<string>();
        var overBound = new List<(string, string)>();
        var read = 0;
        foreach (var tg in stack.TargetGroups.Where(static t => t.TargetType == "ip").OrderBy(static t => t.Name, StringComparer.Ordinal))
        {
            var conditionType = PodReadinessGates.ConditionType(tg.Name);
            if (!pods.Any(p => p is not null && PodReadinessGates.HasGate(p, conditionType)))
                continue;
            var targets = stack.TargetSets.FirstOrDefault(s => s.TargetGroupId == tg.Id)?.Targets ?? [];
            var podTargets = targets
                .SelectMany(t => podsByAddress.TryGetValue(t.Id, out var refs) ? refs.Select(r => new PodTarget(r.Namespace, r.Name, t)) : [])
                .ToList();
            read++;
            var described = await health.DescribeTargetHealthAsync(tg.Name, deploy.TargetGroupArns.GetValueOrDefault(tg.Id), cancellationToken).ConfigureAwait(false);
            if (described is null)
            {
                // Deployed a moment ago and not found: AWS is not consistent yet.
                result = ReconcileResult.Worse(result, ReconcileResult.RequeueAfter($"target group {tg.Name} is not visible yet for its readiness gates", cadence.FirstDelay));
                continue;
            }
            var decision = ReadinessGateDecider.Decide(new GateInput
            {
                ConditionType = conditionType,
                TargetGroup = tg.Name,
                Targets = podTargets,
                Pods = pods,
                Health = Observed(described),
                RegisteredNow = registered.GetValueOrDefault(tg.Id) ?? new HashSet<TargetKey>(),
                Now = now,
                Cadence = cadence,
            });
            var writes = await PodConditionWriter.WriteAllAsync(writer, decision, cancellationToken).ConfigureAwait(false);
            written.AddRange(writes.Written);
            foreach (var pending in decision.Pending)
                GateLog.Pending(logger, stack.Id.ToString(), pending.Describe(conditionType), pending.OverBound);
            foreach (var pending in decision.OverBound)
                overBound.Add((tg.Owner, pending.Describe(conditionType) + string.Create(CultureInfo.InvariantCulture, $"; the reconcile stopped coming back for it after {cadence.Bound.TotalMinutes:0.#} minutes (the scheduled replay still checks)")));
            if (writes.Conflicts.Count > 0)
            {
                result = ReconcileResult.Worse(result, ReconcileResult.RequeueAfter(
                    $"readiness gate {conditionType}: Pod {string.Join(", ", writes.Conflicts)} changed while its condition was written", cadence.FirstDelay));
            }
            if (decision.RequeueAfter is { } delay)
            {
                var waiting = decision.Pending.Where(static p => !p.OverBound).Select(static p => $"{p.Namespace}/{p.Name}").ToList();
                result = ReconcileResult.Worse(result, ReconcileResult.RequeueAfter(
                    $"readiness gate {conditionType}: waiting for {string.Join(", ", waiting)} to be healthy in target group {tg.Name}", delay));
            }
        }
        return new StackGateRun(result, written, overBound, read);
    }

    /// <summary>The Pods behind each endpoint address of <paramref name="slices"/> (<c>targetRef</c> of kind Pod).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<(string Namespace, string Name)>> PodsByAddress(IEnumerable<V1EndpointSlice> slices)
    {
        ArgumentNullException.ThrowIfNull(slices);
        var map = new Dictionary<string, SortedSet<(string, string)>>(StringComparer.Ordinal);
        foreach (var slice in slices)
        {
            foreach (var endpoint in slice?.Endpoints ?? [])
            {
                if (endpoint?.TargetRef is not { Kind: "Pod", Name: { Length: > 0 } name } targetRef)
                    continue;
                var ns = string.IsNullOrEmpty(targetRef.NamespaceProperty) ? slice!.Metadata?.NamespaceProperty ?? string.Empty : targetRef.NamespaceProperty;
                foreach (var address in endpoint.Addresses ?? [])
                {
                    if (!map.TryGetValue(address, out var refs))
                        map[address] = refs = [];
                    refs.Add((ns, name));
                }
            }
        }
        return map.ToDictionary(static kv => kv.Key, static kv => (IReadOnlyList<(string, string)>)[.. kv.Value], StringComparer.Ordinal);
    }

    /// <summary>DescribeTargetHealth as the decision reads it.</summary>
    public static IReadOnlyDictionary<TargetKey, ObservedTargetHealth> Observed(IEnumerable<Aws.ElasticLoadBalancingV2.Model.TargetHealthDescription> descriptions)
    {
        ArgumentNullException.ThrowIfNull(descriptions);
        var observed = new Dictionary<TargetKey, ObservedTargetHealth>();
        foreach (var description in descriptions)
        {
            if (description.Target?.Id is not { } id || description.Target.Port is not { } port)
                continue;
            observed[new TargetKey(id, port)] = new ObservedTargetHealth(
                description.TargetHealth?.State ?? "unknown", description.TargetHealth?.Reason, description.TargetHealth?.Description);
        }
        return observed;
    }

    /// <summary>The targets the deploy registered, by target group resource ID (its <c>target id:port</c> changes).</summary>
    public static IReadOnlyDictionary<string, IReadOnlySet<TargetKey>> RegisteredNow(DeployResult deploy)
    {
        ArgumentNullException.ThrowIfNull(deploy);
        var registered = new Dictionary<string, IReadOnlySet<TargetKey>>(StringComparer.Ordinal);
        if (deploy.Mode != DeployMode.Apply)
            return registered;
        foreach (var change in deploy.Changes.Where(static c => c.ResourceType == ResourceTypes.TargetSet))
        {
            var set = new HashSet<TargetKey>();
            foreach (var field in change.Fields.Where(static f => f.Before is null && f.After is not null && f.Field.StartsWith("target ", StringComparison.Ordinal)))
            {
                if (TargetKey.Parse(field.Field["target ".Length..]) is { } key)
                    set.Add(key);
            }
            registered[change.ResourceId] = set;
        }
        return registered;
    }
}

/// <summary>Structured logs of the readiness gates (source-generated, AOT-safe).</summary>
internal static partial class GateLog
{
    [LoggerMessage(EventId = 121, EventName = "ReadinessGatePending", Level = LogLevel.Information, Message = "reconcile {Stack}: {Pending} (past the bound: {OverBound})")]
    public static partial void Pending(ILogger logger, string stack, string pending, bool overBound);
}
