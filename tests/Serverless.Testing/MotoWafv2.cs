using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serverless.Testing;

/// <summary>
/// Test-only WAFv2 arrangements on moto: web ACLs are created with a raw AWS JSON 1.1 call (the product never
/// creates one, so its client has no <c>CreateWebACL</c>), and <see cref="ReplacingAssociationHandler"/> makes moto's
/// <c>AssociateWebACL</c> behave as AWS's does.
/// </summary>
public static class MotoWafv2
{
    /// <summary>Creates a REGIONAL web ACL named <paramref name="name"/> (default action allow) and returns its ARN.</summary>
    public static async Task<string> CreateWebAclAsync(MotoServer moto, string name, string region = "us-east-1")
    {
        ArgumentNullException.ThrowIfNull(moto);
        var body = new JsonObject
        {
            ["Name"] = name,
            ["Scope"] = "REGIONAL",
            ["DefaultAction"] = new JsonObject { ["Allow"] = new JsonObject() },
            ["VisibilityConfig"] = new JsonObject
            {
                ["SampledRequestsEnabled"] = false,
                ["CloudWatchMetricsEnabled"] = false,
                ["MetricName"] = name,
            },
        };
        var response = await SendAsync(moto.Endpoint, region, "CreateWebACL", body.ToJsonString()).ConfigureAwait(false);
        return JsonNode.Parse(response)!["Summary"]!["ARN"]!.GetValue<string>();
    }

    /// <summary>The web ACL ARN moto has associated with <paramref name="resourceArn"/>, or null (an independent read).</summary>
    public static async Task<string?> AssociatedAclAsync(MotoServer moto, string resourceArn, string region = "us-east-1")
    {
        ArgumentNullException.ThrowIfNull(moto);
        var response = await SendAsync(moto.Endpoint, region, "GetWebACLForResource", new JsonObject { ["ResourceArn"] = resourceArn }.ToJsonString()).ConfigureAwait(false);
        return JsonNode.Parse(response)?["WebACL"]?["ARN"]?.GetValue<string>();
    }

    /// <summary>Associates directly (as AWS Firewall Manager or a person in the console would).</summary>
    public static Task AssociateAsync(MotoServer moto, string aclArn, string resourceArn, string region = "us-east-1")
    {
        ArgumentNullException.ThrowIfNull(moto);
        return SendAsync(moto.Endpoint, region, "AssociateWebACL", new JsonObject { ["WebACLArn"] = aclArn, ["ResourceArn"] = resourceArn }.ToJsonString());
    }

    /// <summary>Disassociates directly (drift made by someone else).</summary>
    public static Task DisassociateAsync(MotoServer moto, string resourceArn, string region = "us-east-1")
    {
        ArgumentNullException.ThrowIfNull(moto);
        return SendAsync(moto.Endpoint, region, "DisassociateWebACL", new JsonObject { ["ResourceArn"] = resourceArn }.ToJsonString());
    }

    private static Task<string> SendAsync(string endpoint, string region, string operation, string json) =>
        MotoJsonCall.SendAsync(endpoint, region, "wafv2", "AWSWAF_20190729." + operation, json);
}

/// <summary>
/// AWS's <c>AssociateWebACL</c> replaces the resource's current association; moto's adds the resource to the new
/// ACL and leaves it on the old one (so <c>GetWebACLForResource</c> may keep answering the old ACL). After a successful
/// association this handler clears every association of the resource on moto and associates again, so moto ends
/// where AWS would. A failed association (unknown ACL) is passed back untouched, the old association kept, as on AWS.
/// </summary>
public sealed class ReplacingAssociationHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private const string Prefix = "AWSWAF_20190729.";

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Headers.TryGetValues("X-Amz-Target", out var targets) || targets.FirstOrDefault() != Prefix + "AssociateWebACL" || request.Content is null)
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var bytes = await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var auth = request.Headers.TryGetValues("Authorization", out var values) ? values.ToList() : [];
        var first = await base.SendAsync(Copy(request.RequestUri, "AssociateWebACL", bytes, auth), cancellationToken).ConfigureAwait(false);
        if (!first.IsSuccessStatusCode)
            return first;
        first.Dispose();
        var resource = JsonDocument.Parse(bytes).RootElement.GetProperty("ResourceArn").GetString();
        var only = Encoding.UTF8.GetBytes(new JsonObject { ["ResourceArn"] = resource }.ToJsonString());
        for (var i = 0; i < 20; i++)
        {
            using var get = await base.SendAsync(Copy(request.RequestUri, "GetWebACLForResource", only, auth), cancellationToken).ConfigureAwait(false);
            var current = JsonNode.Parse(await get.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false))?["WebACL"];
            if (current is null)
                break;
            using var _ = await base.SendAsync(Copy(request.RequestUri, "DisassociateWebACL", only, auth), cancellationToken).ConfigureAwait(false);
        }
        return await base.SendAsync(Copy(request.RequestUri, "AssociateWebACL", bytes, auth), cancellationToken).ConfigureAwait(false);
    }

    private static HttpRequestMessage Copy(Uri? uri, string operation, byte[] body, List<string> auth)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, uri);
        message.Headers.TryAddWithoutValidation("X-Amz-Target", Prefix + operation);
        if (auth.Count > 0)
            message.Headers.TryAddWithoutValidation("Authorization", auth);
        message.Content = new ByteArrayContent(body);
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.1");
        return message;
    }
}
