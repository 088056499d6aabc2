using k8s.Models;

namespace Serverless.Ingress.Backend;

/// <summary>
/// Pod readiness gates of the load balancer controller (upstream's <c>target-health.elbv2.k8s.aws/&lt;name&gt;</c>): the
/// names, and what a Pod says about them. Pure.
/// </summary>
public static class PodReadinessGates
{
    /// <summary>The prefix of every gate's condition type.</summary>
    public const string Prefix = "target-health.elbv2.k8s.aws/";

    /// <summary>
    /// The condition type of the gate of <paramref name="name"/>: the target group's name for the target groups of an
    /// Ingress or Service (the name upstream gave the TargetGroupBinding it generated for them), the binding's name for a
    /// TargetGroupBinding.
    /// </summary>
    public static string ConditionType(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return Prefix + name;
    }

    /// <summary>True when <paramref name="pod"/> lists <paramref name="conditionType"/> in <c>spec.readinessGates</c>.</summary>
    public static bool HasGate(V1Pod pod, string conditionType)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return pod.Spec?.ReadinessGates?.Any(g => g?.ConditionType == conditionType) == true;
    }

    /// <summary>The Pod's condition of <paramref name="type"/>, or null.</summary>
    public static V1PodCondition? Condition(V1Pod pod, string type)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return pod.Status?.Conditions?.FirstOrDefault(c => c?.Type == type);
    }

    /// <summary>True when the Pod's <c>ContainersReady</c> condition is True (its containers pass their own probes).</summary>
    public static bool ContainersReady(V1Pod pod) => Condition(pod, "ContainersReady")?.Status == "True";
}
