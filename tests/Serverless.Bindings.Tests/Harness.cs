using System.Collections.Concurrent;
using System.Text.Json;
using System.Web;
using Amazon.EC2;
using Ec2 = Amazon.EC2.Model;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Ingress;
using Serverless.Kubernetes.Manifests;
using Serverless.Reconcile;
using Serverless.Testing;
using ElbTag = Serverless.Aws.ElasticLoadBalancingV2.Model.Tag;

namespace Serverless.Bindings.Tests;

[CollectionDefinition(Name)]
public sealed class MotoCollection : ICollectionFixture<MotoFixture>
{
    public const string Name = "moto";
}

/// <summary>Every AWS and Kubernetes request, in the order sent: <c>aws:Operation</c> or <c>k8s:METHOD path body</c>.</summary>
public sealed class CallLog
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyList<string> Entries => [.. _entries];

    public IReadOnlyList<string> Aws => [.. _entries.Where(static e => e.StartsWith("aws:", StringComparison.Ordinal)).Select(static e => e[4..])];

    public void Clear() => _entries.Clear();

    /// <summary>An AWS operation answered with an ELBv2 error (code) instead of reaching moto; null: none.</summary>
    public (string Operation, string Code)? Fail { get; set; }

    public DelegatingHandler Handler(string kind, HttpMessageHandler? inner = null) => inner is null ? new Recorder(this, kind) : new Recorder(this, kind) { InnerHandler = inner };

    private sealed class Recorder(CallLog log, string kind) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = string.Empty;
            if (request.Content is not null)
            {
                await request.Content.LoadIntoBufferAsync(cancellationToken);
                body = await request.Content.ReadAsStringAsync(cancellationToken);
            }
            var operation = HttpUtility.ParseQueryString(body)["Action"] ?? "Unknown";
            log._entries.Enqueue(kind == "aws" ? "aws:" + operation : $"k8s:{request.Method} {request.RequestUri?.AbsolutePath} {body}");
            if (kind == "aws" && log.Fail is { } fail && fail.Operation == operation)
            {
                return CannedResponseHandler.Xml(
                    $"<ErrorResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\"><Error><Type>Sender</Type><Code>{fail.Code}</Code><Message>refused by the test</Message></Error><RequestId>canned</RequestId></ErrorResponse>",
                    System.Net.HttpStatusCode.BadRequest);
            }
            return await base.SendAsync(request, cancellationToken);
        }
    }
}

/// <summary>
/// A moto account for binding tests: a VPC (10.0.0.0/16) with a subnet, three running instances, and target groups
/// created directly (untagged, as made outside Kubernetes): <c>bind-ip</c> (ip, port 8080) and <c>bind-instance</c>
/// (instance, port 80). The deployer's clients log every call in <see cref="Log"/>.
/// </summary>
public abstract class BindingMotoTest : MotoTest, IDisposable
{
    public const string Cluster = "test-cluster";

    /// <summary>The only operations a binding may call.</summary>
    public static readonly string[] AllowedOperations =
    [
        "DescribeTargetGroups", "DescribeTags", "DescribeTargetHealth", "RegisterTargets", "DeregisterTargets", "DescribeVpcs",
        "DescribeInstances", "DescribeSecurityGroups", "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress",
    ];

    /// <summary>The EC2 calls of the <c>spec.networking</c> step.</summary>
    public static readonly string[] NetworkingOperations = ["DescribeInstances", "DescribeSecurityGroups", "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress"];

    private static string? _image;
    private readonly List<IDisposable> _disposables = [];

    protected BindingMotoTest(MotoFixture fixture)
        : base(fixture)
    {
        using var ec2 = Ec2Sdk();
        Arrange = new ElasticLoadBalancingV2Client(Moto.ClientOptions());
        _disposables.Add(Arrange);
        VpcId = ec2.CreateVpcAsync(new Ec2.CreateVpcRequest { CidrBlock = "10.0.0.0/16" }).GetAwaiter().GetResult().Vpc.VpcId;
        var subnet = ec2.CreateSubnetAsync(new Ec2.CreateSubnetRequest { VpcId = VpcId, CidrBlock = "10.0.1.0/24", AvailabilityZone = "us-east-1a" }).GetAwaiter().GetResult().Subnet.SubnetId;
        var image = _image ??= ec2.DescribeImagesAsync(new Ec2.DescribeImagesRequest { Owners = ["amazon"] }).GetAwaiter().GetResult().Images[0].ImageId;
        Instances = [.. ec2.RunInstancesAsync(new Ec2.RunInstancesRequest { ImageId = image, MinCount = 3, MaxCount = 3, InstanceType = InstanceType.T3Micro, SubnetId = subnet })
            .GetAwaiter().GetResult().Reservation.Instances.Select(static i => i.InstanceId).Order(StringComparer.Ordinal)];
        IpGroupArn = CreateGroup("bind-ip", "ip", 8080);
        InstanceGroupArn = CreateGroup("bind-instance", "instance", 80);
        Recorder = new AwsCallRecorder();
        var options = Moto.ClientOptions(Recorder, inner => Log.Handler("aws", inner));
        var elb = new ElasticLoadBalancingV2Client(options);
        var gateway = Ec2Gateway.Create(options);
        _disposables.Add(elb);
        _disposables.Add(gateway);
        Deployer = new BindingDeployer(elb, gateway, Recorder);
    }

