using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serverless.Kubernetes.Api;

/// <summary>Lists read as JSON objects, for custom resources that have no typed model here.</summary>
public sealed partial class KubernetesApi
{
    /// <summary>
    /// Every object at <paramref name="path"/> (a collection, e.g. <c>/apis/elbv2.k8s.aws/v1beta1/namespaces/ns/targetgroupbindings</c>),
    /// following <c>continue</c> tokens, each a whole object: list items come without <c>apiVersion</c> and <c>kind</c>
    /// (as the API server sends them) and get <paramref name="apiVersion"/> and <paramref name="kind"/> back. Empty when
    /// the resource is not served (404: its CRD is not installed). <paramref name="what"/> names the call in errors.
    /// </summary>
    public async Task<IReadOnlyList<JsonObject>> ListJsonAsync(string path, string apiVersion, string kind, string what, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var items = new List<JsonObject>();
        string? next = null;
        do
        {
            using var response = await SendAsync(HttpMethod.Get, path + Query(null, next), null, what, cancellationToken).ConfigureAwait(false);
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
                    item["apiVersion"] ??= apiVersion;
                    item["kind"] ??= kind;
                    items.Add(item);
                }
            }
            next = page?["metadata"]?["continue"] is JsonValue c && c.TryGetValue<string>(out var token) ? token : null;
        }
        while (!string.IsNullOrEmpty(next));
        return items;
    }
}
