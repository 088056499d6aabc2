using k8s.Models;
using Serverless.Model;

namespace Serverless.Ingress;

/// <summary>
/// Everything known about one Ingress group: the input of IngressGroupModelBuilder. Loading it (from
/// an API server or manifest files, plus the AWS lookups in <see cref="AwsFacts"/>) happens before the build; the
/// builder itself does no I/O. Lists may hold more objects than the group needs (e.g. every Ingress of the
/// cluster); the builder picks what belongs to <see cref="Group"/>.
/// </summary>
public sealed record GroupSnapshot
{
    /// <summary>The group being built.</summary>
    public required StackId Group { get; init; }

    /// <summary>Controller-wide settings.</summary>
    public required ClusterSettings Cluster { get; init; }

    /// <summary>AWS facts discovered before the build.</summary>
    public AwsFacts Aws { get; init; } = new();

    /// <summary>Ingresses: every candidate member, and every Ingress carrying this group's finalizer.</summary>
    public IReadOnlyList<V1Ingress> Ingresses { get; init; } = [];

    /// <summary>Services referenced by the members.</summary>
    public IReadOnlyList<V1Service> Services { get; init; } = [];

    /// <summary>EndpointSlices of those Services (label <c>kubernetes.io/service-name</c>).</summary>
    public IReadOnlyList<V1EndpointSlice> EndpointSlices { get; init; } = [];

    /// <summary>
    /// The Pods of not-ready endpoints of those EndpointSlices (<c>targetRef</c> of kind Pod): an endpoint held back only
    /// by its readiness gate is registered (see <c>TargetBuilder.PodIps</c>). Ready endpoints need no Pod.
    /// </summary>
    public IReadOnlyList<V1Pod> Pods { get; init; } = [];

    /// <summary>Every IngressClass.</summary>
    public IReadOnlyList<V1IngressClass> IngressClasses { get; init; } = [];

    /// <summary>Every IngressClassParams (cluster-scoped CRD <c>elbv2.k8s.aws/v1beta1</c>).</summary>
    public IReadOnlyList<IngressClassParams> IngressClassParams { get; init; } = [];

    /// <summary>Namespaces of the members (labels, for IngressClassParams <c>namespaceSelector</c>).</summary>
    public IReadOnlyList<V1Namespace> Namespaces { get; init; } = [];

    /// <summary>Secrets referenced by OIDC authentication (<c>auth-idp-oidc</c> <c>secretName</c>).</summary>
    public IReadOnlyList<V1Secret> Secrets { get; init; } = [];

    /// <summary>
    /// Secrets (<c>namespace/name</c>) the API server refused to show the controller (403 Forbidden: its identity may
    /// not <c>get secrets</c> there). A member whose OIDC <c>secretName</c> is one of them is frozen with an error naming
    /// the Secret and the missing permission, as it is when the Secret does not exist.
    /// </summary>
    public IReadOnlySet<string> ForbiddenSecrets { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Every Node (instance targets).</summary>
    public IReadOnlyList<V1Node> Nodes { get; init; } = [];

    /// <summary>
    /// Ingresses (<c>namespace/name</c>) that hold this group's finalizer but now name another group of this
    /// controller, and whose rules must stay here until that group has deployed them (decided by the reconcile, which
    /// knows what has been deployed where). The builder keeps each as a frozen member: its rules, target groups and
    /// finalizer stay untouched, so requests keep being served here until the other load balancer serves them.
    /// </summary>
    public IReadOnlySet<string> HeldLeavers { get; init; } = new HashSet<string>(StringComparer.Ordinal);
}

/// <summary>Controller-wide settings: upstream's command-line flags that shape the model.</summary>
public sealed record ClusterSettings
{
    /// <summary><c>--cluster-name</c>: the value of <c>elbv2.k8s.aws/cluster</c> and part of every name hash.</summary>
    public required string ClusterName { get; init; }

    /// <summary>The VPC of the cluster.</summary>
    public required string VpcId { get; init; }

    /// <summary><c>--ingress-class</c> (default <c>alb</c>); empty: also manage Ingresses with no class.</summary>
    public string IngressClass { get; init; } = "alb";

    /// <summary><c>--default-load-balancer-scheme</c> (default <c>internal</c>).</summary>
    public string DefaultScheme { get; init; } = "internal";

    /// <summary><c>--default-target-type</c> (default <c>instance</c>).</summary>
    public string DefaultTargetType { get; init; } = "instance";

    /// <summary><c>--default-ssl-policy</c> (default <c>ELBSecurityPolicy-2016-08</c>).</summary>
    public string DefaultSslPolicy { get; init; } = "ELBSecurityPolicy-2016-08";

    /// <summary><c>--default-tags</c>: added to every resource; they win over annotation tags, as upstream.</summary>
    public IReadOnlyDictionary<string, string> DefaultTags { get; init; } = new Dictionary<string, string>();

    /// <summary><c>--external-managed-tags</c>: keys another tool manages; annotations may not set them.</summary>
    public IReadOnlyList<string> ExternalManagedTags { get; init; } = [];

    /// <summary><c>--enable-backend-security-group</c> (default true): the shared backend SG.</summary>
    public bool EnableBackendSecurityGroup { get; init; } = true;

    /// <summary><c>--backend-security-group</c>: bring your own backend SG instead of the managed shared one.</summary>
    public string? BackendSecurityGroupId { get; init; }

    /// <summary><c>--enable-manage-backend-security-group-rules</c> (default false).</summary>
    public bool ManageBackendSecurityGroupRules { get; init; }

