using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Serverless.Local;

/// <summary>
/// Certificates for an emulated account. ELBv2 in moto refuses an HTTPS listener whose certificate is not in its ACM,
/// and moto (like ACM) chooses certificate ARNs itself — so, as with Node instance ids, each certificate ARN written
/// in the manifests is mapped to a sandbox certificate requested for it and the mapping is printed. The sandbox
/// certificate carries the original ARN in a tag, so a second seed against the same endpoint finds it again.
/// Speaks ACM's JSON protocol directly: emulators only (it is never used against a real account).
/// </summary>
public static class SandboxCertificates
{
    /// <summary>The tag holding the manifest's certificate ARN on its sandbox certificate.</summary>
    public const string StandsInForTag = "serverless.elbv2.k8s.aws/stands-in-for";

    /// <summary>Maps every ARN in <paramref name="manifestArns"/> to a sandbox certificate ARN, creating what is missing.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> EnsureAsync(
        HttpClient http, string endpoint, string region, IReadOnlyCollection<string> manifestArns, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(manifestArns);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (manifestArns.Count == 0)
            return result;

        using (var list = await CallAsync(http, endpoint, region, "ListCertificates", "{}", cancellationToken).ConfigureAwait(false))
        {
            foreach (var summary in list.RootElement.GetProperty("CertificateSummaryList").EnumerateArray())
            {
                var arn = summary.GetProperty("CertificateArn").GetString()!;
                using var tags = await CallAsync(http, endpoint, region, "ListTagsForCertificate", Json(w => w.WriteString("CertificateArn", arn)), cancellationToken).ConfigureAwait(false);
                if (!tags.RootElement.TryGetProperty("Tags", out var tagList))
                    continue;
                foreach (var tag in tagList.EnumerateArray())
                {
                    if (tag.GetProperty("Key").GetString() == StandsInForTag && tag.TryGetProperty("Value", out var value))
                        result.TryAdd(value.GetString()!, arn);
                }
            }
        }

        foreach (var manifestArn in manifestArns.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (result.ContainsKey(manifestArn))
                continue;
            var body = Json(w =>
            {
                w.WriteString("DomainName", "sandbox.example.com");
                w.WriteString("ValidationMethod", "DNS");
                w.WriteStartArray("Tags");
                w.WriteStartObject();
                w.WriteString("Key", StandsInForTag);
                w.WriteString("Value", manifestArn);
                w.WriteEndObject();
                w.WriteEndArray();
            });
            using var created = await CallAsync(http, endpoint, region, "RequestCertificate", body, cancellationToken).ConfigureAwait(false);
            result[manifestArn] = created.RootElement.GetProperty("CertificateArn").GetString()!;
        }
        return result;
    }

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static async Task<JsonDocument> CallAsync(HttpClient http, string endpoint, string region, string operation, string body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.TrimEnd('/') + "/");
        request.Content = new StringContent(body, Encoding.UTF8);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.1");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "CertificateManager." + operation);
        // Emulators read the service and region from the credential scope and do not check the signature.
        var date = DateTime.UtcNow.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        request.Headers.TryAddWithoutValidation("Authorization", $"AWS4-HMAC-SHA256 Credential=testing/{date}/{region}/acm/aws4_request, SignedHeaders=host, Signature=0");
        using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"sandbox ACM {operation} failed with {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text);
    }
}
