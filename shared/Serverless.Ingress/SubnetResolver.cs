using System.Globalization;

namespace Serverless.Ingress;

/// <summary>The subnets chosen, or why none could be.</summary>
public sealed record SubnetResult(IReadOnlyList<string> SubnetIds, string? Error)
{
    /// <summary>No subnets, and why.</summary>
    public static SubnetResult Failed(string error) => new([], error);

    /// <summary>These subnets, sorted by ID.</summary>
    public static SubnetResult Of(IEnumerable<SubnetFact> subnets) =>
        new([.. subnets.Select(static s => s.Id).Order(StringComparer.Ordinal)], null);
}

/// <summary>
/// Upstream's subnet resolver (<c>pkg/networking/subnet_resolver.go</c>) over the subnets of the VPC in
/// <see cref="AwsFacts.Subnets"/>: explicit IDs or Name tags, IngressClassParams selectors, and auto-discovery by role
/// tag (falling back to reachability), cluster tag, free IP addresses and one subnet per Availability Zone. Error
/// texts are upstream's. Results are sorted by subnet ID.
/// </summary>
public static class SubnetResolver
{
    /// <summary>The role tag of subnets for internet-facing load balancers.</summary>
    public const string PublicRoleTag = "kubernetes.io/role/elb";

    /// <summary>The role tag of subnets for internal load balancers.</summary>
    public const string InternalRoleTag = "kubernetes.io/role/internal-elb";

    /// <summary>Free addresses a discovered subnet needs.</summary>
    public const int MinimalAvailableIpAddressCount = 8;

    /// <summary>The annotation named in discovery errors of an Ingress.</summary>
    public const string IngressSubnetsAnnotation = "alb.ingress.kubernetes.io/subnets";
    private const string ClusterTagPrefix = "kubernetes.io/cluster";

