using k8s.Models;

namespace Serverless.Service;

/// <summary>
/// Which Services are ours, exactly as upstream decides: <c>spec.loadBalancerClass</c> equal to ours
/// (<c>service.k8s.aws/nlb</c> by default) whatever the annotations say; or no class and
/// <c>service.beta.kubernetes.io/aws-load-balancer-type</c> <c>nlb-ip</c>, or <c>external</c> with
/// <c>aws-load-balancer-nlb-target-type</c> exactly <c>ip</c> or <c>instance</c>. Anything else (another class, the
/// in-tree provider's <c>nlb</c>, no annotation) is never touched. A Service being deleted is not ours any more: its
/// resources go, and its finalizer with them.
/// </summary>
public static class ServiceSelection
{
    /// <summary>Upstream's default <c>--load-balancer-class</c>.</summary>
    public const string DefaultLoadBalancerClass = "service.k8s.aws/nlb";

    /// <summary>The finalizer upstream puts on a Service it owns resources for.</summary>
    public const string Finalizer = "service.k8s.aws/resources";

    /// <summary><c>service.beta.kubernetes.io/aws-load-balancer-type</c>.</summary>
    public const string TypeAnnotation = "service.beta.kubernetes.io/aws-load-balancer-type";

    /// <summary><c>service.beta.kubernetes.io/aws-load-balancer-nlb-target-type</c>.</summary>
    public const string TargetTypeAnnotation = "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type";

    /// <summary>True when <paramref name="service"/> is ours to reconcile into an NLB now.</summary>
    public static bool IsOurs(V1Service service, string loadBalancerClass = DefaultLoadBalancerClass)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (service.Metadata?.DeletionTimestamp is not null)
            return false;
        if (service.Spec?.LoadBalancerClass is { Length: > 0 } cls)
            return cls == loadBalancerClass;
        var annotations = service.Metadata?.Annotations;
        if (annotations is null || !annotations.TryGetValue(TypeAnnotation, out var type))
            return false;
        return type switch
        {
            "nlb-ip" => true,
            "external" => annotations.TryGetValue(TargetTypeAnnotation, out var target) && target is "ip" or "instance",
            _ => false,
        };
    }

    /// <summary>True when <paramref name="service"/> carries our finalizer (its NLB may still exist).</summary>
    public static bool HasFinalizer(V1Service service) =>
        (service ?? throw new ArgumentNullException(nameof(service))).Metadata?.Finalizers?.Contains(Finalizer) == true;

    /// <summary>True when the Service is ours now or was (it still carries our finalizer): a reconcile has work to do.</summary>
    public static bool Concerns(V1Service service, string loadBalancerClass = DefaultLoadBalancerClass) =>
        IsOurs(service, loadBalancerClass) || HasFinalizer(service);
}
