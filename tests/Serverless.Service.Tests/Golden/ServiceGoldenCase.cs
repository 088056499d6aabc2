using Serverless.Ingress;
using Serverless.Kubernetes.Manifests;
using Serverless.Model;
using YamlDotNet.RepresentationModel;

namespace Serverless.Service.Tests.Golden;

/// <summary>
/// One golden fixture: <c>Golden/Fixtures/&lt;case&gt;/input.yaml</c> (one Service, its EndpointSlices and the Nodes,
/// plus one <c>test.serverless-lbc/v1 ServiceGoldenContext</c> document) turned into a <see cref="ServiceSnapshot"/>.
/// </summary>
public sealed class ServiceGoldenCase
{
    public const string ContextApiVersion = "test.serverless-lbc/v1";
    public const string ContextKind = "ServiceGoldenContext";

    private ServiceGoldenCase(string name, ServiceSnapshot snapshot)
    {
        Name = name;
        Snapshot = snapshot;
    }

    public string Name { get; }

    public ServiceSnapshot Snapshot { get; }

    public static string BuiltFixturesFolder => Path.Combine(AppContext.BaseDirectory, "Golden", "Fixtures");

    public static string SourceFixturesFolder => Testing.RepoPaths.Combine("tests", "Serverless.Service.Tests", "Golden", "Fixtures");

