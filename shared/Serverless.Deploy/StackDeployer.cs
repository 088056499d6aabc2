using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Wafv2;
using Serverless.Deploy.Synthesizers;
using Serverless.Model;

namespace Serverless.Deploy;

/// <summary>
/// Makes AWS match one desired <see cref="Stack"/> — and nothing else — with as few calls as possible, in an order that
/// never drops traffic, so that stopping after any single call leaves a state the next run finishes. Or, in plan mode,
/// says what it would do without changing anything.
/// </summary>
/// <remarks>
/// Discovery never scans the region: the load balancer is looked up by its names, everything else by its ARN, tags
/// 20 ARNs per call. An event-driven deploy whose desired hash equals the load balancer's checkpoint tag makes at most
/// two calls (one when this deployer remembers the load balancer, none when <see cref="DeployOptions.Known"/> has it);
/// one whose structure checkpoint matches only touches the target groups whose targets changed. The AWS calls in <see cref="DeployResult.AwsCalls"/> are the recorder's difference over the deploy: give each
/// concurrent deploy its own recorder (and clients) for exact counts.
/// </remarks>
public sealed class StackDeployer : IStackDeployer, ITargetHealthReader
{
    /// <summary>Part of every checkpoint: a deployer whose diff changes bumps it, so every stack is compared once more.</summary>
    public const string Version = "deployer/2";

    private readonly IElasticLoadBalancingV2Client _elb;
    private readonly IEc2Gateway _ec2;
    private readonly IWafv2Client _waf;
    private readonly AwsCallRecorder _recorder;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly DeployMemory _memory;

    /// <summary>
    /// A deployer over the given clients; <paramref name="recorder"/> is the one those clients count calls in. It
    /// remembers each stack's last apply in <paramref name="memory"/> (its own when null): keep one deployer, or one
    /// memory, per process so target-only changes touch only the affected target groups. <paramref name="time"/>
    /// (default the system clock) dates and bounds the wait of staged forwards.
    /// </summary>
    public StackDeployer(
        IElasticLoadBalancingV2Client elb, IEc2Gateway ec2, IWafv2Client waf, AwsCallRecorder recorder, ILogger? logger = null, DeployMemory? memory = null, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _memory = memory ?? new DeployMemory();
        _elb = elb ?? throw new ArgumentNullException(nameof(elb));
        _ec2 = ec2 ?? throw new ArgumentNullException(nameof(ec2));
        _waf = waf ?? throw new ArgumentNullException(nameof(waf));
        _recorder = recorder ?? throw new ArgumentNullException(nameof(recorder));
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The checkpoint of <paramref name="desired"/>: hex SHA-256 of the deployer version, VPC and canonical stack JSON.</summary>
    public static string DesiredHash(Stack desired, DeployOptions options)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(options);
        return Checkpoint.Hash(desired, options);
    }

