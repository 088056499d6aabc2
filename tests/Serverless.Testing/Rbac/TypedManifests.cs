using System.Text.RegularExpressions;
using k8s.Models;
using Serverless.Kubernetes.Manifests;
using YamlDotNet.RepresentationModel;

namespace Serverless.Testing.Rbac;

/// <summary>
/// Install manifests (infra/…) read into KubernetesClient's typed models with the project's strict YAML converter: an
/// unknown or mistyped field is an error naming the file, line and field, not a silently dropped permission.
/// </summary>
public static partial class TypedManifests
{
    /// <summary>
    /// Every document of <paramref name="file"/> as its typed model, in order. With <paramref name="substitutions"/>,
    /// <c>${NAME}</c> placeholders are first replaced from it (as <c>envsubst</c> does when the manifest is applied) and
    /// one without a value throws; without, they are read as they stand. An unknown kind or any field problem throws.
    /// </summary>
    public static IReadOnlyList<object> Load(string file, IReadOnlyDictionary<string, string>? substitutions = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(file);
        var text = File.ReadAllText(file);
        if (substitutions is not null)
        {
            text = Placeholder().Replace(text, m => substitutions.TryGetValue(m.Groups[1].Value, out var value)
                ? value
                : throw new InvalidOperationException($"{file}: placeholder {m.Value} has no value"));
        }
        var objects = new List<object>();
        var errors = new List<ManifestError>();
        var index = 0;
        foreach (var (firstLine, chunk) in ManifestLoader.SplitDocuments(text))
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(chunk));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
                continue;
            var kind = Scalar(root, "kind") ?? throw new InvalidOperationException($"{file}:{firstLine}: a document without kind");
            var apiVersion = Scalar(root, "apiVersion") ?? throw new InvalidOperationException($"{file}:{firstLine}: a document without apiVersion");
            var reader = new YamlObjectReader(new ManifestDocument(file, ++index, firstLine, root, apiVersion, kind, null, null), errors);
            object? value = (apiVersion, kind) switch
            {
                ("v1", "Namespace") => Typed<V1Namespace>(reader),
                ("v1", "ServiceAccount") => Typed<V1ServiceAccount>(reader),
                ("rbac.authorization.k8s.io/v1", "ClusterRole") => Typed<V1ClusterRole>(reader),
                ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => Typed<V1ClusterRoleBinding>(reader),
                ("rbac.authorization.k8s.io/v1", "Role") => Typed<V1Role>(reader),
                ("rbac.authorization.k8s.io/v1", "RoleBinding") => Typed<V1RoleBinding>(reader),
                ("apps/v1", "Deployment") => Typed<V1Deployment>(reader),
                ("networking.k8s.io/v1", "NetworkPolicy") => Typed<V1NetworkPolicy>(reader),
                ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy") => Typed<V1ValidatingAdmissionPolicy>(reader),
                ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding") => Typed<V1ValidatingAdmissionPolicyBinding>(reader),
                ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration") => Typed<V1MutatingWebhookConfiguration>(reader),
                ("apiextensions.k8s.io/v1", "CustomResourceDefinition") => Typed<V1CustomResourceDefinition>(reader),
                _ => throw new InvalidOperationException($"{file}:{firstLine}: unexpected {apiVersion} {kind}"),
            };
            if (value is null || errors.Count > 0)
                throw new InvalidOperationException($"{file}: {string.Join("; ", errors)}");
            objects.Add(value);
        }
        return objects;
    }

    private static T? Typed<T>(YamlObjectReader reader)
        where T : class
    {
        var (value, clean, _) = KubernetesYamlConverter.Convert<T>(reader);
        return clean ? value : null;
    }

    private static string? Scalar(YamlMappingNode root, string key) =>
        root.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode scalar ? scalar.Value : null;

    [GeneratedRegex(@"\$\{([A-Z0-9_]+)\}")]
    private static partial Regex Placeholder();
}
