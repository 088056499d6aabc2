using System.Globalization;
using System.Text;
using Serverless.Model;

namespace Serverless.Service;

/// <summary>The <c>service.beta.kubernetes.io/*</c> annotation suffixes upstream reads on a Service.</summary>
public static class ServiceAnnotations
{
    /// <summary>The prefix of every Service annotation.</summary>
    public const string Prefix = "service.beta.kubernetes.io/";

    public const string SourceRanges = "load-balancer-source-ranges";
    public const string Type = "aws-load-balancer-type";
    public const string TargetType = "aws-load-balancer-nlb-target-type";
    public const string Name = "aws-load-balancer-name";
    public const string Scheme = "aws-load-balancer-scheme";
    public const string Internal = "aws-load-balancer-internal";
    public const string ProxyProtocol = "aws-load-balancer-proxy-protocol";
    public const string ProxyProtocolPerTargetGroup = "aws-load-balancer-proxy-protocol-per-target-group";
    public const string IpAddressType = "aws-load-balancer-ip-address-type";
    public const string AccessLogEnabled = "aws-load-balancer-access-log-enabled";
    public const string AccessLogBucketName = "aws-load-balancer-access-log-s3-bucket-name";
    public const string AccessLogBucketPrefix = "aws-load-balancer-access-log-s3-bucket-prefix";
    public const string CrossZoneEnabled = "aws-load-balancer-cross-zone-load-balancing-enabled";
    public const string SslCert = "aws-load-balancer-ssl-cert";
    public const string SslPorts = "aws-load-balancer-ssl-ports";
    public const string SslNegotiationPolicy = "aws-load-balancer-ssl-negotiation-policy";
    public const string BackendProtocol = "aws-load-balancer-backend-protocol";
    public const string AdditionalTags = "aws-load-balancer-additional-resource-tags";
    public const string HealthyThreshold = "aws-load-balancer-healthcheck-healthy-threshold";
    public const string UnhealthyThreshold = "aws-load-balancer-healthcheck-unhealthy-threshold";
    public const string HealthCheckTimeout = "aws-load-balancer-healthcheck-timeout";
    public const string HealthCheckInterval = "aws-load-balancer-healthcheck-interval";
    public const string HealthCheckProtocol = "aws-load-balancer-healthcheck-protocol";
    public const string HealthCheckPort = "aws-load-balancer-healthcheck-port";
    public const string HealthCheckPath = "aws-load-balancer-healthcheck-path";
    public const string HealthCheckSuccessCodes = "aws-load-balancer-healthcheck-success-codes";
    public const string TargetGroupAttributes = "aws-load-balancer-target-group-attributes";
    public const string Subnets = "aws-load-balancer-subnets";
    public const string EipAllocations = "aws-load-balancer-eip-allocations";
    public const string PrivateIpv4Addresses = "aws-load-balancer-private-ipv4-addresses";
    public const string Ipv6Addresses = "aws-load-balancer-ipv6-addresses";
    public const string AlpnPolicy = "aws-load-balancer-alpn-policy";
    public const string TargetNodeLabels = "aws-load-balancer-target-node-labels";
    public const string Attributes = "aws-load-balancer-attributes";
    public const string SecurityGroups = "aws-load-balancer-security-groups";
    public const string ManageBackendSecurityGroupRules = "aws-load-balancer-manage-backend-security-group-rules";
    public const string InboundSgRulesOnPrivateLink = "aws-load-balancer-inbound-sg-rules-on-private-link-traffic";
    public const string SecurityGroupPrefixLists = "aws-load-balancer-security-group-prefix-lists";
    public const string ListenerAttributesPrefix = "aws-load-balancer-listener-attributes.";
    public const string MultiClusterTargetGroup = "aws-load-balancer-multi-cluster-target-group";
    public const string EnablePrefixForIpv6SourceNat = "aws-load-balancer-enable-prefix-for-ipv6-source-nat";
    public const string SourceNatIpv6Prefixes = "aws-load-balancer-source-nat-ipv6-prefixes";
    public const string MinimumCapacity = "aws-load-balancer-minimum-load-balancer-capacity";
    public const string IcmpForPathMtu = "aws-load-balancer-enable-icmp-for-path-mtu-discovery";
    public const string EnableTcpUdpListener = "aws-load-balancer-enable-tcp-udp-listener";
    public const string DisableNlbSecurityGroup = "aws-load-balancer-disable-nlb-sg";
    public const string QuicEnabledPorts = "aws-load-balancer-quic-enabled-ports";

    /// <summary>Weighted forward actions: <c>actions.&lt;PROTO&gt;-&lt;port&gt;</c>.</summary>
    public const string ActionsPrefix = "actions.";

    /// <summary>Every plain key upstream reads (families by prefix excluded).</summary>
    public static IReadOnlyList<string> Known { get; } =
    [
        SourceRanges, Type, TargetType, Name, Scheme, Internal, ProxyProtocol, ProxyProtocolPerTargetGroup, IpAddressType,
        AccessLogEnabled, AccessLogBucketName, AccessLogBucketPrefix, CrossZoneEnabled, SslCert, SslPorts, SslNegotiationPolicy,
        BackendProtocol, AdditionalTags, HealthyThreshold, UnhealthyThreshold, HealthCheckTimeout, HealthCheckInterval,
        HealthCheckProtocol, HealthCheckPort, HealthCheckPath, HealthCheckSuccessCodes, TargetGroupAttributes, Subnets,
        EipAllocations, PrivateIpv4Addresses, Ipv6Addresses, AlpnPolicy, TargetNodeLabels, Attributes, SecurityGroups,
        ManageBackendSecurityGroupRules, InboundSgRulesOnPrivateLink, SecurityGroupPrefixLists, MultiClusterTargetGroup,
        EnablePrefixForIpv6SourceNat, SourceNatIpv6Prefixes, MinimumCapacity, IcmpForPathMtu, EnableTcpUdpListener,
        DisableNlbSecurityGroup, QuicEnabledPorts,
    ];

