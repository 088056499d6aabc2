namespace Serverless.Model;

/// <summary>What a stack is made from.</summary>
public enum StackKind
{
    /// <summary>An Ingress group: an Application Load Balancer, tagged <c>ingress.k8s.aws/stack</c>.</summary>
    IngressGroup,

    /// <summary>One Service of type LoadBalancer: a Network Load Balancer, tagged <c>service.k8s.aws/stack</c>.</summary>
    Service,

    /// <summary>
    /// One TargetGroupBinding (<c>elbv2.k8s.aws/v1beta1</c>): targets registered into a target group made outside
    /// Kubernetes. It owns no AWS resource, so it has no stack tag.
    /// </summary>
    TargetGroupBinding,
}

/// <summary>
/// The identity of a stack: one Ingress group, or one Service. Explicit groups (<c>group.name</c>) are named by the
/// group name; implicit groups (a single Ingress) and Services by <c>namespace/name</c>. The string form is upstream's
/// stack ID and the value of the <c>ingress.k8s.aws/stack</c> or <c>service.k8s.aws/stack</c> tag; an implicit group
/// and a Service of the same name have the same string form and differ by <see cref="Kind"/> (their tag keys differ).
/// </summary>
public sealed record StackId
{
    private StackId(string? groupName, string? ns, string? name, StackKind kind = StackKind.IngressGroup)
    {
        GroupName = groupName;
        Namespace = ns;
        Name = name;
        Kind = kind;
    }

    /// <summary>An Ingress group or a Service.</summary>
    public StackKind Kind { get; }

    /// <summary>True for a Service stack.</summary>
    public bool IsService => Kind == StackKind.Service;

    /// <summary>True for a TargetGroupBinding.</summary>
    public bool IsBinding => Kind == StackKind.TargetGroupBinding;

    /// <summary>The "stack" of one TargetGroupBinding (<c>namespace/name</c>).</summary>
    public static StackId Binding(string ns, string name) =>
        new(null, ns ?? throw new ArgumentNullException(nameof(ns)), name ?? throw new ArgumentNullException(nameof(name)), StackKind.TargetGroupBinding);

    /// <summary>The stack of one Service (<c>namespace/name</c>).</summary>
    public static StackId Service(string ns, string name) =>
        new(null, ns ?? throw new ArgumentNullException(nameof(ns)), name ?? throw new ArgumentNullException(nameof(name)), StackKind.Service);

    /// <summary>The explicit group's name, or null for an implicit group.</summary>
    public string? GroupName { get; }

    /// <summary>The Ingress namespace of an implicit group, or null.</summary>
    public string? Namespace { get; }

    /// <summary>The Ingress name of an implicit group, or null.</summary>
    public string? Name { get; }

    /// <summary>True for an explicit (<c>group.name</c>) group.</summary>
    public bool IsExplicit => GroupName is not null;

    /// <summary>An explicit group.</summary>
    public static StackId Explicit(string groupName) => new(groupName ?? throw new ArgumentNullException(nameof(groupName)), null, null);

    /// <summary>The implicit group of one Ingress.</summary>
    public static StackId Implicit(string ns, string name) =>
        new(null, ns ?? throw new ArgumentNullException(nameof(ns)), name ?? throw new ArgumentNullException(nameof(name)));

    /// <summary>Parses the string form: <c>ns/name</c> is implicit, anything without a slash explicit.</summary>
    public static StackId Parse(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? Explicit(value) : Implicit(value[..slash], value[(slash + 1)..]);
    }

    /// <summary>Parses the string form of a Service stack: <c>ns/name</c>.</summary>
    public static StackId ParseService(string value)
    {
        var (ns, name) = SplitNamespaced(value, "a Service stack");
        return Service(ns, name);
    }

    /// <summary>Parses the string form of a TargetGroupBinding: <c>ns/name</c>.</summary>
    public static StackId ParseBinding(string value)
    {
        var (ns, name) = SplitNamespaced(value, "a TargetGroupBinding");
        return Binding(ns, name);
    }

    private static (string Namespace, string Name) SplitNamespaced(string value, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == value.Length - 1)
            throw new FormatException($"{what} is namespace/name, not {value}");
        return (value[..slash], value[(slash + 1)..]);
    }

    /// <summary>Upstream's group ID string: <c>groupName</c> or <c>ns/name</c>.</summary>
    public override string ToString() => GroupName ?? $"{Namespace}/{Name}";
}
