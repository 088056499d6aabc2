namespace Serverless.Model;

// The desired state of one stack. Every map is ordered by key when serialized; every list keeps the order that
// means something (rule priority, action order, certificate order: the first certificate is the default).

/// <summary>The load balancer of the stack (resource ID <c>LoadBalancer</c>): an ALB for an Ingress group, an NLB for a Service.</summary>
public sealed record LoadBalancerSpec
{
    /// <summary>The name: upstream's hashed <c>k8s-…</c> name, or <c>load-balancer-name</c>. Applied only at creation.</summary>
    public required string Name { get; init; }

    /// <summary><c>application</c> (Ingress group) or <c>network</c> (Service). A change replaces the load balancer.</summary>
    public string Type { get; init; } = "application";

    /// <summary><c>internal</c> or <c>internet-facing</c>. A change replaces the load balancer.</summary>
    public required string Scheme { get; init; }

    /// <summary><c>ipv4</c>, <c>dualstack</c> or <c>dualstack-without-public-ipv4</c>.</summary>
    public string IpAddressType { get; init; } = "ipv4";

    /// <summary>Subnet IDs, one per Availability Zone, sorted.</summary>
    public IReadOnlyList<string> Subnets { get; init; } = [];

    /// <summary>
    /// NLB only: per-subnet addresses (<c>eip-allocations</c>, <c>private-ipv4-addresses</c>, <c>ipv6-addresses</c>,
    /// <c>source-nat-ipv6-prefixes</c>), one entry per subnet of <see cref="Subnets"/> in the same order; empty when
    /// none is asked for. Applied at creation (and with <c>SetSubnets</c> when the subnets change).
    /// </summary>
    public IReadOnlyList<SubnetMappingSpec> SubnetMappings { get; init; } = [];

    /// <summary>NLB only: <c>enable-prefix-for-ipv6-source-nat</c> (<c>on</c> or <c>off</c>); null leaves the AWS default.</summary>
    public string? EnablePrefixForIpv6SourceNat { get; init; }

    /// <summary>
    /// NLB only: <c>inbound-sg-rules-on-private-link-traffic</c> (<c>on</c> or <c>off</c>), sent with
    /// <c>SetSecurityGroups</c>; null leaves it as it is.
    /// </summary>
    public string? EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic { get; init; }

    /// <summary>Security groups: the managed and backend SG references, or the literal IDs of <c>security-groups</c>.</summary>
    public IReadOnlyList<StringOrRef> SecurityGroups { get; init; } = [];

    /// <summary>Load balancer attributes set by annotation. Keys not listed return to the AWS default.</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Every tag, tracking tags included.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary><c>customer-owned-ipv4-pool</c> (Outposts), immutable after creation.</summary>
    public string? CustomerOwnedIpv4Pool { get; init; }

    /// <summary><c>ipam-ipv4-pool-id</c>.</summary>
    public string? Ipv4IpamPoolId { get; init; }

    /// <summary><c>minimum-load-balancer-capacity</c> <c>CapacityUnits</c>.</summary>
    public int? MinimumCapacityUnits { get; init; }

    /// <summary>
    /// <c>wafv2-acl-arn</c>: an ARN to associate, <see cref="Wafv2AclNone"/> to disassociate, null to leave whatever is
    /// associated (by Firewall Manager, another tool, a person) alone.
    /// </summary>
    public string? Wafv2AclArn { get; init; }

    /// <summary>The <see cref="Wafv2AclArn"/> value that asks for no web ACL.</summary>
    public const string Wafv2AclNone = "none";

    /// <summary><c>shield-advanced-protection</c>. Carried, not yet deployed.</summary>
    public bool? ShieldAdvancedProtection { get; init; }
}

/// <summary>One subnet of an NLB with the addresses asked for in it.</summary>
public sealed record SubnetMappingSpec
{
    /// <summary>The subnet ID.</summary>
    public required string SubnetId { get; init; }

    /// <summary>An Elastic IP allocation (internet-facing).</summary>
    public string? AllocationId { get; init; }

    /// <summary>A private IPv4 address in the subnet (internal).</summary>
    public string? PrivateIpv4Address { get; init; }

