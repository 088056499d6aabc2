using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serverless.Ingress.Backend;

/// <summary>A JSON value of the wrong shape inside an annotation; <see cref="Path"/> says where (e.g. <c>[0].hostHeaderConfig.values</c>).</summary>
internal sealed class JsonShapeException(string path, string message) : Exception(message)
{
    public string Path { get; } = path;

    public JsonShapeException()
        : this(string.Empty, "invalid")
    {
    }

    public JsonShapeException(string message)
        : this(string.Empty, message)
    {
    }

    public JsonShapeException(string message, Exception innerException)
        : this(string.Empty, message + ": " + innerException?.Message)
    {
    }

    /// <summary>The message prefixed with where it happened.</summary>
    public string Describe() => Path.Length == 0 ? Message : $"{Path.TrimStart('.')}: {Message}";
}

/// <summary>
/// Reads annotation JSON the way upstream's Go <c>encoding/json</c> fills its config structs: object keys match
/// field names case-insensitively (the last matching key wins), unknown keys are ignored, <c>null</c> means
/// "not set", and a value of the wrong type is an error.
/// </summary>
internal static class GoJson
{
    /// <summary>The value of field <paramref name="name"/> of <paramref name="obj"/>, or null when absent or null.</summary>
    public static JsonNode? Field(JsonObject obj, string name)
    {
        JsonNode? found = null;
        foreach (var (key, value) in obj)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
                found = value;
        }
        return found;
    }

    public static JsonObject Object(JsonNode? node, string path) =>
        node as JsonObject ?? throw new JsonShapeException(path, $"must be a JSON object, not {Kind(node)}");

    public static JsonArray Array(JsonNode? node, string path) =>
        node as JsonArray ?? throw new JsonShapeException(path, $"must be a JSON array, not {Kind(node)}");

    public static JsonObject? OptionalObject(JsonObject obj, string name, string path)
    {
        var node = Field(obj, name);
        return node is null ? null : Object(node, path + "." + name);
    }

    public static string? OptionalString(JsonObject obj, string name, string path)
    {
        var node = Field(obj, name);
        if (node is null)
            return null;
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
            return value.GetValue<string>();
        throw new JsonShapeException(path + "." + name, $"must be a string, not {Kind(node)}");
    }

    /// <summary>A string field; absent or null reads as empty, as a Go <c>string</c> field does.</summary>
    public static string String(JsonObject obj, string name, string path) => OptionalString(obj, name, path) ?? string.Empty;

    public static bool? OptionalBool(JsonObject obj, string name, string path)
    {
        var node = Field(obj, name);
        if (node is null)
            return null;
        return node.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new JsonShapeException(path + "." + name, $"must be true or false, not {Kind(node)}"),
        };
    }

    public static int? OptionalInt32(JsonObject obj, string name, string path)
    {
        var node = Field(obj, name);
        if (node is null)
            return null;
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number
            && int.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
            return number;
        throw new JsonShapeException(path + "." + name, $"must be a whole number, not {Describe(node)}");
    }

    /// <summary>A list of strings (null entries read as empty strings, as Go does); null when absent.</summary>
    public static IReadOnlyList<string>? OptionalStringList(JsonObject obj, string name, string path)
    {
        var node = Field(obj, name);
        if (node is null)
            return null;
        var array = Array(node, path + "." + name);
        var list = new List<string>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            var item = array[i];
            if (item is null)
            {
                list.Add(string.Empty);
                continue;
            }
            if (item.GetValueKind() != JsonValueKind.String)
                throw new JsonShapeException($"{path}.{name}[{i}]", $"must be a string, not {Kind(item)}");
            list.Add(item.GetValue<string>());
        }
        return list;
    }

    /// <summary>A string-to-string map, keys sorted; null when absent.</summary>
    public static SortedDictionary<string, string>? OptionalStringMap(JsonObject obj, string name, string path)
    {
        var node = Field(obj, name);
        if (node is null)
            return null;
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in Object(node, path + "." + name))
        {
            if (value is null)
            {
                map[key] = string.Empty;
                continue;
            }
            if (value.GetValueKind() != JsonValueKind.String)
                throw new JsonShapeException($"{path}.{name}.{key}", $"must be a string, not {Kind(value)}");
            map[key] = value.GetValue<string>();
        }
        return map;
    }

    /// <summary>
    /// A Kubernetes int-or-string (a JSON number or string), normalized as upstream normalizes <c>servicePort</c>:
    /// a string of digits becomes the number. Null when absent.
    /// </summary>
    public static string? OptionalIntOrString(JsonObject obj, string name, string path)
    {
        var node = Field(obj, name);
        if (node is null)
            return null;
        if (node is JsonValue value)
        {
            switch (value.GetValueKind())
            {
                case JsonValueKind.String:
                    var text = value.GetValue<string>();
                    return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)
                        ? parsed.ToString(CultureInfo.InvariantCulture)
                        : text;
                case JsonValueKind.Number when int.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number):
                    return number.ToString(CultureInfo.InvariantCulture);
            }
        }
        throw new JsonShapeException(path + "." + name, $"must be a port number or name, not {Describe(node)}");
    }

    private static string Kind(JsonNode? node) => node is null
        ? "null"
        : node.GetValueKind() switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "null",
        };

    private static string Describe(JsonNode node) => node is JsonValue ? node.ToJsonString() : Kind(node);
}
