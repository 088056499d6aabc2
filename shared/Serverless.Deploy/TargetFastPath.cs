using System.Globalization;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Model;

namespace Serverless.Deploy;

/// <summary>
/// A target-only change of an event-driven deploy: the load balancer carries the desired structure checkpoint, and
/// its whole checkpoint is the one this deployer wrote with the target sets it remembers — so AWS holds exactly those
/// sets (as trusted as a checkpoint hit). Only the target groups whose desired set differs are touched: register what
/// is new, deregister what is gone, then the new checkpoint. Anything unexpected (a target group gone, a target AWS
/// refuses) returns false; with nothing (valid) remembered, <see cref="TryReadingAsync"/> reads the target groups'
/// targets instead; when that fails too, discovery compares everything.
/// </summary>
internal static class TargetFastPath
{
    public static async Task<bool> TryAsync(DeployRun run, Tagged<LoadBalancer> lb, StackMemory memory, CancellationToken ct)
    {
        var ctx = run.Ctx;
        if (memory.LoadBalancer.LoadBalancerArn != lb.Arn || memory.Checkpoint != lb.Tags.GetValueOrDefault(DeployTags.Checkpoint)
            || memory.StructureCheckpoint != run.StructureHash
            || memory.TargetSets.Keys.Any(id => ctx.Desired.TargetSets.All(s => s.TargetGroupId != id)))
            return false;
        var work = new List<(TargetSetSpec Set, string Arn, List<TargetSpec> Register, List<TargetSpec> Deregister)>();
        foreach (var set in ctx.Desired.TargetSets)
        {
            if (!memory.TargetGroupArns.TryGetValue(set.TargetGroupId, out var arn) || !memory.TargetSets.TryGetValue(set.TargetGroupId, out var last))
                return false;
            var before = last.Select(static t => (t.Id, t.Port)).ToHashSet();
            var after = set.Targets.Select(static t => (t.Id, t.Port)).ToHashSet();
            var register = set.Targets.Where(t => !before.Contains((t.Id, t.Port))).OrderBy(static t => t.Id, StringComparer.Ordinal).ThenBy(static t => t.Port).ToList();
            var deregister = last.Where(t => !after.Contains((t.Id, t.Port))).OrderBy(static t => t.Id, StringComparer.Ordinal).ThenBy(static t => t.Port).ToList();
            if (register.Count > 0 || deregister.Count > 0)
                work.Add((set, arn, register, deregister));
        }

        return await ApplyAsync(run, lb, work, memory.TargetGroupArns, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A target-only change with nothing (valid) remembered: the target groups attached to the load balancer (one
    /// call) give the ARNs, and every desired target set is compared with <c>DescribeTargetHealth</c> (draining targets
    /// count as gone), as the full path does — without re-reading the rest of the stack, which the structure checkpoint
    /// vouches for. False (compare everything) when a desired target group is not attached.
    /// </summary>
    public static async Task<bool> TryReadingAsync(DeployRun run, Tagged<LoadBalancer> lb, CancellationToken ct)
    {
        var ctx = run.Ctx;
        var attached = await ctx.Elb.TargetGroupsOfLoadBalancerAsync(lb.Arn, ct).ConfigureAwait(false);
        var arns = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tg in ctx.Desired.TargetGroups)
        {
            var found = attached.FirstOrDefault(a => a.TargetGroupName == tg.Name);
            if (found?.TargetGroupArn is { } arn)
                arns[tg.Id] = arn;
        }
        var work = new List<(TargetSetSpec Set, string Arn, List<TargetSpec> Register, List<TargetSpec> Deregister)>();
        foreach (var set in ctx.Desired.TargetSets)
        {
            if (!arns.TryGetValue(set.TargetGroupId, out var arn))
                return false;
            DescribeTargetHealthResponse health;
            try
            {
                health = await ctx.Elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = arn }, ct).ConfigureAwait(false);
            }
            catch (ElasticLoadBalancingV2Exception ex) when (ex.IsTargetGroupNotFound)
            {
                return false;
            }
            var current = (health.TargetHealthDescriptions ?? [])
                .Where(static d => d.Target?.Id is not null && d.TargetHealth?.State != "draining")
                .Select(static d => new TargetSpec(d.Target!.Id!, d.Target.Port ?? 0)).ToList();
            var before = current.Select(static t => (t.Id, t.Port)).ToHashSet();
            var after = set.Targets.Select(static t => (t.Id, t.Port)).ToHashSet();
            var register = set.Targets.Where(t => !before.Contains((t.Id, t.Port))).OrderBy(static t => t.Id, StringComparer.Ordinal).ThenBy(static t => t.Port).ToList();
            var deregister = current.Where(t => !after.Contains((t.Id, t.Port))).OrderBy(static t => t.Id, StringComparer.Ordinal).ThenBy(static t => t.Port).ToList();
            if (register.Count > 0 || deregister.Count > 0)
                work.Add((set, arn, register, deregister));
        }
        // The checkpoint is rewritten even when nothing differed: AWS now holds the desired target sets.
        return await ApplyAsync(run, lb, work, arns, ct, alwaysCheckpoint: true).ConfigureAwait(false);
    }

