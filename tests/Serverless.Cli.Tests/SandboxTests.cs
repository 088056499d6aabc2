using Amazon.EC2.Model;
using Serverless.Aws.Ec2;
using Serverless.Local;
using Serverless.Testing;

namespace Serverless.Cli.Tests;

[Collection(MotoCollection.Name)]
public sealed class SandboxTests(MotoFixture fixture)
{
    private readonly MotoServer _moto = fixture.Server;

    [Fact]
    public async Task Seeds_an_EKS_shaped_VPC_once_and_finds_it_again()
    {
        using var ec2 = Ec2Gateway.CreateSdkClient(_moto.ClientOptions());
        SandboxNode[] nodes = [new("node-b", "us-east-1b"), new("node-a"), new("node-x", "eu-west-1a")];

        var first = await Sandbox.SeedAsync(ec2, "demo", "us-east-1", nodes);

        Assert.Equal(6, first.Subnets.Count);
        Assert.Equal(["us-east-1a", "us-east-1b", "us-east-1c"], first.Subnets.Where(s => s.Public).Select(s => s.Zone));
        var described = (await ec2.DescribeSubnetsAsync(new DescribeSubnetsRequest { SubnetIds = [.. first.Subnets.Select(s => s.SubnetId)] })).Subnets;
        foreach (var subnet in described)
        {
            var tags = subnet.Tags.ToDictionary(t => t.Key, t => t.Value);
            var isPublic = first.Subnets.Single(s => s.SubnetId == subnet.SubnetId).Public;
            Assert.Equal("1", tags[isPublic ? "kubernetes.io/role/elb" : "kubernetes.io/role/internal-elb"]);
            Assert.Equal("shared", tags["kubernetes.io/cluster/demo"]);
            Assert.Equal(first.VpcId, subnet.VpcId);
        }
        Assert.Equal(["node-a", "node-b", "node-x"], first.Nodes.Select(n => n.NodeName));
        Assert.Equal("us-east-1b", first.Nodes.Single(n => n.NodeName == "node-b").Zone);
        Assert.All(first.Nodes, n => Assert.Matches("^aws:///us-east-1[abc]/i-[0-9a-f]+$", n.ProviderId));
        Assert.Equal(3, first.Nodes.Select(n => n.InstanceId).Distinct().Count());
        var instances = (await ec2.DescribeInstancesAsync(new DescribeInstancesRequest { InstanceIds = [.. first.Nodes.Select(n => n.InstanceId)] }))
            .Reservations.SelectMany(r => r.Instances).ToList();
        Assert.All(instances, i => Assert.Equal(first.NodeSecurityGroupId, Assert.Single(i.SecurityGroups).GroupId));

        var second = await Sandbox.SeedAsync(ec2, "demo", "us-east-1", [.. nodes, new SandboxNode("node-new")]);

        Assert.Equal(first.VpcId, second.VpcId);
        Assert.Equal(first.NodeSecurityGroupId, second.NodeSecurityGroupId);
        Assert.Equal(first.Subnets.OrderBy(s => s.SubnetId), second.Subnets.OrderBy(s => s.SubnetId));
        Assert.Equal(first.Nodes, second.Nodes.Where(n => n.NodeName != "node-new"));
        Assert.Single((await ec2.DescribeVpcsAsync(new DescribeVpcsRequest())).Vpcs, v => (v.Tags ?? []).Any(t => t.Key == Sandbox.SandboxTag && t.Value == "demo"));
    }

    [Fact]
    public async Task Maps_manifest_certificate_arns_to_sandbox_certificates_stably()
    {
        using var http = new HttpClient();
        const string a = "arn:aws:acm:us-east-1:111122223333:certificate/aaaa";
        const string b = "arn:aws:acm:us-east-1:111122223333:certificate/bbbb";

        var first = await SandboxCertificates.EnsureAsync(http, _moto.Endpoint, "us-east-1", [a, b, a]);
        var second = await SandboxCertificates.EnsureAsync(http, _moto.Endpoint, "us-east-1", [b]);

        Assert.Equal(2, first.Count);
        Assert.NotEqual(first[a], first[b]);
        Assert.All(first.Values, arn => Assert.StartsWith("arn:aws:acm:us-east-1:", arn, StringComparison.Ordinal));
        Assert.Equal(first[b], second[b]);
    }
}