    /// <summary><c>--disable-restricted-sg-rules</c> (default false): node rules span all TCP ports.</summary>
    public bool DisableRestrictedSecurityGroupRules { get; init; }

    /// <summary>Listener rules per listener (ALB quota, default 100).</summary>
    public int MaxRulesPerListener { get; init; } = 100;

    /// <summary>Unique target groups per load balancer (ALB quota, default 100).</summary>
    public int MaxTargetGroupsPerLoadBalancer { get; init; } = 100;

    /// <summary>Security groups per load balancer (default 5).</summary>
    public int MaxSecurityGroupsPerLoadBalancer { get; init; } = 5;
}

/// <summary>AWS facts the builder needs, looked up before the build.</summary>
public sealed record AwsFacts
{
    /// <summary>Every subnet of the VPC (for discovery and for resolving <c>subnets</c> by ID or Name tag).</summary>
    public IReadOnlyList<SubnetFact> Subnets { get; init; } = [];

    /// <summary>Security groups that annotations may name (by ID or Name tag), and the node security groups.</summary>
    public IReadOnlyList<SecurityGroupFact> SecurityGroups { get; init; } = [];

    /// <summary>The group's existing load balancer, found by its tags; null when none exists yet.</summary>
    public ExistingLoadBalancerFact? ExistingLoadBalancer { get; init; }

    /// <summary>The VPC's IPv4 and IPv6 CIDRs (IP targets outside them get <c>AvailabilityZone: all</c>).</summary>
    public IReadOnlyList<string> VpcCidrs { get; init; } = [];

    /// <summary>The shared backend SG's ID when it already exists (else the stack creates it).</summary>
    public string? BackendSecurityGroupId { get; init; }

    /// <summary>
    /// The security groups of the nodes and pod ENIs that targets live on: per node, the one SG tagged
    /// <c>kubernetes.io/cluster/&lt;name&gt;</c> (upstream's rule), resolved by the loader. Node rules go there.
    /// </summary>
    public IReadOnlyList<string> NodeSecurityGroupIds { get; init; } = [];

    /// <summary>ARNs of target groups named in <c>actions.*</c> forward configs by <c>targetGroupName</c>.</summary>
    public IReadOnlyDictionary<string, string> TargetGroupArnsByName { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The account's <c>ISSUED</c> ACM certificates in the region, for certificate discovery (an HTTPS listener of a
    /// member without <c>certificate-arn</c>); the loader reads them only when some candidate member may need them.
    /// </summary>
    public IReadOnlyList<CertificateFact> Certificates { get; init; } = [];

    /// <summary>
    /// The ARNs of the region's <c>REGIONAL</c> WAFv2 web ACLs by name, for <c>wafv2-acl-name</c>; the loader reads
    /// them only when some candidate member names a web ACL without <c>wafv2-acl-arn</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string> WebAclArnsByName { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// True when <see cref="WebAclArnsByName"/> holds every <c>REGIONAL</c> web ACL of the region, so a
    /// <c>wafv2-acl-arn</c> that is not among them names a web ACL that does not exist.
    /// </summary>
    public bool WebAclsListed { get; init; }
}

/// <summary>An issued ACM certificate and the names it covers.</summary>
public sealed record CertificateFact
{
    /// <summary>The certificate ARN.</summary>
    public required string Arn { get; init; }

    /// <summary>Its domain name and subject alternative names (may hold wildcards such as <c>*.example.com</c>).</summary>
    public required IReadOnlyList<string> Domains { get; init; }
}

/// <summary>One subnet.</summary>
public sealed record SubnetFact
{
    /// <summary>Subnet ID.</summary>
    public required string Id { get; init; }

    /// <summary>Availability Zone name, e.g. <c>us-east-1a</c>.</summary>
    public required string AvailabilityZone { get; init; }

    /// <summary><c>availability-zone</c>, <c>local-zone</c>, <c>wavelength-zone</c> or <c>outpost</c>.</summary>
    public string ZoneType { get; init; } = "availability-zone";

    /// <summary>IPv4 CIDR.</summary>
    public string CidrBlock { get; init; } = string.Empty;

    /// <summary>True when an IPv6 CIDR is associated.</summary>
    public bool HasIpv6 { get; init; }

    /// <summary>Free IPv4 addresses.</summary>
    public int AvailableIpAddressCount { get; init; } = 250;

    /// <summary>Tags (e.g. <c>kubernetes.io/role/elb</c>, <c>kubernetes.io/cluster/&lt;name&gt;</c>, <c>Name</c>).</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// True when the subnet's route table (its explicit association, else the VPC's main table) has a route to an
    /// internet gateway (<c>igw-…</c>): a public subnet. Null when not looked up. Subnet discovery falls back to it
    /// when no subnet carries the role tag, as upstream does (feature gate <c>SubnetDiscoveryByReachability</c>).
    /// </summary>
    public bool? RoutesToInternetGateway { get; init; }
}

/// <summary>One security group.</summary>
public sealed record SecurityGroupFact
{
    /// <summary>Group ID.</summary>
    public required string Id { get; init; }

    /// <summary>Group name.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>Tags.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
}

/// <summary>The group's existing load balancer.</summary>
public sealed record ExistingLoadBalancerFact
{
    /// <summary>Its scheme.</summary>
    public required string Scheme { get; init; }

    /// <summary>Its subnets (reused when the scheme is unchanged, as upstream does).</summary>
    public IReadOnlyList<string> SubnetIds { get; init; } = [];

    /// <summary>Its DNS name (what the members' status shows while they are served by it).</summary>
    public string? DnsName { get; init; }
}
