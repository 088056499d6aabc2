using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Serverless.Functions.Tests.Iam;

/// <summary>
/// One authorization AWS performs for a request: the IAM action, the one resource ARN it is checked against, and the
/// request context (condition keys and their values) the service supplies for that action and resource type; the
/// origin names the recorded call (or test case) it comes from, for failure messages.
/// </summary>
public sealed record IamCheck(string Action, string Resource, IReadOnlyDictionary<string, IReadOnlyList<string>> Context, string Origin)
{
    public override string ToString() =>
        $"{Action} on {Resource} [{string.Join(", ", Context.OrderBy(static c => c.Key, StringComparer.Ordinal).Select(static c => c.Key + "=" + string.Join("|", c.Value)))}] ({Origin})";
}

/// <summary>An identity policy's decision on one <see cref="IamCheck"/>, with the statement that decided.</summary>
public sealed record IamDecision(bool Allowed, string? Statement);

/// <summary>
/// A small evaluator of identity policies for the subset the controller's role uses: Allow and Deny statements,
/// <c>Action</c>/<c>NotAction</c> and <c>Resource</c> with <c>*</c>/<c>?</c> wildcards, and the condition operators
/// StringEquals, StringNotEquals, StringLike, StringNotLike, ArnEquals, ArnLike, Null, each with the
/// <c>ForAllValues:</c>/<c>ForAnyValue:</c> set qualifiers and the <c>IfExists</c> suffix, as the IAM policy
/// evaluation logic and the condition-operator reference define them. Anything else is an error, never a silent allow.
/// </summary>
public sealed class IamPolicy
{
    private readonly List<JsonObject> _statements;

    public IamPolicy(IEnumerable<JsonObject> statements) => _statements = [.. statements];

    public IReadOnlyList<JsonObject> Statements => _statements;

    /// <summary>An explicit Deny wins; otherwise an Allow whose action, resource and conditions all match; otherwise denied.</summary>
    public IamDecision Evaluate(IamCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        string? allowedBy = null;
        foreach (var statement in _statements)
        {
            if (!Applies(statement, check))
                continue;
            var sid = (string?)statement["Sid"] ?? "(no Sid)";
            var effect = (string?)statement["Effect"];
            if (effect == "Deny")
                return new IamDecision(false, sid);
            if (effect != "Allow")
                throw new InvalidOperationException($"statement {sid}: Effect must be Allow or Deny, not '{effect}'");
            allowedBy ??= sid;
        }
        return new IamDecision(allowedBy is not null, allowedBy);
    }

    private static bool Applies(JsonObject statement, IamCheck check)
    {
        foreach (var unsupported in new[] { "NotResource", "Principal", "NotPrincipal" })
        {
            if (statement.ContainsKey(unsupported))
                throw new NotSupportedException($"statement {statement["Sid"]}: {unsupported} is outside the evaluated subset");
        }
        var actionMatches = statement.ContainsKey("NotAction")
            ? !Strings(statement["NotAction"]).Any(a => Wildcard(a, check.Action, ignoreCase: true))
            : Strings(statement["Action"]).Any(a => Wildcard(a, check.Action, ignoreCase: true));
        if (!actionMatches)
            return false;
        if (!Strings(statement["Resource"]).Any(r => Wildcard(r, check.Resource, ignoreCase: false)))
            return false;
        return statement["Condition"] is not JsonObject conditions || conditions.All(c => Holds(c.Key, c.Value!.AsObject(), check));
    }

    private static bool Holds(string op, JsonObject keys, IamCheck check)
    {
        var (set, baseOp, ifExists) = Parse(op);
        foreach (var (key, node) in keys)
        {
            var wanted = Strings(node);
            var present = Lookup(check.Context, key);
            bool ok;
            if (baseOp == "Null")
            {
                if (set is not null || ifExists)
                    throw new NotSupportedException($"operator {op} is not an IAM operator");
                ok = wanted.All(w => w.Equals("true", StringComparison.OrdinalIgnoreCase) ? present is null : present is not null);
            }
            else if (present is null || present.Count == 0)
            {
                // A missing key: IfExists and ForAllValues hold vacuously, negated operators hold, everything else fails.
                ok = ifExists || set == "ForAllValues" || (set is null && IsNegated(baseOp));
            }
            else
            {
                ok = set switch
                {
                    "ForAllValues" => present.All(v => Single(baseOp, v, wanted)),
                    "ForAnyValue" => present.Any(v => Single(baseOp, v, wanted)),
                    // A single-valued operator on a multi-valued key: a match of any value (AWS advises set operators).
                    _ => present.Any(v => Single(baseOp, v, wanted)),
                };
            }
            if (!ok)
                return false;
        }
        return true;
    }

    /// <summary>One context value against the policy's values (OR across them; a negated operator matches none of them).</summary>
    private static bool Single(string op, string value, IReadOnlyList<string> wanted) => op switch
    {
        "StringEquals" => wanted.Any(w => string.Equals(w, value, StringComparison.Ordinal)),
        "StringNotEquals" => !wanted.Any(w => string.Equals(w, value, StringComparison.Ordinal)),
        "StringLike" => wanted.Any(w => Wildcard(w, value, ignoreCase: false)),
        "StringNotLike" => !wanted.Any(w => Wildcard(w, value, ignoreCase: false)),
        "ArnEquals" => wanted.Any(w => ArnLike(w, value, exact: true)),
        "ArnLike" => wanted.Any(w => ArnLike(w, value, exact: false)),
        _ => throw new NotSupportedException($"condition operator {op} is outside the evaluated subset"),
    };

    private static bool IsNegated(string op) => op is "StringNotEquals" or "StringNotLike";

    private static (string? Set, string Op, bool IfExists) Parse(string op)
    {
        string? set = null;
        var colon = op.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            set = op[..colon];
            if (set is not ("ForAllValues" or "ForAnyValue"))
                throw new NotSupportedException($"condition set qualifier {set} is not an IAM qualifier");
            op = op[(colon + 1)..];
        }
        var ifExists = op.EndsWith("IfExists", StringComparison.Ordinal);
        return (set, ifExists ? op[..^"IfExists".Length] : op, ifExists);
    }

    // Condition key names are case-insensitive in IAM.
    private static IReadOnlyList<string>? Lookup(IReadOnlyDictionary<string, IReadOnlyList<string>> context, string key) =>
        context.FirstOrDefault(c => string.Equals(c.Key, key, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>ARN matching: the six colon-separated parts are compared one by one (the resource part keeps its colons).</summary>
    private static bool ArnLike(string pattern, string arn, bool exact)
    {
        var p = pattern.Split(':', 6);
        var a = arn.Split(':', 6);
        if (p.Length != 6 || a.Length != 6)
            return false;
        return p.Zip(a).All(pair => exact ? pair.First == pair.Second : Wildcard(pair.First, pair.Second, ignoreCase: false));
    }

    /// <summary><c>*</c> matches any run of characters (also none), <c>?</c> exactly one.</summary>
    public static bool Wildcard(string pattern, string value, bool ignoreCase)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var regex = "^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$";
        return Regex.IsMatch(value, regex, (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None) | RegexOptions.Singleline | RegexOptions.CultureInvariant);
    }

    public static List<string> Strings(JsonNode? node) => node switch
    {
        null => [],
        JsonArray array => [.. array.SelectMany(Strings)],
        JsonValue value when value.TryGetValue<string>(out var s) => [s],
        _ => throw new InvalidOperationException($"expected a string or a list of strings, found {node.ToJsonString()}"),
    };
}
