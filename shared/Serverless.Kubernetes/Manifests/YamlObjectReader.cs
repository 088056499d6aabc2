using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Serverless.Kubernetes.Manifests;

/// <summary>
/// Typed reads from the YAML node tree of one document, for kinds we parse by hand (IngressClassParams, test
/// contexts). Problems are collected as <see cref="ManifestError"/>s naming the field path and the node's line and
/// column, and reading goes on, so one pass reports every problem. No reflection: safe under Native AOT.
/// </summary>
public sealed class YamlObjectReader
{
    private readonly ICollection<ManifestError> _errors;

    /// <summary>A reader over <paramref name="document"/> adding its problems to <paramref name="errors"/>.</summary>
    public YamlObjectReader(ManifestDocument document, ICollection<ManifestError> errors)
    {
        Document = document ?? throw new ArgumentNullException(nameof(document));
        _errors = errors ?? throw new ArgumentNullException(nameof(errors));
    }

    /// <summary>The document being read.</summary>
    public ManifestDocument Document { get; }

    /// <summary>How many problems were reported so far (by this reader or others sharing the list).</summary>
    public int ErrorCount => _errors.Count;

    /// <summary>Reports a problem at <paramref name="node"/> about <paramref name="path"/>.</summary>
    public void Report(YamlNode? node, string path, string message) => _errors.Add(Document.Error(node, path, message));

    /// <summary><c>path.key</c>, or <c>path["key"]</c> when the key is not a plain identifier.</summary>
    public static string Child(string path, string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var plain = key.Length > 0 && (char.IsAsciiLetter(key[0]) || key[0] == '_')
            && key.All(static c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
        if (!plain)
            return $"{path}[\"{key}\"]";
        return string.IsNullOrEmpty(path) ? key : $"{path}.{key}";
    }

    /// <summary><c>path[index]</c>.</summary>
    public static string Item(string path, int index) => $"{path}[{index.ToString(CultureInfo.InvariantCulture)}]";

    /// <summary>True for an explicit or implicit YAML null (<c>~</c>, <c>null</c>, empty plain scalar).</summary>
    public static bool IsNull(YamlNode? node) =>
        node is null
        || node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    /// <summary>The value of <paramref name="key"/> in <paramref name="map"/> (null when absent or YAML null).</summary>
    public static YamlNode? Get(YamlMappingNode map, string key)
    {
        ArgumentNullException.ThrowIfNull(map);
        foreach (var (k, v) in map.Children)
        {
            if (k is YamlScalarNode { Value: { } name } && name == key)
                return IsNull(v) ? null : v;
        }
        return null;
    }

    /// <summary>The entries of a mapping with their string keys; a non-scalar key is reported and skipped.</summary>
    public IEnumerable<(string Key, YamlNode? Value, YamlNode KeyNode)> Entries(YamlMappingNode map, string path)
    {
        ArgumentNullException.ThrowIfNull(map);
        foreach (var (k, v) in map.Children)
        {
            if (k is not YamlScalarNode { Value: { } key })
            {
                Report(k, path, "keys must be strings");
                continue;
            }
            yield return (key, IsNull(v) ? null : v, k);
        }
    }

    /// <summary>Reports every key of <paramref name="map"/> that is not in <paramref name="known"/>.</summary>
    public void Known(YamlMappingNode map, string path, params string[] known)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(known);
        foreach (var (key, _, keyNode) in Entries(map, path))
        {
            if (known.Contains(key, StringComparer.Ordinal))
                continue;
            var near = Suggest(key, known);
            Report(keyNode, Child(path, key), near is null
                ? $"unknown field (expected one of: {string.Join(", ", known)})"
                : $"unknown field (did you mean \"{near}\"?)");
        }
    }

    /// <summary>A nested mapping, or null when absent; anything else is reported.</summary>
    public YamlMappingNode? Mapping(YamlMappingNode parent, string key, string path, bool required = false)
    {
        var node = Required(parent, key, path, required);
        if (node is null or YamlMappingNode)
            return (YamlMappingNode?)node;
        Report(node, Child(path, key), $"expected a mapping, got {Describe(node)}");
        return null;
    }

    /// <summary>A nested sequence, or null when absent; anything else is reported.</summary>
    public YamlSequenceNode? Sequence(YamlMappingNode parent, string key, string path, bool required = false)
    {
        var node = Required(parent, key, path, required);
        if (node is null or YamlSequenceNode)
            return (YamlSequenceNode?)node;
        Report(node, Child(path, key), $"expected a list, got {Describe(node)}");
        return null;
    }

    /// <summary>A scalar's text (numbers and booleans as written), or null when absent.</summary>
    public string? String(YamlMappingNode parent, string key, string path, bool required = false)
    {
        var node = Required(parent, key, path, required);
        return node is null ? null : Scalar(node, Child(path, key));
    }

