namespace Serverless.Aws.Ec2;

/// <summary>A VPC as the controller sees it.</summary>
/// <param name="VpcId">The id (<c>vpc-…</c>).</param>
/// <param name="State"><c>pending</c> or <c>available</c>.</param>
/// <param name="CidrBlocks">Every associated IPv4 CIDR, the primary one first.</param>
/// <param name="Ipv6CidrBlocks">Every associated IPv6 CIDR (empty for an IPv4-only VPC).</param>
/// <param name="Tags">The VPC's tags.</param>
public sealed record VpcInfo(
    string VpcId,
    string State,
    IReadOnlyList<string> CidrBlocks,
    IReadOnlyList<string> Ipv6CidrBlocks,
    IReadOnlyDictionary<string, string> Tags);

/// <summary>A subnet as subnet discovery and the load balancer builder see it.</summary>
/// <param name="SubnetId">The id (<c>subnet-…</c>).</param>
/// <param name="VpcId">The VPC the subnet belongs to.</param>
/// <param name="AvailabilityZone">The AZ name, e.g. <c>us-east-1a</c>.</param>
/// <param name="AvailabilityZoneId">The AZ id, e.g. <c>use1-az1</c> (the same physical zone in every account).</param>
/// <param name="CidrBlock">The IPv4 CIDR.</param>
/// <param name="Ipv6CidrBlocks">Associated IPv6 CIDRs (empty when none).</param>
/// <param name="AvailableIpAddressCount">Free IPv4 addresses (an ALB needs at least 8 per subnet).</param>
/// <param name="MapPublicIpOnLaunch">Whether instances launched here get a public IP (a hint for "public subnet").</param>
/// <param name="Tags">The subnet's tags.</param>
public sealed record SubnetInfo(
    string SubnetId,
    string VpcId,
    string AvailabilityZone,
    string AvailabilityZoneId,
    string CidrBlock,
    IReadOnlyList<string> Ipv6CidrBlocks,
    int AvailableIpAddressCount,
    bool MapPublicIpOnLaunch,
    IReadOnlyDictionary<string, string> Tags);

