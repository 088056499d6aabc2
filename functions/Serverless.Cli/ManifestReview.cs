using k8s.Models;
using Serverless.Ingress;
using Serverless.Kubernetes.Manifests;
using Serverless.Model;
using YamlDotNet.RepresentationModel;

namespace Serverless.Cli;

/// <summary>How bad a <see cref="Problem"/> is.</summary>
internal enum Severity
{
    /// <summary>Said so nobody wonders; changes nothing (an Ingress of another controller).</summary>
    Note,

    /// <summary>Something in the manifests is left alone; the exit code does not change.</summary>
    Warning,

    /// <summary>Something in the manifests cannot be reconciled as written: exit code 1 (the rest is still reconciled).</summary>
    Error,
}

/// <summary>
/// One thing the manifests ask for that the run does not do, precise enough to act on: where (file, document, line,
/// the object's kind and namespace/name), the field and what to do.
/// </summary>
internal sealed record Problem(Severity Severity, ManifestError Where, string? Kind = null, string? Namespace = null, string? Name = null)
{
    /// <summary>One line: <c>error: file document 2 (Ingress ns/name), line 9 col 5: field: message</c>.</summary>
    public override string ToString() => $"{Severity.ToString().ToLowerInvariant()}: {Where}";
}

/// <summary>
/// What a run over manifests would otherwise pass over in silence, found before anything is reconciled: Ingresses
/// that are in no group (their IngressClass or IngressClassParams is not among the manifests, their group name is
/// invalid, they have no class, they are another controller's), and objects of kinds this controller does not handle
/// yet (a Service that asks for a Network Load Balancer, a TargetGroupBinding).
/// </summary>
internal static class ManifestReview
{
    private const string AwsLoadBalancerType = "service.beta.kubernetes.io/aws-load-balancer-type";
    private const string NlbTargetType = "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type";
    private const string NlbClass = "service.k8s.aws/nlb";
    private const string LegacyClassAnnotation = "kubernetes.io/ingress.class";

    /// <summary>How many manifest files next to the given ones are read, at most, to say which one defines a missing object.</summary>
    private const int NeighbourFilesRead = 40;

    /// <summary>
    /// The problems of <paramref name="set"/>, loaded from <paramref name="paths"/> (the <c>-f</c> arguments), in
    /// file and document order.
    /// </summary>
    public static List<Problem> Review(ManifestSet set, IReadOnlyList<string> paths, ClusterSettings cluster)
    {
        ArgumentNullException.ThrowIfNull(set);
        var problems = new List<Problem>();
        foreach (var ingress in set.Ingresses)
        {
            if (Of(set, "Ingress", ingress.Metadata) is not { } document)
                continue;
            if (GroupKeys.MembershipError(ingress, set.IngressClasses, set.IngressClassParams, set.Namespaces, cluster) is { } error)
                problems.Add(IngressError(set, paths, document, error));
            else if (GroupKeys.ToReconcile(ingress, set.IngressClasses, set.IngressClassParams, set.Namespaces, cluster).Count == 0
                && ingress.Metadata.DeletionTimestamp is null)
                problems.Add(NotOurs(set, document, ingress, cluster));
        }
        foreach (var service in set.Services)
        {
            // Ours (upstream's selection): reconciled into an NLB like a group. Anything else upstream would still take
            // (a class-less type LoadBalancer its webhook would give its class) is said so.
            if (Serverless.Service.ServiceSelection.Concerns(service))
                continue;
            if (NetworkLoadBalancerRequest(service) is { } request && Of(set, "Service", service.Metadata) is { } document)
            {
                problems.Add(At(Severity.Warning, document, request.Path, request.Field,
                    $"\"{request.Value}\" asks for a Network Load Balancer ({request.Why}), but this controller reconciles only a Service with " +
                    $"spec.loadBalancerClass: {NlbClass}, or annotation {AwsLoadBalancerType} nlb-ip, or external with {NlbTargetType} ip or instance: " +
                    "nothing is created for it (as an Ingress backend it is used as usual)"));
            }
        }
        return [.. problems
            .OrderBy(static p => p.Where.Source, StringComparer.Ordinal)
            .ThenBy(static p => p.Where.Document ?? 0)
            .ThenBy(static p => p.Where.Line ?? 0)];
    }

