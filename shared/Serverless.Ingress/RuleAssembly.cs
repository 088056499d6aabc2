using System.Globalization;
using Serverless.Model;

namespace Serverless.Ingress;

/// <summary>One rule of a listener with its priority and the member that owns it (null if the owner is unknown).</summary>
internal sealed record AssembledRule(int Port, int Priority, RuleDraft Draft, MemberConfig? Owner);

/// <summary>
/// Listener rules: per listener, the members' rules concatenated in group order, optimized, numbered 1, 2, 3…
/// (upstream's <c>buildListenerRules</c>); the AWS limits on rules and target groups; where frozen members' rules stay.
/// </summary>
internal static class RuleAssembly
{
    public static SortedDictionary<int, List<AssembledRule>> Assemble(MergedSettings settings, BuilderSeams seams)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(seams);
        var byKey = settings.Members.ToDictionary(static m => m.Member.Key, StringComparer.Ordinal);
        var result = new SortedDictionary<int, List<AssembledRule>>();
        foreach (var port in settings.Ports.Values)
        {
            var rules = new List<AssembledRule>();
            result[port.Port] = rules;
            // With ssl-redirect, HTTP listeners only redirect: no rules at all (as upstream).
            if (ListenerBuilder.Redirects(settings, port))
                continue;
            var drafts = port.Members
                .SelectMany(m => m.Rules.RulesByPort.TryGetValue(port.Port, out var own) ? own : [])
                .ToList();
            if (drafts.Count == 0)
                continue;
            var optimized = seams.Optimize(drafts, port.ToListenerPort());
            for (var i = 0; i < optimized.Count; i++)
                rules.Add(new AssembledRule(port.Port, i + 1, optimized[i], byKey.GetValueOrDefault(optimized[i].Owner)));
        }
        return result;
    }

    /// <summary>
    /// The ALB quotas, checked before deploying: rules per listener and unique target groups per load balancer. The
    /// member whose rules (target groups) cross the limit is frozen, and so is every later member adding rules to that
    /// listener (new target groups): the frozen members' existing rules still take their places on AWS.
    /// </summary>
    public static Dictionary<MemberConfig, List<BuildError>> CheckLimits(
        MergedSettings settings,
        SortedDictionary<int, List<AssembledRule>> rules,
        ClusterSettings cluster)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(cluster);
        var errors = new Dictionary<MemberConfig, List<BuildError>>();
        foreach (var (port, listenerRules) in rules)
        {
            var total = 0;
            var crossed = false;
            foreach (var member in settings.Members)
            {
                var own = listenerRules.Count(r => r.Owner == member);
                if (own == 0)
                    continue;
                total += own;
                if (!crossed && total <= cluster.MaxRulesPerListener)
                    continue;
                crossed = true;
                Add(errors, member, new BuildError(member.Member.Description, "spec.rules", null, string.Create(CultureInfo.InvariantCulture,
                    $"listener {port} would have {total} rules with this Ingress's {own}, over the limit of {cluster.MaxRulesPerListener} rules per listener; this Ingress is left out")));
            }
        }

        var targetGroups = new HashSet<string>(StringComparer.Ordinal);
        var overLimit = false;
        foreach (var member in settings.Members)
        {
            var added = member.Rules.TargetGroups.Select(static t => t.Id).Distinct().Where(id => !targetGroups.Contains(id)).ToList();
            if (added.Count == 0)
                continue;
            if (!overLimit && targetGroups.Count + added.Count <= cluster.MaxTargetGroupsPerLoadBalancer)
            {
                targetGroups.UnionWith(added);
                continue;
            }
            overLimit = true;
            Add(errors, member, new BuildError(member.Member.Description, "spec.rules", null, string.Create(CultureInfo.InvariantCulture,
                $"the load balancer would have {targetGroups.Count + added.Count} target groups with this Ingress's {added.Count} new ones, over the limit of {cluster.MaxTargetGroupsPerLoadBalancer} target groups per load balancer; this Ingress is left out")));
        }
        return errors;
    }

    /// <summary>The rule specs: tags from the owning Ingress (its tags, the tracking tags, the owner tag).</summary>
    public static List<ListenerRuleSpec> ToSpecs(BuildContext context, SortedDictionary<int, List<AssembledRule>> rules)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(rules);
        return [.. rules.Values.SelectMany(static r => r).Select(rule => new ListenerRuleSpec
        {
            Port = rule.Port,
            Priority = rule.Priority,
            Conditions = rule.Draft.Conditions,
            Actions = rule.Draft.Actions,
            Transforms = rule.Draft.Transforms,
            Owner = rule.Draft.Owner,
            Tags = context.Tags(ResourceIds.ListenerRule(rule.Port, rule.Priority), rule.Owner?.TagMap, rule.Draft.Owner),
        })];
    }

    /// <summary>
    /// Where each frozen member's existing rules stay: on each of its ports (from its annotations when they parse,
    /// else every listener of the stack), after the last rule of the members before it in group order. A block on a
    /// port that has no listener in the stack means the listener exists only for frozen members: keep it as it is.
    /// </summary>
    public static List<FrozenRuleBlock> FrozenBlocks(
        IEnumerable<(Candidate Member, IReadOnlyList<int>? Ports)> frozen,
        SortedDictionary<int, List<AssembledRule>> rules)
    {
        ArgumentNullException.ThrowIfNull(frozen);
        ArgumentNullException.ThrowIfNull(rules);
        var blocks = new List<(FrozenRuleBlock Block, int Index)>();
        foreach (var (member, ports) in frozen)
        {
            foreach (var port in (ports ?? [.. rules.Keys]).Distinct())
            {
                var after = rules.TryGetValue(port, out var listenerRules)
                    ? listenerRules.Where(r => r.Owner is not null && r.Owner.Index < member.Index).Select(static r => r.Priority).DefaultIfEmpty(0).Max()
                    : 0;
                blocks.Add((new FrozenRuleBlock { Port = port, Owner = member.Member.Key, AfterPriority = after }, member.Index));
            }
        }
        return [.. blocks
            .OrderBy(static b => b.Block.Port)
            .ThenBy(static b => b.Block.AfterPriority)
            .ThenBy(static b => b.Index)
            .Select(static b => b.Block)];
    }

    private static void Add(Dictionary<MemberConfig, List<BuildError>> errors, MemberConfig member, BuildError error)
    {
        if (!errors.TryGetValue(member, out var list))
            errors[member] = list = [];
        list.Add(error);
    }
}
