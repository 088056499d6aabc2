using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Serverless.Testing;

namespace Serverless.Aws.Tests.Infrastructure;

/// <summary>A VPC with two subnets in two AZs and a security group, created in moto through the plain SDK.</summary>
public sealed record AwsSandbox(string VpcId, IReadOnlyList<string> SubnetIds, string SecurityGroupId)
{
    public static async Task<AwsSandbox> CreateAsync(MotoServer moto)
    {
        ArgumentNullException.ThrowIfNull(moto);
        using var ec2 = new AmazonEC2Client(
            new BasicAWSCredentials("testing", "testing"),
            new AmazonEC2Config { ServiceURL = moto.Endpoint, AuthenticationRegion = "us-east-1" });
        var vpc = (await ec2.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.0.0.0/16" })).Vpc.VpcId;
        var a = (await ec2.CreateSubnetAsync(new CreateSubnetRequest { VpcId = vpc, CidrBlock = "10.0.1.0/24", AvailabilityZone = "us-east-1a" })).Subnet.SubnetId;
        var b = (await ec2.CreateSubnetAsync(new CreateSubnetRequest { VpcId = vpc, CidrBlock = "10.0.2.0/24", AvailabilityZone = "us-east-1b" })).Subnet.SubnetId;
        var sg = (await ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = "sandbox", Description = "sandbox", VpcId = vpc })).GroupId;
        return new AwsSandbox(vpc, [a, b], sg);
    }
}
