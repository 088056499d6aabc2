using Serverless.Testing;
using System.Net;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Tests.Infrastructure;
using Ec2Model = Amazon.EC2.Model;

namespace Serverless.Aws.Tests.ElasticLoadBalancingV2;

[Collection(MotoCollection.Name)]
public sealed class LoadBalancerRoundTripTests(MotoFixture fixture) : MotoTest(fixture)
{
    [Fact]
    public async Task Creating_an_internet_facing_ALB_returns_its_scheme_type_vpc_zones_security_groups_dns_name_and_state()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);

        var response = await bed.Elb.CreateLoadBalancerAsync(new CreateLoadBalancerRequest
        {
            Name = "web",
            Type = LoadBalancerTypeEnumValues.Application,
            Scheme = LoadBalancerSchemeEnumValues.InternetFacing,
            Subnets = [.. bed.Sandbox.SubnetIds],
            SecurityGroups = [bed.Sandbox.SecurityGroupId],
            IpAddressType = IpAddressTypeValues.Ipv4,
            Tags = ElbTestBed.Tags(("cluster", "prod"), ("stack", "web")),
        });

        var lb = Assert.Single(response.LoadBalancers!);
        Assert.StartsWith("arn:aws:elasticloadbalancing:us-east-1:", lb.LoadBalancerArn, StringComparison.Ordinal);
        Assert.Contains(":loadbalancer/app/web/", lb.LoadBalancerArn, StringComparison.Ordinal);
        Assert.Equal("web", lb.LoadBalancerName);
        Assert.Equal(LoadBalancerSchemeEnumValues.InternetFacing, lb.Scheme);
        Assert.Equal(LoadBalancerTypeEnumValues.Application, lb.Type);
        Assert.Equal(IpAddressTypeValues.Ipv4, lb.IpAddressType);
        Assert.Equal(bed.VpcId, lb.VpcId);
        Assert.Equal([bed.Sandbox.SecurityGroupId], lb.SecurityGroups);
        Assert.False(string.IsNullOrEmpty(lb.DNSName));
        Assert.StartsWith("web-", lb.DNSName, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(lb.CanonicalHostedZoneId));
        Assert.NotNull(lb.CreatedTime);
        Assert.Equal(DateTimeKind.Utc, lb.CreatedTime!.Value.Kind);
        Assert.InRange(lb.CreatedTime.Value, DateTime.UtcNow.AddMinutes(-10), DateTime.UtcNow.AddMinutes(10));
        // AWS and moto both answer "provisioning" in the create reply.
        Assert.Equal(LoadBalancerStateEnumValues.Provisioning, lb.State?.Code);
        Assert.Equal(
            [("us-east-1a", bed.Sandbox.SubnetIds[0]), ("us-east-1b", bed.Sandbox.SubnetIds[1])],
            lb.AvailabilityZones!.Select(static z => (z.ZoneName, z.SubnetId)).OrderBy(static z => z.ZoneName));

        var tags = await bed.Elb.DescribeTagsAsync(new DescribeTagsRequest { ResourceArns = [lb.LoadBalancerArn!] });
        var described = Assert.Single(tags.TagDescriptions!);
        Assert.Equal(lb.LoadBalancerArn, described.ResourceArn);
        Assert.Equal(
            new Dictionary<string, string> { ["cluster"] = "prod", ["stack"] = "web" },
            ElbTestBed.TagMap(described.Tags));
    }

    [Fact]
    public async Task Describing_load_balancers_by_name_and_by_arn_returns_the_same_balancer_with_its_fields()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var created = await bed.CreateAlbAsync("web");
        await bed.CreateAlbAsync("other");

        var byName = await bed.Elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { Names = ["web"] });
        var byArn = await bed.Elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { LoadBalancerArns = [created.LoadBalancerArn!] });

        foreach (var lb in new[] { Assert.Single(byName.LoadBalancers!), Assert.Single(byArn.LoadBalancers!) })
        {
            Assert.Equal(created.LoadBalancerArn, lb.LoadBalancerArn);
            Assert.Equal("web", lb.LoadBalancerName);
            Assert.Equal(created.DNSName, lb.DNSName);
            Assert.Equal(LoadBalancerSchemeEnumValues.InternetFacing, lb.Scheme);
            Assert.Equal(LoadBalancerTypeEnumValues.Application, lb.Type);
            Assert.Equal(bed.VpcId, lb.VpcId);
            Assert.Equal([bed.Sandbox.SecurityGroupId], lb.SecurityGroups);
            Assert.Equal(bed.Sandbox.SubnetIds.Order(), lb.AvailabilityZones!.Select(static z => z.SubnetId!).Order());
            // AWS stays "provisioning" for a few minutes; moto turns "active" on the first describe.
            Assert.Contains(lb.State?.Code, new[] { LoadBalancerStateEnumValues.Provisioning, LoadBalancerStateEnumValues.Active });
        }
        Assert.Null(byName.NextMarker);
    }

    [Fact]
    public async Task Modified_load_balancer_attributes_are_read_back_by_describe()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");

        var modified = await bed.Elb.ModifyLoadBalancerAttributesAsync(new ModifyLoadBalancerAttributesRequest
        {
            LoadBalancerArn = lb.LoadBalancerArn,
            Attributes =
            [
                new LoadBalancerAttribute { Key = "idle_timeout.timeout_seconds", Value = "120" },
                new LoadBalancerAttribute { Key = "deletion_protection.enabled", Value = "true" },
                new LoadBalancerAttribute { Key = "routing.http2.enabled", Value = "false" },
            ],
        });
        var described = await bed.Elb.DescribeLoadBalancerAttributesAsync(new DescribeLoadBalancerAttributesRequest { LoadBalancerArn = lb.LoadBalancerArn });

        foreach (var attributes in new[] { modified.Attributes!, described.Attributes! })
        {
            var map = attributes.ToDictionary(static a => a.Key!, static a => a.Value, StringComparer.Ordinal);
            Assert.Equal("120", map["idle_timeout.timeout_seconds"]);
            Assert.Equal("true", map["deletion_protection.enabled"]);
            Assert.Equal("false", map["routing.http2.enabled"]);
        }
    }

    [Fact]
    public async Task Setting_security_groups_replaces_them_and_describe_returns_the_new_set()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");
        var second = (await bed.Ec2.CreateSecurityGroupAsync(new Ec2Model.CreateSecurityGroupRequest { GroupName = "second", Description = "second", VpcId = bed.VpcId })).GroupId;

        var response = await bed.Elb.SetSecurityGroupsAsync(new SetSecurityGroupsRequest
        {
            LoadBalancerArn = lb.LoadBalancerArn,
            SecurityGroups = [bed.Sandbox.SecurityGroupId, second],
        });

        Assert.Equal(new[] { bed.Sandbox.SecurityGroupId, second }.Order(), response.SecurityGroupIds!.Order());
        var described = Assert.Single((await bed.Elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { LoadBalancerArns = [lb.LoadBalancerArn!] })).LoadBalancers!);
        Assert.Equal(new[] { bed.Sandbox.SecurityGroupId, second }.Order(), described.SecurityGroups!.Order());
    }

    [Fact]
    public async Task Setting_subnets_moves_the_balancer_to_the_new_zones_and_describe_shows_them()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");
        var zoneC = (await bed.Ec2.CreateSubnetAsync(new Ec2Model.CreateSubnetRequest { VpcId = bed.VpcId, CidrBlock = "10.0.3.0/24", AvailabilityZone = "us-east-1c" })).Subnet.SubnetId;

        var response = await bed.Elb.SetSubnetsAsync(new SetSubnetsRequest
        {
            LoadBalancerArn = lb.LoadBalancerArn,
            Subnets = [bed.Sandbox.SubnetIds[0], zoneC],
        });

        Assert.Equal(
            [("us-east-1a", bed.Sandbox.SubnetIds[0]), ("us-east-1c", zoneC)],
            response.AvailabilityZones!.Select(static z => (z.ZoneName, z.SubnetId)).OrderBy(static z => z.ZoneName));
        var described = Assert.Single((await bed.Elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { LoadBalancerArns = [lb.LoadBalancerArn!] })).LoadBalancers!);
        Assert.Equal(
            [("us-east-1a", bed.Sandbox.SubnetIds[0]), ("us-east-1c", zoneC)],
            described.AvailabilityZones!.Select(static z => (z.ZoneName, z.SubnetId)).OrderBy(static z => z.ZoneName));
    }

    /// <remarks>
    /// AWS accepts <c>dualstack</c> only when the subnets have IPv6 CIDRs (moto does not check), so the VPC gets an
    /// Amazon-provided /56 and each subnet a /64 of it first.
    /// </remarks>
    [Fact]
    public async Task Setting_the_ip_address_type_to_dualstack_and_back_is_answered_and_read_back_by_describe()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        await AddIpv6CidrsAsync(bed);
        var lb = await bed.CreateAlbAsync("web");

        var dualstack = await bed.Elb.SetIpAddressTypeAsync(new SetIpAddressTypeRequest { LoadBalancerArn = lb.LoadBalancerArn, IpAddressType = IpAddressTypeValues.Dualstack });
        var afterDualstack = Assert.Single((await bed.Elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { LoadBalancerArns = [lb.LoadBalancerArn!] })).LoadBalancers!);
        var ipv4 = await bed.Elb.SetIpAddressTypeAsync(new SetIpAddressTypeRequest { LoadBalancerArn = lb.LoadBalancerArn, IpAddressType = IpAddressTypeValues.Ipv4 });
        var afterIpv4 = Assert.Single((await bed.Elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { Names = ["web"] })).LoadBalancers!);

        Assert.Equal(IpAddressTypeValues.Dualstack, dualstack.IpAddressType);
        Assert.Equal(IpAddressTypeValues.Dualstack, afterDualstack.IpAddressType);
        Assert.Equal(IpAddressTypeValues.Ipv4, ipv4.IpAddressType);
        Assert.Equal(IpAddressTypeValues.Ipv4, afterIpv4.IpAddressType);
    }

    [Fact]
    public async Task A_deleted_load_balancer_is_no_longer_found_by_arn_or_name()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web");
        var kept = await bed.CreateAlbAsync("kept");

        await bed.Elb.DeleteLoadBalancerAsync(new DeleteLoadBalancerRequest { LoadBalancerArn = lb.LoadBalancerArn });

        var byArn = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => bed.Elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { LoadBalancerArns = [lb.LoadBalancerArn!] }));
        ElbAssert.IsTypedError(byArn, ElasticLoadBalancingV2ErrorCode.LoadBalancerNotFound, static e => e.IsLoadBalancerNotFound);
        var byName = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => bed.Elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { Names = ["web"] }));
        Assert.True(byName.IsLoadBalancerNotFound);
        var all = await bed.Elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest());
        Assert.Equal([kept.LoadBalancerArn], all.LoadBalancers!.Select(static l => l.LoadBalancerArn));
    }

    private static async Task AddIpv6CidrsAsync(ElbTestBed bed)
    {
        var association = await bed.Ec2.AssociateVpcCidrBlockAsync(new Ec2Model.AssociateVpcCidrBlockRequest { VpcId = bed.VpcId, AmazonProvidedIpv6CidrBlock = true });
        var vpcBlock = IPNetwork.Parse(association.Ipv6CidrBlockAssociation.Ipv6CidrBlock);
        for (var i = 0; i < bed.Sandbox.SubnetIds.Count; i++)
        {
            // The /56 leaves byte 7 for the subnet number of each /64.
            var bytes = vpcBlock.BaseAddress.GetAddressBytes();
            bytes[7] = (byte)(i + 1);
            await bed.Ec2.AssociateSubnetCidrBlockAsync(new Ec2Model.AssociateSubnetCidrBlockRequest
            {
                SubnetId = bed.Sandbox.SubnetIds[i],
                Ipv6CidrBlock = new IPNetwork(new IPAddress(bytes), 64).ToString(),
            });
        }
    }
}
