using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using k8s.Models;

namespace Serverless.Kubernetes.Api;

/// <summary>
/// <see cref="IKubernetesApi"/> as plain REST calls over <see cref="KubernetesHttp"/>, (de)serialised with
/// <see cref="KubernetesWireJson"/> (the KubernetesClient models, source-generated metadata for just these types).
/// Lists are read in pages of <see cref="PageSize"/>.
/// </summary>
public sealed class KubernetesApi : IKubernetesApi, IDisposable
{
    /// <summary>Objects per list page (<c>limit</c>).</summary>
    public const int PageSize = 500;

    private const string IngressClassParamsPath = "/apis/elbv2.k8s.aws/v1beta1/ingressclassparams";
    private const string Elbv2ApiVersion = "elbv2.k8s.aws/v1beta1";
    private static readonly MediaTypeHeaderValue MergePatch = new("application/merge-patch+json") { CharSet = "utf-8" };
    private static readonly MediaTypeHeaderValue StrategicMergePatch = new("application/strategic-merge-patch+json") { CharSet = "utf-8" };
    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    private readonly KubernetesHttp _http;

    internal KubernetesApi(KubernetesHttp http) => _http = http;

    public Task<IReadOnlyList<V1Ingress>> ListIngressesAsync(CancellationToken cancellationToken = default) =>
        ListAllAsync("/apis/networking.k8s.io/v1/ingresses", null, KubernetesWireJson.Default.V1IngressList, static l => (l.Items, l.Metadata?.ContinueProperty), "list ingresses", cancellationToken);

    public Task<IReadOnlyList<V1IngressClass>> ListIngressClassesAsync(CancellationToken cancellationToken = default) =>
        ListAllAsync("/apis/networking.k8s.io/v1/ingressclasses", null, KubernetesWireJson.Default.V1IngressClassList, static l => (l.Items, l.Metadata?.ContinueProperty), "list ingressclasses", cancellationToken);

    public Task<IReadOnlyList<string>> ListIngressClassParamsJsonAsync(CancellationToken cancellationToken = default) =>
        ListCustomJsonAsync(IngressClassParamsPath, Elbv2ApiVersion, "IngressClassParams", "list ingressclassparams", cancellationToken);

    // A custom kind's objects as JSON text, every page; empty when the CRD is not installed (404).
    private async Task<IReadOnlyList<string>> ListCustomJsonAsync(string path, string apiVersion, string kind, string what, CancellationToken cancellationToken)
    {
        var items = new List<string>();
        string? next = null;
        do
        {
            using var response = await SendAsync(HttpMethod.Get, path + Query(null, next), null, what, cancellationToken).ConfigureAwait(false);
            // The CRD is not installed: there are no such objects.
            if (response.StatusCode == HttpStatusCode.NotFound)
                return [];
            await EnsureSuccessAsync(response, what, cancellationToken).ConfigureAwait(false);
            JsonNode? page;
            try
            {
                page = await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException ex)
            {
                throw new KubernetesApiException(response.StatusCode, $"{what}: the response is not JSON: {ex.Message}", ex);
            }
            if (page?["items"] is JsonArray list)
            {
                foreach (var item in list.OfType<JsonObject>())
                {
                    // List items come without kind and apiVersion (as from the real API server): put them back, so
                    // each item is a whole object.
                    item["apiVersion"] ??= apiVersion;
                    item["kind"] ??= kind;
                    items.Add(item.ToJsonString());
                }
            }
            next = page?["metadata"]?["continue"] is JsonValue c && c.TryGetValue<string>(out var token) ? token : null;
        }
        while (!string.IsNullOrEmpty(next));
        return items;
    }

    public Task<IReadOnlyList<V1Namespace>> ListNamespacesAsync(CancellationToken cancellationToken = default) =>
        ListAllAsync("/api/v1/namespaces", null, KubernetesWireJson.Default.V1NamespaceList, static l => (l.Items, l.Metadata?.ContinueProperty), "list namespaces", cancellationToken);

    public Task<IReadOnlyList<V1Service>> ListServicesAsync(CancellationToken cancellationToken = default) =>
        ListAllAsync("/api/v1/services", null, KubernetesWireJson.Default.V1ServiceList, static l => (l.Items, l.Metadata?.ContinueProperty), "list services", cancellationToken);

    public Task<V1Service?> GetServiceAsync(string ns, string name, CancellationToken cancellationToken = default) =>
        GetAsync($"/api/v1/namespaces/{Segment(ns)}/services/{Segment(name)}", KubernetesWireJson.Default.V1Service, $"get service {ns}/{name}", cancellationToken);

    public Task<IReadOnlyList<V1EndpointSlice>> ListEndpointSlicesAsync(string ns, string labelSelector, CancellationToken cancellationToken = default) =>
        ListAllAsync($"/apis/discovery.k8s.io/v1/namespaces/{Segment(ns)}/endpointslices", labelSelector, KubernetesWireJson.Default.V1EndpointSliceList,
            static l => (l.Items, l.Metadata?.ContinueProperty), $"list endpointslices in {ns}", cancellationToken);

