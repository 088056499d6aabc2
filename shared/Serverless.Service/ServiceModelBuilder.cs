using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using k8s.Models;
using Serverless.Ingress;
using Serverless.Ingress.Backend;
using Serverless.Model;

namespace Serverless.Service;

/// <summary>
/// Turns one Kubernetes Service of type LoadBalancer into the Network Load Balancer stack upstream builds for it
/// (<c>pkg/service/model_build_*.go</c>): same names, tags, listeners, target groups, health checks, attributes and
/// security groups, so an NLB created by upstream is adopted rather than recreated. Pure: no I/O, no clock, no
/// randomness; never throws for any snapshot — bad input freezes the stack with errors naming field and value.
/// </summary>
public static class ServiceModelBuilder
{
    /// <summary>Builds the desired stack of <paramref name="snapshot"/>'s Service.</summary>
    public static ServiceBuild Build(ServiceSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        try
        {
            return new ServiceBuildTask(snapshot).Run();
        }
#pragma warning disable CA1031 // The builder's contract is never to throw: a defect freezes the stack and says so.
        catch (Exception e)
#pragma warning restore CA1031
        {
            var stack = snapshot.Stack
                ?? StackId.Service(snapshot.Service?.Metadata?.NamespaceProperty ?? string.Empty, snapshot.Service?.Metadata?.Name ?? string.Empty);
            var error = new BuildError($"Service {stack}", "model", null, $"internal error while building the model ({e.GetType().Name}: {e.Message}); nothing is changed");
            return new ServiceBuild
            {
                Stack = new Stack
                {
                    Id = stack,
                    ClusterName = snapshot.Cluster?.ClusterName ?? string.Empty,
                    AllMembersFrozen = true,
                    Ingresses = [Outcome(stack, IngressState.Frozen, [error])],
                },
            };
        }
    }

    internal static IngressOutcome Outcome(StackId stack, IngressState state, IReadOnlyList<BuildError> errors) => new()
    {
        Namespace = stack.Namespace ?? string.Empty,
        Name = stack.Name ?? stack.ToString(),
        State = state,
        Finalizer = state == IngressState.Leaving ? null : ServiceSelection.Finalizer,
        Errors = errors,
    };
}

/// <summary>One build: the Service, its annotation reader, and the errors and warnings found so far.</summary>
internal sealed class ServiceBuildTask
{
    private const string Internal = "internal";
    private const string InternetFacing = "internet-facing";
    private const string TrafficPort = "traffic-port";
    private const string ProxyProtocolAttribute = "proxy_protocol_v2.enabled";
    private const string PreserveClientIpAttribute = "preserve_client_ip.enabled";

    private readonly ServiceSnapshot _snapshot;
    private readonly List<BuildError> _errors = [];
    private readonly List<string> _warnings = [];
    private readonly StackId _stack;
    private readonly string _object;
    private V1Service _service = null!;
    private ServiceAnnotationReader _reader = null!;
    private BuildContext _context = null!;

    public ServiceBuildTask(ServiceSnapshot snapshot)
    {
        _snapshot = snapshot;
        _stack = snapshot.Stack;
        _object = $"Service {_stack}";
    }

    private ClusterSettings Cluster => _snapshot.Cluster;

    private string Namespace => _service.Metadata?.NamespaceProperty ?? string.Empty;

    private string Name => _service.Metadata?.Name ?? string.Empty;

    private string Uid => _service.Metadata?.Uid ?? string.Empty;

    public ServiceBuild Run()
    {
        if (_snapshot.Service is not { } service)
            return Leaving([]);
        _service = service;
        _reader = new ServiceAnnotationReader(_object, service.Metadata?.Annotations, _errors);
        if (!_stack.IsService || _stack.Namespace != Namespace || _stack.Name != Name)
        {
            _errors.Add(new BuildError(_object, "metadata", $"{Namespace}/{Name}",
                $"the snapshot's Service is not the one of stack {_stack} ({(_stack.IsService ? "a Service stack" : "an Ingress group")})"));
            return Frozen([]);
        }
        if (!ServiceSelection.IsOurs(service, _snapshot.LoadBalancerClass))
            return NotOurs();

        WarnAboutAnnotations();
        var scheme = Scheme();
        var ipAddressType = IpAddressType();
        var names = KnownNames();
        if (_errors.Count > 0 || scheme is null || ipAddressType is null)
            return Frozen(names);
        _context = new BuildContext(new GroupSnapshot
        {
            Group = _stack,
            Cluster = Cluster,
            Aws = _snapshot.Aws,
            Services = [service],
            EndpointSlices = [.. _snapshot.EndpointSlices.Where(static s => s?.Metadata is not null)],
            Nodes = [.. _snapshot.Nodes.Where(static n => n is not null)],
            Pods = [.. _snapshot.Pods.Where(static p => p?.Metadata is not null)],
        });

        var subnets = Subnets(scheme, ipAddressType);
        var tags = AdditionalTags();
        if (_errors.Count > 0 || subnets is null || tags is null)
            return Frozen(names);
        var loadBalancer = LoadBalancer(scheme, ipAddressType, subnets, tags);
        var securityGroups = SecurityGroups(ipAddressType, tags);
        var ports = ListenerPorts();
        if (_errors.Count > 0 || loadBalancer is null || securityGroups is null || ports is null)
            return Frozen(names);

        var listeners = new List<ListenerSpec>();
        var targetGroups = new List<TargetGroupSpec>();
        var targetSets = new List<TargetSetSpec>();
        var bindings = new List<Binding>();
        var config = ListenerConfig();
        if (config is null)
            return Frozen(names);
        foreach (var (port, merged) in ports)
        {
            if (Listener(port, merged, config, tags, ipAddressType) is not { } built)
                continue;
            listeners.Add(built.Listener);
            targetGroups.Add(built.TargetGroup);
            targetSets.Add(built.Targets);
            bindings.Add(built.Binding);
        }
        var nodeRules = NodeRules(securityGroups, bindings, scheme, subnets);
        if (_errors.Count > 0)
            return Frozen(names);
        WarnAboutUnmatchedListenerAttributes(listeners);

        var stack = new Stack
        {
            Id = _stack,
            ClusterName = Cluster.ClusterName,
            LoadBalancer = loadBalancer with { SecurityGroups = securityGroups.LoadBalancerGroups },
            KnownLoadBalancerNames = [.. names.Where(n => n != loadBalancer.Name)],
            ManagedSecurityGroup = securityGroups.Managed,
            BackendSecurityGroup = securityGroups.Backend,
            NodeSecurityGroupRules = nodeRules,
            Listeners = [.. listeners.OrderBy(static l => l.Port)],
            TargetGroups = [.. targetGroups.OrderBy(static t => t.Id, StringComparer.Ordinal)],
            TargetSets = [.. targetSets.OrderBy(static t => t.TargetGroupId, StringComparer.Ordinal)],
            Ingresses = [ServiceModelBuilder.Outcome(_stack, IngressState.Active, [])],
        };
        return new ServiceBuild { Stack = stack, Warnings = SortedWarnings() };
    }

    // ---- outcomes -------------------------------------------------------------------------------------------------

    private ServiceBuild Leaving(IReadOnlyList<string> names) => new()
    {
        Stack = new Stack
        {
            Id = _stack,
            ClusterName = Cluster.ClusterName,
            KnownLoadBalancerNames = names,
            Ingresses = [ServiceModelBuilder.Outcome(_stack, IngressState.Leaving, [])],
        },
        Warnings = SortedWarnings(),
    };

    private ServiceBuild Frozen(IReadOnlyList<string> names) => new()
    {
        Stack = new Stack
        {
            Id = _stack,
            ClusterName = Cluster.ClusterName,
            AllMembersFrozen = true,
            KnownLoadBalancerNames = names,
            Ingresses = [ServiceModelBuilder.Outcome(_stack, IngressState.Frozen, SortedErrors())],
        },
        Warnings = SortedWarnings(),
    };

