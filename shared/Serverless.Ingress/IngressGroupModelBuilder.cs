using Serverless.Model;

namespace Serverless.Ingress;

/// <summary>
/// Builds the desired stack of one Ingress group from a snapshot. Pure: the same snapshot always gives the same
/// stack, whatever the order of the objects in it. An invalid member never blocks its group: it is reported with a
/// precise error and frozen, and every valid member is built.
/// </summary>
public static class IngressGroupModelBuilder
{
    /// <summary>Builds the stack of <see cref="GroupSnapshot.Group"/>.</summary>
    public static Stack Build(GroupSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        // Membership, load balancer, listeners, security groups and assembly; the back half builds each member's rules.
        return StackAssembler.Build(snapshot, BuilderSeams.Default);
    }

    /// <summary>
    /// Builds the stack and records in <paramref name="references"/> every Service, EndpointSlice, Secret and Node
    /// lookup the build made: what a loader must fetch for this group.
    /// </summary>
    public static Stack Build(GroupSnapshot snapshot, GroupReferences references)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(references);
        return StackAssembler.Build(snapshot, BuilderSeams.Default, references);
    }
}

/// <summary>
/// The back half of a build: for one valid member, its rules per listener, default-backend actions, target
/// groups and targets.
/// </summary>
public static class MemberBackendBuilder
{
    /// <summary>
    /// Builds the rules (without priorities), target groups and targets of <paramref name="member"/> for the
    /// listeners in <paramref name="ports"/>. Throws <see cref="InvalidInputException"/> when the member is invalid.
    /// </summary>
    public static MemberRules Build(BuildContext context, GroupMember member, IReadOnlyList<ListenerPort> ports)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(ports);
        return new Backend.MemberBackend(context, member).Build(ports);
    }
}

/// <summary>Upstream's rule optimizer over one listener's rules in order (drops redirect loops and rules shadowed by an earlier redirect).</summary>
public static class RuleOptimizer
{
    /// <summary>The rules that remain, in order.</summary>
    public static IReadOnlyList<RuleDraft> Optimize(IReadOnlyList<RuleDraft> rules, ListenerPort listener)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(listener);
        return Backend.RedirectRuleOptimizer.Optimize(rules, listener);
    }
}
