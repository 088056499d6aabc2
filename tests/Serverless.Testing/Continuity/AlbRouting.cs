using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Model;
using ElbAction = Serverless.Aws.ElasticLoadBalancingV2.Model.Action;

namespace Serverless.Testing.Continuity;

/// <summary>
/// One request a client keeps sending through a change: a plain <c>GET</c> to <see cref="Port"/> with the
/// <c>Host</c> header <see cref="Host"/> and the path <see cref="Path"/>, no query string, no other header, from an
/// unknown source address.
/// </summary>
public sealed record Probe(int Port, string Host, string Path)
{
    /// <summary>The host of probes derived from rules without a host condition.</summary>
    public const string DefaultHost = "probe.example.com";

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}{Path}");

    /// <summary>
    /// Probes for every rule of the stacks (one per host × path value of a rule: wildcards filled in) and one per
    /// listener for a path no rule names; distinct, in a stable order.
    /// </summary>
    public static IReadOnlyList<Probe> From(params Stack[] stacks)
    {
        ArgumentNullException.ThrowIfNull(stacks);
        var probes = new List<Probe>();
        foreach (var stack in stacks)
        {
            foreach (var rule in stack.Rules)
            {
                var hosts = rule.Conditions.Where(static c => c.Field == "host-header").SelectMany(static c => c.Values ?? []).Select(Fill).DefaultIfEmpty(DefaultHost);
                var paths = rule.Conditions.Where(static c => c.Field == "path-pattern").SelectMany(static c => c.Values ?? []).Select(Fill).DefaultIfEmpty("/");
                foreach (var host in hosts)
                    probes.AddRange(paths.Select(path => new Probe(rule.Port, host, path)));
            }
            probes.AddRange(stack.Listeners.Select(static l => new Probe(l.Port, DefaultHost, "/no-rule-names-this-path")));
        }
        return [.. probes.Distinct().OrderBy(static p => p.Port).ThenBy(static p => p.Host, StringComparer.Ordinal).ThenBy(static p => p.Path, StringComparer.Ordinal)];

        // A concrete value a wildcard pattern matches: '*' and '?' become letters.
        static string Fill(string pattern) => pattern.Replace("*", "probe", StringComparison.Ordinal).Replace('?', 'q');
    }
}

/// <summary>Whether one probe is served in one state, and by what (for reports).</summary>
public sealed record ProbeOutcome(bool Served, string Detail);

/// <summary>What the routing evaluation needs of one load balancer's listener.</summary>
public sealed record RoutedListener(string LoadBalancerName, int Port, IReadOnlyList<Rule> Rules);

/// <summary>
/// The state routing is evaluated on: listeners with their rules (the default rule included, as <c>DescribeRules</c>
/// returns it) and, per target group ARN, the health states of its registered targets.
/// </summary>
public sealed record RoutingState(IReadOnlyList<RoutedListener> Listeners, IReadOnlyDictionary<string, IReadOnlyList<string>> TargetStates);

