using k8s.Models;

namespace Serverless.Kubernetes.Api;

/// <summary>
/// The Kubernetes API calls the controller makes, and nothing more: lists and gets for loading a group, patches for
/// finalizers and status (Ingresses, Services) and node labels, and Event creation. Lists follow <c>continue</c> tokens; a get of a missing
/// object returns null. Any other failure is a <see cref="KubernetesApiException"/>.
/// </summary>
public interface IKubernetesApi
{
    /// <summary>Every Ingress in every namespace.</summary>
    Task<IReadOnlyList<V1Ingress>> ListIngressesAsync(CancellationToken cancellationToken = default);

    /// <summary>Every IngressClass.</summary>
    Task<IReadOnlyList<V1IngressClass>> ListIngressClassesAsync(CancellationToken cancellationToken = default);

    /// <summary>Every <c>elbv2.k8s.aws/v1beta1</c> IngressClassParams, each as its JSON text; empty when the CRD is not installed.</summary>
    Task<IReadOnlyList<string>> ListIngressClassParamsJsonAsync(CancellationToken cancellationToken = default);

    /// <summary>Every Namespace.</summary>
    Task<IReadOnlyList<V1Namespace>> ListNamespacesAsync(CancellationToken cancellationToken = default);

    /// <summary>Every Service in every namespace.</summary>
    Task<IReadOnlyList<V1Service>> ListServicesAsync(CancellationToken cancellationToken = default);

    /// <summary>One Service, or null.</summary>
    Task<V1Service?> GetServiceAsync(string ns, string name, CancellationToken cancellationToken = default);

    /// <summary>The EndpointSlices of <paramref name="ns"/> matching <paramref name="labelSelector"/>.</summary>
    Task<IReadOnlyList<V1EndpointSlice>> ListEndpointSlicesAsync(string ns, string labelSelector, CancellationToken cancellationToken = default);

    /// <summary>One Secret, or null.</summary>
    Task<V1Secret?> GetSecretAsync(string ns, string name, CancellationToken cancellationToken = default);

    /// <summary>Every Node.</summary>
    Task<IReadOnlyList<V1Node>> ListNodesAsync(CancellationToken cancellationToken = default);

    /// <summary>One Node, or null.</summary>
    Task<V1Node?> GetNodeAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>One Ingress, or null.</summary>
    Task<V1Ingress?> GetIngressAsync(string ns, string name, CancellationToken cancellationToken = default);

    /// <summary>A JSON merge patch (RFC 7386) of an Ingress; a <c>metadata.resourceVersion</c> in it makes it conditional (409 when stale).</summary>
    Task<V1Ingress> PatchIngressAsync(string ns, string name, string mergePatch, CancellationToken cancellationToken = default);

    /// <summary>A JSON merge patch of an Ingress's <c>status</c> subresource.</summary>
    Task<V1Ingress> PatchIngressStatusAsync(string ns, string name, string mergePatch, CancellationToken cancellationToken = default);

    /// <summary>A JSON merge patch of a Service; a <c>metadata.resourceVersion</c> in it makes it conditional (409 when stale).</summary>
    Task<V1Service> PatchServiceAsync(string ns, string name, string mergePatch, CancellationToken cancellationToken = default);

    /// <summary>A JSON merge patch of a Service's <c>status</c> subresource.</summary>
    Task<V1Service> PatchServiceStatusAsync(string ns, string name, string mergePatch, CancellationToken cancellationToken = default);

    /// <summary>A JSON merge patch of a Node.</summary>
    Task<V1Node> PatchNodeAsync(string name, string mergePatch, CancellationToken cancellationToken = default);

    /// <summary>Creates a core/v1 Event in <paramref name="ns"/>.</summary>
    Task CreateEventAsync(string ns, Corev1Event kubernetesEvent, CancellationToken cancellationToken = default);

    /// <summary>
    /// One <c>elbv2.k8s.aws/v1beta1</c> TargetGroupBinding as its JSON text, or null when it (or the CRD) does not
    /// exist. Parse it with <c>TargetGroupBindingParser.ParseJson</c>.
    /// </summary>
    Task<string?> GetTargetGroupBindingJsonAsync(string ns, string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every TargetGroupBinding of <paramref name="ns"/>, or of every namespace when it is null, each as its JSON text
    /// (with <c>apiVersion</c> and <c>kind</c>); empty when the CRD is not installed.
    /// </summary>
    Task<IReadOnlyList<string>> ListTargetGroupBindingsJsonAsync(string? ns = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// A JSON merge patch of a TargetGroupBinding (its metadata: finalizers, annotations); a <c>metadata.resourceVersion</c>
    /// in it makes it conditional (409 when stale). Returns the patched object's JSON text.
    /// </summary>
    Task<string> PatchTargetGroupBindingAsync(string ns, string name, string mergePatch, CancellationToken cancellationToken = default);

    /// <summary>A JSON merge patch of a TargetGroupBinding's <c>status</c> subresource; returns the patched object's JSON text.</summary>
    Task<string> PatchTargetGroupBindingStatusAsync(string ns, string name, string mergePatch, CancellationToken cancellationToken = default);

    /// <summary>One Pod, or null.</summary>
    Task<V1Pod?> GetPodAsync(string ns, string name, CancellationToken cancellationToken = default);

    /// <summary>The Pods of <paramref name="ns"/>, all of them or those matching <paramref name="labelSelector"/>.</summary>
    Task<IReadOnlyList<V1Pod>> ListPodsAsync(string ns, string? labelSelector = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// A strategic merge patch of a Pod's <c>status</c> subresource: <c>status.conditions</c> merge by <c>type</c>, so
    /// the conditions kubelet owns are left alone; a <c>metadata.uid</c> in it is a precondition (409 when the Pod was
    /// replaced by one of the same name).
    /// </summary>
    Task<V1Pod> PatchPodStatusAsync(string ns, string name, string strategicMergePatch, CancellationToken cancellationToken = default);
}
