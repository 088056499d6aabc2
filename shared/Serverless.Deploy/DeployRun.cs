using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Model;

namespace Serverless.Deploy;

/// <summary>
/// One deploy of one stack: discovery, then the synthesizers in their fixed order, then their deletions in reverse.
/// Holds what the synthesizers decide for each other (which load balancer is kept, which target groups go).
/// </summary>
internal sealed partial class DeployRun(DeployContext ctx)
{
    public DeployContext Ctx { get; } = ctx;

    public ActualState Actual { get; } = new();

    /// <summary>Our load balancer that stays (matches the desired name, scheme and type); null when none exists yet.</summary>
    public Tagged<LoadBalancer>? CurrentLoadBalancer { get; set; }

    /// <summary>Our load balancers that go (the stack is empty, or the scheme or type changed).</summary>
    public List<Tagged<LoadBalancer>> ObsoleteLoadBalancers { get; } = [];

    /// <summary>Listeners of obsolete load balancers (deleted before their target groups).</summary>
    public List<Tagged<Listener>> ObsoleteListeners { get; } = [];

    /// <summary>Our target groups that go, once nothing references them.</summary>
    public List<Tagged<TargetGroup>> ObsoleteTargetGroups { get; } = [];

    /// <summary>True once an obsolete load balancer was deleted in the synthesize phase (replacement).</summary>
    public HashSet<string> DeletedLoadBalancers { get; } = new(StringComparer.Ordinal);

    /// <summary>Target groups created by this run (no targets to describe).</summary>
    public HashSet<string> CreatedTargetGroups { get; } = new(StringComparer.Ordinal);

    public string? Hash { get; set; }

    /// <summary>Staged forwards: traffic moves to a target group once it has a healthy target.</summary>
    public ForwardStaging Staging => _staging ??= new ForwardStaging(this);

    private ForwardStaging? _staging;

    /// <summary>True when this run created (or, in plan mode, would create) the load balancer.</summary>
    public bool CreatedLoadBalancer { get; set; }

