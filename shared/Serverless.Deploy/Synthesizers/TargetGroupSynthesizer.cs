using System.Globalization;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Model;

namespace Serverless.Deploy.Synthesizers;

/// <summary>
/// Target groups, matched on the resource-ID tag. An immutable change (target type, protocol, protocol version, port)
/// creates the new group here, before the rules switch to it; the old group is deleted in <see cref="PostSynthesizeAsync"/>
/// once no rule references it. Groups of frozen owners and groups without our tags are never touched.
/// </summary>
internal sealed class TargetGroupSynthesizer(DeployRun run) : ISynthesizer
{
    private DeployContext Ctx => run.Ctx;

    public static bool Compatible(TargetGroupSpec desired, TargetGroup actual) =>
        actual.TargetType == desired.TargetType && actual.Protocol == desired.Protocol
        && (desired.ProtocolVersion is null || (actual.ProtocolVersion ?? "HTTP1") == desired.ProtocolVersion) && actual.Port == desired.Port;

    /// <summary>Decides matches and obsolete groups before any mutation (the pending-deletion marker needs the list).</summary>
    public List<(TargetGroupSpec Desired, Tagged<TargetGroup>? Actual, Tagged<TargetGroup>? Replaced)> Plan()
    {
        if (_plan is not null)
            return _plan;
        var ours = run.Actual.TargetGroups.Where(tg => run.IsOurs(tg.Tags)).ToList();
        var result = new List<(TargetGroupSpec, Tagged<TargetGroup>?, Tagged<TargetGroup>?)>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        var byId = ResourceMatcher.Match(Ctx.Desired.TargetGroups, ours.GroupBy(static tg => tg.ResourceId).Where(static g => g.Key is not null), static d => d.Id, static g => g.Key);
        foreach (var (desired, group) in byId.Matched)
        {
            var candidates = group.OrderByDescending(tg => tg.Resource.TargetGroupName == desired.Name).ThenBy(static tg => tg.Arn, StringComparer.Ordinal).ToList();
            var keep = candidates.FirstOrDefault(tg => Compatible(desired, tg.Resource));
            var replaced = keep is null ? candidates.FirstOrDefault() : null;
            if (keep is not null)
                used.Add(keep.Arn);
            result.Add((desired, keep, replaced));
        }
        result.AddRange(byId.OnlyDesired.Select(static d => (d, (Tagged<TargetGroup>?)null, (Tagged<TargetGroup>?)null)));
        foreach (var tg in ours.Where(tg => !used.Contains(tg.Arn)))
        {
            if (tg.Owner is { } owner && Ctx.FrozenOwners.Contains(owner))
                continue;
            run.ObsoleteTargetGroups.Add(tg);
        }
        return _plan = result;
    }

    private List<(TargetGroupSpec Desired, Tagged<TargetGroup>? Actual, Tagged<TargetGroup>? Replaced)>? _plan;

    public async Task SynthesizeAsync(CancellationToken ct)
    {
        _plan ??= Plan();
        foreach (var tg in run.Actual.TargetGroups)
        {
            if (!run.IsOurs(tg.Tags))
                continue;
            if (tg.Owner is { } owner && Ctx.FrozenOwners.Contains(owner) && !_plan.Any(p => p.Actual == tg))
                Ctx.Record(new ResourceChange(ChangeAction.Frozen, ResourceTypes.TargetGroup, tg.ResourceId ?? tg.Resource.TargetGroupName!, tg.Arn, [], $"owner {owner} is frozen"));
        }
        foreach (var obsolete in run.ObsoleteTargetGroups)
            Ctx.TargetGroupDisplay[obsolete.Arn] = (obsolete.ResourceId ?? obsolete.Resource.TargetGroupName!) + " (old)";
        foreach (var (desired, actual, replaced) in _plan)
        {
            if (actual is null)
                await CreateAsync(desired, replaced, ct).ConfigureAwait(false);
            else
                await UpdateAsync(desired, actual, ct).ConfigureAwait(false);
        }
    }