    public Task<V1Secret?> GetSecretAsync(string ns, string name, CancellationToken cancellationToken = default) =>
        GetAsync($"/api/v1/namespaces/{Segment(ns)}/secrets/{Segment(name)}", KubernetesWireJson.Default.V1Secret, $"get secret {ns}/{name}", cancellationToken);

    public Task<IReadOnlyList<V1Node>> ListNodesAsync(CancellationToken cancellationToken = default) =>
        ListAllAsync("/api/v1/nodes", null, KubernetesWireJson.Default.V1NodeList, static l => (l.Items, l.Metadata?.ContinueProperty), "list nodes", cancellationToken);

    public Task<V1Node?> GetNodeAsync(string name, CancellationToken cancellationToken = default) =>
        GetAsync($"/api/v1/nodes/{Segment(name)}", KubernetesWireJson.Default.V1Node, $"get node {name}", cancellationToken);

    public Task<V1Ingress?> GetIngressAsync(string ns, string name, CancellationToken cancellationToken = default) =>
        GetAsync($"/apis/networking.k8s.io/v1/namespaces/{Segment(ns)}/ingresses/{Segment(name)}", KubernetesWireJson.Default.V1Ingress, $"get ingress {ns}/{name}", cancellationToken);

    public Task<V1Ingress> PatchIngressAsync(string ns, string name, string mergePatch, CancellationToken cancellationToken = default) =>
        PatchAsync($"/apis/networking.k8s.io/v1/namespaces/{Segment(ns)}/ingresses/{Segment(name)}", mergePatch, KubernetesWireJson.Default.V1Ingress, $"patch ingress {ns}/{name}", cancellationToken);

    public Task<V1Ingress> PatchIngressStatusAsync(string ns, string name, string mergePatch, CancellationToken cancellationToken = default) =>
        PatchAsync($"/apis/networking.k8s.io/v1/namespaces/{Segment(ns)}/ingresses/{Segment(name)}/status", mergePatch, KubernetesWireJson.Default.V1Ingress, $"patch ingress status {ns}/{name}", cancellationToken);

    public Task<V1Service> PatchServiceAsync(string ns, string name, string mergePatch, CancellationToken cancellationToken = default) =>
        PatchAsync($"/api/v1/namespaces/{Segment(ns)}/services/{Segment(name)}", mergePatch, KubernetesWireJson.Default.V1Service, $"patch service {ns}/{name}", cancellationToken);

    public Task<V1Service> PatchServiceStatusAsync(string ns, string name, string mergePatch, CancellationToken cancellationToken = default) =>
        PatchAsync($"/api/v1/namespaces/{Segment(ns)}/services/{Segment(name)}/status", mergePatch, KubernetesWireJson.Default.V1Service, $"patch service status {ns}/{name}", cancellationToken);

    public Task<V1Node> PatchNodeAsync(string name, string mergePatch, CancellationToken cancellationToken = default) =>
        PatchAsync($"/api/v1/nodes/{Segment(name)}", mergePatch, KubernetesWireJson.Default.V1Node, $"patch node {name}", cancellationToken);

    public async Task CreateEventAsync(string ns, Corev1Event kubernetesEvent, CancellationToken cancellationToken = default)
    {
        var what = $"create event in {ns}";
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(kubernetesEvent, KubernetesWireJson.Default.Corev1Event));
        content.Headers.ContentType = Json;
        using var response = await SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{Segment(ns)}/events", content, what, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, what, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _http.Dispose();

    private async Task<IReadOnlyList<TItem>> ListAllAsync<TList, TItem>(
        string path,
        string? labelSelector,
        JsonTypeInfo<TList> type,
        Func<TList, (IList<TItem>? Items, string? Continue)> read,
        string what,
        CancellationToken cancellationToken)
    {
        var all = new List<TItem>();
        string? next = null;
        do
        {
            using var response = await SendAsync(HttpMethod.Get, path + Query(labelSelector, next), null, what, cancellationToken).ConfigureAwait(false);
            await EnsureSuccessAsync(response, what, cancellationToken).ConfigureAwait(false);
            var (items, token) = read(await ReadAsync(response, type, what, cancellationToken).ConfigureAwait(false));
            all.AddRange(items ?? []);
            next = token;
        }
        while (!string.IsNullOrEmpty(next));
        return all;
    }

