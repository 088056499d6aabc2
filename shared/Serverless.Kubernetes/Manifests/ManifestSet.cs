using k8s.Models;
using Serverless.Kubernetes.Bindings;
using Serverless.Ingress;
using Serverless.Model;

namespace Serverless.Kubernetes.Manifests;

/// <summary>
/// The objects read from manifest files (<see cref="ManifestLoader"/>): the kinds the controller uses, in file
/// and document order, plus what was skipped and every problem found.
/// </summary>
public sealed class ManifestSet
{
    internal List<V1Ingress> IngressList { get; } = [];

    internal List<V1Service> ServiceList { get; } = [];

    internal List<V1EndpointSlice> EndpointSliceList { get; } = [];

    internal List<V1IngressClass> IngressClassList { get; } = [];

    internal List<IngressClassParams> IngressClassParamsList { get; } = [];

    internal List<V1Namespace> NamespaceList { get; } = [];

    internal List<V1Secret> SecretList { get; } = [];

    internal List<V1Node> NodeList { get; } = [];

    internal List<TargetGroupBinding> TargetGroupBindingList { get; } = [];

    internal List<V1Pod> PodList { get; } = [];

    /// <summary>Secrets (<c>namespace/name</c>) the API server refused to show (403); see <see cref="GroupSnapshot.ForbiddenSecrets"/>.</summary>
    internal HashSet<string> ForbiddenSecretSet { get; } = new(StringComparer.Ordinal);

    internal List<ManifestDocument> SkippedList { get; } = [];

    internal List<ManifestDocument> DocumentList { get; } = [];

    internal List<ManifestError> ErrorList { get; } = [];

    internal List<string> WarningList { get; } = [];

    /// <summary><c>networking.k8s.io/v1</c> Ingresses (namespace defaulted to <c>default</c>).</summary>
    public IReadOnlyList<V1Ingress> Ingresses => IngressList;

    /// <summary><c>v1</c> Services.</summary>
    public IReadOnlyList<V1Service> Services => ServiceList;

    /// <summary><c>discovery.k8s.io/v1</c> EndpointSlices.</summary>
    public IReadOnlyList<V1EndpointSlice> EndpointSlices => EndpointSliceList;

    /// <summary><c>networking.k8s.io/v1</c> IngressClasses.</summary>
    public IReadOnlyList<V1IngressClass> IngressClasses => IngressClassList;

    /// <summary><c>elbv2.k8s.aws/v1beta1</c> IngressClassParams.</summary>
    public IReadOnlyList<IngressClassParams> IngressClassParams => IngressClassParamsList;

    /// <summary><c>v1</c> Namespaces declared in the manifests.</summary>
    public IReadOnlyList<V1Namespace> Namespaces => NamespaceList;

    /// <summary><c>v1</c> Secrets, <c>stringData</c> folded into <c>data</c> as the API server does.</summary>
    public IReadOnlyList<V1Secret> Secrets => SecretList;

    /// <summary><c>v1</c> Nodes.</summary>
    public IReadOnlyList<V1Node> Nodes => NodeList;

    /// <summary><c>elbv2.k8s.aws/v1beta1</c> TargetGroupBindings (namespace defaulted to <c>default</c>).</summary>
    public IReadOnlyList<TargetGroupBinding> TargetGroupBindings => TargetGroupBindingList;

    /// <summary>
    /// Marks every binding deleted at <paramref name="deletionTimestamp"/> holding <paramref name="finalizer"/> (a destroy
    /// of the manifests: each binding's reconcile then deregisters its targets).
    /// </summary>
    public void MarkTargetGroupBindingsDeleted(string deletionTimestamp, string finalizer)
    {
        for (var i = 0; i < TargetGroupBindingList.Count; i++)
        {
            var metadata = TargetGroupBindingList[i].Metadata;
            TargetGroupBindingList[i] = TargetGroupBindingList[i] with
            {
                Metadata = metadata with
                {
                    DeletionTimestamp = deletionTimestamp,
                    Finalizers = metadata.Finalizers.Contains(finalizer) ? metadata.Finalizers : [.. metadata.Finalizers, finalizer],
                },
            };
        }
    }

    /// <summary>
    /// Points each binding's <c>targetGroupARN</c> found in <paramref name="arns"/> at the ARN it maps to (an embedded
    /// AWS's group stands in for the one the manifests name).
    /// </summary>
    public void MapTargetGroupArns(IReadOnlyDictionary<string, string> arns)
    {
        ArgumentNullException.ThrowIfNull(arns);
        for (var i = 0; i < TargetGroupBindingList.Count; i++)
        {
            var binding = TargetGroupBindingList[i];
            if (binding.Spec.TargetGroupArn is { } arn && arns.TryGetValue(arn, out var mapped))
                TargetGroupBindingList[i] = binding with { Spec = binding.Spec with { TargetGroupArn = mapped } };
        }
    }

    /// <summary><c>v1</c> Pods (their readiness gates and conditions; namespace defaulted to <c>default</c>).</summary>
    public IReadOnlyList<V1Pod> Pods => PodList;

    /// <summary>Documents of kinds the controller does not use (Deployment, ConfigMap, …), kept for callers that read their own kinds.</summary>
    public IReadOnlyList<ManifestDocument> Skipped => SkippedList;

    /// <summary>Every non-empty document that parsed as YAML, loaded or skipped.</summary>
    public IReadOnlyList<ManifestDocument> Documents => DocumentList;

    /// <summary>Every problem, in file and document order. Objects with problems are left out of the lists.</summary>
    public IReadOnlyList<ManifestError> Errors => ErrorList;

    /// <summary>Things accepted but ignored (fields we do not model yet).</summary>
    public IReadOnlyList<string> Warnings => WarningList;

    /// <summary>True when there is no error.</summary>
    public bool IsValid => ErrorList.Count == 0;

    /// <summary>Throws <see cref="ManifestException"/> listing every error, if there is any.</summary>
    public ManifestSet EnsureValid() => IsValid ? this : throw new ManifestException(ErrorList);

    /// <summary>
    /// The snapshot of <paramref name="group"/>: every object loaded (the builder picks the group's), and a
    /// label-less Namespace for every namespace used by an object but not declared.
    /// </summary>
    public GroupSnapshot ToSnapshot(StackId group, ClusterSettings cluster, AwsFacts aws)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(aws);
        var declared = new HashSet<string>(NamespaceList.Select(static n => n.Metadata.Name), StringComparer.Ordinal);
        var namespaces = new List<V1Namespace>(NamespaceList);
        var used = IngressList.Select(static o => o.Metadata.NamespaceProperty)
            .Concat(ServiceList.Select(static o => o.Metadata.NamespaceProperty))
            .Concat(EndpointSliceList.Select(static o => o.Metadata.NamespaceProperty))
            .Concat(SecretList.Select(static o => o.Metadata.NamespaceProperty));
        foreach (var ns in used.Order(StringComparer.Ordinal))
        {
            if (declared.Add(ns))
                namespaces.Add(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = ns } });
        }
        return new GroupSnapshot
        {
            Group = group,
            Cluster = cluster,
            Aws = aws,
            Ingresses = [.. IngressList],
            Services = [.. ServiceList],
            EndpointSlices = [.. EndpointSliceList],
            IngressClasses = [.. IngressClassList],
            IngressClassParams = [.. IngressClassParamsList],
            Namespaces = namespaces,
            Secrets = [.. SecretList],
            ForbiddenSecrets = new HashSet<string>(ForbiddenSecretSet, StringComparer.Ordinal),
            Nodes = [.. NodeList],
            Pods = [.. PodList],
        };
    }
}
