using System.Globalization;
using System.Text.RegularExpressions;
using k8s.Models;
using Serverless.Model;

namespace Serverless.Ingress;

/// <summary>What class selection decided for one Ingress.</summary>
internal enum ClassVerdict
{
    /// <summary>Another controller's Ingress, or one with no class while <c>--ingress-class</c> is set.</summary>
    NotOurs,

    /// <summary>Ours; <see cref="ClassResult.Params"/> holds its IngressClassParams, if any.</summary>
    Ours,

    /// <summary>Its class configuration is broken (class or parameters missing, namespace not selected, two defaults).</summary>
    Invalid,
}

/// <summary>The verdict of class selection, the class parameters when ours, the error when invalid.</summary>
internal sealed record ClassResult(ClassVerdict Verdict, IngressClassParams? Params = null, BuildError? Error = null)
{
    public static ClassResult NotOurs { get; } = new(ClassVerdict.NotOurs);
}

/// <summary>IngressClasses, IngressClassParams and Namespaces indexed by name, independent of input order.</summary>
internal sealed class ClassIndex
{
    private readonly Dictionary<string, V1IngressClass> _classes;
    private readonly Dictionary<string, IngressClassParams> _params;
    private readonly Dictionary<string, V1Namespace> _namespaces;

    public ClassIndex(IReadOnlyList<V1IngressClass> classes, IReadOnlyList<IngressClassParams> classParams, IReadOnlyList<V1Namespace> namespaces)
    {
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(classParams);
        ArgumentNullException.ThrowIfNull(namespaces);
        _classes = FirstByName(classes.Where(static c => c.Metadata?.Name is not null), static c => c.Metadata.Name);
        _params = FirstByName(classParams, static p => p.Name);
        _namespaces = FirstByName(namespaces.Where(static n => n.Metadata?.Name is not null), static n => n.Metadata.Name);
        Defaults = [.. _classes.Values
            .Where(static c => c.Metadata.Annotations?.TryGetValue(Annotations.IsDefaultClass, out var v) == true && v == "true")
            .Select(static c => c.Metadata.Name)
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>Names of the IngressClasses annotated as the cluster default, sorted.</summary>
    public IReadOnlyList<string> Defaults { get; }

    public V1IngressClass? Class(string name) => _classes.GetValueOrDefault(name);

    public IngressClassParams? Params(string name) => _params.GetValueOrDefault(name);

    public IDictionary<string, string>? NamespaceLabels(string name) => _namespaces.GetValueOrDefault(name)?.Metadata.Labels;

    // Names are unique in a real cluster; should a hand-made snapshot repeat one, the first in input order is used.
    private static Dictionary<string, T> FirstByName<T>(IEnumerable<T> items, Func<T, string> name) =>
        items.GroupBy(name, StringComparer.Ordinal)
            .ToDictionary(static g => g.Key, static g => g.First(), StringComparer.Ordinal);
}

/// <summary>
/// Upstream's class selection (<c>group_loader.go classifyIngress</c>, <c>class_loader.go</c>): the legacy
/// <c>kubernetes.io/ingress.class</c> annotation first, then <c>spec.ingressClassName</c> or the default IngressClass,
/// then the class's controller and IngressClassParams.
/// </summary>
internal static class ClassSelection
{
    /// <summary>The controller name of an IngressClass handled by us.</summary>
    public const string Controller = "ingress.k8s.aws/alb";

    /// <summary>The API group of IngressClassParams.</summary>
    public const string ParamsApiGroup = "elbv2.k8s.aws";

    /// <summary>The kind of IngressClassParams.</summary>
    public const string ParamsKind = "IngressClassParams";

    public static ClassResult Classify(V1Ingress ingress, ClassIndex index, ClusterSettings cluster)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(cluster);
        var meta = ingress.Metadata;
        var description = "Ingress " + meta.NamespaceProperty + "/" + meta.Name;

        // 1. The legacy annotation wins over everything and never consults an IngressClass.
        if (meta.Annotations?.TryGetValue(Annotations.IngressClass, out var legacy) == true)
        {
            var matches = legacy == cluster.IngressClass || (cluster.IngressClass.Length == 0 && legacy == "alb");
            return matches ? new ClassResult(ClassVerdict.Ours) : ClassResult.NotOurs;
        }

        // 2. spec.ingressClassName, else the one default IngressClass.
        var className = ingress.Spec?.IngressClassName;
        if (className is null)
        {
            if (index.Defaults.Count > 1)
            {
                return Invalid(description, "spec.ingressClassName", null,
                    $"multiple default IngressClasses found: [{string.Join(' ', index.Defaults)}]; set spec.ingressClassName");
            }
            if (index.Defaults.Count == 0)
                return cluster.IngressClass.Length == 0 ? new ClassResult(ClassVerdict.Ours) : ClassResult.NotOurs;
            className = index.Defaults[0];
        }

        // 3. The IngressClass, its controller, and its parameters.
        var ingressClass = index.Class(className);
        if (ingressClass is null)
            return Invalid(description, "spec.ingressClassName", className, $"IngressClass {className} not found");
        if (ingressClass.Spec?.Controller != Controller)
            return ClassResult.NotOurs;
        var parameters = ingressClass.Spec.Parameters;
        if (parameters is null)
            return new ClassResult(ClassVerdict.Ours);
        if (parameters.ApiGroup != ParamsApiGroup || parameters.Kind != ParamsKind)
        {
            return Invalid(description, $"IngressClass {className} spec.parameters", $"{parameters.ApiGroup}/{parameters.Kind}",
                $"IngressClass {className} references unknown parameters: expected apiGroup {ParamsApiGroup}, kind {ParamsKind}");
        }
        var classParams = index.Params(parameters.Name ?? string.Empty);
        if (classParams is null)
        {
            return Invalid(description, $"IngressClass {className} spec.parameters.name", parameters.Name,
                $"IngressClassParams {parameters.Name} not found");
        }
        if (classParams.NamespaceSelector is { } selector && !selector.Matches(index.NamespaceLabels(meta.NamespaceProperty)))
        {
            return Invalid(description, $"IngressClassParams {classParams.Name} spec.namespaceSelector", meta.NamespaceProperty,
                $"namespaceSelector of IngressClassParams {classParams.Name} mismatch: namespace {meta.NamespaceProperty} is not selected");
        }
        return new ClassResult(ClassVerdict.Ours, classParams);
    }

    private static ClassResult Invalid(string obj, string field, string? value, string message) =>
        new(ClassVerdict.Invalid, null, new BuildError(obj, field, value, message));
}

/// <summary>Upstream's group rules (<c>group_loader.go</c>): which group an Ingress of ours asks for.</summary>
internal static partial class GroupNames
{
    /// <summary>Longest group name.</summary>
    public const int MaxLength = 63;

