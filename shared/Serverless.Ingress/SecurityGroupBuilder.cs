using Serverless.Model;

namespace Serverless.Ingress;

/// <summary>The security groups of the load balancer and the rules the backend needs on node security groups.</summary>
internal sealed record SecurityGroupPlan(
    IReadOnlyList<StringOrRef> LoadBalancerSecurityGroups,
    SecurityGroupSpec? Managed,
    SecurityGroupSpec? Backend,
    IReadOnlyList<NodeSecurityGroupRulesSpec> NodeRules);

/// <summary>
/// Upstream's frontend and backend security groups (<c>model_build_managed_sg.go</c>,
/// <c>buildLoadBalancerSecurityGroups</c>, <c>backend_sg_provider.go</c>, <c>networking_manager.go</c>).
/// </summary>
public static class SecurityGroupBuilder
{
    /// <summary>The description that marks node rules we manage (upstream's, shared by every stack of the cluster).</summary>
    public const string NodeRuleDescription = "elbv2.k8s.aws/targetGroupBinding=shared";

    /// <summary>
    /// Resolves <c>security-groups</c> entries: <c>sg-…</c> are IDs that must exist, others Name tags (every group
    /// carrying the name). IDs first, then named groups by ID, duplicates dropped.
    /// </summary>
    public static (IReadOnlyList<string> Ids, string? Error) Resolve(IReadOnlyList<string> nameOrIds, AwsFacts facts)
    {
        ArgumentNullException.ThrowIfNull(nameOrIds);
        ArgumentNullException.ThrowIfNull(facts);
        var known = facts.SecurityGroups.DistinctBy(static g => g.Id).OrderBy(static g => g.Id, StringComparer.Ordinal).ToList();
        var ids = nameOrIds.Where(static n => n.StartsWith("sg-", StringComparison.Ordinal)).Distinct().ToList();
        var names = nameOrIds.Where(static n => !n.StartsWith("sg-", StringComparison.Ordinal)).Distinct().ToList();
        var problems = new List<string>();
        var foundIds = ids.Where(id => known.Any(g => g.Id == id)).ToList();
        if (foundIds.Count != ids.Count)
            problems.Add($"requested ids [{string.Join(", ", ids)}] but found [{string.Join(", ", foundIds)}]");
        var named = known.Where(g => g.Tags.TryGetValue("Name", out var n) && names.Contains(n)).ToList();
        var foundNames = names.Where(n => named.Any(g => g.Tags["Name"] == n)).ToList();
        if (foundNames.Count != names.Count)
            problems.Add($"requested names [{string.Join(", ", names)}] but found [{string.Join(", ", foundNames)}]");
        if (problems.Count > 0)
            return ([], "couldn't find all security groups: " + string.Join(", ", problems));
        return ([.. ids.Concat(named.Select(static g => g.Id)).Distinct()], null);
    }

    /// <summary>
    /// The load balancer's security groups: the managed frontend SG (one tcp rule per listener port and source) plus
    /// the shared backend SG, or the literal <c>security-groups</c> plus, when backend rules are managed, the backend SG.
    /// Node rules open the target ports to the backend SG (or to the managed SG when the backend SG is disabled).
    /// </summary>
    internal static SecurityGroupPlan Build(BuildContext context, MergedSettings settings, IReadOnlyList<int> targetPorts)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(targetPorts);
        var cluster = context.Cluster;
        var lbGroups = new List<StringOrRef>();
        SecurityGroupSpec? managed = null;
        SecurityGroupSpec? backend = null;
        StringOrRef? nodeRuleSource = null;

