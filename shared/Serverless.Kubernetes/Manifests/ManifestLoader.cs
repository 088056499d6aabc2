using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;
using Serverless.Kubernetes.Bindings;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Serverless.Kubernetes.Manifests;

/// <summary>
/// Loads Kubernetes manifests (the CLI's <c>-f &lt;file|dir&gt;</c>): a file, or every <c>*.yaml</c>/<c>*.yml</c>
/// under a folder (recursively, in ordinal path order), each holding any number of YAML documents. Every problem
/// is collected, not just the first: a YAML syntax error spoils only its own document.
/// </summary>
public static partial class ManifestLoader
{
    private const string Core = "v1";
    private const string Networking = "networking.k8s.io/v1";
    private const string Discovery = "discovery.k8s.io/v1";
    private const string Elbv2 = "elbv2.k8s.aws/v1beta1";

    private static readonly Dictionary<string, string> ApiVersions = new(StringComparer.Ordinal)
    {
        ["Ingress"] = Networking,
        ["Service"] = Core,
        ["EndpointSlice"] = Discovery,
        ["IngressClass"] = Networking,
        ["IngressClassParams"] = Elbv2,
        ["Namespace"] = Core,
        ["Secret"] = Core,
        ["Node"] = Core,
        [TargetGroupBinding.Kind] = Elbv2,
        ["Pod"] = Core,
    };

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex YamlMarkPrefix();

    /// <summary>Loads a file or a folder.</summary>
    public static ManifestSet Load(string path) => Load([path]);

