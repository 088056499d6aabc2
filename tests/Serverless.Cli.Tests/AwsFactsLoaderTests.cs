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