    /// <summary>The text of a scalar node; anything else is reported (null).</summary>
    public string? Scalar(YamlNode node, string path)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node is YamlScalarNode scalar)
            return scalar.Value ?? string.Empty;
        Report(node, path, $"expected a string, got {Describe(node)}");
        return null;
    }

    /// <summary>A string that must be one of <paramref name="allowed"/> (exact case), or null when absent.</summary>
    public string? Enum(YamlMappingNode parent, string key, string path, params string[] allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        var value = String(parent, key, path);
        if (value is null || allowed.Contains(value, StringComparer.Ordinal))
            return value;
        Report(Get(parent, key), Child(path, key), $"unknown value \"{value}\" (expected {Alternatives(allowed)})");
        return null;
    }

    /// <summary>An integer within [<paramref name="min"/>, <paramref name="max"/>], or null when absent.</summary>
    public long? Int(YamlMappingNode parent, string key, string path, long min = long.MinValue, long max = long.MaxValue, bool required = false)
    {
        var node = Required(parent, key, path, required);
        return node is null ? null : IntValue(node, Child(path, key), min, max);
    }

    /// <summary>The integer value of a node within [<paramref name="min"/>, <paramref name="max"/>]; problems are reported (null).</summary>
    public long? IntValue(YamlNode node, string path, long min = long.MinValue, long max = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node is not YamlScalarNode { Value: { } text })
        {
            Report(node, path, $"expected an integer, got {Describe(node)}");
            return null;
        }
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            Report(node, path, $"expected an integer, got \"{text}\"");
            return null;
        }
        if (value < min || value > max)
        {
            Report(node, path, $"{value} is out of range [{min}, {max}]");
            return null;
        }
        return value;
    }

    /// <summary>A boolean (<c>true</c>/<c>false</c>, any case), or null when absent.</summary>
    public bool? Bool(YamlMappingNode parent, string key, string path)
    {
        var node = Get(parent ?? throw new ArgumentNullException(nameof(parent)), key);
        if (node is null)
            return null;
        if (node is YamlScalarNode { Value: { } text })
        {
            if (string.Equals(text, "true", StringComparison.OrdinalIgnoreCase))
                return true;
            if (string.Equals(text, "false", StringComparison.OrdinalIgnoreCase))
                return false;
        }
        Report(node, Child(path, key), $"expected true or false, got {Describe(node)}");
        return null;
    }

    /// <summary>A list of strings, or null when absent.</summary>
    public IReadOnlyList<string>? StringList(YamlMappingNode parent, string key, string path)
    {
        var sequence = Sequence(parent, key, path);
        if (sequence is null)
            return null;
        var list = new List<string>();
        var index = 0;
        foreach (var item in sequence.Children)
        {
            if (Scalar(item, Item(Child(path, key), index++)) is { } text)
                list.Add(text);
        }
        return list;
    }

    /// <summary>A string-to-string mapping, or null when absent.</summary>
    public IReadOnlyDictionary<string, string>? StringMap(YamlMappingNode parent, string key, string path)
    {
        var map = Mapping(parent, key, path);
        if (map is null)
            return null;
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var mapPath = Child(path, key);
        foreach (var (entryKey, value, keyNode) in Entries(map, mapPath))
        {
            if (value is null)
                result[entryKey] = string.Empty;
            else if (Scalar(value, Child(mapPath, entryKey)) is { } text)
                result[entryKey] = text;
        }
        return result;
    }

    /// <summary>A list of <c>{key, value}</c> entries (IngressClassParams tags and attributes), or null when absent.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? KeyValueList(YamlMappingNode parent, string key, string path)
    {
        var sequence = Sequence(parent, key, path);
        if (sequence is null)
            return null;
        var list = new List<KeyValuePair<string, string>>();
        var index = 0;
        var listPath = Child(path, key);
        foreach (var item in sequence.Children)
        {
            var itemPath = Item(listPath, index++);
            if (item is not YamlMappingNode entry)
            {
                Report(item, itemPath, $"expected a mapping with key and value, got {Describe(item)}");
                continue;
            }
            Known(entry, itemPath, "key", "value");
            var k = String(entry, "key", itemPath, required: true);
            var v = String(entry, "value", itemPath) ?? string.Empty;
            if (k is not null)
                list.Add(new KeyValuePair<string, string>(k, v));
        }
        return list;
    }

    /// <summary>The known name <paramref name="key"/> was probably meant to be (same letters in another case, or at most two edits away), or null.</summary>
    public static string? Suggest(string key, IEnumerable<string> known)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(known);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            var distance = string.Equals(candidate, key, StringComparison.OrdinalIgnoreCase) ? 0 : Serverless.Ingress.EditDistance.Between(candidate.ToUpperInvariant(), key.ToUpperInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return bestDistance <= Math.Min(2, key.Length / 3) ? best : null;
    }

    /// <summary>A short description of a node's type, for messages.</summary>
    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode { Value: var v } => $"\"{v}\"",
        _ => "an alias",
    };

    /// <summary><c>a, b or c</c>.</summary>
    public static string Alternatives(IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values.Count <= 1 ? string.Join(string.Empty, values) : string.Join(", ", values.Take(values.Count - 1)) + " or " + values[^1];
    }

    private YamlNode? Required(YamlMappingNode parent, string key, string path, bool required)
    {
        ArgumentNullException.ThrowIfNull(parent);
        var node = Get(parent, key);
        if (node is null && required)
            Report(parent, Child(path, key), "required");
        return node;
    }
}
