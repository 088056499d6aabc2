using Serverless.Model;

namespace Serverless.Ingress.Backend;

/// <summary>One Ingress path, resolved: its conditions, backend and transforms (the same on every listener).</summary>
internal sealed record ResolvedPath(IReadOnlyList<ConditionSpec> Conditions, ResolvedBackend Backend);

/// <summary>
/// Upstream's rule generation (<c>model_build_listener_rules.go</c>): <c>spec.rules[]</c> in order (rules without
/// <c>http</c> skipped), each rule's paths sorted (Exact, then Prefix longest first, then the rest), one rule per path.
/// </summary>
internal sealed class RuleBuilder(MemberBackend member)
{
    /// <summary>ALB evaluates at most this many condition values per rule.</summary>
    public const int MaxConditionValues = 5;

    /// <summary>Every path of the Ingress in rule order, resolved.</summary>
    public IReadOnlyList<ResolvedPath> ResolvePaths()
    {
        var ingress = member.Member.Ingress;
        // Read only when an ImplementationSpecific path needs it, as upstream does.
        var useRegex = new Lazy<bool>(() => member.Member.Annotations.Bool(Annotations.UseRegexPathMatch) ?? false);
        var result = new List<ResolvedPath>();
        var rules = ingress.Spec?.Rules ?? [];
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if (rule?.Http is null)
                continue;
            var prefix = $"spec.rules[{i}].http";
            foreach (var (path, j) in PathConditions.Sort(member, rule.Http.Paths ?? [], prefix))
            {
                var field = $"{prefix}.paths[{j}]";
                var backend = ActionBuilder.Resolve(member, path.Backend, field + ".backend");
                var conditions = PathConditions.Build(member, rule.Host, path, field, useRegex, backend);
                var count = PathConditions.CountValues(conditions);
                if (count > MaxConditionValues)
                {
                    throw member.Invalid(field + ".path", path.Path,
                        $"this path's rule would have {count} condition values (host, path patterns and {Annotations.Prefix}{Annotations.ConditionsPrefix}{backend.ServiceName} together); an ALB rule allows at most {MaxConditionValues}");
                }
                result.Add(new ResolvedPath(conditions, backend));
            }
        }
        return result;
    }

    /// <summary><c>spec.defaultBackend</c>, resolved; null when the Ingress has none.</summary>
    public ResolvedBackend? ResolveDefaultBackend()
    {
        var backend = member.Member.Ingress.Spec?.DefaultBackend;
        return backend is null ? null : ActionBuilder.Resolve(member, backend, "spec.defaultBackend");
    }

    /// <summary>The rules of the member on <paramref name="listener"/>, in order.</summary>
    public IReadOnlyList<RuleDraft> BuildRules(IReadOnlyList<ResolvedPath> paths, ListenerPort listener)
    {
        var drafts = new List<RuleDraft>(paths.Count);
        foreach (var path in paths)
        {
            var actions = ActionBuilder.BuildActions(member, path.Backend, listener);
            drafts.Add(new RuleDraft(path.Conditions, actions, path.Backend.Transforms, member.Member.Key));
        }
        return drafts;
    }
}
