namespace Serverless.Model;

/// <summary>
/// The identity of a stack: one Ingress group. Explicit groups (<c>group.name</c>) are named by the group name;
/// implicit groups (a single Ingress) by <c>namespace/name</c>. The string form is upstream's group ID and the value
/// of the <c>ingress.k8s.aws/stack</c> tag.
/// </summary>
public sealed record StackId
{
    private StackId(string? groupName, string? ns, string? name)
    {
        GroupName = groupName;
        Namespace = ns;
        Name = name;
    }

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

    /// <summary>Upstream's group ID string: <c>groupName</c> or <c>ns/name</c>.</summary>
    public override string ToString() => GroupName ?? $"{Namespace}/{Name}";
}
