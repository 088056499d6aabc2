using Serverless.Deploy;
using Serverless.Lambda;
using Serverless.Messages;

namespace Serverless.Functions;

/// <summary>The garbage collection's limits (environment variables of the replay; the reconcile reads the first too).</summary>
public sealed record GarbageCollectionOptions
{
    /// <summary>
    /// <c>GC_MIN_ABSENCE_SECONDS</c>: how long a group must have been absent (two replays at least this far apart)
    /// before its stack may be deleted. Default 30 min.
    /// </summary>
    public TimeSpan MinAbsence { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// <c>GC_MAX_DELETIONS</c>: the most stacks one replay may delete. More eligible than this: none is deleted, each is
    /// logged and <c>OrphanDeletionsCapped</c> is emitted. Default 3.
    /// </summary>
    public int MaxDeletions { get; init; } = 3;
}

/// <summary>What one replay's garbage collection decided.</summary>
/// <param name="Collect">The stack keys to enqueue for deletion (origin <c>collect</c>).</param>
/// <param name="Orphans">Stacks whose group was not found (0 when the list was incomplete: nothing is an orphan then).</param>
/// <param name="Kept">Orphans not deleted this run (first absence, too early, class, protection, no load balancer, cap).</param>
/// <param name="Capped">Eligible stacks not deleted because there were more than the cap (0 when within it).</param>
public sealed record CollectionOutcome(IReadOnlyList<QueueKey> Collect, int Orphans, int Kept, int Capped);

/// <summary>
/// The replay's garbage collection of stacks whose group is gone. A stack is enqueued for deletion (origin
/// <c>collect</c>, reconciled by <see cref="ReconcileMode.Collect"/>) only when all of these hold, else it is kept and
/// the reason logged (docs/garbage-collection.md):
/// <list type="number">
/// <item>the group list is complete (every Ingress, IngressClass and IngressClassParams read, every page, no error);</item>
/// <item>its group was absent in two replays at least <see cref="GarbageCollectionOptions.MinAbsence"/> apart: the first
/// absence tags the load balancers <c>serverless.elbv2.k8s.aws/absent-since</c>, a group found again loses the tag;</item>
/// <item>it has a load balancer under one of the group's default names (what a reconcile finds), so the absence is recorded somewhere;</item>
/// <item>the IngressClass recorded on it still selects this controller (and its IngressClassParams still exist);</item>
/// <item>no load balancer of it has deletion protection enabled;</item>
/// <item>this run deletes at most <see cref="GarbageCollectionOptions.MaxDeletions"/> stacks: past that, none.</item>
/// </list>
/// </summary>
public sealed class OrphanCollector(IClusterStacks stacks, GarbageCollectionOptions options, LambdaContext context)
{
    /// <summary>Decides, tags and clears for one replay at <paramref name="now"/>; returns the stacks to delete.</summary>
    public async Task<CollectionOutcome> CollectAsync(ClusterGroups groups, IReadOnlyList<StackOnAws> all, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(all);
        var log = context.Logger;
        var presentGroups = groups.Keys.Where(static k => k.Kind == QueueKeyKind.IngressGroup).Select(static k => k.Name).ToHashSet(StringComparer.Ordinal);
        var presentServices = groups.Keys.Where(static k => k.Kind == QueueKeyKind.Service).Select(static k => k.Name).ToHashSet(StringComparer.Ordinal);
        var present = new StackPresence(presentGroups, presentServices);

        // A group found again loses its absence mark (even from a partial list: what it found exists).
        foreach (var stack in all.Where(present.Contains))
        {
            var marked = stack.LoadBalancers.Where(static lb => lb.Tags.ContainsKey(DeployTags.AbsentSince)).Select(static lb => lb.Arn).ToList();
            if (marked.Count == 0)
                continue;
            try
            {
                await stacks.ClearAbsentAsync(marked, cancellationToken).ConfigureAwait(false);
                log.Info("group found again: absence mark removed", ("stack", stack.Stack));
            }
            catch (Exception ex) when (IsAwsFailure(ex))
            {
                log.Warn("group found again but its absence mark could not be removed; the next replay tries again", ("stack", stack.Stack), ("error", ex.Message));
            }
        }

        if (groups.Incomplete is { } why)
        {
            var unknown = all.Count(s => !present.Contains(s));
            log.Warn("the group list is incomplete: no stack is garbage-collected this run", ("reason", why), ("stacksNotFound", unknown));
            context.Metrics.Emit(new Metric(EmfMetrics.Names.GcIncompleteLists, 1, MetricUnit.Count));
            return new CollectionOutcome([], 0, 0, 0);
        }

        var orphans = 0;
        var eligible = new List<(QueueKey Key, StackOnAws Stack)>();
        foreach (var stack in all.Where(s => !present.Contains(s)))
        {
            if (stack.Kind == Serverless.Model.StackKind.Service)
            {
                // Its Service is gone (or neither ours nor finalized): its NLB's name derives from the Service's UID,
                // which no reconcile can know any more, so no key can find it. Kept, and said so.
                orphans++;
                log.Info("Service stack without its Service kept", ("stack", stack.Stack),
                    ("reason", "a reconcile finds a Service's NLB by names derived from the Service's UID, which is gone: delete it with destroy or by hand"),
                    ("loadBalancers", string.Join(" ", stack.LoadBalancers.Select(static lb => lb.Name))));
                continue;
            }
            QueueKey key;
            try
            {
                key = QueueKey.IngressGroup(stack.Stack);
            }
            catch (QueueMessageException ex)
            {
                log.Warn("a stack tag is not a group ID: not garbage-collected", ("stack", stack.Stack), ("reason", ex.Reason));
                continue;
            }
            orphans++;
            string? reason;
            try
            {
                reason = await KeepReasonAsync(stack, groups, now, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsAwsFailure(ex))
            {
                reason = "an AWS call failed: " + ex.Message;
            }
            if (reason is not null)
            {
                log.Info("stack without a group kept", ("stack", stack.Stack), ("reason", reason));
                continue;
            }
            eligible.Add((key, stack));
        }

        var capped = 0;
        if (eligible.Count > options.MaxDeletions)
        {
            capped = eligible.Count;
            foreach (var (_, stack) in eligible)
            {
                log.Warn("garbage collection capped: this stack would have been deleted", ("stack", stack.Stack),
                    ("loadBalancers", string.Join(" ", stack.LoadBalancers.Select(static lb => lb.Name))), ("eligible", eligible.Count), ("maxDeletions", options.MaxDeletions));
            }
            eligible.Clear();
        }
        foreach (var (key, stack) in eligible)
            log.Info("stack without a group: enqueued for deletion", ("key", key.ToString()), ("loadBalancers", string.Join(" ", stack.LoadBalancers.Select(static lb => lb.Name))));
        context.Metrics.Emit(
            new Metric(EmfMetrics.Names.OrphanStacks, orphans, MetricUnit.Count),
            new Metric(EmfMetrics.Names.OrphanDeletions, eligible.Count, MetricUnit.Count),
            new Metric(EmfMetrics.Names.OrphanDeletionsCapped, capped, MetricUnit.Count));
        return new CollectionOutcome([.. eligible.Select(static e => e.Key)], orphans, orphans - eligible.Count, capped);
    }

    /// <summary>The stacks the cluster still has: Ingress groups by group ID, Services by <c>namespace/name</c>.</summary>
    private sealed record StackPresence(HashSet<string> Groups, HashSet<string> Services)
    {
        public bool Contains(StackOnAws stack) =>
            stack.Kind == Serverless.Model.StackKind.Service ? Services.Contains(stack.Stack) : Groups.Contains(stack.Stack);
    }

    private static bool IsAwsFailure(Exception ex) =>
        ex is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException;

    /// <summary>Why <paramref name="stack"/> is not deleted this run, or null when every guard but the cap passed.</summary>
    private async Task<string?> KeepReasonAsync(StackOnAws stack, ClusterGroups groups, DateTimeOffset now, CancellationToken ct)
    {
        if (stack.LoadBalancers.Count == 0)
        {
            return $"no load balancer left ({stack.TargetGroups} target groups, {stack.SecurityGroups} security groups): nothing records its absence; "
                + "delete them by hand or with serverless-alb destroy";
        }
        if (stack.LoadBalancers.FirstOrDefault(static lb => !lb.DefaultName) is { } custom)
            return $"load balancer {custom.Name} has a custom name a reconcile of the group cannot find once its Ingresses are gone: delete it by hand";

        var unmarked = stack.LoadBalancers.Where(static lb => DeployTags.ParseTime(lb.Tags.GetValueOrDefault(DeployTags.AbsentSince)) is null).ToList();
        if (unmarked.Count > 0)
        {
            await stacks.MarkAbsentAsync([.. unmarked.Select(static lb => lb.Arn)], now, ct).ConfigureAwait(false);
            return $"first absence: {DeployTags.AbsentSince}={DeployTags.FormatTime(now)} written; eligible after {options.MinAbsence.TotalMinutes:0.#} minutes";
        }
        var since = stack.LoadBalancers.Max(static lb => DeployTags.ParseTime(lb.Tags[DeployTags.AbsentSince])!.Value);
        if (now - since < options.MinAbsence)
            return $"absent since {DeployTags.FormatTime(since)}: eligible from {DeployTags.FormatTime(since + options.MinAbsence)}";

        foreach (var lb in stack.LoadBalancers)
        {
            if (groups.ClassProblem(lb.Tags.GetValueOrDefault(DeployTags.IngressClass)) is { } problem)
                return $"load balancer {lb.Name}: {problem}";
        }
        foreach (var lb in stack.LoadBalancers)
        {
            if (await stacks.IsDeletionProtectedAsync(lb.Arn, ct).ConfigureAwait(false))
                return $"load balancer {lb.Name} has deletion_protection.enabled=true: it is never deleted while that attribute is on";
        }
        return null;
    }
}
