using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Testing;

namespace Serverless.Aws.Tests.Signing;

/// <summary>What botocore computed for one request (see <c>botocore_sigv4.py</c>).</summary>
internal sealed record BotocoreSignature(string CanonicalRequest, string StringToSign, string Signature, string Authorization);

/// <summary>One request for botocore to sign.</summary>
internal sealed record BotocoreRequest(string Method, string Url, string AccessKey, string SecretKey, string Region, string Service, DateTime SignedAt)
{
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public byte[] Body { get; init; } = [];

    public string? SessionToken { get; init; }

    /// <summary>Have botocore add and sign <c>X-Amz-Content-SHA256</c> (its own hash of the body), as the .NET SDK does.</summary>
    public bool SignContentSha256 { get; init; }
}

/// <summary>Runs botocore's <c>SigV4Auth</c> in a python3 process: the independent SigV4 implementation of the tests.</summary>
internal static class Botocore
{
    private static readonly string Script = RepoPaths.Combine("tests", "Serverless.Aws.Tests", "Signing", "botocore_sigv4.py");

    public static BotocoreSignature Sign(BotocoreRequest request)
    {
        var headers = new JsonObject();
        foreach (var (name, value) in request.Headers)
            headers[name] = value;
        var spec = new JsonObject
        {
            ["method"] = request.Method,
            ["url"] = request.Url,
            ["headers"] = headers,
            ["body_base64"] = Convert.ToBase64String(request.Body),
            ["access_key"] = request.AccessKey,
            ["secret_key"] = request.SecretKey,
            ["token"] = request.SessionToken,
            ["region"] = request.Region,
            ["service"] = request.Service,
            ["timestamp"] = request.SignedAt.ToUniversalTime().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture),
            ["sign_content_sha256"] = request.SignContentSha256,
        };
        var (exitCode, stdout, stderr) = RepoPaths.Run("python3", [Script, spec.ToJsonString()], timeout: TimeSpan.FromMinutes(2));
        Assert.True(exitCode == 0, $"botocore_sigv4.py failed ({exitCode}):\n{stdout}\n{stderr}");
        using var result = JsonDocument.Parse(stdout);
        var root = result.RootElement;
        return new BotocoreSignature(
            root.GetProperty("canonical_request").GetString()!,
            root.GetProperty("string_to_sign").GetString()!,
            root.GetProperty("signature").GetString()!,
            root.GetProperty("authorization").GetString()!);
    }
}
