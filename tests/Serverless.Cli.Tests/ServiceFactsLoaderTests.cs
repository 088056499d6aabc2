using k8s.Models;
using Serverless.Aws.Acm;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Wafv2;
using Serverless.Ingress;
using Serverless.Local;
using Serverless.Model;
using Serverless.Reconcile;
using Serverless.Testing;

namespace Serverless.Cli.Tests;

/// <summary>The AWS facts of a Service stack: its NLB found by its names and confirmed by the Service stack tag.</summary>
[Collection(MotoCollection.Name)]
public sealed class ServiceFactsLoaderTests(MotoFixture fixture)
{
    private readonly MotoServer _moto = fixture.Server;

    private static V1Service Service(string uid, string? name = null, string? hostname = null) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = "nlb-ip-svc-tls",
            NamespaceProperty = "default",
            Uid = uid,
            Annotations = name is null ? null : new Dictionary<string, string> { ["service.beta.kubernetes.io/aws-load-balancer-name"] = name },
        },
        Status = hostname is null ? null : new V1ServiceStatus { LoadBalancer = new V1LoadBalancerStatus { Ingress = [new V1LoadBalancerIngress { Hostname = hostname }] } },
    };

    [Fact]
    public void The_generated_names_are_upstreams_golden_names_for_either_scheme()
    {
        var cluster = new ClusterSettings { ClusterName = "my-cluster", VpcId = "vpc-0123456789abcdef0" };
        var stack = StackId.Service("default", "nlb-ip-svc-tls");

        var names = AwsFactsLoader.ServiceLoadBalancerNames(cluster, stack, Service("bdca2bd0-bfc6-449a-88a3-03451f05f18c", "custom-nlb", "old-nlb-0123456789abcdef.elb.us-west-2.amazonaws.com"));

        // upstream's model_builder_test.go: internal, this UID and cluster.
        Assert.Contains("k8s-default-nlbipsvc-6b0ba8ff70", names);
        Assert.Contains("custom-nlb", names);
        Assert.Contains("old-nlb", names);
        Assert.Equal(4, names.Count);
    }

    [Fact]
    public async Task Finds_the_Services_NLB_by_name_only_when_it_carries_the_Service_stack_tag()
    {
        var options = _moto.ClientOptions();
        using var sdk = Ec2Gateway.CreateSdkClient(options);
        var sandbox = await Sandbox.SeedAsync(sdk, "svcfacts", "us-east-1", [new("n1")]);
        using var ec2 = Ec2Gateway.Create(options);
        using var elb = new ElasticLoadBalancingV2Client(options);
        using var acm = new AcmClient(options);
        using var waf = new Wafv2Client(options);
        var cluster = new ClusterSettings { ClusterName = "svcfacts", VpcId = sandbox.VpcId };
        var stack = StackId.Service("default", "nlb-ip-svc-tls");
        var privateSubnets = sandbox.Subnets.Where(static s => !s.Public).Select(static s => s.SubnetId).ToList();
        async Task CreateAsync(string name, string stackKey)
        {
            await elb.CreateLoadBalancerAsync(new CreateLoadBalancerRequest
            {
                Name = name,
                Type = "network",
                Scheme = "internal",
                Subnets = privateSubnets,
                SecurityGroups = [sandbox.NodeSecurityGroupId],
                Tags = [new Tag { Key = TrackingTags.Cluster, Value = "svcfacts" }, new Tag { Key = stackKey, Value = "default/nlb-ip-svc-tls" }],
            });
        }
        // An Ingress group of the same name (ingress.k8s.aws/stack) is not the Service's NLB.
        await CreateAsync("svc-facts-ingress", TrackingTags.Stack);
        await CreateAsync("svc-facts-service", TrackingTags.ServiceStack);
        var loader = new AwsFactsLoader(ec2, elb, acm, waf);

        var wrongKind = await loader.LoadServiceAsync(cluster, stack, Service("11111111-0000-4000-8000-000000000001", "svc-facts-ingress"), []);
        var found = await loader.LoadServiceAsync(cluster, stack, Service("11111111-0000-4000-8000-000000000001", "svc-facts-service"), []);

        Assert.Null(wrongKind.Aws.ExistingLoadBalancer);
        Assert.Null(wrongKind.ExistingLoadBalancerSecurityGroups);
        Assert.NotNull(found.Aws.ExistingLoadBalancer);
        Assert.Equal("internal", found.Aws.ExistingLoadBalancer!.Scheme);
        Assert.Equal(privateSubnets.Order(), found.Aws.ExistingLoadBalancer.SubnetIds);
        Assert.Equal([sandbox.NodeSecurityGroupId], found.ExistingLoadBalancerSecurityGroups);
        Assert.Equal(sandbox.Subnets.Select(static s => s.SubnetId).Order(), found.Aws.Subnets.Select(static s => s.Id).Order());
        await Assert.ThrowsAsync<ArgumentException>(() => loader.LoadServiceAsync(cluster, StackId.Implicit("default", "nlb-ip-svc-tls"), Service("u"), []));
    }
}
