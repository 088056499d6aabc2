using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Model;
using Action = Serverless.Aws.ElasticLoadBalancingV2.Model.Action;

namespace Serverless.Deploy;

/// <summary>
/// Moves traffic to a target group only once it can serve it. When a rule's or a listener's forward would send requests
/// that are served now to a target group that does not serve yet (new, a replacement, or existing but unused), the
/// forward is first <em>staged</em>: the target groups serving those requests now keep their weights and the new one
/// is added at weight 0 — on AWS a target group is health-checked only once a listener or rule names it — and the
/// deploy returns <see cref="ReconcileResult.RequeueAfter"/> (<see cref="DeployOptions.HealthPollDelay"/>). A later run
/// switches the forward when one of the new group's targets is <c>healthy</c>, or when
/// <see cref="DeployOptions.HealthWaitTimeout"/> has passed since the staging began (the <see cref="DeployTags.StagedSince"/>
/// tag on the target group: the deployer keeps no state of its own), with a warning.
/// </summary>
/// <remarks>
/// A target group is ready when a forward already sends it traffic (weight &gt; 0), when the stack wants no targets in
/// it (nothing to wait for), or when <c>DescribeTargetHealth</c> reports a healthy target. The groups a staged forward
/// still uses are kept (<see cref="Kept"/>): an obsolete one is deleted by the run that switches away from it. What
/// serves a new or re-conditioned rule's requests now is found by matching a request its first host and path values
/// describe against the listener's current rules (host-header and path-pattern wildcards; a rule with any other
/// condition is skipped); a rule with other conditions of its own is not staged. A plan assumes new groups ready.
/// </remarks>
internal sealed class ForwardStaging(DeployRun run)
{
    /// <summary>Target groups per forward action on AWS.</summary>
    public const int MaxTargetGroupsPerForward = 5;

    private readonly Dictionary<string, bool> _ready = new(StringComparer.Ordinal);
    private readonly HashSet<string> _staged = new(StringComparer.Ordinal);
    private HashSet<string>? _forwardedNow;

    private DeployContext Ctx => run.Ctx;

