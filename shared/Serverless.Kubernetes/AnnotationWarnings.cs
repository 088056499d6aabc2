using k8s.Models;
using Serverless.Ingress;
using Serverless.Kubernetes.Manifests;

namespace Serverless.Kubernetes;

/// <summary>One <c>alb.ingress.kubernetes.io/*</c> annotation on an Ingress that will not do what its author expects.</summary>
/// <param name="Annotation">The full annotation key.</param>
/// <param name="Message">Why, and what happens instead (e.g. "is ignored").</param>
public sealed record AnnotationWarning(string Annotation, string Message)
{
    public override string ToString() => $"annotation {Annotation} {Message}";
}

/// <summary>
/// Finds the ALB annotations on an Ingress that this controller reads as upstream does but does not apply (yet), that
/// upstream has and this controller does not, and the ones no controller knows (typos, e.g. <c>healthcheck-paht</c>):
/// upstream ignores all of these without a word, so a user can believe a WAF or an mTLS setting protects them.
/// The group reconcile turns each into a Warning Event on the Ingress; the runner prints them for manifests.
/// </summary>
public static class AnnotationWarnings
{
    /// <summary>Every annotation suffix the model builder reads and the deployer applies.</summary>
    private static readonly string[] Applied =
    [
        Annotations.LoadBalancerName, Annotations.GroupName, Annotations.GroupOrder, Annotations.Tags, Annotations.IpAddressType,
        Annotations.Scheme, Annotations.Subnets, Annotations.SecurityGroups, Annotations.ManageBackendSecurityGroupRules,
        Annotations.CustomerOwnedIpv4Pool, Annotations.LoadBalancerAttributes, Annotations.Wafv2AclArn, Annotations.Wafv2AclName,
        Annotations.ListenPorts,
        Annotations.SslRedirect, Annotations.InboundCidrs, Annotations.SecurityGroupPrefixLists, Annotations.CertificateArn,
        Annotations.SslPolicy, Annotations.TargetType, Annotations.BackendProtocol, Annotations.BackendProtocolVersion,
        Annotations.TargetGroupAttributes, Annotations.HealthCheckPort, Annotations.HealthCheckProtocol, Annotations.HealthCheckPath,
        Annotations.HealthCheckIntervalSeconds, Annotations.HealthCheckTimeoutSeconds, Annotations.HealthyThresholdCount,
        Annotations.UnhealthyThresholdCount, Annotations.SuccessCodes, Annotations.AuthType, Annotations.AuthIdpCognito,
        Annotations.AuthIdpOidc, Annotations.AuthOnUnauthenticatedRequest, Annotations.AuthScope, Annotations.AuthSessionCookie,
        Annotations.AuthSessionTimeout, Annotations.JwtValidation, Annotations.UseRegexPathMatch, Annotations.TargetNodeLabels,
    ];

    /// <summary>Annotation families by prefix (<c>actions.&lt;name&gt;</c>, …), all applied.</summary>
    private static readonly string[] AppliedPrefixes =
        [Annotations.ActionsPrefix, Annotations.ConditionsPrefix, Annotations.TransformsPrefix, Annotations.ListenerAttributesPrefix];

    /// <summary>Read and validated, not applied on AWS yet.</summary>
    private static readonly Dictionary<string, string> NotAppliedYet = new(StringComparer.Ordinal)
    {
        [Annotations.ShieldAdvancedProtection] = "is not applied by this controller yet: no Shield Advanced protection is created or removed",
        [Annotations.MinimumLoadBalancerCapacity] = "is not applied by this controller yet: no capacity is reserved",
        [Annotations.IpamIpv4PoolId] = "is not applied by this controller yet: the load balancer takes its addresses from Amazon's pool",
    };

    /// <summary>Upstream annotations this controller does not support, with what to do instead.</summary>
    private static readonly Dictionary<string, string> Unsupported = new(StringComparer.Ordinal)
    {
        ["waf-acl-id"] = "(WAF Classic) is not supported by this controller and is ignored: use wafv2-acl-arn",
        ["web-acl-id"] = "(WAF Classic) is not supported by this controller and is ignored: use wafv2-acl-arn",
        ["mutual-authentication"] = "(listener mTLS) is not supported by this controller and is ignored",
        ["multi-cluster-target-group"] = "is not supported by this controller and is ignored",
        ["enable-frontend-nlb"] = "(a frontend NLB) is not supported by this controller and is ignored",
        ["create-acm-cert"] = "is not supported by this controller and is ignored: set certificate-arn",
        ["acm-pca-arn"] = "is not supported by this controller and is ignored: set certificate-arn",
    };