    /// <summary>Loads several files or folders into one set (as <c>-f a -f b</c>).</summary>
    public static ManifestSet Load(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var set = new ManifestSet();
        var seen = new Dictionary<string, ManifestDocument>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            foreach (var file in Files(path, set))
            {
                string text;
                try
                {
                    text = File.ReadAllText(file);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    set.ErrorList.Add(new ManifestError(file, null, null, null, null, null, "cannot be read: " + ex.Message));
                    continue;
                }
                LoadInto(set, seen, text, file, AddTyped);
            }
        }
        return set;
    }

    /// <summary>Loads YAML text; <paramref name="source"/> names it in errors.</summary>
    public static ManifestSet LoadText(string text, string source = "<input>")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(source);
        var set = new ManifestSet();
        LoadInto(set, new Dictionary<string, ManifestDocument>(StringComparer.Ordinal), text, source, AddTyped);
        return set;
    }

    /// <summary>
    /// Adds IngressClassParams read from the API server as JSON (JSON is YAML) into <paramref name="set"/>, through
    /// the same parsing and checks as files; <paramref name="source"/> names them in errors. Any other kind is an
    /// error: the built-in kinds come typed from the API (<see cref="Api.IKubernetesApi"/>).
    /// </summary>
    internal static void LoadIngressClassParamsJson(ManifestSet set, IEnumerable<string> objects, string source)
    {
        var seen = new Dictionary<string, ManifestDocument>(StringComparer.Ordinal);
        foreach (var json in objects)
            LoadInto(set, seen, json, source, AddIngressClassParams);
    }

    /// <summary>
    /// TargetGroupBindings read from the API server as JSON, through the same parsing and checks as files; any other
    /// kind is an error. <paramref name="source"/> names them in errors.
    /// </summary>
    internal static ManifestSet LoadTargetGroupBindingsJson(IEnumerable<string> objects, string source)
    {
        var set = new ManifestSet();
        var seen = new Dictionary<string, ManifestDocument>(StringComparer.Ordinal);
        foreach (var json in objects)
            LoadInto(set, seen, json, source, AddTargetGroupBinding);
        return set;
    }

    private static IEnumerable<string> Files(string path, ManifestSet set)
    {
        if (File.Exists(path))
            return [path];
        if (!Directory.Exists(path))
        {
            set.ErrorList.Add(new ManifestError(path, null, null, null, null, null, "no such file or directory"));
            return [];
        }
        var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
            .Where(static f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            .Select(f => Path.Join(path, Path.GetRelativePath(path, f).Replace('\\', '/')))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
            set.ErrorList.Add(new ManifestError(path, null, null, null, null, null, "folder holds no *.yaml or *.yml file"));
        return files;
    }

    private static void LoadInto(ManifestSet set, Dictionary<string, ManifestDocument> seen, string text, string source, TypedHandler typed)
    {
        var index = 0;
        foreach (var (firstLine, chunk) in SplitDocuments(text))
        {
            if (!HasContent(chunk))
                continue;
            index++;
            var stream = new YamlStream();
            try
            {
                stream.Load(new StringReader(chunk));
            }
            catch (YamlException ex)
            {
                var message = YamlMarkPrefix().Replace(ex.Message, string.Empty);
                if (ex.InnerException is { } inner && !string.IsNullOrEmpty(inner.Message) && inner.Message != message)
                    message += ": " + YamlMarkPrefix().Replace(inner.Message, string.Empty);
                set.ErrorList.Add(new ManifestError(source, index, null, (int)ex.Start.Line + firstLine - 1, (int)ex.Start.Column, null,
                    "YAML syntax error: " + message));
                continue;
            }
            catch (InvalidOperationException)
            {
                // YamlDotNet's scanner fails this way on some unterminated flow collections (e.g. "{name: x" then EOF).
                set.ErrorList.Add(new ManifestError(source, index, null, FirstContentLine(chunk) + firstLine - 1, 1, null,
                    "YAML syntax error: the document could not be parsed (check that every {, [ and quote is closed)"));
                continue;
            }
            if (stream.Documents.Count == 0 || YamlObjectReader.IsNull(stream.Documents[0].RootNode))
                continue;
            if (stream.Documents[0].RootNode is not YamlMappingNode root)
            {
                var node = stream.Documents[0].RootNode;
                set.ErrorList.Add(new ManifestError(source, index, null, (int)node.Start.Line + firstLine - 1, (int)node.Start.Column, null,
                    "a Kubernetes object must be a mapping with apiVersion, kind and metadata"));
                continue;
            }
            LoadObject(set, seen, root, source, index, firstLine, string.Empty, typed);
        }
    }

    private static void LoadObject(ManifestSet set, Dictionary<string, ManifestDocument> seen, YamlMappingNode root, string source, int index, int firstLine, string itemPath, TypedHandler typed)
    {
        var metadata = YamlObjectReader.Get(root, "metadata") as YamlMappingNode;
        var apiVersion = Text(YamlObjectReader.Get(root, "apiVersion"));
        var kind = Text(YamlObjectReader.Get(root, "kind"));
        var name = metadata is null ? null : Text(YamlObjectReader.Get(metadata, "name"));
        var ns = metadata is null ? null : Text(YamlObjectReader.Get(metadata, "namespace"));
        var document = new ManifestDocument(source, index, firstLine, root, apiVersion ?? string.Empty, kind ?? string.Empty, ns, name);
        var reader = new YamlObjectReader(document, set.ErrorList);
        var prefix = itemPath.Length == 0 ? string.Empty : itemPath + ".";
        if (apiVersion is null || kind is null)
        {
            if (apiVersion is null)
                reader.Report(root, prefix + "apiVersion", "required");
            if (kind is null)
                reader.Report(root, prefix + "kind", "required");
            return;
        }

        if (kind is "List" && apiVersion is Core)
        {
            set.DocumentList.Add(document);
            var i = 0;
            foreach (var item in (YamlObjectReader.Get(root, "items") as YamlSequenceNode)?.Children ?? [])
            {
                var path = YamlObjectReader.Item(prefix + "items", i++);
                if (item is YamlMappingNode itemRoot)
                    LoadObject(set, seen, itemRoot, source, index, firstLine, path, typed);
                else
                    reader.Report(item, path, "expected a Kubernetes object");
            }
            return;
        }

        if (!ApiVersions.TryGetValue(kind, out var expectedVersion))
        {
            set.DocumentList.Add(document);
            set.SkippedList.Add(document);
            return;
        }
        if (apiVersion != expectedVersion)
        {
            reader.Report(YamlObjectReader.Get(root, "apiVersion"), prefix + "apiVersion",
                $"{kind} {apiVersion} is not supported (expected {expectedVersion})");
            return;
        }
        if (name is null)
        {
            reader.Report(metadata ?? (YamlNode)root, prefix + "metadata.name", "required");
            return;
        }
        var namespaced = kind is "Ingress" or "Service" or "EndpointSlice" or "Secret" or "Pod" or TargetGroupBinding.Kind;
        document.Namespace = namespaced ? (string.IsNullOrEmpty(ns) ? "default" : ns) : null;
        set.DocumentList.Add(document);

        var key = document.Description;
        if (seen.TryGetValue(key, out var first))
        {
            reader.Report(root, string.Empty, $"duplicate {key} (first in {first.Source} document {first.Index})");
            return;
        }
        seen[key] = document;

        typed(set, reader, document, kind);
    }

    // Reads one checked object of a known kind into its typed model and adds it to the set.
    private delegate void TypedHandler(ManifestSet set, YamlObjectReader reader, ManifestDocument document, string kind);

    // Every kind, through the KubernetesClient models (manifest files). This is the only path that needs the
    // client's whole JSON metadata; the Lambda functions' live loads never take it (see AddIngressClassParams).
    private static void AddTyped(ManifestSet set, YamlObjectReader reader, ManifestDocument document, string kind)
    {
        var before = set.ErrorList.Count;
        switch (kind)
        {
            case "Ingress":
                var (ingress, _, locate) = KubernetesYamlConverter.Convert<V1Ingress>(reader);
                if (ingress?.Metadata is null)
                    return;
                ingress.Metadata.NamespaceProperty = document.Namespace;
                IngressValidator.Validate(ingress, reader, locate);
                foreach (var warning in AnnotationWarnings.Of(ingress))
                {
                    var field = YamlObjectReader.Child("metadata.annotations", warning.Annotation);
                    set.WarningList.Add(document.Error(locate(field), field, warning.Message).ToString());
                }
                if (set.ErrorList.Count == before)
                    set.IngressList.Add(ingress);
                break;
            case "Service":
                var (service, serviceClean, locateService) = KubernetesYamlConverter.Convert<V1Service>(reader);
                if (serviceClean && service is not null)
                {
                    service.Metadata.NamespaceProperty = document.Namespace;
                    set.ServiceList.Add(service);
                    foreach (var warning in AnnotationWarnings.OfService(service))
                    {
                        var field = YamlObjectReader.Child("metadata.annotations", warning.Annotation);
                        set.WarningList.Add(document.Error(locateService(field), field, warning.Message).ToString());
                    }
                }
                break;
            case "EndpointSlice":
                if (Typed<V1EndpointSlice>(reader) is { } slice)
                {
                    slice.Metadata.NamespaceProperty = document.Namespace;
                    set.EndpointSliceList.Add(slice);
                }
                break;
            case "IngressClass":
                if (Typed<V1IngressClass>(reader) is { } ingressClass)
                    set.IngressClassList.Add(ingressClass);
                break;
            case "IngressClassParams":
                if (IngressClassParamsParser.Parse(reader, set.WarningList) is { } parameters)
                    set.IngressClassParamsList.Add(parameters);
                break;
            case "Namespace":
                if (Typed<V1Namespace>(reader) is { } namespaceObject)
                    set.NamespaceList.Add(namespaceObject);
                break;
            case "Secret":
                if (Typed<V1Secret>(reader) is { } secret)
                {
                    secret.Metadata.NamespaceProperty = document.Namespace;
                    FoldStringData(secret);
                    set.SecretList.Add(secret);
                }
                break;
            case "Node":
                if (Typed<V1Node>(reader) is { } node)
                    set.NodeList.Add(node);
                break;
            case TargetGroupBinding.Kind:
                AddTargetGroupBinding(set, reader, document, kind);
                break;
            case "Pod":
                if (Typed<V1Pod>(reader) is { } pod)
                {
                    pod.Metadata.NamespaceProperty = document.Namespace;
                    set.PodList.Add(pod);
                }
                break;
        }
    }

    // TargetGroupBindings (a custom kind): parsed from the YAML node tree, as IngressClassParams.
    private static void AddTargetGroupBinding(ManifestSet set, YamlObjectReader reader, ManifestDocument document, string kind)
    {
        if (kind != TargetGroupBinding.Kind)
        {
            reader.Report(reader.Document.Root, "kind", $"expected {TargetGroupBinding.Kind}, not {kind}");
            return;
        }
        if (TargetGroupBindingParser.Parse(reader, set.WarningList) is { } binding)
            set.TargetGroupBindingList.Add(binding);
    }

    // IngressClassParams only (the API server's custom objects): parsed from the YAML node tree, without the
    // KubernetesClient models, so the functions' binaries do not link their JSON metadata.
    private static void AddIngressClassParams(ManifestSet set, YamlObjectReader reader, ManifestDocument document, string kind)
    {
        if (kind != "IngressClassParams")
        {
            reader.Report(reader.Document.Root, "kind", $"expected IngressClassParams, not {kind}");
            return;
        }
        if (IngressClassParamsParser.Parse(reader, set.WarningList) is { } parameters)
            set.IngressClassParamsList.Add(parameters);
    }

    private static T? Typed<T>(YamlObjectReader reader)
        where T : class
    {
        var (value, clean, _) = KubernetesYamlConverter.Convert<T>(reader);
        return clean ? value : null;
    }

    // The API server merges stringData into data (stringData wins) and never returns stringData.
    private static void FoldStringData(V1Secret secret)
    {
        if (secret.StringData is not { Count: > 0 } stringData)
            return;
        secret.Data ??= new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (key, value) in stringData)
            secret.Data[key] = Encoding.UTF8.GetBytes(value ?? string.Empty);
        secret.StringData = null!;
    }

    private static string? Text(YamlNode? node) => node is YamlScalarNode { Value: { Length: > 0 } value } ? value : null;

    private static int FirstContentLine(string chunk)
    {
        var lines = chunk.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length > 0 && line[0] != '#')
                return i + 1;
        }
        return 1;
    }

    private static bool HasContent(string chunk)
    {
        foreach (var raw in chunk.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length > 0 && line[0] != '#' && line != "...")
                return true;
        }
        return false;
    }

    /// <summary>
    /// Splits YAML text at document markers (<c>---</c> at the start of a line), keeping line numbers: each chunk
    /// starts with its marker line blanked, so a mark's line plus the chunk's first line minus one is the file line.
    /// </summary>
    internal static IEnumerable<(int FirstLine, string Text)> SplitDocuments(string text)
    {
        var lines = text.Split('\n');
        var chunk = new StringBuilder();
        var firstLine = 1;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line == "---" || line.StartsWith("--- ", StringComparison.Ordinal) || line.StartsWith("---\t", StringComparison.Ordinal))
            {
                yield return (firstLine, chunk.ToString());
                chunk.Clear();
                firstLine = i + 1;
                line = "   " + line[3..];
            }
            chunk.Append(line).Append('\n');
        }
        yield return (firstLine, chunk.ToString());
    }
}
