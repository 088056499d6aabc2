using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Model;

namespace Serverless.Ingress;

/// <summary>The <c>alb.ingress.kubernetes.io/</c> annotations, by suffix.</summary>
public static class Annotations
{
    /// <summary>The prefix of every ALB annotation.</summary>
    public const string Prefix = "alb.ingress.kubernetes.io/";

    /// <summary>The legacy class annotation.</summary>
    public const string IngressClass = "kubernetes.io/ingress.class";

    /// <summary>The annotation that marks the default IngressClass.</summary>
    public const string IsDefaultClass = "ingressclass.kubernetes.io/is-default-class";

#pragma warning disable CS1591 // the names say it: each is the annotation suffix of the same name
    public const string LoadBalancerName = "load-balancer-name";
    public const string GroupName = "group.name";
    public const string GroupOrder = "group.order";
    public const string Tags = "tags";
    public const string IpAddressType = "ip-address-type";
    public const string Scheme = "scheme";
    public const string Subnets = "subnets";
    public const string SecurityGroups = "security-groups";
    public const string ManageBackendSecurityGroupRules = "manage-backend-security-group-rules";
    public const string CustomerOwnedIpv4Pool = "customer-owned-ipv4-pool";
    public const string LoadBalancerAttributes = "load-balancer-attributes";
    public const string Wafv2AclArn = "wafv2-acl-arn";
    public const string Wafv2AclName = "wafv2-acl-name";
    public const string ShieldAdvancedProtection = "shield-advanced-protection";
    public const string ListenPorts = "listen-ports";
    public const string SslRedirect = "ssl-redirect";
    public const string InboundCidrs = "inbound-cidrs";
    public const string SecurityGroupPrefixLists = "security-group-prefix-lists";
    public const string CertificateArn = "certificate-arn";
    public const string SslPolicy = "ssl-policy";
    public const string TargetType = "target-type";
    public const string BackendProtocol = "backend-protocol";
    public const string BackendProtocolVersion = "backend-protocol-version";
    public const string TargetGroupAttributes = "target-group-attributes";
    public const string HealthCheckPort = "healthcheck-port";
    public const string HealthCheckProtocol = "healthcheck-protocol";
    public const string HealthCheckPath = "healthcheck-path";
    public const string HealthCheckIntervalSeconds = "healthcheck-interval-seconds";
    public const string HealthCheckTimeoutSeconds = "healthcheck-timeout-seconds";
    public const string HealthyThresholdCount = "healthy-threshold-count";
    public const string UnhealthyThresholdCount = "unhealthy-threshold-count";
    public const string SuccessCodes = "success-codes";
    public const string TargetControlPortPrefix = "target-control-port.";
    public const string AuthType = "auth-type";
    public const string AuthIdpCognito = "auth-idp-cognito";
    public const string AuthIdpOidc = "auth-idp-oidc";
    public const string AuthOnUnauthenticatedRequest = "auth-on-unauthenticated-request";
    public const string AuthScope = "auth-scope";
    public const string AuthSessionCookie = "auth-session-cookie";
    public const string AuthSessionTimeout = "auth-session-timeout";
    public const string JwtValidation = "jwt-validation";
    public const string ActionsPrefix = "actions.";
    public const string ConditionsPrefix = "conditions.";
    public const string TransformsPrefix = "transforms.";
    public const string UseRegexPathMatch = "use-regex-path-match";
    public const string TargetNodeLabels = "target-node-labels";
    public const string ListenerAttributesPrefix = "listener-attributes.";
    public const string MinimumLoadBalancerCapacity = "minimum-load-balancer-capacity";
    public const string IpamIpv4PoolId = "ipam-ipv4-pool-id";
#pragma warning restore CS1591
}

/// <summary>Raised for input that cannot be built; carries the precise <see cref="BuildError"/>.</summary>
public sealed class InvalidInputException : Exception
{
    /// <summary>An exception for <paramref name="error"/>.</summary>
    public InvalidInputException(BuildError error)
        : base((error ?? throw new ArgumentNullException(nameof(error))).ToString())
    {
        Error = error;
    }

    /// <summary>Not for use: an input error needs a <see cref="BuildError"/>.</summary>
    public InvalidInputException()
        : this(new BuildError("input", "-", null, "invalid"))
    {
    }

    /// <summary>Not for use: an input error needs a <see cref="BuildError"/>.</summary>
    public InvalidInputException(string message)
        : this(new BuildError("input", "-", null, message))
    {
    }

    /// <summary>Not for use: an input error needs a <see cref="BuildError"/>.</summary>
    public InvalidInputException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = new BuildError("input", "-", null, message);
    }

    /// <summary>What is wrong, where.</summary>
    public BuildError Error { get; }
}

/// <summary>
/// Typed reads of the ALB annotations of one object (or of a Service merged over an Ingress, Service winning, as
/// upstream does for target-group settings). Every parse error names the object the value came from, the
/// annotation and the value, and is raised as <see cref="InvalidInputException"/>.
/// </summary>
public sealed class AnnotationReader
{
    private readonly List<(string Object, IDictionary<string, string> Values)> _layers;

