using System.Text.RegularExpressions;
using Serverless.Ingress;
using YamlDotNet.RepresentationModel;

namespace Serverless.Kubernetes.Manifests;

/// <summary>
/// Reads an <c>elbv2.k8s.aws/v1beta1</c> IngressClassParams document by hand from its node tree, with the CRD's
/// enum and pattern checks. Fields upstream has and we do not model yet are warnings, not errors.
/// </summary>
internal static partial class IngressClassParamsParser
{
    private static readonly string[] SpecFields =
    [
        "namespaceSelector", "group", "loadBalancerName", "scheme", "ipAddressType", "inboundCIDRs", "prefixListsIDs",
        "prefixListsIds", "PrefixListsIDs", "sslPolicy", "sslRedirectPort", "certificateArn", "subnets", "targetType", "tags",
        "loadBalancerAttributes", "listeners", "minimumLoadBalancerCapacity", "ipamConfiguration", "wafv2AclArn",
        "wafv2AclName",
    ];

    [GeneratedRegex("^subnet-[0-9a-f]+$")]
    private static partial Regex SubnetId();

    public static IngressClassParams? Parse(YamlObjectReader reader, ICollection<string> warnings)
    {
        var root = reader.Document.Root;
        var name = reader.Document.Name;
        var before = reader.ErrorCount;
        var spec = reader.Mapping(root, "spec", string.Empty);
        if (spec is null)
            return name is null ? null : new IngressClassParams { Name = name };

        const string p = "spec";
        reader.Known(spec, p, SpecFields);
        if (YamlObjectReader.Get(spec, "wafv2AclName") is { } waf)
            warnings.Add(reader.Document.Error(waf, "spec.wafv2AclName", "not supported yet: ignored (use wafv2AclArn)").ToString());

        string? groupName = null;
        if (reader.Mapping(spec, "group", p) is { } group)
        {
            reader.Known(group, "spec.group", "name");
            groupName = reader.String(group, "name", "spec.group", required: true);
        }

        SubnetSelector? subnets = null;
        if (reader.Mapping(spec, "subnets", p) is { } subnetNode)
            subnets = ReadSubnets(reader, subnetNode);

        List<ListenerParams>? listeners = null;
        if (reader.Sequence(spec, "listeners", p) is { } listenerNodes)
        {
            listeners = [];
            var index = 0;
            foreach (var item in listenerNodes.Children)
            {
                var itemPath = YamlObjectReader.Item("spec.listeners", index++);
                if (item is not YamlMappingNode listener)
                {
                    reader.Report(item, itemPath, "expected a mapping with protocol, port and listenerAttributes");
                    continue;
                }
                reader.Known(listener, itemPath, "protocol", "port", "listenerAttributes");
                var protocol = reader.Enum(listener, "protocol", itemPath, "HTTP", "HTTPS");
                var port = reader.Int(listener, "port", itemPath, 1, 65535, required: true);
                var attributes = reader.KeyValueList(listener, "listenerAttributes", itemPath) ?? [];
                if (protocol is not null && port is not null)
                    listeners.Add(new ListenerParams { Protocol = protocol, Port = (int)port, ListenerAttributes = attributes });
                else if (protocol is null && YamlObjectReader.Get(listener, "protocol") is null)
                    reader.Report(listener, itemPath + ".protocol", "required");
            }
        }

        int? capacity = null;
        if (reader.Mapping(spec, "minimumLoadBalancerCapacity", p) is { } capacityNode)
        {
            reader.Known(capacityNode, "spec.minimumLoadBalancerCapacity", "capacityUnits");
            capacity = (int?)reader.Int(capacityNode, "capacityUnits", "spec.minimumLoadBalancerCapacity", 0, int.MaxValue, required: true);
        }

        string? ipamPool = null;
        if (reader.Mapping(spec, "ipamConfiguration", p) is { } ipam)
        {
            reader.Known(ipam, "spec.ipamConfiguration", "ipv4IPAMPoolId");
            ipamPool = reader.String(ipam, "ipv4IPAMPoolId", "spec.ipamConfiguration");
        }

        var result = new IngressClassParams
        {
            Name = name ?? string.Empty,
            NamespaceSelector = reader.Mapping(spec, "namespaceSelector", p) is { } selector
                ? ReadSelector(reader, selector, "spec.namespaceSelector")
                : null,
            GroupName = groupName,
            LoadBalancerName = reader.String(spec, "loadBalancerName", p),
            Scheme = reader.Enum(spec, "scheme", p, "internal", "internet-facing"),
            IpAddressType = reader.Enum(spec, "ipAddressType", p, "ipv4", "dualstack", "dualstack-without-public-ipv4"),
            InboundCidrs = reader.StringList(spec, "inboundCIDRs", p),
            PrefixListIds = reader.StringList(spec, "prefixListsIDs", p) ?? reader.StringList(spec, "prefixListsIds", p),
            LegacyPrefixListIds = reader.StringList(spec, "PrefixListsIDs", p),
            SslPolicy = reader.String(spec, "sslPolicy", p),
            SslRedirectPort = reader.String(spec, "sslRedirectPort", p),
            CertificateArns = reader.StringList(spec, "certificateArn", p),
            Subnets = subnets,
            TargetType = reader.Enum(spec, "targetType", p, "instance", "ip"),
            Tags = reader.KeyValueList(spec, "tags", p),
            LoadBalancerAttributes = reader.KeyValueList(spec, "loadBalancerAttributes", p),
            Listeners = listeners,
            MinimumCapacityUnits = capacity,
            Ipv4IpamPoolId = ipamPool,
            Wafv2AclArn = reader.String(spec, "wafv2AclArn", p),
        };
        // The CRD's rule: the current and the legacy spelling are exclusive.
        if (YamlObjectReader.Get(spec, "prefixListsIDs") is not null && YamlObjectReader.Get(spec, "PrefixListsIDs") is { } legacyNode)
            reader.Report(legacyNode, "spec.PrefixListsIDs", "cannot specify both 'prefixListsIDs' and 'PrefixListsIDs' fields");
        if (result.SslRedirectPort is { } redirect && (!int.TryParse(redirect, System.Globalization.CultureInfo.InvariantCulture, out var redirectPort) || redirectPort is < 1 or > 65535))
            reader.Report(YamlObjectReader.Get(spec, "sslRedirectPort"), "spec.sslRedirectPort", $"\"{redirect}\" is not a port number (1-65535)");
        return reader.ErrorCount > before || name is null ? null : result;
    }