    /// <summary>An IPv6 address in the subnet (dualstack).</summary>
    public string? Ipv6Address { get; init; }

    /// <summary>A source NAT IPv6 prefix (<c>auto_assigned</c> or a /80), dualstack with source NAT on.</summary>
    public string? SourceNatIpv6Prefix { get; init; }
}

/// <summary>A listener (resource ID: its port).</summary>
public sealed record ListenerSpec
{
    /// <summary>The port, 1–65535.</summary>
    public required int Port { get; init; }

    /// <summary><c>HTTP</c> or <c>HTTPS</c> (ALB); <c>TCP</c>, <c>UDP</c>, <c>TLS</c>, <c>TCP_UDP</c>, <c>QUIC</c> or <c>TCP_QUIC</c> (NLB).</summary>
    public required string Protocol { get; init; }

    /// <summary>NLB TLS listeners: the ALPN policy (<c>None</c>, <c>HTTP1Only</c>, <c>HTTP2Only</c>, <c>HTTP2Optional</c>, <c>HTTP2Preferred</c>); null for none.</summary>
    public string? AlpnPolicy { get; init; }

    /// <summary>Certificate ARNs; the first is the listener's default certificate.</summary>
    public IReadOnlyList<string> Certificates { get; init; } = [];

    /// <summary>The SSL policy of an HTTPS listener.</summary>
    public string? SslPolicy { get; init; }

    /// <summary>The default actions (ssl-redirect, the default backend, or a fixed 404).</summary>
    public IReadOnlyList<ActionSpec> DefaultActions { get; init; } = [];

    /// <summary>Listener attributes (<c>listener-attributes.HTTPS-443</c>).</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Every tag, tracking tags included.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>
/// A listener rule (resource ID <c>port:priority</c>). Priorities are dense from 1 per listener over the rules of
/// valid members; rules of frozen members are kept where they are (see <see cref="FrozenRuleBlock"/>).
/// </summary>
public sealed record ListenerRuleSpec
{
    /// <summary>The listener's port.</summary>
    public required int Port { get; init; }

    /// <summary>The priority, 1–50000.</summary>
    public required int Priority { get; init; }

    /// <summary>The conditions (at most 5 match values in all, an ALB limit).</summary>
    public IReadOnlyList<ConditionSpec> Conditions { get; init; } = [];

    /// <summary>The actions in order (authentication first, the routing action last).</summary>
    public IReadOnlyList<ActionSpec> Actions { get; init; } = [];

    /// <summary>Transforms (<c>transforms.&lt;name&gt;</c>).</summary>
    public IReadOnlyList<TransformSpec> Transforms { get; init; } = [];

    /// <summary>Every tag, tracking tags included.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The Ingress (<c>namespace/name</c>) whose path produced this rule.</summary>
    public required string Owner { get; init; }
}

/// <summary>
/// Where the rules of a frozen (invalid) member stand in a listener's order: the deployer keeps that member's
/// existing rules untouched and places them after the valid rule with priority <see cref="AfterPriority"/> (0: first).
/// </summary>
public sealed record FrozenRuleBlock
{
    /// <summary>The listener's port.</summary>
    public required int Port { get; init; }

    /// <summary>The frozen Ingress (<c>namespace/name</c>).</summary>
    public required string Owner { get; init; }

    /// <summary>The priority of the valid rule the frozen rules follow; 0 when they come first.</summary>
    public required int AfterPriority { get; init; }
}

/// <summary>A listener or rule action.</summary>
public sealed record ActionSpec
{
    /// <summary><c>forward</c>, <c>redirect</c>, <c>fixed-response</c>, <c>authenticate-oidc</c>, <c>authenticate-cognito</c>, <c>jwt-validation</c>.</summary>
    public required string Type { get; init; }

    /// <summary>The order among the rule's actions (1-based), set when a rule has several actions.</summary>
    public int? Order { get; init; }

    /// <summary>Forward to one or several weighted target groups.</summary>
    public ForwardActionSpec? Forward { get; init; }

    /// <summary>Redirect.</summary>
    public RedirectActionSpec? Redirect { get; init; }

