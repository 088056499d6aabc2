using k8s.Models;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Ingress;
using Serverless.Local;
using Serverless.Model;
using Serverless.Reconcile;
using Serverless.Testing;

namespace Serverless.Cli.Tests;

[Collection(MotoCollection.Name)]
public sealed class AwsFactsLoaderTests(MotoFixture fixture)
{
    private readonly MotoServer _moto = fixture.Server;

    [Fact]
    public void Candidate_names_include_the_generated_ones_the_annotations_and_the_names_behind_status_hostnames()
    {
        var cluster = new ClusterSettings { ClusterName = "demo", VpcId = "vpc-0123456789abcdef0" };
        var group = StackId.Explicit("shop");
        V1Ingress Member(string? name, params string[] hostnames) => new()
        {
            Metadata = new V1ObjectMeta
            {
                Name = "web",
                NamespaceProperty = "shop",
                Annotations = name is null ? null : new Dictionary<string, string> { ["alb.ingress.kubernetes.io/load-balancer-name"] = name },
            },
            Status = new V1IngressStatus { LoadBalancer = new V1IngressLoadBalancerStatus { Ingress = [.. hostnames.Select(h => new V1IngressLoadBalancerIngress { Hostname = h })] } },
        };

        var names = AwsFactsLoader.CandidateLoadBalancerNames(cluster, group, [
            Member("shop-now", "shop-old-1234567890.us-west-2.elb.amazonaws.com"),
            Member(null, "internal-shop-private-99.us-west-2.elb.amazonaws.com", "shop.example.com", "nodash.elb.amazonaws.com"),
        ]);

        Assert.Contains("shop-now", names);
        Assert.Contains("shop-old", names);
        // An internal ALB's DNS name starts with "internal-"; a name that itself starts so is kept as a candidate too.
        Assert.Contains("shop-private", names);
        Assert.Contains("internal-shop-private", names);
        Assert.DoesNotContain(names, n => n.Contains("example", StringComparison.Ordinal) || n.StartsWith("nodash", StringComparison.Ordinal));
        Assert.Contains(Naming.LoadBalancerName("demo", group, "internet-facing"), names);
        Assert.Contains(Naming.LoadBalancerName("demo", group, "internal"), names);
        Assert.Equal(6, names.Count);
    }

    [Fact]
    public async Task Reads_the_sandbox_VPC_with_a_bounded_number_of_calls()
    {
        var recorder = new AwsCallRecorder();
        var options = _moto.ClientOptions(recorder);
        using var sdk = Ec2Gateway.CreateSdkClient(_moto.ClientOptions());
        var sandbox = await Sandbox.SeedAsync(sdk, "facts", "us-east-1", [new("n1"), new("n2")]);
        using var ec2 = Ec2Gateway.Create(options);
        using var elb = new ElasticLoadBalancingV2Client(options);
        var nodes = sandbox.Nodes.Select(n => new V1Node
        {
            Metadata = new V1ObjectMeta { Name = n.NodeName },
            Spec = new V1NodeSpec { ProviderID = n.ProviderId },
        }).ToList();
        var cluster = new ClusterSettings { ClusterName = "facts", VpcId = sandbox.VpcId };

        var facts = await new AwsFactsLoader(ec2, elb).LoadAsync(cluster, StackId.Implicit("default", "echoserver"), [], nodes);

        Assert.Equal(["10.0.0.0/16"], facts.VpcCidrs);
        Assert.Equal(sandbox.Subnets.Select(s => s.SubnetId).Order(), facts.Subnets.Select(s => s.Id).Order());
        Assert.All(facts.Subnets.Where(s => sandbox.Subnets.Single(x => x.SubnetId == s.Id).Public), s => Assert.Equal("1", s.Tags["kubernetes.io/role/elb"]));
        Assert.Equal([sandbox.NodeSecurityGroupId], facts.NodeSecurityGroupIds);
        Assert.Null(facts.BackendSecurityGroupId);
        Assert.Null(facts.ExistingLoadBalancer);
        Assert.Contains(facts.SecurityGroups, g => g.Id == sandbox.NodeSecurityGroupId && g.Name == "facts-node");
        // VPC, subnets, security groups, instances; one DescribeLoadBalancers for both candidate names (both missing:
        // a failed batch of two, then one call each).
        Assert.Equal(4, recorder.Calls.Where(c => c.Key.StartsWith("EC2:", StringComparison.Ordinal)).Sum(c => c.Value));
    }
}
