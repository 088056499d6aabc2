using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Serverless.Kubernetes.Api;

/// <summary>
/// <see cref="IKubernetesApi"/> over KubernetesClient.Aot (source-generated JSON, no reflection). Lists are read
/// in pages of <see cref="PageSize"/>.
/// </summary>
public sealed class KubernetesApi : IKubernetesApi, IDisposable
{
    /// <summary>Objects per list page (<c>limit</c>).</summary>
    public const int PageSize = 500;

    private const string Elbv2Group = "elbv2.k8s.aws";
    private const string Elbv2Version = "v1beta1";
    private const string IngressClassParamsPlural = "ingressclassparams";

    private readonly IKubernetes _client;

    /// <summary>Wraps <paramref name="client"/>; disposing this disposes it.</summary>
    public KubernetesApi(IKubernetes client)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
    }

    /// <summary>The client underneath (for the calls this interface does not cover, e.g. watches).</summary>
    public IKubernetes Client => _client;

    public Task<IReadOnlyList<V1Ingress>> ListIngressesAsync(CancellationToken cancellationToken = default) =>
        ListAllAsync(
            (next, ct) => _client.NetworkingV1.ListIngressForAllNamespacesAsync(continueParameter: next, limit: PageSize, cancellationToken: ct),
            static l => (l.Items, l.Metadata?.ContinueProperty),
            "list ingresses",
            cancellationToken);

    public Task<IReadOnlyList<V1IngressClass>> ListIngressClassesAsync(CancellationToken cancellationToken = default) =>
        ListAllAsync(
            (next, ct) => _client.NetworkingV1.ListIngressClassAsync(continueParameter: next, limit: PageSize, cancellationToken: ct),
            static l => (l.Items, l.Metadata?.ContinueProperty),
            "list ingressclasses",
            cancellationToken);

    public async Task<IReadOnlyList<string>> ListIngressClassParamsJsonAsync(CancellationToken cancellationToken = default)
    {
        var items = new List<string>();
        string? next = null;
        do
        {
            object page;
            try
            {
                page = await _client.CustomObjects.ListClusterCustomObjectAsync(
                    Elbv2Group, Elbv2Version, IngressClassParamsPlural, continueParameter: next, limit: PageSize, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
            {
                // The CRD is not installed: there are no IngressClassParams.
                return [];
            }
            catch (HttpOperationException ex)
            {
                throw Wrap(ex, "list ingressclassparams");
            }
            var root = page switch
            {
                JsonElement element => element,
                string text => JsonDocument.Parse(text).RootElement,
                _ => throw new KubernetesApiException($"list ingressclassparams: unexpected response type {page?.GetType().Name ?? "null"}"),
            };
            if (root.TryGetProperty("items", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in list.EnumerateArray())
                {
                    // List items come without kind and apiVersion (as from the real API server): put them back, so
                    // each item is a whole object.
                    var node = JsonNode.Parse(item.GetRawText())!.AsObject();
                    node["apiVersion"] ??= Elbv2Group + "/" + Elbv2Version;
                    node["kind"] ??= "IngressClassParams";
                    items.Add(node.ToJsonString());
                }
            }
            next = root.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("continue", out var c) && c.ValueKind == JsonValueKind.String
                ? c.GetString()
                : null;
        }
        while (!string.IsNullOrEmpty(next));
        return items;
    }

    public Task<IReadOnlyList<V1Namespace>> ListNamespacesAsync(CancellationToken cancellationToken = default) =>
        ListAllAsync(
            (next, ct) => _client.CoreV1.ListNamespaceAsync(continueParameter: next, limit: PageSize, cancellationToken: ct),
            static l => (l.Items, l.Metadata?.ContinueProperty),
            "list namespaces",
            cancellationToken);

    public Task<IReadOnlyList<V1Service>> ListServicesAsync(CancellationToken cancellationToken = default) =>
        ListAllAsync(
            (next, ct) => _client.CoreV1.ListServiceForAllNamespacesAsync(continueParameter: next, limit: PageSize, cancellationToken: ct),
            static l => (l.Items, l.Metadata?.ContinueProperty),
            "list services",
            cancellationToken);

    public Task<V1Service?> GetServiceAsync(string ns, string name, CancellationToken cancellationToken = default) =>
        GetAsync(ct => _client.CoreV1.ReadNamespacedServiceAsync(name, ns, cancellationToken: ct), $"get service {ns}/{name}", cancellationToken);

    public Task<IReadOnlyList<V1EndpointSlice>> ListEndpointSlicesAsync(string ns, string labelSelector, CancellationToken cancellationToken = default) =>
        ListAllAsync(
            (next, ct) => _client.DiscoveryV1.ListNamespacedEndpointSliceAsync(ns, continueParameter: next, labelSelector: labelSelector, limit: PageSize, cancellationToken: ct),
            static l => (l.Items, l.Metadata?.ContinueProperty),
            $"list endpointslices in {ns}",
            cancellationToken);

    public Task<V1Secret?> GetSecretAsync(string ns, string name, CancellationToken cancellationToken = default) =>
        GetAsync(ct => _client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: ct), $"get secret {ns}/{name}", cancellationToken);

    public Task<IReadOnlyList<V1Node>> ListNodesAsync(CancellationToken cancellationToken = default) =>
        ListAllAsync(
            (next, ct) => _client.CoreV1.ListNodeAsync(continueParameter: next, limit: PageSize, cancellationToken: ct),
            static l => (l.Items, l.Metadata?.ContinueProperty),
            "list nodes",
            cancellationToken);

    public Task<V1Node?> GetNodeAsync(string name, CancellationToken cancellationToken = default) =>
        GetAsync(ct => _client.CoreV1.ReadNodeAsync(name, cancellationToken: ct), $"get node {name}", cancellationToken);

    public Task<V1Ingress?> GetIngressAsync(string ns, string name, CancellationToken cancellationToken = default) =>
        GetAsync(ct => _client.NetworkingV1.ReadNamespacedIngressAsync(name, ns, cancellationToken: ct), $"get ingress {ns}/{name}", cancellationToken);

    public Task<V1Ingress> PatchIngressAsync(string ns, string name, string mergePatch, CancellationToken cancellationToken = default) =>
        CallAsync(
            ct => _client.NetworkingV1.PatchNamespacedIngressAsync(new V1Patch(mergePatch, V1Patch.PatchType.MergePatch), name, ns, cancellationToken: ct),
            $"patch ingress {ns}/{name}",
            cancellationToken);

    public Task<V1Ingress> PatchIngressStatusAsync(string ns, string name, string mergePatch, CancellationToken cancellationToken = default) =>
        CallAsync(
            ct => _client.NetworkingV1.PatchNamespacedIngressStatusAsync(new V1Patch(mergePatch, V1Patch.PatchType.MergePatch), name, ns, cancellationToken: ct),
            $"patch ingress status {ns}/{name}",
            cancellationToken);

    public Task<V1Node> PatchNodeAsync(string name, string mergePatch, CancellationToken cancellationToken = default) =>
        CallAsync(
            ct => _client.CoreV1.PatchNodeAsync(new V1Patch(mergePatch, V1Patch.PatchType.MergePatch), name, cancellationToken: ct),
            $"patch node {name}",
            cancellationToken);

    public Task CreateEventAsync(string ns, Corev1Event kubernetesEvent, CancellationToken cancellationToken = default) =>
        CallAsync(
            ct => _client.CoreV1.CreateNamespacedEventAsync(kubernetesEvent, ns, cancellationToken: ct),
            $"create event in {ns}",
            cancellationToken);

    public void Dispose() => _client.Dispose();

    private static async Task<IReadOnlyList<TItem>> ListAllAsync<TList, TItem>(
        Func<string?, CancellationToken, Task<TList>> page,
        Func<TList, (IList<TItem>? Items, string? Continue)> read,
        string what,
        CancellationToken cancellationToken)
    {
        var all = new List<TItem>();
        string? next = null;
        do
        {
            var list = await CallAsync(ct => page(next, ct), what, cancellationToken).ConfigureAwait(false);
            var (items, token) = read(list);
            all.AddRange(items ?? []);
            next = token;
        }
        while (!string.IsNullOrEmpty(next));
        return all;
    }

    private static async Task<T?> GetAsync<T>(Func<CancellationToken, Task<T>> call, string what, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await call(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (HttpOperationException ex)
        {
            throw Wrap(ex, what);
        }
    }

    private static async Task<T> CallAsync<T>(Func<CancellationToken, Task<T>> call, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await call(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException ex)
        {
            throw Wrap(ex, what);
        }
        catch (HttpRequestException ex)
        {
            throw new KubernetesApiException(ex.StatusCode ?? 0, $"{what}: {ex.Message}", ex);
        }
    }

    private static KubernetesApiException Wrap(HttpOperationException ex, string what)
    {
        var detail = ex.Response?.Content;
        var message = string.IsNullOrWhiteSpace(detail) ? ex.Message : StatusMessage(detail) ?? ex.Message;
        return new KubernetesApiException(ex.Response?.StatusCode ?? 0, $"{what}: {(int)(ex.Response?.StatusCode ?? 0)} {message}", ex);
    }

    // The "message" of a metav1.Status body, when the body is one.
    private static string? StatusMessage(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
                ? m.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