    private static readonly string[] UnsupportedPrefixes = ["frontend-nlb-", "target-control-port."];

    /// <summary>Written by upstream's plan gate; harmless, never warned about.</summary>
    private const string DryRunPlan = "dry-run-plan";

    private static readonly string[] Known = [.. Applied, .. NotAppliedYet.Keys, .. Unsupported.Keys];

    /// <summary>
    /// The annotations read from a backend Service (the Service's value wins over the Ingress's, as upstream): the
    /// target group's settings, its health check and tags, and authentication.
    /// </summary>
    private static readonly string[] ServiceKeys =
    [
        Annotations.TargetType, Annotations.BackendProtocol, Annotations.BackendProtocolVersion, Annotations.TargetGroupAttributes,
        Annotations.HealthCheckPort, Annotations.HealthCheckProtocol, Annotations.HealthCheckPath, Annotations.HealthCheckIntervalSeconds,
        Annotations.HealthCheckTimeoutSeconds, Annotations.HealthyThresholdCount, Annotations.UnhealthyThresholdCount,
        Annotations.SuccessCodes, Annotations.AuthType, Annotations.AuthIdpCognito, Annotations.AuthIdpOidc,
        Annotations.AuthOnUnauthenticatedRequest, Annotations.AuthScope, Annotations.AuthSessionCookie, Annotations.AuthSessionTimeout,
        Annotations.TargetNodeLabels, Annotations.Tags,
    ];

    /// <summary>The warnings for <paramref name="ingress"/>'s annotations, in annotation order (ordinal).</summary>
    public static IReadOnlyList<AnnotationWarning> Of(V1Ingress ingress)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        var warnings = new List<AnnotationWarning>();
        foreach (var key in (ingress.Metadata?.Annotations?.Keys ?? []).Order(StringComparer.Ordinal))
        {
            if (!key.StartsWith(Annotations.Prefix, StringComparison.Ordinal))
                continue;
            if (Message(key[Annotations.Prefix.Length..]) is { } message)
                warnings.Add(new AnnotationWarning(key, message));
        }
        return warnings;
    }

    /// <summary>
    /// The warnings for a backend <paramref name="service"/>'s <c>alb.ingress.kubernetes.io/*</c> annotations, in
    /// annotation order: keys read only from an Ingress (or its IngressClassParams), keys not applied or not supported,
    /// and unknown keys (with a "did you mean" among the keys a Service may carry).
    /// </summary>
    public static IReadOnlyList<AnnotationWarning> OfService(V1Service service)
    {
        ArgumentNullException.ThrowIfNull(service);
        var warnings = new List<AnnotationWarning>();
        foreach (var key in (service.Metadata?.Annotations?.Keys ?? []).Order(StringComparer.Ordinal))
        {
            if (!key.StartsWith(Annotations.Prefix, StringComparison.Ordinal))
                continue;
            if (ServiceMessage(key[Annotations.Prefix.Length..]) is { } message)
                warnings.Add(new AnnotationWarning(key, message));
        }
        return warnings;
    }

    // The keys a Service may carry are a subset of Known, so everything else reads as it does on an Ingress.
    private static string? ServiceMessage(string suffix) =>
        ServiceKeys.Contains(suffix, StringComparer.Ordinal) ? null
        : IsApplied(suffix) ? "is read only from an Ingress (or its IngressClassParams), not from a Service, and is ignored here: set it on the Ingress"
        : Message(suffix);

    private static bool IsApplied(string suffix) =>
        Applied.Contains(suffix, StringComparer.Ordinal) || suffix == DryRunPlan
        || AppliedPrefixes.Any(p => suffix.StartsWith(p, StringComparison.Ordinal) && suffix.Length > p.Length);

    private static string? Message(string suffix)
    {
        if (IsApplied(suffix))
            return null;
        if (NotAppliedYet.TryGetValue(suffix, out var notYet))
            return notYet;
        if (Unsupported.TryGetValue(suffix, out var unsupported))
            return unsupported;
        if (UnsupportedPrefixes.FirstOrDefault(p => suffix.StartsWith(p, StringComparison.Ordinal)) is { } family)
            return $"({family}*) is not supported by this controller and is ignored";
        var near = YamlObjectReader.Suggest(suffix, Known);
        return near is null
            ? "is not an AWS Load Balancer Controller annotation and is ignored"
            : $"is not an AWS Load Balancer Controller annotation and is ignored (did you mean {Annotations.Prefix}{near}?)";
    }
}