    /// <summary>Annotations of one object, described as e.g. <c>Ingress default/web</c>.</summary>
    public AnnotationReader(string objectDescription, IDictionary<string, string>? annotations)
    {
        _layers = [(objectDescription, annotations ?? new Dictionary<string, string>())];
    }

    private AnnotationReader(List<(string, IDictionary<string, string>)> layers) => _layers = layers;

    /// <summary>A reader where <paramref name="primary"/>'s values win over this reader's.</summary>
    public AnnotationReader Under(AnnotationReader primary)
    {
        ArgumentNullException.ThrowIfNull(primary);
        return new AnnotationReader([.. primary._layers, .. _layers]);
    }

    /// <summary>The object the first layer describes.</summary>
    public string Object => _layers[0].Object;

    /// <summary>True when <c>alb.ingress.kubernetes.io/&lt;suffix&gt;</c> is present.</summary>
    public bool Has(string suffix) => Find(suffix) is not null;

    /// <summary>The raw value, or null.</summary>
    public string? String(string suffix) => Find(suffix)?.Value;

    /// <summary>A boolean (<c>true/false/1/0/t/f</c>, any case, as Go's ParseBool), or null.</summary>
    public bool? Bool(string suffix)
    {
        if (Find(suffix) is not { } found)
            return null;
        return found.Value.Trim() switch
        {
            "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
            "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
            _ => throw Error(found, suffix, "must be a boolean (true or false)"),
        };
    }

    /// <summary>An integer within [<paramref name="min"/>, <paramref name="max"/>], or null.</summary>
    public long? Int(string suffix, long min = long.MinValue, long max = long.MaxValue)
    {
        if (Find(suffix) is not { } found)
            return null;
        if (!long.TryParse(found.Value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            throw Error(found, suffix, "must be an integer");
        if (value < min || value > max)
            throw Error(found, suffix, $"must be between {min} and {max}");
        return value;
    }

    /// <summary>A comma-separated list (entries trimmed, empty ones dropped), or null.</summary>
    public IReadOnlyList<string>? StringList(string suffix)
    {
        if (Find(suffix) is not { } found)
            return null;
        return SplitList(found.Value);
    }

    /// <summary>A <c>k1=v1,k2=v2</c> map (keys and values trimmed), or null.</summary>
    public IReadOnlyDictionary<string, string>? StringMap(string suffix)
    {
        if (Find(suffix) is not { } found)
            return null;
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in SplitList(found.Value))
        {
            var eq = entry.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                throw Error(found, suffix, $"entry \"{entry}\" must be key=value");
            map[entry[..eq].Trim()] = entry[(eq + 1)..].Trim();
        }
        return map;
    }

    /// <summary>A JSON value, or null.</summary>
    public JsonNode? Json(string suffix)
    {
        if (Find(suffix) is not { } found)
            return null;
        try
        {
            return JsonNode.Parse(found.Value) ?? throw Error(found, suffix, "must be JSON, not null");
        }
        catch (JsonException ex)
        {
            throw Error(found, suffix, "is not valid JSON: " + ex.Message.Split('.')[0]);
        }
    }

    /// <summary>Every annotation whose suffix starts with <paramref name="suffixPrefix"/> (e.g. <c>actions.</c>), by the rest of the suffix.</summary>
    public IReadOnlyDictionary<string, string> WithPrefix(string suffixPrefix)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var full = Annotations.Prefix + suffixPrefix;
        for (var i = _layers.Count - 1; i >= 0; i--)
        {
            foreach (var (key, value) in _layers[i].Values)
            {
                if (key.StartsWith(full, StringComparison.Ordinal))
                    result[key[full.Length..]] = value;
            }
        }
        return result;
    }

    /// <summary>An error about the value of <paramref name="suffix"/>, naming the object it came from.</summary>
    public InvalidInputException Invalid(string suffix, string message)
    {
        var found = Find(suffix);
        return found is null
            ? new InvalidInputException(new BuildError(Object, "annotation " + Annotations.Prefix + suffix, null, message))
            : Error(found.Value, suffix, message);
    }

    /// <summary>Splits a comma-separated list as upstream does.</summary>
    public static IReadOnlyList<string> SplitList(string value) =>
        [.. (value ?? string.Empty).Split(',').Select(static s => s.Trim()).Where(static s => s.Length > 0)];

    private (string Object, string Value)? Find(string suffix)
    {
        var key = Annotations.Prefix + suffix;
        foreach (var (obj, values) in _layers)
        {
            if (values.TryGetValue(key, out var value))
                return (obj, value);
        }
        return null;
    }

    private static InvalidInputException Error((string Object, string Value) found, string suffix, string message) =>
        new(new BuildError(found.Object, "annotation " + Annotations.Prefix + suffix, found.Value, message));
}
