using Serverless.Kubernetes.Manifests;
using Serverless.Model;
using YamlDotNet.RepresentationModel;

namespace Serverless.Ingress.Tests.Golden;

/// <summary>
/// One golden fixture: <c>Golden/Fixtures/&lt;case&gt;/input.yaml</c> (Kubernetes manifests plus one
/// <c>test.serverless-lbc/v1 GoldenContext</c> document) turned into a <see cref="GroupSnapshot"/>.
/// </summary>
public sealed class GoldenCase
{
    /// <summary>The apiVersion of the context document.</summary>
    public const string ContextApiVersion = "test.serverless-lbc/v1";

    /// <summary>The kind of the context document.</summary>
    public const string ContextKind = "GoldenContext";

    private GoldenCase(string name, ManifestSet manifests, GroupSnapshot snapshot)
    {
        Name = name;
        Manifests = manifests;
        Snapshot = snapshot;
    }

    /// <summary>The folder name.</summary>
    public string Name { get; }

    /// <summary>What input.yaml holds.</summary>
    public ManifestSet Manifests { get; }

    /// <summary>The builder's input.</summary>
    public GroupSnapshot Snapshot { get; }

    /// <summary>The fixtures folder next to the test binary (copied there by the build).</summary>
    public static string BuiltFixturesFolder => Path.Combine(AppContext.BaseDirectory, "Golden", "Fixtures");

    /// <summary>The fixtures folder in the source tree (where UPDATE_GOLDEN=1 writes).</summary>
    public static string SourceFixturesFolder => Testing.RepoPaths.Combine("tests", "Serverless.Ingress.Tests", "Golden", "Fixtures");

