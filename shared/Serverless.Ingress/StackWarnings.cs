using Serverless.Ingress.Backend;
using Serverless.Model;

namespace Serverless.Ingress;

/// <summary>A valid stack that will not do what its author probably expects, for one member Ingress.</summary>
/// <param name="Ingress">The member it concerns (<c>namespace/name</c>).</param>
/// <param name="Message">What happens, naming the objects involved.</param>
public sealed record StackWarning(string Ingress, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"Ingress {Ingress}: {Message}";
}

/// <summary>
/// Warnings about a built stack that are not errors (AWS accepts it, upstream builds it the same way) but that a person
/// needs to see: a rule no request can reach, a target group without targets, nodes left out of instance targets.
/// Pure: the same snapshot and stack give the same warnings, in a stable order.
/// </summary>
public static class StackWarnings
{
    /// <summary>The warnings for <paramref name="stack"/>, built from <paramref name="snapshot"/>.</summary>
    public static IReadOnlyList<StackWarning> Of(GroupSnapshot snapshot, Stack stack)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(stack);
        var warnings = new List<StackWarning>();
        ShadowedRules(stack, warnings);
        EmptyIpTargetGroups(stack, warnings);
        SkippedNodes(snapshot, stack, warnings);
        return warnings;
    }

    // A rule whose conditions are exactly those of a rule before it on the same listener never matches a request.
    private static void ShadowedRules(Stack stack, List<StackWarning> warnings)
    {
        foreach (var listener in stack.Rules.GroupBy(static r => r.Port).OrderBy(static g => g.Key))
        {
            var first = new Dictionary<string, ListenerRuleSpec>(StringComparer.Ordinal);
            foreach (var rule in listener.OrderBy(static r => r.Priority))
            {
                var key = ConditionKey(rule.Conditions);
                if (!first.TryGetValue(key, out var earlier))
                {
                    first[key] = rule;
                    continue;
                }
                var by = earlier.Owner == rule.Owner ? "its own earlier rule" : $"a rule of Ingress {earlier.Owner}";
                warnings.Add(new StackWarning(rule.Owner,
                    $"the rule at priority {rule.Priority} on port {rule.Port} ({Describe(rule.Conditions)}) is shadowed by {by} with the same conditions at priority {earlier.Priority}: no request reaches it (use alb.ingress.kubernetes.io/group.order or change the host or path)"));
            }
        }
    }

    // An ip target group with no ready endpoint answers 503 to every request routed to it.
    private static void EmptyIpTargetGroups(Stack stack, List<StackWarning> warnings)
    {
        var targets = stack.TargetSets.ToDictionary(static s => s.TargetGroupId, static s => s.Targets.Count, StringComparer.Ordinal);
        foreach (var group in stack.TargetGroups.Where(static g => g.TargetType == "ip").OrderBy(static g => g.Id, StringComparer.Ordinal))
        {
            if (targets.GetValueOrDefault(group.Id) > 0)
                continue;
            warnings.Add(new StackWarning(group.Owner,
                $"target group {group.Name} (Service {group.Backend}, target type ip) has no ready endpoint: requests routed to it get 503 until a pod of the Service is ready"));
        }
    }

    // Nodes that carry no instance target, and why (excluded by a label or taint, no EC2 providerID, not Ready).
    private static void SkippedNodes(GroupSnapshot snapshot, Stack stack, List<StackWarning> warnings)
    {
        var owners = stack.TargetGroups.Where(static g => g.TargetType == "instance").Select(static g => g.Owner)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (owners.Count == 0)
            return;
        var nodes = snapshot.Nodes.Where(static n => n?.Metadata?.Name is not null).OrderBy(static n => n.Metadata.Name, StringComparer.Ordinal).ToList();
        var anyReady = nodes.Any(n => TargetBuilder.IneligibleReason(n) is null && TargetBuilder.InstanceId(n) is not null && TargetBuilder.ReadyStatus(n) == "True");
        foreach (var node in nodes)
        {
            var reason = TargetBuilder.IneligibleReason(node);
            if (reason is null && TargetBuilder.InstanceId(node) is null)
                reason = $"its spec.providerID \"{node.Spec?.ProviderID}\" names no EC2 instance (aws:///<zone>/i-…)";
            if (reason is null && anyReady && TargetBuilder.ReadyStatus(node) != "True")
                reason = $"it is not Ready (condition Ready is {TargetBuilder.ReadyStatus(node) ?? "missing"})";
            if (reason is null)
                continue;
            foreach (var owner in owners)
                warnings.Add(new StackWarning(owner, $"Node {node.Metadata.Name} is not an instance target: {reason}"));
        }
    }

    private static string ConditionKey(IReadOnlyList<ConditionSpec> conditions) =>
        string.Join("\n", conditions.Select(static c => string.Join("\u0001",
            c.Field,
            c.HttpHeaderName ?? string.Empty,
            string.Join("\u0002", (c.Values ?? []).Order(StringComparer.Ordinal)),
            string.Join("\u0002", (c.RegexValues ?? []).Order(StringComparer.Ordinal)),
            string.Join("\u0002", (c.QueryStrings ?? []).Select(static q => q.Key + "=" + q.Value).Order(StringComparer.Ordinal))))
            .Order(StringComparer.Ordinal));

    private static string Describe(IReadOnlyList<ConditionSpec> conditions) =>
        conditions.Count == 0
            ? "no conditions"
            : string.Join(", ", conditions.Select(static c => $"{c.Field} {string.Join("|", (IEnumerable<string>?)c.Values ?? c.RegexValues ?? c.QueryStrings?.Select(static q => q.Key + "=" + q.Value) ?? [])}"));
}
