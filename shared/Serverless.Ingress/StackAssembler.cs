using System.Globalization;
using Serverless.Model;

namespace Serverless.Ingress;

/// <summary>The two back-half steps the assembly calls; tests replace them.</summary>
/// <param name="Backend">Builds one valid member's rules, default actions, target groups and targets.</param>
/// <param name="Optimize">Upstream's rule optimizer over one listener's rules.</param>
internal sealed record BuilderSeams(
    Func<BuildContext, GroupMember, IReadOnlyList<ListenerPort>, MemberRules> Backend,
    Func<IReadOnlyList<RuleDraft>, ListenerPort, IReadOnlyList<RuleDraft>> Optimize)
{
    /// <summary>The real back half.</summary>
    public static BuilderSeams Default { get; } = new(MemberBackendBuilder.Build, RuleOptimizer.Optimize);
}

/// <summary>
/// The whole build of one group: membership, each member on its own, then the group, freezing members until what
/// is left builds cleanly.
/// </summary>
/// <remarks>
/// <para>
/// 1. Each member is parsed and validated on its own (its annotations and class parameters, explicit subnets and
/// security groups resolved, its rules and target groups built by the back half). Any error freezes it.
/// </para>
/// <para>
/// 2. Then, repeatedly over the members not frozen: group-wide conflicts are resolved (first member in group order
/// wins; see <see cref="GroupSettings"/>) and the losers set aside; the rest is validated as a group (HTTPS
/// certificates, ssl-redirect, security group count, subnet discovery) and then against the AWS limits (rules per
/// listener, target groups per load balancer). A problem freezes the members it names and the round starts again, with
/// the losers reconsidered (a loser may win once the member it lost to is frozen). A round without problems freezes the
/// losers and builds the stack. Every round freezes at least one member, so this ends.
/// </para>
/// <para>
/// A frozen member is left out of the stack; its existing rules stay in place (<see cref="FrozenRuleBlock"/>) and it
/// keeps its finalizer. When every member is frozen the stack is <see cref="Stack.AllMembersFrozen"/> and has no
/// resources: nothing is changed. Errors no member can be blamed for (subnet discovery) freeze every member.
/// </para>
/// </remarks>
internal static class StackAssembler
{
    public static Stack Build(GroupSnapshot snapshot, BuilderSeams seams, GroupReferences? references = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(seams);
        var context = new BuildContext(snapshot, references);
        var index = new ClassIndex(snapshot.IngressClasses, snapshot.IngressClassParams, snapshot.Namespaces);
        var membership = GroupMembership.Load(snapshot, index);
        var finalizer = GroupKeys.Finalizer(snapshot.Group);

        var leaving = membership.Leaving;
        var protectedLeaving = new List<(Candidate Member, BuildError Error)>();
        if (membership.Members.Count == 0)
        {
            // Upstream refuses to delete the load balancer of a group whose last Ingress is deleted while its
            // deletion_protection attribute is on. We keep that Ingress (frozen, with its finalizer) and change nothing.
            foreach (var leaver in leaving)
            {
                if (DeletionProtected(leaver.Ingress) is { } error)
                    protectedLeaving.Add((new Candidate(GroupMembership.NewMember(leaver.Ingress, null), protectedLeaving.Count, [error]), error));
            }
            leaving = [.. leaving.Where(l => !protectedLeaving.Any(p => p.Member.Member.Ingress == l.Ingress))];
        }
        var leavingOutcomes = leaving
            .Select(static l => new IngressOutcome
            {
                Namespace = l.Ingress.Metadata.NamespaceProperty,
                Name = l.Ingress.Metadata.Name,
                State = IngressState.Leaving,
                Errors = l.Error is null ? [] : [l.Error],
            })
            .OrderBy(static o => o.Key, StringComparer.Ordinal)
            .ToList();
        var empty = new Stack { Id = snapshot.Group, ClusterName = snapshot.Cluster.ClusterName };
        if (protectedLeaving.Count > 0)
        {
            return empty with
            {
                AllMembersFrozen = true,
                Ingresses = [.. protectedLeaving.Select(p => Outcome(p.Member, IngressState.Frozen, finalizer, [p.Error])), .. leavingOutcomes],
            };
        }
        if (membership.Members.Count == 0)
            return empty with { Ingresses = leavingOutcomes };

        // 1. Each member on its own.
        var errors = membership.Members.ToDictionary(static c => c.Index, static c => new List<BuildError>(c.Errors));
        var configs = new List<MemberConfig>();
        foreach (var candidate in membership.Members.Where(static c => c.Errors.Count == 0))
        {
            var (config, parseErrors) = MemberConfigParser.Parse(candidate, context);
            errors[candidate.Index].AddRange(parseErrors);
            if (parseErrors.Count > 0)
                continue;
            if (config.HasBackends)
            {
                // Nothing to build for a member without rules or default backend: the back half is not called.
                try
                {
                    config.Rules = seams.Backend(context, candidate.Member, [.. config.Ports.Values.Select(static p => new ListenerPort(p.Port, p.Protocol))]);
                }
                catch (InvalidInputException ex)
                {
                    errors[candidate.Index].Add(ex.Error);
                    continue;
                }
            }
            configs.Add(config);
        }

        // 2. The group, until it builds cleanly.
        var frozen = new HashSet<MemberConfig>();
        void Freeze(Dictionary<MemberConfig, List<BuildError>> problems)
        {
            foreach (var (member, memberErrors) in problems)
            {
                frozen.Add(member);
                errors[member.Index].AddRange(memberErrors);
            }
        }

        Built? built = null;
        while (true)
        {
            var active = configs.Where(c => !frozen.Contains(c)).ToList();
            if (active.Count == 0)
                break;
            var losers = GroupSettings.Conflicts(active);
            var members = active.Where(c => !losers.ContainsKey(c)).ToList();
            var settings = GroupSettings.Merge(members, snapshot.Cluster);

            var problems = ListenerBuilder.Validate(settings);
            Merge(problems, ValidateSecurityGroups(settings, snapshot.Cluster));
            Merge(problems, ValidateIpv6TargetGroups(settings));
            if (problems.Count > 0)
            {
                Freeze(problems);
                continue;
            }
            var subnets = LoadBalancerBuilder.ChooseSubnets(context, settings);
            if (subnets.Error is { } subnetError)
            {
                // No member is to blame: the error is reported on every member still in the running.
                foreach (var member in members)
                {
                    Add(problems, member, new BuildError(member.Member.Description, "load balancer subnets", null,
                        subnetError + " (a problem of the whole group, not of this Ingress)"));
                }
                Freeze(problems);
                continue;
            }

            var rules = RuleAssembly.Assemble(settings, seams);
            var limits = RuleAssembly.CheckLimits(settings, rules, snapshot.Cluster);
            if (limits.Count > 0)
            {
                Freeze(limits);
                continue;
            }

            Freeze(losers);
            built = new Built(settings, subnets.SubnetIds, rules);
            break;
        }

        var outcomes = membership.Members
            .Select(c => errors[c.Index].Count == 0
                ? Outcome(c, IngressState.Active, finalizer, [])
                : Outcome(c, IngressState.Frozen, finalizer, errors[c.Index]))
            .Concat(leavingOutcomes)
            .ToList();
        if (built is null)
            return empty with { AllMembersFrozen = true, Ingresses = outcomes };
        return Assemble(context, built, membership, errors, outcomes);
    }

