using k8s.Models;
using Serverless.Model;

namespace Serverless.Ingress;

/// <summary>
/// Which Ingress group (stack) an Ingress belongs to, and which groups it still holds through its finalizers: the
/// keys a change to an Ingress must reconcile (upstream's <c>LoadGroupIDIfAny</c> and
/// <c>LoadGroupIDsPendingFinalization</c>). Pure.
/// </summary>
public static class GroupKeys
{
    /// <summary>The finalizer of an Ingress in its implicit group.</summary>
    public const string ImplicitFinalizer = "ingress.k8s.aws/resources";

    /// <summary>The prefix of the finalizer of an Ingress in an explicit group (<c>group.ingress.k8s.aws/&lt;groupName&gt;</c>).</summary>
    public const string ExplicitFinalizerPrefix = "group.ingress.k8s.aws/";

    /// <summary>The finalizer every member of <paramref name="group"/> carries.</summary>
    public static string Finalizer(StackId group)
    {
        ArgumentNullException.ThrowIfNull(group);
        return group.IsExplicit ? ExplicitFinalizerPrefix + group.GroupName : ImplicitFinalizer;
    }

    /// <summary>
    /// The group <paramref name="ingress"/> is a member of, or null when it is none: being deleted, not ours (class
    /// selection), an invalid class configuration, or an invalid group name.
    /// </summary>
    public static StackId? Of(
        V1Ingress ingress,
        IReadOnlyList<V1IngressClass> ingressClasses,
        IReadOnlyList<IngressClassParams> ingressClassParams,
        IReadOnlyList<V1Namespace> namespaces,
        ClusterSettings cluster)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        return Of(ingress, new ClassIndex(ingressClasses, ingressClassParams, namespaces), cluster);
    }

    /// <summary>
    /// Why <paramref name="ingress"/> is a member of no group although it is, or may be, meant for this controller:
    /// its class configuration is invalid (IngressClass or IngressClassParams missing, namespace not selected, several
    /// default IngressClasses) or the group name it asks for is invalid. Null when it is a member of a group, is being
    /// deleted, or is another controller's.
    /// </summary>
    public static BuildError? MembershipError(
        V1Ingress ingress,
        IReadOnlyList<V1IngressClass> ingressClasses,
        IReadOnlyList<IngressClassParams> ingressClassParams,
        IReadOnlyList<V1Namespace> namespaces,
        ClusterSettings cluster)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        ArgumentNullException.ThrowIfNull(cluster);
        if (ingress.Metadata?.DeletionTimestamp is not null)
            return null;
        var verdict = ClassSelection.Classify(ingress, new ClassIndex(ingressClasses, ingressClassParams, namespaces), cluster);
        return verdict.Verdict switch
        {
            ClassVerdict.Invalid => verdict.Error,
            ClassVerdict.Ours => GroupNames.Of(ingress, verdict.Params).Error,
            _ => null,
        };
    }

    /// <summary>The groups named by the finalizers <paramref name="ingress"/> carries, in finalizer order.</summary>
    public static IReadOnlyList<StackId> FromFinalizers(V1Ingress ingress)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        var groups = new List<StackId>();
        foreach (var finalizer in ingress.Metadata?.Finalizers ?? [])
        {
            StackId? group = null;
            if (finalizer == ImplicitFinalizer)
                group = StackId.Implicit(ingress.Metadata!.NamespaceProperty, ingress.Metadata.Name);
            else if (finalizer.StartsWith(ExplicitFinalizerPrefix, StringComparison.Ordinal) && finalizer.Length > ExplicitFinalizerPrefix.Length)
                group = StackId.Explicit(finalizer[ExplicitFinalizerPrefix.Length..]);
            if (group is not null && !groups.Contains(group))
                groups.Add(group);
        }
        return groups;
    }

    /// <summary>Every group a change to <paramref name="ingress"/> must reconcile: its current group, then those of its finalizers.</summary>
    public static IReadOnlyList<StackId> ToReconcile(
        V1Ingress ingress,
        IReadOnlyList<V1IngressClass> ingressClasses,
        IReadOnlyList<IngressClassParams> ingressClassParams,
        IReadOnlyList<V1Namespace> namespaces,
        ClusterSettings cluster)
    {
        var groups = new List<StackId>();
        if (Of(ingress, ingressClasses, ingressClassParams, namespaces, cluster) is { } current)
            groups.Add(current);
        foreach (var group in FromFinalizers(ingress))
        {
            if (!groups.Contains(group))
                groups.Add(group);
        }
        return groups;
    }

    /// <summary>True when <paramref name="ingress"/> carries the finalizer of <paramref name="group"/>.</summary>
    public static bool HoldsFinalizer(V1Ingress ingress, StackId group)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        ArgumentNullException.ThrowIfNull(group);
        if (ingress.Metadata?.Finalizers is not { } finalizers || !finalizers.Contains(Finalizer(group)))
            return false;
        // The implicit finalizer is the same string on every Ingress: it holds only the Ingress's own implicit group.
        return group.IsExplicit
            || (group.Namespace == ingress.Metadata.NamespaceProperty && group.Name == ingress.Metadata.Name);
    }

    internal static StackId? Of(V1Ingress ingress, ClassIndex index, ClusterSettings cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (ingress.Metadata?.DeletionTimestamp is not null)
            return null;
        var verdict = ClassSelection.Classify(ingress, index, cluster);
        if (verdict.Verdict != ClassVerdict.Ours)
            return null;
        return GroupNames.Of(ingress, verdict.Params).Group;
    }
}