    /// <summary>Fixed response.</summary>
    public FixedResponseActionSpec? FixedResponse { get; init; }

    /// <summary>OIDC authentication.</summary>
    public AuthenticateOidcActionSpec? AuthenticateOidc { get; init; }

    /// <summary>Cognito authentication.</summary>
    public AuthenticateCognitoActionSpec? AuthenticateCognito { get; init; }

    /// <summary>JWT validation (raw JSON of the annotation, carried).</summary>
    public string? JwtValidation { get; init; }
}

/// <summary>Forward to target groups, with optional stickiness across them.</summary>
public sealed record ForwardActionSpec
{
    /// <summary>The target groups and their weights.</summary>
    public IReadOnlyList<WeightedTargetGroup> TargetGroups { get; init; } = [];

    /// <summary>Target-group stickiness duration in seconds; null when stickiness is off.</summary>
    public int? StickinessDurationSeconds { get; init; }

    /// <summary>True when target-group stickiness is enabled.</summary>
    public bool StickinessEnabled { get; init; }
}

/// <summary>One target group of a forward action.</summary>
public sealed record WeightedTargetGroup
{
    /// <summary>A reference to a stack target group, or a literal ARN.</summary>
    public required StringOrRef TargetGroupArn { get; init; }

    /// <summary>The weight (0–999); null for a single-target-group forward.</summary>
    public int? Weight { get; init; }
}

/// <summary>A redirect; unset fields keep the request's value (<c>#{host}</c> etc. on AWS).</summary>
public sealed record RedirectActionSpec
{
    /// <summary>Protocol.</summary>
    public string? Protocol { get; init; }

    /// <summary>Port.</summary>
    public string? Port { get; init; }

    /// <summary>Host.</summary>
    public string? Host { get; init; }

    /// <summary>Path.</summary>
    public string? Path { get; init; }

    /// <summary>Query.</summary>
    public string? Query { get; init; }

    /// <summary><c>HTTP_301</c> or <c>HTTP_302</c>.</summary>
    public required string StatusCode { get; init; }
}

/// <summary>A fixed response.</summary>
public sealed record FixedResponseActionSpec
{
    /// <summary>HTTP status code, e.g. <c>404</c>.</summary>
    public required string StatusCode { get; init; }

    /// <summary>Content type.</summary>
    public string? ContentType { get; init; }

    /// <summary>Body.</summary>
    public string? MessageBody { get; init; }
}

/// <summary>authenticate-oidc.</summary>
public sealed record AuthenticateOidcActionSpec
{
    /// <summary>Issuer.</summary>
    public required string Issuer { get; init; }

    /// <summary>Authorization endpoint.</summary>
    public required string AuthorizationEndpoint { get; init; }

    /// <summary>Token endpoint.</summary>
    public required string TokenEndpoint { get; init; }

    /// <summary>User info endpoint.</summary>
    public required string UserInfoEndpoint { get; init; }

    /// <summary>Client id (from the Secret).</summary>
    public required string ClientId { get; init; }

    /// <summary>Client secret (from the Secret). Never logged: the serializer writes a digest.</summary>
    public required string ClientSecret { get; init; }

    /// <summary>Extra request parameters.</summary>
    public IReadOnlyDictionary<string, string> AuthenticationRequestExtraParams { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary><c>authenticate</c>, <c>allow</c> or <c>deny</c>.</summary>
    public string OnUnauthenticatedRequest { get; init; } = "authenticate";

    /// <summary>Scope.</summary>
    public string Scope { get; init; } = "openid";

    /// <summary>Session cookie name.</summary>
    public string SessionCookieName { get; init; } = "AWSELBAuthSessionCookie";

    /// <summary>Session timeout in seconds.</summary>
    public long SessionTimeout { get; init; } = 604800;
}

/// <summary>authenticate-cognito.</summary>
public sealed record AuthenticateCognitoActionSpec
{
    /// <summary>User pool ARN.</summary>
    public required string UserPoolArn { get; init; }

    /// <summary>User pool client id.</summary>
    public required string UserPoolClientId { get; init; }

    /// <summary>User pool domain.</summary>
    public required string UserPoolDomain { get; init; }