    /// <summary>Target groups that staged forwards still send traffic to: not deleted by this run.</summary>
    public HashSet<string> Kept { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// NLB only: target groups (by ARN) waiting for a healthy target behind a staging listener, with the desired listener
    /// that will forward to them (<see cref="Synthesizers.ListenerSynthesizer"/> keeps or creates the staging listeners).
    /// </summary>
    public Dictionary<string, ListenerSpec> StagingListeners { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The actions to apply now for <paramref name="desired"/>, given the actions that serve the same requests now
    /// (<paramref name="serving"/>, null when nothing does): <paramref name="desired"/> itself, or a staged forward.
    /// </summary>
    public async Task<List<Action>> ActionsAsync(string what, List<Action> desired, IReadOnlyList<Action>? serving, CancellationToken ct, ListenerSpec? listener = null)
    {
        var forward = Last(desired);
        var current = serving is null ? null : Last(serving);
        if (forward?.Type != "forward" || current?.Type != "forward")
            return desired;
        var now = Tuples(current).Where(static t => t.Weight > 0).ToList();
        if (now.Count == 0)
            return desired;
        var nowArns = now.Select(static t => t.Arn).ToHashSet(StringComparer.Ordinal);
        var wanted = Tuples(forward);
        var pending = new List<string>();
        foreach (var (arn, _) in wanted.Where(t => t.Weight > 0 && !nowArns.Contains(t.Arn)))
        {
            if (!await ReadyAsync(arn, ct).ConfigureAwait(false))
                pending.Add(arn);
        }
        if (pending.Count == 0)
            return desired;
        if (Ctx.Desired.LoadBalancer?.Type == "network")
        {
            // An NLB forward names one target group: no weight-0 step. The listener keeps forwarding where it does now
            // and a staging listener (StagingListeners) attaches the new group, so that AWS health-checks it.
            if (listener is null || pending.Count != 1 || !CanStage(pending[0], listener))
            {
                Ctx.Note($"{what}: cannot attach {string.Join(", ", pending.Select(Name))} by a staging listener (no certificate for a TLS group, or no room for a listener): switched without waiting for health");
                return desired;
            }
            _staged.UnionWith(pending);
            Kept.UnionWith(nowArns);
            StagingListeners[pending[0]] = listener;
            Ctx.Note($"{what}: staged: traffic stays on {string.Join(", ", nowArns.Select(Name))}; {Name(pending[0])} is attached by a staging listener until a target is healthy");
            Ctx.Defer(ReconcileResult.RequeueAfter($"waiting for a healthy target in target group {Name(pending[0])} before forwarding to it", Ctx.Options.HealthPollDelay));
            return [.. serving!];
        }
        _staged.UnionWith(pending);
        var tuples = now.Concat(wanted.Where(t => !nowArns.Contains(t.Arn)).Select(static t => (t.Arn, Weight: 0))).ToList();
        if (tuples.Count > MaxTargetGroupsPerForward)
        {
            Ctx.Note($"{what}: cannot stage the forward ({tuples.Count} target groups, AWS allows {MaxTargetGroupsPerForward}): switched without waiting for health");
            return desired;
        }
        Kept.UnionWith(nowArns);
        var staged = new Action
        {
            Type = "forward",
            Order = forward.Order,
            ForwardConfig = new ForwardActionConfig
            {
                TargetGroups = [.. tuples.Select(static t => new TargetGroupTuple { TargetGroupArn = t.Arn, Weight = t.Weight })],
                TargetGroupStickinessConfig = current.ForwardConfig?.TargetGroupStickinessConfig is { Enabled: true } sticky ? sticky : null,
            },
        };
        var names = string.Join(", ", pending.Select(Name));
        Ctx.Note($"{what}: staged: traffic stays on {string.Join(", ", nowArns.Select(Name))}, {names} added at weight 0 until a target is healthy");
        Ctx.Defer(ReconcileResult.RequeueAfter($"waiting for a healthy target in target group {names} before forwarding to it", Ctx.Options.HealthPollDelay));
        return [.. desired.Where(a => !ReferenceEquals(a, forward)), staged];
    }

    /// <summary>
    /// The actions that serve the requests <paramref name="conditions"/> describe on the listener of <paramref name="port"/>
    /// now: the first matching current rule's, else the listener's default actions. Null when the listener is new or the
    /// conditions are not only host-header and path-pattern.
    /// </summary>
    public IReadOnlyList<Action>? ServingNow(int port, IReadOnlyList<RuleCondition> conditions)
    {
        var listener = run.Actual.Listeners.FirstOrDefault(l => l.Port == port);
        if (listener is null || Sample(conditions) is not { } request)
            return null;
        foreach (var rule in listener.Rules.OrderBy(static r => Synthesizers.ListenerRuleSynthesizer.Priority(r.Resource)))
        {
            if (Matches(rule.Resource.Conditions ?? [], request))
                return rule.Resource.Actions;
        }
        return listener.Listener.Resource.DefaultActions;
    }

    /// <summary>
    /// A request the conditions describe (their first host-header and path-pattern values, wildcards filled in); null
    /// when they use anything else (other fields, regex values only).
    /// </summary>
    public static (string? Host, string Path)? Sample(IReadOnlyList<RuleCondition> conditions)
    {
        if (conditions.Any(static c => c.Field is not ("host-header" or "path-pattern") || Values(c, regex: false).Count == 0))
            return null;
        var host = conditions.Where(static c => c.Field == "host-header").SelectMany(static c => Values(c, regex: false)).Select(Fill).FirstOrDefault();
        var path = conditions.Where(static c => c.Field == "path-pattern").SelectMany(static c => Values(c, regex: false)).Select(Fill).FirstOrDefault() ?? "/";
        return (host, path);
    }

    /// <summary>
    /// True when a rule with <paramref name="conditions"/> matches <paramref name="request"/>; a rule using anything but
    /// host-header and path-pattern values never does (it cannot be told).
    /// </summary>
    public static bool Matches(IReadOnlyList<RuleCondition> conditions, (string? Host, string Path) request)
    {
        if (conditions.Any(static c => c.Field is not ("host-header" or "path-pattern") || Values(c, regex: true).Count > 0))
            return false;
        return conditions.All(c => c.Field == "host-header"
            ? request.Host is not null && Values(c, regex: false).Any(v => Regex.IsMatch(request.Host, Wildcard(v), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant))
            : Values(c, regex: false).Any(v => Regex.IsMatch(request.Path, Wildcard(v), RegexOptions.CultureInvariant)));
    }

    /// <summary>
    /// Drops the staging tag of every group this run did not stage (it switched, or a run that switched stopped before
    /// dropping it); groups about to be deleted keep theirs.
    /// </summary>
    public async Task FinishAsync(CancellationToken ct)
    {
        if (!Ctx.IsApply)
            return;
        var stale = run.Actual.TargetGroups.Where(tg => run.IsOurs(tg.Tags) && tg.Tags.ContainsKey(DeployTags.StagedSince)
            && !_staged.Contains(tg.Arn) && !run.ObsoleteTargetGroups.Contains(tg)).ToList();
        foreach (var tg in stale)
        {
            var name = tg.Resource.TargetGroupName ?? tg.Arn;
            await Ctx.CallAsync("RemoveTags", ResourceTypes.TargetGroup, name, tg.Arn, () => Ctx.Elb.RemoveTagsAsync(new RemoveTagsRequest { ResourceArns = [tg.Arn], TagKeys = [DeployTags.StagedSince] }, ct)).ConfigureAwait(false);
            tg.Tags.Remove(DeployTags.StagedSince);
        }
    }

    /// <summary>
    /// NLB: a staging listener can attach the group (its protocol is known; a TLS group needs the listener's certificate),
    /// and the load balancer has room for one more listener (50 per NLB).
    /// </summary>
    private bool CanStage(string arn, ListenerSpec listener)
    {
        var id = Ctx.TargetGroupArns.FirstOrDefault(kv => kv.Value == arn).Key;
        var group = id is null ? null : Ctx.Desired.TargetGroups.FirstOrDefault(t => t.Id == id);
        if (group is null || (group.Protocol == "TLS" && listener.Certificates.Count == 0))
            return false;
        return run.Actual.Listeners.Count + StagingListeners.Count < MaxListenersPerNetworkLoadBalancer;
    }

    /// <summary>Listeners per Network Load Balancer on AWS.</summary>
    public const int MaxListenersPerNetworkLoadBalancer = 50;

    private async Task<bool> ReadyAsync(string arn, CancellationToken ct)
    {
        if (_ready.TryGetValue(arn, out var known))
            return known;
        var ready = await ComputeReadyAsync(arn, ct).ConfigureAwait(false);
        _ready[arn] = ready;
        return ready;
    }

    /// <summary>
    /// Defers the deploy while a target group that a rule of an Ingress in <see cref="DeployOptions.AwaitServing"/>
    /// forwards to has no healthy target (bounded like a staged forward): the Ingress's address must not move to this
    /// load balancer before it serves that Ingress.
    /// </summary>
    public async Task AwaitServingAsync(CancellationToken ct)
    {
        if (!Ctx.IsApply || Ctx.Options.AwaitServing.Count == 0)
            return;
        var owners = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var rule in Ctx.Desired.Rules.Where(r => Ctx.Options.AwaitServing.Contains(r.Owner)))
        {
            foreach (var group in rule.Actions.Where(static a => a.Forward is not null).SelectMany(static a => a.Forward!.TargetGroups).Where(static t => (t.Weight ?? 1) > 0))
            {
                var arn = Ctx.Resolve(group.TargetGroupArn);
                if (_staged.Contains(arn) || !await HealthyAsync(arn, ct).ConfigureAwait(false))
                {
                    pending.Add(arn);
                    owners.Add(rule.Owner);
                }
            }
        }
        if (pending.Count == 0)
            return;
        _staged.UnionWith(pending);
        Ctx.Defer(ReconcileResult.RequeueAfter(
            $"waiting for a healthy target in target group {string.Join(", ", pending.Select(Name))} before the address of {string.Join(", ", owners)} moves to this load balancer",
            Ctx.Options.HealthPollDelay));
    }

    private async Task<bool> ComputeReadyAsync(string arn, CancellationToken ct)
    {
        if (DeployContext.IsPlaceholder(arn))
            return true;
        if (ForwardedNow().Contains(arn))
            return true;
        return await HealthyAsync(arn, ct).ConfigureAwait(false);
    }

    /// <summary>True when the group needs no targets, has a healthy one, or has waited past the timeout (with a warning); dates the wait on the group.</summary>
    private async Task<bool> HealthyAsync(string arn, CancellationToken ct)
    {
        if (DeployContext.IsPlaceholder(arn))
            return true;
        var id = Ctx.TargetGroupArns.FirstOrDefault(kv => kv.Value == arn).Key;
        var set = id is null ? null : Ctx.Desired.TargetSets.FirstOrDefault(s => s.TargetGroupId == id);
        if (set is null || set.Targets.Count == 0)
            return true;
        var health = await Ctx.Elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = arn }, ct).ConfigureAwait(false);
        if ((health.TargetHealthDescriptions ?? []).Any(static d => d.TargetHealth?.State == "healthy"))
            return true;