    /// <summary>
    /// Finds what exists. Returns true when the checkpoint matched (event-driven no-op: nothing else was read) or only
    /// target sets differed and <see cref="TargetFastPath"/> applied them (<see cref="TargetsOnly"/>).
    /// </summary>
    public async Task<bool> DiscoverAsync(string hash, CancellationToken ct)
    {
        Hash = hash;
        var elb = Ctx.Elb;
        var desiredLb = Ctx.Desired.LoadBalancer;

        // 1. The load balancer by its deterministic name (or as the caller or this deployer already knows it); its tags
        // say whether it is ours and what it last applied.
        if (desiredLb is not null)
        {
            if (await TryRememberedAsync(desiredLb, ct).ConfigureAwait(false))
                return true;
            await AddByNameAsync([desiredLb.Name], ct).ConfigureAwait(false);
            var ours = Actual.LoadBalancers.FirstOrDefault(lb => IsOurs(lb.Tags) && lb.Resource.LoadBalancerName == desiredLb.Name);
            if (ours is not null && await CheckpointAsync(ours, ct).ConfigureAwait(false))
                return true;
        }
        var otherNames = Ctx.Desired.KnownLoadBalancerNames.Where(n => n != desiredLb?.Name).Distinct(StringComparer.Ordinal).ToList();
        await AddByNameAsync(otherNames, ct).ConfigureAwait(false);

        foreach (var lb in Actual.LoadBalancers)
        {
            if (!IsOurs(lb.Tags))
                continue;
            var compatible = desiredLb is not null && lb.Resource.LoadBalancerName == desiredLb.Name
                && lb.Resource.Scheme == desiredLb.Scheme && (lb.Resource.Type ?? "application") == desiredLb.Type;
            if (compatible && CurrentLoadBalancer is null)
                CurrentLoadBalancer = lb;
            else
                ObsoleteLoadBalancers.Add(lb);
        }

        // 2. Listeners and rules by ARN; target groups by the load balancer, by pending marker and by desired name.
        var tgArns = new List<TargetGroup>();
        foreach (var lb in Ours())
        {
            Actual.LoadBalancerAttributes[lb.Arn] = await Discovery.LoadBalancerAttributesAsync(elb, lb.Arn, ct).ConfigureAwait(false);
            tgArns.AddRange(await elb.TargetGroupsOfLoadBalancerAsync(lb.Arn, ct).ConfigureAwait(false));
        }
        var listeners = new List<Listener>();
        var rules = new Dictionary<string, List<Rule>>(StringComparer.Ordinal);
        if (CurrentLoadBalancer is not null)
        {
            listeners.AddRange(await Discovery.ToListAsync(elb.DescribeListenersPaginatedAsync(new DescribeListenersRequest { LoadBalancerArn = CurrentLoadBalancer.Arn }, ct)).ConfigureAwait(false));
            foreach (var listener in listeners)
            {
                // An NLB listener has no rules (its default action is all it has): nothing to describe.
                rules[listener.ListenerArn!] = HasRules(listener)
                    ? await Discovery.ToListAsync(elb.DescribeRulesPaginatedAsync(new DescribeRulesRequest { ListenerArn = listener.ListenerArn }, ct)).ConfigureAwait(false)
                    : [];
            }
        }
        var obsoleteListeners = new List<Listener>();
        foreach (var lb in ObsoleteLoadBalancers)
            obsoleteListeners.AddRange(await Discovery.ToListAsync(elb.DescribeListenersPaginatedAsync(new DescribeListenersRequest { LoadBalancerArn = lb.Arn }, ct)).ConfigureAwait(false));

        // What the listeners and rules forward to but the load balancer's list lacks: moto forgets a group's load
        // balancer when a listener forwarding to it is deleted while another still does (AWS derives the list from the
        // actions, so there this finds nothing more and costs no call).
        var listed = new HashSet<string>(tgArns.Select(static tg => tg.TargetGroupArn!), StringComparer.Ordinal);
        var forwarded = listeners.Concat(obsoleteListeners).SelectMany(static l => l.DefaultActions ?? [])
            .Concat(rules.Values.SelectMany(static r => r).SelectMany(static r => r.Actions ?? []))
            .SelectMany(static a => a.ForwardConfig?.TargetGroups is { Count: > 0 } weighted ? weighted.Select(static t => t.TargetGroupArn) : [a.TargetGroupArn])
            .OfType<string>().Where(listed.Add).ToList();
        if (forwarded.Count > 0)
        {
            try
            {
                tgArns.AddRange((await elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { TargetGroupArns = forwarded }, ct).ConfigureAwait(false)).TargetGroups ?? []);
            }
            catch (ElasticLoadBalancingV2Exception ex) when (ex.IsTargetGroupNotFound)
            {
                // A group deleted meanwhile (or a literal ARN that names none): the name lookup below still runs.
            }
        }

        var pendingNames = Ours().SelectMany(static lb => PendingNames(lb.Tags)).ToList();
        var knownNames = new HashSet<string>(tgArns.Select(static tg => tg.TargetGroupName ?? string.Empty), StringComparer.Ordinal);
        var lookup = Ctx.Desired.TargetGroups.Select(static tg => tg.Name).Concat(pendingNames)
            .Where(n => !knownNames.Contains(n)).Distinct(StringComparer.Ordinal).ToList();
        tgArns.AddRange(await elb.TargetGroupsByNameAsync(lookup, ct).ConfigureAwait(false));
        var uniqueTgs = tgArns.GroupBy(static tg => tg.TargetGroupArn!, StringComparer.Ordinal).Select(static g => g.First()).ToList();

