using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Aws.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Aws.Tests.Ec2;

[Collection(MotoCollection.Name)]
public sealed class Ec2GatewayTests(MotoFixture fixture) : MotoTest(fixture), IDisposable
{
    private const string Cluster = "demo";
    private readonly AmazonEC2Client _sdk = new(
        new BasicAWSCredentials("testing", "testing"),
        new AmazonEC2Config { ServiceURL = fixture.Server.Endpoint, AuthenticationRegion = "us-east-1" });

    public void Dispose() => _sdk.Dispose();

    [Fact]
    public async Task A_VPC_is_described_with_its_primary_and_associated_IPv4_CIDRs_its_IPv6_CIDR_and_tags()
    {
        var vpcId = (await _sdk.CreateVpcAsync(new CreateVpcRequest
        {
            CidrBlock = "10.1.0.0/16",
            AmazonProvidedIpv6CidrBlock = true,
            TagSpecifications = [new TagSpecification { ResourceType = ResourceType.Vpc, Tags = [new Tag("Name", "main")] }],
        })).Vpc.VpcId;
        await _sdk.AssociateVpcCidrBlockAsync(new AssociateVpcCidrBlockRequest { VpcId = vpcId, CidrBlock = "10.2.0.0/16" });
        using var ec2 = Ec2Gateway.Create(Moto.ClientOptions());

        var vpc = await ec2.DescribeVpcAsync(vpcId);

        Assert.Equal(vpcId, vpc.VpcId);
        Assert.Equal("available", vpc.State);
        Assert.Equal(["10.1.0.0/16", "10.2.0.0/16"], vpc.CidrBlocks);
        var ipv6 = Assert.Single(vpc.Ipv6CidrBlocks);
        Assert.EndsWith("::/56", ipv6, StringComparison.Ordinal);
        Assert.Equal("main", vpc.Tags["Name"]);
    }

    [Fact]
    public async Task Describing_a_missing_VPC_raises_InvalidVpcID_NotFound()
    {
        using var ec2 = Ec2Gateway.Create(Moto.ClientOptions());

        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.DescribeVpcAsync("vpc-0123456789abcdef0"));

