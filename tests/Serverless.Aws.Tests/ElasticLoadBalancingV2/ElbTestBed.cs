using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Web;
using Amazon.EC2;
using Amazon.Runtime;
using Serverless.Aws.Core;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Tests.Infrastructure;
using Serverless.Testing;
using Action = Serverless.Aws.ElasticLoadBalancingV2.Model.Action;
using Ec2Model = Amazon.EC2.Model;

namespace Serverless.Aws.Tests.ElasticLoadBalancingV2;

/// <summary>
/// Everything an ELBv2 round-trip test needs against moto: the sandbox VPC (two subnets in two AZs, a security
/// group), our ELBv2 client, the SDK's EC2 client for instances, and builders for the usual resources.
/// </summary>
internal sealed class ElbTestBed : IDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private static string? _amazonImageId;

    private ElbTestBed(MotoServer moto, AwsSandbox sandbox, AwsClientOptions options)
    {
        Moto = moto;
        Sandbox = sandbox;
        Elb = new ElasticLoadBalancingV2Client(options);
        Ec2 = new AmazonEC2Client(
            new BasicAWSCredentials("testing", "testing"),
            new AmazonEC2Config { ServiceURL = moto.Endpoint, AuthenticationRegion = "us-east-1" });
    }

    public MotoServer Moto { get; }

    public AwsSandbox Sandbox { get; }

    /// <summary>Our ELBv2 client, under test.</summary>
    public ElasticLoadBalancingV2Client Elb { get; }

    /// <summary>The plain SDK's EC2 client (instances, subnets, security groups).</summary>
    public AmazonEC2Client Ec2 { get; }

    public string VpcId => Sandbox.VpcId;

    /// <summary>
    /// The sandbox plus an internet gateway on its VPC: AWS refuses an internet-facing load balancer in a VPC without
    /// one (moto does not check), so the tests build what AWS would accept.
    /// </summary>
    public static async Task<ElbTestBed> CreateAsync(MotoServer moto, AwsClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(moto);
        var sandbox = await AwsSandbox.CreateAsync(moto);
        var bed = new ElbTestBed(moto, sandbox, options ?? moto.ClientOptions());
        var gateway = (await bed.Ec2.CreateInternetGatewayAsync(new Ec2Model.CreateInternetGatewayRequest())).InternetGateway.InternetGatewayId;
        await bed.Ec2.AttachInternetGatewayAsync(new Ec2Model.AttachInternetGatewayRequest { InternetGatewayId = gateway, VpcId = sandbox.VpcId });
        return bed;
    }

    /// <summary>An internet-facing ALB over both sandbox subnets with the sandbox security group.</summary>
    public async Task<LoadBalancer> CreateAlbAsync(string name, List<Tag>? tags = null)
    {
        var response = await Elb.CreateLoadBalancerAsync(new CreateLoadBalancerRequest
        {
            Name = name,
            Type = LoadBalancerTypeEnumValues.Application,
            Scheme = LoadBalancerSchemeEnumValues.InternetFacing,
            Subnets = [.. Sandbox.SubnetIds],
            SecurityGroups = [Sandbox.SecurityGroupId],
            Tags = tags,
        });
        return Assert.Single(response.LoadBalancers!);
    }

    /// <summary>An HTTP target group in the sandbox VPC.</summary>
    public async Task<TargetGroup> CreateTargetGroupAsync(
        string name,
        int port = 80,
        string protocol = ProtocolEnumValues.HTTP,
        string targetType = TargetTypeEnumValues.Instance,
        List<Tag>? tags = null)
    {
        var response = await Elb.CreateTargetGroupAsync(new CreateTargetGroupRequest
        {
            Name = name,
            Protocol = protocol,
            Port = port,
            VpcId = VpcId,
            TargetType = targetType,
            Tags = tags,
        });
        return Assert.Single(response.TargetGroups!);
    }

    /// <summary>An HTTP listener whose default action is <paramref name="defaultAction"/> (default: fixed 404).</summary>
    public async Task<Listener> CreateHttpListenerAsync(string loadBalancerArn, int port = 80, Action? defaultAction = null)
    {
        var response = await Elb.CreateListenerAsync(new CreateListenerRequest
        {
            LoadBalancerArn = loadBalancerArn,
            Protocol = ProtocolEnumValues.HTTP,
            Port = port,
            DefaultActions = [defaultAction ?? FixedResponse("404")],
        });
        return Assert.Single(response.Listeners!);
    }

    /// <summary>A rule matching one path, forwarding to <paramref name="targetGroupArn"/>.</summary>
    public async Task<Rule> CreatePathRuleAsync(string listenerArn, int priority, string path, string targetGroupArn)
    {
        var response = await Elb.CreateRuleAsync(new CreateRuleRequest
        {
            ListenerArn = listenerArn,
            Priority = priority,
            Conditions = [PathCondition(path)],
            Actions = [Forward(targetGroupArn)],
        });
        return Assert.Single(response.Rules!);
    }

    /// <summary>
    /// Imports a fresh self-signed certificate for <paramref name="domainName"/> into moto's ACM and returns its ARN
    /// (listeners check that ACM ARNs exist). Imported, because a requested certificate would stay
    /// PENDING_VALIDATION on AWS and could not serve a listener. AWSSDK.CertificateManager is not in the package
    /// mirror, so this is one JSON-protocol call; moto routes on the credential scope and ignores the signature.
    /// </summary>
    public async Task<string> ImportCertificateAsync(string domainName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest($"CN={domainName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(domainName);
        csr.CertificateExtensions.Add(names.Build());
        using var certificate = csr.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var body = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["Certificate"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(certificate.ExportCertificatePem())),
            ["PrivateKey"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem())),
        });

        using var request = new HttpRequestMessage(HttpMethod.Post, Moto.Endpoint + "/");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "CertificateManager.ImportCertificate");
        request.Headers.TryAddWithoutValidation(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/acm/aws4_request, SignedHeaders=host, Signature=0");
        request.Content = new StringContent(body, Encoding.UTF8, "application/x-amz-json-1.1");
        using var response = await Http.SendAsync(request);
        var answer = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, answer);
        using var json = JsonDocument.Parse(answer);
        return json.RootElement.GetProperty("CertificateArn").GetString()!;
    }

    /// <summary>Runs <paramref name="count"/> instances in the first sandbox subnet (running at once in moto).</summary>
    public async Task<List<string>> RunInstancesAsync(int count)
    {
        if (_amazonImageId is null)
        {
            var images = await Ec2.DescribeImagesAsync(new Ec2Model.DescribeImagesRequest { Owners = ["amazon"] });
            _amazonImageId = images.Images[0].ImageId;
        }
        var response = await Ec2.RunInstancesAsync(new Ec2Model.RunInstancesRequest
        {
            ImageId = _amazonImageId,
            InstanceType = InstanceType.T3Micro,
            MinCount = count,
            MaxCount = count,
            SubnetId = Sandbox.SubnetIds[0],
        });
        return [.. response.Reservation.Instances.Select(static i => i.InstanceId)];
    }

    public static Action FixedResponse(string statusCode, string? body = null) => new()
    {
        Type = ActionTypeEnumValues.FixedResponse,
        FixedResponseConfig = new FixedResponseActionConfig { StatusCode = statusCode, ContentType = "text/plain", MessageBody = body },
    };

    public static Action Forward(string targetGroupArn) => new()
    {
        Type = ActionTypeEnumValues.Forward,
        TargetGroupArn = targetGroupArn,
    };

    public static RuleCondition PathCondition(params string[] paths) => new()
    {
        Field = "path-pattern",
        PathPatternConfig = new PathPatternConditionConfig { Values = [.. paths] },
    };

    public static List<Tag> Tags(params (string Key, string Value)[] tags) =>
        [.. tags.Select(static t => new Tag { Key = t.Key, Value = t.Value })];

    public static Dictionary<string, string> TagMap(IEnumerable<Tag>? tags) =>
        (tags ?? []).ToDictionary(static t => t.Key!, static t => t.Value ?? string.Empty, StringComparer.Ordinal);

    public void Dispose()
    {
        Elb.Dispose();
        Ec2.Dispose();
    }
}