    private async Task<T?> GetAsync<T>(string path, JsonTypeInfo<T> type, string what, CancellationToken cancellationToken)
        where T : class
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, what, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        await EnsureSuccessAsync(response, what, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, type, what, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> PatchAsync<T>(string path, string mergePatch, JsonTypeInfo<T> type, string what, CancellationToken cancellationToken, MediaTypeHeaderValue? contentType = null)
    {
        var content = new StringContent(mergePatch, Encoding.UTF8);
        content.Headers.ContentType = contentType ?? MergePatch;
        using var response = await SendAsync(HttpMethod.Patch, path, content, what, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, what, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, type, what, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string pathAndQuery, HttpContent? content, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(method, pathAndQuery, content, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new KubernetesApiException(ex.StatusCode ?? 0, $"{what}: {ex.Message}", ex);
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, string what, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return await JsonSerializer.DeserializeAsync(stream, type, cancellationToken).ConfigureAwait(false)
                ?? throw new KubernetesApiException(response.StatusCode, $"{what}: the response body is null");
        }
        catch (JsonException ex)
        {
            throw new KubernetesApiException(response.StatusCode, $"{what}: the response cannot be read: {ex.Message}", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new KubernetesApiException(response.StatusCode, $"{what}: {ex.Message}", ex);
        }
    }

    // A non-2xx response becomes a KubernetesApiException with the status and the message of its metav1.Status body.
    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var message = StatusMessage(body) ?? (string.IsNullOrWhiteSpace(body) ? response.ReasonPhrase ?? response.StatusCode.ToString() : body.Trim());
        throw new KubernetesApiException(response.StatusCode, $"{what}: {(int)response.StatusCode} {message}");
    }

    private static string Query(string? labelSelector, string? continueToken)
    {
        var query = new StringBuilder("?limit=").Append(PageSize);
        if (!string.IsNullOrEmpty(labelSelector))
            query.Append("&labelSelector=").Append(Uri.EscapeDataString(labelSelector));
        if (!string.IsNullOrEmpty(continueToken))
            query.Append("&continue=").Append(Uri.EscapeDataString(continueToken));
        return query.ToString();
    }

    private static string Segment(string value) => Uri.EscapeDataString(value);

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

    private const string BindingsApi = "/apis/" + Elbv2ApiVersion;

    public async Task<string?> GetTargetGroupBindingJsonAsync(string ns, string name, CancellationToken cancellationToken = default)
    {
        var what = $"get targetgroupbinding {ns}/{name}";
        using var response = await SendAsync(HttpMethod.Get, BindingPath(ns, name), null, what, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        await EnsureSuccessAsync(response, what, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<string>> ListTargetGroupBindingsJsonAsync(string? ns = null, CancellationToken cancellationToken = default) =>
        ListCustomJsonAsync(
            ns is null ? BindingsApi + "/targetgroupbindings" : $"{BindingsApi}/namespaces/{Segment(ns)}/targetgroupbindings",
            Elbv2ApiVersion,
            "TargetGroupBinding",
            ns is null ? "list targetgroupbindings" : $"list targetgroupbindings in {ns}",
            cancellationToken);

    public Task<string> PatchTargetGroupBindingAsync(string ns, string name, string mergePatch, CancellationToken cancellationToken = default) =>
        PatchJsonAsync(BindingPath(ns, name), mergePatch, $"patch targetgroupbinding {ns}/{name}", cancellationToken);

    public Task<string> PatchTargetGroupBindingStatusAsync(string ns, string name, string mergePatch, CancellationToken cancellationToken = default) =>
        PatchJsonAsync(BindingPath(ns, name) + "/status", mergePatch, $"patch targetgroupbinding status {ns}/{name}", cancellationToken);

    private static string BindingPath(string ns, string name) => $"{BindingsApi}/namespaces/{Segment(ns)}/targetgroupbindings/{Segment(name)}";

    private async Task<string> PatchJsonAsync(string path, string mergePatch, string what, CancellationToken cancellationToken)
    {
        var content = new StringContent(mergePatch, Encoding.UTF8);
        content.Headers.ContentType = MergePatch;
        using var response = await SendAsync(HttpMethod.Patch, path, content, what, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, what, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<V1Pod?> GetPodAsync(string ns, string name, CancellationToken cancellationToken = default) =>
        GetAsync($"/api/v1/namespaces/{Segment(ns)}/pods/{Segment(name)}", KubernetesWireJson.Default.V1Pod, $"get pod {ns}/{name}", cancellationToken);

    public Task<IReadOnlyList<V1Pod>> ListPodsAsync(string ns, string? labelSelector = null, CancellationToken cancellationToken = default) =>
        ListAllAsync($"/api/v1/namespaces/{Segment(ns)}/pods", labelSelector, KubernetesWireJson.Default.V1PodList, static l => (l.Items, l.Metadata?.ContinueProperty), $"list pods in {ns}", cancellationToken);

    public Task<V1Pod> PatchPodStatusAsync(string ns, string name, string strategicMergePatch, CancellationToken cancellationToken = default) =>
        PatchAsync($"/api/v1/namespaces/{Segment(ns)}/pods/{Segment(name)}/status", strategicMergePatch, KubernetesWireJson.Default.V1Pod, $"patch pod status {ns}/{name}", cancellationToken, StrategicMergePatch);
}
