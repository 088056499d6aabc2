using Amazon.Runtime;
using Amazon.EC2;
using Amazon.EC2.Model;
using Serverless.Aws.Core;
using Filter = Amazon.EC2.Model.Filter;

namespace Serverless.Aws.Ec2;

/// <summary>
/// The EC2 calls the controller makes: VPC and subnet discovery, the load balancer's security groups and their
/// ingress rules, and instance lookups for targets. Results are small immutable records, not SDK types. Describe
/// calls page internally. Failures surface as <see cref="AmazonEC2Exception"/>; <see cref="Ec2Errors"/> classifies
/// the codes the controller branches on. Describing an empty id list returns an empty list without calling AWS
/// (EC2 would answer with every resource of the account).
/// </summary>
public interface IEc2Gateway
{
    /// <summary>The VPC <paramref name="vpcId"/>; throws <c>InvalidVpcID.NotFound</c> when it does not exist.</summary>
    Task<VpcInfo> DescribeVpcAsync(string vpcId, CancellationToken cancellationToken = default);

    /// <summary>The subnets <paramref name="subnetIds"/>; throws <c>InvalidSubnetID.NotFound</c> if any does not exist.</summary>
    Task<IReadOnlyList<SubnetInfo>> DescribeSubnetsAsync(IReadOnlyCollection<string> subnetIds, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every subnet matching all <paramref name="filters"/> (e.g. <see cref="Ec2Filter.VpcId"/> and <see cref="Ec2Filter.TagKey"/>).
    /// Each filter name may appear once (<see cref="ArgumentException"/> otherwise); require several tags with <see cref="Ec2Filter.Tag"/>.
    /// </summary>
    Task<IReadOnlyList<SubnetInfo>> FindSubnetsAsync(IReadOnlyList<Ec2Filter> filters, CancellationToken cancellationToken = default);

    /// <summary>The security groups <paramref name="groupIds"/>; throws <c>InvalidGroup.NotFound</c> if any does not exist.</summary>
    Task<IReadOnlyList<SecurityGroupInfo>> DescribeSecurityGroupsAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken = default);

    /// <summary>Every security group matching all <paramref name="filters"/> (e.g. VPC and <c>tag:elbv2.k8s.aws/cluster</c>).</summary>
    Task<IReadOnlyList<SecurityGroupInfo>> FindSecurityGroupsAsync(IReadOnlyList<Ec2Filter> filters, CancellationToken cancellationToken = default);