    /// <summary>The field of an annotation in errors: <c>annotation service.beta.kubernetes.io/&lt;suffix&gt;</c>.</summary>
    public static string Field(string suffix) => "annotation " + Prefix + suffix;
}

/// <summary>
/// Reads a Service's annotations with upstream's parsing rules (<c>pkg/annotations/parser.go</c>): bool is Go's
/// <c>strconv.ParseBool</c>, int32 is base-10 with sign, a list is split on commas with blanks dropped, a map is
/// <c>k=v</c> pairs where a backslash escapes the next character. A value that does not parse records an error naming
/// the annotation and its value, and reads as absent.
/// </summary>
internal sealed class ServiceAnnotationReader
{
    private readonly IDictionary<string, string> _annotations;
    private readonly List<BuildError> _errors;

    public ServiceAnnotationReader(string objectName, IDictionary<string, string>? annotations, List<BuildError> errors)
    {
        Object = objectName;
        _annotations = annotations ?? new Dictionary<string, string>();
        _errors = errors;
    }

    /// <summary><c>Service ns/name</c>.</summary>
    public string Object { get; }

    public bool Has(string suffix) => _annotations.ContainsKey(ServiceAnnotations.Prefix + suffix);

    public string? String(string suffix) =>
        _annotations.TryGetValue(ServiceAnnotations.Prefix + suffix, out var value) ? value ?? string.Empty : null;

    public void Error(string suffix, string? value, string message) =>
        _errors.Add(new BuildError(Object, ServiceAnnotations.Field(suffix), value, message));

    public bool? Bool(string suffix)
    {
        if (String(suffix) is not { } raw)
            return null;
        if (ParseGoBool(raw) is { } value)
            return value;
        Error(suffix, raw, $"failed to parse bool annotation, {ServiceAnnotations.Prefix}{suffix}: {raw} (expected true or false)");
        return null;
    }

    public int? Int32(string suffix)
    {
        if (String(suffix) is not { } raw)
            return null;
        if (ParseGoInt32(raw) is { } value)
            return value;
        Error(suffix, raw, $"failed to parse int32 annotation, {ServiceAnnotations.Prefix}{suffix}: {raw}");
        return null;
    }

    public IReadOnlyList<string>? List(string suffix) => String(suffix) is { } raw ? SplitList(raw) : null;

    public SortedDictionary<string, string>? Map(string suffix)
    {
        if (String(suffix) is not { } raw)
            return null;
        if (ParseMap(raw) is { } map)
            return map;
        Error(suffix, raw, $"failed to parse stringMap annotation, {ServiceAnnotations.Prefix}{suffix}: {raw} (expected key=value pairs separated by commas)");
        return null;
    }

    /// <summary>Go's <c>strconv.ParseBool</c>.</summary>
    public static bool? ParseGoBool(string raw) => raw switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => null,
    };

    /// <summary>Go's <c>strconv.ParseInt(raw, 10, 32)</c>: optional sign, decimal digits only.</summary>
    public static int? ParseGoInt32(string raw)
    {
        if (raw.Length == 0 || raw.Any(static c => !(char.IsAsciiDigit(c) || c is '+' or '-')) || raw.LastIndexOfAny(['+', '-']) > 0)
            return null;
        return int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;
    }

    /// <summary>Comma split, each part trimmed, empty parts dropped.</summary>
    public static IReadOnlyList<string> SplitList(string raw) =>
        [.. raw.Split(',').Select(static p => p.Trim()).Where(static p => p.Length > 0)];

    /// <summary>Upstream's map syntax; null when malformed (a pair without <c>=</c> or with an empty key).</summary>
    public static SortedDictionary<string, string>? ParseMap(string raw)
    {
        var pairs = new List<string>();
        var current = new StringBuilder();
        var malformedTail = false;
        for (var i = 0; i < raw.Length && !malformedTail; i++)
        {
            if (raw[i] == '\\' && i + 1 < raw.Length)
            {
                current.Append(raw[i + 1]);
                i++;
            }
            else if (raw[i] == ',')
            {
                var remaining = raw[(i + 1)..].Trim();
                if (remaining.Contains('=', StringComparison.Ordinal))
                {
                    pairs.Add(current.ToString().Trim());
                    current.Clear();
                }
                else if (remaining.Length > 0)
                {
                    pairs.Add(current.ToString().Trim());
                    pairs.Add(remaining);
                    current.Clear();
                    malformedTail = true;
                }
                else
                {
                    current.Append(',');
                }
            }
            else
            {
                current.Append(raw[i]);
            }
        }
        if (current.Length > 0)
            pairs.Add(current.ToString().Trim());
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
                return null;
            var key = pair[..eq].Trim();
            if (key.Length == 0)
                return null;
            map[key] = pair[(eq + 1)..].Trim();
        }
        return map;
    }
}
