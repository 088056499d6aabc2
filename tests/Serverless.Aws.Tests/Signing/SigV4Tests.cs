using System.Text;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.Runtime.Internal.Auth;
using Amazon.Runtime.Internal.Util;
using Amazon.Util;
using Serverless.Aws.Core;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;

namespace Serverless.Aws.Tests.Signing;

/// <summary>
/// Our requests are signed by the SDK's <see cref="AWS4Signer"/>. These tests check its output against botocore's
/// <c>SigV4Auth</c>, computed live by <c>botocore_sigv4.py</c>, instead of against signatures copied from somewhere.
/// </summary>
public sealed class SigV4Tests
{
    // The credentials, scope and time of the AWS SigV4 test suite (aws-sig-v4-test-suite, "get-vanilla").
    private const string SuiteAccessKey = "AKIDEXAMPLE";
    private const string SuiteSecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private static readonly DateTime SuiteTime = new(2015, 8, 30, 12, 36, 0, DateTimeKind.Utc);

    private static readonly QueryServiceDescriptor ExampleService = new(
        ServiceId: "Example",
        ShortName: "Example",
        ApiVersion: "2015-08-30",
        EndpointPrefix: "service",
        CreateException: static error => new AmazonServiceException(error.Message));

    [Fact]
    public void The_get_vanilla_test_vector_signed_by_AWS4Signer_equals_botocores_signature()
    {
        // get-vanilla.creq of the test suite: GET / on example.amazonaws.com, headers host and x-amz-date, empty body.
        var canonicalRequest = string.Join(
            '\n',
            "GET",
            "/",
            string.Empty,
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            string.Empty,
            "host;x-amz-date",
            AWS4Signer.EmptyBodySha256);

        var botocore = Botocore.Sign(new BotocoreRequest("GET", "https://example.amazonaws.com/", SuiteAccessKey, SuiteSecretKey, "us-east-1", "service", SuiteTime));
        var sdk = AWS4Signer.ComputeSignature(SuiteAccessKey, SuiteSecretKey, "us-east-1", SuiteTime, "service", "host;x-amz-date", canonicalRequest);

        Assert.Equal(canonicalRequest, botocore.CanonicalRequest);
        Assert.Equal(botocore.Signature, sdk.Signature);
        Assert.Equal(botocore.Authorization, sdk.ForAuthorizationHeader);
    }

    [Fact]
    public void AWS4Signer_signing_the_get_vanilla_request_itself_equals_botocore_signing_the_same_header_set()
    {
        var request = new DefaultRequest(new DescribeLoadBalancersRequest(), ExampleService.ServiceId)
        {
            HttpMethod = "GET",
            Endpoint = new Uri("https://example.amazonaws.com"),
            ResourcePath = "/",
        };
        var config = new QueryClientConfig(ExampleService, new AwsClientOptions
        {
            Region = "us-east-1",
            ServiceUrl = "https://example.amazonaws.com",
            Credentials = new BasicAWSCredentials(SuiteAccessKey, SuiteSecretKey),
            RateLimits = ApiRateLimits.None,
        });

        var sdk = new AWS4Signer().SignRequest(request, config, new RequestMetrics(), SuiteAccessKey, SuiteSecretKey, SuiteTime);
        var botocore = Botocore.Sign(new BotocoreRequest("GET", "https://example.amazonaws.com/", SuiteAccessKey, SuiteSecretKey, "us-east-1", "service", SuiteTime)
        {
            SignContentSha256 = true,
        });

        // The SDK signs x-amz-content-sha256 on every request, so its header set is the vector's plus that one.
        Assert.Equal("host;x-amz-content-sha256;x-amz-date", sdk.SignedHeaders);
        Assert.Equal(AWS4Signer.EmptyBodySha256, request.Headers["X-Amz-Content-SHA256"]);
        Assert.Equal(botocore.Authorization, sdk.ForAuthorizationHeader);
    }

