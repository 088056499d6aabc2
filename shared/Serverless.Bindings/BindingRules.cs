using System.Globalization;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Deploy;
using Serverless.Kubernetes.Bindings;
using Serverless.Model;

namespace Serverless.Bindings;

/// <summary>
/// The <c>spec.networking</c> rules a binding created, so it can revoke them: the annotation
/// <see cref="BindingDeployer.RulesLedgerAnnotation"/> on the binding lists them (<c>sg|protocol|from|to|source</c>,
/// comma-separated). A rule that was already there when the binding asked for it (upstream's, a person's, another
/// binding's) is never listed, so it is never revoked by this binding.
/// </summary>
/// <param name="Ledger">The annotation's current value (null when absent).</param>
/// <param name="Write">Writes the annotation (its compute gets the current value and returns the new one; null removes it).</param>
/// <param name="DeclaredElsewhere">
/// The <c>protocol|source</c> of every rule another binding of the cluster declares: a rule of that protocol and source
/// is left in place (the other binding may rely on it although it did not create it).
/// </param>
public sealed record BindingRulesInput(string? Ledger, LedgerWriter Write, IReadOnlySet<string> DeclaredElsewhere);

public sealed partial class BindingDeployer
{
    /// <summary>The annotation listing the security group rules this binding created (its rules ledger).</summary>
    public const string RulesLedgerAnnotation = "serverless.elbv2.k8s.aws/authorized-rules";

    /// <summary>The ledger entry of <paramref name="rule"/> on <paramref name="groupId"/>.</summary>
    public static string RuleKey(string groupId, IngressRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return string.Join('|', groupId, rule.Protocol, Port(rule.FromPort), Port(rule.ToPort), Source(rule));
    }

    /// <summary>The <c>protocol|source</c> of a rule, what <see cref="BindingRulesInput.DeclaredElsewhere"/> holds.</summary>
    public static string RuleShape(IngressRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return rule.Protocol + "|" + Source(rule);
    }

    /// <summary>The shapes of the rules <paramref name="bindings"/> declare (whatever their ports).</summary>
    public static IReadOnlySet<string> DeclaredShapes(IEnumerable<TargetGroupBinding> bindings) =>
        bindings.SelectMany(static b => BindingSecurityRules.Rules(b, [0])).Select(RuleShape).ToHashSet(StringComparer.Ordinal);

    /// <summary>A ledger entry back as its group and rule (with our description); null when it is not one.</summary>
    public static (string GroupId, IngressRule Rule)? ParseRuleKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var parts = key.Split('|');
        if (parts.Length != 5 || parts[0].Length == 0 || parts[4].Length == 0)
            return null;
        int? from = parts[2].Length == 0 ? null : int.Parse(parts[2], CultureInfo.InvariantCulture);
        int? to = parts[3].Length == 0 ? null : int.Parse(parts[3], CultureInfo.InvariantCulture);
        var source = parts[4];
        var rule = source.StartsWith("sg-", StringComparison.Ordinal) ? new IngressRule(parts[1], from, to, SourceSecurityGroupId: source, Description: BindingSecurityRules.Description)
            : source.StartsWith("pl-", StringComparison.Ordinal) ? new IngressRule(parts[1], from, to, PrefixListId: source, Description: BindingSecurityRules.Description)
            : source.Contains(':', StringComparison.Ordinal) ? new IngressRule(parts[1], from, to, CidrIpv6: source, Description: BindingSecurityRules.Description)
            : new IngressRule(parts[1], from, to, CidrIpv4: source, Description: BindingSecurityRules.Description);
        return (parts[0], rule);
    }

    /// <summary>
    /// Revokes the rules of the ledger no longer wanted: every one on cleanup or when the binding declares no
    /// networking any more, else those not in <paramref name="wanted"/> (null: the targets' groups could not be
    /// resolved, so nothing is revoked). A rule whose protocol and source another binding declares stays. Then the
    /// ledger keeps what is left.
    /// </summary>
    private async Task RevokeStaleRulesAsync(TargetGroupBinding binding, BindingRulesInput rules, IReadOnlySet<string> ledger, IReadOnlySet<string>? wanted, bool cleanup, DeployMode mode, List<ResourceChange> changes, CancellationToken ct)
    {
        if (ledger.Count == 0)
            return;
        IReadOnlySet<string> keep = cleanup || binding.Spec.Networking is null ? new HashSet<string>() : wanted ?? ledger;
        var stale = ledger.Where(k => !keep.Contains(k))
            .Select(k => (Key: k, Parsed: ParseRuleKey(k)))
            .Where(s => s.Parsed is null || !rules.DeclaredElsewhere.Contains(RuleShape(s.Parsed.Value.Rule)))
            .ToList();
        if (stale.Count == 0)
            return;
        var revoked = new List<string>();
        foreach (var group in stale.Where(static s => s.Parsed is not null).GroupBy(static s => s.Parsed!.Value.GroupId, StringComparer.Ordinal))
        {
            var list = group.Select(static s => s.Parsed!.Value.Rule).ToList();
            changes.Add(new ResourceChange(ChangeAction.Modify, ResourceTypes.SecurityGroup, group.Key, group.Key,
                [.. list.Select(static r => new FieldChange("ingress " + Show(r), "authorized", null))]));
            if (mode != DeployMode.Apply)
                continue;
            try
            {
                await CallAsync(binding, group.Key, "RevokeSecurityGroupIngress", [.. list.Select(Show)],
                    () => _ec2.RevokeIngressAsync(group.Key, list, ct)).ConfigureAwait(false);
            }
            catch (AwsServiceException ex) when (ex.Is("InvalidGroup.NotFound") || ex.Is("InvalidPermission.NotFound"))
            {
                // The group or the rule is gone already.
            }
            revoked.AddRange(group.Select(static s => s.Key));
        }
        // Entries that are not rules (written by hand) are dropped with the revoked ones.
        revoked.AddRange(stale.Where(static s => s.Parsed is null).Select(static s => s.Key));
        if (mode == DeployMode.Apply)
        {
            var gone = revoked.ToHashSet(StringComparer.Ordinal);
            await rules.Write(old =>
            {
                var left = (ParseLedger(old) ?? new HashSet<string>()).Where(k => !gone.Contains(k)).ToList();
                return left.Count == 0 ? null : FormatLedger(left);
            }, ct).ConfigureAwait(false);
        }
    }

    private static string Port(int? port) => port?.ToString(CultureInfo.InvariantCulture) ?? string.Empty;

    private static string Source(IngressRule rule) => rule.SourceSecurityGroupId ?? rule.CidrIpv4 ?? rule.CidrIpv6 ?? rule.PrefixListId ?? string.Empty;
}