    /// <summary>
    /// What a Service asks for when upstream would make a Network Load Balancer of it (upstream's
    /// <c>IsServiceSupported</c> and its Service webhook), or null: <c>loadBalancerClass: service.k8s.aws/nlb</c>;
    /// without a class, annotation <c>aws-load-balancer-type</c> <c>nlb-ip</c>, or <c>external</c> with an
    /// <c>ip</c>/<c>instance</c> target type; or <c>type: LoadBalancer</c> without a class, which upstream's webhook
    /// gives its class when the Service is created. Another class is another controller's.
    /// </summary>
    internal static (string[] Path, string Field, string Value, string Why)? NetworkLoadBalancerRequest(V1Service service)
    {
        ArgumentNullException.ThrowIfNull(service);
        var spec = service.Spec;
        if (!string.IsNullOrEmpty(spec?.LoadBalancerClass))
        {
            return spec.LoadBalancerClass == NlbClass
                ? (["spec", "loadBalancerClass"], "spec.loadBalancerClass", NlbClass, "the class of upstream's Service controller")
                : null;
        }
        var annotations = service.Metadata?.Annotations;
        var type = annotations?.TryGetValue(AwsLoadBalancerType, out var t) == true ? t : null;
        var targetType = annotations?.TryGetValue(NlbTargetType, out var tt) == true ? tt : null;
        string[] typePath = ["metadata", "annotations", AwsLoadBalancerType];
        if (type == "nlb-ip")
            return (typePath, "annotation " + AwsLoadBalancerType, type, "NLB with ip targets");
        if (type == "external" && targetType is "ip" or "instance")
            return (typePath, "annotation " + AwsLoadBalancerType, type, $"NLB with {targetType} targets");
        if (spec?.Type == "LoadBalancer")
        {
            return (["spec", "type"], "spec.type", "LoadBalancer",
                $"no spec.loadBalancerClass: upstream's Service webhook sets {NlbClass} when it is created");
        }
        return null;
    }

    private static Problem IngressError(ManifestSet set, IReadOnlyList<string> paths, ManifestDocument document, BuildError error)
    {
        string[] path = error.Field switch
        {
            "spec.ingressClassName" => ["spec", "ingressClassName"],
            _ when error.Field.StartsWith("annotation ", StringComparison.Ordinal) => ["metadata", "annotations", error.Field["annotation ".Length..]],
            _ => [],
        };
        var message = error.Message;
        if (error.Field == "spec.ingressClassName" && error.Value is { } className && !set.IngressClasses.Any(c => c.Metadata.Name == className))
            message = $"IngressClass {className} is not in the given manifests, and without it nothing says whose Ingress this is: {Remedy(paths, "IngressClass", className)}; the Ingress is not reconciled";
        else if (error.Field.EndsWith("spec.parameters.name", StringComparison.Ordinal) && error.Value is { } paramsName)
            message = $"IngressClassParams {paramsName} is not in the given manifests, and without it the Ingress's group and settings are unknown: {Remedy(paths, "IngressClassParams", paramsName)}; the Ingress is not reconciled";
        else
            message += "; the Ingress is not reconciled";
        // An error found on another object (IngressClassParams spec.group.name) names that object in its field.
        var field = error.Object == document.Description ? error.Field : $"{error.Object} {error.Field}";
        return At(Severity.Error, document, path, field, error.Value is null ? message : $"\"{error.Value}\": {message}");
    }

