using Serverless.Model;

namespace Serverless.Ingress;

/// <summary>One listener port's settings, merged over the members that listen on it.</summary>
internal sealed record MergedPort
{
    public required int Port { get; init; }

    public required string Protocol { get; init; }

    /// <summary>Certificates: the first member's first certificate is the default, then every other one in group order.</summary>
    public required IReadOnlyList<string> Certificates { get; init; }

    public string? SslPolicy { get; init; }

    public required IReadOnlyList<string> CidrsV4 { get; init; }

    public required IReadOnlyList<string> CidrsV6 { get; init; }

    public required IReadOnlyList<string> PrefixLists { get; init; }

    public required IReadOnlyDictionary<string, string> Attributes { get; init; }

    /// <summary>The members listening on this port, in group order.</summary>
    public required IReadOnlyList<MemberConfig> Members { get; init; }

    /// <summary>The member whose <c>spec.defaultBackend</c> is this listener's default action, if any.</summary>
    public MemberConfig? DefaultBackendOwner { get; init; }

    /// <summary>The tags of the members on this port (listener tags).</summary>
    public required IReadOnlyDictionary<string, string> Tags { get; init; }

    public ListenerPort ToListenerPort() => new(Port, Protocol);
}

/// <summary>The group-wide settings of the stack, from the members that are built.</summary>
internal sealed record MergedSettings
{
    public required IReadOnlyList<MemberConfig> Members { get; init; }

    public required string Scheme { get; init; }

    public required string IpAddressType { get; init; }

    public Setting<string>? LoadBalancerName { get; init; }

    public Setting<SubnetChoice>? Subnets { get; init; }

    /// <summary>The resolved <c>security-groups</c>; null for a managed frontend SG.</summary>
    public IReadOnlyList<string>? SecurityGroups { get; init; }

    public bool ManageBackendSecurityGroupRules { get; init; }

    public string? CustomerOwnedIpv4Pool { get; init; }

    public string? Wafv2AclArn { get; init; }

    public bool? ShieldAdvancedProtection { get; init; }

    public int? MinimumCapacityUnits { get; init; }

    public string? IpamIpv4PoolId { get; init; }

    public int? SslRedirectPort { get; init; }

    public required IReadOnlyDictionary<string, string> LoadBalancerAttributes { get; init; }

    public required IReadOnlyDictionary<string, string> Tags { get; init; }

    public required SortedDictionary<int, MergedPort> Ports { get; init; }
}

/// <summary>
/// Group-wide (exclusive) settings across members.
/// <para>
/// <b>Conflict rule</b> (ours; upstream fails the whole group on any conflict): members are considered in group
/// order (<c>group.order</c>, then <c>namespace/name</c>); the first member that sets a value wins; every later
/// member that sets a different value is frozen with an error naming itself, the field, its value, and the winning
/// Ingress with its value. Members that do not set the value are not affected, and the load balancer keeps serving
/// with the winner's value. This covers every exclusive setting: scheme, ip-address-type, subnets, security-groups,
/// load-balancer-name, ssl-redirect, customer-owned-ipv4-pool, wafv2-acl-arn, shield-advanced-protection,
/// manage-backend-security-group-rules, minimum-load-balancer-capacity, ipam-ipv4-pool-id, each
/// load-balancer-attributes key, each tag key, and per listener port: protocol, inbound-cidrs,
/// security-group-prefix-lists, ssl-policy, each listener attribute, and the default backend.
/// </para>
/// </summary>
internal static class GroupSettings
{
    /// <summary>The members that lose a conflict, each with one error per conflict lost.</summary>
    public static Dictionary<MemberConfig, List<BuildError>> Conflicts(IReadOnlyList<MemberConfig> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var winners = new Dictionary<string, (MemberConfig Member, Claim Claim)>(StringComparer.Ordinal);
        var losers = new Dictionary<MemberConfig, List<BuildError>>();
        foreach (var member in members)
        {
            foreach (var claim in member.Claims())
            {
                if (!winners.TryGetValue(claim.Key, out var winner))
                {
                    winners[claim.Key] = (member, claim);
                    continue;
                }
                if (winner.Claim.Canonical == claim.Canonical)
                    continue;
                if (!losers.TryGetValue(member, out var errors))
                    losers[member] = errors = [];
                errors.Add(ConflictError(member, claim, winner.Member, winner.Claim));
            }
        }
        return losers;
    }

    /// <summary>Merges the settings of <paramref name="members"/>, which agree (no conflicts left).</summary>
    public static MergedSettings Merge(IReadOnlyList<MemberConfig> members, ClusterSettings cluster)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(cluster);
        T? First<T>(Func<MemberConfig, T?> get)
            where T : class => members.Select(get).FirstOrDefault(static v => v is not null);