/// <summary>Assertions shared by the ELBv2 tests.</summary>
internal static class ElbAssert
{
    /// <summary>
    /// <paramref name="error"/> is the typed error <paramref name="code"/>: the <c>IsXxx</c> helper is true, the code,
    /// HTTP 400 and a request id came through, and no other helper claims it.
    /// </summary>
    public static void IsTypedError(ElasticLoadBalancingV2Exception error, string code, Func<ElasticLoadBalancingV2Exception, bool> helper)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(helper);
        Assert.Equal(code, error.ErrorCode);
        Assert.True(helper(error), $"the IsXxx helper for {code} is false for {error.ErrorCode}");
        Assert.True(error.Is(code));
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal(ErrorType.Sender, error.ErrorType);
        Assert.False(string.IsNullOrEmpty(error.RequestId), "no request id");
        Assert.False(string.IsNullOrEmpty(error.Message), "no message");
    }
}

/// <summary>
/// A handler under the client that records the form parameters of every request and either sends the request on
/// or answers with a canned response (status and body), so tests can check the exact wire format and feed AWS
/// error bodies that moto never produces.
/// </summary>
internal sealed class CapturingHandler : DelegatingHandler
{
    private readonly ConcurrentQueue<Dictionary<string, string>> _requests = new();
    private readonly Func<string, HttpResponseMessage?> _answer;

