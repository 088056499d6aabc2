namespace Serverless.Deploy;

/// <summary>
/// The AWS default of every load balancer, target group and listener attribute the deployer knows, for Application
/// and Network Load Balancers. A key that was set and is no longer desired is set back to its default here; a key not
/// in these tables is left as it is and reported in the notes (we cannot know what "unset" means for it). Sources: the
/// ELBv2 API reference (LoadBalancerAttribute, TargetGroupAttribute, ListenerAttribute) and the Network Load Balancer
/// guide, values for ALBs with HTTP/HTTPS target groups and for NLBs with TCP/UDP/TLS target groups.
/// </summary>
public static class AttributeDefaults
{
    /// <summary>Load balancer attributes (type <c>application</c>).</summary>
    public static IReadOnlyDictionary<string, string> LoadBalancer { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["access_logs.s3.enabled"] = "false",
        ["access_logs.s3.bucket"] = "",
        ["access_logs.s3.prefix"] = "",
        ["client_keep_alive.seconds"] = "3600",
        ["connection_logs.s3.enabled"] = "false",
        ["connection_logs.s3.bucket"] = "",
        ["connection_logs.s3.prefix"] = "",
        ["deletion_protection.enabled"] = "false",
        ["health_check_logs.s3.enabled"] = "false",
        ["idle_timeout.timeout_seconds"] = "60",
        ["routing.http.desync_mitigation_mode"] = "defensive",
        ["routing.http.drop_invalid_header_fields.enabled"] = "false",
        ["routing.http.preserve_host_header.enabled"] = "false",
        ["routing.http.x_amzn_tls_version_and_cipher_suite.enabled"] = "false",
        ["routing.http.xff_client_port.enabled"] = "false",
        ["routing.http.xff_header_processing.mode"] = "append",
        ["routing.http2.enabled"] = "true",
        ["waf.fail_open.enabled"] = "false",
        ["zonal_shift.config.enabled"] = "false",
    };

    /// <summary>Target group attributes (HTTP/HTTPS, instance or ip).</summary>
    public static IReadOnlyDictionary<string, string> TargetGroup { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["deregistration_delay.timeout_seconds"] = "300",
        ["load_balancing.algorithm.anomaly_mitigation"] = "off",
        ["load_balancing.algorithm.type"] = "round_robin",
        ["load_balancing.cross_zone.enabled"] = "use_load_balancer_configuration",
        ["slow_start.duration_seconds"] = "0",
        ["stickiness.enabled"] = "false",
        ["stickiness.type"] = "lb_cookie",
        ["stickiness.lb_cookie.duration_seconds"] = "86400",
        ["stickiness.app_cookie.duration_seconds"] = "86400",
        ["target_group_health.dns_failover.minimum_healthy_targets.count"] = "1",
        ["target_group_health.dns_failover.minimum_healthy_targets.percentage"] = "off",
        ["target_group_health.unhealthy_state_routing.minimum_healthy_targets.count"] = "1",
        ["target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage"] = "off",
    };

    /// <summary>Listener attributes (HTTP/HTTPS listeners of an ALB).</summary>
    public static IReadOnlyDictionary<string, string> Listener { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["routing.http.response.server.enabled"] = "true",
        ["routing.http.response.strict_transport_security.header_value"] = "",
        ["routing.http.response.access_control_allow_origin.header_value"] = "",
        ["routing.http.response.access_control_allow_methods.header_value"] = "",
        ["routing.http.response.access_control_allow_headers.header_value"] = "",
        ["routing.http.response.access_control_allow_credentials.header_value"] = "",
        ["routing.http.response.access_control_expose_headers.header_value"] = "",
        ["routing.http.response.access_control_max_age.header_value"] = "",
        ["routing.http.response.content_security_policy.header_value"] = "",
        ["routing.http.response.x_content_type_options.header_value"] = "",
        ["routing.http.response.x_frame_options.header_value"] = "",
    };

    /// <summary>Load balancer attributes (type <c>network</c>).</summary>
    /// <remarks>
    /// <c>ipv6.deny_all_igw_traffic</c> is not here: its default depends on the scheme (true for internal, false for
    /// internet-facing), so a key no longer desired is left as it is (<see cref="DependsOnTheResource"/>).
    /// </remarks>
    public static IReadOnlyDictionary<string, string> NetworkLoadBalancer { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["access_logs.s3.enabled"] = "false",
        ["access_logs.s3.bucket"] = "",
        ["access_logs.s3.prefix"] = "",
        ["deletion_protection.enabled"] = "false",
        ["dns_record.client_routing_policy"] = "any_availability_zone",
        ["load_balancing.cross_zone.enabled"] = "false",
        ["zonal_shift.config.enabled"] = "false",
    };