    /// <summary>Every case folder name, sorted.</summary>
    public static IReadOnlyList<string> All() =>
        [.. Directory.EnumerateDirectories(BuiltFixturesFolder).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    /// <summary>Loads a case; throws with every problem of its input.</summary>
    public static GoldenCase Load(string name)
    {
        var input = Path.Combine(BuiltFixturesFolder, name, "input.yaml");
        if (!File.Exists(input))
            throw new InvalidOperationException($"{name}: no input.yaml");
        var manifests = ManifestLoader.Load(input);
        var errors = new List<ManifestError>(manifests.Errors);
        var contexts = manifests.Skipped.Where(static d => d.Kind == ContextKind).ToList();
        foreach (var other in manifests.Skipped.Where(static d => d.Kind != ContextKind))
            errors.Add(other.Error(null, "kind", $"{other.ApiVersion} {other.Kind} is not used by the controller: leave it out of golden inputs"));
        GroupSnapshot? snapshot = null;
        if (contexts.Count != 1)
        {
            errors.Add(new ManifestError(input, null, null, null, null, null,
                $"expected exactly one {ContextApiVersion} {ContextKind} document, found {contexts.Count}"));
        }
        else
        {
            snapshot = ReadContext(contexts[0], manifests, errors);
        }
        if (errors.Count > 0 || snapshot is null)
            throw new ManifestException(errors);
        return new GoldenCase(name, manifests, snapshot);
    }

    private static GroupSnapshot? ReadContext(ManifestDocument document, ManifestSet manifests, List<ManifestError> errors)
    {
        var r = new YamlObjectReader(document, errors);
        var root = document.Root;
        if (document.ApiVersion != ContextApiVersion)
            r.Report(YamlObjectReader.Get(root, "apiVersion"), "apiVersion", $"expected {ContextApiVersion}");
        r.Known(root, string.Empty, "apiVersion", "kind", "metadata", "group", "cluster", "aws");

        var groupText = r.String(root, "group", string.Empty) ?? DefaultGroup(manifests);
        if (groupText is null)
        {
            r.Report(root, "group", "required when input.yaml has no Ingress");
            return null;
        }

        var cluster = ReadCluster(r, r.Mapping(root, "cluster", string.Empty));
        var aws = ReadAws(r, r.Mapping(root, "aws", string.Empty), cluster.ClusterName);
        return manifests.ToSnapshot(StackId.Parse(groupText), cluster, aws);
    }

    /// <summary>The group of the first Ingress: its <c>group.name</c> annotation, else <c>namespace/name</c>.</summary>
    private static string? DefaultGroup(ManifestSet manifests)
    {
        if (manifests.Ingresses.Count == 0)
            return null;
        var first = manifests.Ingresses[0];
        if (first.Metadata.Annotations?.TryGetValue(Annotations.Prefix + Annotations.GroupName, out var group) == true && group.Length > 0)
            return group;
        return $"{first.Metadata.NamespaceProperty}/{first.Metadata.Name}";
    }

    private static ClusterSettings ReadCluster(YamlObjectReader r, YamlMappingNode? node)
    {
        var defaults = new ClusterSettings { ClusterName = "prod", VpcId = "vpc-0example" };
        if (node is null)
            return defaults;
        const string p = "cluster";
        r.Known(node, p, "clusterName", "vpcId", "ingressClass", "defaultScheme", "defaultTargetType", "defaultSslPolicy", "defaultTags",
            "externalManagedTags", "enableBackendSecurityGroup", "backendSecurityGroupId", "manageBackendSecurityGroupRules",
            "disableRestrictedSecurityGroupRules", "maxRulesPerListener", "maxTargetGroupsPerLoadBalancer", "maxSecurityGroupsPerLoadBalancer");
        return new ClusterSettings
        {
            ClusterName = r.String(node, "clusterName", p) ?? defaults.ClusterName,
            VpcId = r.String(node, "vpcId", p) ?? defaults.VpcId,
            // An explicit empty string is meaningful here (manage Ingresses without a class).
            IngressClass = YamlObjectReader.Get(node, "ingressClass") is null && Has(node, "ingressClass") ? string.Empty : r.String(node, "ingressClass", p) ?? defaults.IngressClass,
            DefaultScheme = r.Enum(node, "defaultScheme", p, "internal", "internet-facing") ?? defaults.DefaultScheme,
            DefaultTargetType = r.Enum(node, "defaultTargetType", p, "instance", "ip") ?? defaults.DefaultTargetType,
            DefaultSslPolicy = r.String(node, "defaultSslPolicy", p) ?? defaults.DefaultSslPolicy,
            DefaultTags = r.StringMap(node, "defaultTags", p) ?? defaults.DefaultTags,
            ExternalManagedTags = r.StringList(node, "externalManagedTags", p) ?? defaults.ExternalManagedTags,
            EnableBackendSecurityGroup = r.Bool(node, "enableBackendSecurityGroup", p) ?? defaults.EnableBackendSecurityGroup,
            BackendSecurityGroupId = r.String(node, "backendSecurityGroupId", p),
            ManageBackendSecurityGroupRules = r.Bool(node, "manageBackendSecurityGroupRules", p) ?? defaults.ManageBackendSecurityGroupRules,
            DisableRestrictedSecurityGroupRules = r.Bool(node, "disableRestrictedSecurityGroupRules", p) ?? defaults.DisableRestrictedSecurityGroupRules,
            MaxRulesPerListener = (int?)r.Int(node, "maxRulesPerListener", p, 1, 1000) ?? defaults.MaxRulesPerListener,
            MaxTargetGroupsPerLoadBalancer = (int?)r.Int(node, "maxTargetGroupsPerLoadBalancer", p, 1, 1000) ?? defaults.MaxTargetGroupsPerLoadBalancer,
            MaxSecurityGroupsPerLoadBalancer = (int?)r.Int(node, "maxSecurityGroupsPerLoadBalancer", p, 1, 16) ?? defaults.MaxSecurityGroupsPerLoadBalancer,
        };
    }

    private static bool Has(YamlMappingNode node, string key) =>
        node.Children.Keys.Any(k => k is YamlScalarNode { Value: var v } && v == key);

    private static AwsFacts ReadAws(YamlObjectReader r, YamlMappingNode? node, string clusterName)
    {
        if (node is null)
            return Sandbox(clusterName, new AwsFacts());
        const string p = "aws";
        r.Known(node, p, "subnets", "securityGroups", "existingLoadBalancer", "vpcCidrs", "nodeSecurityGroupIds", "backendSecurityGroupId", "targetGroupArnsByName", "certificates", "webAclArnsByName");

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
            r.Known(s, path, "id", "availabilityZone", "zoneType", "cidrBlock", "availableIpAddressCount", "hasIpv6", "tags");
            subnets.Add(new SubnetFact
            {
                Id = r.String(s, "id", path, required: true) ?? string.Empty,
                AvailabilityZone = r.String(s, "availabilityZone", path, required: true) ?? string.Empty,
                ZoneType = r.Enum(s, "zoneType", path, "availability-zone", "local-zone", "wavelength-zone", "outpost") ?? "availability-zone",
                CidrBlock = r.String(s, "cidrBlock", path) ?? string.Empty,
                AvailableIpAddressCount = (int?)r.Int(s, "availableIpAddressCount", path, 0, int.MaxValue) ?? 250,
                HasIpv6 = r.Bool(s, "hasIpv6", path) ?? false,
                Tags = r.StringMap(s, "tags", path) ?? new Dictionary<string, string>(),
            });
        }

        var groups = new List<SecurityGroupFact>();
        index = 0;
        foreach (var item in r.Sequence(node, "securityGroups", p)?.Children ?? [])
        {
            var path = YamlObjectReader.Item("aws.securityGroups", index++);
            if (item is not YamlMappingNode g)
            {
                r.Report(item, path, "expected a security group mapping");
                continue;
            }
            r.Known(g, path, "id", "name", "tags");
            groups.Add(new SecurityGroupFact
            {
                Id = r.String(g, "id", path, required: true) ?? string.Empty,
                Name = r.String(g, "name", path) ?? string.Empty,
                Tags = r.StringMap(g, "tags", path) ?? new Dictionary<string, string>(),
            });
        }

        ExistingLoadBalancerFact? existing = null;
        if (r.Mapping(node, "existingLoadBalancer", p) is { } lb)
        {
            r.Known(lb, "aws.existingLoadBalancer", "scheme", "subnetIds");
            existing = new ExistingLoadBalancerFact
            {
                Scheme = r.Enum(lb, "scheme", "aws.existingLoadBalancer", "internal", "internet-facing") ?? "internal",
                SubnetIds = r.StringList(lb, "subnetIds", "aws.existingLoadBalancer") ?? [],
            };
        }

        var certificates = new List<CertificateFact>();
        index = 0;
        foreach (var item in r.Sequence(node, "certificates", p)?.Children ?? [])
        {
            var path = YamlObjectReader.Item("aws.certificates", index++);
            if (item is not YamlMappingNode c)
            {
                r.Report(item, path, "expected a certificate mapping");
                continue;
            }
            r.Known(c, path, "arn", "domains");
            certificates.Add(new CertificateFact
            {
                Arn = r.String(c, "arn", path, required: true) ?? string.Empty,
                Domains = r.StringList(c, "domains", path) ?? [],
            });
        }

        var facts = new AwsFacts
        {
            Certificates = certificates,
            Subnets = subnets,
            SecurityGroups = groups,
            ExistingLoadBalancer = existing,
            VpcCidrs = r.StringList(node, "vpcCidrs", p) ?? [],
            NodeSecurityGroupIds = r.StringList(node, "nodeSecurityGroupIds", p) ?? [],
            BackendSecurityGroupId = r.String(node, "backendSecurityGroupId", p),
            TargetGroupArnsByName = r.StringMap(node, "targetGroupArnsByName", p) ?? new Dictionary<string, string>(),
            WebAclArnsByName = r.StringMap(node, "webAclArnsByName", p) ?? new Dictionary<string, string>(),
        };
        return Sandbox(clusterName, facts);
    }