    private static Problem NotOurs(ManifestSet set, ManifestDocument document, V1Ingress ingress, ClusterSettings cluster)
    {
        if (ingress.Metadata.Annotations?.TryGetValue(LegacyClassAnnotation, out var legacy) == true)
        {
            return At(Severity.Note, document, ["metadata", "annotations", LegacyClassAnnotation], "annotation " + LegacyClassAnnotation,
                $"\"{legacy}\": another controller's class (this one's is {cluster.IngressClass}); skipped");
        }
        if (ingress.Spec?.IngressClassName is null)
        {
            return At(Severity.Warning, document, ["spec"], "spec.ingressClassName",
                $"not set, and no IngressClass in the manifests is the default: the Ingress is not reconciled; set spec.ingressClassName to an IngressClass of controller ingress.k8s.aws/alb (e.g. {cluster.IngressClass})");
        }
        var name = ingress.Spec.IngressClassName;
        var controller = set.IngressClasses.FirstOrDefault(c => c.Metadata.Name == name)?.Spec?.Controller;
        return At(Severity.Note, document, ["spec", "ingressClassName"], "spec.ingressClassName",
            $"\"{name}\": IngressClass {name} is controller {controller ?? "(none)"}'s, not ingress.k8s.aws/alb; skipped");
    }

    /// <summary>
    /// What to do about a <paramref name="kind"/> named <paramref name="name"/> that is not among the manifests: the
    /// file next to the given ones that defines it, when there is one.
    /// </summary>
    private static string Remedy(IReadOnlyList<string> paths, string kind, string name)
    {
        foreach (var file in NeighbourFiles(paths).Take(NeighbourFilesRead))
        {
            var defined = ManifestLoader.Load(file);
            var found = kind == "IngressClass"
                ? defined.IngressClasses.Any(c => c.Metadata.Name == name)
                : defined.IngressClassParams.Any(p => p.Name == name);
            if (found)
                return $"add -f {file}, which defines it";
        }
        return $"add the file that defines {kind} {name} with another -f";
    }

    /// <summary>
    /// The manifest files directly in the folders of <paramref name="paths"/> and in those folders' parents (where a
    /// folder of examples keeps the cluster's objects beside the examples), leaving out what <paramref name="paths"/> hold.
    /// </summary>
    private static IEnumerable<string> NeighbourFiles(IReadOnlyList<string> paths)
    {
        var folders = new List<string>();
        foreach (var path in paths)
        {
            var trimmed = path.Length > 1 ? path.TrimEnd('/', '\\') : path;
            var folder = Directory.Exists(trimmed) ? trimmed : Path.GetDirectoryName(trimmed);
            folder = string.IsNullOrEmpty(folder) ? "." : folder;
            var parent = Path.GetDirectoryName(folder) switch
            {
                null => null,
                "" => folder == "." ? ".." : ".",
                var p => p,
            };
            foreach (var candidate in parent is null ? [folder] : new[] { folder, parent })
            {
                if (!folders.Contains(candidate, StringComparer.Ordinal) && Directory.Exists(candidate))
                    folders.Add(candidate);
            }
        }
        var given = paths.Select(static p => Path.GetFullPath(p).TrimEnd(Path.DirectorySeparatorChar)).ToList();
        bool Given(string file)
        {
            var full = Path.GetFullPath(file);
            return given.Any(g => full == g || full.StartsWith(g + Path.DirectorySeparatorChar, StringComparison.Ordinal));
        }
        return folders.SelectMany(static folder => Directory.EnumerateFiles(folder)
                .Where(static f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal))
            .Where(f => !Given(f));
    }

    private static ManifestDocument? Of(ManifestSet set, string kind, V1ObjectMeta meta) =>
        set.Documents.FirstOrDefault(d => d.Kind == kind && d.Name == meta.Name && d.Namespace == meta.NamespaceProperty);

    private static Problem At(Severity severity, ManifestDocument document, string[] path, string? field, string message) =>
        new(severity, document.Error(Walk(document.Root, path).Deepest, field, message), document.Kind, document.Namespace, document.Name);

    // The node at path (null when it is missing) and the deepest node on the way that exists (so a problem about a
    // missing field points at its parent).
    private static (YamlNode? Exact, YamlNode Deepest) Walk(YamlMappingNode root, string[] path)
    {
        YamlNode node = root;
        foreach (var key in path)
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var child))
                return (null, node);
            node = child;
        }
        return (node, node);
    }

    private static string? Scalar(YamlMappingNode root, params string[] path) =>
        Walk(root, path).Exact is YamlScalarNode { Value: { Length: > 0 } value } ? value : null;
}
