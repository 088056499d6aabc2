using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Model;

namespace Serverless.Ingress;

/// <summary>A value one member sets, where it set it (<see cref="Field"/>), and the value as written (<see cref="Display"/>).</summary>
internal sealed record Setting<T>(T Value, string Field, string? Display);

/// <summary>
/// One group-wide (exclusive) setting a member claims: members that claim the same <see cref="Key"/> must agree on
/// <see cref="Canonical"/>.
/// </summary>
/// <param name="Key">What is claimed, e.g. <c>scheme</c> or <c>port:443:ssl-policy</c>.</param>
/// <param name="Field">Where the member set it.</param>
/// <param name="Display">The value as written, or null when there is nothing to show.</param>
/// <param name="Canonical">The value compared between members.</param>
/// <param name="Scope">Where the setting applies when not group-wide, e.g. <c>listener port 443</c>.</param>
internal sealed record Claim(string Key, string Field, string? Display, string Canonical, string? Scope = null);

/// <summary>A listen port of one member.</summary>
internal sealed record MemberPort(int Port, string Protocol, string Field, string? Display, IReadOnlyDictionary<string, Setting<string>> Attributes);

/// <summary>IPv4 and IPv6 inbound CIDRs, as written (order kept, duplicates dropped).</summary>
internal sealed record Cidrs(IReadOnlyList<string> V4, IReadOnlyList<string> V6);

/// <summary>
/// The explicit subnets a member asks for: <see cref="Canonical"/> compares specifications as upstream does (an
/// annotation list ignoring order; IngressClassParams selectors structurally; the two kinds always differ), and
/// <see cref="SubnetIds"/> is what they resolved to.
/// </summary>
internal sealed record SubnetChoice(string Canonical, IReadOnlyList<string> SubnetIds);

/// <summary>
/// Everything one member says about the group-wide and per-listener settings, parsed and validated on its own
/// (IngressClassParams fields first, then annotations, as upstream), plus what the back half built for it.
/// </summary>
internal sealed class MemberConfig
{
    public required Candidate Candidate { get; init; }

    public GroupMember Member => Candidate.Member;

    public int Index => Candidate.Index;

    public Setting<string>? LoadBalancerName { get; set; }

    public Setting<string>? Scheme { get; set; }

    public Setting<string>? IpAddressType { get; set; }

    public Setting<SubnetChoice>? Subnets { get; set; }

    /// <summary>The resolved IDs of <c>security-groups</c>, in resolution order.</summary>
    public Setting<IReadOnlyList<string>>? SecurityGroups { get; set; }

    public Setting<bool>? ManageBackendSecurityGroupRules { get; set; }

    public Setting<string>? CustomerOwnedIpv4Pool { get; set; }

    public Setting<string>? Wafv2AclArn { get; set; }

    public Setting<bool>? ShieldAdvancedProtection { get; set; }

    public Setting<int>? MinimumCapacityUnits { get; set; }

    public Setting<string>? IpamIpv4PoolId { get; set; }

    public Setting<int>? SslRedirectPort { get; set; }

    public SortedDictionary<string, Setting<string>> LoadBalancerAttributes { get; } = new(StringComparer.Ordinal);

    /// <summary>The member's tags (IngressClassParams tags over the <c>tags</c> annotation), per key.</summary>
    public SortedDictionary<string, Setting<string>> Tags { get; } = new(StringComparer.Ordinal);

    public SortedDictionary<int, MemberPort> Ports { get; } = [];

    public Setting<Cidrs>? InboundCidrs { get; set; }

    public Setting<IReadOnlyList<string>>? PrefixLists { get; set; }

    public Setting<string>? SslPolicy { get; set; }

    public Setting<IReadOnlyList<string>>? Certificates { get; set; }

    public bool HasDefaultBackend => Member.Ingress.Spec?.DefaultBackend is not null;

    /// <summary>True when the back half has something to build (rules or a default backend).</summary>
    public bool HasBackends => HasDefaultBackend || Member.Ingress.Spec?.Rules is { Count: > 0 };

    public MemberRules Rules { get; set; } = new();

