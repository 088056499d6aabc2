using k8s.Models;
using Serverless.Model;

namespace Serverless.Ingress.Backend;

/// <summary>
/// Ingress paths to ALB conditions (upstream's <c>sortIngressPaths</c>, <c>buildPathPatterns</c> and
/// <c>buildRuleConditions</c>).
/// </summary>
internal static class PathConditions
{
    public const string HostHeader = "host-header";
    public const string PathPattern = "path-pattern";
    public const string HttpHeader = "http-header";
    public const string HttpRequestMethod = "http-request-method";
    public const string QueryString = "query-string";
    public const string SourceIp = "source-ip";

    private const string Exact = "Exact";
    private const string Prefix = "Prefix";
    private const string ImplementationSpecific = "ImplementationSpecific";

    /// <summary>
    /// The paths in upstream's order, each with its index in <c>spec.rules[i].http.paths</c>: every Exact path
    /// (original order), then Prefix paths by descending length (stable), then ImplementationSpecific or unset
    /// (original order).
    /// </summary>
    public static IReadOnlyList<(V1HTTPIngressPath Path, int Index)> Sort(MemberBackend member, IList<V1HTTPIngressPath> paths, string fieldPrefix)
    {
        var exact = new List<(V1HTTPIngressPath, int)>();
        var prefix = new List<(V1HTTPIngressPath Path, int Index)>();
        var other = new List<(V1HTTPIngressPath, int)>();
        for (var j = 0; j < paths.Count; j++)
        {
            var path = paths[j] ?? new V1HTTPIngressPath();
            switch (path.PathType)
            {
                case Exact:
                    exact.Add((path, j));
                    break;
                case Prefix:
                    prefix.Add((path, j));
                    break;
                case ImplementationSpecific or null:
                    other.Add((path, j));
                    break;
                default:
                    throw member.Invalid($"{fieldPrefix}.paths[{j}].pathType", path.PathType,
                        "unknown pathType: must be Exact, Prefix or ImplementationSpecific");
            }
        }
        // OrderByDescending is a stable sort: equal lengths keep their original order.
        return [.. exact, .. prefix.OrderByDescending(static p => (p.Path.Path ?? string.Empty).Length), .. other];
    }

    /// <summary>The path patterns of one path: wildcard values, or regex values with <c>use-regex-path-match</c>.</summary>
    public static (IReadOnlyList<string> Values, IReadOnlyList<string> RegexValues) Patterns(
        MemberBackend member, V1HTTPIngressPath path, string field, Lazy<bool> useRegex)
    {
        var patterns = UncheckedPatterns(member, path, field, useRegex);
        // ELBv2 refuses a path-pattern value longer than 128 characters, and only at deploy time.
        if (patterns.Values.Concat(patterns.RegexValues).FirstOrDefault(static p => p.Length > MaxPatternLength) is { } tooLong)
        {
            throw member.Invalid(field + ".path", path.Path,
                $"the path pattern \"{(tooLong.Length > 40 ? tooLong[..40] + "…" : tooLong)}\" is {tooLong.Length} characters long; a load balancer rule allows at most {MaxPatternLength}");
        }
        return patterns;
    }

    private const int MaxPatternLength = 128;

    private static (IReadOnlyList<string> Values, IReadOnlyList<string> RegexValues) UncheckedPatterns(
        MemberBackend member, V1HTTPIngressPath path, string field, Lazy<bool> useRegex)
    {
        var value = path.Path ?? string.Empty;
        switch (path.PathType ?? ImplementationSpecific)
        {
            case Exact:
                if (value.AsSpan().IndexOfAny('*', '?') >= 0)
                    throw member.Invalid(field + ".path", value, "an Exact path must not contain wildcards (* or ?); use pathType ImplementationSpecific for ALB wildcards");
                return ([value], []);
            case Prefix:
                if (value == "/")
                    return (["/*"], []);
                if (value.AsSpan().IndexOfAny('*', '?') >= 0)
                    throw member.Invalid(field + ".path", value, "a Prefix path must not contain wildcards (* or ?); use pathType ImplementationSpecific for ALB wildcards");
                var trimmed = value.EndsWith('/') ? value[..^1] : value;
                return ([trimmed, trimmed + "/*"], []);
            default:
                if (useRegex.Value)
                {
                    // Kubernetes paths start with '/', a regex need not: upstream drops the first character.
                    return ([], [value.StartsWith('/') ? value[1..] : value]);
                }
                return ([value], []);
        }
    }