        // 3. Tags of everything found, 20 ARNs per call.
        var allRules = rules.Values.SelectMany(static r => r).Where(static r => r.IsDefault != true).ToList();
        var tags = await Discovery.TagsAsync(
            elb,
            listeners.Select(static l => l.ListenerArn!)
                .Concat(obsoleteListeners.Select(static l => l.ListenerArn!))
                .Concat(allRules.Select(static r => r.RuleArn!))
                .Concat(uniqueTgs.Select(static tg => tg.TargetGroupArn!)),
            ct).ConfigureAwait(false);
        foreach (var tg in uniqueTgs)
            Actual.TargetGroups.Add(new Tagged<TargetGroup>(tg, tg.TargetGroupArn!, tags[tg.TargetGroupArn!]));
        foreach (var listener in listeners)
        {
            var actual = new ActualListener(new Tagged<Listener>(listener, listener.ListenerArn!, tags[listener.ListenerArn!]));
            foreach (var rule in rules[listener.ListenerArn!].Where(static r => r.IsDefault != true))
                actual.Rules.Add(new Tagged<Rule>(rule, rule.RuleArn!, tags[rule.RuleArn!]));
            Actual.Listeners.Add(actual);
        }
        foreach (var listener in obsoleteListeners)
        {
            var tagged = new Tagged<Listener>(listener, listener.ListenerArn!, tags[listener.ListenerArn!]);
            if (IsOurs(tagged.Tags))
                ObsoleteListeners.Add(tagged);
        }

        // 4. Listener details of the kept load balancer's listeners that are ours.
        foreach (var listener in Actual.Listeners.Where(l => IsOurs(l.Listener.Tags)))
        {
            listener.Attributes = await Discovery.ListenerAttributesAsync(elb, listener.Listener.Arn, ct).ConfigureAwait(false);
            if (listener.Listener.Resource.Protocol is "HTTPS" or "TLS")
                listener.Certificates = await Discovery.ToListAsync(elb.DescribeListenerCertificatesPaginatedAsync(new DescribeListenerCertificatesRequest { ListenerArn = listener.Listener.Arn }, ct)).ConfigureAwait(false);
        }

