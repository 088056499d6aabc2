namespace Serverless.Deploy;

/// <summary>Whether a deploy changes AWS.</summary>
public enum DeployMode
{
    /// <summary>Read AWS, compute the changes, make no mutating call.</summary>
    Plan,

    /// <summary>Read AWS and make the changes.</summary>
    Apply,
}

/// <summary>How one deploy runs.</summary>
public sealed record DeployOptions
{
    /// <summary>Plan or apply. Default apply.</summary>
    public DeployMode Mode { get; init; } = DeployMode.Apply;

    /// <summary>
    /// True for a drift check (scheduled replay): ignore the checkpoint and compare every resource with AWS.
    /// False (event-driven): when the load balancer's checkpoint tag equals the desired stack's hash, make no other call.
    /// </summary>
    public bool FullDriftCheck { get; init; }

    /// <summary>The cluster name; must equal <see cref="Serverless.Model.Stack.ClusterName"/>.</summary>
    public required string ClusterName { get; init; }

    /// <summary>The VPC of the load balancer, its target groups and security groups.</summary>
    public required string VpcId { get; init; }

    /// <summary>
    /// How the group's members chose this controller (<see cref="DeployTags.IngressClass"/>), recorded on the load
    /// balancer with the checkpoint; null records nothing (a group being deleted, a plan of manifests).
    /// </summary>
    public string? IngressClass { get; init; }

    /// <summary>Targets per RegisterTargets/DeregisterTargets call (AWS accepts many; upstream uses 200).</summary>
    public int TargetBatchSize { get; init; } = 200;

    /// <summary>
    /// What the caller read from AWS for this reconcile moments ago (the facts the model builder used): the deployer
    /// takes the load balancers under those names and the VPC's security groups from here instead of reading them
    /// again. Null (the default): everything is read. Never pass reads served from a cache.
    /// </summary>
    public KnownAwsReads? Known { get; init; }

    /// <summary>How long to wait before retrying a deletion AWS refused for now (resource in use, LB provisioning).</summary>
    public TimeSpan RequeueDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long to wait before looking again while a forward is staged: traffic still goes to the target groups that
    /// serve it now, the new target group is named at weight 0, and the switch waits for one of its targets to be healthy.
    /// </summary>
    public TimeSpan HealthPollDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a staged forward waits for a healthy target (measured from the staging tag on the target group); after
    /// that the forward switches anyway and the result carries a warning.
    /// </summary>
    public TimeSpan HealthWaitTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Rules per listener (AWS's default quota is 100); past it rule deletions are interleaved with creations.</summary>
    public int RulesPerListener { get; init; } = 100;

    /// <summary>
    /// Ingresses (<c>namespace/name</c>) whose clients still reach another load balancer (their status shows it) and
    /// will move to this one once the reconcile writes its address: the deploy is done only when every target group
    /// their rules forward to has a healthy target (or waited <see cref="HealthWaitTimeout"/>, with a warning); until
    /// then it asks to come back after <see cref="HealthPollDelay"/>.
    /// </summary>
    public IReadOnlySet<string> AwaitServing { get; init; } = new HashSet<string>(StringComparer.Ordinal);
}

/// <summary>What happens (plan) or happened (apply) to one resource.</summary>
public enum ChangeAction
{
    /// <summary>Created.</summary>
    Create,

    /// <summary>Changed in place; the field changes say what.</summary>
    Modify,

    /// <summary>Replaced: a new resource is created and the old one deleted (an immutable field changed).</summary>
    Replace,

    /// <summary>Deleted.</summary>
    Delete,

    /// <summary>Left untouched because its owner Ingress is frozen (invalid).</summary>
    Frozen,

    /// <summary>Not ours (no tags of this cluster and stack): left alone and reported.</summary>
    SkippedForeign,

