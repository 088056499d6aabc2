using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Serverless.Ingress;
using Serverless.Kubernetes.Manifests;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Serverless.Kubernetes.Bindings;

/// <summary>A TargetGroupBinding read from text: the binding when it is valid, else every problem found.</summary>
/// <param name="Binding">The binding, or null when <paramref name="Errors"/> is not empty.</param>
/// <param name="Errors">Each problem, naming <c>TargetGroupBinding ns/name</c>, the field and the value.</param>
public sealed record BindingParse(TargetGroupBinding? Binding, IReadOnlyList<ManifestError> Errors);

/// <summary>
/// Reads a TargetGroupBinding from its node tree (a manifest document, or the API server's JSON, which is YAML) with
/// the CRD's checks and upstream's webhook checks that need no AWS call: a target group by ARN or name,
/// <c>targetType</c> <c>instance</c>|<c>ip</c>, no <c>nodeSelector</c> with <c>ip</c>, the <c>vpcID</c> pattern. No
/// reflection: the functions' binaries parse bindings with it too.
/// </summary>
public static partial class TargetGroupBindingParser
{
    private static readonly string[] SpecFields =
    [
        "targetGroupARN", "targetGroupName", "targetType", "serviceRef", "networking", "nodeSelector", "ipAddressType",
        "vpcID", "multiClusterTargetGroup", "targetGroupProtocol", "iamRoleArnToAssume", "assumeRoleExternalId",
    ];

    [GeneratedRegex("^vpc-([0-9a-fA-F]{8}|[0-9a-fA-F]{17}|[0-9a-fA-F]{32})$")]
    private static partial Regex VpcId();

    [GeneratedRegex("^arn:[^:]+:elasticloadbalancing:[^:]*:[^:]*:targetgroup/[^/]+/[^/]+$")]
    private static partial Regex TargetGroupArn();

    [GeneratedRegex("^sg-[0-9a-fA-F]+$")]
    private static partial Regex SecurityGroupId();

    /// <summary>
    /// Parses one object as the API server returns it (JSON); <paramref name="source"/> names it in errors. Never
    /// throws on bad input.
    /// </summary>
    public static BindingParse ParseJson(string json, string source = "api")
    {
        ArgumentNullException.ThrowIfNull(json);
        var set = ManifestLoader.LoadTargetGroupBindingsJson([json], source);
        return new BindingParse(set.Errors.Count == 0 ? set.TargetGroupBindings.FirstOrDefault() : null, set.Errors);
    }

    /// <summary>
    /// Just the metadata of an object the API server returned (a binding whose spec is invalid still has a name,
    /// finalizers and annotations to write); null when the text is not an object with <c>metadata.name</c>.
    /// </summary>
    public static BindingMetadata? ReadMetadataJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
        if (root?["metadata"] is not JsonObject meta || Str(meta["name"]) is not { Length: > 0 } name)
            return null;
        return new BindingMetadata
        {
            Namespace = Str(meta["namespace"]) is { Length: > 0 } ns ? ns : "default",
            Name = name,
            Uid = Str(meta["uid"]),
            ResourceVersion = Str(meta["resourceVersion"]),
            Generation = meta["generation"] is JsonValue g && g.TryGetValue<long>(out var generation) ? generation : 0,
            DeletionTimestamp = Str(meta["deletionTimestamp"]),
            Finalizers = meta["finalizers"] is JsonArray f ? [.. f.Select(Str).OfType<string>()] : [],
            Labels = Map(meta["labels"]),
            Annotations = Map(meta["annotations"]),
        };

        static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;