    /// <summary>The default sandbox VPC, filling what the context leaves out (see README.md).</summary>
    public static AwsFacts Sandbox(string clusterName, AwsFacts given)
    {
        ArgumentNullException.ThrowIfNull(given);
        var nodeSg = new SecurityGroupFact
        {
            Id = "sg-0a1b2c3d4e5f60001",
            Name = $"eks-cluster-sg-{clusterName}",
            Tags = new Dictionary<string, string> { [$"kubernetes.io/cluster/{clusterName}"] = "owned", ["Name"] = $"eks-cluster-sg-{clusterName}" },
        };
        return given with
        {
            Subnets = given.Subnets.Count > 0 ? given.Subnets : DefaultSubnets(clusterName),
            SecurityGroups = given.SecurityGroups.Count > 0 ? given.SecurityGroups : [nodeSg],
            NodeSecurityGroupIds = given.NodeSecurityGroupIds.Count > 0 ? given.NodeSecurityGroupIds : [nodeSg.Id],
            VpcCidrs = given.VpcCidrs.Count > 0 ? given.VpcCidrs : ["10.0.0.0/16"],
        };
    }

    /// <summary>3 public subnets (role/elb, tagged for the cluster) and 3 private ones (role/internal-elb) in us-east-1a/b/c.</summary>
    public static IReadOnlyList<SubnetFact> DefaultSubnets(string clusterName)
    {
        var zones = new[] { "a", "b", "c" };
        var subnets = new List<SubnetFact>();
        for (var i = 0; i < 3; i++)
        {
            subnets.Add(new SubnetFact
            {
                Id = $"subnet-0a1{zones[i]}000000000000{i + 1}",
                AvailabilityZone = "us-east-1" + zones[i],
                CidrBlock = $"10.0.{i * 16}.0/20",
                AvailableIpAddressCount = 4000,
                Tags = new Dictionary<string, string>
                {
                    ["Name"] = $"{clusterName}-public-us-east-1{zones[i]}",
                    ["kubernetes.io/role/elb"] = "1",
                    [$"kubernetes.io/cluster/{clusterName}"] = "owned",
                },
            });
        }
        for (var i = 0; i < 3; i++)
        {
            subnets.Add(new SubnetFact
            {
                Id = $"subnet-0b1{zones[i]}000000000000{i + 4}",
                AvailabilityZone = "us-east-1" + zones[i],
                CidrBlock = $"10.0.{128 + (i * 32)}.0/19",
                AvailableIpAddressCount = 8000,
                Tags = new Dictionary<string, string>
                {
                    ["Name"] = $"{clusterName}-private-us-east-1{zones[i]}",
                    ["kubernetes.io/role/internal-elb"] = "1",
                },
            });
        }
        return subnets;
    }
}
