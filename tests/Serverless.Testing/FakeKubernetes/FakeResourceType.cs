namespace Serverless.Testing.FakeKubernetes;

/// <summary>A resource the fake API server serves: where it lives in the URL space and how it behaves.</summary>
/// <param name="Group">API group; empty for the core group (<c>/api/v1</c>).</param>
/// <param name="Version">API version, e.g. <c>v1</c>.</param>
/// <param name="Plural">The URL name, e.g. <c>ingresses</c>.</param>
/// <param name="Kind">The kind, e.g. <c>Ingress</c>.</param>
/// <param name="Namespaced">Whether objects live in a namespace.</param>
/// <param name="HasStatus">Whether a <c>/status</c> subresource exists (then the main resource ignores status writes).</param>
public sealed record FakeResourceType(string Group, string Version, string Plural, string Kind, bool Namespaced, bool HasStatus = true)
{
    /// <summary>The <c>apiVersion</c> of objects: <c>v1</c> or <c>group/version</c>.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    /// <summary>The URL prefix of the group version: <c>/api/v1</c> or <c>/apis/group/version</c>.</summary>
    public string Prefix => Group.Length == 0 ? "/api/" + Version : "/apis/" + Group + "/" + Version;

    /// <summary>The kinds every fake server starts with (those the controller and forwarder use).</summary>
    public static IReadOnlyList<FakeResourceType> Defaults { get; } =
    [
        new("", "v1", "namespaces", "Namespace", Namespaced: false),
        new("", "v1", "nodes", "Node", Namespaced: false),
        new("", "v1", "pods", "Pod", Namespaced: true),
        new("", "v1", "services", "Service", Namespaced: true),
        new("", "v1", "endpoints", "Endpoints", Namespaced: true, HasStatus: false),
        new("", "v1", "secrets", "Secret", Namespaced: true, HasStatus: false),
        new("", "v1", "configmaps", "ConfigMap", Namespaced: true, HasStatus: false),
        new("", "v1", "events", "Event", Namespaced: true, HasStatus: false),
        new("", "v1", "serviceaccounts", "ServiceAccount", Namespaced: true, HasStatus: false),
        new("networking.k8s.io", "v1", "ingresses", "Ingress", Namespaced: true),
        new("networking.k8s.io", "v1", "ingressclasses", "IngressClass", Namespaced: false, HasStatus: false),
        new("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", Namespaced: true, HasStatus: false),
        new("events.k8s.io", "v1", "events", "Event", Namespaced: true, HasStatus: false),
        new("coordination.k8s.io", "v1", "leases", "Lease", Namespaced: true, HasStatus: false),
        new("elbv2.k8s.aws", "v1beta1", "ingressclassparams", "IngressClassParams", Namespaced: false),
        new("elbv2.k8s.aws", "v1beta1", "targetgroupbindings", "TargetGroupBinding", Namespaced: true),
    ];
}