    /// <summary>Extra request parameters.</summary>
    public IReadOnlyDictionary<string, string> AuthenticationRequestExtraParams { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary><c>authenticate</c>, <c>allow</c> or <c>deny</c>.</summary>
    public string OnUnauthenticatedRequest { get; init; } = "authenticate";

    /// <summary>Scope.</summary>
    public string Scope { get; init; } = "openid";

    /// <summary>Session cookie name.</summary>
    public string SessionCookieName { get; init; } = "AWSELBAuthSessionCookie";

    /// <summary>Session timeout in seconds.</summary>
    public long SessionTimeout { get; init; } = 604800;
}

/// <summary>A rule condition; exactly one of the typed parts is set, matching <see cref="Field"/>.</summary>
public sealed record ConditionSpec
{
    /// <summary><c>host-header</c>, <c>path-pattern</c>, <c>http-header</c>, <c>http-request-method</c>, <c>query-string</c>, <c>source-ip</c>.</summary>
    public required string Field { get; init; }

    /// <summary>Wildcard values (host-header, path-pattern, http-header, http-request-method, source-ip).</summary>
    public IReadOnlyList<string>? Values { get; init; }

    /// <summary>Regex values (host-header, path-pattern, http-header).</summary>
    public IReadOnlyList<string>? RegexValues { get; init; }

    /// <summary>The header name of an http-header condition.</summary>
    public string? HttpHeaderName { get; init; }

    /// <summary>Key/value pairs of a query-string condition (a null key matches any key).</summary>
    public IReadOnlyList<QueryStringPair>? QueryStrings { get; init; }
}

/// <summary>One query-string match.</summary>
public sealed record QueryStringPair(string? Key, string Value);

/// <summary>A rule transform (<c>host-header-rewrite</c> or <c>url-rewrite</c>).</summary>
public sealed record TransformSpec
{
    /// <summary><c>host-header-rewrite</c> or <c>url-rewrite</c>.</summary>
    public required string Type { get; init; }

    /// <summary>The rewrites (regex → replacement).</summary>
    public IReadOnlyList<RewriteSpec> Rewrites { get; init; } = [];
}

/// <summary>One regex rewrite.</summary>
public sealed record RewriteSpec(string Regex, string Replace);

/// <summary>A target group (resource ID <c>ingNs/ingName-svcName:svcPort</c>).</summary>
public sealed record TargetGroupSpec
{
    /// <summary>The resource ID.</summary>
    public required string Id { get; init; }

    /// <summary>Upstream's hashed <c>k8s-…</c> name (≤ 32 characters).</summary>
    public required string Name { get; init; }

    /// <summary><c>instance</c> or <c>ip</c>. A change replaces the target group.</summary>
    public required string TargetType { get; init; }

    /// <summary>The port: the NodePort (instance) or the numeric target port, or 1 for a named one (ip).</summary>
    public required int Port { get; init; }

    /// <summary><c>HTTP</c> or <c>HTTPS</c> (ALB); <c>TCP</c>, <c>UDP</c>, <c>TLS</c>, <c>TCP_UDP</c>… (NLB). A change replaces the target group.</summary>
    public required string Protocol { get; init; }

    /// <summary><c>HTTP1</c>, <c>HTTP2</c> or <c>GRPC</c> (ALB); null for an NLB target group. A change replaces the target group.</summary>
    public required string? ProtocolVersion { get; init; }

    /// <summary><c>ipv4</c> or <c>ipv6</c>.</summary>
    public string IpAddressType { get; init; } = "ipv4";

    /// <summary>The health check.</summary>
    public required HealthCheckSpec HealthCheck { get; init; }

    /// <summary>Target group attributes set by annotation. Keys not listed return to the AWS default.</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Every tag, tracking tags included.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The Ingress or Service (<c>namespace/name</c>) that owns this target group.</summary>
    public required string Owner { get; init; }

    /// <summary>The backend: <c>namespace/service:port</c> as written in the Ingress or Service.</summary>
    public required string Backend { get; init; }
}

/// <summary>A target group health check.</summary>
public sealed record HealthCheckSpec
{
    /// <summary><c>traffic-port</c> or a port number.</summary>
    public string Port { get; init; } = "traffic-port";

