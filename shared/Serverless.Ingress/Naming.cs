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
    /// namespace and name, Service UID, Service port as written, target group port, target type, protocol, protocol version
    /// and, when set, the target control port.
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
        string protocolVersion,
        int? targetControlPort = null)
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
            protocolVersion,
            targetControlPort?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty);
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