    private static Stack Assemble(
        BuildContext context,
        Built built,
        Membership membership,
        Dictionary<int, List<BuildError>> errors,
        List<IngressOutcome> outcomes)
    {
        var settings = built.Settings;
        var targetPorts = settings.Members.SelectMany(static m => m.Rules.TargetPorts).Distinct().Order().ToList();
        var securityGroups = SecurityGroupBuilder.Build(context, settings, targetPorts);
        var frozenMembers = membership.Members
            .Where(c => errors[c.Index].Count > 0)
            .Select(static c => (c, MemberConfigParser.TryListenPorts(c.Member)));
        return new Stack
        {
            Id = context.Stack,
            ClusterName = context.Cluster.ClusterName,
            LoadBalancer = LoadBalancerBuilder.Build(context, settings, built.SubnetIds, securityGroups.LoadBalancerSecurityGroups),
            ManagedSecurityGroup = securityGroups.Managed,
            BackendSecurityGroup = securityGroups.Backend,
            NodeSecurityGroupRules = securityGroups.NodeRules,
            Listeners = ListenerBuilder.Build(context, settings),
            Rules = RuleAssembly.ToSpecs(context, built.Rules),
            FrozenRules = RuleAssembly.FrozenBlocks(frozenMembers, built.Rules),
            TargetGroups = [.. settings.Members
                .SelectMany(static m => m.Rules.TargetGroups)
                .DistinctBy(static t => t.Id)
                .OrderBy(static t => t.Id, StringComparer.Ordinal)],
            TargetSets = [.. settings.Members
                .SelectMany(static m => m.Rules.TargetSets)
                .DistinctBy(static t => t.TargetGroupId)
                .OrderBy(static t => t.TargetGroupId, StringComparer.Ordinal)],
            Ingresses = outcomes,
        };
    }