    // Canonical order, so the outcome does not depend on the order of ports, slices or nodes (an error found once per
    // port is reported once).
    private List<BuildError> SortedErrors() =>
        [.. _errors.Distinct()
            .OrderBy(static e => e.Field, StringComparer.Ordinal)
            .ThenBy(static e => e.Value ?? string.Empty, StringComparer.Ordinal)
            .ThenBy(static e => e.Message, StringComparer.Ordinal)];

    private List<string> SortedWarnings() => [.. _warnings.Distinct().Order(StringComparer.Ordinal)];

    /// <summary>
    /// Not (or no longer) ours: delete what was built for it, unless it still has our finalizer and its
    /// <c>aws-load-balancer-attributes</c> ask for deletion protection (upstream's guard).
    /// </summary>
    private ServiceBuild NotOurs()
    {
        var names = KnownNames(withAnnotatedName: true);
        if (ServiceSelection.HasFinalizer(_service) && _reader.Map(ServiceAnnotations.Attributes) is { } attributes
            && attributes.TryGetValue("deletion_protection.enabled", out var raw))
        {
            var enabled = ServiceAnnotationReader.ParseGoBool(raw);
            if (enabled is null)
            {
                _reader.Error(ServiceAnnotations.Attributes, _reader.String(ServiceAnnotations.Attributes),
                    $"deletion_protection.enabled={raw} is not a bool: the load balancer is kept until it is true or false");
            }
            else if (enabled == true)
            {
                _reader.Error(ServiceAnnotations.Attributes, _reader.String(ServiceAnnotations.Attributes),
                    $"deletion_protection is enabled, cannot delete the service: {Name}; set deletion_protection.enabled=false first (the load balancer is kept)");
            }
        }
        return _errors.Count > 0 ? Frozen(names) : Leaving(names);
    }

    /// <summary>Every name the NLB may have: the hashed name under either scheme, and <c>aws-load-balancer-name</c>.</summary>
    private List<string> KnownNames(bool withAnnotatedName = true)
    {
        var names = new List<string> { HashedName(Internal), HashedName(InternetFacing) };
        if (withAnnotatedName && _reader.String(ServiceAnnotations.Name) is { Length: > 0 and <= 32 } custom)
            names.Add(custom);
        return [.. names.Distinct().Order(StringComparer.Ordinal)];
    }

    private string HashedName(string scheme) =>
        $"k8s-{Short(Namespace, 8)}-{Short(Name, 8)}-{Naming.Sha256Hex(Cluster.ClusterName, Uid, scheme)[..10]}";

    private static string Short(string value, int max)
    {
        var sanitized = Naming.Sanitize(value);
        return sanitized.Length <= max ? sanitized : sanitized[..max];
    }

    // ---- load balancer --------------------------------------------------------------------------------------------

    private string? Scheme()
    {
        if (_reader.String(ServiceAnnotations.Scheme) is { } raw)
        {
            if (raw is Internal or InternetFacing)
                return raw;
            _reader.Error(ServiceAnnotations.Scheme, raw, $"unknown scheme: {raw} (expected internal or internet-facing)");
            return null;
        }
        if (_reader.Has(ServiceAnnotations.Internal))
        {
            return _reader.Bool(ServiceAnnotations.Internal) switch
            {
                true => Internal,
                false => InternetFacing,
                null => null,
            };
        }
        if (_snapshot.Aws.ExistingLoadBalancer is { } existing)
        {
            if (existing.Scheme is Internal or InternetFacing)
                return existing.Scheme;
            _errors.Add(new BuildError(_object, "existing load balancer scheme", existing.Scheme, "invalid load balancer scheme"));
            return null;
        }
        return Cluster.DefaultScheme is InternetFacing ? InternetFacing : Internal;
    }

    private string? IpAddressType()
    {
        if (_reader.String(ServiceAnnotations.IpAddressType) is not { } raw)
            return "ipv4";
        if (raw is "ipv4" or "dualstack")
            return raw;
        _reader.Error(ServiceAnnotations.IpAddressType, raw, $"unknown IPAddressType: {raw} (expected ipv4 or dualstack)");
        return null;
    }

    /// <summary>
    /// The annotation (input order kept), else the existing NLB's subnets when its scheme is the desired one, else
    /// discovery by role tag. A network load balancer needs one subnet.
    /// </summary>
    private IReadOnlyList<SubnetFact>? Subnets(string scheme, string ipAddressType)
    {
        var aws = _snapshot.Aws;
        IReadOnlyList<string>? wanted = null;
        string? field = null;
        if (_reader.List(ServiceAnnotations.Subnets) is { } listed)
        {
            wanted = listed;
            field = ServiceAnnotations.Field(ServiceAnnotations.Subnets);
        }
        else if (aws.ExistingLoadBalancer is { } existing && existing.Scheme == scheme && existing.SubnetIds.Count > 0)
        {
            wanted = existing.SubnetIds;
            field = "subnets of the existing load balancer";
        }

        SubnetResult result;
        if (wanted is not null)
        {
            result = SubnetResolver.ResolveNamesOrIds(wanted, aws, minimumZones: 1);
            if (result.Error is null)
                result = result with { SubnetIds = InInputOrder(wanted, result.SubnetIds, aws) };
        }
        else
        {
            result = SubnetResolver.Discover(scheme, ipAddressType, aws, Cluster.ClusterName, minimumZones: 1,
                subnetsAnnotation: ServiceAnnotations.Prefix + ServiceAnnotations.Subnets);
            field = "subnets";
        }
        if (result.Error is { } error)
        {
            _errors.Add(new BuildError(_object, field!, wanted is null ? null : string.Join(",", wanted), error));
            return null;
        }
        var byId = aws.Subnets.DistinctBy(static s => s.Id).ToDictionary(static s => s.Id, StringComparer.Ordinal);
        return [.. result.SubnetIds.Select(id => byId[id])];
    }

    /// <summary>The resolved subnets in the order they were asked for (an EIP or address is matched by index).</summary>
    private static List<string> InInputOrder(IReadOnlyList<string> wanted, IReadOnlyList<string> resolved, AwsFacts aws)
    {
        var used = new Dictionary<string, int>(StringComparer.Ordinal);
        var ordered = new List<string>();
        foreach (var entry in wanted)
        {
            if (entry.StartsWith("subnet-", StringComparison.Ordinal))
            {
                ordered.Add(entry);
                continue;
            }
            var named = aws.Subnets.DistinctBy(static s => s.Id).OrderBy(static s => s.Id, StringComparer.Ordinal)
                .Where(s => s.Tags.TryGetValue("Name", out var n) && n == entry).ToList();
            var index = used.GetValueOrDefault(entry);
            if (index < named.Count)
                ordered.Add(named[index].Id);
            used[entry] = index + 1;
        }
        var result = ordered.Where(resolved.Contains).Distinct().ToList();
        result.AddRange(resolved.Where(id => !result.Contains(id)));
        return result;
    }

