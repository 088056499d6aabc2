using System.Text.Json;
using System.Text.Json.Serialization;

namespace Serverless.Model;

/// <summary>The resource types of a stack, spelled as upstream spells them in its stack JSON.</summary>
public static class ResourceTypes
{
    /// <summary>A security group.</summary>
    public const string SecurityGroup = "AWS::EC2::SecurityGroup";

    /// <summary>An Application Load Balancer.</summary>
    public const string LoadBalancer = "AWS::ElasticLoadBalancingV2::LoadBalancer";

    /// <summary>A listener.</summary>
    public const string Listener = "AWS::ElasticLoadBalancingV2::Listener";

    /// <summary>A listener rule.</summary>
    public const string ListenerRule = "AWS::ElasticLoadBalancingV2::ListenerRule";

    /// <summary>A target group.</summary>
    public const string TargetGroup = "AWS::ElasticLoadBalancingV2::TargetGroup";

    /// <summary>The targets one target group should have (upstream: a TargetGroupBinding).</summary>
    public const string TargetSet = "K8S::ElasticLoadBalancingV2::TargetSet";

    /// <summary>Ingress rules the stack needs on security groups it does not own (node/ENI SGs).</summary>
    public const string SecurityGroupRules = "AWS::EC2::SecurityGroupIngress";

    /// <summary>The load balancer's WAFv2 web ACL association (resource ID <c>LoadBalancer</c>, as upstream).</summary>
    public const string WebAclAssociation = "AWS::WAFv2::WebACLAssociation";
}

/// <summary>The resource IDs upstream uses (the value of the <c>ingress.k8s.aws/resource</c> tag).</summary>
public static class ResourceIds
{
    /// <summary>The load balancer.</summary>
    public const string LoadBalancer = "LoadBalancer";

    /// <summary>The managed frontend security group.</summary>
    public const string ManagedSecurityGroup = "ManagedLBSecurityGroup";

    /// <summary>The cluster-wide shared backend security group (tag <c>elbv2.k8s.aws/resource=backend-sg</c>).</summary>
    public const string BackendSecurityGroup = "backend-sg";

    /// <summary>A listener: its port.</summary>
    public static string Listener(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A listener rule: <c>port:priority</c>.</summary>
    public static string ListenerRule(int port, int priority) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{port}:{priority}");

    /// <summary>A target group: <c>ingNamespace/ingName-svcName:svcPort</c> (port as written: number or name).</summary>
    public static string TargetGroup(string ingressNamespace, string ingressName, string serviceName, string servicePort) =>
        $"{ingressNamespace}/{ingressName}-{serviceName}:{servicePort}";
}

/// <summary>
/// A reference to a field of another resource that is known only once that resource exists (its ARN, its id).
/// Serialized as upstream does: <c>{"$ref":"#/resources/&lt;type&gt;/&lt;id&gt;/status/&lt;field&gt;"}</c>.
/// </summary>
/// <param name="ResourceType">One of <see cref="ResourceTypes"/>.</param>
/// <param name="ResourceId">The referenced resource's ID.</param>
/// <param name="Field">The status field, e.g. <c>loadBalancerARN</c>, <c>targetGroupARN</c>, <c>listenerARN</c>, <c>groupID</c>.</param>
public sealed record ResourceRef(string ResourceType, string ResourceId, string Field)
{
    /// <summary>The JSON pointer form.</summary>
    public string Pointer => $"#/resources/{ResourceType}/{ResourceId}/status/{Field}";

    /// <summary>The load balancer's ARN.</summary>
    public static ResourceRef LoadBalancerArn { get; } = new(ResourceTypes.LoadBalancer, ResourceIds.LoadBalancer, "loadBalancerARN");

    /// <summary>The managed security group's id.</summary>
    public static ResourceRef ManagedSecurityGroupId { get; } = new(ResourceTypes.SecurityGroup, ResourceIds.ManagedSecurityGroup, "groupID");

    /// <summary>The shared backend security group's id.</summary>
    public static ResourceRef BackendSecurityGroupId { get; } = new(ResourceTypes.SecurityGroup, ResourceIds.BackendSecurityGroup, "groupID");

    /// <summary>A listener's ARN.</summary>
    public static ResourceRef ListenerArn(int port) => new(ResourceTypes.Listener, ResourceIds.Listener(port), "listenerARN");

    /// <summary>A target group's ARN.</summary>
    public static ResourceRef TargetGroupArn(string targetGroupId) => new(ResourceTypes.TargetGroup, targetGroupId, "targetGroupARN");
}

/// <summary>A string that is either known now (<see cref="Value"/>) or resolved at deploy time (<see cref="Ref"/>).</summary>
[JsonConverter(typeof(StringOrRefJsonConverter))]
public sealed record StringOrRef
{
    private StringOrRef(string? value, ResourceRef? reference)
    {
        Value = value;
        Ref = reference;
    }

    /// <summary>The literal value, or null when this is a reference.</summary>
    public string? Value { get; }

    /// <summary>The reference, or null when this is a literal.</summary>
    public ResourceRef? Ref { get; }

    /// <summary>A literal.</summary>
    public static StringOrRef Of(string value) => new(value ?? throw new ArgumentNullException(nameof(value)), null);

    /// <summary>A reference.</summary>
    public static StringOrRef To(ResourceRef reference) => new(null, reference ?? throw new ArgumentNullException(nameof(reference)));

    /// <summary>The literal, or the reference's pointer.</summary>
    public override string ToString() => Value ?? Ref!.Pointer;
}

/// <summary>Writes a literal as a JSON string and a reference as <c>{"$ref": pointer}</c>; reads both back.</summary>
public sealed class StringOrRefJsonConverter : JsonConverter<StringOrRef>
{
    /// <inheritdoc />
    public override StringOrRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
            return StringOrRef.Of(reader.GetString()!);
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException("expected a string or {\"$ref\": ...}");
        string? pointer = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            if (name == "$ref")
                pointer = reader.GetString();
        }
        const string prefix = "#/resources/";
        if (pointer is null || !pointer.StartsWith(prefix, StringComparison.Ordinal))
            throw new JsonException("a reference needs \"$ref\": \"#/resources/<type>/<id>/status/<field>\"");
        var rest = pointer[prefix.Length..];
        var typeEnd = rest.IndexOf('/', StringComparison.Ordinal);
        var statusAt = rest.LastIndexOf("/status/", StringComparison.Ordinal);
        if (typeEnd < 0 || statusAt <= typeEnd)
            throw new JsonException($"malformed reference {pointer}");
        return StringOrRef.To(new ResourceRef(rest[..typeEnd], rest[(typeEnd + 1)..statusAt], rest[(statusAt + "/status/".Length)..]));
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, StringOrRef value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        if (value.Value is not null)
        {
            writer.WriteStringValue(value.Value);
            return;
        }
        writer.WriteStartObject();
        writer.WriteString("$ref", value.Ref!.Pointer);
        writer.WriteEndObject();
    }
}
