using System.Security.Cryptography;
using System.Text;
using Serverless.Model;

namespace Serverless.Ingress;

/// <summary>
/// Upstream's resource names, byte for byte, so a load balancer, target group or security group created by the
/// upstream controller is found and adopted rather than recreated. Hashes are lowercase hex SHA-256 over the
/// concatenated inputs (no separators); names keep only ASCII letters and digits of their parts.
/// </summary>
public static class Naming
{
    /// <summary>Load balancer name: <c>k8s-&lt;ns:8&gt;-&lt;name:8&gt;-&lt;hash:10&gt;</c> (implicit) or <c>k8s-&lt;group:17&gt;-&lt;hash:10&gt;</c>; hash of cluster + group ID + scheme.</summary>
    public static string LoadBalancerName(string clusterName, StackId group, string scheme)
    {
        ArgumentNullException.ThrowIfNull(group);
        var hash = Sha256Hex(clusterName, group.ToString(), scheme);
        return Format(group, hash);
    }

    /// <summary>Managed frontend SG name: the load balancer formats, hash of cluster + group ID (no scheme).</summary>
    public static string ManagedSecurityGroupName(string clusterName, StackId group)
    {
        ArgumentNullException.ThrowIfNull(group);
        return Format(group, Sha256Hex(clusterName, group.ToString()));
    }

    /// <summary>The managed frontend SG's description.</summary>
    public const string ManagedSecurityGroupDescription = "[k8s] Managed SecurityGroup for LoadBalancer";

    /// <summary>Shared backend SG name: <c>k8s-traffic-&lt;cluster:232&gt;-&lt;hash:10&gt;</c>, hash of the cluster name.</summary>
    public static string BackendSecurityGroupName(string clusterName) =>
        $"k8s-traffic-{Truncate(Sanitize(clusterName), 232)}-{Sha256Hex(clusterName)[..10]}";

    /// <summary>The shared backend SG's description.</summary>
    public const string BackendSecurityGroupDescription = "[k8s] Shared Backend SecurityGroup for LoadBalancer";

    /// <summary>
    /// Target group name: <c>k8s-&lt;svcNs:8&gt;-&lt;svcName:8&gt;-&lt;hash:10&gt;</c>, hash of cluster, group ID, Ingress
    /// namespace and name, Service UID, Service port as written, target group port, target type, protocol and protocol version.
    /// </summary>
    public static string TargetGroupName(
        string clusterName,
        StackId group,
        string ingressNamespace,
        string ingressName,
        string serviceNamespace,
        string serviceName,
        string serviceUid,
        string servicePort,
        int targetGroupPort,
        string targetType,
        string protocol,
        string protocolVersion)
    {
        ArgumentNullException.ThrowIfNull(group);
        var hash = Sha256Hex(
            clusterName,
            group.ToString(),
            ingressNamespace,
            ingressName,
            serviceUid,
            servicePort,
            targetGroupPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            targetType,
            protocol,
            protocolVersion);
        return $"k8s-{Truncate(Sanitize(serviceNamespace), 8)}-{Truncate(Sanitize(serviceName), 8)}-{hash[..10]}";
    }

    /// <summary>Lowercase hex SHA-256 of the UTF-8 bytes of the parts, concatenated.</summary>
    public static string Sha256Hex(params string[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Concat(parts))));
    }

    /// <summary>Removes every character that is not an ASCII letter or digit (Go's <c>[[:^alnum:]]</c>).</summary>
    public static string Sanitize(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (char.IsAsciiLetterOrDigit(c))
                builder.Append(c);
        }
        return builder.ToString();
    }

    private static string Format(StackId group, string hash) =>
        group.IsExplicit
            ? $"k8s-{Truncate(Sanitize(group.GroupName!), 17)}-{hash[..10]}"
            : $"k8s-{Truncate(Sanitize(group.Namespace!), 8)}-{Truncate(Sanitize(group.Name!), 8)}-{hash[..10]}";

    // Go's %.Ns truncates to N runes; sanitized strings are ASCII, so characters are runes.
    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];
}

/// <summary>The tags that mark what we own, as upstream writes them.</summary>
public static class TrackingTags
{
    /// <summary><c>elbv2.k8s.aws/cluster</c>: the cluster name, on every resource.</summary>
    public const string Cluster = "elbv2.k8s.aws/cluster";

    /// <summary><c>ingress.k8s.aws/stack</c>: the group ID, on every resource of the stack.</summary>
    public const string Stack = "ingress.k8s.aws/stack";

    /// <summary><c>ingress.k8s.aws/resource</c>: the resource ID within the stack.</summary>
    public const string Resource = "ingress.k8s.aws/resource";

    /// <summary><c>elbv2.k8s.aws/resource</c>: <c>backend-sg</c> on the shared backend SG.</summary>
    public const string BackendResource = "elbv2.k8s.aws/resource";

    /// <summary>
    /// Ours, not upstream's: the Ingress (<c>namespace/name</c>) that owns a listener rule or target group, so the
    /// rules and target groups of an invalid member can be kept untouched. Unknown to upstream, harmless to it.
    /// </summary>
    public const string OwnerIngress = "serverless.elbv2.k8s.aws/ingress";

    /// <summary>Tag keys that are never reconciled (upstream's legacy keys and AWS's own).</summary>
    public static bool IsIgnored(string key) =>
        key.StartsWith("aws:", StringComparison.Ordinal)
        || key.StartsWith("kubernetes.io/cluster/", StringComparison.Ordinal)
        || key is "kubernetes.io/cluster-name" or "kubernetes.io/namespace" or "kubernetes.io/ingress-name"
            or "kubernetes.io/service-name" or "kubernetes.io/service-port" or "ingress.k8s.aws/cluster";

    /// <summary>The tracking tags of a stack resource.</summary>
    public static SortedDictionary<string, string> For(string clusterName, StackId stack, string resourceId) =>
        new(StringComparer.Ordinal)
        {
            [Cluster] = clusterName,
            [Stack] = (stack ?? throw new ArgumentNullException(nameof(stack))).ToString(),
            [Resource] = resourceId,
        };
}