/// <summary>
/// One ingress rule with exactly one source, normalized so that rules read back from AWS compare equal to the rules
/// the controller wants: protocol lower-case with IANA numbers mapped to names (<c>6</c> → <c>tcp</c>, <c>17</c> →
/// <c>udp</c>, <c>1</c> → <c>icmp</c>, <c>58</c> → <c>icmpv6</c>) and "all" as <c>-1</c>; no ports for <c>-1</c>; IPv6
/// CIDRs lower-case; an empty description as null.
/// </summary>
/// <param name="Protocol"><c>tcp</c>, <c>udp</c>, <c>icmp</c>, <c>icmpv6</c>, <c>-1</c> (all) or another protocol number.</param>
/// <param name="FromPort">First port (ICMP: type); null for <c>-1</c>.</param>
/// <param name="ToPort">Last port (ICMP: code); null for <c>-1</c>.</param>
/// <param name="CidrIpv4">Source IPv4 CIDR, or null.</param>
/// <param name="CidrIpv6">Source IPv6 CIDR, or null.</param>
/// <param name="PrefixListId">Source managed prefix list (<c>pl-…</c>), or null.</param>
/// <param name="SourceSecurityGroupId">Source security group (<c>sg-…</c>), or null.</param>
/// <param name="Description">The rule's description, or null.</param>
public sealed record IngressRule(
    string Protocol,
    int? FromPort,
    int? ToPort,
    string? CidrIpv4 = null,
    string? CidrIpv6 = null,
    string? PrefixListId = null,
    string? SourceSecurityGroupId = null,
    string? Description = null)
{
    /// <summary>A TCP rule for <paramref name="port"/> from an IPv4 CIDR.</summary>
    public static IngressRule TcpFromCidr(int port, string cidr, string? description = null) =>
        Normalize(new IngressRule("tcp", port, port, CidrIpv4: cidr, Description: description));

    /// <summary>A TCP rule for <paramref name="port"/> from an IPv6 CIDR.</summary>
    public static IngressRule TcpFromIpv6Cidr(int port, string cidr, string? description = null) =>
        Normalize(new IngressRule("tcp", port, port, CidrIpv6: cidr, Description: description));

    /// <summary>A TCP rule for <paramref name="port"/> from a managed prefix list.</summary>
    public static IngressRule TcpFromPrefixList(int port, string prefixListId, string? description = null) =>
        Normalize(new IngressRule("tcp", port, port, PrefixListId: prefixListId, Description: description));

    /// <summary>A TCP rule for the port range from another security group.</summary>
    public static IngressRule TcpFromSecurityGroup(int fromPort, int toPort, string groupId, string? description = null) =>
        Normalize(new IngressRule("tcp", fromPort, toPort, SourceSecurityGroupId: groupId, Description: description));

    /// <summary>The same rule without its description (rules that differ only in description are the same rule to AWS).</summary>
    public IngressRule WithoutDescription() => this with { Description = null };

    /// <summary>The canonical form of <paramref name="rule"/> (see the type's summary). Throws unless it has exactly one source.</summary>
    public static IngressRule Normalize(IngressRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var sources = (rule.CidrIpv4 is null ? 0 : 1) + (rule.CidrIpv6 is null ? 0 : 1)
            + (rule.PrefixListId is null ? 0 : 1) + (rule.SourceSecurityGroupId is null ? 0 : 1);
        if (sources != 1)
            throw new ArgumentException($"an ingress rule needs exactly one source, this one has {sources}: {rule}", nameof(rule));
        var protocol = NormalizeProtocol(rule.Protocol);
        return rule with
        {
            Protocol = protocol,
            FromPort = protocol == "-1" ? null : rule.FromPort,
            ToPort = protocol == "-1" ? null : rule.ToPort,
            CidrIpv6 = rule.CidrIpv6?.ToLowerInvariant(),
            Description = string.IsNullOrEmpty(rule.Description) ? null : rule.Description,
        };
    }

    /// <summary><c>6</c> → <c>tcp</c>, <c>17</c> → <c>udp</c>, <c>1</c> → <c>icmp</c>, <c>58</c> → <c>icmpv6</c>, empty/<c>all</c> → <c>-1</c>; otherwise lower-case.</summary>
    public static string NormalizeProtocol(string? protocol) => protocol?.Trim().ToLowerInvariant() switch
    {
        null or "" or "-1" or "all" => "-1",
        "6" => "tcp",
        "17" => "udp",
        "1" => "icmp",
        "58" => "icmpv6",
        var other => other,
    };
}

/// <summary>A security group with its ingress rules (normalized, one record per source).</summary>
/// <param name="GroupId">The id (<c>sg-…</c>).</param>
/// <param name="GroupName">The name (unique per VPC).</param>
/// <param name="Description">The description given at creation.</param>
/// <param name="VpcId">The VPC the group belongs to.</param>
/// <param name="Ingress">The ingress rules, one per source.</param>
/// <param name="Tags">The group's tags.</param>
public sealed record SecurityGroupInfo(
    string GroupId,
    string GroupName,
    string Description,
    string VpcId,
    IReadOnlyList<IngressRule> Ingress,
    IReadOnlyDictionary<string, string> Tags);

/// <summary>What became of a security group deletion.</summary>
public enum SecurityGroupDeletionOutcome
{
    /// <summary>The group was deleted.</summary>
    Deleted,

    /// <summary>The group did not exist (<c>InvalidGroup.NotFound</c>): already deleted, nothing to do.</summary>
    NotFound,

    /// <summary>
    /// Something still uses the group (<c>DependencyViolation</c>: an ENI of a load balancer being deleted, or another
    /// group's rule). Transient while a load balancer is torn down: requeue and try again later.
    /// </summary>
    InUse,
}

/// <summary>The outcome of a security group deletion and AWS's message for the non-deleted cases.</summary>
public sealed record SecurityGroupDeletion(string GroupId, SecurityGroupDeletionOutcome Outcome, string? Message = null)
{
    /// <summary>True when the group is gone (deleted now or before).</summary>
    public bool IsGone => Outcome is SecurityGroupDeletionOutcome.Deleted or SecurityGroupDeletionOutcome.NotFound;
}