    /// <summary>
    /// Upstream's <c>buildTargetGroupIPAddressType</c>: a Service with an IPv6 family gets an ipv6 target group, which
    /// only a dual-stack load balancer can use; behind an ipv4 one the member is in error.
    /// </summary>
    private static Dictionary<MemberConfig, List<BuildError>> ValidateIpv6TargetGroups(MergedSettings settings)
    {
        var problems = new Dictionary<MemberConfig, List<BuildError>>();
        if (settings.IpAddressType is "dualstack" or "dualstack-without-public-ipv4")
            return problems;
        foreach (var member in settings.Members)
        {
            foreach (var targetGroup in member.Rules.TargetGroups.Where(static t => t.IpAddressType == "ipv6"))
            {
                var service = targetGroup.Backend?.Split(':')[0];
                Add(problems, member, new BuildError(member.Member.Description, "backend Service " + service + " spec.ipFamilies", "IPv6",
                    $"unsupported IPv6 configuration, lb not dual-stack (ip-address-type is {settings.IpAddressType}; set {Annotations.Prefix}{Annotations.IpAddressType}: dualstack)"));
            }
        }
        return problems;
    }

    /// <summary>
    /// With <c>security-groups</c>: managing backend rules needs the backend SG feature, and the load balancer can
    /// have at most <see cref="ClusterSettings.MaxSecurityGroupsPerLoadBalancer"/> groups, the backend SG included.
    /// </summary>
    private static Dictionary<MemberConfig, List<BuildError>> ValidateSecurityGroups(MergedSettings settings, ClusterSettings cluster)
    {
        var problems = new Dictionary<MemberConfig, List<BuildError>>();
        if (settings.SecurityGroups is not { } groups || !settings.ManageBackendSecurityGroupRules)
            return problems;
        var setters = settings.Members.Where(static m => m.SecurityGroups is not null).ToList();
        if (!cluster.EnableBackendSecurityGroup)
        {
            var blamed = settings.Members.Where(static m => m.ManageBackendSecurityGroupRules?.Value == true).ToList();
            foreach (var member in blamed.Count > 0 ? blamed : setters)
            {
                var setting = member.ManageBackendSecurityGroupRules;
                Add(problems, member, new BuildError(member.Member.Description,
                    setting?.Field ?? MemberConfigParser.AnnotationField(Annotations.SecurityGroups),
                    setting?.Display ?? member.SecurityGroups!.Display,
                    "backendSG feature is required to manage worker node SG rules when frontendSG manually specified (--enable-backend-security-group is off)"));
            }
            return problems;
        }
        if (groups.Count + 1 > cluster.MaxSecurityGroupsPerLoadBalancer)
        {
            foreach (var member in setters)
            {
                Add(problems, member, new BuildError(member.Member.Description, member.SecurityGroups!.Field, member.SecurityGroups.Display,
                    string.Create(CultureInfo.InvariantCulture,
                        $"names {groups.Count} security groups and the backend security group is added (manage-backend-security-group-rules): a load balancer can have at most {cluster.MaxSecurityGroupsPerLoadBalancer}")));
            }
        }
        return problems;
    }

    /// <summary>The error when a deleted Ingress asks for <c>deletion_protection.enabled=true</c>, else null.</summary>
    private static BuildError? DeletionProtected(k8s.Models.V1Ingress ingress)
    {
        var reader = new AnnotationReader("Ingress " + GroupMembership.Key(ingress), ingress.Metadata.Annotations);
        try
        {
            if (reader.StringMap(Annotations.LoadBalancerAttributes) is { } attributes
                && attributes.TryGetValue("deletion_protection.enabled", out var value)
                && value.Trim() is "1" or "t" or "T" or "TRUE" or "true" or "True")
            {
                return new BuildError(reader.Object, MemberConfigParser.AnnotationField(Annotations.LoadBalancerAttributes), reader.String(Annotations.LoadBalancerAttributes),
                    $"deletion_protection is enabled, cannot delete the ingress: {ingress.Metadata.Name}; set deletion_protection.enabled=false first (the load balancer is kept)");
            }
        }
        catch (InvalidInputException)
        {
            // An unparsable value was never applied: nothing protects the load balancer.
        }
        return null;
    }

    private static IngressOutcome Outcome(Candidate candidate, IngressState state, string finalizer, IReadOnlyList<BuildError> errors) => new()
    {
        Namespace = candidate.Member.Namespace,
        Name = candidate.Member.Name,
        State = state,
        Finalizer = finalizer,
        Order = candidate.Member.Order,
        Errors = errors,
    };

    private static void Merge(Dictionary<MemberConfig, List<BuildError>> into, Dictionary<MemberConfig, List<BuildError>> more)
    {
        foreach (var (member, list) in more)
        {
            foreach (var error in list)
                Add(into, member, error);
        }
    }

    private static void Add(Dictionary<MemberConfig, List<BuildError>> problems, MemberConfig member, BuildError error)
    {
        if (!problems.TryGetValue(member, out var list))
            problems[member] = list = [];
        list.Add(error);
    }

    private sealed record Built(MergedSettings Settings, IReadOnlyList<string> SubnetIds, SortedDictionary<int, List<AssembledRule>> Rules);
}
