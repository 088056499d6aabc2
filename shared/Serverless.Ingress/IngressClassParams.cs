namespace Serverless.Ingress;

/// <summary>
/// The IngressClassParams custom resource (<c>elbv2.k8s.aws/v1beta1</c>, cluster-scoped). Each field that is set
/// takes precedence over the equivalent annotation of every Ingress of the class.
/// </summary>
public sealed record IngressClassParams
{
    /// <summary>metadata.name.</summary>
    public required string Name { get; init; }

    /// <summary><c>spec.namespaceSelector</c>: Ingresses of the class must be in namespaces matching it.</summary>
    public LabelSelector? NamespaceSelector { get; init; }

    /// <summary><c>spec.group.name</c>: overrides <c>group.name</c>.</summary>
    public string? GroupName { get; init; }

    /// <summary><c>spec.loadBalancerName</c>.</summary>
    public string? LoadBalancerName { get; init; }

    /// <summary><c>spec.scheme</c>.</summary>
    public string? Scheme { get; init; }

    /// <summary><c>spec.ipAddressType</c>.</summary>
    public string? IpAddressType { get; init; }

    /// <summary><c>spec.inboundCIDRs</c>.</summary>
    public IReadOnlyList<string>? InboundCidrs { get; init; }

    /// <summary><c>spec.prefixListsIDs</c>.</summary>
    public IReadOnlyList<string>? PrefixListIds { get; init; }

    /// <summary><c>spec.PrefixListsIDs</c>: the legacy spelling, used when <c>prefixListsIDs</c> is not set (as upstream).</summary>
    public IReadOnlyList<string>? LegacyPrefixListIds { get; init; }

    /// <summary><c>spec.sslPolicy</c>.</summary>
    public string? SslPolicy { get; init; }

    /// <summary><c>spec.sslRedirectPort</c>.</summary>
    public string? SslRedirectPort { get; init; }

    /// <summary><c>spec.certificateArn</c>.</summary>
    public IReadOnlyList<string>? CertificateArns { get; init; }

    /// <summary><c>spec.subnets</c>: IDs, or tags every chosen subnet must carry (one of the listed values).</summary>
    public SubnetSelector? Subnets { get; init; }

    /// <summary><c>spec.targetType</c>.</summary>
    public string? TargetType { get; init; }

    /// <summary><c>spec.tags</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Tags { get; init; }

    /// <summary><c>spec.loadBalancerAttributes</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? LoadBalancerAttributes { get; init; }

    /// <summary><c>spec.listeners[]</c>: per protocol/port listener attributes.</summary>
    public IReadOnlyList<ListenerParams>? Listeners { get; init; }

    /// <summary><c>spec.minimumLoadBalancerCapacity.capacityUnits</c>.</summary>
    public int? MinimumCapacityUnits { get; init; }

    /// <summary><c>spec.ipamConfiguration.ipv4IPAMPoolId</c>.</summary>
    public string? Ipv4IpamPoolId { get; init; }

    /// <summary><c>spec.wafv2AclArn</c>.</summary>
    public string? Wafv2AclArn { get; init; }
}

/// <summary><c>spec.subnets</c> of IngressClassParams.</summary>
public sealed record SubnetSelector
{
    /// <summary>Subnet IDs.</summary>
    public IReadOnlyList<string>? Ids { get; init; }

    /// <summary>Tag key → allowed values.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Tags { get; init; }
}

/// <summary>One entry of <c>spec.listeners</c>.</summary>
public sealed record ListenerParams
{
    /// <summary><c>HTTP</c> or <c>HTTPS</c>.</summary>
    public required string Protocol { get; init; }

    /// <summary>Port.</summary>
    public required int Port { get; init; }

    /// <summary>Attributes.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ListenerAttributes { get; init; } = [];
}

/// <summary>A Kubernetes label selector (<c>matchLabels</c> and <c>matchExpressions</c>).</summary>
public sealed record LabelSelector
{
    /// <summary>Labels that must be equal.</summary>
    public IReadOnlyDictionary<string, string> MatchLabels { get; init; } = new Dictionary<string, string>();

    /// <summary>Expressions (<c>In</c>, <c>NotIn</c>, <c>Exists</c>, <c>DoesNotExist</c>).</summary>
    public IReadOnlyList<LabelSelectorRequirement> MatchExpressions { get; init; } = [];

    /// <summary>True when <paramref name="labels"/> satisfy every label and expression.</summary>
    public bool Matches(IDictionary<string, string>? labels)
    {
        labels ??= new Dictionary<string, string>();
        foreach (var (key, value) in MatchLabels)
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
                return false;
        }
        foreach (var requirement in MatchExpressions)
        {
            var has = labels.TryGetValue(requirement.Key, out var actual);
            var ok = requirement.Operator switch
            {
                "In" => has && requirement.Values.Contains(actual!),
                "NotIn" => !has || !requirement.Values.Contains(actual!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok)
                return false;
        }
        return true;
    }
}

/// <summary>One <c>matchExpressions</c> entry.</summary>
public sealed record LabelSelectorRequirement(string Key, string Operator, IReadOnlyList<string> Values);
