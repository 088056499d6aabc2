using System.Globalization;

namespace Serverless.Ingress;

/// <summary>
/// What ELBv2, EC2 and the Kubernetes API would reject, checked before anything is written: each check returns the
/// problem in words, or null when the value is acceptable.
/// </summary>
internal static class AwsLimits
{
    /// <summary>
    /// A target group health check matcher: <c>200</c>, <c>200,202</c> or <c>200-299</c> (ranges and codes may be
    /// mixed in the list); each code within 200–499 for HTTP and HTTP/2, 0–99 for gRPC.
    /// </summary>
    public static string? SuccessCodes(string value, bool grpc)
    {
        var (min, max) = grpc ? (0, 99) : (200, 499);
        var kind = grpc ? "gRPC status codes" : "HTTP status codes";
        var shape = $"must be {kind} within {min}-{max}: a code (e.g. {(grpc ? "12" : "200")}), a list (e.g. {(grpc ? "0,12" : "200,202")}) or a range (e.g. {(grpc ? "0-99" : "200-399")})";
        if (value.Length == 0)
            return shape;
        foreach (var part in value.Split(','))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            var ends = dash < 0 ? [part] : part.Split('-');
            if (ends.Any(static e => e.Length is 0 or > 3 || !e.All(char.IsAsciiDigit)))
            {
                return part.Length == 0 ? $"\"{value}\" has an empty entry: {shape}"
                    : dash < 0 ? $"\"{part}\" is not a code: {shape}"
                    : $"range \"{part}\" is malformed: {shape}";
            }
            var codes = ends.Select(static e => int.Parse(e, NumberStyles.None, CultureInfo.InvariantCulture)).ToList();
            if (codes.Count > 2)
                return $"range \"{part}\" is malformed: {shape}";
            foreach (var code in codes.Where(c => c < min || c > max))
                return string.Create(CultureInfo.InvariantCulture, $"{code} is outside {min}-{max}: {shape}");
            if (codes.Count == 2 && codes[0] > codes[1])
                return $"range \"{part}\" starts above its end: {shape}";
        }
        return null;
    }

    /// <summary>A load balancer name: at most 32 characters, ASCII letters, digits and hyphens, no hyphen first or last, not <c>internal-…</c>.</summary>
    public static string? LoadBalancerName(string value)
    {
        if (value.Length == 0)
            return "load balancer name cannot be empty";
        if (value.Length > 32)
            return "load balancer name cannot be longer than 32 characters";
        if (!value.All(static c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            return "load balancer name can contain only ASCII letters, digits and hyphens";
        if (value[0] == '-' || value[^1] == '-')
            return "load balancer name cannot begin or end with a hyphen";
        if (value.StartsWith("internal-", StringComparison.OrdinalIgnoreCase))
            return "load balancer name cannot begin with \"internal-\"";
        return null;
    }

    /// <summary>A managed prefix list ID: <c>pl-</c> and lowercase hex digits.</summary>
    public static string? PrefixListId(string value) =>
        value.Length > 3 && value.StartsWith("pl-", StringComparison.Ordinal) && value[3..].All(char.IsAsciiHexDigitLower)
            ? null
            : $"\"{value}\" is not a prefix list ID (pl- followed by hexadecimal digits)";

    /// <summary>A health check path: starts with <c>/</c>, 1–1024 characters (for gRPC too: <c>/package.service/method</c>).</summary>
    public static string? HealthCheckPath(string value)
    {
        if (!value.StartsWith('/'))
            return "must start with /";
        return value.Length > 1024 ? "must be at most 1024 characters" : null;
    }

    /// <summary>
    /// A Kubernetes name that must be a DNS-1035 label (a Service): at most 63 lowercase letters, digits and hyphens,
    /// starting with a letter and ending with a letter or digit.
    /// </summary>
    public static string? DnsLabel(string value)
    {
        if (value.Length is 0 or > 63)
            return "is not a valid Service name: it must be 1-63 characters";
        if (!value.All(static c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-') || !char.IsAsciiLetterLower(value[0]) || value[^1] == '-')
            return "is not a valid Service name: it must consist of lowercase letters, digits and '-', start with a letter and end with a letter or digit";
        return null;
    }

    /// <summary>
    /// A Kubernetes name that must be a DNS-1123 subdomain (a Secret): at most 253 characters, dot-separated labels
    /// of lowercase letters, digits and hyphens, each starting and ending with a letter or digit.
    /// </summary>
    public static string? DnsSubdomain(string value)
    {
        if (value.Length is 0 or > 253)
            return "is not a valid object name: it must be 1-253 characters";
        foreach (var label in value.Split('.'))
        {
            if (label.Length == 0 || !label.All(static c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-') || label[0] == '-' || label[^1] == '-')
                return "is not a valid object name: it must be lowercase letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit";
        }
        return null;
    }

    /// <summary>
    /// The value of a load balancer attribute ELBv2 would reject, by key (keys not listed here are passed through: AWS
    /// adds attributes over time).
    /// </summary>
    public static string? LoadBalancerAttribute(string key, string value) => key switch
    {
        "idle_timeout.timeout_seconds" => Integer(value, 1, 4000),
        "client_keep_alive.seconds" => Integer(value, 60, 604800),
        "deletion_protection.enabled" or "access_logs.s3.enabled" or "connection_logs.s3.enabled" or "health_check_logs.s3.enabled"
            or "routing.http2.enabled" or "routing.http.drop_invalid_header_fields.enabled" or "routing.http.preserve_host_header.enabled"
            or "routing.http.x_amzn_tls_version_and_cipher_suite.enabled" or "routing.http.xff_client_port.enabled" or "waf.fail_open.enabled"
            or "zonal_shift.config.enabled" => Boolean(value),
        "routing.http.desync_mitigation_mode" => OneOf(value, "monitor", "defensive", "strictest"),
        "routing.http.xff_header_processing.mode" => OneOf(value, "append", "preserve", "remove"),
        _ => null,
    };

    /// <summary>
    /// The value of an Application Load Balancer target group attribute ELBv2 would reject, by key (keys not listed
    /// here are passed through).
    /// </summary>
    public static string? TargetGroupAttribute(string key, string value) => key switch
    {
        "deregistration_delay.timeout_seconds" => Integer(value, 0, 3600),
        "stickiness.enabled" => Boolean(value),
        "load_balancing.cross_zone.enabled" => OneOf(value, "true", "false", "use_load_balancer_configuration"),
        "stickiness.type" => OneOf(value, "lb_cookie", "app_cookie"),
        "stickiness.lb_cookie.duration_seconds" or "stickiness.app_cookie.duration_seconds" => Integer(value, 1, 604800),
        "slow_start.duration_seconds" => value == "0" ? null : Integer(value, 30, 900) is null ? null : "must be 0 (off) or an integer within 30-900",
        "load_balancing.algorithm.type" => OneOf(value, "round_robin", "least_outstanding_requests", "weighted_random"),
        "load_balancing.algorithm.anomaly_mitigation" => OneOf(value, "on", "off"),
        _ => null,
    };

    private static string? Integer(string value, long min, long max) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"must be an integer within {min}-{max}");

    private static string? Boolean(string value) => value is "true" or "false" ? null : "must be true or false";

    private static string? OneOf(string value, params string[] allowed) =>
        allowed.Contains(value, StringComparer.Ordinal) ? null : "must be one of: " + string.Join(", ", allowed);
}