    /// <summary>Creates a security group in <paramref name="vpcId"/>, tagged at creation; returns its id.</summary>
    Task<string> CreateSecurityGroupAsync(
        string vpcId,
        string groupName,
        string description,
        IReadOnlyDictionary<string, string> tags,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes a security group. <c>DependencyViolation</c> and <c>InvalidGroup.NotFound</c> are outcomes, not
    /// exceptions: the first means "requeue and try again", the second "already gone".
    /// </summary>
    Task<SecurityGroupDeletion> DeleteSecurityGroupAsync(string groupId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds ingress rules in one call. AWS rejects the whole call with <c>InvalidPermission.Duplicate</c> if any rule
    /// exists already: diff against <see cref="SecurityGroupInfo.Ingress"/> first.
    /// </summary>
    Task AuthorizeIngressAsync(string groupId, IReadOnlyList<IngressRule> rules, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes ingress rules in one call. Returns the rules AWS reported as unknown (not revoked because they did not
    /// exist); AWS may instead fail with <c>InvalidPermission.NotFound</c>.
    /// </summary>
    Task<IReadOnlyList<IngressRule>> RevokeIngressAsync(string groupId, IReadOnlyList<IngressRule> rules, CancellationToken cancellationToken = default);

    /// <summary>The instances <paramref name="instanceIds"/>; throws <c>InvalidInstanceID.NotFound</c> if any does not exist.</summary>
    Task<IReadOnlyList<InstanceInfo>> DescribeInstancesAsync(IReadOnlyCollection<string> instanceIds, CancellationToken cancellationToken = default);
}

/// <inheritdoc cref="IEc2Gateway"/>
public sealed class Ec2Gateway : IEc2Gateway, IDisposable
{
    /// <summary>Largest page EC2 returns for filter-based describes.</summary>
    internal const int DefaultPageSize = 1000;

    /// <summary>Ids per describe call (EC2 caps filter values at 200; ids are kept well below).</summary>
    internal const int DefaultIdsPerCall = 100;

    private readonly IAmazonEC2 _ec2;
    private readonly bool _ownsClient;
    private readonly int _pageSize;
    private readonly int _idsPerCall;

    /// <summary>A gateway over an existing client (which the caller keeps owning).</summary>
    public Ec2Gateway(IAmazonEC2 ec2)
        : this(ec2, ownsClient: false, DefaultPageSize, DefaultIdsPerCall)
    {
    }

    internal Ec2Gateway(IAmazonEC2 ec2, bool ownsClient, int pageSize, int idsPerCall)
    {
        ArgumentNullException.ThrowIfNull(ec2);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 5);
        ArgumentOutOfRangeException.ThrowIfLessThan(idsPerCall, 1);
        _ec2 = ec2;
        _ownsClient = ownsClient;
        _pageSize = pageSize;
        _idsPerCall = idsPerCall;
    }

    /// <summary>
    /// A gateway over the SDK's EC2 client configured by <paramref name="options"/>, with our backoff and its calls
    /// counted in <see cref="AwsClientOptions.CallRecorder"/> under service <c>EC2</c>.
    /// </summary>
    public static Ec2Gateway Create(AwsClientOptions options) => Create(options, DefaultPageSize, DefaultIdsPerCall);

    /// <summary>
    /// The SDK's EC2 client on our pipeline (backoff, call counting) for the few callers that need operations the
    /// gateway does not wrap, such as seeding the embedded AWS's sandbox. The caller owns and disposes it.
    /// </summary>
    public static IAmazonEC2 CreateSdkClient(AwsClientOptions options) => Ec2SdkClient.Create(options);

    internal static Ec2Gateway Create(AwsClientOptions options, int pageSize, int idsPerCall) =>
        new(Ec2SdkClient.Create(options), ownsClient: true, pageSize, idsPerCall);

    /// <inheritdoc />
    public async Task<VpcInfo> DescribeVpcAsync(string vpcId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(vpcId);
        var response = await _ec2.DescribeVpcsAsync(new DescribeVpcsRequest { VpcIds = [vpcId] }, cancellationToken).ConfigureAwait(false);
        var vpc = response.Vpcs?.FirstOrDefault(v => v.VpcId == vpcId)
            ?? throw new AmazonEC2Exception($"The vpc ID '{vpcId}' does not exist")
            {
                ErrorCode = Ec2ErrorCode.InvalidVpcIdNotFound,
                StatusCode = System.Net.HttpStatusCode.BadRequest,
            };
        return ToVpc(vpc);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SubnetInfo>> DescribeSubnetsAsync(IReadOnlyCollection<string> subnetIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subnetIds);
        var result = new List<SubnetInfo>();
        foreach (var chunk in Chunks(subnetIds))
        {
            var request = new DescribeSubnetsRequest { SubnetIds = chunk };
            await foreach (var subnet in PagesAsync(request, static (c, r, t) => c.DescribeSubnetsAsync(r, t), static r => r.NextToken, static r => r.Subnets, static (r, t) => r.NextToken = t, cancellationToken).ConfigureAwait(false))
                result.Add(ToSubnet(subnet));
        }
        return result;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SubnetInfo>> FindSubnetsAsync(IReadOnlyList<Ec2Filter> filters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filters);
        var request = new DescribeSubnetsRequest { Filters = ToFilters(filters), MaxResults = _pageSize };
        var result = new List<SubnetInfo>();
        await foreach (var subnet in PagesAsync(request, static (c, r, t) => c.DescribeSubnetsAsync(r, t), static r => r.NextToken, static r => r.Subnets, static (r, t) => r.NextToken = t, cancellationToken).ConfigureAwait(false))
            result.Add(ToSubnet(subnet));
        return result;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SecurityGroupInfo>> DescribeSecurityGroupsAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groupIds);
        var result = new List<SecurityGroupInfo>();
        foreach (var chunk in Chunks(groupIds))
        {
            var request = new DescribeSecurityGroupsRequest { GroupIds = chunk };
            await foreach (var group in PagesAsync(request, static (c, r, t) => c.DescribeSecurityGroupsAsync(r, t), static r => r.NextToken, static r => r.SecurityGroups, static (r, t) => r.NextToken = t, cancellationToken).ConfigureAwait(false))
                result.Add(ToSecurityGroup(group));
        }
        return result;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SecurityGroupInfo>> FindSecurityGroupsAsync(IReadOnlyList<Ec2Filter> filters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filters);
        var request = new DescribeSecurityGroupsRequest { Filters = ToFilters(filters), MaxResults = _pageSize };
        var result = new List<SecurityGroupInfo>();
        await foreach (var group in PagesAsync(request, static (c, r, t) => c.DescribeSecurityGroupsAsync(r, t), static r => r.NextToken, static r => r.SecurityGroups, static (r, t) => r.NextToken = t, cancellationToken).ConfigureAwait(false))
            result.Add(ToSecurityGroup(group));
        return result;
    }

    /// <inheritdoc />
    public async Task<string> CreateSecurityGroupAsync(
        string vpcId,
        string groupName,
        string description,
        IReadOnlyDictionary<string, string> tags,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(vpcId);
        ArgumentException.ThrowIfNullOrEmpty(groupName);
        ArgumentException.ThrowIfNullOrEmpty(description);
        ArgumentNullException.ThrowIfNull(tags);
        var request = new CreateSecurityGroupRequest
        {
            VpcId = vpcId,
            GroupName = groupName,
            Description = description,
        };
        if (tags.Count > 0)
        {
            request.TagSpecifications =
            [
                new TagSpecification
                {
                    ResourceType = ResourceType.SecurityGroup,
                    Tags = [.. tags.OrderBy(static t => t.Key, StringComparer.Ordinal).Select(static t => new Tag(t.Key, t.Value))],
                },
            ];
        }
        var response = await Reported(_ec2.CreateSecurityGroupAsync(request, cancellationToken)).ConfigureAwait(false);
        return response.GroupId;
    }

    /// <inheritdoc />
    public async Task<SecurityGroupDeletion> DeleteSecurityGroupAsync(string groupId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        try
        {
            await Reported(_ec2.DeleteSecurityGroupAsync(new DeleteSecurityGroupRequest { GroupId = groupId }, cancellationToken)).ConfigureAwait(false);
            return new SecurityGroupDeletion(groupId, SecurityGroupDeletionOutcome.Deleted);
        }
        catch (AmazonEC2Exception ex) when (ex.IsDependencyViolation())
        {
            AwsRequestIds.Report(ex.RequestId);
            return new SecurityGroupDeletion(groupId, SecurityGroupDeletionOutcome.InUse, ex.Message);
        }
        catch (AmazonEC2Exception ex) when (ex.IsGroupNotFound())
        {
            AwsRequestIds.Report(ex.RequestId);
            return new SecurityGroupDeletion(groupId, SecurityGroupDeletionOutcome.NotFound, ex.Message);
        }
    }

    /// <inheritdoc />
    public async Task AuthorizeIngressAsync(string groupId, IReadOnlyList<IngressRule> rules, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.Count == 0)
            return;
        var request = new AuthorizeSecurityGroupIngressRequest { GroupId = groupId, IpPermissions = [.. rules.Select(ToPermission)] };
        await Reported(_ec2.AuthorizeSecurityGroupIngressAsync(request, cancellationToken)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<IngressRule>> RevokeIngressAsync(string groupId, IReadOnlyList<IngressRule> rules, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.Count == 0)
            return [];
        var request = new RevokeSecurityGroupIngressRequest { GroupId = groupId, IpPermissions = [.. rules.Select(ToPermission)] };
        var response = await Reported(_ec2.RevokeSecurityGroupIngressAsync(request, cancellationToken)).ConfigureAwait(false);
        return [.. (response.UnknownIpPermissions ?? []).SelectMany(ToRules)];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<InstanceInfo>> DescribeInstancesAsync(IReadOnlyCollection<string> instanceIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instanceIds);
        var result = new List<InstanceInfo>();
        foreach (var chunk in Chunks(instanceIds))
        {
            // MaxResults may not be combined with InstanceIds; EC2 still pages by NextToken.
            var request = new DescribeInstancesRequest { InstanceIds = chunk };
            await foreach (var reservation in PagesAsync(request, static (c, r, t) => c.DescribeInstancesAsync(r, t), static r => r.NextToken, static r => r.Reservations, static (r, t) => r.NextToken = t, cancellationToken).ConfigureAwait(false))
            {
                foreach (var instance in reservation.Instances ?? [])
                    result.Add(ToInstance(instance));
            }
        }
        return result;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsClient)
            _ec2.Dispose();
    }

    /// <summary>Reports the request id of a mutating call's response (or error) to the caller's <see cref="AwsRequestIds"/> capture.</summary>
    private static async Task<T> Reported<T>(Task<T> call)
        where T : AmazonWebServiceResponse
    {
        try
        {
            var response = await call.ConfigureAwait(false);
            AwsRequestIds.Report(response.ResponseMetadata?.RequestId);
            return response;
        }
        catch (AmazonServiceException ex)
        {
            AwsRequestIds.Report(ex.RequestId);
            throw;
        }
    }

    private IEnumerable<List<string>> Chunks(IReadOnlyCollection<string> ids) =>
        ids.Distinct(StringComparer.Ordinal).Chunk(_idsPerCall).Select(static c => c.ToList());

    private async IAsyncEnumerable<TItem> PagesAsync<TRequest, TResponse, TItem>(
        TRequest request,
        Func<IAmazonEC2, TRequest, CancellationToken, Task<TResponse>> call,
        Func<TResponse, string?> nextToken,
        Func<TResponse, List<TItem>?> items,
        Action<TRequest, string> setToken,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var page = await call(_ec2, request, cancellationToken).ConfigureAwait(false);
            foreach (var item in items(page) ?? [])
                yield return item;
            var token = nextToken(page);
            // An empty token ends the listing; a repeated one would loop forever.
            if (string.IsNullOrEmpty(token) || !seen.Add(token))
                yield break;
            setToken(request, token);
        }
    }

