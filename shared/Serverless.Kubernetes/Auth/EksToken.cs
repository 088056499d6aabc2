using System.Globalization;
using System.Text;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.Runtime.Internal.Auth;
using Amazon.Runtime.Internal.Util;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Amazon.Util;

namespace Serverless.Kubernetes.Auth;

/// <summary>
/// The EKS bearer token, as <c>aws eks get-token</c> and aws-iam-authenticator make it: a SigV4 query-presigned STS
/// <c>GetCallerIdentity</c> GET URL on the regional endpoint, with the header <c>x-k8s-aws-id: &lt;cluster&gt;</c>
/// signed in and <c>X-Amz-Expires=60</c>, then <c>k8s-aws-v1.</c> + base64url(URL) without padding. EKS accepts it
/// for 15 minutes after signing.
/// </summary>
public static class EksToken
{
    /// <summary>The token prefix.</summary>
    public const string Prefix = "k8s-aws-v1.";

    /// <summary>The header naming the cluster, signed into the URL.</summary>
    public const string ClusterIdHeader = "x-k8s-aws-id";

    /// <summary><c>X-Amz-Expires</c> of the presigned URL, in seconds (what the tools use).</summary>
    public const int UrlExpirySeconds = 60;

    /// <summary>How long EKS accepts a token after signing.</summary>
    public static readonly TimeSpan Validity = TimeSpan.FromMinutes(15);

    /// <summary>The token for <paramref name="clusterName"/> signed with <paramref name="credentials"/> at <paramref name="signedAt"/>.</summary>
    public static string Create(string clusterName, string region, ImmutableCredentials credentials, DateTime signedAt) =>
        Encode(PresignedUrl(clusterName, region, credentials, signedAt));

    /// <summary><c>k8s-aws-v1.</c> + base64url(<paramref name="url"/>) without padding.</summary>
    public static string Encode(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return Prefix + Convert.ToBase64String(Encoding.UTF8.GetBytes(url)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>The STS endpoint of <paramref name="region"/> (regional, as the tools use).</summary>
    public static Uri StsEndpoint(string region)
    {
        ArgumentException.ThrowIfNullOrEmpty(region);
        var suffix = region.StartsWith("cn-", StringComparison.Ordinal) ? "amazonaws.com.cn" : "amazonaws.com";
        return new Uri($"https://sts.{region}.{suffix}/");
    }

    /// <summary>
    /// The presigned URL. The signature comes from the SDK's <see cref="AWS4PreSignedUrlSigner"/>; the query is
    /// written in botocore's order (operation parameters, then the <c>X-Amz-*</c> parameters, then the signature), so
    /// the token is byte for byte the one <c>aws eks get-token</c> makes for the same time and credentials.
    /// </summary>
    public static string PresignedUrl(string clusterName, string region, ImmutableCredentials credentials, DateTime signedAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(clusterName);
        ArgumentNullException.ThrowIfNull(credentials);
        var endpoint = StsEndpoint(region);
        var request = new DefaultRequest(new GetCallerIdentityRequest(), "SecurityTokenService")
        {
            HttpMethod = "GET",
            Endpoint = endpoint,
            ResourcePath = "/",
        };
        var operation = new List<KeyValuePair<string, string>>
        {
            new("Action", "GetCallerIdentity"),
            new("Version", "2011-06-15"),
        };
        foreach (var (key, value) in operation)
            request.Parameters[key] = value;
        request.Parameters["X-Amz-Expires"] = UrlExpirySeconds.ToString(CultureInfo.InvariantCulture);
        if (credentials.UseToken)
            request.Parameters["X-Amz-Security-Token"] = credentials.Token;
        request.Headers[ClusterIdHeader] = clusterName;

        var config = new AmazonSecurityTokenServiceConfig { AuthenticationRegion = region, ServiceURL = endpoint.ToString() };
        var result = AWS4PreSignedUrlSigner.SignRequest(
            request, config, new RequestMetrics(), credentials.AccessKey, credentials.SecretKey, "sts", region, signedAt.ToUniversalTime());

        var query = new List<KeyValuePair<string, string>>(operation)
        {
            new("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            new("X-Amz-Credential", $"{credentials.AccessKey}/{result.Scope}"),
            new("X-Amz-Date", result.ISO8601DateTime),
            new("X-Amz-Expires", UrlExpirySeconds.ToString(CultureInfo.InvariantCulture)),
            new("X-Amz-SignedHeaders", result.SignedHeaders),
        };
        if (credentials.UseToken)
            query.Add(new("X-Amz-Security-Token", credentials.Token));
        query.Add(new("X-Amz-Signature", result.Signature));
        var text = string.Join('&', query.Select(static p => AWSSDKUtils.UrlEncode(p.Key, false) + "=" + AWSSDKUtils.UrlEncode(p.Value, false)));
        return endpoint + "?" + text;
    }
}