        static Dictionary<string, string> Map(JsonNode? node)
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            if (node is JsonObject o)
            {
                foreach (var (key, value) in o)
                {
                    if (Str(value) is { } text)
                        map[key] = text;
                }
            }
            return map;
        }
    }

    /// <summary>Parses a checked document of kind TargetGroupBinding; problems go to the reader.</summary>
    internal static TargetGroupBinding? Parse(YamlObjectReader reader, ICollection<string> warnings)
    {
        var root = reader.Document.Root;
        var before = reader.ErrorCount;
        var name = reader.Document.Name;
        var metadata = ReadMetadata(reader, root);
        var spec = reader.Mapping(root, "spec", string.Empty, required: true);
        if (spec is null || metadata is null || name is null)
            return null;

        const string p = "spec";
        reader.Known(spec, p, SpecFields);
        var arn = reader.String(spec, "targetGroupARN", p);
        var tgName = reader.String(spec, "targetGroupName", p);
        if (string.IsNullOrEmpty(arn) && string.IsNullOrEmpty(tgName))
            reader.Report(spec, "spec.targetGroupARN", "one of targetGroupARN or targetGroupName is required (both are missing)");
        if (!string.IsNullOrEmpty(arn) && !TargetGroupArn().IsMatch(arn))
            reader.Report(YamlObjectReader.Get(spec, "targetGroupARN"), "spec.targetGroupARN", $"\"{arn}\" is not a target group ARN (arn:<partition>:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>)");
        var targetType = reader.Enum(spec, "targetType", p, "instance", "ip");
        var ipAddressType = reader.Enum(spec, "ipAddressType", p, "ipv4", "ipv6");
        var vpc = reader.String(spec, "vpcID", p);
        if (vpc is { Length: > 0 } && !VpcId().IsMatch(vpc))
            reader.Report(YamlObjectReader.Get(spec, "vpcID"), "spec.vpcID", $"\"{vpc}\" is not a VPC ID (vpc- and 8, 17 or 32 hexadecimal digits)");
        var multiCluster = reader.Bool(spec, "multiClusterTargetGroup", p) ?? false;
        reader.Enum(spec, "targetGroupProtocol", p, "HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "QUIC", "TCP_QUIC");
        foreach (var crossAccount in (string[])["iamRoleArnToAssume", "assumeRoleExternalId"])
        {
            if (YamlObjectReader.Get(spec, crossAccount) is { } node)
                reader.Report(node, "spec." + crossAccount, $"\"{reader.Scalar(node, "spec." + crossAccount)}\": a target group of another account is not supported");
        }

        LabelSelector? nodeSelector = null;
        if (reader.Mapping(spec, "nodeSelector", p) is { } selector)
        {
            nodeSelector = IngressClassParamsParser.ReadSelector(reader, selector, "spec.nodeSelector");
            if (targetType == "ip")
                reader.Report(selector, "spec.nodeSelector", "cannot be set when targetType is ip (nodes are chosen only for instance targets)");
        }

        var serviceRef = ReadServiceRef(reader, spec);
        BindingNetworking? networking = null;
        if (reader.Mapping(spec, "networking", p) is { } networkingNode)
            networking = ReadNetworking(reader, networkingNode);

        if (YamlObjectReader.Get(spec, "targetGroupProtocol") is { } protocolNode)
            warnings.Add(reader.Document.Error(protocolNode, "spec.targetGroupProtocol", "accepted and not used (the target group's protocol is never changed)").ToString());

        if (reader.ErrorCount > before || serviceRef is null)
            return null;
        return new TargetGroupBinding
        {
            Metadata = metadata,
            Spec = new TargetGroupBindingSpec
            {
                TargetGroupArn = string.IsNullOrEmpty(arn) ? null : arn,
                TargetGroupName = string.IsNullOrEmpty(tgName) ? null : tgName,
                TargetType = targetType,
                ServiceRef = serviceRef,
                Networking = networking,
                NodeSelector = nodeSelector,
                IpAddressType = ipAddressType,
                VpcId = string.IsNullOrEmpty(vpc) ? null : vpc,
                MultiClusterTargetGroup = multiCluster,
            },
            Status = ReadStatus(root),
        };
    }

    private static BindingMetadata? ReadMetadata(YamlObjectReader reader, YamlMappingNode root)
    {
        var node = reader.Mapping(root, "metadata", string.Empty);
        if (node is null || reader.Document.Name is not { } name)
            return null;
        const string p = "metadata";
        return new BindingMetadata
        {
            Namespace = reader.Document.Namespace ?? "default",
            Name = name,
            Uid = reader.String(node, "uid", p),
            ResourceVersion = reader.String(node, "resourceVersion", p),
            Generation = reader.Int(node, "generation", p, 0) ?? 0,
            DeletionTimestamp = reader.String(node, "deletionTimestamp", p),
            Finalizers = reader.StringList(node, "finalizers", p) ?? [],
            Labels = reader.StringMap(node, "labels", p) ?? new Dictionary<string, string>(),
            Annotations = reader.StringMap(node, "annotations", p) ?? new Dictionary<string, string>(),
        };
    }

    private static ServiceReference? ReadServiceRef(YamlObjectReader reader, YamlMappingNode spec)
    {
        const string p = "spec.serviceRef";
        var node = reader.Mapping(spec, "serviceRef", "spec", required: true);
        if (node is null)
            return null;
        reader.Known(node, p, "name", "port");
        var name = reader.String(node, "name", p, required: true);
        if (name is { Length: 0 })
            reader.Report(YamlObjectReader.Get(node, "name"), p + ".name", "must not be empty");
        var portNode = YamlObjectReader.Get(node, "port");
        if (portNode is null)
        {
            reader.Report(node, p + ".port", "required");
            return null;
        }
        var port = ReadPort(reader, portNode, p + ".port");
        return name is { Length: > 0 } && port is not null ? new ServiceReference(name, port) : null;
    }

    // An int-or-string: a plain scalar that is an integer is a number (1-65535), anything else a name.
    private static PortReference? ReadPort(YamlObjectReader reader, YamlNode node, string path)
    {
        if (node is not YamlScalarNode { Value: { } text } scalar)
        {
            reader.Report(node, path, $"expected a port number or name, got {YamlObjectReader.Describe(node)}");
            return null;
        }
        if (scalar.Style is ScalarStyle.Plain or ScalarStyle.Any && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            return reader.IntValue(node, path, 1, 65535) is { } number ? PortReference.Of((int)number) : null;
        if (text.Length == 0)
        {
            reader.Report(node, path, "must not be empty");
            return null;
        }
        return PortReference.Of(text);
    }

    private static BindingNetworking ReadNetworking(YamlObjectReader reader, YamlMappingNode node)
    {
        const string p = "spec.networking";
        reader.Known(node, p, "ingress");
        var rules = new List<BindingIngressRule>();
        var index = 0;
        foreach (var item in reader.Sequence(node, "ingress", p)?.Children ?? [])
        {
            var itemPath = YamlObjectReader.Item(p + ".ingress", index++);
            if (item is not YamlMappingNode rule)
            {
                reader.Report(item, itemPath, "expected a mapping with from and ports");
                continue;
            }
            reader.Known(rule, itemPath, "from", "ports");
            var peers = new List<BindingPeer>();
            var i = 0;
            foreach (var peerItem in reader.Sequence(rule, "from", itemPath, required: true)?.Children ?? [])
            {
                var peerPath = YamlObjectReader.Item(itemPath + ".from", i++);
                if (ReadPeer(reader, peerItem, peerPath) is { } peer)
                    peers.Add(peer);
            }
            var ports = new List<BindingPort>();
            i = 0;
            foreach (var portItem in reader.Sequence(rule, "ports", itemPath, required: true)?.Children ?? [])
            {
                var portPath = YamlObjectReader.Item(itemPath + ".ports", i++);
                if (portItem is not YamlMappingNode portNode)
                {
                    reader.Report(portItem, portPath, "expected a mapping with protocol and port");
                    continue;
                }
                reader.Known(portNode, portPath, "protocol", "port");
                var protocol = reader.Enum(portNode, "protocol", portPath, "TCP", "UDP") ?? "TCP";
                var value = YamlObjectReader.Get(portNode, "port");
                ports.Add(new BindingPort(protocol, value is null ? null : ReadPort(reader, value, portPath + ".port")));
            }
            rules.Add(new BindingIngressRule { From = peers, Ports = ports });
        }
        return new BindingNetworking { Ingress = rules };
    }

    private static BindingPeer? ReadPeer(YamlObjectReader reader, YamlNode item, string path)
    {
        if (item is not YamlMappingNode peer)
        {
            reader.Report(item, path, "expected a mapping with securityGroup or ipBlock");
            return null;
        }
        reader.Known(peer, path, "securityGroup", "ipBlock");
        string? group = null;
        string? cidr = null;
        if (reader.Mapping(peer, "securityGroup", path) is { } sg)
        {
            reader.Known(sg, path + ".securityGroup", "groupID");
            group = reader.String(sg, "groupID", path + ".securityGroup", required: true);
            if (group is not null && !SecurityGroupId().IsMatch(group))
                reader.Report(YamlObjectReader.Get(sg, "groupID"), path + ".securityGroup.groupID", $"\"{group}\" is not a security group ID (sg-…)");
        }
        if (reader.Mapping(peer, "ipBlock", path) is { } block)
        {
            reader.Known(block, path + ".ipBlock", "cidr");
            cidr = reader.String(block, "cidr", path + ".ipBlock", required: true);
            if (cidr is not null && !IPNetwork.TryParse(cidr, out _))
                reader.Report(YamlObjectReader.Get(block, "cidr"), path + ".ipBlock.cidr", $"\"{cidr}\" is not a CIDR");
        }
        if ((group is null) == (cidr is null))
        {
            reader.Report(peer, path, "exactly one of securityGroup or ipBlock must be set");
            return null;
        }
        return new BindingPeer(group, cidr);
    }

    // The status is the controller's own writing: read leniently (what cannot be read is left out, not reported).
    private static BindingStatus ReadStatus(YamlMappingNode root)
    {
        if (YamlObjectReader.Get(root, "status") is not YamlMappingNode status)
            return new BindingStatus();
        long? observed = YamlObjectReader.Get(status, "observedGeneration") is YamlScalarNode { Value: { } g }
            && long.TryParse(g, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        var conditions = new List<BindingCondition>();
        if (YamlObjectReader.Get(status, "conditions") is YamlSequenceNode list)
        {
            foreach (var c in list.Children.OfType<YamlMappingNode>())
            {
                if (Text(c, "type") is { } type && Text(c, "status") is { } value)
                    conditions.Add(new BindingCondition(type, value, Text(c, "reason"), Text(c, "message"), Text(c, "lastTransitionTime")));
            }
        }
        return new BindingStatus { ObservedGeneration = observed, Conditions = conditions };
    }

    private static string? Text(YamlMappingNode map, string key) => YamlObjectReader.Get(map, key) is YamlScalarNode { Value: { } v } ? v : null;
}