        var now = Ctx.Time.GetUtcNow();
        var tagged = run.Actual.TargetGroups.FirstOrDefault(tg => tg.Arn == arn);
        if (tagged?.Tags.GetValueOrDefault(DeployTags.StagedSince) is { } text
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var since))
        {
            var waited = now - since;
            if (waited < Ctx.Options.HealthWaitTimeout)
                return false;
            Ctx.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"target group {Name(arn)} had no healthy target {waited.TotalSeconds:0}s after traffic was staged to it (timeout {Ctx.Options.HealthWaitTimeout.TotalSeconds:0}s): traffic switched to it anyway"));
            return true;
        }
        if (Ctx.IsApply)
        {
            var stamp = now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            await Ctx.CallAsync("AddTags", ResourceTypes.TargetGroup, Name(arn), arn, () => Ctx.Elb.AddTagsAsync(new AddTagsRequest
            {
                ResourceArns = [arn],
                Tags = [new Tag { Key = DeployTags.StagedSince, Value = stamp }],
            }, ct)).ConfigureAwait(false);
            if (tagged is not null)
                tagged.Tags[DeployTags.StagedSince] = stamp;
        }
        return false;
    }

    /// <summary>Target groups a forward of the kept load balancer sends traffic to now (weight &gt; 0).</summary>
    private HashSet<string> ForwardedNow()
    {
        if (_forwardedNow is not null)
            return _forwardedNow;
        // A staging listener's group is attached, not serving: it is ready only once healthy.
        var actions = run.Actual.Listeners.Where(static l => !l.Listener.Tags.ContainsKey(DeployTags.StagingListener))
            .SelectMany(static l => (l.Listener.Resource.DefaultActions ?? []).Concat(l.Rules.SelectMany(static r => r.Resource.Actions ?? [])));
        return _forwardedNow = actions.Where(static a => a.Type == "forward").SelectMany(Tuples).Where(static t => t.Weight > 0).Select(static t => t.Arn).ToHashSet(StringComparer.Ordinal);
    }

    private string Name(string arn)
    {
        var id = Ctx.TargetGroupArns.FirstOrDefault(kv => kv.Value == arn).Key;
        var spec = id is null ? null : Ctx.Desired.TargetGroups.FirstOrDefault(t => t.Id == id);
        if (spec is not null)
            return spec.Name;
        var parts = arn.Split('/');
        return parts.Length >= 3 ? parts[^2] : arn;
    }

    private static Action? Last(IReadOnlyList<Action> actions) =>
        actions.Select(static (a, i) => (a, order: a.Order ?? i + 1)).OrderBy(static x => x.order).Select(static x => x.a).LastOrDefault();

    private static List<(string Arn, int Weight)> Tuples(Action forward) =>
        forward.ForwardConfig?.TargetGroups is { Count: > 0 } tuples
            ? [.. tuples.Select(t => (t.TargetGroupArn ?? string.Empty, tuples.Count == 1 ? Math.Max(t.Weight ?? 1, 1) : t.Weight ?? 1))]
            : [(forward.TargetGroupArn ?? string.Empty, 1)];

    private static List<string> Values(RuleCondition c, bool regex) => c.Field == "host-header"
        ? (regex ? c.HostHeaderConfig?.RegexValues ?? c.RegexValues : c.HostHeaderConfig?.Values ?? c.Values) ?? []
        : (regex ? c.PathPatternConfig?.RegexValues ?? c.RegexValues : c.PathPatternConfig?.Values ?? c.Values) ?? [];

    private static string Fill(string pattern) => pattern.Replace("*", "x", StringComparison.Ordinal).Replace('?', 'x');

    private static string Wildcard(string pattern)
    {
        var sb = new StringBuilder("^");
        foreach (var ch in pattern)
            sb.Append(ch == '*' ? ".*" : ch == '?' ? "." : Regex.Escape(ch.ToString()));
        return sb.Append('$').ToString();
    }
}