    private SortedDictionary<string, string>? AdditionalTags()
    {
        var tags = _reader.Map(ServiceAnnotations.AdditionalTags) ?? new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in tags.Keys.Where(k => Cluster.ExternalManagedTags.Contains(k)))
        {
            _reader.Error(ServiceAnnotations.AdditionalTags, _reader.String(ServiceAnnotations.AdditionalTags),
                $"external managed tag key {key} cannot be specified on Service");
        }
        return _errors.Count > 0 ? null : tags;
    }

    private LoadBalancerSpec? LoadBalancer(string scheme, string ipAddressType, IReadOnlyList<SubnetFact> subnets, SortedDictionary<string, string> tags)
    {
        var sourceNat = SourceNat(ipAddressType, subnets);
        var attributes = LoadBalancerAttributes();
        var capacity = MinimumCapacity();
        var mappings = SubnetMappings(scheme, ipAddressType, subnets, sourceNat == "on");
        var name = LoadBalancerName(scheme);
        string? privateLink = null;
        if (_reader.String(ServiceAnnotations.InboundSgRulesOnPrivateLink) is { } raw)
        {
            if (raw is "on" or "off")
                privateLink = raw;
            else
                _reader.Error(ServiceAnnotations.InboundSgRulesOnPrivateLink, raw, $"Invalid value for securityGroupsInboundRulesOnPrivateLink status: {raw}, value must be one of [on, off]");
        }
        if (attributes is null || mappings is null || name is null)
            return null;
        return new LoadBalancerSpec
        {
            Name = name,
            Type = "network",
            Scheme = scheme,
            IpAddressType = ipAddressType,
            Subnets = [.. subnets.Select(static s => s.Id)],
            SubnetMappings = mappings,
            EnablePrefixForIpv6SourceNat = sourceNat,
            EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic = privateLink,
            Attributes = attributes,
            Tags = _context.Tags(ResourceIds.LoadBalancer, tags),
            MinimumCapacityUnits = capacity,
        };
    }

    private string? LoadBalancerName(string scheme)
    {
        if (_reader.String(ServiceAnnotations.Name) is not { } name)
            return HashedName(scheme);
        if (Encoding.UTF8.GetByteCount(name) > 32)
        {
            _reader.Error(ServiceAnnotations.Name, name, "load balancer name cannot be longer than 32 characters");
            return null;
        }
        if (name.Length == 0)
        {
            _reader.Error(ServiceAnnotations.Name, name, "load balancer name cannot be empty");
            return null;
        }
        return name;
    }

    private string? SourceNat(string ipAddressType, IReadOnlyList<SubnetFact> subnets)
    {
        const string key = ServiceAnnotations.EnablePrefixForIpv6SourceNat;
        if (_reader.String(key) is not { } raw)
            return null;
        if (raw is not ("on" or "off"))
        {
            _reader.Error(key, raw, $"Invalid enable-prefix-for-ipv6-source-nat value: {raw}. Valid values are ['on', 'off'].");
            return null;
        }
        if (raw == "on" && ipAddressType == "ipv4")
        {
            _reader.Error(key, raw, "enable-prefix-for-ipv6-source-nat annotation is only applicable to Network Load Balancers using Dualstack IP address type.");
            return null;
        }
        var withoutIpv6 = subnets.Where(static s => !s.HasIpv6).Select(static s => s.Id).ToList();
        if (raw == "on" && withoutIpv6.Count > 0)
        {
            _reader.Error(key, raw, $"To enable prefix for source NAT, all associated subnets must have an IPv6 CIDR. Subnets without IPv6 CIDR: {GoList(withoutIpv6)}.");
            return null;
        }
        return raw;
    }

    private List<SubnetMappingSpec>? SubnetMappings(string scheme, string ipAddressType, IReadOnlyList<SubnetFact> subnets, bool sourceNatOn)
    {
        var count = subnets.Count;
        var eips = _reader.List(ServiceAnnotations.EipAllocations);
        if (eips is not null)
        {
            if (scheme != InternetFacing)
                return Fail(ServiceAnnotations.EipAllocations, "EIP allocations can only be set for internet facing load balancers");
            if (eips.Count != count)
                return Fail(ServiceAnnotations.EipAllocations, Invariant($"count of EIP allocations ({eips.Count}) and subnets ({count}) must match"));
        }
        var v4 = _reader.List(ServiceAnnotations.PrivateIpv4Addresses);
        if (v4 is not null && scheme != Internal)
            return Fail(ServiceAnnotations.PrivateIpv4Addresses, "private IPv4 addresses can only be set for internal load balancers");
        var v4Addresses = Addresses(ServiceAnnotations.PrivateIpv4Addresses, v4, count, "private IPv4 addresses", "IPv4", AddressFamily.InterNetwork);
        var v6 = _reader.List(ServiceAnnotations.Ipv6Addresses);
        if (v6 is not null && ipAddressType != "dualstack")
            return Fail(ServiceAnnotations.Ipv6Addresses, "IPv6 addresses can only be set for dualstack load balancers");
        var v6Addresses = Addresses(ServiceAnnotations.Ipv6Addresses, v6, count, "IPv6 addresses", "IPv6", AddressFamily.InterNetworkV6);
        if (v4Addresses is null || v6Addresses is null)
            return null;
        var prefixes = _reader.List(ServiceAnnotations.SourceNatIpv6Prefixes);
        if (prefixes is not null)
        {
            const string key = ServiceAnnotations.SourceNatIpv6Prefixes;
            if (ipAddressType != "dualstack")
                return Fail(key, "source-nat-ipv6-prefixes annotation can only be set for Network Load Balancers using Dualstack IP address type.");
            if (!sourceNatOn)
                return Fail(key, "source-nat-ipv6-prefixes annotation is only applicable if enable-prefix-for-ipv6-source-nat annotation is set to on.");
            if (prefixes.Count != count)
                return Fail(key, Invariant($"Number of values in source-nat-ipv6-prefixes ({prefixes.Count}) must match the number of subnets ({count})."));
            foreach (var prefix in prefixes)
            {
                if (prefix != "auto_assigned" && !(IPNetwork.TryParse(prefix, out var network) && network.PrefixLength == 80
                    && network.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6))
                {
                    return Fail(key, $"Invalid value in source-nat-ipv6-prefixes: {prefix}. Values must be auto_assigned or an IPv6 /80 prefix of the subnet");
                }
            }
        }
        if (eips is null && v4 is null && v6 is null && (prefixes is null || !sourceNatOn))
            return [];

        var mappings = new List<SubnetMappingSpec>();
        for (var i = 0; i < subnets.Count; i++)
        {
            var subnet = subnets[i];
            string? v4Address = null;
            if (v4 is not null)
            {
                var within = IPNetwork.TryParse(subnet.CidrBlock, out var cidr) ? v4Addresses.Where(cidr.Contains).ToList() : [];
                if (within.Count != 1)
                    return Fail(ServiceAnnotations.PrivateIpv4Addresses, $"expect one private IPv4 address configured for subnet: {subnet.Id}");
                v4Address = within[0].ToString();
            }
            string? v6Address = null;
            if (v6 is not null)
            {
                var cidrs = _snapshot.SubnetIpv6Cidrs.GetValueOrDefault(subnet.Id) ?? [];
                var networks = cidrs.Select(static c => IPNetwork.TryParse(c, out var n) ? n : (IPNetwork?)null).OfType<IPNetwork>().ToList();
                var within = v6Addresses.Where(a => networks.Any(n => n.Contains(a))).ToList();
                if (within.Count != 1)
                    return Fail(ServiceAnnotations.Ipv6Addresses, $"expect one IPv6 address configured for subnet: {subnet.Id}");
                v6Address = within[0].ToString();
            }
            mappings.Add(new SubnetMappingSpec
            {
                SubnetId = subnet.Id,
                AllocationId = eips?[i],
                PrivateIpv4Address = v4Address,
                Ipv6Address = v6Address,
                SourceNatIpv6Prefix = sourceNatOn ? prefixes?[i] : null,
            });
        }
        return mappings;
    }

    /// <summary>One address per subnet, each of <paramref name="family"/>; empty when the annotation is absent, null after an error.</summary>
    private List<IPAddress>? Addresses(string suffix, IReadOnlyList<string>? raw, int subnets, string what, string familyName, AddressFamily family)
    {
        if (raw is null)
            return [];
        if (raw.Count != subnets)
            return Fail<IPAddress>(suffix, Invariant($"count of {what} ({raw.Count}) and subnets ({subnets}) must match"));
        var addresses = new List<IPAddress>();
        foreach (var text in raw)
        {
            if (!IPAddress.TryParse(text, out var address) || text.Contains('%', StringComparison.Ordinal))
                return Fail<IPAddress>(suffix, $"{what} must be valid IP address: {text}");
            if (address.AddressFamily != family)
                return Fail<IPAddress>(suffix, $"{what} must be valid {familyName} address: {text}");
            addresses.Add(address);
        }
        return addresses;
    }

    private List<SubnetMappingSpec>? Fail(string suffix, string message) => Fail<SubnetMappingSpec>(suffix, message);

    private List<T>? Fail<T>(string suffix, string message)
    {
        _reader.Error(suffix, _reader.String(suffix), message);
        return null;
    }

    /// <summary>The legacy access-log and cross-zone annotations, then <c>aws-load-balancer-attributes</c>; the legacy ones win a key.</summary>
    private SortedDictionary<string, string>? LoadBalancerAttributes()
    {
        var attributes = _reader.Map(ServiceAnnotations.Attributes);
        if (attributes?.TryGetValue("dns_record.client_routing_policy", out var policy) == true
            && policy is not ("availability_zone_affinity" or "partial_availability_zone_affinity" or "any_availability_zone"))
        {
            _reader.Error(ServiceAnnotations.Attributes, _reader.String(ServiceAnnotations.Attributes),
                $"invalid dns_record.client_routing_policy set in annotation {ServiceAnnotations.Attributes}: got '{policy}' expected one of ['any_availability_zone', 'partial_availability_zone_affinity', 'availability_zone_affinity']");
            return null;
        }
        var merged = new SortedDictionary<string, string>(attributes ?? new SortedDictionary<string, string>(StringComparer.Ordinal), StringComparer.Ordinal);
        var legacy = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (_reader.Bool(ServiceAnnotations.AccessLogEnabled) == true)
        {
            legacy["access_logs.s3.enabled"] = "true";
            if (_reader.String(ServiceAnnotations.AccessLogBucketName) is { } bucket)
                legacy["access_logs.s3.bucket"] = bucket;
            if (_reader.String(ServiceAnnotations.AccessLogBucketPrefix) is { } prefix)
                legacy["access_logs.s3.prefix"] = prefix;
        }
        if (_reader.Bool(ServiceAnnotations.CrossZoneEnabled) is { } crossZone)
            legacy["load_balancing.cross_zone.enabled"] = crossZone ? "true" : "false";
        foreach (var (key, value) in legacy)
        {
            if (merged.TryGetValue(key, out var other) && other != value)
                _warnings.Add($"annotation {ServiceAnnotations.Prefix}{ServiceAnnotations.Attributes} sets {key}={other}, but a legacy annotation sets {value}, which wins (as upstream)");
            merged[key] = value;
        }
        return merged;
    }

    private int? MinimumCapacity()
    {
        if (_reader.Map(ServiceAnnotations.MinimumCapacity) is not { } map)
            return null;
        int? units = null;
        foreach (var (key, value) in map)
        {
            if (key != "CapacityUnits")
            {
                _reader.Error(ServiceAnnotations.MinimumCapacity, _reader.String(ServiceAnnotations.MinimumCapacity), $"invalid key to set the capacity: {key}, Expected key: CapacityUnits");
                return null;
            }
            units = ServiceAnnotationReader.ParseGoInt32(value);
            if (units is null)
            {
                _reader.Error(ServiceAnnotations.MinimumCapacity, _reader.String(ServiceAnnotations.MinimumCapacity), $"invalid value to set the capacity: {value}");
                return null;
            }
        }
        return units;
    }

    // ---- security groups ------------------------------------------------------------------------------------------

    private sealed record SecurityGroupChoice(
        IReadOnlyList<StringOrRef> LoadBalancerGroups,
        SecurityGroupSpec? Managed,
        SecurityGroupSpec? Backend,
        StringOrRef? NodeRuleSource);

    /// <summary>Upstream's <c>buildLoadBalancerSecurityGroups</c>, first match wins.</summary>
    private SecurityGroupChoice? SecurityGroups(string ipAddressType, SortedDictionary<string, string> tags)
    {
        var disable = _reader.Bool(ServiceAnnotations.DisableNlbSecurityGroup);
        if (_errors.Count > 0)
            return null;
        var existingGroups = _snapshot.ExistingLoadBalancerSecurityGroups;
        var named = _reader.List(ServiceAnnotations.SecurityGroups) ?? [];
        if (_snapshot.Aws.ExistingLoadBalancer is not null && existingGroups is { Count: 0 })
        {
            if (named.Count > 0)
            {
                _warnings.Add($"annotation {ServiceAnnotations.Prefix}{ServiceAnnotations.SecurityGroups} is ignored: the existing load balancer was created without security groups, and AWS cannot add them to it (recreate the Service to use them)");
            }
            return new SecurityGroupChoice([], null, null, null);
        }
        if (disable == true)
        {
            if (_snapshot.Aws.ExistingLoadBalancer is not null && existingGroups is { Count: > 0 })
            {
                _reader.Error(ServiceAnnotations.DisableNlbSecurityGroup, _reader.String(ServiceAnnotations.DisableNlbSecurityGroup),
                    "conflicting security groups configuration: the existing load balancer has security groups, which AWS cannot remove");
                return null;
            }
            return new SecurityGroupChoice([], null, null, null);
        }
        if (named.Count == 0)
        {
            var managed = ManagedSecurityGroup(ipAddressType, tags);
            if (managed is null)
                return null;
            var managedRef = StringOrRef.To(ResourceRef.ManagedSecurityGroupId);
            if (!Cluster.EnableBackendSecurityGroup)
                return new SecurityGroupChoice([managedRef], managed, null, managedRef);
            var (backend, backendRef) = SecurityGroupBuilder.BackendGroup(_context);
            return new SecurityGroupChoice([managedRef, backendRef], managed, backend, backendRef);
        }
        var manage = _reader.Bool(ServiceAnnotations.ManageBackendSecurityGroupRules) ?? Cluster.ManageBackendSecurityGroupRules;
        var (ids, error) = SecurityGroupBuilder.Resolve(named, _snapshot.Aws);
        if (error is not null)
        {
            _reader.Error(ServiceAnnotations.SecurityGroups, _reader.String(ServiceAnnotations.SecurityGroups), error);
            return null;
        }
        var groups = ids.Select(StringOrRef.Of).ToList();
        if (!manage)
            return new SecurityGroupChoice(groups, null, null, null);
        if (!Cluster.EnableBackendSecurityGroup)
        {
            _reader.Error(ServiceAnnotations.ManageBackendSecurityGroupRules, _reader.String(ServiceAnnotations.ManageBackendSecurityGroupRules) ?? "true (--enable-manage-backend-security-group-rules)",
                "backendSG feature is required to manage worker node SG rules when frontendSG is manually specified (--enable-backend-security-group is off)");
            return null;
        }
        var (spec, reference) = SecurityGroupBuilder.BackendGroup(_context);
        groups.Add(reference);
        return new SecurityGroupChoice(groups, null, spec, reference);
    }

    private SecurityGroupSpec? ManagedSecurityGroup(string ipAddressType, SortedDictionary<string, string> tags)
    {
        var prefixLists = _reader.List(ServiceAnnotations.SecurityGroupPrefixLists);
        var icmp = _reader.String(ServiceAnnotations.IcmpForPathMtu) == "on";
        var cidrs = SourceRanges(ipAddressType, prefixLists is not null);
        if (cidrs is null)
            return null;
        var rules = new List<SecurityGroupRuleSpec>();
        foreach (var port in _service.Spec?.Ports ?? [])
        {
            if (port is null)
                continue;
            var protocol = (port.Protocol ?? "TCP").ToLowerInvariant();
            foreach (var cidr in cidrs)
            {
                var v6 = cidr.Contains(':', StringComparison.Ordinal);
                rules.Add(new SecurityGroupRuleSpec
                {
                    Protocol = protocol,
                    FromPort = port.Port,
                    ToPort = port.Port,
                    CidrIpv4 = v6 ? null : cidr,
                    CidrIpv6 = v6 ? cidr : null,
                });
                if (icmp)
                {
                    rules.Add(v6
                        ? new SecurityGroupRuleSpec { Protocol = "icmpv6", FromPort = 2, ToPort = 0, CidrIpv6 = cidr }
                        : new SecurityGroupRuleSpec { Protocol = "icmp", FromPort = 3, ToPort = 4, CidrIpv4 = cidr });
                }
            }
            foreach (var prefixList in prefixLists ?? [])
                rules.Add(new SecurityGroupRuleSpec { Protocol = protocol, FromPort = port.Port, ToPort = port.Port, PrefixListId = prefixList });
        }
        var name = $"k8s-{Short(Namespace, 8)}-{Short(Name, 8)}-{Naming.Sha256Hex(Cluster.ClusterName, Name, Namespace, Uid)[..10]}";
        return new SecurityGroupSpec
        {
            Id = ResourceIds.ManagedSecurityGroup,
            Name = name,
            Description = Naming.ManagedSecurityGroupDescription,
            Ingress = SortRules(rules),
            Tags = _context.Tags(ResourceIds.ManagedSecurityGroup, tags),
        };
    }

    /// <summary>
    /// <c>spec.loadBalancerSourceRanges</c>, else <c>load-balancer-source-ranges</c>, else (without prefix lists)
    /// <c>0.0.0.0/0</c> and, dualstack, <c>::/0</c>.
    /// </summary>
    private List<string>? SourceRanges(string ipAddressType, bool prefixListsConfigured)
    {
        var fromSpec = (_service.Spec?.LoadBalancerSourceRanges ?? []).Where(static c => c is not null).ToList();
        var field = "spec.loadBalancerSourceRanges";
        var cidrs = fromSpec;
        if (cidrs.Count == 0)
        {
            cidrs = [.. _reader.List(ServiceAnnotations.SourceRanges) ?? []];
            field = ServiceAnnotations.Field(ServiceAnnotations.SourceRanges);
        }
        foreach (var cidr in cidrs)
        {
            if (!IPNetwork.TryParse(cidr.Trim(), out _))
            {
                _errors.Add(new BuildError(_object, field, cidr, "is not a CIDR (e.g. 10.0.0.0/8)"));
                return null;
            }
            if (cidr.Contains(':', StringComparison.Ordinal) && ipAddressType != "dualstack")
            {
                _errors.Add(new BuildError(_object, field, cidr, $"unsupported v6 cidr {cidr} when lb is not dualstack"));
                return null;
            }
        }
        cidrs = [.. cidrs.Select(static c => c.Trim())];
        if (cidrs.Count == 0 && !prefixListsConfigured)
        {
            cidrs.Add("0.0.0.0/0");
            if (ipAddressType == "dualstack")
                cidrs.Add("::/0");
        }
        return cidrs;
    }

    private static List<SecurityGroupRuleSpec> SortRules(IEnumerable<SecurityGroupRuleSpec> rules) =>
        [.. rules.Distinct()
            .OrderBy(static r => r.Protocol, StringComparer.Ordinal)
            .ThenBy(static r => r.FromPort)
            .ThenBy(static r => r.ToPort)
            .ThenBy(static r => r.CidrIpv4 ?? string.Empty, StringComparer.Ordinal)
            .ThenBy(static r => r.CidrIpv6 ?? string.Empty, StringComparer.Ordinal)
            .ThenBy(static r => r.PrefixListId ?? string.Empty, StringComparer.Ordinal)
            .ThenBy(static r => r.SourceSecurityGroup?.ToString() ?? string.Empty, StringComparer.Ordinal)];

    // ---- listeners ------------------------------------------------------------------------------------------------

    private sealed record ListenerSettings(
        IReadOnlyList<string> Certificates,
        IReadOnlySet<string> TlsPorts,
        IReadOnlySet<string> QuicPorts,
        string SslPolicy,
        string? BackendProtocol);

    /// <summary>
    /// The Service ports that become listeners: one per port number. With <c>enable-tcp-udp-listener</c> a TCP and
    /// a UDP port of the same number merge into one TCP_UDP listener (built from the first in spec order); without
    /// it, a second port of the same number is dropped, as upstream does.
    /// </summary>
    private List<(V1ServicePort Port, bool Merged)>? ListenerPorts()
    {
        var ports = new List<V1ServicePort>();
        foreach (var port in _service.Spec?.Ports ?? [])
        {
            if (port is null)
                continue;
            var field = PortField(port);
            if (port.Port is < 1 or > 65535)
                _errors.Add(new BuildError(_object, field + ".port", Invariant($"{port.Port}"), "must be between 1 and 65535"));
            else if ((port.Protocol ?? "TCP") is not ("TCP" or "UDP"))
                _errors.Add(new BuildError(_object, field + ".protocol", port.Protocol, "a Network Load Balancer listener serves TCP or UDP Service ports only"));
            else
                ports.Add(port);
        }
        if (_errors.Count > 0)
            return null;

        bool tcpUdp = false;
        if (_reader.String(ServiceAnnotations.EnableTcpUdpListener) is { } raw)
        {
            if (ServiceAnnotationReader.ParseGoBool(raw) is { } value)
                tcpUdp = value;
            else
                _warnings.Add($"annotation {ServiceAnnotations.Prefix}{ServiceAnnotations.EnableTcpUdpListener} \"{raw}\" is not a bool and is ignored, as upstream (TCP and UDP ports are not merged)");
        }
        var result = new List<(V1ServicePort, bool)>();
        foreach (var group in ports.GroupBy(static p => p.Port))
        {
            var members = group.ToList();
            if (members.Count == 1)
            {
                result.Add((members[0], false));
                continue;
            }
            if (!tcpUdp)
            {
                foreach (var dropped in members.Skip(1))
                {
                    _warnings.Add(Invariant($"spec.ports {dropped.Name ?? string.Empty} ({dropped.Protocol ?? "TCP"} {dropped.Port}) has the port number of an earlier port and gets no listener, as upstream; set {ServiceAnnotations.Prefix}{ServiceAnnotations.EnableTcpUdpListener}: \"true\" to serve TCP and UDP on one TCP_UDP listener"));
                }
                result.Add((members[0], false));
                continue;
            }
            var display = string.Join(",", members.Select(static p => Invariant($"{p.Protocol ?? "TCP"}/{p.Port}")));
            if (members.Count != 2)
                _errors.Add(new BuildError(_object, "spec.ports", display, Invariant($"can only merge two ports, not {members.Count}")));
            else if ((members[0].Protocol ?? "TCP") == (members[1].Protocol ?? "TCP"))
                _errors.Add(new BuildError(_object, "spec.ports", display, $"protocols can't match for merging: {members[0].Protocol ?? "TCP"}"));
            else
                result.Add((members[0], true));
        }
        return _errors.Count > 0 ? null : result;
    }

    private ListenerSettings? ListenerConfig()
    {
        var certificates = _reader.List(ServiceAnnotations.SslCert) ?? [];
        var tlsPorts = _reader.List(ServiceAnnotations.SslPorts) ?? [];
        var ports = (_service.Spec?.Ports ?? []).Where(static p => p is not null).ToList();
        var unused = tlsPorts.Where(t => !ports.Any(p => p.Name == t || p.Port.ToString(CultureInfo.InvariantCulture) == t)).ToList();
        if (unused.Count > 0)
        {
            _reader.Error(ServiceAnnotations.SslPorts, _reader.String(ServiceAnnotations.SslPorts), $"Unused port in ssl-ports annotation {GoList(unused)}");
            return null;
        }
        return new ListenerSettings(
            certificates,
            tlsPorts.ToHashSet(StringComparer.Ordinal),
            (_reader.List(ServiceAnnotations.QuicEnabledPorts) ?? []).ToHashSet(StringComparer.Ordinal),
            _reader.String(ServiceAnnotations.SslNegotiationPolicy) ?? Cluster.DefaultSslPolicy,
            _reader.String(ServiceAnnotations.BackendProtocol));
    }

    private sealed record BuiltListener(ListenerSpec Listener, TargetGroupSpec TargetGroup, TargetSetSpec Targets, Binding Binding);

    private BuiltListener? Listener(V1ServicePort port, bool merged, ListenerSettings config, SortedDictionary<string, string> tags, string lbIpAddressType)
    {
        var number = port.Port;
        var portText = number.ToString(CultureInfo.InvariantCulture);
        var protocol = merged ? "TCP_UDP" : port.Protocol ?? "TCP";
        var tgProtocol = protocol;
        if (protocol is not ("UDP" or "TCP_UDP") && config.Certificates.Count > 0
            && (config.TlsPorts.Count == 0 || (port.Name is not null && config.TlsPorts.Contains(port.Name)) || config.TlsPorts.Contains(portText)))
        {
            if (config.BackendProtocol == "ssl")
                tgProtocol = "TLS";
            protocol = "TLS";
        }
        if ((port.Name is not null && config.QuicPorts.Contains(port.Name)) || config.QuicPorts.Contains(portText))
        {
            switch (protocol)
            {
                case "UDP":
                    protocol = tgProtocol = "QUIC";
                    break;
                case "TCP_UDP":
                    protocol = tgProtocol = "TCP_QUIC";
                    break;
                default:
                    _reader.Error(ServiceAnnotations.QuicEnabledPorts, _reader.String(ServiceAnnotations.QuicEnabledPorts),
                        $"Unsupported QUIC upgrade for protocol {protocol} (port {portText}): only UDP and TCP_UDP listeners can be QUIC");
                    return null;
            }
        }

        string? alpn = null;
        if (protocol == "TLS" && _reader.String(ServiceAnnotations.AlpnPolicy) is { } rawAlpn)
        {
            if (rawAlpn is "None" or "HTTP1Only" or "HTTP2Only" or "HTTP2Optional" or "HTTP2Preferred")
            {
                alpn = rawAlpn;
            }
            else
            {
                _reader.Error(ServiceAnnotations.AlpnPolicy, rawAlpn, $"invalid ALPN policy {rawAlpn}, policy must be one of [None, HTTP1Only, HTTP2Only, HTTP2Optional, HTTP2Preferred]");
                return null;
            }
        }
        var listenerAttributes = _reader.Map($"{ServiceAnnotations.ListenerAttributesPrefix}{protocol}-{portText}");
        var built = TargetGroup(port, tgProtocol, tags, lbIpAddressType);
        if (built is null)
            return null;
        var (targetGroup, targets, binding) = built.Value;
        var listener = new ListenerSpec
        {
            Port = number,
            Protocol = protocol,
            AlpnPolicy = alpn,
            Certificates = protocol == "TLS" ? config.Certificates : [],
            SslPolicy = protocol == "TLS" ? config.SslPolicy : null,
            DefaultActions =
            [
                new ActionSpec
                {
                    Type = "forward",
                    Forward = new ForwardActionSpec { TargetGroups = [new WeightedTargetGroup { TargetGroupArn = StringOrRef.To(ResourceRef.TargetGroupArn(targetGroup.Id)) }] },
                },
            ],
            Attributes = listenerAttributes ?? new SortedDictionary<string, string>(StringComparer.Ordinal),
            Tags = _context.Tags(ResourceIds.Listener(number), tags),
        };
        return new BuiltListener(listener, targetGroup, targets, binding);
    }

    // ---- target groups --------------------------------------------------------------------------------------------

    /// <summary>What the node security groups must allow for one target group (upstream's TargetGroupBinding networking).</summary>
    private sealed record Binding(string Protocol, int? TargetPort, IReadOnlyList<int> TargetPorts, string HealthCheckPort, string IpAddressType, bool PreserveClientIp);

    private (TargetGroupSpec, TargetSetSpec, Binding)? TargetGroup(V1ServicePort port, string protocol, SortedDictionary<string, string> tags, string lbIpAddressType)
    {
        var id = Invariant($"{Namespace}/{Name}:{port.Port}");
        var targetType = TargetType(port);
        if (targetType is null)
            return null;
        var healthCheck = HealthCheck(targetType);
        var attributes = TargetGroupAttributes(port);
        if (healthCheck is null || attributes is null)
            return null;
        var preserveClientIp = attributes.TryGetValue(PreserveClientIpAttribute, out var preserve)
            ? ServiceAnnotationReader.ParseGoBool(preserve) == true
            : targetType == "instance";

        var numericTarget = ServicePorts.NumericTargetPort(port);
        var tgPort = targetType == "instance" ? port.NodePort ?? 0 : numericTarget ?? 1;
        if (tgPort == 0)
        {
            _errors.Add(new BuildError(_object, PortField(port) + (targetType == "instance" ? ".nodePort" : ".targetPort"), "0",
                targetType == "ip"
                    ? "TargetGroup port is empty. Are you using the correct service type?"
                    : "TargetGroup port is empty. When using Instance targets, your service be must of type 'NodePort' or 'LoadBalancer'"));
            return null;
        }
        if (tgPort is < 1 or > 65535)
        {
            _errors.Add(new BuildError(_object, PortField(port) + (targetType == "instance" ? ".nodePort" : ".targetPort"), Invariant($"{tgPort}"), "must be between 1 and 65535"));
            return null;
        }

        var ipv6 = _service.Spec?.IpFamilies?.Contains("IPv6") == true;
        if (ipv6 && lbIpAddressType != "dualstack")
        {
            _reader.Error(ServiceAnnotations.IpAddressType, _reader.String(ServiceAnnotations.IpAddressType) ?? "ipv4",
                "unsupported IPv6 configuration, lb not dual-stack (spec.ipFamilies has IPv6: set the annotation to dualstack)");
            return null;
        }
        var ipAddressType = ipv6 ? "ipv6" : "ipv4";

        var portText = port.Port.ToString(CultureInfo.InvariantCulture);
        var hash = Naming.Sha256Hex(Cluster.ClusterName, Uid, tgPort.ToString(CultureInfo.InvariantCulture), portText, targetType, protocol,
            healthCheck.Protocol, healthCheck.IntervalSeconds.ToString(CultureInfo.InvariantCulture));
        var spec = new TargetGroupSpec
        {
            Id = id,
            Name = $"k8s-{Short(Namespace, 8)}-{Short(Name, 8)}-{hash[..10]}",
            TargetType = targetType,
            Port = tgPort,
            Protocol = protocol,
            ProtocolVersion = null,
            IpAddressType = ipAddressType,
            HealthCheck = healthCheck,
            Attributes = attributes,
            Tags = _context.Tags(id, tags),
            Owner = $"{Namespace}/{Name}",
            Backend = $"{Namespace}/{Name}:{portText}",
        };

        IReadOnlyList<TargetSpec> targets;
        if (targetType == "instance")
        {
            var labels = _reader.Map(ServiceAnnotations.TargetNodeLabels);
            targets = TargetBuilder.Instances(_context, tgPort, labels);
        }
        else
        {
            targets = TargetBuilder.PodIps(_context, _service, port, ipAddressType, spec.Name);
        }
        if (_reader.Bool(ServiceAnnotations.MultiClusterTargetGroup) == true)
        {
            _warnings.Add($"annotation {ServiceAnnotations.Prefix}{ServiceAnnotations.MultiClusterTargetGroup} is not applied by this controller yet: target group {spec.Name} is owned whole, and targets registered by other clusters are deregistered");
        }
        var trafficPort = targetType == "instance" ? tgPort : numericTarget;
        var binding = new Binding(protocol, trafficPort, trafficPort is { } p ? [p] : [.. targets.Select(static t => t.Port).Distinct()],
            healthCheck.Port, ipAddressType, preserveClientIp);
        return (spec, new TargetSetSpec { TargetGroupId = id, TargetType = targetType, Targets = targets }, binding);
    }

    private string? TargetType(V1ServicePort port)
    {
        var lbType = _reader.String(ServiceAnnotations.Type);
        var raw = _reader.String(ServiceAnnotations.TargetType) ?? Cluster.DefaultTargetType;
        if (lbType == "nlb-ip" || raw == "ip")
            return "ip";
        if (raw != "instance")
        {
            _warnings.Add($"annotation {ServiceAnnotations.Prefix}{ServiceAnnotations.TargetType} \"{raw}\" is neither ip nor instance: instance targets are used, as upstream");
        }
        if (_service.Spec?.Type == "ClusterIP")
        {
            _errors.Add(new BuildError(_object, "spec.type", "ClusterIP", $"unsupported service type \"ClusterIP\" for load balancer target type \"{raw}\""));
            return null;
        }
        if ((port.NodePort ?? 0) == 0 && _service.Spec?.AllocateLoadBalancerNodePorts == false)
        {
            _errors.Add(new BuildError(_object, "spec.allocateLoadBalancerNodePorts", "false", "unable to support instance target type with an unallocated NodePort"));
            return null;
        }
        return "instance";
    }

    /// <summary>
    /// Upstream's health-check defaults — TCP on the traffic port every 10 s, timeout 10, thresholds 3/3 — or, for
    /// instance targets of a LoadBalancer Service with <c>externalTrafficPolicy: Local</c>, HTTP <c>/healthz</c> on
    /// <c>healthCheckNodePort</c> every 10 s, timeout 6, thresholds 2/2; each healthcheck-* annotation overrides one field.
    /// </summary>
    private HealthCheckSpec? HealthCheck(string targetType)
    {
        var errorsBefore = _errors.Count;
        var local = targetType == "instance" && _service.Spec?.ExternalTrafficPolicy == "Local" && _service.Spec?.Type == "LoadBalancer";
        var rawProtocol = _reader.String(ServiceAnnotations.HealthCheckProtocol) ?? (local ? "HTTP" : "TCP");
        var protocol = rawProtocol.ToUpperInvariant();
        if (protocol is not ("TCP" or "HTTP" or "HTTPS"))
        {
            _reader.Error(ServiceAnnotations.HealthCheckProtocol, rawProtocol, $"unsupported health check protocol {rawProtocol} (expected TCP, HTTP or HTTPS)");
            return null;
        }
        var path = protocol == "TCP" ? null : _reader.String(ServiceAnnotations.HealthCheckPath) ?? (local ? "/healthz" : "/");
        var matcher = protocol == "TCP" ? null : _reader.String(ServiceAnnotations.HealthCheckSuccessCodes) ?? "200-399";
        var port = HealthCheckPort(targetType, local ? (_service.Spec?.HealthCheckNodePort ?? 0).ToString(CultureInfo.InvariantCulture) : TrafficPort);
        var interval = _reader.Int32(ServiceAnnotations.HealthCheckInterval) ?? 10;
        var timeout = _reader.Int32(ServiceAnnotations.HealthCheckTimeout) ?? (local ? 6 : 10);
        var healthy = _reader.Int32(ServiceAnnotations.HealthyThreshold) ?? (local ? 2 : 3);
        var unhealthy = _reader.Int32(ServiceAnnotations.UnhealthyThreshold) ?? (local ? 2 : 3);
        if (port is null || _errors.Count > errorsBefore)
            return null;
        return new HealthCheckSpec
        {
            Port = port,
            Protocol = protocol,
            Path = path,
            IntervalSeconds = interval,
            TimeoutSeconds = timeout,
            HealthyThresholdCount = healthy,
            UnhealthyThresholdCount = unhealthy,
            HttpCode = matcher,
        };
    }

    /// <summary><c>traffic-port</c>, a number, or a Service port name (its NodePort for instance targets, its numeric targetPort for ip).</summary>
    private string? HealthCheckPort(string targetType, string fallback)
    {
        var raw = _reader.String(ServiceAnnotations.HealthCheckPort) ?? fallback;
        if (raw == TrafficPort)
            return raw;
        if (long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            if (number is >= 1 and <= 65535)
                return number.ToString(CultureInfo.InvariantCulture);
            if (_reader.Has(ServiceAnnotations.HealthCheckPort))
                _reader.Error(ServiceAnnotations.HealthCheckPort, raw, "the health check port must be traffic-port, a port number between 1 and 65535, or a Service port name");
            else
                _errors.Add(new BuildError(_object, "spec.healthCheckNodePort", raw, "externalTrafficPolicy Local needs a health check node port between 1 and 65535"));
            return null;
        }
        var named = (_service.Spec?.Ports ?? []).FirstOrDefault(p => p?.Name == raw);
        if (named is null)
        {
            _reader.Error(ServiceAnnotations.HealthCheckPort, raw, $"failed to resolve healthCheckPort: unable to find port {raw} on service {Namespace}/{Name}");
            return null;
        }
        if (targetType == "instance")
            return (named.NodePort ?? 0).ToString(CultureInfo.InvariantCulture);
        if (ServicePorts.NumericTargetPort(named) is { } target)
            return target.ToString(CultureInfo.InvariantCulture);
        _reader.Error(ServiceAnnotations.HealthCheckPort, raw, "cannot use named healthCheckPort for IP TargetType when service's targetPort is a named port");
        return null;
    }

    /// <summary>
    /// <c>proxy_protocol_v2.enabled=false</c>, then the base map, then the per-port map (empty values keep the base),
    /// then <c>proxy-protocol-per-target-group</c>, then <c>proxy-protocol: *</c>.
    /// </summary>
    private SortedDictionary<string, string>? TargetGroupAttributes(V1ServicePort port)
    {
        var attributes = new SortedDictionary<string, string>(StringComparer.Ordinal) { [ProxyProtocolAttribute] = "false" };
        var portText = port.Port.ToString(CultureInfo.InvariantCulture);
        var baseKey = ServiceAnnotations.TargetGroupAttributes;
        var portKey = $"{ServiceAnnotations.TargetGroupAttributes}.{portText}";
        foreach (var (key, onlyNonEmpty) in new[] { (baseKey, false), (portKey, true) })
        {
            if (_reader.Map(key) is not { } map)
                continue;
            foreach (var (name, value) in map)
            {
                if (name == PreserveClientIpAttribute && ServiceAnnotationReader.ParseGoBool(value) is null)
                {
                    _reader.Error(key, _reader.String(key), $"failed to parse attribute {name}={value} (expected true or false)");
                    return null;
                }
                if (!onlyNonEmpty || value.Length > 0)
                    attributes[name] = value;
            }
        }
        if (_reader.String(ServiceAnnotations.ProxyProtocolPerTargetGroup) is { } perTargetGroup)
        {
            var enabled = new HashSet<string>(StringComparer.Ordinal);
            foreach (var part in perTargetGroup.Split(',').Select(static p => p.Trim()).Where(static p => p.Length > 0))
            {
                if (!long.TryParse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                {
                    _reader.Error(ServiceAnnotations.ProxyProtocolPerTargetGroup, perTargetGroup, $"invalid port number in proxy-protocol-per-target-group: {part}");
                    return null;
                }
                enabled.Add(part);
            }
            attributes[ProxyProtocolAttribute] = enabled.Contains(portText) ? "true" : "false";
        }
        if (_reader.String(ServiceAnnotations.ProxyProtocol) is { } proxy)
        {
            if (proxy != "*")
            {
                _reader.Error(ServiceAnnotations.ProxyProtocol, proxy, $"invalid value {proxy} for Load Balancer proxy protocol v2 annotation, only value currently supported is *");
                return null;
            }
            attributes[ProxyProtocolAttribute] = "true";
        }
        if (attributes[ProxyProtocolAttribute].Length == 0)
            attributes.Remove(ProxyProtocolAttribute);
        return attributes;
    }

    // ---- node security group rules --------------------------------------------------------------------------------

    /// <summary>
    /// The rules every node/ENI security group needs. With load balancer security groups: from the backend SG (or the
    /// managed SG), per protocol one range over the target groups' traffic and health-check ports (upstream's restricted
    /// rules as the networking manager merges them), or every port with <c>--disable-restricted-sg-rules</c>. Without:
    /// upstream's legacy CIDR rules, one per source CIDR and port, unless <c>manage-backend-security-group-rules</c> is false.
    /// </summary>
    private List<NodeSecurityGroupRulesSpec> NodeRules(SecurityGroupChoice groups, IReadOnlyList<Binding> bindings, string scheme, IReadOnlyList<SubnetFact> subnets)
    {
        List<SecurityGroupRuleSpec> rules;
        if (groups.LoadBalancerGroups.Count > 0)
        {
            if (groups.NodeRuleSource is not { } source)
                return [];
            rules = [.. SecurityGroupModeRules(bindings, source)];
        }
        else
        {
            var manage = _reader.Bool(ServiceAnnotations.ManageBackendSecurityGroupRules) ?? true;
            if (!manage)
                return [];
            rules = [.. bindings.SelectMany(b => LegacyRules(b, scheme, subnets))];
        }
        var sorted = SortRules(rules);
        if (sorted.Count == 0)
            return [];
        return [.. _snapshot.Aws.NodeSecurityGroupIds.Where(static id => !string.IsNullOrEmpty(id)).Distinct().Order(StringComparer.Ordinal)
            .Select(id => new NodeSecurityGroupRulesSpec { SecurityGroupId = id, Rules = sorted })];
    }

    private IEnumerable<SecurityGroupRuleSpec> SecurityGroupModeRules(IReadOnlyList<Binding> bindings, StringOrRef source)
    {
        var tcp = new List<int>();
        var udp = new List<int>();
        var anyUdp = false;
        foreach (var binding in bindings)
        {
            var udpLike = binding.Protocol is "UDP" or "QUIC" or "TCP_UDP" or "TCP_QUIC";
            anyUdp |= udpLike;
            int? hcPort = int.TryParse(binding.HealthCheckPort, NumberStyles.None, CultureInfo.InvariantCulture, out var hc) ? hc : null;
            if (!udpLike)
            {
                tcp.AddRange(binding.TargetPorts);
            }
            else
            {
                udp.AddRange(binding.TargetPorts);
                if (binding.Protocol is "TCP_UDP" or "TCP_QUIC" || binding.HealthCheckPort == TrafficPort || (hcPort is { } h && binding.TargetPort == h))
                    tcp.AddRange(binding.TargetPorts);
            }
            if (hcPort is { } healthPort && healthPort != binding.TargetPort)
                tcp.Add(healthPort);
        }
        if (Cluster.DisableRestrictedSecurityGroupRules)
        {
            if (bindings.Count > 0)
                yield return Rule("tcp", 0, 65535, source);
            if (anyUdp)
                yield return Rule("udp", 0, 65535, source);
            yield break;
        }
        if (tcp.Count > 0)
            yield return Rule("tcp", tcp.Min(), tcp.Max(), source);
        if (udp.Count > 0)
            yield return Rule("udp", udp.Min(), udp.Max(), source);
    }

    private static SecurityGroupRuleSpec Rule(string protocol, int from, int to, StringOrRef source) => new()
    {
        Protocol = protocol,
        FromPort = from,
        ToPort = to,
        SourceSecurityGroup = source,
        Description = TrackingTags.SharedNodeRuleDescription,
    };

    /// <summary>Upstream's <c>buildTargetGroupBindingNetworkingLegacy</c>: CIDR rules for an NLB without security groups.</summary>
    private IEnumerable<SecurityGroupRuleSpec> LegacyRules(Binding binding, string scheme, IReadOnlyList<SubnetFact> subnets)
    {
        var v6 = binding.IpAddressType == "ipv6";
        var subnetCidrs = v6
            ? subnets.SelectMany(s => _snapshot.SubnetIpv6Cidrs.GetValueOrDefault(s.Id) ?? []).ToList()
            : subnets.Select(static s => s.CidrBlock).Where(static c => c.Length > 0).ToList();
        var udpLike = binding.Protocol is "UDP" or "QUIC" or "TCP_UDP" or "TCP_QUIC";
        var trafficSource = subnetCidrs;
        var defaultRangeUsed = false;
        if (udpLike || binding.PreserveClientIp)
        {
            var ranges = (_service.Spec?.LoadBalancerSourceRanges ?? []).Where(static c => c is not null).ToList();
            if (ranges.Count == 0)
                ranges = [.. _reader.List(ServiceAnnotations.SourceRanges) ?? []];
            if (ranges.Count == 0)
            {
                defaultRangeUsed = true;
                ranges = scheme == Internal
                    ? [.. _snapshot.Aws.VpcCidrs.Where(c => c.Contains(':', StringComparison.Ordinal) == v6)]
                    : [v6 ? "::/0" : "0.0.0.0/0"];
            }
            trafficSource = ranges;
        }
        var ports = new List<int>();
        if (binding.TargetPort is { } tgPort)
            ports.Add(tgPort);
        else
            ports.AddRange(binding.TargetPorts);
        var protocols = binding.Protocol is "TCP_UDP" or "TCP_QUIC" ? new[] { "tcp", "udp" } : [udpLike ? "udp" : "tcp"];
        foreach (var cidr in trafficSource)
        {
            foreach (var protocol in protocols)
            {
                foreach (var port in ports)
                    yield return CidrRule(protocol, port, cidr);
            }
        }

        // The health check reaches the targets from the NLB's subnets, unless the traffic rule already lets it in.
        var onTrafficPort = binding.HealthCheckPort == TrafficPort || binding.HealthCheckPort == binding.TargetPort?.ToString(CultureInfo.InvariantCulture);
        if (binding.Protocol != "UDP" && onTrafficPort
            && (!binding.PreserveClientIp || defaultRangeUsed || trafficSource.Any(static s => s is "0.0.0.0/0" or "::/0")))
        {
            yield break;
        }
        var hcPorts = binding.HealthCheckPort == TrafficPort
            ? ports
            : int.TryParse(binding.HealthCheckPort, NumberStyles.None, CultureInfo.InvariantCulture, out var hc) ? [hc] : [];
        foreach (var cidr in subnetCidrs)
        {
            foreach (var port in hcPorts)
                yield return CidrRule("tcp", port, cidr);
        }
    }

    private static SecurityGroupRuleSpec CidrRule(string protocol, int port, string cidr)
    {
        var v6 = cidr.Contains(':', StringComparison.Ordinal);
        return new SecurityGroupRuleSpec
        {
            Protocol = protocol,
            FromPort = port,
            ToPort = port,
            CidrIpv4 = v6 ? null : cidr,
            CidrIpv6 = v6 ? cidr : null,
            Description = TrackingTags.SharedNodeRuleDescription,
        };
    }

    // ---- warnings -------------------------------------------------------------------------------------------------

    private void WarnAboutAnnotations() => _warnings.AddRange(ServiceAnnotationWarnings.Of(_service));

    /// <summary>A <c>listener-attributes.&lt;PROTO&gt;-&lt;port&gt;</c> that names no listener does nothing (upstream says nothing).</summary>
    private void WarnAboutUnmatchedListenerAttributes(IReadOnlyList<ListenerSpec> listeners)
    {
        var prefix = ServiceAnnotations.Prefix + ServiceAnnotations.ListenerAttributesPrefix;
        var names = listeners.Select(static l => $"{l.Protocol}-{l.Port.ToString(CultureInfo.InvariantCulture)}").ToHashSet(StringComparer.Ordinal);
        foreach (var key in (_service.Metadata?.Annotations?.Keys ?? []).Where(k => k is not null && k.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var listener = key[prefix.Length..];
            if (!names.Contains(listener))
            {
                _warnings.Add($"annotation {key} names no listener of this Service (listeners: {string.Join(", ", names.Order(StringComparer.Ordinal))}) and is ignored; the suffix is the final listener protocol and port, e.g. TCP-80 or TLS-443");
            }
        }
    }

    /// <summary>A Service port in errors, by its number and name (independent of its position): <c>spec.ports[port=80,name=http]</c>.</summary>
    private static string PortField(V1ServicePort port) =>
        string.IsNullOrEmpty(port.Name) ? Invariant($"spec.ports[port={port.Port}]") : Invariant($"spec.ports[port={port.Port},name={port.Name}]");

    private static string GoList(IEnumerable<string> values) => "[" + string.Join(' ', values) + "]";

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