        var ports = new SortedDictionary<int, MergedPort>();
        foreach (var port in members.SelectMany(static m => m.Ports.Keys).Distinct().Order())
        {
            var onPort = members.Where(m => m.Ports.ContainsKey(port)).ToList();
            var protocol = onPort[0].Ports[port].Protocol;
            var https = protocol == "HTTPS";
            var cidrs = onPort.Select(static m => m.InboundCidrs).FirstOrDefault(static c => c is not null)?.Value;
            var prefixLists = onPort.Select(static m => m.PrefixLists).FirstOrDefault(static p => p is not null)?.Value ?? [];
            IReadOnlyList<string> v4 = cidrs?.V4 ?? [];
            IReadOnlyList<string> v6 = cidrs?.V6 ?? [];
            if (v4.Count == 0 && v6.Count == 0 && prefixLists.Count == 0)
            {
                v4 = ["0.0.0.0/0"];
                v6 = ["::/0"];
            }
            var attributes = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var member in onPort)
            {
                foreach (var (key, value) in member.Ports[port].Attributes)
                    attributes.TryAdd(key, value.Value);
            }
            ports[port] = new MergedPort
            {
                Port = port,
                Protocol = protocol,
                Certificates = https ? MergeCertificates(onPort) : [],
                SslPolicy = https ? onPort.Select(static m => m.SslPolicy?.Value).FirstOrDefault(static p => p is not null) ?? cluster.DefaultSslPolicy : null,
                CidrsV4 = v4,
                CidrsV6 = v6,
                PrefixLists = prefixLists,
                Attributes = attributes,
                Members = onPort,
                DefaultBackendOwner = onPort.FirstOrDefault(static m => m.HasDefaultBackend),
                Tags = MergeTags(onPort),
            };
        }

        var lbAttributes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            foreach (var (key, value) in member.LoadBalancerAttributes)
                lbAttributes.TryAdd(key, value.Value);
        }
        return new MergedSettings
        {
            Members = members,
            Scheme = First(static m => m.Scheme)?.Value ?? cluster.DefaultScheme,
            IpAddressType = First(static m => m.IpAddressType)?.Value ?? "ipv4",
            LoadBalancerName = First(static m => m.LoadBalancerName),
            Subnets = First(static m => m.Subnets),
            SecurityGroups = First(static m => m.SecurityGroups)?.Value,
            ManageBackendSecurityGroupRules = members.Select(static m => m.ManageBackendSecurityGroupRules).FirstOrDefault(static s => s is not null)?.Value
                ?? cluster.ManageBackendSecurityGroupRules,
            CustomerOwnedIpv4Pool = First(static m => m.CustomerOwnedIpv4Pool)?.Value,
            Wafv2AclArn = First(static m => m.Wafv2AclArn)?.Value,
            ShieldAdvancedProtection = members.Select(static m => m.ShieldAdvancedProtection).FirstOrDefault(static s => s is not null)?.Value,
            MinimumCapacityUnits = members.Select(static m => m.MinimumCapacityUnits).FirstOrDefault(static s => s is not null)?.Value,
            IpamIpv4PoolId = First(static m => m.IpamIpv4PoolId)?.Value,
            SslRedirectPort = members.Select(static m => m.SslRedirectPort).FirstOrDefault(static s => s is not null)?.Value,
            LoadBalancerAttributes = lbAttributes,
            Tags = MergeTags(members),
            Ports = ports,
        };
    }

    /// <summary>
    /// Upstream's certificate merge: the first certificate of the first member (in group order) that has any is the
    /// default; then every other certificate in group order, each once (the default may appear again as SNI).
    /// </summary>
    private static List<string> MergeCertificates(IReadOnlyList<MemberConfig> members)
    {
        var merged = new List<string>();
        var defaultOwner = members.FirstOrDefault(static m => m.Certificates is { Value.Count: > 0 });
        if (defaultOwner is null)
            return merged;
        merged.Add(defaultOwner.Certificates!.Value[0]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            var certificates = member.Certificates?.Value ?? [];
            for (var i = 0; i < certificates.Count; i++)
            {
                if (member == defaultOwner && i == 0)
                    continue;
                if (seen.Add(certificates[i]))
                    merged.Add(certificates[i]);
            }
        }
        return merged;
    }

    private static SortedDictionary<string, string> MergeTags(IEnumerable<MemberConfig> members)
    {
        var tags = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            foreach (var (key, value) in member.Tags)
                tags.TryAdd(key, value.Value);
        }
        return tags;
    }

    private static BuildError ConflictError(MemberConfig loser, Claim claim, MemberConfig winner, Claim winning)
    {
        var scope = claim.Scope is null ? string.Empty : " (" + claim.Scope + ")";
        var what = winning.Display is null
            ? $"which also sets {winning.Field}{scope}"
            : $"which sets {winning.Field} to \"{winning.Display}\"{scope}";
        return new BuildError(loser.Member.Description, claim.Field, claim.Display,
            $"conflicts with Ingress {winner.Member.Key}, {what}; a group-wide setting is decided by the first member in group order "
            + "(lowest group.order, then namespace/name) that sets it, so this Ingress is left out until the two agree");
    }
}