/// <summary>
/// ALB routing as the documentation describes it, evaluated for a <see cref="Probe"/>:
/// listener on the probe's port → rules by ascending priority, the first whose conditions all match → else the
/// listener's default action; the action that decides is the last one by order (authenticate actions come first and
/// are assumed to pass).
/// <list type="bullet">
/// <item><c>host-header</c>: any value matches the host, case-insensitive, <c>*</c> any characters and <c>?</c> one;
/// regex values with .NET regular expressions.</item>
/// <item><c>path-pattern</c>: any value matches the path, case-sensitive, same wildcards; regex values likewise.</item>
/// <item><c>http-request-method</c>: matches when it lists <c>GET</c>.</item>
/// <item><c>http-header</c>, <c>query-string</c>, <c>source-ip</c> and unknown fields: never match — the probe carries no
/// header but Host, no query and comes from an unknown address — so their rules are skipped, conservatively: a probe
/// that such a rule would serve is judged by the rules after it.</item>
/// </list>
/// Served: a <c>forward</c> is served when at least one target group has weight &gt; 0 and every target group with
/// weight &gt; 0 has at least one registered target in state <c>healthy</c> (moto reports every registered target
/// healthy, so there this is "registered and not draining"; <see cref="TargetHealthSimulation"/> holds new targets in
/// <c>initial</c>). A <c>redirect</c> anywhere is served (a user's redirect, ssl-redirect included). A
/// <c>fixed-response</c> in a rule is served (a user's action); the listener's default <c>fixed-response</c> is not:
/// it is what answers when no rule matches (the deployer's default 404).
/// </summary>
public static class AlbRouting
{
    /// <summary>Evaluates <paramref name="probe"/>: served when any listener on its port (of any watched load balancer) serves it.</summary>
    public static ProbeOutcome Evaluate(RoutingState state, Probe probe)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(probe);
        var details = new List<string>();
        foreach (var listener in state.Listeners.Where(l => l.Port == probe.Port))
        {
            var outcome = EvaluateListener(state, listener, probe);
            if (outcome.Served)
                return outcome;
            details.Add(outcome.Detail);
        }
        return new ProbeOutcome(false, details.Count == 0 ? "no listener on the port" : string.Join("; ", details));
    }

    private static ProbeOutcome EvaluateListener(RoutingState state, RoutedListener listener, Probe probe)
    {
        var rules = listener.Rules.Where(static r => r.IsDefault != true).OrderBy(static r => Priority(r)).ToList();
        foreach (var rule in rules)
        {
            if ((rule.Conditions ?? []).All(c => Matches(c, probe)))
                return Decide(state, rule.Actions, $"{listener.LoadBalancerName} rule {rule.Priority}", isDefault: false);
        }
        var fallback = listener.Rules.FirstOrDefault(static r => r.IsDefault == true);
        return fallback is null
            ? new ProbeOutcome(false, $"{listener.LoadBalancerName}: no rule matched and no default rule")
            : Decide(state, fallback.Actions, $"{listener.LoadBalancerName} default", isDefault: true);
    }

    private static int Priority(Rule rule) =>
        int.TryParse(rule.Priority, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : int.MaxValue;

    private static ProbeOutcome Decide(RoutingState state, IReadOnlyList<ElbAction>? actions, string where, bool isDefault)
    {
        var ordered = (actions ?? []).Select(static (a, i) => (a, order: a.Order ?? i + 1)).OrderBy(static x => x.order).Select(static x => x.a).ToList();
        var last = ordered.LastOrDefault();
        switch (last?.Type)
        {
            case "forward":
                var groups = last.ForwardConfig?.TargetGroups is { Count: > 0 } tuples
                    ? tuples.Select(static t => (Arn: t.TargetGroupArn ?? string.Empty, Weight: t.Weight ?? 1)).ToList()
                    : [(Arn: last.TargetGroupArn ?? string.Empty, Weight: 1)];
                var weighted = groups.Where(static g => g.Weight > 0).ToList();
                if (weighted.Count == 0)
                    return new ProbeOutcome(false, $"{where}: forward with every weight 0");
                var empty = weighted.Where(g => !state.TargetStates.TryGetValue(g.Arn, out var states) || !states.Contains("healthy")).ToList();
                var names = string.Join(",", groups.Select(static g => $"{Short(g.Arn)}*{g.Weight}"));
                return empty.Count == 0
                    ? new ProbeOutcome(true, $"{where}: forward {names}")
                    : new ProbeOutcome(false, $"{where}: forward {names}; no healthy target in {string.Join(",", empty.Select(static g => Short(g.Arn)))}");
            case "redirect":
                return new ProbeOutcome(true, $"{where}: redirect");
            case "fixed-response":
                var status = last.FixedResponseConfig?.StatusCode;
                return new ProbeOutcome(!isDefault, $"{where}: fixed-response {status}");
            default:
                return new ProbeOutcome(false, $"{where}: no deciding action ({last?.Type ?? "none"})");
        }
    }

    /// <summary>The name part of a target group ARN (<c>targetgroup/NAME/ID</c> → NAME).</summary>
    public static string Short(string arn)
    {
        ArgumentNullException.ThrowIfNull(arn);
        var parts = arn.Split('/');
        return parts.Length >= 3 ? parts[^2] : arn;
    }

    private static bool Matches(RuleCondition condition, Probe probe)
    {
        switch (condition.Field)
        {
            case "host-header":
                return Any(condition.HostHeaderConfig?.Values ?? condition.Values, condition.HostHeaderConfig?.RegexValues ?? condition.RegexValues, probe.Host, ignoreCase: true);
            case "path-pattern":
                return Any(condition.PathPatternConfig?.Values ?? condition.Values, condition.PathPatternConfig?.RegexValues ?? condition.RegexValues, probe.Path, ignoreCase: false);
            case "http-request-method":
                return (condition.HttpRequestMethodConfig?.Values ?? condition.Values ?? []).Contains("GET", StringComparer.Ordinal);
            default:
                return false;
        }
    }

    private static bool Any(IReadOnlyList<string>? patterns, IReadOnlyList<string>? regexes, string value, bool ignoreCase)
    {
        var options = RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
        if ((patterns ?? []).Any(p => Regex.IsMatch(value, Wildcard(p), options)))
            return true;
        return (regexes ?? []).Any(r => Regex.IsMatch(value, r, options));
    }

    /// <summary>An ALB wildcard pattern (<c>*</c>, <c>?</c>) as an anchored regular expression.</summary>
    public static string Wildcard(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var sb = new StringBuilder("^");
        foreach (var ch in pattern)
        {
            sb.Append(ch switch
            {
                '*' => ".*",
                '?' => ".",
                _ => Regex.Escape(ch.ToString()),
            });
        }
        return sb.Append('$').ToString();
    }
}