    private async Task CreateAsync(TargetGroupSpec desired, Tagged<TargetGroup>? replaced, CancellationToken ct)
    {
        var fields = new List<FieldChange>
        {
            new("name", replaced?.Resource.TargetGroupName, desired.Name),
            new("targetType", replaced?.Resource.TargetType, desired.TargetType),
            new("protocol", replaced?.Resource.Protocol, desired.Protocol),
            new("protocolVersion", replaced?.Resource.ProtocolVersion, desired.ProtocolVersion),
            new("port", replaced?.Resource.Port?.ToString(CultureInfo.InvariantCulture), desired.Port.ToString(CultureInfo.InvariantCulture)),
            new("healthCheck", replaced is null ? null : HealthCheck(replaced.Resource), HealthCheck(desired.HealthCheck)),
        };
        if (replaced is not null)
            fields.RemoveAll(static f => f.Before == f.After && f.Field != "name");
        else if (desired.ProtocolVersion is null)
            fields.RemoveAll(static f => f.Field == "protocolVersion"); // an NLB target group has none
        var attributes = desired.Attributes.Where(a => AttributeDefaults.ForTargetGroup(desired.Protocol).GetValueOrDefault(a.Key) != a.Value).ToList();
        fields.AddRange(attributes.Select(static a => new FieldChange("attribute " + a.Key, null, a.Value)));
        string arn;
        if (Ctx.IsApply)
        {
            var request = new CreateTargetGroupRequest
            {
                Name = desired.Name,
                Protocol = desired.Protocol,
                ProtocolVersion = desired.ProtocolVersion,
                Port = desired.Port,
                VpcId = Ctx.Options.VpcId,
                TargetType = desired.TargetType,
                IpAddressType = desired.IpAddressType == "ipv4" ? null : desired.IpAddressType,
                Tags = ElbMapping.Tags(desired.Tags),
            };
            ApplyHealthCheck(desired.HealthCheck, request);
            try
            {
                var response = await Ctx.CallAsync("CreateTargetGroup", ResourceTypes.TargetGroup, desired.Id, null, () => Ctx.Elb.CreateTargetGroupAsync(request, ct)).ConfigureAwait(false);
                arn = response.TargetGroups![0].TargetGroupArn!;
            }
            catch (ElasticLoadBalancingV2Exception ex) when (ex.IsDuplicateTargetGroupName)
            {
                // The name is taken by a group we did not find as ours: never adopt or touch it.
                Ctx.Record(new ResourceChange(ChangeAction.SkippedForeign, ResourceTypes.TargetGroup, desired.Id, null, [], $"name {desired.Name} is taken by a target group without this stack's tags"));
                throw;
            }
            run.CreatedTargetGroups.Add(desired.Id);
            if (attributes.Count > 0)
            {
                await Ctx.CallAsync("ModifyTargetGroupAttributes", ResourceTypes.TargetGroup, desired.Id, arn, () => Ctx.Elb.ModifyTargetGroupAttributesAsync(new ModifyTargetGroupAttributesRequest
                {
                    TargetGroupArn = arn,
                    Attributes = [.. attributes.Select(static a => new TargetGroupAttribute { Key = a.Key, Value = a.Value })],
                }, ct)).ConfigureAwait(false);
            }
        }
        else
        {
            arn = DeployContext.Placeholder(ResourceTypes.TargetGroup, desired.Id);
            run.CreatedTargetGroups.Add(desired.Id);
        }
        Ctx.TargetGroupArns[desired.Id] = arn;
        Ctx.TargetGroupDisplay[arn] = desired.Id + " (new)";
        Ctx.Record(new ResourceChange(replaced is null ? ChangeAction.Create : ChangeAction.Replace, ResourceTypes.TargetGroup, desired.Id, replaced?.Arn, fields,
            replaced is null ? null : "immutable field changed: new group created, rules switched, old group deleted"));
    }