    /// <summary>A handler over <paramref name="inner"/>; <paramref name="answer"/> returns a canned response for an operation, or null to send it on.</summary>
    public CapturingHandler(HttpMessageHandler inner, Func<string, HttpResponseMessage?>? answer = null)
        : base(inner)
    {
        _answer = answer ?? (static _ => null);
    }

    /// <summary>The form parameters of every request seen, in order.</summary>
    public IReadOnlyList<Dictionary<string, string>> Requests => [.. _requests];

    /// <summary>The form of the last request of <paramref name="action"/>.</summary>
    public Dictionary<string, string> Last(string action) =>
        Requests.Last(r => r.TryGetValue("Action", out var a) && a == action);

    /// <summary>A successful response with <paramref name="xml"/> as its body, as AWS sends it.</summary>
    public static HttpResponseMessage AwsResponse(string xml, string requestId)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(xml, Encoding.UTF8, "text/xml") };
        response.Headers.TryAddWithoutValidation("x-amzn-RequestId", requestId);
        return response;
    }

    /// <summary>An AWS Query-protocol error response exactly as ELBv2 writes it.</summary>
    public static HttpResponseMessage AwsError(string code, string message, string requestId, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        var body =
            "<ErrorResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\">\n" +
            "  <Error>\n" +
            $"    <Type>{((int)status >= 500 ? "Receiver" : "Sender")}</Type>\n" +
            $"    <Code>{code}</Code>\n" +
            $"    <Message>{System.Security.SecurityElement.Escape(message)}</Message>\n" +
            "  </Error>\n" +
            $"  <RequestId>{requestId}</RequestId>\n" +
            "</ErrorResponse>\n";
        var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "text/xml") };
        response.Headers.TryAddWithoutValidation("x-amzn-RequestId", requestId);
        return response;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var form = new Dictionary<string, string>(StringComparer.Ordinal);
        if (request.Content is not null)
        {
            var bytes = await request.Content.ReadAsByteArrayAsync(cancellationToken);
            var replacement = new ByteArrayContent(bytes);
            foreach (var header in request.Content.Headers)
                replacement.Headers.TryAddWithoutValidation(header.Key, header.Value);
            request.Content = replacement;
            var parsed = HttpUtility.ParseQueryString(Encoding.UTF8.GetString(bytes));
            foreach (var key in parsed.AllKeys)
            {
                if (key is not null)
                    form[key] = parsed[key] ?? string.Empty;
            }
        }
        _requests.Enqueue(form);
        var action = form.GetValueOrDefault("Action", "Unknown");
        return _answer(action) ?? await base.SendAsync(request, cancellationToken);
    }
}
