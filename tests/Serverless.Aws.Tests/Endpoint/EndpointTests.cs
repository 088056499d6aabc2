using Serverless.Testing;
using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.Runtime.Endpoints;
using Serverless.Aws.AutoScaling;
using Serverless.Aws.Core;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Tests.Infrastructure;
using Serverless.Aws.Tests.Signing;

namespace Serverless.Aws.Tests.Endpoint;

/// <summary>
/// Where requests go: <c>AWS_ENDPOINT_URL</c>, <c>AWS_ENDPOINT_URL_&lt;SERVICE_ID&gt;</c>, an explicit ServiceUrl, or
/// the public regional endpoint; and which region the signature names. These tests change process environment
/// variables, so they live in the moto collection (run one at a time) and restore the variables afterwards.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class EndpointTests(MotoFixture fixture) : MotoTest(fixture)
{
    private const string Global = "AWS_ENDPOINT_URL";
    private const string Elbv2 = "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2";
    private const string AutoScaling = "AWS_ENDPOINT_URL_AUTO_SCALING";

    [Fact]
    public async Task AWS_ENDPOINT_URL_alone_routes_ELBv2_to_moto()
    {
        using var environment = new EndpointEnvironment { [Global] = Moto.Endpoint };
        var capture = new CapturingHandler();
        using var elb = new ElasticLoadBalancingV2Client(EnvironmentRouted("us-east-1", capture));

        await elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest());

        Assert.Equal(new Uri(Moto.Endpoint).Authority, Assert.Single(capture.Requests).Uri.Authority);
    }

    [Fact]
    public async Task AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2_takes_precedence_over_AWS_ENDPOINT_URL()
    {
        using var environment = new EndpointEnvironment { [Global] = DeadEndpoint(), [Elbv2] = Moto.Endpoint };
        var capture = new CapturingHandler();
        using var elb = new ElasticLoadBalancingV2Client(EnvironmentRouted("us-east-1", capture));

        await elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest());

        Assert.Equal(new Uri(Moto.Endpoint).Authority, Assert.Single(capture.Requests).Uri.Authority);
    }

    [Fact]
    public async Task An_explicit_ServiceUrl_wins_over_both_endpoint_environment_variables()
    {
        using var environment = new EndpointEnvironment { [Global] = DeadEndpoint(), [Elbv2] = DeadEndpoint() };
        var capture = new CapturingHandler();
        using var elb = new ElasticLoadBalancingV2Client(Moto.ClientOptions() with { MaxErrorRetry = 0, HttpHandlerWrapper = capture.Wrap });

        await elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest());

        Assert.Equal(new Uri(Moto.Endpoint).Authority, Assert.Single(capture.Requests).Uri.Authority);
    }

    [Fact]
    public void The_Auto_Scaling_variable_routes_Auto_Scaling_only()
    {
        using var environment = new EndpointEnvironment { [Global] = "http://global.test:1", [AutoScaling] = "http://autoscaling.test:2" };

        Assert.Equal("http://autoscaling.test:2/", ResolvedEndpoint(AutoScalingClient.Descriptor, "us-east-1"));
        Assert.Equal("http://global.test:1/", ResolvedEndpoint(ElasticLoadBalancingV2Client.Descriptor, "us-east-1"));
    }

    [Fact]
    public async Task A_request_sent_to_moto_through_ServiceUrl_is_signed_for_the_configured_region()
    {
        var capture = new CapturingHandler();
        using var elb = new ElasticLoadBalancingV2Client(Moto.ClientOptions() with { Region = "us-west-2", HttpHandlerWrapper = capture.Wrap });

        await elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest());

        Assert.EndsWith("/us-west-2/elasticloadbalancing/aws4_request", Assert.Single(capture.Requests).CredentialScope, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_routed_by_AWS_ENDPOINT_URL_signs_for_its_configured_region_so_moto_files_its_resources_there()
    {
        using var environment = new EndpointEnvironment { [Global] = Moto.Endpoint };
        var capture = new CapturingHandler();
        using var elb = new ElasticLoadBalancingV2Client(EnvironmentRouted("us-west-2", capture));

        var created = await elb.CreateTargetGroupAsync(new CreateTargetGroupRequest { Name = "regional", TargetType = "lambda" });

        Assert.EndsWith("/us-west-2/elasticloadbalancing/aws4_request", Assert.Single(capture.Requests).CredentialScope, StringComparison.Ordinal);
        Assert.StartsWith("arn:aws:elasticloadbalancing:us-west-2:", Assert.Single(created.TargetGroups ?? []).TargetGroupArn, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("eu-west-1", "https://elasticloadbalancing.eu-west-1.amazonaws.com/")]
    [InlineData("us-west-2", "https://elasticloadbalancing.us-west-2.amazonaws.com/")]
    [InlineData("cn-north-1", "https://elasticloadbalancing.cn-north-1.amazonaws.com.cn/")]
    public void Without_an_override_ELBv2_resolves_the_public_regional_endpoint(string region, string expected)
    {
        using var environment = new EndpointEnvironment();

        Assert.Equal(expected, ResolvedEndpoint(ElasticLoadBalancingV2Client.Descriptor, region));
    }

    [Theory]
    [InlineData("eu-west-1", "https://autoscaling.eu-west-1.amazonaws.com/")]
    [InlineData("us-west-2", "https://autoscaling.us-west-2.amazonaws.com/")]
    [InlineData("cn-north-1", "https://autoscaling.cn-north-1.amazonaws.com.cn/")]
    public void Without_an_override_Auto_Scaling_resolves_the_public_regional_endpoint(string region, string expected)
    {
        using var environment = new EndpointEnvironment();

        Assert.Equal(expected, ResolvedEndpoint(AutoScalingClient.Descriptor, region));
    }

    [Fact]
    public async Task Without_an_override_an_ELBv2_request_goes_to_the_regional_endpoint_signed_for_that_region()
    {
        using var environment = new EndpointEnvironment();
        // The canned answer keeps the request in the process: nothing is sent to AWS.
        var capture = new CapturingHandler(
            "<DescribeLoadBalancersResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\">"
            + "<DescribeLoadBalancersResult><LoadBalancers/></DescribeLoadBalancersResult></DescribeLoadBalancersResponse>");
        using var elb = new ElasticLoadBalancingV2Client(EnvironmentRouted("eu-west-1", capture));

        await elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest());

        var sent = Assert.Single(capture.Requests);
        Assert.Equal("https://elasticloadbalancing.eu-west-1.amazonaws.com/", sent.Uri.ToString());
        Assert.EndsWith("/eu-west-1/elasticloadbalancing/aws4_request", sent.CredentialScope, StringComparison.Ordinal);
    }

    /// <summary>Options with no ServiceUrl (so the SDK's resolution applies), dummy credentials and no retries.</summary>
    private AwsClientOptions EnvironmentRouted(string region, CapturingHandler capture) =>
        Moto.ClientOptions() with { ServiceUrl = null, Region = region, MaxErrorRetry = 0, HttpHandlerWrapper = capture.Wrap };

    private static string ResolvedEndpoint(QueryServiceDescriptor service, string region)
    {
        var config = new QueryClientConfig(service, new AwsClientOptions
        {
            Region = region,
            Credentials = new BasicAWSCredentials("testing", "testing"),
            RateLimits = ApiRateLimits.None,
        });
        var endpoint = config.DetermineServiceOperationEndpoint(new ServiceOperationEndpointParameters(new DescribeLoadBalancersRequest()));
        return new Uri(endpoint.URL).AbsoluteUri;
    }

    /// <summary>A loopback URL nothing listens on: a request sent there fails at once.</summary>
    private static string DeadEndpoint()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
    }
}