    /// <summary>Lowest and highest <c>group.order</c>.</summary>
    public const int MinOrder = -1000;

    /// <summary>Highest <c>group.order</c>.</summary>
    public const int MaxOrder = 1000;

    [GeneratedRegex("^([a-z0-9][-a-z0-9.]*)?[a-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    /// <summary>
    /// The group an Ingress of ours belongs to: IngressClassParams <c>group.name</c>, else the <c>group.name</c>
    /// annotation, else its implicit group. An invalid name gives the error instead.
    /// </summary>
    public static (StackId? Group, BuildError? Error) Of(V1Ingress ingress, IngressClassParams? classParams)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        var meta = ingress.Metadata;
        var description = "Ingress " + meta.NamespaceProperty + "/" + meta.Name;
        if (classParams?.GroupName is { } fromParams)
        {
            return Validate(fromParams) is { } problem
                ? (null, new BuildError("IngressClassParams " + classParams.Name, "spec.group.name", fromParams, problem))
                : (StackId.Explicit(fromParams), null);
        }
        if (meta.Annotations?.TryGetValue(Annotations.Prefix + Annotations.GroupName, out var fromAnnotation) == true)
        {
            return Validate(fromAnnotation) is { } problem
                ? (null, new BuildError(description, "annotation " + Annotations.Prefix + Annotations.GroupName, fromAnnotation, problem))
                : (StackId.Explicit(fromAnnotation), null);
        }
        return (StackId.Implicit(meta.NamespaceProperty, meta.Name), null);
    }

    /// <summary>Why <paramref name="name"/> is not a valid group name, or null.</summary>
    public static string? Validate(string name)
    {
        if (!Pattern().IsMatch(name))
            return "groupName must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
        if (name.Length > MaxLength)
            return string.Create(CultureInfo.InvariantCulture, $"groupName must be no more than {MaxLength} characters");
        return null;
    }
}