    /// <summary>A change AWS refuses or that needs a person (deletion protection, resource in use): not made, reported.</summary>
    Blocked,
}

/// <summary>One field's value before and after (null: absent).</summary>
public sealed record FieldChange(string Field, string? Before, string? After);

/// <summary>
/// One resource's change. <see cref="Arn"/> is the existing resource's ARN or id (null for a resource still to be
/// created), so a plan and the apply that follows it produce equal lists.
/// </summary>
public sealed record ResourceChange(
    ChangeAction Action,
    string ResourceType,
    string ResourceId,
    string? Arn,
    IReadOnlyList<FieldChange> Fields,
    string? Reason = null)
{
    /// <summary>True for actions that change AWS.</summary>
    public bool IsMutation => Action is ChangeAction.Create or ChangeAction.Modify or ChangeAction.Replace or ChangeAction.Delete;
}

/// <summary>What became of one member Ingress.</summary>
public enum IngressStatus
{
    /// <summary>Its rules and target groups are deployed.</summary>
    Ok,

    /// <summary>Invalid: its existing rules and target groups were kept untouched; see the reason.</summary>
    Frozen,

    /// <summary>No longer a member: its resources are gone (once the reconcile is done).</summary>
    Removed,

    /// <summary>The deploy did not finish; its state on AWS is not yet what the stack says.</summary>
    Pending,
}

/// <summary>The outcome for one Ingress, for its status and events.</summary>
public sealed record IngressResult(string Ingress, IngressStatus Status, string? Reason = null);

/// <summary>What a deploy planned or did.</summary>
public sealed record DeployResult
{
    /// <summary>The stack (group) ID.</summary>
    public required string Stack { get; init; }

    /// <summary>An Ingress group (ALB) or a Service (NLB): <see cref="Stack"/> alone does not tell them apart.</summary>
    public Model.StackKind StackKind { get; init; }

    /// <summary>Plan or apply.</summary>
    public required DeployMode Mode { get; init; }

    /// <summary>Whether and when to come back.</summary>
    public required ReconcileResult Reconcile { get; init; }

    /// <summary>The changes, in the order they were (or would be) made.</summary>
    public required IReadOnlyList<ResourceChange> Changes { get; init; }

    /// <summary>Things worth knowing that are not changes (unknown attributes left as they are, etc.).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>
    /// Things that went on past a bound and that a person should see (e.g. new targets that never became healthy within
    /// the health wait): the reconcile turns each into a Warning Event on the group's members.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>AWS calls by operation (<c>Service:Operation</c>) made by this deploy.</summary>
    public required IReadOnlyDictionary<string, long> AwsCalls { get; init; }

    /// <summary>The load balancer's DNS name, when it exists.</summary>
    public string? DnsName { get; init; }

    /// <summary>The listener ports, for the Ingress status.</summary>
    public IReadOnlyList<int> ListenerPorts { get; init; } = [];

    /// <summary>Per-Ingress outcome.</summary>
    public IReadOnlyList<IngressResult> Ingresses { get; init; } = [];

    /// <summary>
    /// The ARNs of the stack's target groups this deploy read or created, by resource ID (none on a checkpoint hit, which
    /// reads no target group).
    /// </summary>
    public IReadOnlyDictionary<string, string> TargetGroupArns { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>True when the checkpoint matched and nothing else was read.</summary>
    public bool CheckpointHit { get; init; }

    /// <summary>Total AWS calls.</summary>
    public long TotalCalls => AwsCalls.Values.Sum();

    /// <summary>Calls of mutating operations (anything but Describe*/Get*/List*).</summary>
    public long MutatingCalls => AwsCalls.Where(static kv => IsMutatingOperation(kv.Key)).Sum(static kv => kv.Value);

    /// <summary>True for an operation name (bare or <c>Service:Operation</c>) that changes AWS.</summary>
    public static bool IsMutatingOperation(string operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var name = operation[(operation.IndexOf(':', StringComparison.Ordinal) + 1)..];
        return !(name.StartsWith("Describe", StringComparison.Ordinal) || name.StartsWith("Get", StringComparison.Ordinal) || name.StartsWith("List", StringComparison.Ordinal));
    }
}