    protected ElasticLoadBalancingV2Client Arrange { get; }

    protected string VpcId { get; }

    protected IReadOnlyList<string> Instances { get; }

    protected string IpGroupArn { get; }

    protected string InstanceGroupArn { get; }

    protected CallLog Log { get; } = new();

    protected AwsCallRecorder Recorder { get; }

    protected BindingDeployer Deployer { get; }

    protected ClusterSettings Settings => new() { ClusterName = Cluster, VpcId = VpcId };

    protected string CreateGroup(string name, string type, int port, IReadOnlyDictionary<string, string>? tags = null) =>
        Arrange.CreateTargetGroupAsync(new CreateTargetGroupRequest
        {
            Name = name,
            Protocol = "HTTP",
            Port = port,
            VpcId = VpcId,
            TargetType = type,
            HealthCheckPath = "/healthz",
            Tags = tags is null ? null : [.. tags.Select(static t => new ElbTag { Key = t.Key, Value = t.Value })],
        }).GetAwaiter().GetResult().TargetGroups![0].TargetGroupArn!;

    /// <summary>Everything AWS says about a group except its targets: DescribeTargetGroups, attributes and tags, as JSON.</summary>
    protected async Task<string> GroupSnapshotAsync(string arn)
    {
        var group = (await Arrange.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { TargetGroupArns = [arn] })).TargetGroups;
        var attributes = (await Arrange.DescribeTargetGroupAttributesAsync(new DescribeTargetGroupAttributesRequest { TargetGroupArn = arn })).Attributes;
        var tags = (await Arrange.DescribeTagsAsync(new DescribeTagsRequest { ResourceArns = [arn] })).TagDescriptions;
        return JsonSerializer.Serialize(new object?[] { group, attributes, tags });
    }

    /// <summary>The registered targets (<c>id:port</c>, sorted), draining ones included.</summary>
    protected async Task<IReadOnlyList<string>> TargetsAsync(string arn) =>
        [.. ((await Arrange.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = arn })).TargetHealthDescriptions ?? [])
            .Select(static d => BindingTargets.Key(d.Target!.Id!, d.Target.Port ?? 0)).Order(StringComparer.Ordinal)];

    protected Task RegisterByHandAsync(string arn, string id, int port) =>
        Arrange.RegisterTargetsAsync(new RegisterTargetsRequest { TargetGroupArn = arn, Targets = [new TargetDescription { Id = id, Port = port }] });

    /// <summary>A manifest source over the YAML documents (binding, Service, EndpointSlices, Nodes).</summary>
    protected static ManifestBindingSource Manifests(params string[] documents)
    {
        var set = ManifestLoader.LoadText(string.Join("\n---\n", documents));
        Assert.True(set.IsValid, string.Join("\n", set.Errors));
        return new ManifestBindingSource(set);
    }

    protected BindingReconciler Reconciler(IBindingSource source) => new(source, Settings, Deployer);

    /// <summary>Reconciles and checks that no call outside <see cref="AllowedOperations"/> was made.</summary>
    protected async Task<BindingRun> ReconcileAsync(IBindingSource source, string name = "shop", ReconcileRequest? request = null)
    {
        var run = await Reconciler(source).ReconcileAsync("web", name, request ?? ReconcileRequest.Event);
        Assert.All(Log.Aws, op => Assert.Contains(op, AllowedOperations));
        return run;
    }

    public static string ServiceYaml(string type = "ClusterIP") => $"""
        apiVersion: v1
        kind: Service
        metadata: {"{"}name: shop, namespace: web{"}"}
        spec:
          type: {type}
          ports:
            - {"{"}name: http, port: 80, targetPort: 8080{(type == "ClusterIP" ? "" : ", nodePort: 30080")}{"}"}
        """;

    /// <summary>An EndpointSlice of Service shop: each (address, ready, terminating).</summary>
    public static string SliceYaml(params (string Address, bool Ready, bool Terminating)[] endpoints) =>
        """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: shop-1
          namespace: web
          labels: {kubernetes.io/service-name: shop}
        addressType: IPv4
        ports:
          - {name: http, port: 8080}
        endpoints:
        """ + "\n" + string.Concat(endpoints.Select(static (e, i) =>
            $"  - addresses: [\"{e.Address}\"]\n    conditions: {{ready: {(e.Ready ? "true" : "false")}, terminating: {(e.Terminating ? "true" : "false")}}}\n    targetRef: {{kind: Pod, name: pod-{i}, namespace: web}}\n"));

    public static string NodeYaml(string instanceId, string labels = "{}") => $"""
        apiVersion: v1
        kind: Node
        metadata:
          name: node-{instanceId}
          labels: {labels}
        spec:
          providerID: aws:///us-east-1a/{instanceId}
        status:
          conditions:
            - {"{"}type: Ready, status: "True"{"}"}
        """;

    public void Dispose()
    {
        foreach (var d in _disposables)
            d.Dispose();
        GC.SuppressFinalize(this);
    }
}
