using System.Globalization;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Model;

namespace Serverless.Deploy.Synthesizers;

/// <summary>
/// Listener rules. Our rules are matched to desired ones by content first (a rule that only moved keeps its ARN and
/// just changes priority), then by priority (modified in place: a target group switch is one atomic ModifyRule, never a
/// moment without a rule). Rules without our tags are left alone and reported, and our priorities skip the ones they
/// hold; rules of frozen owners keep their content and are only moved to stay after <see cref="FrozenRuleBlock.AfterPriority"/>.
/// Order: priority moves (SetRulePriorities), modifications, creations; deletions last (create before delete).
/// </summary>
internal sealed class ListenerRuleSynthesizer(DeployRun run, ListenerSynthesizer listeners) : ISynthesizer
{
    /// <summary>Where rules that must vacate a priority wait until they are deleted (upstream parks at the top too).</summary>
    public const int ParkingTop = 50000;

    private readonly List<(string Listener, Tagged<Rule> Rule, string Id)> _delete = [];

    private DeployContext Ctx => run.Ctx;

    private sealed record DesiredRule(ListenerRuleSpec Spec, List<RuleCondition> Conditions, List<Aws.ElasticLoadBalancingV2.Model.Action> Actions, List<RuleTransform> Transforms, string Key)
    {
        public string Id => ResourceIds.ListenerRule(Spec.Port, Spec.Priority);
    }

    private sealed class Item
    {
        public DesiredRule? Desired { get; init; }

        public Tagged<Rule>? Frozen { get; init; }

        public int Target { get; set; }

        public Tagged<Rule>? Actual { get; set; }

        public bool ByContent { get; set; }
    }