    private async Task UpdateAsync(TargetGroupSpec desired, Tagged<TargetGroup> actual, CancellationToken ct)
    {
        Ctx.TargetGroupArns[desired.Id] = actual.Arn;
        Ctx.TargetGroupDisplay[actual.Arn] = desired.Id;
        var fields = new List<FieldChange>();
        var before = HealthCheck(actual.Resource);
        var after = HealthCheck(desired.HealthCheck);
        if (before != after)
            fields.Add(new FieldChange("healthCheck", before, after));
        // With the structure checkpoint in place, attributes the stack does not set are as last applied (defaults) or
        // changed by hand, which is left alone as upstream does: read them only for groups that set some.
        var attributes = run.StructureMatches && desired.Attributes.Count == 0
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            : await Discovery.TargetGroupAttributesAsync(Ctx.Elb, actual.Arn, ct).ConfigureAwait(false);
        var (attributeChanges, unknown) = AttributeDefaults.Diff(desired.Attributes, attributes, AttributeDefaults.ForTargetGroup(desired.Protocol));
        foreach (var key in unknown)
            Ctx.Note($"target group {desired.Id}: attribute {key} is not desired and has no known default: left as is");
        var (addTags, removeTags, tagChanges) = DeployTags.Diff(desired.Tags, actual.Tags);
        fields.AddRange(attributeChanges);
        fields.AddRange(tagChanges);
        if (fields.Count == 0)
            return;
        if (Ctx.IsApply)
        {
            if (before != after)
            {
                var request = new ModifyTargetGroupRequest { TargetGroupArn = actual.Arn };
                ApplyHealthCheck(desired.HealthCheck, request);
                await Ctx.CallAsync("ModifyTargetGroup", ResourceTypes.TargetGroup, desired.Id, actual.Arn, () => Ctx.Elb.ModifyTargetGroupAsync(request, ct)).ConfigureAwait(false);
            }
            if (attributeChanges.Count > 0)
            {
                await Ctx.CallAsync("ModifyTargetGroupAttributes", ResourceTypes.TargetGroup, desired.Id, actual.Arn, () => Ctx.Elb.ModifyTargetGroupAttributesAsync(new ModifyTargetGroupAttributesRequest
                {
                    TargetGroupArn = actual.Arn,
                    Attributes = [.. attributeChanges.Select(static c => new TargetGroupAttribute { Key = c.Field["attribute ".Length..], Value = c.After })],
                }, ct)).ConfigureAwait(false);
            }
            await TagsAsync(Ctx, ResourceTypes.TargetGroup, desired.Id, actual.Arn, addTags, removeTags, ct).ConfigureAwait(false);
        }
        Ctx.Record(new ResourceChange(ChangeAction.Modify, ResourceTypes.TargetGroup, desired.Id, actual.Arn, fields));
    }

    public async Task PostSynthesizeAsync(CancellationToken ct)
    {
        var allGone = true;
        foreach (var tg in run.ObsoleteTargetGroups)
        {
            var id = tg.ResourceId ?? tg.Resource.TargetGroupName!;
            if (Ctx.Desired.TargetGroups.Any(d => d.Id == id))
                continue; // recorded as the Replace of the new group
            if (run.Staging.Kept.Contains(tg.Arn))
            {
                allGone = false; // a staged forward still sends its traffic here
                continue;
            }
            if (!Ctx.IsApply)
            {
                Ctx.Record(new ResourceChange(ChangeAction.Delete, ResourceTypes.TargetGroup, id, tg.Arn, []));
                continue;
            }
            try
            {
                await Ctx.CallAsync("DeleteTargetGroup", ResourceTypes.TargetGroup, id, tg.Arn, () => Ctx.Elb.DeleteTargetGroupAsync(new DeleteTargetGroupRequest { TargetGroupArn = tg.Arn }, ct)).ConfigureAwait(false);
                Ctx.Record(new ResourceChange(ChangeAction.Delete, ResourceTypes.TargetGroup, id, tg.Arn, []));
            }
            catch (ElasticLoadBalancingV2Exception ex) when (ex.IsTargetGroupNotFound)
            {
                Ctx.Record(new ResourceChange(ChangeAction.Delete, ResourceTypes.TargetGroup, id, tg.Arn, []));
            }
            catch (ElasticLoadBalancingV2Exception ex) when (ex.IsResourceInUse)
            {
                allGone = false;
                Ctx.Record(new ResourceChange(ChangeAction.Blocked, ResourceTypes.TargetGroup, id, tg.Arn, [], "in use: " + ex.Message));
                Ctx.Defer(ReconcileResult.RequeueAfter($"target group {tg.Resource.TargetGroupName} is still in use", Ctx.Options.RequeueDelay));
            }
        }
        // Replaced groups (same resource ID as a desired one) go too, after the rules switched away from them.
        foreach (var tg in run.ObsoleteTargetGroups.Where(tg => Ctx.Desired.TargetGroups.Any(d => d.Id == tg.ResourceId)))
        {
            if (!Ctx.IsApply)
                continue;
            if (run.Staging.Kept.Contains(tg.Arn))
            {
                allGone = false;
                continue;
            }
            try
            {
                await Ctx.CallAsync("DeleteTargetGroup", ResourceTypes.TargetGroup, tg.ResourceId!, tg.Arn, () => Ctx.Elb.DeleteTargetGroupAsync(new DeleteTargetGroupRequest { TargetGroupArn = tg.Arn }, ct)).ConfigureAwait(false);
            }
            catch (ElasticLoadBalancingV2Exception ex) when (ex.IsTargetGroupNotFound)
            {
            }
            catch (ElasticLoadBalancingV2Exception ex) when (ex.IsResourceInUse)
            {
                allGone = false;
                Ctx.Defer(ReconcileResult.RequeueAfter($"target group {tg.Resource.TargetGroupName} is still in use", Ctx.Options.RequeueDelay));
            }
        }
        if (allGone && Ctx.IsApply)
            await run.ClearPendingMarkerAsync(ct).ConfigureAwait(false);
    }

