using YamlDotNet.RepresentationModel;

namespace Serverless.Kubernetes.Manifests;

/// <summary>
/// One non-empty YAML document of a manifest file, with what is needed to point at any of its nodes: the file, the
/// document index and the line where the document's text starts.
/// </summary>
public sealed class ManifestDocument
{
    internal ManifestDocument(string source, int index, int firstLine, YamlMappingNode root, string apiVersion, string kind, string? ns, string? name)
    {
        Source = source;
        Index = index;
        FirstLine = firstLine;
        Root = root;
        ApiVersion = apiVersion;
        Kind = kind;
        Namespace = ns;
        Name = name;
    }

    /// <summary>The file as the caller named it.</summary>
    public string Source { get; }

    /// <summary>1-based index among the file's non-empty documents.</summary>
    public int Index { get; }

    /// <summary>The 1-based line of the file where this document's text starts.</summary>
    public int FirstLine { get; }

    /// <summary>The document's root mapping.</summary>
    public YamlMappingNode Root { get; }

    /// <summary><c>apiVersion</c>.</summary>
    public string ApiVersion { get; }

    /// <summary><c>kind</c>.</summary>
    public string Kind { get; }

    /// <summary><c>metadata.namespace</c> (defaulted to <c>default</c> for namespaced kinds we load), or null.</summary>
    public string? Namespace { get; internal set; }

    /// <summary><c>metadata.name</c>, or null when missing.</summary>
    public string? Name { get; }

    /// <summary><c>Kind ns/name</c>, <c>Kind name</c> or just <c>Kind</c>.</summary>
    public string Description =>
        Name is null ? Kind : Namespace is null ? $"{Kind} {Name}" : $"{Kind} {Namespace}/{Name}";

    /// <summary>The 1-based file line of <paramref name="node"/>.</summary>
    public int LineOf(YamlNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return (int)node.Start.Line + FirstLine - 1;
    }

    /// <summary>An error at <paramref name="node"/> (or at the document when null) about <paramref name="field"/>.</summary>
    public ManifestError Error(YamlNode? node, string? field, string message)
    {
        node ??= Root;
        return new ManifestError(Source, Index, Description, LineOf(node), (int)node.Start.Column, field, message);
    }
}