        if (settings.SecurityGroups is null)
        {
            managed = new SecurityGroupSpec
            {
                Id = ResourceIds.ManagedSecurityGroup,
                Name = Naming.ManagedSecurityGroupName(cluster.ClusterName, context.Stack),
                Description = Naming.ManagedSecurityGroupDescription,
                Ingress = ManagedIngress(settings),
                Tags = context.Tags(ResourceIds.ManagedSecurityGroup, settings.Tags),
            };
            lbGroups.Add(StringOrRef.To(ResourceRef.ManagedSecurityGroupId));
            if (cluster.EnableBackendSecurityGroup)
            {
                (backend, nodeRuleSource) = BackendGroup(context);
                lbGroups.Add(nodeRuleSource);
            }
            else
            {
                // Without the shared backend SG, upstream opens the nodes to the managed SG itself.
                nodeRuleSource = StringOrRef.To(ResourceRef.ManagedSecurityGroupId);
            }
        }
        else
        {
            lbGroups.AddRange(settings.SecurityGroups.Select(StringOrRef.Of));
            if (settings.ManageBackendSecurityGroupRules && cluster.EnableBackendSecurityGroup)
            {
                (backend, nodeRuleSource) = BackendGroup(context);
                lbGroups.Add(nodeRuleSource);
            }
        }

        var nodeRules = new List<NodeSecurityGroupRulesSpec>();
        if (nodeRuleSource is not null && targetPorts.Count > 0)
        {
            // Restricted mode: one rule spanning the lowest to the highest target port; else every TCP port.
            var (from, to) = cluster.DisableRestrictedSecurityGroupRules ? (0, 65535) : (targetPorts.Min(), targetPorts.Max());
            var rule = new SecurityGroupRuleSpec { FromPort = from, ToPort = to, SourceSecurityGroup = nodeRuleSource, Description = NodeRuleDescription };
            foreach (var groupId in context.Snapshot.Aws.NodeSecurityGroupIds.Distinct().Order(StringComparer.Ordinal))
                nodeRules.Add(new NodeSecurityGroupRulesSpec { SecurityGroupId = groupId, Rules = [rule] });
        }
        return new SecurityGroupPlan(lbGroups, managed, backend, nodeRules);
    }

    /// <summary>
    /// The shared backend SG: the literal <c>--backend-security-group</c>, or the managed one (spec and reference)
    /// named and tagged for the cluster.
    /// </summary>
    public static (SecurityGroupSpec? Spec, StringOrRef Reference) BackendGroup(BuildContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var cluster = context.Cluster;
        if (cluster.BackendSecurityGroupId is { Length: > 0 } own)
            return (null, StringOrRef.Of(own));
        var tags = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in cluster.DefaultTags)
            tags[key] = value;
        tags[TrackingTags.Cluster] = cluster.ClusterName;
        tags[TrackingTags.BackendResource] = ResourceIds.BackendSecurityGroup;
        var spec = new SecurityGroupSpec
        {
            Id = ResourceIds.BackendSecurityGroup,
            Name = Naming.BackendSecurityGroupName(cluster.ClusterName),
            Description = Naming.BackendSecurityGroupDescription,
            Tags = tags,
        };
        return (spec, StringOrRef.To(ResourceRef.BackendSecurityGroupId));
    }

    /// <summary>Per listener port: IPv4 CIDRs, IPv6 CIDRs when the load balancer has IPv6, prefix lists.</summary>
    private static List<SecurityGroupRuleSpec> ManagedIngress(MergedSettings settings)
    {
        var rules = new List<SecurityGroupRuleSpec>();
        var ipv6 = settings.IpAddressType.StartsWith("dualstack", StringComparison.Ordinal);
        foreach (var port in settings.Ports.Values)
        {
            foreach (var cidr in port.CidrsV4)
                rules.Add(new SecurityGroupRuleSpec { FromPort = port.Port, ToPort = port.Port, CidrIpv4 = cidr });
            if (ipv6)
            {
                foreach (var cidr in port.CidrsV6)
                    rules.Add(new SecurityGroupRuleSpec { FromPort = port.Port, ToPort = port.Port, CidrIpv6 = cidr });
            }
            foreach (var prefixList in port.PrefixLists)
                rules.Add(new SecurityGroupRuleSpec { FromPort = port.Port, ToPort = port.Port, PrefixListId = prefixList });
        }
        return rules;
    }
}