/// <summary>One network interface of an instance.</summary>
/// <param name="NetworkInterfaceId">The id (<c>eni-…</c>).</param>
/// <param name="DeviceIndex">The attachment's device index (0: the primary interface); null when not attached.</param>
/// <param name="SubnetId">The interface's subnet.</param>
/// <param name="PrivateIpAddress">The primary private IPv4 address.</param>
/// <param name="PrivateIpAddresses">Every private IPv4 address, primary first.</param>
/// <param name="SecurityGroupIds">The interface's security groups.</param>
public sealed record InstanceNetworkInterfaceInfo(
    string NetworkInterfaceId,
    int? DeviceIndex,
    string? SubnetId,
    string? PrivateIpAddress,
    IReadOnlyList<string> PrivateIpAddresses,
    IReadOnlyList<string> SecurityGroupIds);

/// <summary>An EC2 instance as target registration and node draining see it.</summary>
/// <param name="InstanceId">The id (<c>i-…</c>).</param>
/// <param name="State"><c>pending</c>, <c>running</c>, <c>shutting-down</c>, <c>terminated</c>, <c>stopping</c> or <c>stopped</c>.</param>
/// <param name="InstanceType">The instance type, e.g. <c>m5.large</c>.</param>
/// <param name="PrivateIpAddress">The primary private IPv4 address (null once terminated).</param>
/// <param name="SubnetId">The subnet (null once terminated).</param>
/// <param name="VpcId">The VPC (null once terminated).</param>
/// <param name="AvailabilityZone">The AZ name.</param>
/// <param name="NetworkInterfaces">The attached interfaces, by device index.</param>
/// <param name="SecurityGroupIds">The instance's security groups.</param>
/// <param name="Tags">The instance's tags.</param>
public sealed record InstanceInfo(
    string InstanceId,
    string State,
    string? InstanceType,
    string? PrivateIpAddress,
    string? SubnetId,
    string? VpcId,
    string? AvailabilityZone,
    IReadOnlyList<InstanceNetworkInterfaceInfo> NetworkInterfaces,
    IReadOnlyList<string> SecurityGroupIds,
    IReadOnlyDictionary<string, string> Tags)
{
    /// <summary>True in state <c>running</c>.</summary>
    public bool IsRunning => State == "running";
}

/// <summary>
/// An EC2 <c>Describe*</c> filter: a name and the values any of which may match. Filters are ANDed; a name may be
/// used once per call, so require a second tag with <see cref="Tag"/> (<c>tag:KEY</c>) rather than a second <see cref="TagKey"/>.
/// </summary>
public sealed record Ec2Filter(string Name, IReadOnlyList<string> Values)
{
    /// <summary><c>vpc-id</c>.</summary>
    public static Ec2Filter VpcId(string vpcId) => new("vpc-id", [vpcId]);

    /// <summary><c>tag-key</c>: the resource has a tag with this key (any value).</summary>
    public static Ec2Filter TagKey(string key) => new("tag-key", [key]);

    /// <summary><c>tag:KEY</c>: the resource's tag <paramref name="key"/> has one of <paramref name="values"/>.</summary>
    public static Ec2Filter Tag(string key, params string[] values) => new("tag:" + key, values);

    /// <summary><c>group-name</c> (security groups).</summary>
    public static Ec2Filter GroupName(params string[] names) => new("group-name", names);

    /// <summary><c>availability-zone</c> (subnets, instances).</summary>
    public static Ec2Filter AvailabilityZone(params string[] zones) => new("availability-zone", zones);
}

/// <summary>The tag keys the controller discovers and marks resources by.</summary>
public static class Ec2TagKeys
{
    /// <summary>Public subnets for internet-facing load balancers.</summary>
    public const string ElbRole = "kubernetes.io/role/elb";

    /// <summary>Private subnets for internal load balancers.</summary>
    public const string InternalElbRole = "kubernetes.io/role/internal-elb";

    /// <summary>Set by the controller on everything it creates: the cluster name.</summary>
    public const string ControllerCluster = "elbv2.k8s.aws/cluster";

    /// <summary>The display name tag.</summary>
    public const string Name = "Name";

    /// <summary><c>kubernetes.io/cluster/&lt;name&gt;</c> (values <c>owned</c> or <c>shared</c>).</summary>
    public static string Cluster(string clusterName) => "kubernetes.io/cluster/" + clusterName;
}
