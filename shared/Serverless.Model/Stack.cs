namespace Serverless.Model;

/// <summary>
/// The desired AWS resources of one Ingress group, and what became of each member Ingress. An empty stack (no load
/// balancer) means: delete everything tagged for this stack.
/// </summary>
public sealed record Stack
{
    /// <summary>The group.</summary>
    public required StackId Id { get; init; }

    /// <summary>The cluster name (value of the <c>elbv2.k8s.aws/cluster</c> tag).</summary>
    public required string ClusterName { get; init; }

    /// <summary>
    /// True when the group has members but every one is frozen (invalid): the deployer must change nothing at all,
    /// so a serving load balancer is never deleted because its only Ingress became invalid.
    /// </summary>
    public bool AllMembersFrozen { get; init; }

    /// <summary>The load balancer; null when the group has no valid active member (delete everything, unless <see cref="AllMembersFrozen"/>).</summary>
    public LoadBalancerSpec? LoadBalancer { get; init; }

    /// <summary>
    /// Other names this stack's load balancer may have on AWS besides <see cref="LoadBalancerSpec.Name"/>: the hashed
    /// name for the other scheme (a scheme change renames the LB), a former <c>load-balancer-name</c>, and for an empty
    /// stack (the group is gone) the names it had. The deployer looks load balancers up by these names only — never by
    /// scanning the region — and deletes or replaces what it finds there that carries this stack's tags.
    /// </summary>
    public IReadOnlyList<string> KnownLoadBalancerNames { get; init; } = [];

    /// <summary>The managed frontend security group; null with <c>security-groups</c> or an empty stack.</summary>
    public SecurityGroupSpec? ManagedSecurityGroup { get; init; }

    /// <summary>The cluster's shared backend security group, when the stack uses it.</summary>
    public SecurityGroupSpec? BackendSecurityGroup { get; init; }

    /// <summary>Rules on node/ENI security groups allowing the backend SG to reach the targets.</summary>
    public IReadOnlyList<NodeSecurityGroupRulesSpec> NodeSecurityGroupRules { get; init; } = [];

    /// <summary>Listeners, by port.</summary>
    public IReadOnlyList<ListenerSpec> Listeners { get; init; } = [];

    /// <summary>Listener rules, by port then priority.</summary>
    public IReadOnlyList<ListenerRuleSpec> Rules { get; init; } = [];

    /// <summary>Where the untouched rules of frozen members stand.</summary>
    public IReadOnlyList<FrozenRuleBlock> FrozenRules { get; init; } = [];

    /// <summary>Target groups, by ID.</summary>
    public IReadOnlyList<TargetGroupSpec> TargetGroups { get; init; } = [];

    /// <summary>The targets of each target group, by target group ID.</summary>
    public IReadOnlyList<TargetSetSpec> TargetSets { get; init; } = [];

    /// <summary>Every Ingress that is or was a member, in group order, with its outcome.</summary>
    public IReadOnlyList<IngressOutcome> Ingresses { get; init; } = [];

    /// <summary>Ingresses (<c>namespace/name</c>) whose existing rules and target groups the deployer must leave untouched.</summary>
    public IEnumerable<string> FrozenOwners =>
        Ingresses.Where(static i => i.State == IngressState.Frozen).Select(static i => i.Key);
}

/// <summary>What the builder decided for one Ingress.</summary>
public enum IngressState
{
    /// <summary>A valid member: its rules and target groups are in the stack.</summary>
    Active,

    /// <summary>
    /// An invalid member: excluded from the stack; its existing rules and target groups are kept as they are on AWS,
    /// and it keeps its finalizer.
    /// </summary>
    Frozen,

    /// <summary>No longer a member (deleted, moved to another group or class): its resources go; its finalizer is removed after the deploy.</summary>
    Leaving,
}

/// <summary>The outcome for one Ingress of the group.</summary>
public sealed record IngressOutcome
{
    /// <summary>Namespace.</summary>
    public required string Namespace { get; init; }

    /// <summary>Name.</summary>
    public required string Name { get; init; }

    /// <summary><c>namespace/name</c>.</summary>
    public string Key => $"{Namespace}/{Name}";

    /// <summary>Active, frozen or leaving.</summary>
    public required IngressState State { get; init; }

    /// <summary>The group finalizer this Ingress must carry after the reconcile; null when it must carry none.</summary>
    public string? Finalizer { get; init; }

    /// <summary>The group order (<c>group.order</c>, default 0).</summary>
    public int Order { get; init; }

    /// <summary>Why the Ingress is frozen, or conflicts it lost (each names the object, field and value).</summary>
    public IReadOnlyList<BuildError> Errors { get; init; } = [];
}

/// <summary>
/// A problem with the input, precise enough to fix: which object, which field, which value, and what is wrong.
/// </summary>
/// <param name="Object">The object, e.g. <c>Ingress default/web</c> or <c>Service default/api</c>.</param>
/// <param name="Field">The field, e.g. <c>annotation alb.ingress.kubernetes.io/scheme</c> or <c>spec.rules[0].http.paths[1].path</c>.</param>
/// <param name="Value">The offending value, or null when it is missing.</param>
/// <param name="Message">What is wrong and what is expected.</param>
public sealed record BuildError(string Object, string Field, string? Value, string Message)
{
    /// <summary>One line: <c>Ingress default/web: annotation …/scheme "foo": must be internal or internet-facing</c>.</summary>
    public override string ToString() =>
        Value is null ? $"{Object}: {Field}: {Message}" : $"{Object}: {Field} \"{Value}\": {Message}";
}
