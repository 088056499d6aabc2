using System.Globalization;
using Serverless.Model;

namespace Serverless.Ingress.Backend;

/// <summary>
/// Upstream's <c>rule_optimizer.go</c>, kept for the <c>actions.ssl-redirect</c> idiom: on one listener, drop every
/// redirect rule that would redirect to itself (an infinite loop), then every rule shadowed by an earlier redirect
/// rule whose conditions are only hosts and paths that include the later rule's (plain string sets, not wildcard
/// semantics).
/// </summary>
internal static class RedirectRuleOptimizer
{
    public static IReadOnlyList<RuleDraft> Optimize(IReadOnlyList<RuleDraft> rules, ListenerPort listener)
    {
        var kept = new List<RuleDraft>(rules.Count);
        var redirects = new List<RuleDraft>();
        foreach (var rule in rules)
        {
            if (IsInfiniteRedirect(rule, listener))
                continue;
            if (redirects.Any(r => IsSuperset(r.Conditions, rule.Conditions)))
                continue;
            kept.Add(rule);
            if (FindRedirect(rule) is not null)
                redirects.Add(rule);
        }
        return kept;
    }

    /// <summary>A redirect whose every set part keeps the request as it is on this listener (or is a <c>#{…}</c> placeholder).</summary>
    private static bool IsInfiniteRedirect(RuleDraft rule, ListenerPort listener)
    {
        if (FindRedirect(rule) is not { } redirect)
            return false;
        var (hosts, paths) = HostsAndPaths(rule.Conditions);
        if (redirect.Host is { } host && host != "#{host}" && !hosts.Contains(host))
            return false;
        if (redirect.Path is { } path && path != "/#{path}" && !paths.Contains(path))
            return false;
        if (redirect.Port is { } port && port != "#{port}" && port != listener.Port.ToString(CultureInfo.InvariantCulture))
            return false;
        if (redirect.Protocol is { } protocol && protocol != "#{protocol}" && protocol != listener.Protocol)
            return false;
        if (redirect.Query is { } query && query != "#{query}")
            return false;
        return true;
    }

    /// <summary>
    /// True when the conditions <paramref name="lhs"/> cover <paramref name="rhs"/>: lhs has only host-header and
    /// path-pattern conditions; its hosts are none or include all of rhs's (rhs having some); its paths are none,
    /// include <c>/*</c>, or include all of rhs's (rhs having some). Unlike upstream, an lhs condition with
    /// regexValues never covers anything (upstream reads it as "no hosts", i.e. everything).
    /// </summary>
    private static bool IsSuperset(IReadOnlyList<ConditionSpec> lhs, IReadOnlyList<ConditionSpec> rhs)
    {
        foreach (var condition in lhs)
        {
            if (condition.Field is not (PathConditions.HostHeader or PathConditions.PathPattern) || condition.RegexValues is { Count: > 0 })
                return false;
        }
        var (lhsHosts, lhsPaths) = HostsAndPaths(lhs);
        var (rhsHosts, rhsPaths) = HostsAndPaths(rhs);
        var hostsCovered = lhsHosts.Count == 0 || (rhsHosts.Count != 0 && lhsHosts.IsSupersetOf(rhsHosts));
        var pathsCovered = lhsPaths.Count == 0 || lhsPaths.Contains("/*") || (rhsPaths.Count != 0 && lhsPaths.IsSupersetOf(rhsPaths));
        return hostsCovered && pathsCovered;
    }

    private static (HashSet<string> Hosts, HashSet<string> Paths) HostsAndPaths(IEnumerable<ConditionSpec> conditions)
    {
        var hosts = new HashSet<string>(StringComparer.Ordinal);
        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var condition in conditions)
        {
            if (condition.Field == PathConditions.HostHeader)
                hosts.UnionWith(condition.Values ?? []);
            else if (condition.Field == PathConditions.PathPattern)
                paths.UnionWith(condition.Values ?? []);
        }
        return (hosts, paths);
    }

    private static RedirectActionSpec? FindRedirect(RuleDraft rule) =>
        rule.Actions.FirstOrDefault(static a => a.Type == "redirect")?.Redirect;
}