        // 5. Security groups: the stack's (by tags, server-side filter), the shared backend SG, the node SGs.
        var ec2 = Ctx.Ec2;
        if (await KnownSecurityGroups.TryAddAsync(this, ct).ConfigureAwait(false))
            return false;
        Actual.StackSecurityGroups.AddRange(await ec2.FindSecurityGroupsAsync(
            [Ec2Filter.VpcId(Ctx.Options.VpcId), Ec2Filter.Tag(TrackingTags.Cluster, Ctx.Cluster), Ec2Filter.Tag(TrackingTags.StackKey(Ctx.Desired.Id), Ctx.StackId)], ct).ConfigureAwait(false));
        if (Ctx.Desired.BackendSecurityGroup is not null)
        {
            var backend = await ec2.FindSecurityGroupsAsync(
                [Ec2Filter.VpcId(Ctx.Options.VpcId), Ec2Filter.Tag(TrackingTags.Cluster, Ctx.Cluster), Ec2Filter.Tag(TrackingTags.BackendResource, ResourceIds.BackendSecurityGroup)], ct).ConfigureAwait(false);
            Actual.BackendSecurityGroup = backend.OrderBy(static g => g.GroupId, StringComparer.Ordinal).FirstOrDefault();
        }
        var nodeSgIds = Ctx.Desired.NodeSecurityGroupRules.Select(static n => n.SecurityGroupId).Distinct(StringComparer.Ordinal).ToList();
        if (nodeSgIds.Count > 0)
            Actual.NodeSecurityGroups.AddRange(await ec2.DescribeSecurityGroupsAsync(nodeSgIds, ct).ConfigureAwait(false));
        return false;
    }

    /// <summary>The load balancer that carries the pending-deletion marker: the kept one, else one that goes last.</summary>
    public Tagged<LoadBalancer>? MarkerHolder => CurrentLoadBalancer ?? ObsoleteLoadBalancers.FirstOrDefault();

    /// <summary>The marker tags the holder must carry while <see cref="ObsoleteTargetGroups"/> are not yet deleted.</summary>
    public Dictionary<string, string> WantedMarker => PendingMarker(ObsoleteTargetGroups.Select(static tg => tg.Resource.TargetGroupName!));

    /// <summary>Before any mutation: name the target groups this run will detach and delete on the holder.</summary>
    public async Task WritePendingMarkerAsync(CancellationToken ct)
    {
        var holder = MarkerHolder;
        if (holder is null || ObsoleteTargetGroups.Count == 0 || !Ctx.IsApply)
            return;
        var wanted = WantedMarker;
        if (wanted.All(kv => holder.Tags.GetValueOrDefault(kv.Key) == kv.Value))
            return;
        await Ctx.CallAsync("AddTags", ResourceTypes.LoadBalancer, ResourceIds.LoadBalancer, holder.Arn, () => Ctx.Elb.AddTagsAsync(new AddTagsRequest { ResourceArns = [holder.Arn], Tags = ElbMapping.Tags(wanted) }, ct)).ConfigureAwait(false);
        foreach (var (key, value) in wanted)
            holder.Tags[key] = value;
    }

    /// <summary>After the target groups are gone: drop the marker.</summary>
    public async Task ClearPendingMarkerAsync(CancellationToken ct)
    {
        var holder = MarkerHolder;
        if (holder is null || DeletedLoadBalancers.Contains(holder.Arn))
            return;
        var keys = holder.Tags.Keys.Where(static k => k.StartsWith(DeployTags.PendingDeletion, StringComparison.Ordinal)).ToList();
        if (keys.Count == 0)
            return;
        await Ctx.CallAsync("RemoveTags", ResourceTypes.LoadBalancer, ResourceIds.LoadBalancer, holder.Arn, () => Ctx.Elb.RemoveTagsAsync(new RemoveTagsRequest { ResourceArns = [holder.Arn], TagKeys = keys }, ct)).ConfigureAwait(false);
        foreach (var key in keys)
            holder.Tags.Remove(key);
    }

    /// <summary>True for a listener that can have rules: HTTP and HTTPS (ALB) listeners.</summary>
    public static bool HasRules(Listener listener) => listener.Protocol is "HTTP" or "HTTPS";

    public IEnumerable<Tagged<LoadBalancer>> Ours() =>
        CurrentLoadBalancer is null ? ObsoleteLoadBalancers : ObsoleteLoadBalancers.Prepend(CurrentLoadBalancer);

    public bool IsOurs(IReadOnlyDictionary<string, string> tags) => DeployTags.IsOurs(tags, Ctx.Cluster, Ctx.Desired.Id);

    private async Task AddLoadBalancersAsync(List<LoadBalancer> found, CancellationToken ct)
    {
        found = [.. found.Where(lb => Actual.LoadBalancers.All(known => known.Arn != lb.LoadBalancerArn))];
        if (found.Count == 0)
            return;
        var tags = await Discovery.TagsAsync(Ctx.Elb, found.Select(static lb => lb.LoadBalancerArn!).Where(arn => !JustReadTags.ContainsKey(arn)), ct).ConfigureAwait(false);
        foreach (var (arn, known) in JustReadTags)
            tags[arn] = new Dictionary<string, string>(known, StringComparer.Ordinal);
        foreach (var lb in found)
            Actual.LoadBalancers.Add(new Tagged<LoadBalancer>(lb, lb.LoadBalancerArn!, tags[lb.LoadBalancerArn!]));
    }

    /// <summary>The target group names a pending-deletion marker lists.</summary>
    public static IEnumerable<string> PendingNames(IReadOnlyDictionary<string, string> tags) =>
        tags.Where(static t => t.Key.StartsWith(DeployTags.PendingDeletion, StringComparison.Ordinal))
            .SelectMany(static t => t.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The marker tags for <paramref name="names"/>: one key per 256 characters of names.</summary>
    public static Dictionary<string, string> PendingMarker(IEnumerable<string> names)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var current = new List<string>();
        var index = 1;
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            if (current.Sum(static n => n.Length + 1) + name.Length > 256)
            {
                result[Key(index++)] = string.Join(' ', current);
                current.Clear();
            }
            current.Add(name);
        }
        if (current.Count > 0)
            result[Key(index)] = string.Join(' ', current);
        return result;

        static string Key(int i) => i == 1 ? DeployTags.PendingDeletion : DeployTags.PendingDeletion + "-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
