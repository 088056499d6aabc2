using System.Globalization;
using System.Text.Json.Serialization;
using Serverless.Ingress;

namespace Serverless.Kubernetes.Bindings;

/// <summary>
/// An <c>elbv2.k8s.aws/v1beta1</c> TargetGroupBinding: register a Service's targets into a target group made outside
/// Kubernetes (upstream's schema). Read by <see cref="TargetGroupBindingParser"/>, which checks every field; an
/// instance of this record is valid.
/// </summary>
public sealed record TargetGroupBinding
{
    /// <summary>The API version.</summary>
    public const string ApiVersion = "elbv2.k8s.aws/v1beta1";

    /// <summary>The kind.</summary>
    public const string Kind = "TargetGroupBinding";

    /// <summary>The metadata the controller reads and writes.</summary>
    public required BindingMetadata Metadata { get; init; }

    /// <summary>The spec.</summary>
    public required TargetGroupBindingSpec Spec { get; init; }

    /// <summary>The status (what the controller last wrote).</summary>
    public BindingStatus Status { get; init; } = new();

    /// <summary><c>namespace/name</c>.</summary>
    [JsonIgnore]
    public string Key => $"{Metadata.Namespace}/{Metadata.Name}";

    /// <summary><c>TargetGroupBinding namespace/name</c>, the object named in errors.</summary>
    [JsonIgnore]
    public string Description => "TargetGroupBinding " + Key;
}

/// <summary>The part of <c>metadata</c> the controller uses.</summary>
public sealed record BindingMetadata
{
    /// <summary><c>metadata.namespace</c> (defaulted to <c>default</c> in manifests).</summary>
    public required string Namespace { get; init; }

    /// <summary><c>metadata.name</c>.</summary>
    public required string Name { get; init; }

    /// <summary><c>metadata.uid</c>.</summary>
    public string? Uid { get; init; }

    /// <summary><c>metadata.resourceVersion</c>: the precondition of every metadata patch.</summary>
    public string? ResourceVersion { get; init; }

    /// <summary><c>metadata.generation</c>.</summary>
    public long Generation { get; init; }

    /// <summary><c>metadata.deletionTimestamp</c> as written (RFC 3339), or null.</summary>
    public string? DeletionTimestamp { get; init; }

    /// <summary>True while the binding is being deleted.</summary>
    [JsonIgnore]
    public bool IsDeleting => DeletionTimestamp is not null;

    /// <summary><c>metadata.finalizers</c>.</summary>
    public IReadOnlyList<string> Finalizers { get; init; } = [];

    /// <summary><c>metadata.labels</c>.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary><c>metadata.annotations</c>.</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();
}

/// <summary><c>spec</c>.</summary>
public sealed record TargetGroupBindingSpec
{
    /// <summary><c>targetGroupARN</c>: wins over the name when both are set.</summary>
    public string? TargetGroupArn { get; init; }

    /// <summary><c>targetGroupName</c>: resolved to exactly one target group.</summary>
    public string? TargetGroupName { get; init; }

    /// <summary><c>targetType</c>: <c>instance</c> or <c>ip</c>; null means "the target group's".</summary>
    public string? TargetType { get; init; }

    /// <summary><c>serviceRef</c>.</summary>
    public required ServiceReference ServiceRef { get; init; }

    /// <summary><c>networking</c>: ingress rules for the targets' security group, or null (no security group change at all).</summary>
    public BindingNetworking? Networking { get; init; }

    /// <summary><c>nodeSelector</c> (instance only), AND-ed with the default node eligibility.</summary>
    public LabelSelector? NodeSelector { get; init; }

    /// <summary><c>ipAddressType</c>: <c>ipv4</c> or <c>ipv6</c>; null means "the target group's".</summary>
    public string? IpAddressType { get; init; }

    /// <summary><c>vpcID</c>: the VPC the target group must be in; null means the cluster's.</summary>
    public string? VpcId { get; init; }

    /// <summary><c>multiClusterTargetGroup</c>: share the group; only targets this binding registered are ever deregistered.</summary>
    public bool MultiClusterTargetGroup { get; init; }

    /// <summary>How the spec names its target group: the ARN when set, else the name.</summary>
    [JsonIgnore]
    public string TargetGroupReference => TargetGroupArn ?? TargetGroupName ?? string.Empty;
}

/// <summary><c>spec.serviceRef</c>: a Service of the binding's namespace and one of its ports.</summary>
/// <param name="Name">The Service name.</param>
/// <param name="Port">The port: a number matches the Service <c>port</c>, a name matches the port <c>name</c>.</param>
public sealed record ServiceReference(string Name, PortReference Port);

/// <summary>An int-or-string port.</summary>
/// <param name="Number">The number, when given as a number.</param>
/// <param name="Name">The name, when given as a string.</param>
public sealed record PortReference(int? Number, string? Name)
{
    /// <summary>A numbered port.</summary>
    public static PortReference Of(int number) => new(number, null);

    /// <summary>A named port.</summary>
    public static PortReference Of(string name) => new(null, name);

    /// <inheritdoc />
    public override string ToString() => Number?.ToString(CultureInfo.InvariantCulture) ?? Name ?? string.Empty;
}

/// <summary><c>spec.networking</c>.</summary>
public sealed record BindingNetworking
{
    /// <summary><c>ingress</c>: rules to allow into the targets' security group.</summary>
    public IReadOnlyList<BindingIngressRule> Ingress { get; init; } = [];
}

/// <summary>One <c>spec.networking.ingress[]</c> entry.</summary>
public sealed record BindingIngressRule
{
    /// <summary><c>from</c>: the peers.</summary>
    public IReadOnlyList<BindingPeer> From { get; init; } = [];

    /// <summary><c>ports</c>: the ports (protocol TCP unless said).</summary>
    public IReadOnlyList<BindingPort> Ports { get; init; } = [];
}

/// <summary>A peer: exactly one of a security group ID or a CIDR.</summary>
/// <param name="SecurityGroupId"><c>securityGroup.groupID</c>.</param>
/// <param name="Cidr"><c>ipBlock.cidr</c>.</param>
public sealed record BindingPeer(string? SecurityGroupId, string? Cidr);

/// <summary>A port: <c>protocol</c> (TCP or UDP) and <c>port</c> (int-or-string; null = every port).</summary>
public sealed record BindingPort(string Protocol, PortReference? Port);

/// <summary><c>status</c>.</summary>
public sealed record BindingStatus
{
    /// <summary><c>observedGeneration</c>.</summary>
    public long? ObservedGeneration { get; init; }

    /// <summary><c>conditions</c>.</summary>
    public IReadOnlyList<BindingCondition> Conditions { get; init; } = [];
}

/// <summary>A <c>metav1.Condition</c>.</summary>
public sealed record BindingCondition(string Type, string Status, string? Reason, string? Message, string? LastTransitionTime);
