using System.Text.Json.Nodes;
using Serverless.Model;

namespace Serverless.Ingress.Backend;

/// <summary>
/// <c>alb.ingress.kubernetes.io/conditions.&lt;service&gt;</c>: a JSON list of upstream's <c>RuleCondition</c>
/// (<c>field</c> plus one of <c>hostHeaderConfig</c>, <c>pathPatternConfig</c>, <c>httpHeaderConfig</c>,
/// <c>httpRequestMethodConfig</c>, <c>queryStringConfig</c>, <c>sourceIPConfig</c>), read from the Ingress only.
/// </summary>
internal static class ConditionAnnotations
{
    /// <summary>The conditions for backend Service <paramref name="serviceName"/>, in annotation order; empty when unset.</summary>
    public static IReadOnlyList<ConditionSpec> Parse(AnnotationReader ingress, string serviceName)
    {
        var suffix = Annotations.ConditionsPrefix + serviceName;
        var json = ingress.Json(suffix);
        if (json is null)
            return [];
        try
        {
            var array = GoJson.Array(json, string.Empty);
            var result = new List<ConditionSpec>(array.Count);
            for (var i = 0; i < array.Count; i++)
                result.Add(ParseOne(GoJson.Object(array[i], $"[{i}]"), $"[{i}]"));
            return result;
        }
        catch (JsonShapeException ex)
        {
            throw ingress.Invalid(suffix, ex.Describe());
        }
    }

    private static ConditionSpec ParseOne(JsonObject obj, string path)
    {
        var field = GoJson.String(obj, "field", path);
        switch (field)
        {
            case PathConditions.HostHeader:
            {
                var config = Required(obj, "hostHeaderConfig", path);
                var (values, regex) = ValuesOrRegex(config, path + ".hostHeaderConfig");
                return new ConditionSpec { Field = field, Values = values, RegexValues = regex };
            }
            case PathConditions.PathPattern:
            {
                var config = Required(obj, "pathPatternConfig", path);
                var (values, regex) = ValuesOrRegex(config, path + ".pathPatternConfig");
                return new ConditionSpec { Field = field, Values = values, RegexValues = regex };
            }
            case PathConditions.HttpHeader:
            {
                var config = Required(obj, "httpHeaderConfig", path);
                var where = path + ".httpHeaderConfig";
                var name = GoJson.String(config, "httpHeaderName", where);
                if (name.Length == 0)
                    throw new JsonShapeException(where + ".httpHeaderName", "is required");
                var (values, regex) = ValuesOrRegex(config, where);
                return new ConditionSpec { Field = field, HttpHeaderName = name, Values = values, RegexValues = regex };
            }
            case PathConditions.HttpRequestMethod:
            {
                var config = Required(obj, "httpRequestMethodConfig", path);
                return new ConditionSpec { Field = field, Values = NonEmptyValues(config, path + ".httpRequestMethodConfig") };
            }
            case PathConditions.SourceIp:
            {
                var config = Required(obj, "sourceIPConfig", path);
                return new ConditionSpec { Field = field, Values = NonEmptyValues(config, path + ".sourceIPConfig") };
            }
            case PathConditions.QueryString:
            {
                var config = Required(obj, "queryStringConfig", path);
                var where = path + ".queryStringConfig";
                var array = GoJson.Array(GoJson.Field(config, "values"), where + ".values");
                if (array.Count == 0)
                    throw new JsonShapeException(where + ".values", "cannot be empty");
                var pairs = new List<QueryStringPair>(array.Count);
                for (var i = 0; i < array.Count; i++)
                {
                    var at = $"{where}.values[{i}]";
                    var pair = GoJson.Object(array[i], at);
                    var value = GoJson.String(pair, "value", at);
                    if (value.Length == 0)
                        throw new JsonShapeException(at + ".value", "cannot be empty");
                    pairs.Add(new QueryStringPair(GoJson.OptionalString(pair, "key", at), value));
                }
                return new ConditionSpec { Field = field, QueryStrings = pairs };
            }
            default:
                // Upstream silently ignores an unknown field, which widens the rule; we refuse it.
                throw new JsonShapeException(path + ".field",
                    $"unknown condition field \"{field}\": must be host-header, path-pattern, http-header, http-request-method, query-string or source-ip");
        }
    }

    private static JsonObject Required(JsonObject obj, string name, string path) =>
        GoJson.OptionalObject(obj, name, path) ?? throw new JsonShapeException(path + "." + name, "is required for this field");

    private static (IReadOnlyList<string>? Values, IReadOnlyList<string>? RegexValues) ValuesOrRegex(JsonObject config, string path)
    {
        var values = GoJson.OptionalStringList(config, "values", path);
        var regex = GoJson.OptionalStringList(config, "regexValues", path);
        var hasValues = values is { Count: > 0 };
        var hasRegex = regex is { Count: > 0 };
        if (!hasValues && !hasRegex)
            throw new JsonShapeException(path, "values or regexValues must be specified");
        if (hasValues && hasRegex)
            throw new JsonShapeException(path, "precisely one of values and regexValues can be specified");
        return hasValues ? (values, null) : (null, regex);
    }

    private static IReadOnlyList<string> NonEmptyValues(JsonObject config, string path)
    {
        var values = GoJson.OptionalStringList(config, "values", path);
        if (values is not { Count: > 0 })
            throw new JsonShapeException(path + ".values", "cannot be empty");
        return values;
    }
}
