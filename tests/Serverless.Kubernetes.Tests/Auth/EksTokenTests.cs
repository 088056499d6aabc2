using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Serverless.Kubernetes.Auth;
using Serverless.Testing;

namespace Serverless.Kubernetes.Tests.Auth;

/// <summary>
/// The EKS bearer token against the one botocore makes the way <c>aws eks get-token</c> does (<c>eks_token.py</c>),
/// computed live for the same time and credentials.
/// </summary>
public sealed class EksTokenTests
{
    private static readonly string Script = RepoPaths.Combine("tests", "Serverless.Kubernetes.Tests", "Auth", "eks_token.py");

    [Theory]
    [InlineData("us-west-2", "demo-cluster", null)]
    [InlineData("us-west-2", "prod", "FwoGZXIvYXdzEXAMPLE//////////token+with/slashes=")]
    [InlineData("us-east-1", "a.b_c-d", "IQoJb3JpZ2luX2VjEXAMPLE")]
    [InlineData("eu-central-1", "x", null)]
    public void The_token_equals_the_one_botocore_makes_like_aws_eks_get_token(string region, string cluster, string? sessionToken)
    {
        const string accessKey = "AKIAIOSFODNN7EXAMPLE";
        const string secretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        var signedAt = new DateTime(2024, 2, 29, 23, 59, 58, DateTimeKind.Utc);
        var credentials = new ImmutableCredentials(accessKey, secretKey, sessionToken);

        var (url, token) = Botocore(cluster, region, accessKey, secretKey, sessionToken, signedAt);

        Assert.Equal(url, EksToken.PresignedUrl(cluster, region, credentials, signedAt));
        Assert.Equal(token, EksToken.Create(cluster, region, credentials, signedAt));
        Assert.StartsWith("k8s-aws-v1.", token, StringComparison.Ordinal);
        Assert.DoesNotContain('=', token);
        Assert.Contains("X-Amz-Expires=60", url, StringComparison.Ordinal);
        Assert.Contains("X-Amz-SignedHeaders=host%3Bx-k8s-aws-id", url, StringComparison.Ordinal);
    }

    [Fact]
    public void Base64url_without_padding_decodes_back_to_the_url()
    {
        var url = EksToken.PresignedUrl("c", "us-west-2", new ImmutableCredentials("AKID", "secret", null), new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var body = EksToken.Create("c", "us-west-2", new ImmutableCredentials("AKID", "secret", null), new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc))["k8s-aws-v1.".Length..];
        var padded = body.Replace('-', '+').Replace('_', '/') + new string('=', (4 - (body.Length % 4)) % 4);
        Assert.Equal(url, Encoding.UTF8.GetString(Convert.FromBase64String(padded)));
    }

    [Fact]
    public async Task The_provider_reuses_a_token_until_14_minutes_then_makes_a_new_one_signed_at_the_new_time()
    {
        var time = new ManualTime(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var provider = new EksTokenProvider("demo", "us-west-2", new BasicAWSCredentials("AKID", "secret"), time);

        var first = await provider.GetTokenAsync();
        time.Advance(TimeSpan.FromMinutes(13) + TimeSpan.FromSeconds(59));
        Assert.Equal(first, await provider.GetTokenAsync());
        Assert.Equal(1, provider.TokensMade);

        time.Advance(TimeSpan.FromSeconds(1));
        var second = await provider.GetTokenAsync();
        Assert.NotEqual(first, second);
        Assert.Equal(2, provider.TokensMade);
        Assert.Equal(EksToken.Create("demo", "us-west-2", new ImmutableCredentials("AKID", "secret", null), time.GetUtcNow().UtcDateTime), second);
        var header = await provider.GetAuthenticationHeaderAsync(CancellationToken.None);
        Assert.Equal("Bearer", header.Scheme);
        Assert.Equal(second, header.Parameter);
    }

    private static (string Url, string Token) Botocore(string cluster, string region, string accessKey, string secretKey, string? token, DateTime signedAt)
    {
        var spec = new JsonObject
        {
            ["cluster"] = cluster,
            ["region"] = region,
            ["access_key"] = accessKey,
            ["secret_key"] = secretKey,
            ["token"] = token,
            ["timestamp"] = signedAt.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture),
        };
        var (exitCode, stdout, stderr) = RepoPaths.Run("python3", [Script, spec.ToJsonString()], timeout: TimeSpan.FromMinutes(2));
        Assert.True(exitCode == 0, $"eks_token.py failed ({exitCode}):\n{stdout}\n{stderr}");
        using var result = JsonDocument.Parse(stdout);
        return (result.RootElement.GetProperty("url").GetString()!, result.RootElement.GetProperty("token").GetString()!);
    }
}

/// <summary>A clock the test moves.</summary>
internal sealed class ManualTime(DateTimeOffset now) : TimeProvider
{
    private DateTimeOffset _now = now;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
