using Amazon.EC2;
using Amazon.EC2.Model;
using Filter = Amazon.EC2.Model.Filter;
using Tag = Amazon.EC2.Model.Tag;

namespace Serverless.Local;

/// <summary>A Node the sandbox must back with an EC2 instance: its name and, when labelled, its zone.</summary>
public sealed record SandboxNode(string Name, string? Zone = null);

/// <summary>A sandbox subnet.</summary>
public sealed record SandboxSubnet(string SubnetId, string Zone, bool Public);

/// <summary>The EC2 instance that stands in for a Node.</summary>
public sealed record NodeInstance(string NodeName, string InstanceId, string Zone)
{
    /// <summary>The Node's <c>spec.providerID</c> for this instance.</summary>
    public string ProviderId => $"aws:///{Zone}/{InstanceId}";
}

/// <summary>What <see cref="Sandbox.SeedAsync"/> created or found.</summary>
public sealed record SandboxInfo(
    string VpcId,
    string VpcCidr,
    IReadOnlyList<SandboxSubnet> Subnets,
    string NodeSecurityGroupId,
    IReadOnlyList<NodeInstance> Nodes);

/// <summary>
/// Seeds an emulated account the way an EKS cluster's VPC looks to the controller: a VPC, a public and a private
/// subnet in each of three zones with upstream's role tags (<c>kubernetes.io/role/elb</c>,
/// <c>kubernetes.io/role/internal-elb</c>) and the cluster tag, an internet gateway routed from the public subnets,
/// a node security group tagged for the cluster, and one running instance per Node. Idempotent: a second seed of
/// the same cluster finds the VPC by its sandbox tag and only adds instances for new Nodes, so a plan after an apply
/// against the same endpoint sees the same world.
/// </summary>
public static class Sandbox
{
    /// <summary>The tag that marks the sandbox VPC (value: the cluster name) and each node instance (value: node name).</summary>
    public const string SandboxTag = "serverless.elbv2.k8s.aws/sandbox";

    /// <summary>The tag naming the Node an instance stands in for.</summary>
    public const string NodeTag = "serverless.elbv2.k8s.aws/node";

    private const string VpcCidr = "10.0.0.0/16";
    private const string ImageId = "ami-12c6146b";
    private static readonly string[] ZoneSuffixes = ["a", "b", "c"];

    /// <summary>Creates (or finds) the sandbox of <paramref name="clusterName"/> and an instance per node.</summary>
    public static async Task<SandboxInfo> SeedAsync(
        IAmazonEC2 ec2,
        string clusterName,
        string region,
        IReadOnlyList<SandboxNode> nodes,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ec2);
        ArgumentException.ThrowIfNullOrEmpty(clusterName);
        ArgumentException.ThrowIfNullOrEmpty(region);
        ArgumentNullException.ThrowIfNull(nodes);
        var clusterTag = "kubernetes.io/cluster/" + clusterName;
        var zones = ZoneSuffixes.Select(s => region + s).ToArray();

        var existing = await ec2.DescribeVpcsAsync(new DescribeVpcsRequest
        {
            Filters = [new Filter("tag:" + SandboxTag, [clusterName])],
        }, cancellationToken).ConfigureAwait(false);
        var vpcId = existing.Vpcs?.FirstOrDefault()?.VpcId;
        List<SandboxSubnet> subnets;
        string nodeSg;
        if (vpcId is null)
        {
            (vpcId, subnets, nodeSg) = await CreateNetworkAsync(ec2, clusterName, clusterTag, zones, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var found = await ec2.DescribeSubnetsAsync(new DescribeSubnetsRequest { Filters = [new Filter("vpc-id", [vpcId])] }, cancellationToken).ConfigureAwait(false);
            subnets = [.. (found.Subnets ?? []).Select(s => new SandboxSubnet(
                s.SubnetId, s.AvailabilityZone, (s.Tags ?? []).Any(t => t.Key == "kubernetes.io/role/elb")))
                .OrderBy(s => s.Public ? 0 : 1).ThenBy(s => s.Zone, StringComparer.Ordinal)];
            var groups = await ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest
            {
                Filters = [new Filter("vpc-id", [vpcId]), new Filter("tag:" + SandboxTag, [clusterName])],
            }, cancellationToken).ConfigureAwait(false);
            nodeSg = groups.SecurityGroups?.FirstOrDefault()?.GroupId
                ?? throw new InvalidOperationException($"sandbox VPC {vpcId} of cluster {clusterName} has no node security group");
        }