    /// <summary>
    /// The conditions of one path's rule: the <c>conditions.&lt;service&gt;</c> conditions other than host and path
    /// (in annotation order), then one host-header condition (the rule's host plus the annotation's hosts), then one
    /// path-pattern condition (the path's patterns plus the annotation's); <c>/*</c> when nothing else matches.
    /// </summary>
    public static IReadOnlyList<ConditionSpec> Build(
        MemberBackend member, string? host, V1HTTPIngressPath path, string field, Lazy<bool> useRegex, ResolvedBackend backend)
    {
        var hostValues = new List<string>();
        var hostRegex = new List<string>();
        var pathValues = new List<string>();
        var pathRegex = new List<string>();
        if (!string.IsNullOrEmpty(host))
            hostValues.Add(host);
        if (!string.IsNullOrEmpty(path.Path))
        {
            var (values, regex) = Patterns(member, path, field, useRegex);
            pathValues.AddRange(values);
            pathRegex.AddRange(regex);
        }

        var conditions = new List<ConditionSpec>();
        foreach (var condition in backend.AnnotationConditions)
        {
            switch (condition.Field)
            {
                case HostHeader:
                    hostValues.AddRange(condition.Values ?? []);
                    hostRegex.AddRange(condition.RegexValues ?? []);
                    break;
                case PathPattern:
                    pathValues.AddRange(condition.Values ?? []);
                    pathRegex.AddRange(condition.RegexValues ?? []);
                    break;
                default:
                    conditions.Add(condition);
                    break;
            }
        }

        var annotation = Annotations.ConditionsPrefix + backend.ServiceName;
        if (hostValues.Count > 0 && hostRegex.Count > 0)
        {
            throw member.Member.Annotations.Invalid(annotation,
                $"the host condition of {field} would mix values [{string.Join(", ", hostValues)}] and regexValues [{string.Join(", ", hostRegex)}]; an ALB condition takes exactly one of them");
        }
        if (pathValues.Count > 0 && pathRegex.Count > 0)
        {
            throw member.Member.Annotations.Invalid(annotation,
                $"the path condition of {field} would mix values [{string.Join(", ", pathValues)}] and regexValues [{string.Join(", ", pathRegex)}]; an ALB condition takes exactly one of them");
        }

        if (hostValues.Count > 0)
            conditions.Add(new ConditionSpec { Field = HostHeader, Values = hostValues });
        if (hostRegex.Count > 0)
            conditions.Add(new ConditionSpec { Field = HostHeader, RegexValues = hostRegex });
        if (pathValues.Count > 0)
            conditions.Add(new ConditionSpec { Field = PathPattern, Values = pathValues });
        if (pathRegex.Count > 0)
            conditions.Add(new ConditionSpec { Field = PathPattern, RegexValues = pathRegex });
        if (conditions.Count == 0)
            conditions.Add(new ConditionSpec { Field = PathPattern, Values = ["/*"] });
        return conditions;
    }

    /// <summary>The condition values of a rule as ALB counts them against its limit of 5.</summary>
    public static int CountValues(IEnumerable<ConditionSpec> conditions) =>
        conditions.Sum(static c => (c.Values?.Count ?? 0) + (c.RegexValues?.Count ?? 0) + (c.QueryStrings?.Count ?? 0));
}