    /// <inheritdoc />
    public async Task<DeployResult> DeployAsync(Stack desired, DeployOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(options);
        if (!string.Equals(desired.ClusterName, options.ClusterName, StringComparison.Ordinal))
            throw new ArgumentException($"the stack is for cluster {desired.ClusterName}, the options for {options.ClusterName}", nameof(options));
        var before = _recorder.Calls;
        var ctx = new DeployContext(desired, options, _elb, _ec2, _waf, _logger, _time);
        if (desired.AllMembersFrozen)
        {
            ctx.Note("every member of the group is frozen (invalid): nothing was read or changed");
            return Finish(ctx, null, ReconcileResult.Done, before, checkpointHit: false);
        }

        var run = new DeployRun(ctx) { StructureHash = Checkpoint.Structure(desired, options), Memory = _memory.Get(options.ClusterName, desired.Id) };
        var hash = DesiredHash(desired, options);
        ReconcileResult reconcile;
        var hit = false;
        try
        {
            hit = await run.DiscoverAsync(hash, cancellationToken).ConfigureAwait(false);
            if (hit && !run.TargetsOnly)
                DeployLog.CheckpointHit(_logger, ctx.StackId, hash);
            else if (!hit)
                await SynthesizeAsync(run, hash, cancellationToken).ConfigureAwait(false);
            reconcile = ctx.Deferred ?? ReconcileResult.Done;
            Remember(run, hash, reconcile);
            hit &= !run.TargetsOnly;
        }
        catch (AmazonServiceException ex)
        {
            // Throttling that outlasted the retries, a crash-like failure, a conflict AWS reports: the next run
            // re-reads everything and finishes; nothing here is left half-known.
            reconcile = ReconcileResult.Failed($"{ex.ErrorCode}: {ex.Message}");
            _memory.Forget(options.ClusterName, desired.Id);
        }
        return Finish(ctx, run, reconcile, before, hit);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TargetHealthDescription>?> DescribeTargetHealthAsync(string targetGroupName, string? targetGroupArn, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetGroupName);
        if (!string.IsNullOrEmpty(targetGroupArn) && !DeployContext.IsPlaceholder(targetGroupArn))
        {
            try
            {
                return (await _elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = targetGroupArn }, cancellationToken).ConfigureAwait(false)).TargetHealthDescriptions ?? [];
            }
            catch (ElasticLoadBalancingV2Exception ex) when (ex.IsTargetGroupNotFound)
            {
                // Replaced since the ARN was read: look it up by its name.
            }
        }
        var found = (await _elb.TargetGroupsByNameAsync([targetGroupName], cancellationToken).ConfigureAwait(false)).FirstOrDefault();
        if (found?.TargetGroupArn is not { } arn)
            return null;
        return (await _elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = arn }, cancellationToken).ConfigureAwait(false)).TargetHealthDescriptions ?? [];
    }

    private async Task SynthesizeAsync(DeployRun run, string hash, CancellationToken ct)
    {
        var ctx = run.Ctx;
        var foreign = run.Actual.LoadBalancers.FirstOrDefault(lb => !run.IsOurs(lb.Tags) && lb.Resource.LoadBalancerName == ctx.Desired.LoadBalancer?.Name);
        if (foreign is not null)
        {
            ctx.Record(new ResourceChange(ChangeAction.SkippedForeign, ResourceTypes.LoadBalancer, ResourceIds.LoadBalancer, foreign.Arn, [],
                $"the name {foreign.Resource.LoadBalancerName} is taken by a load balancer without this stack's tags"));
            ctx.Defer(ReconcileResult.Failed($"load balancer name {foreign.Resource.LoadBalancerName} is taken by a load balancer this stack does not own"));
            return;
        }

        // Deletions that need a person or time are decided before anything changes: a protected load balancer keeps
        // its listeners and target groups too (never silently unprotected, never half torn down).
        foreach (var old in run.ObsoleteLoadBalancers)
        {
            var attributes = run.Actual.LoadBalancerAttributes.GetValueOrDefault(old.Arn) ?? [];
            if (attributes.GetValueOrDefault("deletion_protection.enabled") == "true")
            {
                // Nothing of the stack is deleted (its listeners, rules and target groups stay with it), and protection
                // is never turned off here: that is a person's decision.
                ctx.Record(new ResourceChange(ChangeAction.Blocked, ResourceTypes.LoadBalancer, ResourceIds.LoadBalancer, old.Arn, [],
                    "deletion protection is enabled: turn it off (attribute deletion_protection.enabled) to let the stack delete or replace it"));
                ctx.Defer(ReconcileResult.Failed(
                    $"load balancer {old.Resource.LoadBalancerName} ({old.Arn}) has deletion_protection.enabled=true: nothing of the stack is deleted; set the attribute to false to let it go"));
                return;
            }
            if (old.Resource.State?.Code == "provisioning")
            {
                ctx.Record(new ResourceChange(ChangeAction.Blocked, ResourceTypes.LoadBalancer, ResourceIds.LoadBalancer, old.Arn, [], "still provisioning"));
                ctx.Defer(ReconcileResult.RequeueAfter($"load balancer {old.Resource.LoadBalancerName} is still provisioning", ctx.Options.RequeueDelay));
                return;
            }
        }

        var securityGroups = new SecurityGroupSynthesizer(run);
        var targetGroups = new TargetGroupSynthesizer(run);
        var loadBalancer = new LoadBalancerSynthesizer(run);
        var listeners = new ListenerSynthesizer(run);
        var rules = new ListenerRuleSynthesizer(run, listeners);
        var targets = new TargetSynthesizer(run);
        var webAcl = new WebAclSynthesizer(run);
        targetGroups.Plan();
        await run.WritePendingMarkerAsync(ct).ConfigureAwait(false);

        // Targets are registered before anything can forward to their groups (a new group has its targets before a
        // listener or rule uses it). The web ACL last, as upstream: a WAF refusal (unknown ACL, access denied) defers
        // the reconcile but leaves everything else of the stack deployed.
        ISynthesizer[] order = [securityGroups, targetGroups, targets, loadBalancer, listeners, rules, webAcl];
        foreach (var synthesizer in order)
            await synthesizer.SynthesizeAsync(ct).ConfigureAwait(false);
        await run.Staging.AwaitServingAsync(ct).ConfigureAwait(false);
        // Deletions: targets, rules, listeners (nothing references the doomed target groups any more), target groups,
        // then the load balancer (it carries the pending-deletion marker until the groups are gone), then its SGs.
        ISynthesizer[] deletions = [targets, rules, listeners, targetGroups, loadBalancer, securityGroups];
        foreach (var synthesizer in deletions)
            await synthesizer.PostSynthesizeAsync(ct).ConfigureAwait(false);
        await run.Staging.FinishAsync(ct).ConfigureAwait(false);

        // Last: the checkpoint, only after everything succeeded. A run that stops before it leaves the old checkpoint,
        // so the next event-driven run compares everything again.
        // The IngressClass goes with it: garbage collection reads it once the group is gone.
        var ingressClass = ctx.Options.IngressClass;
        if (ctx.IsApply && ctx.Deferred is null && ctx.Desired.LoadBalancer is not null && run.CurrentLoadBalancer is { } lb
            && (lb.Tags.GetValueOrDefault(DeployTags.Checkpoint) != hash || lb.Tags.GetValueOrDefault(DeployTags.StructureCheckpoint) != run.StructureHash
                || (ingressClass is not null && lb.Tags.GetValueOrDefault(DeployTags.IngressClass) != ingressClass)))
        {
            List<Tag> tags = [new Tag { Key = DeployTags.Checkpoint, Value = hash }, new Tag { Key = DeployTags.StructureCheckpoint, Value = run.StructureHash }];
            if (ingressClass is not null)
                tags.Add(new Tag { Key = DeployTags.IngressClass, Value = ingressClass });
            await ctx.CallAsync("AddTags", ResourceTypes.LoadBalancer, ResourceIds.LoadBalancer, lb.Arn, () => ctx.Elb.AddTagsAsync(new AddTagsRequest
            {
                ResourceArns = [lb.Arn],
                Tags = tags,
            }, ct)).ConfigureAwait(false);
            foreach (var tag in tags)
                lb.Tags[tag.Key!] = tag.Value!;
        }
    }

    /// <summary>
    /// After an apply: what the load balancer's checkpoints now stand for (its ARNs and target sets), for the next
    /// target-only change; forgotten when the apply did not finish. A checkpoint hit keeps what was remembered under
    /// the same checkpoint, with the load balancer as just read.
    /// </summary>
    private void Remember(DeployRun run, string hash, ReconcileResult reconcile)
    {
        var ctx = run.Ctx;
        if (!ctx.IsApply)
            return;
        var lb = run.CurrentLoadBalancer;
        if (reconcile.Kind != ReconcileKind.Done || lb is null || run.DeletedLoadBalancers.Contains(lb.Arn)
            || lb.Tags.GetValueOrDefault(DeployTags.Checkpoint) != hash || lb.Tags.GetValueOrDefault(DeployTags.StructureCheckpoint) != run.StructureHash)
        {
            _memory.Forget(ctx.Cluster, ctx.Desired.Id);
            return;
        }
        var known = run.Memory;
        var hit = ctx.TargetGroupArns.Count == 0 && ctx.Desired.TargetGroups.Count > 0;
        if (hit && (known is null || known.Checkpoint != hash || known.StructureCheckpoint != run.StructureHash))
            return; // a checkpoint hit read no target group: nothing new to remember
        var arns = hit ? known!.TargetGroupArns : ctx.TargetGroupArns;
        if (arns.Values.Any(DeployContext.IsPlaceholder) || ctx.Desired.TargetSets.Any(s => !arns.ContainsKey(s.TargetGroupId)))
        {
            _memory.Forget(ctx.Cluster, ctx.Desired.Id);
            return;
        }
        _memory.Set(ctx.Cluster, ctx.Desired.Id, new StackMemory(
            hash,
            run.StructureHash!,
            lb.Resource,
            new Dictionary<string, string>(arns, StringComparer.Ordinal),
            ctx.Desired.TargetSets.ToDictionary(static s => s.TargetGroupId, static s => s.Targets, StringComparer.Ordinal)));
    }

    private DeployResult Finish(DeployContext ctx, DeployRun? run, ReconcileResult reconcile, IReadOnlyDictionary<string, long> before, bool checkpointHit)
    {
        var after = _recorder.Calls;
        var calls = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, count) in after)
        {
            var delta = count - before.GetValueOrDefault(key);
            if (delta > 0)
                calls[key] = delta;
        }
        var lb = run?.CurrentLoadBalancer;
        var live = lb is not null && !run!.DeletedLoadBalancers.Contains(lb.Arn);
        var done = reconcile.Kind == ReconcileKind.Done;
        var ingresses = ctx.Desired.Ingresses.Select(i => i.State switch
        {
            IngressState.Frozen => new IngressResult(i.Key, IngressStatus.Frozen, string.Join("; ", i.Errors.Select(static e => e.ToString()))),
            IngressState.Leaving => new IngressResult(i.Key, done ? IngressStatus.Removed : IngressStatus.Pending, done ? null : reconcile.Reason),
            _ => new IngressResult(i.Key, done || ctx.Desired.AllMembersFrozen ? IngressStatus.Ok : IngressStatus.Pending, done ? null : reconcile.Reason),
        }).ToList();
        var result = new DeployResult
        {
            Stack = ctx.StackId,
            StackKind = ctx.Desired.Id.Kind,
            Mode = ctx.Options.Mode,
            Reconcile = reconcile,
            Changes = [.. ctx.Changes],
            Notes = [.. ctx.Notes],
            Warnings = [.. ctx.Warnings],
            AwsCalls = calls,
            DnsName = live ? lb!.Resource.DNSName : null,
            ListenerPorts = live || (run?.CreatedLoadBalancer ?? false) ? [.. ctx.Desired.Listeners.Select(static l => l.Port).Order()] : [],
            Ingresses = ingresses,
            CheckpointHit = checkpointHit,
            TargetGroupArns = new SortedDictionary<string, string>(
                ctx.TargetGroupArns.Where(static kv => !DeployContext.IsPlaceholder(kv.Value)).ToDictionary(static kv => kv.Key, static kv => kv.Value, StringComparer.Ordinal), StringComparer.Ordinal),
        };
        ctx.FlushCalls();
        DeployLog.Finished(_logger, ctx.Options.Mode.ToString(), ctx.StackId, reconcile.ToString(), result.Changes.Count, result.TotalCalls);
        return result;
    }
}