    /// <summary>The member's tags as a map, for its listener rules.</summary>
    public IReadOnlyDictionary<string, string> TagMap =>
        new SortedDictionary<string, string>(Tags.ToDictionary(static t => t.Key, static t => t.Value.Value), StringComparer.Ordinal);

    /// <summary>Every exclusive setting this member claims, for conflict detection.</summary>
    public IEnumerable<Claim> Claims()
    {
        if (LoadBalancerName is { } name)
            yield return Same("load-balancer-name", name);
        if (Scheme is { } scheme)
            yield return Same("scheme", scheme);
        if (IpAddressType is { } ipType)
            yield return Same("ip-address-type", ipType);
        if (Subnets is { } subnets)
            yield return new Claim("subnets", subnets.Field, subnets.Display, subnets.Value.Canonical);
        if (SecurityGroups is { } groups)
            yield return new Claim("security-groups", groups.Field, groups.Display, string.Join(',', groups.Value));
        if (ManageBackendSecurityGroupRules is { } manage)
            yield return new Claim("manage-backend-security-group-rules", manage.Field, manage.Display, manage.Value ? "true" : "false");
        if (CustomerOwnedIpv4Pool is { } pool)
            yield return Same("customer-owned-ipv4-pool", pool);
        if (Wafv2AclArn is { } waf)
            yield return Same("wafv2-acl-arn", waf);
        if (ShieldAdvancedProtection is { } shield)
            yield return new Claim("shield-advanced-protection", shield.Field, shield.Display, shield.Value ? "true" : "false");
        if (MinimumCapacityUnits is { } capacity)
            yield return new Claim("minimum-load-balancer-capacity", capacity.Field, capacity.Display, capacity.Value.ToString(CultureInfo.InvariantCulture));
        if (IpamIpv4PoolId is { } ipam)
            yield return Same("ipam-ipv4-pool-id", ipam);
        if (SslRedirectPort is { } redirect)
            yield return new Claim("ssl-redirect", redirect.Field, redirect.Display, redirect.Value.ToString(CultureInfo.InvariantCulture));
        foreach (var (key, attribute) in LoadBalancerAttributes)
            yield return Same("load-balancer-attribute:" + key, attribute);
        foreach (var (key, tag) in Tags)
            yield return Same("tag:" + key, tag);
        foreach (var (port, listen) in Ports)
        {
            var p = port.ToString(CultureInfo.InvariantCulture);
            var scope = "listener port " + p;
            yield return new Claim("port:" + p + ":protocol", listen.Field, listen.Protocol + ":" + p, listen.Protocol, scope);
            if (InboundCidrs is { } cidrs)
            {
                yield return new Claim("port:" + p + ":inbound-cidrs", cidrs.Field, cidrs.Display,
                    string.Join(',', cidrs.Value.V4.Order(StringComparer.Ordinal)) + "|" + string.Join(',', cidrs.Value.V6.Order(StringComparer.Ordinal)), scope);
            }
            if (PrefixLists is { } prefixLists)
                yield return new Claim("port:" + p + ":prefix-lists", prefixLists.Field, prefixLists.Display, string.Join(',', prefixLists.Value.Order(StringComparer.Ordinal)), scope);
            if (listen.Protocol == "HTTPS" && SslPolicy is { } policy)
                yield return Same("port:" + p + ":ssl-policy", policy, scope);
            foreach (var (key, attribute) in listen.Attributes)
                yield return Same("port:" + p + ":listener-attribute:" + key, attribute, scope);
            if (HasDefaultBackend)
            {
                // Any two default backends on one listener conflict (upstream: "multiple ingress defined default backend").
                yield return new Claim("port:" + p + ":default-backend", "spec.defaultBackend", null, Member.Key, scope);
            }
        }
    }

    private static Claim Same(string key, Setting<string> setting, string? scope = null) => new(key, setting.Field, setting.Display, setting.Value, scope);
}

/// <summary>
/// Parses one member's own settings. Every problem found is collected (not just the first), each naming the object
/// and field it came from; a member with any is frozen.
/// </summary>
internal static partial class MemberConfigParser
{
    private const string Https = "HTTPS";
    private const string Http = "HTTP";