    public static IReadOnlyList<string> All() =>
        [.. Directory.EnumerateDirectories(BuiltFixturesFolder).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    /// <summary>Loads a case; throws with every problem of its input.</summary>
    public static ServiceGoldenCase Load(string name)
    {
        var input = Path.Combine(BuiltFixturesFolder, name, "input.yaml");
        var manifests = ManifestLoader.Load(input);
        var errors = new List<ManifestError>(manifests.Errors);
        var contexts = manifests.Skipped.Where(static d => d.Kind == ContextKind).ToList();
        foreach (var other in manifests.Skipped.Where(static d => d.Kind != ContextKind))
            errors.Add(other.Error(null, "kind", $"{other.ApiVersion} {other.Kind} is not used by the Service builder"));
        if (manifests.Services.Count != 1)
            errors.Add(new ManifestError(input, null, null, null, null, null, $"expected exactly one Service, found {manifests.Services.Count}"));
        if (contexts.Count != 1)
            errors.Add(new ManifestError(input, null, null, null, null, null, $"expected exactly one {ContextKind} document, found {contexts.Count}"));
        if (errors.Count > 0)
            throw new ManifestException(errors);

        var service = manifests.Services[0];
        var r = new YamlObjectReader(contexts[0], errors);
        var root = contexts[0].Root;
        r.Known(root, string.Empty, "apiVersion", "kind", "metadata", "cluster", "loadBalancerClass", "aws");
        var cluster = ReadCluster(r, r.Mapping(root, "cluster", string.Empty));
        var (aws, existingGroups, ipv6Cidrs) = ReadAws(r, r.Mapping(root, "aws", string.Empty), cluster.ClusterName);
        if (errors.Count > 0)
            throw new ManifestException(errors);
        var snapshot = new ServiceSnapshot
        {
            Stack = StackId.Service(service.Metadata.NamespaceProperty ?? "default", service.Metadata.Name),
            Cluster = cluster,
            LoadBalancerClass = r.String(root, "loadBalancerClass", string.Empty) ?? ServiceSelection.DefaultLoadBalancerClass,
            Aws = aws,
            Service = service,
            EndpointSlices = manifests.EndpointSlices,
            Nodes = manifests.Nodes,
            ExistingLoadBalancerSecurityGroups = existingGroups,
            SubnetIpv6Cidrs = ipv6Cidrs,
        };
        return new ServiceGoldenCase(name, snapshot);
    }

    private static ClusterSettings ReadCluster(YamlObjectReader r, YamlMappingNode? node)
    {
        var defaults = new ClusterSettings { ClusterName = "my-cluster", VpcId = "vpc-0example" };
        if (node is null)
            return defaults;
        const string p = "cluster";
        r.Known(node, p, "clusterName", "defaultScheme", "defaultTargetType", "defaultSslPolicy", "defaultTags", "externalManagedTags",
            "enableBackendSecurityGroup", "backendSecurityGroupId", "manageBackendSecurityGroupRules", "disableRestrictedSecurityGroupRules");
        return defaults with
        {
            ClusterName = r.String(node, "clusterName", p) ?? defaults.ClusterName,
            DefaultScheme = r.Enum(node, "defaultScheme", p, "internal", "internet-facing") ?? defaults.DefaultScheme,
            DefaultTargetType = r.Enum(node, "defaultTargetType", p, "instance", "ip") ?? defaults.DefaultTargetType,
            DefaultSslPolicy = r.String(node, "defaultSslPolicy", p) ?? defaults.DefaultSslPolicy,
            DefaultTags = r.StringMap(node, "defaultTags", p) ?? defaults.DefaultTags,
            ExternalManagedTags = r.StringList(node, "externalManagedTags", p) ?? defaults.ExternalManagedTags,
            EnableBackendSecurityGroup = r.Bool(node, "enableBackendSecurityGroup", p) ?? defaults.EnableBackendSecurityGroup,
            BackendSecurityGroupId = r.String(node, "backendSecurityGroupId", p),
            ManageBackendSecurityGroupRules = r.Bool(node, "manageBackendSecurityGroupRules", p) ?? false,
            DisableRestrictedSecurityGroupRules = r.Bool(node, "disableRestrictedSecurityGroupRules", p) ?? false,
        };
    }

    private static (AwsFacts Aws, IReadOnlyList<string>? ExistingGroups, Dictionary<string, IReadOnlyList<string>> Ipv6Cidrs) ReadAws(
        YamlObjectReader r, YamlMappingNode? node, string clusterName)
    {
        var ipv6Cidrs = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (node is null)
            return (Sandbox(clusterName, new AwsFacts(), ipv6Cidrs), null, ipv6Cidrs);
        const string p = "aws";
        r.Known(node, p, "subnets", "securityGroups", "existingLoadBalancer", "vpcCidrs", "nodeSecurityGroupIds");
        var subnets = new List<SubnetFact>();
        var index = 0;
        foreach (var item in r.Sequence(node, "subnets", p)?.Children ?? [])
        {
            var path = YamlObjectReader.Item("aws.subnets", index++);
            if (item is not YamlMappingNode s)
            {
                r.Report(item, path, "expected a subnet mapping");
                continue;
            }
            r.Known(s, path, "id", "availabilityZone", "cidrBlock", "ipv6Cidrs", "availableIpAddressCount", "tags");
            var id = r.String(s, "id", path, required: true) ?? string.Empty;
            var v6 = r.StringList(s, "ipv6Cidrs", path) ?? [];
            if (v6.Count > 0)
                ipv6Cidrs[id] = v6;
            subnets.Add(new SubnetFact
            {
                Id = id,
                AvailabilityZone = r.String(s, "availabilityZone", path, required: true) ?? string.Empty,
                CidrBlock = r.String(s, "cidrBlock", path) ?? string.Empty,
                HasIpv6 = v6.Count > 0,
                AvailableIpAddressCount = (int?)r.Int(s, "availableIpAddressCount", path, 0, int.MaxValue) ?? 250,
                Tags = r.StringMap(s, "tags", path) ?? new Dictionary<string, string>(),
            });
        }
        var groups = new List<SecurityGroupFact>();
        index = 0;
        foreach (var item in r.Sequence(node, "securityGroups", p)?.Children ?? [])
        {
            var path = YamlObjectReader.Item("aws.securityGroups", index++);
            if (item is YamlMappingNode g)
            {
                r.Known(g, path, "id", "tags");
                groups.Add(new SecurityGroupFact { Id = r.String(g, "id", path, required: true) ?? string.Empty, Tags = r.StringMap(g, "tags", path) ?? new Dictionary<string, string>() });
            }
        }
        ExistingLoadBalancerFact? existing = null;
        IReadOnlyList<string>? existingGroups = null;
        if (r.Mapping(node, "existingLoadBalancer", p) is { } lb)
        {
            const string lp = "aws.existingLoadBalancer";
            r.Known(lb, lp, "scheme", "subnetIds", "securityGroups");
            existing = new ExistingLoadBalancerFact
            {
                Scheme = r.String(lb, "scheme", lp) ?? "internal",
                SubnetIds = r.StringList(lb, "subnetIds", lp) ?? [],
            };
            existingGroups = r.StringList(lb, "securityGroups", lp);
        }
        var facts = new AwsFacts
        {
            Subnets = subnets,
            SecurityGroups = groups,
            ExistingLoadBalancer = existing,
            VpcCidrs = r.StringList(node, "vpcCidrs", p) ?? [],
            NodeSecurityGroupIds = r.StringList(node, "nodeSecurityGroupIds", p) ?? [],
        };
        return (Sandbox(clusterName, facts, ipv6Cidrs), existingGroups, ipv6Cidrs);
    }

    /// <summary>
    /// What a context leaves out: 3 public subnets (role/elb) and 3 private ones (role/internal-elb) in us-west-2a/b/c,
    /// private ones with IPv6 CIDRs; VPC 192.168.0.0/16; one node security group.
    /// </summary>
    public static AwsFacts Sandbox(string clusterName, AwsFacts given, Dictionary<string, IReadOnlyList<string>> ipv6Cidrs)
    {
        ArgumentNullException.ThrowIfNull(given);
        ArgumentNullException.ThrowIfNull(ipv6Cidrs);
        var subnets = given.Subnets;
        if (subnets.Count == 0)
        {
            var list = new List<SubnetFact>();
            var zones = new[] { "a", "b", "c" };
            for (var i = 0; i < zones.Length; i++)
            {
                list.Add(new SubnetFact
                {
                    Id = $"subnet-0public{i + 1}",
                    AvailabilityZone = "us-west-2" + zones[i],
                    CidrBlock = $"192.168.{i * 32}.0/19",
                    Tags = new Dictionary<string, string> { ["kubernetes.io/role/elb"] = "1", [$"kubernetes.io/cluster/{clusterName}"] = "owned", ["Name"] = $"public-{zones[i]}" },
                });
                var privateId = $"subnet-0private{i + 1}";
                ipv6Cidrs.TryAdd(privateId, [$"2600:1f14:aaa:{i + 1}00::/56"]);
                list.Add(new SubnetFact
                {
                    Id = privateId,
                    AvailabilityZone = "us-west-2" + zones[i],
                    CidrBlock = $"192.168.{96 + (i * 32)}.0/19",
                    HasIpv6 = true,
                    Tags = new Dictionary<string, string> { ["kubernetes.io/role/internal-elb"] = "1", [$"kubernetes.io/cluster/{clusterName}"] = "owned", ["Name"] = $"private-{zones[i]}" },
                });
            }
            subnets = list;
        }
        return given with
        {
            Subnets = subnets,
            SecurityGroups = given.SecurityGroups.Count > 0 ? given.SecurityGroups : [new SecurityGroupFact { Id = "sg-0node", Tags = new Dictionary<string, string> { [$"kubernetes.io/cluster/{clusterName}"] = "owned" } }],
            NodeSecurityGroupIds = given.NodeSecurityGroupIds.Count > 0 ? given.NodeSecurityGroupIds : ["sg-0node"],
            VpcCidrs = given.VpcCidrs.Count > 0 ? given.VpcCidrs : ["192.168.0.0/16"],
        };
    }
}