    private static List<Filter> ToFilters(IReadOnlyList<Ec2Filter> filters)
    {
        // A name given twice is ANDed by EC2 but collapsed to the last one by moto: refuse it rather than test one
        // meaning and ship the other. Tag filters have distinct names (tag:KEY) and combine fine.
        var duplicate = filters.GroupBy(static f => f.Name, StringComparer.Ordinal).FirstOrDefault(static g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"filter '{duplicate.Key}' is given {duplicate.Count()} times; use tag:KEY filters to require several tags", nameof(filters));
        return [.. filters.Select(static f => new Filter(f.Name, [.. f.Values]))];
    }

    private static Dictionary<string, string> ToTags(List<Tag>? tags)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in tags ?? [])
        {
            if (tag.Key is not null)
                map[tag.Key] = tag.Value ?? string.Empty;
        }
        return map;
    }

    private static VpcInfo ToVpc(Vpc vpc)
    {
        var cidrs = new List<string>();
        if (!string.IsNullOrEmpty(vpc.CidrBlock))
            cidrs.Add(vpc.CidrBlock);
        foreach (var association in vpc.CidrBlockAssociationSet ?? [])
        {
            var state = association.CidrBlockState?.State?.Value;
            if (!string.IsNullOrEmpty(association.CidrBlock) && (state is null || state == "associated") && !cidrs.Contains(association.CidrBlock))
                cidrs.Add(association.CidrBlock);
        }
        var ipv6 = new List<string>();
        foreach (var association in vpc.Ipv6CidrBlockAssociationSet ?? [])
        {
            var state = association.Ipv6CidrBlockState?.State?.Value;
            if (!string.IsNullOrEmpty(association.Ipv6CidrBlock) && (state is null || state == "associated"))
                ipv6.Add(association.Ipv6CidrBlock.ToLowerInvariant());
        }
        return new VpcInfo(vpc.VpcId, vpc.State?.Value ?? string.Empty, cidrs, ipv6, ToTags(vpc.Tags));
    }

    private static SubnetInfo ToSubnet(Subnet subnet)
    {
        var ipv6 = new List<string>();
        foreach (var association in subnet.Ipv6CidrBlockAssociationSet ?? [])
        {
            var state = association.Ipv6CidrBlockState?.State?.Value;
            if (!string.IsNullOrEmpty(association.Ipv6CidrBlock) && (state is null || state == "associated"))
                ipv6.Add(association.Ipv6CidrBlock.ToLowerInvariant());
        }
        return new SubnetInfo(
            subnet.SubnetId,
            subnet.VpcId,
            subnet.AvailabilityZone ?? string.Empty,
            subnet.AvailabilityZoneId ?? string.Empty,
            subnet.CidrBlock ?? string.Empty,
            ipv6,
            subnet.AvailableIpAddressCount ?? 0,
            subnet.MapPublicIpOnLaunch ?? false,
            ToTags(subnet.Tags));
    }

    private static SecurityGroupInfo ToSecurityGroup(SecurityGroup group) => new(
        group.GroupId,
        group.GroupName ?? string.Empty,
        group.Description ?? string.Empty,
        group.VpcId ?? string.Empty,
        [.. (group.IpPermissions ?? []).SelectMany(ToRules)],
        ToTags(group.Tags));

    /// <summary>One SDK permission (a protocol and port range with several sources) as one rule per source.</summary>
    internal static IEnumerable<IngressRule> ToRules(IpPermission permission)
    {
        var protocol = permission.IpProtocol;
        int? from = permission.FromPort, to = permission.ToPort;
        foreach (var range in permission.Ipv4Ranges ?? [])
            yield return IngressRule.Normalize(new IngressRule(protocol, from, to, CidrIpv4: range.CidrIp, Description: range.Description));
        foreach (var range in permission.Ipv6Ranges ?? [])
            yield return IngressRule.Normalize(new IngressRule(protocol, from, to, CidrIpv6: range.CidrIpv6, Description: range.Description));
        foreach (var prefixList in permission.PrefixListIds ?? [])
            yield return IngressRule.Normalize(new IngressRule(protocol, from, to, PrefixListId: prefixList.Id, Description: prefixList.Description));
        foreach (var pair in permission.UserIdGroupPairs ?? [])
            yield return IngressRule.Normalize(new IngressRule(protocol, from, to, SourceSecurityGroupId: pair.GroupId, Description: pair.Description));
    }

    internal static IpPermission ToPermission(IngressRule rule)
    {
        rule = IngressRule.Normalize(rule);
        var permission = new IpPermission { IpProtocol = rule.Protocol };
        if (rule.Protocol != "-1")
        {
            permission.FromPort = rule.FromPort;
            permission.ToPort = rule.ToPort;
        }
        if (rule.CidrIpv4 is not null)
            permission.Ipv4Ranges = [new IpRange { CidrIp = rule.CidrIpv4, Description = rule.Description }];
        else if (rule.CidrIpv6 is not null)
            permission.Ipv6Ranges = [new Ipv6Range { CidrIpv6 = rule.CidrIpv6, Description = rule.Description }];
        else if (rule.PrefixListId is not null)
            permission.PrefixListIds = [new PrefixListId { Id = rule.PrefixListId, Description = rule.Description }];
        else
            permission.UserIdGroupPairs = [new UserIdGroupPair { GroupId = rule.SourceSecurityGroupId, Description = rule.Description }];
        return permission;
    }

    private static InstanceInfo ToInstance(Instance instance)
    {
        var interfaces = (instance.NetworkInterfaces ?? [])
            .Select(static eni => new InstanceNetworkInterfaceInfo(
                eni.NetworkInterfaceId,
                eni.Attachment?.DeviceIndex,
                eni.SubnetId,
                eni.PrivateIpAddress,
                [.. (eni.PrivateIpAddresses ?? [])
                    .OrderByDescending(static ip => ip.Primary ?? false)
                    .Select(static ip => ip.PrivateIpAddress)
                    .Where(static ip => !string.IsNullOrEmpty(ip))],
                [.. (eni.Groups ?? []).Select(static g => g.GroupId)]))
            .OrderBy(static eni => eni.DeviceIndex ?? int.MaxValue)
            .ToList();
        return new InstanceInfo(
            instance.InstanceId,
            instance.State?.Name?.Value ?? string.Empty,
            instance.InstanceType?.Value,
            instance.PrivateIpAddress,
            instance.SubnetId,
            instance.VpcId,
            instance.Placement?.AvailabilityZone,
            interfaces,
            [.. (instance.SecurityGroups ?? []).Select(static g => g.GroupId)],
            ToTags(instance.Tags));
    }
}