        Assert.True(error.IsVpcNotFound(), error.ErrorCode);
        Assert.Equal(Ec2ErrorCode.InvalidVpcIdNotFound, error.ErrorCode);
    }

    [Fact]
    public async Task Tag_filters_select_public_internal_cluster_and_named_subnets_of_one_VPC_only()
    {
        var vpcId = await CreateVpcAsync("10.0.0.0/16");
        var otherVpcId = await CreateVpcAsync("10.9.0.0/16");
        var publicA = await CreateSubnetAsync(vpcId, "10.0.1.0/24", "us-east-1a", ("kubernetes.io/role/elb", "1"), (Ec2TagKeys.Cluster(Cluster), "shared"), ("Name", "public-a"));
        var publicB = await CreateSubnetAsync(vpcId, "10.0.2.0/24", "us-east-1b", ("kubernetes.io/role/elb", ""), ("Name", "public-b"));
        var privateA = await CreateSubnetAsync(vpcId, "10.0.3.0/24", "us-east-1a", ("kubernetes.io/role/internal-elb", "1"), (Ec2TagKeys.Cluster(Cluster), "owned"), ("Name", "private-a"));
        await CreateSubnetAsync(vpcId, "10.0.4.0/24", "us-east-1c", ("Name", "untagged"));
        await CreateSubnetAsync(otherVpcId, "10.9.1.0/24", "us-east-1a", ("kubernetes.io/role/elb", "1"), ("Name", "public-a"));
        using var ec2 = Ec2Gateway.Create(Moto.ClientOptions());

        var elb = await ec2.FindSubnetsAsync([Ec2Filter.VpcId(vpcId), Ec2Filter.TagKey(Ec2TagKeys.ElbRole)]);
        var internalElb = await ec2.FindSubnetsAsync([Ec2Filter.VpcId(vpcId), Ec2Filter.TagKey(Ec2TagKeys.InternalElbRole)]);
        var cluster = await ec2.FindSubnetsAsync([Ec2Filter.VpcId(vpcId), Ec2Filter.TagKey(Ec2TagKeys.Cluster(Cluster))]);
        var named = await ec2.FindSubnetsAsync([Ec2Filter.VpcId(vpcId), Ec2Filter.Tag(Ec2TagKeys.Name, "public-a", "private-a")]);
        var publicInCluster = await ec2.FindSubnetsAsync(
            [Ec2Filter.VpcId(vpcId), Ec2Filter.Tag(Ec2TagKeys.ElbRole, "", "1"), Ec2Filter.TagKey(Ec2TagKeys.Cluster(Cluster))]);
        await Assert.ThrowsAsync<ArgumentException>(() => ec2.FindSubnetsAsync(
            [Ec2Filter.TagKey(Ec2TagKeys.ElbRole), Ec2Filter.TagKey(Ec2TagKeys.Cluster(Cluster))]));

        Assert.Equal(Sorted(publicA, publicB), Sorted(elb.Select(s => s.SubnetId)));
        Assert.Equal([privateA], internalElb.Select(s => s.SubnetId));
        Assert.Equal(Sorted(publicA, privateA), Sorted(cluster.Select(s => s.SubnetId)));
        Assert.Equal(Sorted(publicA, privateA), Sorted(named.Select(s => s.SubnetId)));
        Assert.Equal([publicA], publicInCluster.Select(s => s.SubnetId));
        var a = elb.Single(s => s.SubnetId == publicA);
        Assert.Equal(vpcId, a.VpcId);
        Assert.Equal("us-east-1a", a.AvailabilityZone);
        Assert.StartsWith("use1-az", a.AvailabilityZoneId, StringComparison.Ordinal);
        Assert.Equal("10.0.1.0/24", a.CidrBlock);
        Assert.Equal(251, a.AvailableIpAddressCount); // 256 minus the 5 addresses AWS reserves
        Assert.Empty(a.Ipv6CidrBlocks);
        Assert.Equal("1", a.Tags["kubernetes.io/role/elb"]);
        Assert.Equal("shared", a.Tags[Ec2TagKeys.Cluster(Cluster)]);
        Assert.Equal("public-a", a.Tags["Name"]);
        Assert.Equal(string.Empty, elb.Single(s => s.SubnetId == publicB).Tags["kubernetes.io/role/elb"]);
    }

    [Fact]
    public async Task Subnets_described_by_id_come_back_with_their_fields_and_an_unknown_id_raises_InvalidSubnetID_NotFound()
    {
        var vpcId = await CreateVpcAsync("10.0.0.0/16");
        var a = await CreateSubnetAsync(vpcId, "10.0.1.0/24", "us-east-1a");
        var b = await CreateSubnetAsync(vpcId, "10.0.2.0/24", "us-east-1b");
        using var ec2 = Ec2Gateway.Create(Moto.ClientOptions());

        var subnets = await ec2.DescribeSubnetsAsync([a, b]);
        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.DescribeSubnetsAsync([a, "subnet-0123456789abcdef0"]));

        Assert.Equal(Sorted(a, b), Sorted(subnets.Select(s => s.SubnetId)));
        Assert.Equal(["us-east-1a", "us-east-1b"], subnets.OrderBy(s => s.CidrBlock, StringComparer.Ordinal).Select(s => s.AvailabilityZone));
        Assert.True(error.IsSubnetNotFound(), error.ErrorCode);
    }

    [Fact]
    public async Task Describing_an_empty_id_list_returns_nothing_without_calling_EC2()
    {
        var recorder = new AwsCallRecorder();
        using var ec2 = Ec2Gateway.Create(Moto.ClientOptions(recorder));

        Assert.Empty(await ec2.DescribeSubnetsAsync([]));
        Assert.Empty(await ec2.DescribeSecurityGroupsAsync([]));
        Assert.Empty(await ec2.DescribeInstancesAsync([]));
        await ec2.AuthorizeIngressAsync("sg-12345678", []);
        Assert.Empty(await ec2.RevokeIngressAsync("sg-12345678", []));

        Assert.Equal(0, recorder.TotalCalls);
    }

    [Fact]
    public async Task Filtered_subnet_describes_send_MaxResults_and_follow_NextToken_until_the_last_page()
    {
        const string ns = "http://ec2.amazonaws.com/doc/2016-11-15/";
        static string Page(string subnetId, string? next) =>
            $"<DescribeSubnetsResponse xmlns=\"{ns}\"><requestId>r</requestId><subnetSet><item><subnetId>{subnetId}</subnetId><vpcId>vpc-1</vpcId>"
            + "<availabilityZone>us-east-1a</availabilityZone><availabilityZoneId>use1-az1</availabilityZoneId><cidrBlock>10.0.0.0/24</cidrBlock>"
            + "<availableIpAddressCount>250</availableIpAddressCount><mapPublicIpOnLaunch>true</mapPublicIpOnLaunch></item></subnetSet>"
            + (next is null ? string.Empty : $"<nextToken>{next}</nextToken>") + "</DescribeSubnetsResponse>";
        CannedResponseHandler? handler = null;
        var options = Moto.ClientOptions(wrap: inner => handler = new CannedResponseHandler(inner, request =>
            CannedResponseHandler.Xml(request.Form["NextToken"] switch
            {
                null => Page("subnet-1", "page-2"),
                "page-2" => Page("subnet-2", "page-3"),
                _ => Page("subnet-3", null),
            })));
        using var ec2 = Ec2Gateway.Create(options, pageSize: 5, idsPerCall: 100);

        var subnets = await ec2.FindSubnetsAsync([Ec2Filter.VpcId("vpc-1")]);

        Assert.Equal(["subnet-1", "subnet-2", "subnet-3"], subnets.Select(s => s.SubnetId));
        Assert.True(subnets[0].MapPublicIpOnLaunch);
        Assert.Equal("use1-az1", subnets[0].AvailabilityZoneId);
        Assert.Equal(250, subnets[0].AvailableIpAddressCount);
        var requests = handler!.Requests;
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Equal("DescribeSubnets", r.Form["Action"]));
        Assert.All(requests, r => Assert.Equal("5", r.Form["MaxResults"]));
        Assert.All(requests, r => Assert.Equal("vpc-id", r.Form["Filter.1.Name"]));
        Assert.All(requests, r => Assert.Equal("vpc-1", r.Form["Filter.1.Value.1"]));
        Assert.Equal([null, "page-2", "page-3"], requests.Select(r => r.Form["NextToken"]));
        Assert.Equal(3, options.CallRecorder.CallsOf("EC2", "DescribeSubnets"));
    }

    [Fact]
    public async Task A_security_group_is_created_with_its_tags_and_found_by_VPC_cluster_tag_and_name()
    {
        var vpcId = await CreateVpcAsync("10.0.0.0/16");
        var otherVpcId = await CreateVpcAsync("10.9.0.0/16");
        using var ec2 = Ec2Gateway.Create(Moto.ClientOptions());
        var tags = new Dictionary<string, string>
        {
            [Ec2TagKeys.ControllerCluster] = Cluster,
            ["ingress.k8s.aws/stack"] = "default/web",
            ["ingress.k8s.aws/resource"] = "ManagedLBSecurityGroup",
        };

        var groupId = await ec2.CreateSecurityGroupAsync(vpcId, "k8s-default-web-0123456789", "[k8s] Managed SecurityGroup for LoadBalancer", tags);
        await ec2.CreateSecurityGroupAsync(vpcId, "unrelated", "not the controller's", new Dictionary<string, string>());
        await ec2.CreateSecurityGroupAsync(otherVpcId, "k8s-default-web-0123456789", "same name, other VPC", tags);

        Assert.StartsWith("sg-", groupId, StringComparison.Ordinal);
        var described = Assert.Single(await ec2.DescribeSecurityGroupsAsync([groupId]));
        Assert.Equal(groupId, described.GroupId);
        Assert.Equal("k8s-default-web-0123456789", described.GroupName);
        Assert.Equal("[k8s] Managed SecurityGroup for LoadBalancer", described.Description);
        Assert.Equal(vpcId, described.VpcId);
        Assert.Equal(tags.OrderBy(t => t.Key), described.Tags.OrderBy(t => t.Key));
        Assert.Empty(described.Ingress);
        var byClusterTag = await ec2.FindSecurityGroupsAsync([Ec2Filter.VpcId(vpcId), Ec2Filter.Tag(Ec2TagKeys.ControllerCluster, Cluster)]);
        Assert.Equal([groupId], byClusterTag.Select(g => g.GroupId));
        var byName = await ec2.FindSecurityGroupsAsync([Ec2Filter.VpcId(vpcId), Ec2Filter.GroupName("k8s-default-web-0123456789")]);
        Assert.Equal([groupId], byName.Select(g => g.GroupId));
    }

    [Fact]
    public async Task Ingress_rules_of_every_source_kind_are_authorized_and_read_back_normalized_one_record_per_source()
    {
        var vpcId = await CreateVpcAsync("10.0.0.0/16");
        var prefixListId = (await _sdk.CreateManagedPrefixListAsync(new CreateManagedPrefixListRequest
        {
            PrefixListName = "corp",
            AddressFamily = "IPv4",
            MaxEntries = 5,
            Entries = [new AddPrefixListEntry { Cidr = "192.168.0.0/16" }],
        })).PrefixList.PrefixListId;
        using var ec2 = Ec2Gateway.Create(Moto.ClientOptions());
        var lbGroup = await ec2.CreateSecurityGroupAsync(vpcId, "lb", "load balancer", new Dictionary<string, string>());
        var nodeGroup = await ec2.CreateSecurityGroupAsync(vpcId, "nodes", "nodes", new Dictionary<string, string>());
        IngressRule[] lbRules =
        [
            IngressRule.TcpFromCidr(443, "0.0.0.0/0", "https from anywhere"),
            IngressRule.TcpFromIpv6Cidr(443, "::/0"),
            new IngressRule("6", 80, 80, CidrIpv4: "10.0.0.0/8", Description: ""),
            IngressRule.TcpFromPrefixList(443, prefixListId), // moto drops a prefix list rule's description
            new IngressRule("-1", 0, 65535, CidrIpv4: "172.16.0.0/12"),
        ];
        IngressRule[] nodeRules = [IngressRule.TcpFromSecurityGroup(30000, 32767, lbGroup, "from the load balancer")];

        await ec2.AuthorizeIngressAsync(lbGroup, lbRules);
        await ec2.AuthorizeIngressAsync(nodeGroup, nodeRules);

        var groups = (await ec2.DescribeSecurityGroupsAsync([lbGroup, nodeGroup])).ToDictionary(g => g.GroupId);
        IngressRule[] expectedLb =
        [
            new("tcp", 443, 443, CidrIpv4: "0.0.0.0/0", Description: "https from anywhere"),
            new("tcp", 443, 443, CidrIpv6: "::/0"),
            new("tcp", 80, 80, CidrIpv4: "10.0.0.0/8"),
            new("tcp", 443, 443, PrefixListId: prefixListId),
            new("-1", null, null, CidrIpv4: "172.16.0.0/12"),
        ];
        Assert.Equal(expectedLb.ToHashSet(), groups[lbGroup].Ingress.ToHashSet());
        Assert.Equal(expectedLb.Length, groups[lbGroup].Ingress.Count);
        Assert.Equal([new IngressRule("tcp", 30000, 32767, SourceSecurityGroupId: lbGroup, Description: "from the load balancer")], groups[nodeGroup].Ingress);
    }

    [Fact]
    public async Task Authorizing_a_rule_that_exists_already_raises_InvalidPermission_Duplicate()
    {
        var vpcId = await CreateVpcAsync("10.0.0.0/16");
        using var ec2 = Ec2Gateway.Create(Moto.ClientOptions());
        var group = await ec2.CreateSecurityGroupAsync(vpcId, "lb", "load balancer", new Dictionary<string, string>());
        await ec2.AuthorizeIngressAsync(group, [IngressRule.TcpFromCidr(443, "0.0.0.0/0")]);

        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(
            () => ec2.AuthorizeIngressAsync(group, [IngressRule.TcpFromCidr(443, "0.0.0.0/0")]));

        Assert.True(error.IsPermissionDuplicate(), error.ErrorCode);
        Assert.Equal(Ec2ErrorCode.InvalidPermissionDuplicate, error.ErrorCode);
    }

    [Fact]
    public async Task Revoking_removes_exactly_the_given_rules_and_revoking_a_missing_rule_is_reported_as_not_found()
    {
        var vpcId = await CreateVpcAsync("10.0.0.0/16");
        using var ec2 = Ec2Gateway.Create(Moto.ClientOptions());
        var group = await ec2.CreateSecurityGroupAsync(vpcId, "lb", "load balancer", new Dictionary<string, string>());
        var https = IngressRule.TcpFromCidr(443, "0.0.0.0/0");
        var http = IngressRule.TcpFromCidr(80, "0.0.0.0/0");
        await ec2.AuthorizeIngressAsync(group, [https, http]);

        var unknown = await ec2.RevokeIngressAsync(group, [http]);

        Assert.Empty(unknown);
        Assert.Equal([https], (await ec2.DescribeSecurityGroupsAsync([group])).Single().Ingress);
        // AWS either answers success listing the rule in UnknownIpPermissions or fails with InvalidPermission.NotFound;
        // callers must treat both as "already revoked".
        try
        {
            var stillUnknown = await ec2.RevokeIngressAsync(group, [http]);
            Assert.Equal([http], stillUnknown);
        }
        catch (AmazonEC2Exception ex)
        {
            Assert.True(ex.IsPermissionNotFound(), ex.ErrorCode);
        }
    }

    [Fact]
    public async Task Deleting_a_security_group_reports_Deleted_then_NotFound_once_it_is_gone()
    {
        var vpcId = await CreateVpcAsync("10.0.0.0/16");
        using var ec2 = Ec2Gateway.Create(Moto.ClientOptions());
        var group = await ec2.CreateSecurityGroupAsync(vpcId, "lb", "load balancer", new Dictionary<string, string>());

        var first = await ec2.DeleteSecurityGroupAsync(group);
        var second = await ec2.DeleteSecurityGroupAsync(group);

        Assert.Equal(SecurityGroupDeletionOutcome.Deleted, first.Outcome);
        Assert.True(first.IsGone);
        Assert.Equal(SecurityGroupDeletionOutcome.NotFound, second.Outcome);
        Assert.True(second.IsGone);
        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.DescribeSecurityGroupsAsync([group]));
        Assert.True(error.IsGroupNotFound(), error.ErrorCode);
    }

    /// <summary>
    /// moto deletes a group that another group's rule still references (AWS refuses with DependencyViolation), so the
    /// mapping is checked against AWS's documented EC2 error response instead.
    /// </summary>
    [Fact]
    public async Task Deleting_a_security_group_still_in_use_maps_DependencyViolation_to_the_InUse_outcome()
    {
        const string body =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>DependencyViolation</Code>"
            + "<Message>resource sg-0123456789abcdef0 has a dependent object</Message></Error></Errors>"
            + "<RequestID>3f6e2a8c-1b1e-4c5e-9d3a-7f0b2c1d4e5f</RequestID></Response>";
        CannedResponseHandler? handler = null;
        var recorder = new AwsCallRecorder();
        var options = Moto.ClientOptions(recorder, inner => handler = new CannedResponseHandler(
            inner, _ => CannedResponseHandler.Xml(body, System.Net.HttpStatusCode.BadRequest)));
        using var ec2 = Ec2Gateway.Create(options);

        var deletion = await ec2.DeleteSecurityGroupAsync("sg-0123456789abcdef0");

        Assert.Equal(SecurityGroupDeletionOutcome.InUse, deletion.Outcome);
        Assert.False(deletion.IsGone);
        Assert.Equal("resource sg-0123456789abcdef0 has a dependent object", deletion.Message);
        var request = Assert.Single(handler!.Requests); // a client error is not retried
        Assert.Equal("DeleteSecurityGroup", request.Form["Action"]);
        Assert.Equal("sg-0123456789abcdef0", request.Form["GroupId"]);
        Assert.Equal(1, recorder.CallsOf("EC2", "DeleteSecurityGroup"));
    }

    [Fact]
    public async Task Running_instances_are_described_with_state_private_IP_subnet_AZ_network_interface_groups_and_tags()
    {
        var vpcId = await CreateVpcAsync("10.0.0.0/16");
        var subnetId = await CreateSubnetAsync(vpcId, "10.0.1.0/24", "us-east-1a");
        var groupId = (await _sdk.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = "nodes", Description = "nodes", VpcId = vpcId })).GroupId;
        var imageId = (await _sdk.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["amazon"] })).Images[0].ImageId;
        var launched = (await _sdk.RunInstancesAsync(new RunInstancesRequest
        {
            ImageId = imageId,
            InstanceType = InstanceType.M5Large,
            MinCount = 2,
            MaxCount = 2,
            SubnetId = subnetId,
            SecurityGroupIds = [groupId],
            TagSpecifications = [new TagSpecification { ResourceType = ResourceType.Instance, Tags = [new Tag("eks:nodegroup-name", "ng-1")] }],
        })).Reservation.Instances.Select(i => i.InstanceId).ToList();
        await _sdk.TerminateInstancesAsync(new TerminateInstancesRequest { InstanceIds = [launched[1]] });
        using var ec2 = Ec2Gateway.Create(Moto.ClientOptions());

        var instances = (await ec2.DescribeInstancesAsync(launched)).ToDictionary(i => i.InstanceId);

        Assert.Equal(launched.Order(StringComparer.Ordinal), instances.Keys.Order(StringComparer.Ordinal));
        var running = instances[launched[0]];
        Assert.Equal("running", running.State);
        Assert.True(running.IsRunning);
        Assert.Equal("m5.large", running.InstanceType);
        Assert.StartsWith("10.0.1.", running.PrivateIpAddress, StringComparison.Ordinal);
        Assert.Equal(subnetId, running.SubnetId);
        Assert.Equal(vpcId, running.VpcId);
        Assert.Equal("us-east-1a", running.AvailabilityZone);
        Assert.Equal([groupId], running.SecurityGroupIds);
        Assert.Equal("ng-1", running.Tags["eks:nodegroup-name"]);
        var eni = Assert.Single(running.NetworkInterfaces);
        Assert.StartsWith("eni-", eni.NetworkInterfaceId, StringComparison.Ordinal);
        Assert.Equal(0, eni.DeviceIndex);
        Assert.Equal(subnetId, eni.SubnetId);
        Assert.Equal(running.PrivateIpAddress, eni.PrivateIpAddress);
        Assert.Equal(running.PrivateIpAddress, eni.PrivateIpAddresses[0]);
        Assert.Equal([groupId], eni.SecurityGroupIds);
        var terminated = instances[launched[1]];
        Assert.Equal("terminated", terminated.State);
        Assert.False(terminated.IsRunning);
    }

    [Fact]
    public async Task Instances_are_described_in_chunks_of_ids_and_an_unknown_id_raises_InvalidInstanceID_NotFound()
    {
        var vpcId = await CreateVpcAsync("10.0.0.0/16");
        var subnetId = await CreateSubnetAsync(vpcId, "10.0.1.0/24", "us-east-1a");
        var imageId = (await _sdk.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["amazon"] })).Images[0].ImageId;
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            // One reservation per instance, as separate node launches produce.
            var reservation = await _sdk.RunInstancesAsync(new RunInstancesRequest { ImageId = imageId, MinCount = 1, MaxCount = 1, SubnetId = subnetId });
            ids.Add(reservation.Reservation.Instances[0].InstanceId);
        }
        var recorder = new AwsCallRecorder();
        using var ec2 = Ec2Gateway.Create(Moto.ClientOptions(recorder), pageSize: 5, idsPerCall: 2);

        var instances = await ec2.DescribeInstancesAsync([.. ids, ids[0]]);
        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.DescribeInstancesAsync(["i-0123456789abcdef0"]));

        Assert.Equal(ids.Order(StringComparer.Ordinal), instances.Select(i => i.InstanceId).Order(StringComparer.Ordinal));
        Assert.Equal(3, recorder.CallsOf("EC2", "DescribeInstances")); // 2 chunks (duplicates dropped) + the failing call
        Assert.True(error.IsInstanceNotFound(), error.ErrorCode);
    }

    [Fact]
    public async Task EC2_calls_are_counted_in_the_shared_call_recorder_under_service_EC2()
    {
        var recorder = new AwsCallRecorder();
        var vpcId = await CreateVpcAsync("10.0.0.0/16");
        using var ec2 = Ec2Gateway.Create(Moto.ClientOptions(recorder));

        await ec2.DescribeVpcAsync(vpcId);
        await ec2.FindSubnetsAsync([Ec2Filter.VpcId(vpcId)]);
        await ec2.FindSubnetsAsync([Ec2Filter.VpcId(vpcId)]);
        var group = await ec2.CreateSecurityGroupAsync(vpcId, "lb", "load balancer", new Dictionary<string, string>());
        await ec2.DeleteSecurityGroupAsync(group);

        Assert.Equal(
            new Dictionary<string, long>
            {
                ["EC2:CreateSecurityGroup"] = 1,
                ["EC2:DeleteSecurityGroup"] = 1,
                ["EC2:DescribeSubnets"] = 2,
                ["EC2:DescribeVpcs"] = 1,
            },
            recorder.Calls);
        Assert.Equal(recorder.Calls, recorder.Attempts);
    }

    [Fact]
    public async Task A_throttled_EC2_call_is_retried_with_backoff_and_succeeds_as_one_call_of_three_attempts()
    {
        var vpcId = await CreateVpcAsync("10.0.0.0/16");
        await CreateSubnetAsync(vpcId, "10.0.1.0/24", "us-east-1a");
        FaultInjectionHandler? handler = null;
        var recorder = new AwsCallRecorder();
        var rule = new FaultRule("DescribeSubnets", FaultKind.Throttle) { Times = 2 };
        var options = Moto.ClientOptions(recorder, inner => handler = new FaultInjectionHandler(inner).Add(rule));
        using var ec2 = Ec2Gateway.Create(options);

        var subnets = await ec2.FindSubnetsAsync([Ec2Filter.VpcId(vpcId)]);

        Assert.Single(subnets);
        Assert.Equal(2, FaultInjectionHandler.HitsOf(rule));
        Assert.Equal(3, handler!.AttemptsOf("DescribeSubnets"));
        Assert.Equal(1, recorder.CallsOf("EC2", "DescribeSubnets"));
        Assert.Equal(3, recorder.Attempts["EC2:DescribeSubnets"]);
    }

    [Fact]
    public async Task An_EC2_call_throttled_past_every_retry_surfaces_RequestLimitExceeded()
    {
        FaultInjectionHandler? handler = null;
        var options = Moto.ClientOptions(wrap: inner => handler = new FaultInjectionHandler(inner).Add(new FaultRule("DescribeSubnets", FaultKind.Throttle)))
            with { MaxErrorRetry = 2 };
        using var ec2 = Ec2Gateway.Create(options);

        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.FindSubnetsAsync([]));

        Assert.True(error.IsRequestLimitExceeded(), error.ErrorCode);
        Assert.Equal("Rate exceeded", error.Message);
        Assert.Equal(3, handler!.AttemptsOf("DescribeSubnets"));
    }

    [Fact]
    public async Task The_HTTP_handler_wrapper_is_built_once_per_client_however_many_calls_it_makes()
    {
        var built = 0;
        using var ec2 = Ec2Gateway.Create(Moto.ClientOptions(wrap: inner =>
        {
            Interlocked.Increment(ref built);
            return inner;
        }));

        for (var i = 0; i < 3; i++)
            await ec2.FindSubnetsAsync([]);

        Assert.Equal(1, built);
    }

    private async Task<string> CreateVpcAsync(string cidr) =>
        (await _sdk.CreateVpcAsync(new CreateVpcRequest { CidrBlock = cidr })).Vpc.VpcId;

    private async Task<string> CreateSubnetAsync(string vpcId, string cidr, string zone, params (string Key, string Value)[] tags)
    {
        var request = new CreateSubnetRequest { VpcId = vpcId, CidrBlock = cidr, AvailabilityZone = zone };
        if (tags.Length > 0)
            request.TagSpecifications = [new TagSpecification { ResourceType = ResourceType.Subnet, Tags = [.. tags.Select(t => new Tag(t.Key, t.Value))] }];
        return (await _sdk.CreateSubnetAsync(request)).Subnet.SubnetId;
    }

    private static string[] Sorted(params string[] ids) => [.. ids.Order(StringComparer.Ordinal)];

    private static string[] Sorted(IEnumerable<string> ids) => [.. ids.Order(StringComparer.Ordinal)];
}
