using System.Text.Json.Nodes;

namespace Serverless.Testing.FakeKubernetes;

/// <summary>
/// Label selectors (<c>a=b</c>, <c>a==b</c>, <c>a!=b</c>, <c>a in (x,y)</c>, <c>a notin (x)</c>, <c>a</c>, <c>!a</c>) and field
/// selectors (<c>metadata.name=x</c>, <c>spec.nodeName!=y</c>: any dotted path to a scalar) over JSON objects.
/// </summary>
public static class Selectors
{
    /// <summary>Whether <paramref name="obj"/> matches the label selector (null or empty matches everything).</summary>
    public static bool MatchesLabels(JsonObject obj, string? selector)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (string.IsNullOrWhiteSpace(selector))
            return true;
        var labels = obj["metadata"]?["labels"] as JsonObject;
        string? Label(string key) => labels?[key]?.GetValue<string>();
        foreach (var requirement in SplitTopLevel(selector))
        {
            var r = requirement.Trim();
            if (r.Length == 0)
                continue;
            if (TrySet(r, " notin ", out var key, out var values))
            {
                if (Label(key) is { } v && values.Contains(v))
                    return false;
            }
            else if (TrySet(r, " in ", out key, out values))
            {
                if (Label(key) is not { } v || !values.Contains(v))
                    return false;
            }
            else if (!MatchesComparison(r, Label))
                return false;
        }
        return true;
    }

    /// <summary>Whether <paramref name="obj"/> matches the field selector (null or empty matches everything).</summary>
    public static bool MatchesFields(JsonObject obj, string? selector)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (string.IsNullOrWhiteSpace(selector))
            return true;
        string? Field(string path)
        {
            JsonNode? node = obj;
            foreach (var part in path.Split('.'))
                node = node is JsonObject o ? o[part] : null;
            return node is JsonValue value ? value.ToString() : null;
        }
        return selector.Split(',').All(r => MatchesComparison(r.Trim(), Field));
    }

    private static bool MatchesComparison(string requirement, Func<string, string?> lookup)
    {
        var notEqual = requirement.IndexOf("!=", StringComparison.Ordinal);
        if (notEqual > 0)
            return lookup(requirement[..notEqual].Trim()) != requirement[(notEqual + 2)..].Trim();
        var equal = requirement.IndexOf('=', StringComparison.Ordinal);
        if (equal > 0)
        {
            var value = requirement[(equal + 1)..].TrimStart('=').Trim();
            return lookup(requirement[..equal].Trim()) == value;
        }
        if (requirement.StartsWith('!'))
            return lookup(requirement[1..].Trim()) is null;
        return lookup(requirement) is not null;
    }

    private static bool TrySet(string requirement, string op, out string key, out HashSet<string> values)
    {
        var at = requirement.IndexOf(op, StringComparison.Ordinal);
        key = "";
        values = [];
        if (at <= 0)
            return false;
        key = requirement[..at].Trim();
        values = [.. requirement[(at + op.Length)..].Trim().TrimStart('(').TrimEnd(')').Split(',').Select(static v => v.Trim())];
        return true;
    }

    private static IEnumerable<string> SplitTopLevel(string selector)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < selector.Length; i++)
        {
            if (selector[i] == '(')
                depth++;
            else if (selector[i] == ')')
                depth--;
            else if (selector[i] == ',' && depth == 0)
            {
                yield return selector[start..i];
                start = i + 1;
            }
        }
        yield return selector[start..];
    }
}