    /// <summary><c>HTTP</c> or <c>HTTPS</c>; <c>TCP</c> too for an NLB target group.</summary>
    public required string Protocol { get; init; }

    /// <summary>Path (HTTP and HTTPS health checks); null for a TCP health check.</summary>
    public required string? Path { get; init; }

    /// <summary>Interval in seconds.</summary>
    public int IntervalSeconds { get; init; } = 15;

    /// <summary>Timeout in seconds.</summary>
    public int TimeoutSeconds { get; init; } = 5;

    /// <summary>Healthy threshold.</summary>
    public int HealthyThresholdCount { get; init; } = 2;

    /// <summary>Unhealthy threshold.</summary>
    public int UnhealthyThresholdCount { get; init; } = 2;

    /// <summary>HTTP success codes (HTTP1/HTTP2), e.g. <c>200</c> or <c>200-299</c>.</summary>
    public string? HttpCode { get; init; }

    /// <summary>gRPC success codes (GRPC), e.g. <c>12</c>.</summary>
    public string? GrpcCode { get; init; }
}

/// <summary>The targets one target group should have.</summary>
public sealed record TargetSetSpec
{
    /// <summary>The target group's resource ID.</summary>
    public required string TargetGroupId { get; init; }

    /// <summary><c>instance</c> or <c>ip</c>.</summary>
    public required string TargetType { get; init; }

    /// <summary>The targets, sorted by id then port.</summary>
    public IReadOnlyList<TargetSpec> Targets { get; init; } = [];
}

/// <summary>One target: an instance ID or an IP address, and a port.</summary>
/// <param name="Id">EC2 instance ID (instance) or pod IP (ip).</param>
/// <param name="Port">The port traffic is sent to.</param>
/// <param name="AvailabilityZone">Only for IPs outside the VPC (<c>all</c>); otherwise null.</param>
public sealed record TargetSpec(string Id, int Port, string? AvailabilityZone = null);

/// <summary>A security group the stack owns (the managed frontend SG) or shares (the backend SG).</summary>
public sealed record SecurityGroupSpec
{
    /// <summary>The resource ID.</summary>
    public required string Id { get; init; }

    /// <summary>The group name.</summary>
    public required string Name { get; init; }

    /// <summary>The description.</summary>
    public required string Description { get; init; }

    /// <summary>Ingress rules.</summary>
    public IReadOnlyList<SecurityGroupRuleSpec> Ingress { get; init; } = [];

    /// <summary>Every tag, tracking tags included.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>One ingress permission.</summary>
public sealed record SecurityGroupRuleSpec
{
    /// <summary><c>tcp</c>; <c>udp</c>, <c>icmp</c> or <c>icmpv6</c> for NLB rules (ICMP: <see cref="FromPort"/> is the type, <see cref="ToPort"/> the code).</summary>
    public string Protocol { get; init; } = "tcp";

    /// <summary>First port.</summary>
    public required int FromPort { get; init; }

    /// <summary>Last port.</summary>
    public required int ToPort { get; init; }

    /// <summary>An IPv4 CIDR source.</summary>
    public string? CidrIpv4 { get; init; }

    /// <summary>An IPv6 CIDR source.</summary>
    public string? CidrIpv6 { get; init; }

    /// <summary>A managed prefix list source.</summary>
    public string? PrefixListId { get; init; }

    /// <summary>A security group source (the backend SG reference).</summary>
    public StringOrRef? SourceSecurityGroup { get; init; }

    /// <summary>The rule description.</summary>
    public string? Description { get; init; }
}

/// <summary>
/// Ingress rules the stack needs on a security group it does not own (a node or ENI SG), from the backend SG.
/// Only rules with upstream's description <c>elbv2.k8s.aws/targetGroupBinding=shared</c> are ever changed.
/// </summary>
public sealed record NodeSecurityGroupRulesSpec
{
    /// <summary>The node security group's ID.</summary>
    public required string SecurityGroupId { get; init; }

    /// <summary>The rules (restricted mode: one range min..max port per protocol and source).</summary>
    public IReadOnlyList<SecurityGroupRuleSpec> Rules { get; init; } = [];
}
