using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Model;
using Serverless.Testing;
using ElbTag = Serverless.Aws.ElasticLoadBalancingV2.Model.Tag;

namespace Serverless.Deploy.Tests.Infrastructure;

/// <summary>
/// The account a deployer test runs in: a VPC with two subnets, five running instances (the nodes), a node security
/// group, two ACM certificates, and foreign resources the deployer must never touch: a load balancer and target group
/// without tags, a load balancer, target group and security group tagged for another cluster, and an untagged SG.
/// </summary>
public sealed record World(
    string VpcId,
    IReadOnlyList<string> Subnets,
    string NodeSecurityGroupId,
    IReadOnlyList<string> Instances,
    string CertificateArn,
    string SecondCertificateArn,
    IReadOnlyList<string> ForeignLoadBalancerArns,
    IReadOnlyList<string> ForeignTargetGroupArns,
    IReadOnlyList<string> ForeignSecurityGroupIds)
{
    public const string Cluster = "test-cluster";
    public const string OtherCluster = "other-cluster";

    public static AmazonEC2Client Ec2Sdk(MotoServer moto) =>
        new(new BasicAWSCredentials("testing", "testing"), new AmazonEC2Config { ServiceURL = moto.Endpoint, AuthenticationRegion = "us-east-1" });

    public static async Task<World> CreateAsync(MotoServer moto, int unrelated = 0)
    {
        using var ec2 = Ec2Sdk(moto);
        using var elb = new ElasticLoadBalancingV2Client(moto.ClientOptions());
        var vpc = (await ec2.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.0.0.0/16" })).Vpc.VpcId;
        var a = (await ec2.CreateSubnetAsync(new CreateSubnetRequest { VpcId = vpc, CidrBlock = "10.0.1.0/24", AvailabilityZone = "us-east-1a" })).Subnet.SubnetId;
        var b = (await ec2.CreateSubnetAsync(new CreateSubnetRequest { VpcId = vpc, CidrBlock = "10.0.2.0/24", AvailabilityZone = "us-east-1b" })).Subnet.SubnetId;
        var nodeSg = (await ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = "nodes", Description = "nodes", VpcId = vpc })).GroupId;
        var image = (await ec2.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["amazon"] })).Images[0].ImageId;
        var run = await ec2.RunInstancesAsync(new RunInstancesRequest
        {
            ImageId = image,
            MinCount = 5,
            MaxCount = 5,
            InstanceType = InstanceType.T3Micro,
            SubnetId = a,
            SecurityGroupIds = [nodeSg],
        });
        var instances = run.Reservation.Instances.Select(static i => i.InstanceId).Order(StringComparer.Ordinal).ToList();
        var cert = await RequestCertificateAsync(moto, "shop.example.com");
        var cert2 = await RequestCertificateAsync(moto, "api.example.com");

        // Foreign: untagged, and tagged for another cluster (same stack name even).
        var foreignLbs = new List<string>();
        var foreignTgs = new List<string>();
        foreignLbs.Add((await elb.CreateLoadBalancerAsync(new CreateLoadBalancerRequest { Name = "someone-elses-lb", Subnets = [a, b] })).LoadBalancers![0].LoadBalancerArn!);
        foreignLbs.Add((await elb.CreateLoadBalancerAsync(new CreateLoadBalancerRequest
        {
            Name = "other-cluster-lb",
            Subnets = [a, b],
            Tags = [new ElbTag { Key = TrackingTags.Cluster, Value = OtherCluster }, new ElbTag { Key = TrackingTags.Stack, Value = "shop" }, new ElbTag { Key = TrackingTags.Resource, Value = "LoadBalancer" }],
        })).LoadBalancers![0].LoadBalancerArn!);
        foreignTgs.Add((await elb.CreateTargetGroupAsync(new CreateTargetGroupRequest { Name = "someone-elses-tg", Protocol = "HTTP", Port = 8080, VpcId = vpc, TargetType = "instance" })).TargetGroups![0].TargetGroupArn!);
        foreignTgs.Add((await elb.CreateTargetGroupAsync(new CreateTargetGroupRequest
        {
            Name = "other-cluster-tg",
            Protocol = "HTTP",
            Port = 8080,
            VpcId = vpc,
            TargetType = "instance",
            Tags = [new ElbTag { Key = TrackingTags.Cluster, Value = OtherCluster }, new ElbTag { Key = TrackingTags.Stack, Value = "shop" }],
        })).TargetGroups![0].TargetGroupArn!);
        await elb.RegisterTargetsAsync(new RegisterTargetsRequest { TargetGroupArn = foreignTgs[0], Targets = [new TargetDescription { Id = instances[0], Port = 8080 }] });
        var foreignListener = (await elb.CreateListenerAsync(new CreateListenerRequest
        {
            LoadBalancerArn = foreignLbs[0],
            Port = 80,
            Protocol = "HTTP",
            DefaultActions = [new Serverless.Aws.ElasticLoadBalancingV2.Model.Action { Type = "forward", TargetGroupArn = foreignTgs[0] }],
        })).Listeners![0].ListenerArn!;
        await elb.CreateRuleAsync(new CreateRuleRequest
        {
            ListenerArn = foreignListener,
            Priority = 1,
            Conditions = [new RuleCondition { Field = "path-pattern", PathPatternConfig = new PathPatternConditionConfig { Values = ["/theirs"] } }],
            Actions = [new Serverless.Aws.ElasticLoadBalancingV2.Model.Action { Type = "fixed-response", FixedResponseConfig = new FixedResponseActionConfig { StatusCode = "200" } }],
        });
        var foreignSgs = new List<string>
        {
            (await ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = "someone-elses-sg", Description = "x", VpcId = vpc })).GroupId,
            (await ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest
            {
                GroupName = "other-cluster-sg",
                Description = "x",
                VpcId = vpc,
                TagSpecifications = [new TagSpecification { ResourceType = ResourceType.SecurityGroup, Tags = [new Amazon.EC2.Model.Tag(TrackingTags.Cluster, OtherCluster), new Amazon.EC2.Model.Tag(TrackingTags.Stack, "shop")] }],
            })).GroupId,
        };
        await ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = foreignSgs[0],
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = 22, ToPort = 22, Ipv4Ranges = [new IpRange { CidrIp = "10.0.0.0/8" }] }],
        });

        for (var i = 0; i < unrelated; i++)
        {
            await elb.CreateLoadBalancerAsync(new CreateLoadBalancerRequest { Name = $"unrelated-{i}", Subnets = [a, b] });
            await elb.CreateTargetGroupAsync(new CreateTargetGroupRequest { Name = $"unrelated-{i}", Protocol = "HTTP", Port = 80, VpcId = vpc });
        }
        return new World(vpc, [a, b], nodeSg, instances, cert, cert2, foreignLbs, foreignTgs, foreignSgs);
    }

    /// <summary>ACM RequestCertificate on moto (JSON 1.1; moto routes by the credential scope and ignores the signature).</summary>
    public static async Task<string> RequestCertificateAsync(MotoServer moto, string domain)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, moto.Endpoint + "/");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "CertificateManager.RequestCertificate");
        request.Headers.TryAddWithoutValidation("X-Amz-Date", "20250101T000000Z");
        request.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/acm/aws4_request, SignedHeaders=host;x-amz-date, Signature=00");
        request.Content = new StringContent($"{{\"DomainName\":\"{domain}\"}}", Encoding.UTF8);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.1");
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException("ACM RequestCertificate failed: " + body);
        return JsonDocument.Parse(body).RootElement.GetProperty("CertificateArn").GetString()!;
    }
}