        var instances = await NodeInstancesAsync(ec2, vpcId, subnets, nodeSg, clusterName, clusterTag, zones, nodes, cancellationToken).ConfigureAwait(false);
        return new SandboxInfo(vpcId, VpcCidr, subnets, nodeSg, instances);
    }

    private static async Task<(string VpcId, List<SandboxSubnet> Subnets, string NodeSg)> CreateNetworkAsync(
        IAmazonEC2 ec2, string clusterName, string clusterTag, string[] zones, CancellationToken ct)
    {
        var vpc = await ec2.CreateVpcAsync(new CreateVpcRequest
        {
            CidrBlock = VpcCidr,
            TagSpecifications = [Tags(ResourceType.Vpc, (SandboxTag, clusterName), ("Name", clusterName + "-vpc"))],
        }, ct).ConfigureAwait(false);
        var vpcId = vpc.Vpc.VpcId;

        var igw = await ec2.CreateInternetGatewayAsync(new CreateInternetGatewayRequest(), ct).ConfigureAwait(false);
        await ec2.AttachInternetGatewayAsync(new AttachInternetGatewayRequest { VpcId = vpcId, InternetGatewayId = igw.InternetGateway.InternetGatewayId }, ct).ConfigureAwait(false);
        var publicRoutes = await ec2.CreateRouteTableAsync(new CreateRouteTableRequest { VpcId = vpcId }, ct).ConfigureAwait(false);
        await ec2.CreateRouteAsync(new CreateRouteRequest
        {
            RouteTableId = publicRoutes.RouteTable.RouteTableId,
            DestinationCidrBlock = "0.0.0.0/0",
            GatewayId = igw.InternetGateway.InternetGatewayId,
        }, ct).ConfigureAwait(false);

        var subnets = new List<SandboxSubnet>();
        for (var i = 0; i < zones.Length; i++)
        {
            foreach (var isPublic in new[] { true, false })
            {
                var role = isPublic ? "kubernetes.io/role/elb" : "kubernetes.io/role/internal-elb";
                var name = $"{clusterName}-{(isPublic ? "public" : "private")}-{zones[i][^1]}";
                var subnet = await ec2.CreateSubnetAsync(new CreateSubnetRequest
                {
                    VpcId = vpcId,
                    AvailabilityZone = zones[i],
                    CidrBlock = $"10.0.{(isPublic ? 0 : 10) + i}.0/24",
                    TagSpecifications = [Tags(ResourceType.Subnet, (role, "1"), (clusterTag, "shared"), ("Name", name))],
                }, ct).ConfigureAwait(false);
                if (isPublic)
                {
                    await ec2.AssociateRouteTableAsync(new AssociateRouteTableRequest
                    {
                        RouteTableId = publicRoutes.RouteTable.RouteTableId,
                        SubnetId = subnet.Subnet.SubnetId,
                    }, ct).ConfigureAwait(false);
                }
                subnets.Add(new SandboxSubnet(subnet.Subnet.SubnetId, zones[i], isPublic));
            }
        }

        var sg = await ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest
        {
            VpcId = vpcId,
            GroupName = clusterName + "-node",
            Description = "Nodes of cluster " + clusterName + " (sandbox)",
            TagSpecifications = [Tags(ResourceType.SecurityGroup, (clusterTag, "owned"), (SandboxTag, clusterName), ("Name", clusterName + "-node"))],
        }, ct).ConfigureAwait(false);
        return (vpcId, [.. subnets.OrderBy(s => s.Public ? 0 : 1).ThenBy(s => s.Zone, StringComparer.Ordinal)], sg.GroupId);
    }

    private static async Task<List<NodeInstance>> NodeInstancesAsync(
        IAmazonEC2 ec2, string vpcId, List<SandboxSubnet> subnets, string nodeSg, string clusterName, string clusterTag,
        string[] zones, IReadOnlyList<SandboxNode> nodes, CancellationToken ct)
    {
        var running = await ec2.DescribeInstancesAsync(new DescribeInstancesRequest
        {
            Filters =
            [
                new Filter("vpc-id", [vpcId]),
                new Filter("tag:" + SandboxTag, [clusterName]),
                new Filter("instance-state-name", ["pending", "running"]),
            ],
        }, ct).ConfigureAwait(false);
        var byNode = new Dictionary<string, NodeInstance>(StringComparer.Ordinal);
        foreach (var instance in (running.Reservations ?? []).SelectMany(r => r.Instances ?? []))
        {
            var node = instance.Tags?.FirstOrDefault(t => t.Key == NodeTag)?.Value;
            if (node is not null)
                byNode.TryAdd(node, new NodeInstance(node, instance.InstanceId, instance.Placement.AvailabilityZone));
        }

        var result = new List<NodeInstance>();
        var index = 0;
        foreach (var node in nodes.OrderBy(n => n.Name, StringComparer.Ordinal))
        {
            if (!byNode.TryGetValue(node.Name, out var instance))
            {
                var zone = node.Zone is not null && zones.Contains(node.Zone, StringComparer.Ordinal) ? node.Zone : zones[index % zones.Length];
                var subnet = subnets.First(s => !s.Public && s.Zone == zone);
                var run = await ec2.RunInstancesAsync(new RunInstancesRequest
                {
                    ImageId = ImageId,
                    InstanceType = InstanceType.T3Medium,
                    MinCount = 1,
                    MaxCount = 1,
                    SubnetId = subnet.SubnetId,
                    SecurityGroupIds = [nodeSg],
                    TagSpecifications = [Tags(ResourceType.Instance, (SandboxTag, clusterName), (NodeTag, node.Name), (clusterTag, "owned"), ("Name", node.Name))],
                }, ct).ConfigureAwait(false);
                instance = new NodeInstance(node.Name, run.Reservation.Instances[0].InstanceId, zone);
            }
            result.Add(instance);
            index++;
        }
        return result;
    }

    private static TagSpecification Tags(ResourceType type, params (string Key, string Value)[] tags) => new()
    {
        ResourceType = type,
        Tags = [.. tags.Select(t => new Tag(t.Key, t.Value))],
    };
}