    /// <summary>A Kubernetes label selector (<c>matchLabels</c>, <c>matchExpressions</c>).</summary>
    public static LabelSelector ReadSelector(YamlObjectReader reader, YamlMappingNode node, string path)
    {
        reader.Known(node, path, "matchLabels", "matchExpressions");
        var expressions = new List<LabelSelectorRequirement>();
        if (reader.Sequence(node, "matchExpressions", path) is { } items)
        {
            var index = 0;
            foreach (var item in items.Children)
            {
                var itemPath = YamlObjectReader.Item(path + ".matchExpressions", index++);
                if (item is not YamlMappingNode expression)
                {
                    reader.Report(item, itemPath, "expected a mapping with key, operator and values");
                    continue;
                }
                reader.Known(expression, itemPath, "key", "operator", "values");
                var key = reader.String(expression, "key", itemPath, required: true);
                var op = reader.Enum(expression, "operator", itemPath, "In", "NotIn", "Exists", "DoesNotExist");
                if (op is null && YamlObjectReader.Get(expression, "operator") is null)
                    reader.Report(expression, itemPath + ".operator", "required");
                var values = reader.StringList(expression, "values", itemPath) ?? [];
                if (op is "In" or "NotIn" && values.Count == 0)
                    reader.Report(expression, itemPath + ".values", $"must not be empty with operator {op}");
                if (op is "Exists" or "DoesNotExist" && values.Count > 0)
                    reader.Report(YamlObjectReader.Get(expression, "values"), itemPath + ".values", $"must be empty with operator {op}");
                if (key is not null && op is not null)
                    expressions.Add(new LabelSelectorRequirement(key, op, values));
            }
        }
        return new LabelSelector
        {
            MatchLabels = reader.StringMap(node, "matchLabels", path) ?? new Dictionary<string, string>(),
            MatchExpressions = expressions,
        };
    }

    private static SubnetSelector? ReadSubnets(YamlObjectReader reader, YamlMappingNode node)
    {
        const string path = "spec.subnets";
        reader.Known(node, path, "ids", "tags");
        var ids = reader.StringList(node, "ids", path);
        Dictionary<string, IReadOnlyList<string>>? tags = null;
        if (reader.Mapping(node, "tags", path) is { } tagNode)
        {
            tags = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            foreach (var (key, value, keyNode) in reader.Entries(tagNode, path + ".tags"))
            {
                var valuePath = YamlObjectReader.Child(path + ".tags", key);
                if (value is not YamlSequenceNode values)
                {
                    reader.Report(value ?? keyNode, valuePath, "expected a list of tag values");
                    continue;
                }
                var list = new List<string>();
                var index = 0;
                foreach (var item in values.Children)
                {
                    if (reader.Scalar(item, YamlObjectReader.Item(valuePath, index++)) is { } text)
                        list.Add(text);
                }
                tags[key] = list;
            }
        }
        if ((ids is null) == (tags is null))
        {
            reader.Report(node, path, "exactly one of ids or tags must be set");
            return null;
        }
        if (ids is not null)
        {
            if (ids.Count == 0)
                reader.Report(node, path + ".ids", "must not be empty");
            var index = 0;
            foreach (var id in ids)
            {
                if (!SubnetId().IsMatch(id))
                    reader.Report(((YamlSequenceNode)YamlObjectReader.Get(node, "ids")!).Children[index], YamlObjectReader.Item(path + ".ids", index), $"\"{id}\" is not a subnet ID (subnet-[0-9a-f]+)");
                index++;
            }
        }
        return new SubnetSelector { Ids = ids, Tags = tags };
    }
}