    /// <summary>Target group attributes of a Network Load Balancer (TCP, UDP, TLS, TCP_UDP; instance or ip).</summary>
    /// <remarks>
    /// <c>preserve_client_ip.enabled</c> is not here: its default depends on the target type and protocol (true for
    /// instance and for UDP/TCP_UDP, false for ip with TCP/TLS), so a key no longer desired is left as it is.
    /// </remarks>
    public static IReadOnlyDictionary<string, string> NetworkTargetGroup { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["deregistration_delay.timeout_seconds"] = "300",
        ["deregistration_delay.connection_termination.enabled"] = "false",
        ["load_balancing.cross_zone.enabled"] = "use_load_balancer_configuration",
        ["proxy_protocol_v2.enabled"] = "false",
        ["stickiness.enabled"] = "false",
        ["stickiness.type"] = "source_ip",
        ["target_group_health.dns_failover.minimum_healthy_targets.count"] = "1",
        ["target_group_health.dns_failover.minimum_healthy_targets.percentage"] = "off",
        ["target_group_health.unhealthy_state_routing.minimum_healthy_targets.count"] = "1",
        ["target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage"] = "off",
        ["target_health_state.unhealthy.connection_termination.enabled"] = "true",
        ["target_health_state.unhealthy.draining_interval_seconds"] = "0",
    };

    /// <summary>Listener attributes of a Network Load Balancer (<c>tcp.idle_timeout.seconds</c>: TCP listeners).</summary>
    public static IReadOnlyDictionary<string, string> NetworkListener { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["tcp.idle_timeout.seconds"] = "350",
    };

    /// <summary>The load balancer table of a load balancer type (<c>application</c> or <c>network</c>).</summary>
    public static IReadOnlyDictionary<string, string> ForLoadBalancer(string type) => type == "network" ? NetworkLoadBalancer : LoadBalancer;

    /// <summary>The target group table of a target group protocol (HTTP/HTTPS: ALB; any other: NLB).</summary>
    public static IReadOnlyDictionary<string, string> ForTargetGroup(string protocol) => IsHttp(protocol) ? TargetGroup : NetworkTargetGroup;

    /// <summary>The listener table of a listener protocol (HTTP/HTTPS: ALB; any other: NLB).</summary>
    public static IReadOnlyDictionary<string, string> ForListener(string protocol) => IsHttp(protocol) ? Listener : NetworkListener;

    private static bool IsHttp(string protocol) => protocol is "HTTP" or "HTTPS";

    /// <summary>
    /// Keys whose AWS default depends on the resource (scheme, target type, protocol): a key no longer desired is left
    /// as it is, without a note (upstream never resets attributes either).
    /// </summary>
    public static IReadOnlySet<string> DependsOnTheResource { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "ipv6.deny_all_igw_traffic",
        "preserve_client_ip.enabled",
    };

    /// <summary>
    /// Keys AWS (or moto) reports for a resource type they do not apply to, or that an ALB cannot change: never diffed,
    /// never noted, when they are absent from the table of the resource at hand (<c>load_balancing.cross_zone.enabled</c>
    /// is always on for an ALB; <c>tcp.idle_timeout.seconds</c> is for NLB TCP listeners; moto reports
    /// <c>waf.fail_open.enabled</c> on target groups, and ALB keys such as <c>slow_start.duration_seconds</c> on NLB ones).
    /// </summary>
    public static IReadOnlySet<string> NotApplicable { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "load_balancing.cross_zone.enabled",
        "tcp.idle_timeout.seconds",
        "waf.fail_open.enabled",
        "dns_record.client_routing_policy",
        "ipv6.deny_all_igw_traffic",
        "load_balancing.algorithm.type",
        "slow_start.duration_seconds",
    };

    /// <summary>
    /// The attribute changes that make <paramref name="actual"/> match <paramref name="desired"/>: desired keys whose
    /// value differs, and known keys no longer desired whose value is not the default (set back to it). Unknown keys no
    /// longer desired are returned in <c>unknown</c>, untouched.
    /// </summary>
    public static (List<FieldChange> Changes, List<string> Unknown) Diff(
        IReadOnlyDictionary<string, string> desired,
        IReadOnlyDictionary<string, string> actual,
        IReadOnlyDictionary<string, string> defaults)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(defaults);
        var changes = new List<FieldChange>();
        var unknown = new List<string>();
        foreach (var (key, value) in desired.OrderBy(static kv => kv.Key, StringComparer.Ordinal))
        {
            actual.TryGetValue(key, out var current);
            if (current != value)
                changes.Add(new FieldChange("attribute " + key, current, value));
        }
        foreach (var (key, current) in actual.OrderBy(static kv => kv.Key, StringComparer.Ordinal))
        {
            if (desired.ContainsKey(key))
                continue;
            if (defaults.TryGetValue(key, out var fallback))
            {
                if (current != fallback)
                    changes.Add(new FieldChange("attribute " + key, current, fallback));
            }
            else if (!NotApplicable.Contains(key) && !DependsOnTheResource.Contains(key))
            {
                unknown.Add(key + "=" + current);
            }
        }
        return (changes, unknown);
    }
}