    /// <summary>
    /// The <c>subnets</c> annotation: entries starting <c>subnet-</c> are IDs, others Name tags (each occurrence of a
    /// name takes the next subnet carrying it, by ID); then one subnet per zone, one locale, at least two zones.
    /// </summary>
    public static SubnetResult ResolveNamesOrIds(IReadOnlyList<string> nameOrIds, AwsFacts facts, int minimumZones = 2)
    {
        ArgumentNullException.ThrowIfNull(nameOrIds);
        ArgumentNullException.ThrowIfNull(facts);
        var all = Sorted(facts);
        var ids = nameOrIds.Where(static n => n.StartsWith("subnet-", StringComparison.Ordinal)).ToList();
        var names = nameOrIds.Where(static n => !n.StartsWith("subnet-", StringComparison.Ordinal)).ToList();
        var byId = all.ToDictionary(static s => s.Id, StringComparer.Ordinal);
        var foundIds = ids.Where(byId.ContainsKey).Distinct().ToList();
        if (foundIds.Count != ids.Distinct().Count())
            return SubnetResult.Failed($"couldn't find all subnets, want: {GoList(ids)}, found: {GoList(foundIds)}");
        var missingNames = names.Distinct().Where(n => !all.Any(s => NameOf(s) == n)).Order(StringComparer.Ordinal).ToList();
        if (missingNames.Count > 0)
            return SubnetResult.Failed($"couldn't find all subnets, missing names: {GoList(missingNames)}");

        var chosen = new List<SubnetFact>();
        var used = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var nameOrId in nameOrIds)
        {
            if (nameOrId.StartsWith("subnet-", StringComparison.Ordinal))
            {
                chosen.Add(byId[nameOrId]);
                continue;
            }
            var named = all.Where(s => NameOf(s) == nameOrId).ToList();
            var usage = used.GetValueOrDefault(nameOrId);
            if (usage >= named.Count)
            {
                return SubnetResult.Failed(string.Create(CultureInfo.InvariantCulture,
                    $"subnet with Name tag \"{nameOrId}\" requested {usage + 1} times but only {named.Count} subnet(s) found with that name"));
            }
            chosen.Add(named[usage]);
            used[nameOrId] = usage + 1;
        }
        return ValidateSpecified(chosen, minimumZones);
    }

    /// <summary>IngressClassParams <c>spec.subnets</c>: IDs as given, or every subnet matching the tags, one per zone.</summary>
    public static SubnetResult ResolveSelector(SubnetSelector selector, AwsFacts facts, string clusterName)
    {
        ArgumentNullException.ThrowIfNull(selector);
        ArgumentNullException.ThrowIfNull(facts);
        var all = Sorted(facts);
        if (selector.Ids is { Count: > 0 } ids)
        {
            var found = all.Where(s => ids.Contains(s.Id)).ToList();
            if (found.Count != ids.Distinct().Count())
                return SubnetResult.Failed($"couldn't find all subnets, want: {GoList(ids)}, found: {GoList(found.Select(static s => s.Id))}");
            return ValidateSpecified(found);
        }
        var tags = selector.Tags ?? new Dictionary<string, IReadOnlyList<string>>();
        var matching = all.Where(s => tags.All(t => s.Tags.TryGetValue(t.Key, out var v) && t.Value.Contains(v))).ToList();
        return ChooseAndValidate(matching, clusterName, requireIpv6: false);
    }

    /// <summary>
    /// Auto-discovery: subnets tagged with the scheme's role tag (value empty or <c>1</c>); when there are none, the
    /// subnets whose reachability matches the scheme (public for internet-facing). Errors are prefixed as upstream
    /// does (<c>couldn't auto-discover subnets: …</c>).
    /// </summary>
    /// <param name="scheme">The load balancer's scheme.</param>
    /// <param name="ipAddressType">Its IP address type (dualstack needs subnets with IPv6).</param>
    /// <param name="facts">The VPC's subnets.</param>
    /// <param name="clusterName">The cluster (its tag wins, other clusters' tags exclude).</param>
    /// <param name="minimumZones">Zones an application load balancer needs (2); a network load balancer needs 1.</param>
    /// <param name="subnetsAnnotation">The annotation the error suggests setting instead.</param>
    public static SubnetResult Discover(string scheme, string ipAddressType, AwsFacts facts, string clusterName,
        int minimumZones = 2, string subnetsAnnotation = IngressSubnetsAnnotation)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var all = Sorted(facts);
        var internetFacing = scheme == "internet-facing";
        var roleTag = internetFacing ? PublicRoleTag : InternalRoleTag;
        var candidates = all.Where(s => s.Tags.TryGetValue(roleTag, out var v) && v is "" or "1").ToList();
        if (candidates.Count == 0)
            candidates = [.. all.Where(s => s.RoutesToInternetGateway == internetFacing)];
        var requireIpv6 = ipAddressType.StartsWith("dualstack", StringComparison.Ordinal);
        var result = ChooseAndValidate(candidates, clusterName, requireIpv6, minimumZones);
        if (result.Error is null)
            return result;
        var message = "couldn't auto-discover subnets: " + result.Error;
        if (candidates.Count == 0)
        {
            // Upstream's most reported problem (#1693, #2812, #3212): say what was looked for.
            message += $". No subnet of the VPC is tagged {roleTag} with value \"\" or \"1\" (required for a {scheme} load balancer), "
                + "and none was found by reachability; tag the subnets or set " + subnetsAnnotation;
        }
        return SubnetResult.Failed(message);
    }

    /// <summary>The canonical form of an IngressClassParams selector (for conflict detection) and how to show it.</summary>
    public static (string Canonical, string Display) Describe(SubnetSelector selector)
    {
        ArgumentNullException.ThrowIfNull(selector);
        if (selector.Ids is { Count: > 0 } ids)
        {
            var list = string.Join(',', ids);
            return ("params-ids:" + string.Join(',', ids.Distinct().Order(StringComparer.Ordinal)), "ids: " + list);
        }
        var tags = (selector.Tags ?? new Dictionary<string, IReadOnlyList<string>>())
            .OrderBy(static t => t.Key, StringComparer.Ordinal)
            .Select(static t => t.Key + "=" + string.Join('|', t.Value.Order(StringComparer.Ordinal)))
            .ToList();
        return ("params-tags:" + string.Join(';', tags), "tags: " + string.Join("; ", tags));
    }

    private static SubnetResult ChooseAndValidate(IReadOnlyList<SubnetFact> subnets, string clusterName, bool requireIpv6, int minimumZones = 2)
    {
        var clusterTag = ClusterTagPrefix + "/" + clusterName;
        var otherClusters = 0;
        var fewIps = 0;
        var noIpv6 = 0;
        var eligible = new List<SubnetFact>();
        foreach (var subnet in subnets)
        {
            // Cluster tag check: a subnet tagged only for other clusters is theirs.
            if (!subnet.Tags.ContainsKey(clusterTag) && subnet.Tags.Keys.Any(static k => k.StartsWith(ClusterTagPrefix, StringComparison.Ordinal)))
                otherClusters++;
            else if (subnet.AvailableIpAddressCount < MinimalAvailableIpAddressCount)
                fewIps++;
            else if (requireIpv6 && !subnet.HasIpv6)
                noIpv6++;
            else
                eligible.Add(subnet);
        }

        // One subnet per zone: the one tagged for this cluster, then the lowest ID.
        var chosen = eligible
            .GroupBy(static s => s.AvailabilityZone, StringComparer.Ordinal)
            .Select(g => g.OrderBy(s => s.Tags.ContainsKey(clusterTag) ? 0 : 1).ThenBy(static s => s.Id, StringComparer.Ordinal).First())
            .OrderBy(static s => s.Id, StringComparer.Ordinal)
            .ToList();
        if (chosen.Count == 0)
        {
            var message = string.Create(CultureInfo.InvariantCulture,
                $"unable to resolve at least one subnet. Evaluated {subnets.Count} subnets: {otherClusters} are tagged for other clusters, and {fewIps} have insufficient available IP addresses");
            if (noIpv6 > 0)
                message += string.Create(CultureInfo.InvariantCulture, $"; {noIpv6} have no IPv6 CIDR, which a dualstack load balancer needs");
            return SubnetResult.Failed(message);
        }
        return Validate(chosen, minimumZones);
    }

    private static SubnetResult ValidateSpecified(IReadOnlyList<SubnetFact> subnets, int minimumZones = 2)
    {
        if (subnets.Count == 0)
            return SubnetResult.Failed("unable to resolve at least one subnet");
        foreach (var zone in subnets.GroupBy(static s => s.AvailabilityZone, StringComparer.Ordinal).OrderBy(static g => g.Key, StringComparer.Ordinal))
        {
            var distinct = zone.Select(static s => s.Id).Distinct().ToList();
            if (distinct.Count > 1)
                return SubnetResult.Failed($"multiple subnets in same Availability Zone {zone.Key}: {GoList(distinct)}");
        }
        return Validate(subnets.DistinctBy(static s => s.Id).ToList(), minimumZones);
    }

    private static SubnetResult Validate(IReadOnlyList<SubnetFact> subnets, int minimumZones)
    {
        var locales = subnets.Select(static s => s.ZoneType).Distinct().Order(StringComparer.Ordinal).ToList();
        foreach (var subnet in subnets)
        {
            if (subnet.ZoneType is not ("availability-zone" or "local-zone" or "wavelength-zone" or "outpost"))
                return SubnetResult.Failed($"unknown zone type for subnet {subnet.Id}: {subnet.ZoneType}");
        }
        if (locales.Count > 1)
            return SubnetResult.Failed($"subnets in multiple locales: {GoList(locales)}");
        // An ALB in regular Availability Zones needs two (upstream gate ALBSingleSubnet is off by default); an NLB one.
        var minimal = locales[0] == "availability-zone" ? minimumZones : 1;
        if (subnets.Count < minimal)
            return SubnetResult.Failed(string.Create(CultureInfo.InvariantCulture, $"subnets count less than minimal required count: {subnets.Count} < {minimal}"));
        return SubnetResult.Of(subnets);
    }

    private static List<SubnetFact> Sorted(AwsFacts facts) =>
        [.. facts.Subnets.DistinctBy(static s => s.Id).OrderBy(static s => s.Id, StringComparer.Ordinal)];

    private static string? NameOf(SubnetFact subnet) => subnet.Tags.GetValueOrDefault("Name");

    /// <summary>A list as Go's <c>%v</c> prints a string slice: <c>[a b]</c>.</summary>
    internal static string GoList(IEnumerable<string> values) => "[" + string.Join(' ', values) + "]";
}