    public static async Task TagsAsync(DeployContext ctx, string type, string id, string arn, Dictionary<string, string> add, List<string> remove, CancellationToken ct)
    {
        if (add.Count > 0)
            await ctx.CallAsync("AddTags", type, id, arn, () => ctx.Elb.AddTagsAsync(new AddTagsRequest { ResourceArns = [arn], Tags = ElbMapping.Tags(add) }, ct)).ConfigureAwait(false);
        if (remove.Count > 0)
            await ctx.CallAsync("RemoveTags", type, id, arn, () => ctx.Elb.RemoveTagsAsync(new RemoveTagsRequest { ResourceArns = [arn], TagKeys = remove }, ct)).ConfigureAwait(false);
    }

    public static string HealthCheck(HealthCheckSpec hc) =>
        HealthCheck(hc.Protocol, hc.Port, hc.Path, hc.IntervalSeconds, hc.TimeoutSeconds, hc.HealthyThresholdCount, hc.UnhealthyThresholdCount, hc.HttpCode ?? hc.GrpcCode);

    private static string HealthCheck(TargetGroup tg) =>
        HealthCheck(tg.HealthCheckProtocol, tg.HealthCheckPort, tg.HealthCheckPath, tg.HealthCheckIntervalSeconds, tg.HealthCheckTimeoutSeconds, tg.HealthyThresholdCount, tg.UnhealthyThresholdCount,
            tg.Matcher?.HttpCode ?? tg.Matcher?.GrpcCode);

    // A TCP health check (NLB) has no path and no codes: they are not part of what is compared or shown.
    private static string HealthCheck(string? protocol, string? port, string? path, int? interval, int? timeout, int? healthy, int? unhealthy, string? codes) =>
        protocol is "HTTP" or "HTTPS"
            ? string.Create(CultureInfo.InvariantCulture, $"{protocol} {port} {path} every {interval}s timeout {timeout}s healthy {healthy} unhealthy {unhealthy} codes {codes ?? "200"}")
            : string.Create(CultureInfo.InvariantCulture, $"{protocol} {port} every {interval}s timeout {timeout}s healthy {healthy} unhealthy {unhealthy}");

    private static void ApplyHealthCheck(HealthCheckSpec hc, IHealthCheckSettings r)
    {
        r.HealthCheckProtocol = hc.Protocol;
        r.HealthCheckPort = hc.Port;
        r.HealthCheckPath = hc.Path;
        r.HealthCheckIntervalSeconds = hc.IntervalSeconds;
        r.HealthCheckTimeoutSeconds = hc.TimeoutSeconds;
        r.HealthyThresholdCount = hc.HealthyThresholdCount;
        r.UnhealthyThresholdCount = hc.UnhealthyThresholdCount;
        // A TCP health check (NLB) has neither path nor matcher: AWS refuses them.
        r.Matcher = hc.Protocol is "HTTP" or "HTTPS" ? new Matcher { HttpCode = hc.GrpcCode is null ? hc.HttpCode ?? "200" : null, GrpcCode = hc.GrpcCode } : null;
        if (hc.Protocol is not ("HTTP" or "HTTPS"))
            r.HealthCheckPath = null;
    }
}
