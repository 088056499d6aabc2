using k8s.Models;

namespace Serverless.Ingress;

/// <summary>
/// How a group's members chose this controller, as recorded on its load balancer (tag
/// <c>serverless.elbv2.k8s.aws/ingress-class</c>) and checked again before the garbage collection deletes an orphaned
/// stack: each member contributes its IngressClass name, or <c>kubernetes.io/ingress.class=&lt;value&gt;</c> when the
/// legacy annotation chose (no IngressClass is consulted then). Values are distinct, sorted, space-separated. Pure.
/// </summary>
public static class IngressClassRecord
{
    /// <summary>AWS's longest tag value.</summary>
    public const int MaxLength = 256;

    /// <summary>The prefix of a legacy-annotation entry.</summary>
    public const string LegacyPrefix = Annotations.IngressClass + "=";

    /// <summary>
    /// The record of the members of <paramref name="snapshot"/>'s group (Ingresses whose current group it is), or
    /// null when it has none, a member has no class at all, or the record would exceed <see cref="MaxLength"/>.
    /// </summary>
    public static string? Of(GroupSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var index = new ClassIndex(snapshot.IngressClasses, snapshot.IngressClassParams, snapshot.Namespaces);
        var entries = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var ingress in snapshot.Ingresses)
        {
            if (GroupKeys.Of(ingress, snapshot.IngressClasses, snapshot.IngressClassParams, snapshot.Namespaces, snapshot.Cluster) != snapshot.Group)
                continue;
            var meta = ingress.Metadata;
            if (meta.Annotations?.TryGetValue(Annotations.IngressClass, out var legacy) == true)
                entries.Add(LegacyPrefix + legacy);
            else if ((ingress.Spec?.IngressClassName ?? (index.Defaults.Count == 1 ? index.Defaults[0] : null)) is { } name)
                entries.Add(name);
            else
                return null;
        }
        var record = string.Join(' ', entries);
        return entries.Count == 0 || record.Length > MaxLength ? null : record;
    }

    /// <summary>
    /// Why <paramref name="record"/> no longer selects this controller, or null when every entry still does: an
    /// IngressClass entry needs the IngressClass with controller <c>ingress.k8s.aws/alb</c> and, when it references
    /// parameters, that IngressClassParams; a legacy entry needs the controller's class (<c>--ingress-class</c>) to be
    /// its value still.
    /// </summary>
    public static string? Problem(
        string? record,
        IReadOnlyList<V1IngressClass> ingressClasses,
        IReadOnlyList<IngressClassParams> ingressClassParams,
        ClusterSettings cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (string.IsNullOrWhiteSpace(record))
            return "no IngressClass is recorded on the load balancer";
        var index = new ClassIndex(ingressClasses, ingressClassParams, []);
        foreach (var entry in record.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (entry.StartsWith(LegacyPrefix, StringComparison.Ordinal))
            {
                var value = entry[LegacyPrefix.Length..];
                if (value != cluster.IngressClass && !(cluster.IngressClass.Length == 0 && value == "alb"))
                    return $"annotation {Annotations.IngressClass}={value} is not this controller's class ({cluster.IngressClass}) any more";
                continue;
            }
            var ingressClass = index.Class(entry);
            if (ingressClass is null)
                return $"IngressClass {entry} no longer exists";
            if (ingressClass.Spec?.Controller != ClassSelection.Controller)
                return $"IngressClass {entry} spec.controller is {ingressClass.Spec?.Controller ?? "(none)"}, not {ClassSelection.Controller}";
            if (ingressClass.Spec.Parameters is { } parameters)
            {
                if (parameters.ApiGroup != ClassSelection.ParamsApiGroup || parameters.Kind != ClassSelection.ParamsKind)
                    return $"IngressClass {entry} spec.parameters references {parameters.ApiGroup}/{parameters.Kind}, not {ClassSelection.ParamsApiGroup}/{ClassSelection.ParamsKind}";
                if (index.Params(parameters.Name ?? string.Empty) is null)
                    return $"IngressClass {entry} spec.parameters.name: IngressClassParams {parameters.Name} no longer exists";
            }
        }
        return null;
    }
}
