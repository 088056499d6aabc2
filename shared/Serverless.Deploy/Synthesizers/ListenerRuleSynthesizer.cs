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
/// Order: priority moves (SetRulePriorities), modifications, creations; deletions last (create before delete), except
/// past <see cref="DeployOptions.RulesPerListener"/>, where a rule that goes makes room before a creation. A forward to a
/// target group that does not serve yet is staged (<see cref="ForwardStaging"/>).
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
            if (listener.Protocol is not ("HTTP" or "HTTPS"))
                continue; // an NLB listener has no rules: left alone
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

        // Past the quota (rules on the listener + creations > RulesPerListener, or AWS answers TooManyRules), a rule
        // that goes is deleted before a creation, as upstream's createAndDeleteRules does; the one deleted first is one
        // whose requests no rule still to be created takes over (those are served after the change by what exists).
        var count = actualRules.Count;
        var quota = Ctx.Options.RulesPerListener;
        var doomed = _delete.Where(x => x.Listener == listenerArn).ToList();
        var pending = sequence.Where(static i => i.Desired is not null && i.Actual is null).ToHashSet();
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
            {
                while (true)
                {
                    if (Ctx.IsApply && count >= quota && doomed.Count > 0)
                    {
                        var (entry, safe) = PickDoomed(doomed, sequence, pending, item);
                        doomed.Remove(entry);
                        _delete.Remove(entry);
                        if (safe)
                        {
                            await DeleteEarlyAsync(port, entry, ct).ConfigureAwait(false);
                            count--;
                            continue;
                        }
                        // Every doomed rule's requests go to a rule still to be created: turn one of them into this
                        // rule in place (moved to its priority, then modified: one atomic switch, as a priority match).
                        await Ctx.CallAsync("SetRulePriorities", ResourceTypes.ListenerRule, item.Desired!.Id, entry.Rule.Arn, () => Ctx.Elb.SetRulePrioritiesAsync(new SetRulePrioritiesRequest
                        {
                            RulePriorities = [new RulePriorityPair { RuleArn = entry.Rule.Arn, Priority = item.Target }],
                        }, ct)).ConfigureAwait(false);
                        item.Actual = entry.Rule;
                        pending.Remove(item);
                        await UpdateAsync(item, ct).ConfigureAwait(false);
                        break;
                    }
                    try
                    {
                        await CreateAsync(listenerArn, item, ct).ConfigureAwait(false);
                        count++;
                        pending.Remove(item);
                        break;
                    }
                    catch (ElasticLoadBalancingV2Exception ex) when (ex.IsTooManyRules && doomed.Count > 0)
                    {
                        // The listener's real quota (logged as a failed call): from now on, one out per one in.
                        quota = count;
                    }
                }
            }
            else
                await UpdateAsync(item, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The doomed rule to give up first. Safe (delete it): one whose requests (a request its conditions describe) are,
    /// after the change, matched first by a rule that exists already — or by none — rather than by a rule still to be
    /// created. Otherwise (not safe: turn it into <paramref name="creating"/> in place) the one whose requests
    /// <paramref name="creating"/> takes over, else the first.
    /// </summary>
    private static ((string Listener, Tagged<Rule> Rule, string Id) Entry, bool Safe) PickDoomed(List<(string Listener, Tagged<Rule> Rule, string Id)> doomed, List<Item> sequence, HashSet<Item> pending, Item creating)
    {
        (string Listener, Tagged<Rule> Rule, string Id)? takenByThis = null;
        foreach (var candidate in doomed)
        {
            if (ForwardStaging.Sample(candidate.Rule.Resource.Conditions ?? []) is not { } request)
                continue;
            var taker = sequence.FirstOrDefault(i => ForwardStaging.Matches(i.Desired?.Conditions ?? i.Frozen?.Resource.Conditions ?? [], request));
            if (taker is null || !pending.Contains(taker))
                return (candidate, true);
            if (taker == creating)
                takenByThis ??= candidate;
        }
        return (takenByThis ?? doomed[0], false);
    }

    private async Task DeleteEarlyAsync(int port, (string Listener, Tagged<Rule> Rule, string Id) entry, CancellationToken ct)
    {
        try
        {
            await Ctx.CallAsync("DeleteRule", ResourceTypes.ListenerRule, entry.Id, entry.Rule.Arn, () => Ctx.Elb.DeleteRuleAsync(new DeleteRuleRequest { RuleArn = entry.Rule.Arn }, ct)).ConfigureAwait(false);
        }
        catch (ElasticLoadBalancingV2Exception ex) when (ex.IsRuleNotFound)
        {
            // already gone
        }
        Ctx.Record(new ResourceChange(ChangeAction.Delete, ResourceTypes.ListenerRule, entry.Id, entry.Rule.Arn, [], $"deleted before a creation: listener {port} is at its rule quota"));
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
    /// rule must go, in one SetRulePriorities per listener: AWS checks the new order as a whole ("you can reorder the
    /// rules as long as there are no priority conflicts in the new order", API reference). Should AWS answer
    /// PriorityInUse all the same (moto checks each pair against the current order; a concurrent writer), nothing was
    /// changed, and the moving rules are parked on free high priorities first, then placed: two more calls.
    /// </summary>
    private async Task MovePrioritiesAsync(int port, List<Tagged<Rule>> actualRules, List<Item> sequence, CancellationToken ct)
    {
        var moves = sequence.Where(static i => i.Actual is not null && Priority(i.Actual.Resource) != i.Target)
            .Select(static i => (Rule: i.Actual!, i.Target)).ToList();
        var targets = sequence.Select(static i => i.Target).ToHashSet();
        var deleting = _delete.Where(d => actualRules.Contains(d.Rule)).Select(static d => d.Rule).ToList();
        var park = deleting.Where(r => targets.Contains(Priority(r.Resource))).ToList();
        if (moves.Count == 0 && park.Count == 0 || !Ctx.IsApply)
            return;
        var used = new HashSet<int>(actualRules.Select(static r => Priority(r.Resource)).Concat(targets));
        var high = ParkingTop;
        int NextFree()
        {
            while (used.Contains(high))
                high--;
            used.Add(high);
            return high;
        }
        var parked = park.Select(r => new RulePriorityPair { RuleArn = r.Arn, Priority = NextFree() }).ToList();
        try
        {
            await SetPrioritiesAsync([.. moves.Select(static m => new RulePriorityPair { RuleArn = m.Rule.Arn, Priority = m.Target }), .. parked]).ConfigureAwait(false);
        }
        catch (ElasticLoadBalancingV2Exception ex) when (ex.IsPriorityInUse)
        {
            DeployLog.Fallback(Ctx.Logger, Ctx.StackId, port, ex.Message);
            await SetPrioritiesAsync([.. moves.Select(m => new RulePriorityPair { RuleArn = m.Rule.Arn, Priority = NextFree() }), .. parked]).ConfigureAwait(false);
            await SetPrioritiesAsync([.. moves.Select(static m => new RulePriorityPair { RuleArn = m.Rule.Arn, Priority = m.Target })]).ConfigureAwait(false);
        }

        Task SetPrioritiesAsync(List<RulePriorityPair> pairs) =>
            Ctx.CallAsync("SetRulePriorities", ResourceTypes.ListenerRule, ResourceIds.Listener(port) + ":*", null,
                () => Ctx.Elb.SetRulePrioritiesAsync(new SetRulePrioritiesRequest { RulePriorities = pairs }, ct));
    }

    private async Task CreateAsync(string listenerArn, Item item, CancellationToken ct)
    {
        var d = item.Desired!;
        var actions = await run.Staging.ActionsAsync(d.Id, d.Actions, run.Staging.ServingNow(d.Spec.Port, d.Conditions), ct).ConfigureAwait(false);
        var fields = new List<FieldChange>
        {
            new("priority", null, item.Target.ToString(CultureInfo.InvariantCulture)),
            new("conditions", null, ElbMapping.Canonical(d.Conditions)),
            new("actions", null, ElbMapping.Canonical(actions, Ctx.Show)),
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
                Actions = actions,
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
        var actions = d.Actions;
        if (!item.ByContent)
        {
            var conditionsBefore = ElbMapping.Canonical(rule.Conditions);
            var conditionsAfter = ElbMapping.Canonical(d.Conditions);
            if (conditionsBefore != conditionsAfter)
                fields.Add(new FieldChange("conditions", conditionsBefore, conditionsAfter));
            // The requests this rule matches are served now by its own actions when its conditions stay, else by
            // whatever matches them on the listener now.
            var serving = conditionsBefore == conditionsAfter ? rule.Actions : run.Staging.ServingNow(d.Spec.Port, d.Conditions);
            actions = await run.Staging.ActionsAsync(d.Id, d.Actions, serving, ct).ConfigureAwait(false);
            if (ElbMapping.Canonical(rule.Actions, static a => a) != ElbMapping.Canonical(actions, static a => a))
                fields.Add(new FieldChange("actions", ElbMapping.Canonical(rule.Actions, Ctx.Show), ElbMapping.Canonical(actions, Ctx.Show)));
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
                    Actions = actions,
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
