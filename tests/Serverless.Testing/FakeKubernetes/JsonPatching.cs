using System.Globalization;
using System.Text.Json.Nodes;

namespace Serverless.Testing.FakeKubernetes;

/// <summary>RFC 7386 JSON merge patch and RFC 6902 JSON patch over <see cref="JsonNode"/> trees.</summary>
public static class JsonPatching
{
    /// <summary>Applies a merge patch: objects merge recursively, <c>null</c> removes, anything else replaces.</summary>
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
            return patch?.DeepClone();
        var result = target as JsonObject ?? [];
        foreach (var (name, value) in patchObject)
        {
            if (value is null)
                result.Remove(name);
            else
            {
                var existing = result[name];
                result.Remove(name);
                result[name] = MergePatch(existing, value);
            }
        }
        return result;
    }

    /// <summary>
    /// The lists a strategic merge patch merges element by element, by their merge key (the Kubernetes schema's
    /// <c>patchMergeKey</c>); every other list is replaced whole, as with a merge patch.
    /// </summary>
    public static IReadOnlyDictionary<string, string> MergeKeys { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["conditions"] = "type",
        ["readinessGates"] = "conditionType",
        ["containers"] = "name",
        ["initContainers"] = "name",
        ["ownerReferences"] = "uid",
    };

    /// <summary>
    /// Applies a strategic merge patch as the API server does for the lists in <see cref="MergeKeys"/>: an element of the
    /// patch merges into the element with the same key (added when there is none; <c>"$patch": "delete"</c> removes it),
    /// elements the patch does not name stay. Objects merge recursively and <c>null</c> removes, as in a merge patch.
    /// </summary>
    public static JsonNode? StrategicMergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
            return patch?.DeepClone();
        var result = target as JsonObject ?? [];
        foreach (var (name, value) in patchObject)
        {
            if (name.StartsWith('$'))
                continue; // directives ($setElementOrder/…, $retainKeys) only order or prune; not modelled
            var existing = result[name];
            result.Remove(name);
            if (value is null)
                continue;
            result[name] = value is JsonArray list && MergeKeys.TryGetValue(name, out var key) && existing is JsonArray current
                ? MergeList(current, list, key)
                : StrategicMergePatch(existing, value);
        }
        return result;
    }

    private static JsonArray MergeList(JsonArray current, JsonArray patch, string key)
    {
        var merged = new List<JsonNode?>(current.Select(static e => e?.DeepClone()));
        foreach (var element in patch)
        {
            var id = element?[key]?.ToJsonString();
            var index = id is null ? -1 : merged.FindIndex(e => e?[key]?.ToJsonString() == id);
            var delete = element?["$patch"]?.GetValue<string>() == "delete";
            if (index < 0)
            {
                if (!delete)
                    merged.Add(StrategicMergePatch(null, element));
            }
            else if (delete)
                merged.RemoveAt(index);
            else
                merged[index] = StrategicMergePatch(merged[index], element);
        }
        return [.. merged];
    }

    /// <summary>Applies a JSON patch (add, remove, replace, move, copy, test); throws <see cref="InvalidOperationException"/> when an operation fails.</summary>
    public static JsonNode? JsonPatch(JsonNode? document, JsonArray operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        foreach (var operation in operations)
        {
            var op = operation?["op"]?.GetValue<string>() ?? throw new InvalidOperationException("patch operation without op");
            var path = operation["path"]?.GetValue<string>() ?? throw new InvalidOperationException("patch operation without path");
            switch (op)
            {
                case "add":
                    document = Add(document, path, operation["value"]?.DeepClone());
                    break;
                case "remove":
                    document = Remove(document, path, out _);
                    break;
                case "replace":
                    document = Remove(document, path, out _);
                    document = Add(document, path, operation["value"]?.DeepClone());
                    break;
                case "move":
                    {
                        var from = operation["from"]?.GetValue<string>() ?? throw new InvalidOperationException("move without from");
                        document = Remove(document, from, out var moved);
                        document = Add(document, path, moved);
                        break;
                    }
                case "copy":
                    {
                        var from = operation["from"]?.GetValue<string>() ?? throw new InvalidOperationException("copy without from");
                        document = Add(document, path, Find(document, from)?.DeepClone());
                        break;
                    }
                case "test":
                    if (!JsonNode.DeepEquals(Find(document, path), operation["value"]))
                        throw new InvalidOperationException($"test failed at {path}");
                    break;
                default:
                    throw new InvalidOperationException($"unknown patch operation {op}");
            }
        }
        return document;
    }

    private static string[] Split(string path)
    {
        if (path.Length == 0)
            return [];
        if (path[0] != '/')
            throw new InvalidOperationException($"bad JSON pointer {path}");
        return [.. path[1..].Split('/').Select(static p => p.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))];
    }

    private static JsonNode? Find(JsonNode? document, string path)
    {
        var node = document;
        foreach (var part in Split(path))
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(part, out var child) => child,
                JsonArray a when int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                _ => throw new InvalidOperationException($"path {path} not found"),
            };
        }
        return node;
    }

    private static (JsonNode Parent, string Last) Parent(JsonNode? document, string path)
    {
        var parts = Split(path);
        if (parts.Length == 0)
            throw new InvalidOperationException("the root cannot be the target here");
        var parent = Find(document, "/" + string.Join('/', parts[..^1].Select(static p => p.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal))));
        if (parts.Length == 1)
            parent = document;
        return (parent ?? throw new InvalidOperationException($"parent of {path} is null"), parts[^1]);
    }

    private static JsonNode? Add(JsonNode? document, string path, JsonNode? value)
    {
        if (path.Length == 0)
            return value;
        var (parent, last) = Parent(document, path);
        switch (parent)
        {
            case JsonObject o:
                o.Remove(last);
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i <= a.Count:
                a.Insert(i, value);
                break;
            default:
                throw new InvalidOperationException($"cannot add at {path}");
        }
        return document;
    }

    private static JsonNode? Remove(JsonNode? document, string path, out JsonNode? removed)
    {
        var (parent, last) = Parent(document, path);
        switch (parent)
        {
            case JsonObject o when o.TryGetPropertyValue(last, out removed):
                o.Remove(last);
                break;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count:
                removed = a[i];
                a.RemoveAt(i);
                break;
            default:
                throw new InvalidOperationException($"path {path} not found");
        }
        return document;
    }
}
