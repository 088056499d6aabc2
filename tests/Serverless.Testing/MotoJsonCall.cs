using System.Net.Http.Headers;
using System.Text;

namespace Serverless.Testing;

/// <summary>A raw AWS JSON 1.1 call to moto, for test arrangements the product's clients do not model.</summary>
internal static class MotoJsonCall
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>POSTs <paramref name="json"/> with <c>X-Amz-Target: <paramref name="target"/></c>; the response body, or an exception naming the call.</summary>
    public static async Task<string> SendAsync(string endpoint, string region, string signingName, string target, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.TrimEnd('/') + "/");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        // moto picks the service from the credential scope; it does not check the signature.
        request.Headers.TryAddWithoutValidation("Authorization", $"AWS4-HMAC-SHA256 Credential=testing/20250101/{region}/{signingName}/aws4_request, SignedHeaders=host, Signature=0");
        request.Content = new StringContent(json, Encoding.UTF8);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.1");
        using var response = await Http.SendAsync(request).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"moto {target}: HTTP {(int)response.StatusCode}: {text}");
        return text;
    }
}