    public static (MemberConfig Config, IReadOnlyList<BuildError> Errors) Parse(Candidate candidate, BuildContext context)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(context);
        var config = new MemberConfig { Candidate = candidate };
        var errors = new List<BuildError>();
        var member = candidate.Member;
        var a = member.Annotations;
        var p = member.Params;
        var cluster = context.Cluster;
        var facts = context.Snapshot.Aws;

        Collect(errors, () => config.LoadBalancerName = ParseLoadBalancerName(member));
        Collect(errors, () => config.Scheme = OneOf(member, p?.Scheme, "spec.scheme", Annotations.Scheme, ["internal", "internet-facing"]));
        Collect(errors, () => config.IpAddressType = OneOf(member, p?.IpAddressType, "spec.ipAddressType", Annotations.IpAddressType,
            ["ipv4", "dualstack", "dualstack-without-public-ipv4"]));
        Collect(errors, () => config.Subnets = ParseSubnets(member, facts, cluster));
        Collect(errors, () => config.SecurityGroups = ParseSecurityGroups(member, facts, cluster));
        Collect(errors, () => config.ManageBackendSecurityGroupRules = FromAnnotation(a, Annotations.ManageBackendSecurityGroupRules, a.Bool));
        Collect(errors, () => config.CustomerOwnedIpv4Pool = ParseCustomerOwnedIpv4Pool(member));
        Collect(errors, () => config.Wafv2AclArn = ParseWafv2Acl(member, facts));
        Collect(errors, () => config.ShieldAdvancedProtection = FromAnnotation(a, Annotations.ShieldAdvancedProtection, a.Bool));
        Collect(errors, () => config.MinimumCapacityUnits = ParseMinimumCapacity(member));
        Collect(errors, () => config.IpamIpv4PoolId = ParamsOrAnnotation(member, p?.Ipv4IpamPoolId, "spec.ipamConfiguration.ipv4IPAMPoolId", Annotations.IpamIpv4PoolId));
        Collect(errors, () => config.SslRedirectPort = ParseSslRedirect(member));
        Collect(errors, () => ParseLoadBalancerAttributes(member, config.LoadBalancerAttributes));
        Collect(errors, () => ParseTags(member, cluster, config.Tags));
        Collect(errors, () => config.InboundCidrs = ParseInboundCidrs(member));
        Collect(errors, () => config.PrefixLists = ParsePrefixLists(member));
        Collect(errors, () => config.SslPolicy = ParamsOrAnnotation(member, p?.SslPolicy, "spec.sslPolicy", Annotations.SslPolicy));
        Collect(errors, () => config.Certificates = ParseCertificates(member));
        Collect(errors, () =>
        {
            foreach (var port in ParseListenPorts(member, config.Certificates is not null))
                config.Ports[port.Port] = port;
        });
        if (config.Certificates is null && config.Ports.Values.Any(static port => port.Protocol == Https))
        {
            var (discovered, unmatched) = CertificateDiscovery.Discover(member, facts.Certificates);
            config.Certificates = discovered;
            errors.AddRange(unmatched);
        }
        return (config, errors);
    }

    /// <summary>
    /// The ports a member listens on, from its annotations and class parameters alone; null when they cannot be
    /// parsed. Used to place the rules of frozen members.
    /// </summary>
    public static IReadOnlyList<int>? TryListenPorts(GroupMember member)
    {
        ArgumentNullException.ThrowIfNull(member);
        try
        {
            var hasCertificates = ParseCertificates(member) is not null;
            return [.. ParseListenPorts(member, hasCertificates).Select(static p => p.Port)];
        }
        catch (InvalidInputException)
        {
            return null;
        }
    }

    /// <summary>Upstream's <c>computeIngressListenPorts</c>, plus each port's listener attributes.</summary>
    private static IEnumerable<MemberPort> ParseListenPorts(GroupMember member, bool hasCertificates)
    {
        var a = member.Annotations;
        var ports = new SortedDictionary<int, (string Protocol, string Field, string? Display)>();
        var field = "annotation " + Annotations.Prefix + Annotations.ListenPorts;
        if (a.String(Annotations.ListenPorts) is not { } raw)
        {
            // Default: HTTPS 443 when the member has certificates, else HTTP 80.
            var defaultField = "default listen port (no annotation " + Annotations.Prefix + Annotations.ListenPorts + ")";
            if (hasCertificates)
                ports[443] = (Https, defaultField, "HTTPS:443");
            else
                ports[80] = (Http, defaultField, "HTTP:80");
        }
        else
        {
            if (a.Json(Annotations.ListenPorts) is not JsonArray entries)
                throw a.Invalid(Annotations.ListenPorts, "failed to parse listen-ports configuration: must be a JSON list like [{\"HTTP\":80},{\"HTTPS\":443}]");
            if (entries.Count == 0)
                throw a.Invalid(Annotations.ListenPorts, "empty listen-ports configuration");
            foreach (var entry in entries)
            {
                if (entry is not JsonObject obj)
                    throw a.Invalid(Annotations.ListenPorts, "failed to parse listen-ports configuration: every entry must be an object like {\"HTTPS\":443}");
                foreach (var (protocol, value) in obj)
                {
                    if (value is not JsonValue number || number.GetValueKind() != JsonValueKind.Number || !number.TryGetValue<long>(out var port))
                        throw a.Invalid(Annotations.ListenPorts, $"failed to parse listen-ports configuration: the port of {protocol} must be an integer");
                    if (port is < 1 or > 65535)
                        throw a.Invalid(Annotations.ListenPorts, string.Create(CultureInfo.InvariantCulture, $"listen port must be within [1, 65535]: {port}"));
                    if (protocol is not (Http or Https))
                        throw a.Invalid(Annotations.ListenPorts, $"listen protocol must be within [HTTP, HTTPS]: {protocol}");
                    ports[(int)port] = (protocol, field, raw);
                }
            }
        }

        var result = new List<MemberPort>();
        foreach (var (port, (protocol, portField, display)) in ports)
            result.Add(new MemberPort(port, protocol, portField, display, ParseListenerAttributes(member, protocol, port)));
        return result;
    }

    /// <summary>IngressClassParams <c>listeners[]</c> attributes of the protocol and port over <c>listener-attributes.PROTOCOL-PORT</c>.</summary>
    private static IReadOnlyDictionary<string, Setting<string>> ParseListenerAttributes(GroupMember member, string protocol, int port)
    {
        var result = new SortedDictionary<string, Setting<string>>(StringComparer.Ordinal);
        var suffix = string.Create(CultureInfo.InvariantCulture, $"{Annotations.ListenerAttributesPrefix}{protocol}-{port}");
        var field = "annotation " + Annotations.Prefix + suffix;
        foreach (var (key, value) in member.Annotations.StringMap(suffix) ?? new SortedDictionary<string, string>())
            result[key] = new Setting<string>(value, field, key + "=" + value);
        if (member.Params?.Listeners?.FirstOrDefault(l => l.Protocol == protocol && l.Port == port) is { } listener)
        {
            var paramsField = string.Create(CultureInfo.InvariantCulture, $"IngressClassParams {member.Params.Name} spec.listeners[{protocol}:{port}].listenerAttributes");
            foreach (var (key, value) in listener.ListenerAttributes)
                result[key] = new Setting<string>(value, paramsField, key + "=" + value);
        }
        return result;
    }

    private static Setting<string>? ParseLoadBalancerName(GroupMember member)
    {
        var setting = ParamsOrAnnotation(member, member.Params?.LoadBalancerName, "spec.loadBalancerName", Annotations.LoadBalancerName);
        if (setting is not null && AwsLimits.LoadBalancerName(setting.Value) is { } problem)
            throw Error(member, setting, problem);
        return setting;
    }

    private static Setting<string>? OneOf(GroupMember member, string? fromParams, string paramsField, string suffix, string[] allowed)
    {
        var setting = ParamsOrAnnotation(member, fromParams, paramsField, suffix);
        if (setting is not null && !allowed.Contains(setting.Value))
            throw Error(member, setting, "must be one of: " + string.Join(", ", allowed));
        return setting;
    }

    private static Setting<string>? ParseCustomerOwnedIpv4Pool(GroupMember member)
    {
        var setting = ParamsOrAnnotation(member, null, string.Empty, Annotations.CustomerOwnedIpv4Pool);
        if (setting is not null && setting.Value.Length == 0)
            throw Error(member, setting, "cannot use empty value for customer-owned-ipv4-pool annotation");
        return setting;
    }

    /// <summary>
    /// The member's WAFv2 web ACL: <c>wafv2-acl-arn</c> (or IngressClassParams <c>spec.wafv2AclArn</c>) as written, or
    /// <c>wafv2-acl-name</c> resolved to the ARN of the <c>REGIONAL</c> web ACL of that name. Both annotations on one
    /// Ingress is an error, and so is a name no web ACL has.
    /// </summary>
    private static Setting<string>? ParseWafv2Acl(GroupMember member, AwsFacts facts)
    {
        var arn = ParamsOrAnnotation(member, member.Params?.Wafv2AclArn, "spec.wafv2AclArn", Annotations.Wafv2AclArn);
        // WAFv2 would refuse anything else only at deploy time, after the rest of the group was changed.
        if (arn is not null && arn.Value != "none" && !RegionalWebAclArn().IsMatch(arn.Value))
            throw Error(member, arn, "must be the ARN of a REGIONAL web ACL (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>) or none");
        if (arn is not null && arn.Value != "none" && facts.WebAclsListed && !facts.WebAclArnsByName.Values.Contains(arn.Value, StringComparer.Ordinal))
            throw Error(member, arn, "no REGIONAL web ACL with this ARN exists in this account and Region");
        if (arn is not null && arn.Field.StartsWith("IngressClassParams ", StringComparison.Ordinal))
            return arn;
        if (member.Annotations.String(Annotations.Wafv2AclName) is not { } raw)
            return arn;
        var name = new Setting<string>(raw.Trim(), AnnotationField(Annotations.Wafv2AclName), raw);
        if (arn is not null)
        {
            throw Error(member, name, $"cannot be combined with annotation {Annotations.Prefix}{Annotations.Wafv2AclArn} "
                + $"({arn.Display}): set either {Annotations.Prefix}{Annotations.Wafv2AclArn} or {Annotations.Prefix}{Annotations.Wafv2AclName}");
        }
        if (name.Value.Length == 0)
            throw Error(member, name, "cannot use empty value for wafv2-acl-name annotation");
        if (!facts.WebAclArnsByName.TryGetValue(name.Value, out var resolved))
            throw Error(member, name, $"couldn't find WAFv2 WebACL with name: {name.Value} (scope REGIONAL)");
        return name with { Value = resolved };
    }

    private static Setting<int>? ParseSslRedirect(GroupMember member)
    {
        if (member.Params?.SslRedirectPort is { Length: > 0 } fromParams)
        {
            var field = $"IngressClassParams {member.Params.Name} spec.sslRedirectPort";
            if (!int.TryParse(fromParams, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                throw new InvalidInputException(new BuildError("IngressClassParams " + member.Params.Name, "spec.sslRedirectPort", fromParams, "must be a port number (1-65535)"));
            return new Setting<int>(port, field, fromParams);
        }
        var a = member.Annotations;
        if (a.Int(Annotations.SslRedirect, 1, 65535) is not { } value)
            return null;
        return new Setting<int>((int)value, AnnotationField(Annotations.SslRedirect), a.String(Annotations.SslRedirect));
    }

    private static Setting<int>? ParseMinimumCapacity(GroupMember member)
    {
        if (member.Params?.MinimumCapacityUnits is { } fromParams)
        {
            if (fromParams < 1)
                throw new InvalidInputException(new BuildError("IngressClassParams " + member.Params.Name, "spec.minimumLoadBalancerCapacity.capacityUnits",
                    fromParams.ToString(CultureInfo.InvariantCulture), "must be a positive integer"));
            return new Setting<int>(fromParams, $"IngressClassParams {member.Params.Name} spec.minimumLoadBalancerCapacity.capacityUnits",
                fromParams.ToString(CultureInfo.InvariantCulture));
        }
        var a = member.Annotations;
        if (a.StringMap(Annotations.MinimumLoadBalancerCapacity) is not { } map)
            return null;
        if (map.Count != 1 || !map.TryGetValue("CapacityUnits", out var raw))
            throw a.Invalid(Annotations.MinimumLoadBalancerCapacity, "must be CapacityUnits=<number>, the only supported key");
        if (!int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var units) || units < 1)
            throw a.Invalid(Annotations.MinimumLoadBalancerCapacity, "CapacityUnits must be a positive integer");
        return new Setting<int>(units, AnnotationField(Annotations.MinimumLoadBalancerCapacity), a.String(Annotations.MinimumLoadBalancerCapacity));
    }

    private static void ParseLoadBalancerAttributes(GroupMember member, SortedDictionary<string, Setting<string>> into)
    {
        var field = AnnotationField(Annotations.LoadBalancerAttributes);
        foreach (var (key, value) in member.Annotations.StringMap(Annotations.LoadBalancerAttributes) ?? new SortedDictionary<string, string>())
        {
            if (AwsLimits.LoadBalancerAttribute(key, value) is { } problem)
                throw member.Annotations.Invalid(Annotations.LoadBalancerAttributes, $"attribute {key}={value}: {problem}");
            into[key] = new Setting<string>(value, field, key + "=" + value);
        }
        // IngressClassParams attributes win per key (upstream resolves annotation conflicts with the class's value).
        if (member.Params?.LoadBalancerAttributes is { } fromParams)
        {
            var paramsField = $"IngressClassParams {member.Params.Name} spec.loadBalancerAttributes";
            foreach (var (key, value) in fromParams)
            {
                if (AwsLimits.LoadBalancerAttribute(key, value) is { } problem)
                {
                    throw new InvalidInputException(new BuildError("IngressClassParams " + member.Params.Name, "spec.loadBalancerAttributes", key + "=" + value,
                        $"attribute {key}: {problem}"));
                }
                into[key] = new Setting<string>(value, paramsField, key + "=" + value);
            }
        }
    }

    private static void ParseTags(GroupMember member, ClusterSettings cluster, SortedDictionary<string, Setting<string>> into)
    {
        var a = member.Annotations;
        var field = AnnotationField(Annotations.Tags);
        foreach (var (key, value) in a.StringMap(Annotations.Tags) ?? new SortedDictionary<string, string>())
        {
            if (cluster.ExternalManagedTags.Contains(key))
                throw a.Invalid(Annotations.Tags, $"external managed tag key {key} cannot be specified");
            into[key] = new Setting<string>(value, field, key + "=" + value);
        }
        if (member.Params?.Tags is { } fromParams)
        {
            var paramsField = $"IngressClassParams {member.Params.Name} spec.tags";
            foreach (var (key, value) in fromParams)
            {
                if (cluster.ExternalManagedTags.Contains(key))
                {
                    throw new InvalidInputException(new BuildError("IngressClassParams " + member.Params.Name, "spec.tags", key + "=" + value,
                        $"external managed tag key {key} cannot be specified"));
                }
                into[key] = new Setting<string>(value, paramsField, key + "=" + value);
            }
        }
    }

    /// <summary>Upstream's <c>computeIngressExplicitInboundCIDRs</c>: IngressClassParams, else the annotation; each a valid CIDR.</summary>
    private static Setting<Cidrs>? ParseInboundCidrs(GroupMember member)
    {
        IReadOnlyList<string> raw;
        string field;
        string? display;
        Func<string, InvalidInputException> invalid;
        if (member.Params?.InboundCidrs is { Count: > 0 } fromParams)
        {
            var paramsName = member.Params.Name;
            raw = fromParams;
            field = $"IngressClassParams {paramsName} spec.inboundCIDRs";
            display = string.Join(',', fromParams);
            invalid = message => new InvalidInputException(new BuildError("IngressClassParams " + paramsName, "spec.inboundCIDRs", string.Join(',', fromParams), message));
        }
        else if (member.Annotations.StringList(Annotations.InboundCidrs) is { } fromAnnotation)
        {
            raw = fromAnnotation;
            field = AnnotationField(Annotations.InboundCidrs);
            display = member.Annotations.String(Annotations.InboundCidrs);
            invalid = message => member.Annotations.Invalid(Annotations.InboundCidrs, message);
        }
        else
        {
            return null;
        }
        var v4 = new List<string>();
        var v6 = new List<string>();
        foreach (var cidr in raw)
        {
            if (!IsCidr(cidr))
                throw invalid($"invalid CIDR address: {cidr}");
            var list = cidr.Contains(':', StringComparison.Ordinal) ? v6 : v4;
            if (!list.Contains(cidr))
                list.Add(cidr);
        }
        return new Setting<Cidrs>(new Cidrs(v4, v6), field, display);
    }

    private static Setting<IReadOnlyList<string>>? ParsePrefixLists(GroupMember member)
    {
        // Upstream: spec.prefixListsIDs, else the legacy spec.PrefixListsIDs, else the annotation.
        var fromParams = member.Params?.PrefixListIds is { Count: > 0 } current ? (current, "spec.prefixListsIDs")
            : member.Params?.LegacyPrefixListIds is { Count: > 0 } legacy ? (legacy, "spec.PrefixListsIDs")
            : ((IReadOnlyList<string>, string)?)null;
        if (fromParams is var (ids, paramsField))
        {
            var display = string.Join(',', ids);
            if (ids.Select(AwsLimits.PrefixListId).FirstOrDefault(static p => p is not null) is { } problem)
                throw new InvalidInputException(new BuildError("IngressClassParams " + member.Params!.Name, paramsField, display, problem));
            return new Setting<IReadOnlyList<string>>([.. ids.Distinct()], $"IngressClassParams {member.Params!.Name} {paramsField}", display);
        }
        if (member.Annotations.StringList(Annotations.SecurityGroupPrefixLists) is not { } fromAnnotation)
            return null;
        if (fromAnnotation.Select(AwsLimits.PrefixListId).FirstOrDefault(static p => p is not null) is { } invalid)
            throw member.Annotations.Invalid(Annotations.SecurityGroupPrefixLists, invalid);
        return new Setting<IReadOnlyList<string>>([.. fromAnnotation.Distinct()], AnnotationField(Annotations.SecurityGroupPrefixLists),
            member.Annotations.String(Annotations.SecurityGroupPrefixLists));
    }

    /// <summary>IngressClassParams <c>certificateArn</c>, else the <c>certificate-arn</c> annotation; null when neither names one.</summary>
    private static Setting<IReadOnlyList<string>>? ParseCertificates(GroupMember member)
    {
        if (member.Params?.CertificateArns is { Count: > 0 } fromParams)
            return new Setting<IReadOnlyList<string>>(fromParams, $"IngressClassParams {member.Params.Name} spec.certificateArn", string.Join(',', fromParams));
        if (member.Annotations.StringList(Annotations.CertificateArn) is not { Count: > 0 } fromAnnotation)
            return null;
        return new Setting<IReadOnlyList<string>>(fromAnnotation, AnnotationField(Annotations.CertificateArn), member.Annotations.String(Annotations.CertificateArn));
    }

    private static Setting<SubnetChoice>? ParseSubnets(GroupMember member, AwsFacts facts, ClusterSettings cluster)
    {
        if (member.Params?.Subnets is { } selector)
        {
            var obj = "IngressClassParams " + member.Params.Name;
            var (canonical, display) = SubnetResolver.Describe(selector);
            var resolved = SubnetResolver.ResolveSelector(selector, facts, cluster.ClusterName);
            if (resolved.Error is { } problem)
                throw new InvalidInputException(new BuildError(obj, "spec.subnets", display, problem));
            return new Setting<SubnetChoice>(new SubnetChoice(canonical, resolved.SubnetIds), obj + " spec.subnets", display);
        }
        var a = member.Annotations;
        if (a.StringList(Annotations.Subnets) is not { } nameOrIds)
            return null;
        var result = SubnetResolver.ResolveNamesOrIds(nameOrIds, facts);
        if (result.Error is { } error)
            throw a.Invalid(Annotations.Subnets, error);
        var canonicalList = "annotation:" + string.Join(',', nameOrIds.Distinct().Order(StringComparer.Ordinal));
        return new Setting<SubnetChoice>(new SubnetChoice(canonicalList, result.SubnetIds), AnnotationField(Annotations.Subnets), a.String(Annotations.Subnets));
    }

    private static Setting<IReadOnlyList<string>>? ParseSecurityGroups(GroupMember member, AwsFacts facts, ClusterSettings cluster)
    {
        var a = member.Annotations;
        if (a.StringList(Annotations.SecurityGroups) is not { } nameOrIds)
            return null;
        if (nameOrIds.Count == 0)
            throw a.Invalid(Annotations.SecurityGroups, "must name at least one security group (ID or Name tag)");
        var (ids, error) = SecurityGroupBuilder.Resolve(nameOrIds, facts);
        if (error is not null)
            throw a.Invalid(Annotations.SecurityGroups, error);
        if (ids.Count > cluster.MaxSecurityGroupsPerLoadBalancer)
        {
            throw a.Invalid(Annotations.SecurityGroups, string.Create(CultureInfo.InvariantCulture,
                $"names {ids.Count} security groups; a load balancer can have at most {cluster.MaxSecurityGroupsPerLoadBalancer}"));
        }
        return new Setting<IReadOnlyList<string>>(ids, AnnotationField(Annotations.SecurityGroups), a.String(Annotations.SecurityGroups));
    }

    private static Setting<string>? ParamsOrAnnotation(GroupMember member, string? fromParams, string paramsField, string suffix)
    {
        if (fromParams is { Length: > 0 })
            return new Setting<string>(fromParams, $"IngressClassParams {member.Params!.Name} {paramsField}", fromParams);
        if (member.Annotations.String(suffix) is not { } value)
            return null;
        return new Setting<string>(value.Trim(), AnnotationField(suffix), value);
    }

    private static Setting<T>? FromAnnotation<T>(AnnotationReader annotations, string suffix, Func<string, T?> read)
        where T : struct =>
        read(suffix) is { } value ? new Setting<T>(value, AnnotationField(suffix), annotations.String(suffix)) : null;

    private static InvalidInputException Error<T>(GroupMember member, Setting<T> setting, string message)
    {
        const string paramsPrefix = "IngressClassParams ";
        if (setting.Field.StartsWith(paramsPrefix, StringComparison.Ordinal))
        {
            var space = setting.Field.IndexOf(' ', paramsPrefix.Length);
            return new InvalidInputException(new BuildError(setting.Field[..space], setting.Field[(space + 1)..], setting.Display, message));
        }
        return new InvalidInputException(new BuildError(member.Description, setting.Field, setting.Display, message));
    }

    /// <summary>A CIDR as Go's <c>net.ParseCIDR</c> accepts it: an IP address, a slash, a prefix length that fits it.</summary>
    internal static bool IsCidr(string value)
    {
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !IPAddress.TryParse(value.AsSpan(0, slash), out var address))
            return false;
        var prefix = value.AsSpan(slash + 1);
        if (prefix.Length is 0 or > 3 || !int.TryParse(prefix, NumberStyles.None, CultureInfo.InvariantCulture, out var bits))
            return false;
        var max = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32;
        // IPAddress also accepts forms Go rejects (a bare integer, "1.2.3"); require the usual dotted or colon form.
        var text = value[..slash];
        var shaped = max == 128 ? text.Contains(':', StringComparison.Ordinal) : text.Count(static c => c == '.') == 3;
        return shaped && bits <= max;
    }

    internal static string AnnotationField(string suffix) => "annotation " + Annotations.Prefix + suffix;

    private static void Collect(List<BuildError> errors, Action parse)
    {
        try
        {
            parse();
        }
        catch (InvalidInputException ex)
        {
            errors.Add(ex.Error);
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]+:regional/webacl/[^/]+/[^/]+$")]
    private static partial System.Text.RegularExpressions.Regex RegionalWebAclArn();
}
