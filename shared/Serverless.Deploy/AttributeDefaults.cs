namespace Serverless.Deploy;

/// <summary>
/// The AWS default of every Application Load Balancer, target group and listener attribute the deployer knows. A key
/// that was set and is no longer desired is set back to its default here; a key not in these tables is left as it is
/// and reported in the notes (we cannot know what "unset" means for it). Sources: the ELBv2 API reference
/// (LoadBalancerAttribute, TargetGroupAttribute, ListenerAttribute), values for ALBs and HTTP/HTTPS target groups.
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

    /// <summary>
    /// Keys AWS (or moto) reports for a resource type they do not apply to, or that an ALB cannot change: never diffed,
    /// never noted, when they are absent from the table of the resource at hand (<c>load_balancing.cross_zone.enabled</c>
    /// is always on for an ALB; <c>tcp.idle_timeout.seconds</c> is for NLB TCP listeners; moto reports
    /// <c>waf.fail_open.enabled</c> on target groups).
    /// </summary>
    public static IReadOnlySet<string> NotApplicable { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "load_balancing.cross_zone.enabled",
        "tcp.idle_timeout.seconds",
        "waf.fail_open.enabled",
        "dns_record.client_routing_policy",
        "ipv6.deny_all_igw_traffic",
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
            else if (!NotApplicable.Contains(key))
            {
                unknown.Add(key + "=" + current);
            }
        }
        return (changes, unknown);
    }
}