    public static int Priority(Rule rule) =>
        int.TryParse(rule.Priority, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : 0;

    private static string Key(IReadOnlyList<RuleCondition>? conditions, IReadOnlyList<Aws.ElasticLoadBalancingV2.Model.Action>? actions, IReadOnlyList<RuleTransform>? transforms) =>
        ElbMapping.Canonical(conditions) + " | " + ElbMapping.Canonical(actions, static a => a) + " | " + ElbMapping.Canonical(transforms);

    public async Task SynthesizeAsync(CancellationToken ct)
    {
        if (Ctx.Desired.LoadBalancer is null)
            return;
        foreach (var listener in Ctx.Desired.Listeners)
        {
            if (!Ctx.ListenerArns.TryGetValue(listener.Port, out var listenerArn))
                continue; // blocked listener
            var actual = run.Actual.Listeners.FirstOrDefault(l => l.Port == listener.Port && run.IsOurs(l.Listener.Tags));
            await SyncAsync(listener.Port, listenerArn, actual?.Rules ?? [], ct).ConfigureAwait(false);
        }
    }

    private async Task SyncAsync(int port, string listenerArn, List<Tagged<Rule>> actualRules, CancellationToken ct)
    {
        var foreign = actualRules.Where(r => !run.IsOurs(r.Tags)).ToList();
        foreach (var rule in foreign)
            Ctx.Record(new ResourceChange(ChangeAction.SkippedForeign, ResourceTypes.ListenerRule, ResourceIds.ListenerRule(port, Priority(rule.Resource)), rule.Arn, [], "rule without this stack's tags: left alone, its priority skipped"));
        var ours = actualRules.Where(r => run.IsOurs(r.Tags)).ToList();
        var frozen = ours.Where(r => r.Owner is { } o && Ctx.FrozenOwners.Contains(o)).OrderBy(static r => Priority(r.Resource)).ToList();
        var candidates = ours.Except(frozen).ToList();

        // The order we want: desired rules by priority, each frozen owner's rules after its anchor.
        var desired = Ctx.Desired.Rules.Where(r => r.Port == port).OrderBy(static r => r.Priority).Select(Resolve).ToList();
        var blocks = Ctx.Desired.FrozenRules.Where(b => b.Port == port).ToList();
        var placed = new HashSet<Tagged<Rule>>();
        var sequence = new List<Item>();
        void AddFrozen(int after)
        {
            foreach (var block in blocks.Where(b => b.AfterPriority == after))
            {
                foreach (var rule in frozen.Where(r => r.Owner == block.Owner && placed.Add(r)))
                    sequence.Add(new Item { Frozen = rule, Actual = rule });
            }
        }
        AddFrozen(0);
        foreach (var d in desired)
        {
            sequence.Add(new Item { Desired = d });
            AddFrozen(d.Spec.Priority);
        }
        foreach (var rule in frozen.Where(placed.Add))
            sequence.Add(new Item { Frozen = rule, Actual = rule });

        var foreignPriorities = foreign.Select(static r => Priority(r.Resource)).ToHashSet();
        var next = 1;
        foreach (var item in sequence)
        {
            while (foreignPriorities.Contains(next))
                next++;
            item.Target = next++;
        }

        // Match: content first, then priority.
        var pool = candidates.ToList();
        foreach (var item in sequence.Where(static i => i.Desired is not null))
        {
            var hit = pool.FirstOrDefault(r => Key(r.Resource.Conditions, r.Resource.Actions, r.Resource.Transforms) == item.Desired!.Key);
            if (hit is null)
                continue;
            item.Actual = hit;
            item.ByContent = true;
            pool.Remove(hit);
        }
        foreach (var item in sequence.Where(static i => i.Desired is not null && i.Actual is null))
        {
            var hit = pool.FirstOrDefault(r => Priority(r.Resource) == item.Target);
            if (hit is null)
                continue;
            item.Actual = hit;
            pool.Remove(hit);
        }
        foreach (var rule in pool)
            _delete.Add((listenerArn, rule, rule.ResourceId ?? ResourceIds.ListenerRule(port, Priority(rule.Resource))));

        await MovePrioritiesAsync(port, actualRules, sequence, ct).ConfigureAwait(false);

        foreach (var item in sequence)
        {
            if (item.Frozen is { } f)
            {
                var moved = Priority(f.Resource) != item.Target;
                Ctx.Record(new ResourceChange(ChangeAction.Frozen, ResourceTypes.ListenerRule, f.ResourceId ?? ResourceIds.ListenerRule(port, Priority(f.Resource)), f.Arn,
                    moved ? [new FieldChange("priority", Priority(f.Resource).ToString(CultureInfo.InvariantCulture), item.Target.ToString(CultureInfo.InvariantCulture))] : [],
                    $"owner {f.Owner} is frozen: content kept"));
                continue;
            }
            if (item.Actual is null)
                await CreateAsync(listenerArn, item, ct).ConfigureAwait(false);
            else
                await UpdateAsync(item, ct).ConfigureAwait(false);
        }
    }

    private DesiredRule Resolve(ListenerRuleSpec spec)
    {
        var conditions = ElbMapping.Conditions(spec.Conditions);
        var actions = ElbMapping.Actions(spec.Actions, Ctx.Resolve);
        var transforms = ElbMapping.Transforms(spec.Transforms);
        return new DesiredRule(spec, conditions, actions, transforms, Key(conditions, actions, transforms));
    }

    /// <summary>
    /// Moves matched and frozen rules to their target priorities, and parks rules about to be deleted that sit where a
    /// rule must go. AWS applies one SetRulePriorities atomically; when a target is still held by a rule that moves
    /// itself (moto validates each pair against the current state) the moving rules are parked first: two calls.
    /// </summary>
    private async Task MovePrioritiesAsync(int port, List<Tagged<Rule>> actualRules, List<Item> sequence, CancellationToken ct)
    {
        var moves = sequence.Where(static i => i.Actual is not null && Priority(i.Actual.Resource) != i.Target)
            .Select(static i => (Rule: i.Actual!, i.Target)).ToList();
        var targets = sequence.Select(static i => i.Target).ToHashSet();
        var occupied = actualRules.GroupBy(static r => Priority(r.Resource)).ToDictionary(static g => g.Key, static g => g.First().Arn);
        var deleting = _delete.Where(d => actualRules.Contains(d.Rule)).Select(static d => d.Rule).ToList();
        var park = deleting.Where(r => targets.Contains(Priority(r.Resource))).ToList();
        if (moves.Count == 0 && park.Count == 0)
            return;
        var conflict = moves.Any(m => occupied.TryGetValue(m.Target, out var holder) && holder != m.Rule.Arn);
        var used = new HashSet<int>(occupied.Keys.Concat(targets));
        var high = ParkingTop;
        int NextFree()
        {
            while (used.Contains(high))
                high--;
            used.Add(high);
            return high;
        }
        var calls = new List<List<RulePriorityPair>>();
        if (!conflict)
        {
            calls.Add([.. moves.Select(static m => new RulePriorityPair { RuleArn = m.Rule.Arn, Priority = m.Target }),
                .. park.Select(r => new RulePriorityPair { RuleArn = r.Arn, Priority = NextFree() })]);
        }
        else
        {
            calls.Add([.. moves.Select(m => new RulePriorityPair { RuleArn = m.Rule.Arn, Priority = NextFree() }),
                .. park.Select(r => new RulePriorityPair { RuleArn = r.Arn, Priority = NextFree() })]);
            calls.Add([.. moves.Select(static m => new RulePriorityPair { RuleArn = m.Rule.Arn, Priority = m.Target })]);
        }
        if (!Ctx.IsApply)
            return;
        foreach (var pairs in calls)
        {
            await Ctx.CallAsync("SetRulePriorities", ResourceTypes.ListenerRule, ResourceIds.Listener(port) + ":*", null,
                () => Ctx.Elb.SetRulePrioritiesAsync(new SetRulePrioritiesRequest { RulePriorities = pairs }, ct)).ConfigureAwait(false);
        }
    }

    private async Task CreateAsync(string listenerArn, Item item, CancellationToken ct)
    {
        var d = item.Desired!;
        var fields = new List<FieldChange>
        {
            new("priority", null, item.Target.ToString(CultureInfo.InvariantCulture)),
            new("conditions", null, ElbMapping.Canonical(d.Conditions)),
            new("actions", null, ElbMapping.Canonical(d.Actions, Ctx.Show)),
        };
        if (d.Transforms.Count > 0)
            fields.Add(new FieldChange("transforms", null, ElbMapping.Canonical(d.Transforms)));
        if (Ctx.IsApply)
        {
            var request = new CreateRuleRequest
            {
                ListenerArn = listenerArn,
                Priority = item.Target,
                Conditions = d.Conditions,
                Actions = d.Actions,
                Transforms = d.Transforms.Count == 0 ? null : d.Transforms,
                Tags = ElbMapping.Tags(d.Spec.Tags),
            };
            await Ctx.CallAsync("CreateRule", ResourceTypes.ListenerRule, d.Id, null, () => Ctx.Elb.CreateRuleAsync(request, ct)).ConfigureAwait(false);
        }
        Ctx.Record(new ResourceChange(ChangeAction.Create, ResourceTypes.ListenerRule, d.Id, null, fields));
    }

    private async Task UpdateAsync(Item item, CancellationToken ct)
    {
        var d = item.Desired!;
        var actual = item.Actual!;
        var rule = actual.Resource;
        var fields = new List<FieldChange>();
        if (Priority(rule) != item.Target)
            fields.Add(new FieldChange("priority", rule.Priority, item.Target.ToString(CultureInfo.InvariantCulture)));
        var modify = false;
        if (!item.ByContent)
        {
            var conditionsBefore = ElbMapping.Canonical(rule.Conditions);
            var conditionsAfter = ElbMapping.Canonical(d.Conditions);
            if (conditionsBefore != conditionsAfter)
                fields.Add(new FieldChange("conditions", conditionsBefore, conditionsAfter));
            if (ElbMapping.Canonical(rule.Actions, static a => a) != ElbMapping.Canonical(d.Actions, static a => a))
                fields.Add(new FieldChange("actions", ElbMapping.Canonical(rule.Actions, Ctx.Show), ElbMapping.Canonical(d.Actions, Ctx.Show)));
            var transformsBefore = ElbMapping.Canonical(rule.Transforms);
            var transformsAfter = ElbMapping.Canonical(d.Transforms);
            if (transformsBefore != transformsAfter)
                fields.Add(new FieldChange("transforms", transformsBefore, transformsAfter));
            modify = fields.Any(static f => f.Field != "priority");
        }
        var (addTags, removeTags, tagChanges) = DeployTags.Diff(d.Spec.Tags, actual.Tags);
        fields.AddRange(tagChanges);
        if (fields.Count == 0)
            return;
        if (Ctx.IsApply)
        {
            if (modify)
            {
                var request = new ModifyRuleRequest
                {
                    RuleArn = actual.Arn,
                    Conditions = d.Conditions,
                    Actions = d.Actions,
                    Transforms = d.Transforms.Count == 0 ? null : d.Transforms,
                    ResetTransforms = d.Transforms.Count == 0 && rule.Transforms is { Count: > 0 } ? true : null,
                };
                await Ctx.CallAsync("ModifyRule", ResourceTypes.ListenerRule, d.Id, actual.Arn, () => Ctx.Elb.ModifyRuleAsync(request, ct)).ConfigureAwait(false);
            }
            await TargetGroupSynthesizer.TagsAsync(Ctx, ResourceTypes.ListenerRule, d.Id, actual.Arn, addTags, removeTags, ct).ConfigureAwait(false);
        }
        Ctx.Record(new ResourceChange(ChangeAction.Modify, ResourceTypes.ListenerRule, d.Id, actual.Arn, fields));
    }

    public async Task PostSynthesizeAsync(CancellationToken ct)
    {
        var goneWithListener = listeners.Obsolete;
        foreach (var (listener, rule, id) in _delete)
        {
            if (goneWithListener.Contains(listener))
                continue;
            if (Ctx.IsApply)
            {
                try
                {
                    await Ctx.CallAsync("DeleteRule", ResourceTypes.ListenerRule, id, rule.Arn, () => Ctx.Elb.DeleteRuleAsync(new DeleteRuleRequest { RuleArn = rule.Arn }, ct)).ConfigureAwait(false);
                }
                catch (ElasticLoadBalancingV2Exception ex) when (ex.IsRuleNotFound)
                {
                    // already gone
                }
            }
            Ctx.Record(new ResourceChange(ChangeAction.Delete, ResourceTypes.ListenerRule, id, rule.Arn, []));
        }
    }
}