    private static async Task<bool> ApplyAsync(
        DeployRun run,
        Tagged<LoadBalancer> lb,
        List<(TargetSetSpec Set, string Arn, List<TargetSpec> Register, List<TargetSpec> Deregister)> work,
        IReadOnlyDictionary<string, string> arns,
        CancellationToken ct,
        bool alwaysCheckpoint = false)
    {
        var ctx = run.Ctx;
        if (ctx.IsApply)
        {
            try
            {
                // Register first (new targets take traffic before old ones drain), as the full path does.
                foreach (var (set, arn, register, _) in work)
                {
                    foreach (var batch in register.Chunk(ctx.Options.TargetBatchSize))
                    {
                        var targets = batch.Select(static t => new TargetDescription { Id = t.Id, Port = t.Port, AvailabilityZone = t.AvailabilityZone }).ToList();
                        await ctx.CallAsync("RegisterTargets", ResourceTypes.TargetGroup, set.TargetGroupId, arn, () => ctx.Elb.RegisterTargetsAsync(new RegisterTargetsRequest { TargetGroupArn = arn, Targets = targets }, ct)).ConfigureAwait(false);
                    }
                }
                foreach (var (set, arn, _, deregister) in work)
                {
                    foreach (var batch in deregister.Chunk(ctx.Options.TargetBatchSize))
                    {
                        var targets = batch.Select(static t => new TargetDescription { Id = t.Id, Port = t.Port }).ToList();
                        await ctx.CallAsync("DeregisterTargets", ResourceTypes.TargetGroup, set.TargetGroupId, arn, () => ctx.Elb.DeregisterTargetsAsync(new DeregisterTargetsRequest { TargetGroupArn = arn, Targets = targets }, ct)).ConfigureAwait(false);
                    }
                }
                if (work.Count > 0 || (alwaysCheckpoint && lb.Tags.GetValueOrDefault(DeployTags.Checkpoint) != run.Hash))
                {
                    await ctx.CallAsync("AddTags", ResourceTypes.LoadBalancer, ResourceIds.LoadBalancer, lb.Arn, () => ctx.Elb.AddTagsAsync(new AddTagsRequest
                    {
                        ResourceArns = [lb.Arn],
                        Tags = [new Tag { Key = DeployTags.Checkpoint, Value = run.Hash }],
                    }, ct)).ConfigureAwait(false);
                    lb.Tags[DeployTags.Checkpoint] = run.Hash!;
                }
            }
            catch (ElasticLoadBalancingV2Exception ex) when (ex.IsTargetGroupNotFound || ex.IsInvalidTarget)
            {
                // What is remembered no longer holds: compare everything (what was registered so far is desired anyway).
                run.Memory = null;
                return false;
            }
        }

        foreach (var (set, arn, register, deregister) in work)
        {
            var fields = register.Select(static t => new FieldChange("target " + Show(t), null, "registered"))
                .Concat(deregister.Select(static t => new FieldChange("target " + Show(t), "registered", null))).ToList();
            ctx.Record(new ResourceChange(ChangeAction.Modify, ResourceTypes.TargetSet, set.TargetGroupId, arn, fields));
        }
        foreach (var (id, arn) in arns)
            ctx.TargetGroupArns[id] = arn;
        return true;
    }

    private static string Show(TargetSpec t) => string.Create(CultureInfo.InvariantCulture, $"{t.Id}:{t.Port}");
}