    [Fact]
    public void An_ELBv2_Query_POST_with_a_session_token_signed_by_AWS4Signer_equals_botocores_signature()
    {
        const string accessKey = "ASIAEXAMPLEEXAMPLE01";
        const string secretKey = "secret/with+special=characters";
        const string token = "FwoGZXIvYXdzEXAMPLE//////////token+with/slashes=";
        var signedAt = new DateTime(2024, 2, 29, 23, 59, 58, DateTimeKind.Utc);
        var endpoint = "https://elasticloadbalancing.us-west-2.amazonaws.com";
        // What our Query marshaller and the SDK's Marshaller and Signer handlers put on the request before signing.
        var request = new DefaultRequest(new DescribeLoadBalancersRequest(), ElasticLoadBalancingV2Client.Descriptor.ServiceId)
        {
            HttpMethod = "POST",
            Endpoint = new Uri(endpoint),
            ResourcePath = "/",
        };
        request.Parameters.Add("Action", "DescribeLoadBalancers");
        request.Parameters.Add("Version", "2015-12-01");
        request.Parameters.Add("Names.member.1", "a");
        request.Headers["Content-Type"] = AWSSDKUtils.UrlEncodedContent;
        request.Headers["x-amz-security-token"] = token;
        var config = new QueryClientConfig(ElasticLoadBalancingV2Client.Descriptor, new AwsClientOptions
        {
            Region = "us-west-2",
            ServiceUrl = endpoint,
            Credentials = new SessionAWSCredentials(accessKey, secretKey, token),
            RateLimits = ApiRateLimits.None,
        });
        var body = AWSSDKUtils.GetRequestPayloadBytes(request);

        var sdk = new AWS4Signer().SignRequest(request, config, new RequestMetrics(), accessKey, secretKey, signedAt);
        var botocore = Botocore.Sign(new BotocoreRequest("POST", endpoint + "/", accessKey, secretKey, "us-west-2", "elasticloadbalancing", signedAt)
        {
            Headers = new Dictionary<string, string> { ["Content-Type"] = AWSSDKUtils.UrlEncodedContent },
            Body = body,
            SessionToken = token,
            SignContentSha256 = true,
        });

        Assert.Equal("Action=DescribeLoadBalancers&Names.member.1=a&Version=2015-12-01", Encoding.UTF8.GetString(body));
        Assert.Equal("20240229/us-west-2/elasticloadbalancing/aws4_request", sdk.Scope);
        Assert.Equal("content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token", sdk.SignedHeaders);
        Assert.Equal(botocore.Authorization, sdk.ForAuthorizationHeader);
    }

    [Fact]
    public async Task The_Authorization_header_our_ELBv2_client_puts_on_the_wire_is_the_one_botocore_computes_for_that_request()
    {
        const string accessKey = "ASIAEXAMPLEEXAMPLE02";
        const string secretKey = "wire/secret+key";
        const string token = "session/token+value==";
        var capture = new CapturingHandler(
            "<DescribeLoadBalancersResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\">"
            + "<DescribeLoadBalancersResult><LoadBalancers/></DescribeLoadBalancersResult>"
            + "<ResponseMetadata><RequestId>canned</RequestId></ResponseMetadata></DescribeLoadBalancersResponse>");
        using var elb = new ElasticLoadBalancingV2Client(new AwsClientOptions
        {
            Region = "us-west-2",
            // Explicit, so AWS_ENDPOINT_URL* set by tests running in parallel cannot redirect this client.
            ServiceUrl = "https://elasticloadbalancing.us-west-2.amazonaws.com",
            Credentials = new SessionAWSCredentials(accessKey, secretKey, token),
            RateLimits = ApiRateLimits.None,
            HttpHandlerWrapper = capture.Wrap,
        });

        await elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { Names = ["a"] });

        var sent = Assert.Single(capture.Requests);
        var signedAt = DateTime.ParseExact(sent.Header("X-Amz-Date"), "yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);
        // Hand botocore what a verifier would: the headers named as signed, except those botocore derives itself
        // (host from the URL, the date from the clock, the token from the credentials, the body hash from the body).
        var derived = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "host", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256" };
        var headers = sent.SignedHeaders.Where(h => !derived.Contains(h)).ToDictionary(h => h, sent.Header);
        var botocore = Botocore.Sign(new BotocoreRequest(sent.Method, sent.Uri.ToString(), accessKey, secretKey, "us-west-2", "elasticloadbalancing", signedAt)
        {
            Headers = headers,
            Body = sent.Body,
            SessionToken = token,
            SignContentSha256 = true,
        });

        Assert.Equal("https://elasticloadbalancing.us-west-2.amazonaws.com/", sent.Uri.ToString());
        Assert.Equal(token, sent.Header("X-Amz-Security-Token"));
        Assert.Contains("Names.member.1=a", Encoding.UTF8.GetString(sent.Body), StringComparison.Ordinal);
        Assert.Equal(botocore.Authorization, sent.Header("Authorization"));
    }
}
