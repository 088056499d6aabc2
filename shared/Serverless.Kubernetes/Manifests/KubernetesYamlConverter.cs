using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using k8s;
using k8s.Models;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Serverless.Kubernetes.Manifests;

/// <summary>
/// Turns the YAML node tree of a built-in Kubernetes object into its KubernetesClient model, guided by the
/// model's source-generated JSON metadata (no reflection, AOT-safe). Each scalar is typed by the field it lands
/// in, as the API server's YAML decoder does (a plain <c>80</c> is a string in a label, a number in a port), and
/// every problem (unknown field, wrong type, bad number, bad base64) is reported with its field path, line and
/// column. The JSON built on the way is then read by <see cref="KubernetesJson"/>.
/// </summary>
internal sealed class KubernetesYamlConverter
{
    private static readonly JsonSerializerOptions Metadata = new() { TypeInfoResolver = SourceGenerationContext.Default };

    private readonly YamlObjectReader _reader;
    private readonly Dictionary<string, YamlNode> _nodes = new(StringComparer.Ordinal);
    private readonly int _errorsBefore;

    private KubernetesYamlConverter(YamlObjectReader reader)
    {
        _reader = reader;
        _errorsBefore = reader.ErrorCount;
    }

    /// <summary>
    /// Converts the document to <typeparamref name="T"/>. A field with a problem (reported) is left out, so the
    /// rest can still be checked; <c>Clean</c> is false then and the object must not be used. The returned
    /// locator maps a field path (e.g. <c>spec.rules[0].host</c>) to its node, or the nearest enclosing node.
    /// </summary>
    public static (T? Value, bool Clean, Func<string, YamlNode> Locate) Convert<T>(YamlObjectReader reader)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(reader);
        var converter = new KubernetesYamlConverter(reader);
        var json = converter.Walk(reader.Document.Root, typeof(T), string.Empty);
        Func<string, YamlNode> locate = converter.Locate;
        var clean = reader.ErrorCount == converter._errorsBefore;
        if (json is null)
            return (null, false, locate);
        try
        {
            return (KubernetesJson.Deserialize<T>(json), clean, locate);
        }
        catch (JsonException ex)
        {
            if (clean)
                reader.Report(reader.Document.Root, ex.Path ?? string.Empty, "cannot be read: " + ex.Message.Split(" Path:")[0]);
            return (null, false, locate);
        }
    }

    private YamlNode Locate(string path)
    {
        while (true)
        {
            if (_nodes.TryGetValue(path, out var node))
                return node;
            if (path.Length == 0)
                return _reader.Document.Root;
            var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            path = cut <= 0 ? string.Empty : path[..cut];
        }
    }

    private JsonNode? Walk(YamlNode node, Type type, string path)
    {
        _nodes[path] = node;
        if (YamlObjectReader.IsNull(node))
            return null;
        type = Nullable.GetUnderlyingType(type) ?? type;

        if (type == typeof(string))
            return node is YamlScalarNode s ? JsonValue.Create(s.Value ?? string.Empty) : Mismatch(node, path, "a string");
        if (type == typeof(int) || type == typeof(long) || type == typeof(short))
            return Integer(node, path, type == typeof(int) ? int.MinValue : type == typeof(short) ? short.MinValue : long.MinValue,
                type == typeof(int) ? int.MaxValue : type == typeof(short) ? short.MaxValue : long.MaxValue);
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
            return Number(node, path);
        if (type == typeof(bool))
            return Boolean(node, path);
        if (type == typeof(DateTime) || type == typeof(DateTimeOffset))
            return Timestamp(node, path);
        if (type == typeof(byte[]))
            return Base64(node, path);
        if (type == typeof(IntOrString))
            return IntOrStringValue(node, path);
        if (type == typeof(ResourceQuantity))
            return node is YamlScalarNode q ? JsonValue.Create(q.Value ?? string.Empty) : Mismatch(node, path, "a quantity");

        JsonTypeInfo? info = null;
        try
        {
            info = Metadata.GetTypeInfo(type);
        }
        catch (NotSupportedException)
        {
        }
        switch (info?.Kind)
        {
            case JsonTypeInfoKind.Object:
                return ObjectValue(node, info, path);
            case JsonTypeInfoKind.Dictionary:
                return DictionaryValue(node, info.ElementType ?? typeof(object), path);
            case JsonTypeInfoKind.Enumerable:
                return ListValue(node, info.ElementType ?? typeof(object), path);
            default:
                return Untyped(node, path);
        }
    }

    private JsonObject? ObjectValue(YamlNode node, JsonTypeInfo info, string path)
    {
        if (node is not YamlMappingNode map)
            return (JsonObject?)Mismatch(node, path, "a mapping");
        var properties = new Dictionary<string, JsonPropertyInfo>(StringComparer.Ordinal);
        foreach (var property in info.Properties)
            properties[property.Name] = property;
        var result = new JsonObject();
        foreach (var (key, value, keyNode) in _reader.Entries(map, path))
        {
            var childPath = YamlObjectReader.Child(path, key);
            if (!properties.TryGetValue(key, out var property))
            {
                var near = YamlObjectReader.Suggest(key, properties.Keys);
                _reader.Report(keyNode, childPath, near is null
                    ? $"unknown field in {Shorten(info.Type.Name)}"
                    : $"unknown field (did you mean \"{near}\"?)");
                continue;
            }
            if (result.ContainsKey(key))
            {
                _reader.Report(keyNode, childPath, "duplicate key");
                continue;
            }
            if (value is null)
            {
                _nodes[childPath] = keyNode;
                result[key] = null;
                continue;
            }
            var errors = _reader.ErrorCount;
            var converted = Walk(value, property.PropertyType, childPath);
            if (converted is not null || _reader.ErrorCount == errors)
                result[key] = converted;
        }
        return result;
    }

    private JsonObject? DictionaryValue(YamlNode node, Type valueType, string path)
    {
        if (node is not YamlMappingNode map)
            return (JsonObject?)Mismatch(node, path, "a mapping");
        var result = new JsonObject();
        foreach (var (key, value, keyNode) in _reader.Entries(map, path))
        {
            var childPath = YamlObjectReader.Child(path, key);
            if (result.ContainsKey(key))
            {
                _reader.Report(keyNode, childPath, "duplicate key");
                continue;
            }
            // An empty value in a string map (e.g. a label `role/elb:`) is the empty string, as the API server reads it.
            result[key] = value is null
                ? (valueType == typeof(string) ? JsonValue.Create(string.Empty) : null)
                : Walk(value, valueType, childPath);
            _nodes.TryAdd(childPath, value ?? keyNode);
        }
        return result;
    }

    private JsonArray? ListValue(YamlNode node, Type elementType, string path)
    {
        if (node is not YamlSequenceNode sequence)
            return (JsonArray?)Mismatch(node, path, "a list");
        var result = new JsonArray();
        var index = 0;
        foreach (var item in sequence.Children)
            result.Add(Walk(item, elementType, YamlObjectReader.Item(path, index++)));
        return result;
    }

    private JsonNode? Integer(YamlNode node, string path, long min, long max)
    {
        if (node is not YamlScalarNode { Value: { } text } scalar)
            return Mismatch(node, path, "an integer");
        if (scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any))
        {
            _reader.Report(node, path, $"expected an integer, got the quoted string \"{text}\" (remove the quotes)");
            return null;
        }
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            _reader.Report(node, path, $"expected an integer, got \"{text}\"");
            return null;
        }
        if (value < min || value > max)
        {
            _reader.Report(node, path, $"{value} is out of range [{min}, {max}]");
            return null;
        }
        return JsonValue.Create(value);
    }

    private JsonNode? Number(YamlNode node, string path)
    {
        if (node is YamlScalarNode { Value: { } text, Style: ScalarStyle.Plain or ScalarStyle.Any }
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return JsonValue.Create(value);
        }
        return Mismatch(node, path, "a number");
    }

    private JsonNode? Boolean(YamlNode node, string path)
    {
        if (node is YamlScalarNode { Value: { } text, Style: ScalarStyle.Plain or ScalarStyle.Any })
        {
            if (string.Equals(text, "true", StringComparison.OrdinalIgnoreCase))
                return JsonValue.Create(true);
            if (string.Equals(text, "false", StringComparison.OrdinalIgnoreCase))
                return JsonValue.Create(false);
        }
        return Mismatch(node, path, "true or false");
    }

    private JsonNode? Timestamp(YamlNode node, string path)
    {
        if (node is YamlScalarNode { Value: { } text }
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
        {
            return JsonValue.Create(text);
        }
        return Mismatch(node, path, "an RFC 3339 timestamp such as 2024-05-01T12:00:00Z");
    }

    private JsonNode? Base64(YamlNode node, string path)
    {
        if (node is not YamlScalarNode { Value: { } text })
            return Mismatch(node, path, "a base64 string");
        var compact = string.Concat(text.Where(static c => !char.IsWhiteSpace(c)));
        var buffer = new byte[(compact.Length * 3 / 4) + 3];
        if (!System.Convert.TryFromBase64String(compact, buffer, out _))
        {
            _reader.Report(node, path, "is not valid base64 (use stringData for plain text)");
            return null;
        }
        return JsonValue.Create(compact);
    }

    private JsonNode? IntOrStringValue(YamlNode node, string path)
    {
        if (node is not YamlScalarNode { Value: { } text } scalar)
            return Mismatch(node, path, "an integer or a name");
        if (scalar.Style is ScalarStyle.Plain or ScalarStyle.Any
            && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            return JsonValue.Create(number);
        }
        return JsonValue.Create(text);
    }

    // Fields typed as object (none in the kinds we load today): YAML 1.2 core schema typing.
    private JsonNode? Untyped(YamlNode node, string path)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (key, value, _) in _reader.Entries(map, path))
                    obj[key] = value is null ? null : Untyped(value, YamlObjectReader.Child(path, key));
                return obj;
            case YamlSequenceNode sequence:
                var array = new JsonArray();
                var index = 0;
                foreach (var item in sequence.Children)
                    array.Add(Untyped(item, YamlObjectReader.Item(path, index++)));
                return array;
            case YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: { } text }:
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
                    return JsonValue.Create(l);
                if (text is "true" or "True" or "TRUE")
                    return JsonValue.Create(true);
                if (text is "false" or "False" or "FALSE")
                    return JsonValue.Create(false);
                return JsonValue.Create(text);
            case YamlScalarNode scalar:
                return JsonValue.Create(scalar.Value ?? string.Empty);
            default:
                return null;
        }
    }

    private JsonNode? Mismatch(YamlNode node, string path, string expected)
    {
        _reader.Report(node, path, $"expected {expected}, got {YamlObjectReader.Describe(node)}");
        return null;
    }

    private static string Shorten(string typeName) => typeName.StartsWith('V') && typeName.Length > 2 && char.IsDigit(typeName[1])
        ? typeName[2..].TrimStart('0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
        : typeName;
}
