using System.Text.Json.Nodes;
using Serverless.Model;

namespace Serverless.Ingress.Backend;

/// <summary>
/// <c>alb.ingress.kubernetes.io/transforms.&lt;service&gt;</c>: a JSON list of upstream's <c>Transform</c>
/// (<c>host-header-rewrite</c> with <c>hostHeaderRewriteConfig</c>, or <c>url-rewrite</c> with
/// <c>urlRewriteConfig</c>; each <c>{"rewrites": [{"regex", "replace"}]}</c>), read from the Ingress only.
/// </summary>
internal static class TransformAnnotations
{
    public const string HostHeaderRewrite = "host-header-rewrite";
    public const string UrlRewrite = "url-rewrite";

    /// <summary>The transforms for backend Service <paramref name="serviceName"/>; empty when unset.</summary>
    public static IReadOnlyList<TransformSpec> Parse(AnnotationReader ingress, string serviceName)
    {
        var suffix = Annotations.TransformsPrefix + serviceName;
        var json = ingress.Json(suffix);
        if (json is null)
            return [];
        try
        {
            var array = GoJson.Array(json, string.Empty);
            var result = new List<TransformSpec>(array.Count);
            for (var i = 0; i < array.Count; i++)
            {
                var at = $"[{i}]";
                var obj = GoJson.Object(array[i], at);
                var type = GoJson.String(obj, "type", at);
                var configName = type switch
                {
                    HostHeaderRewrite => "hostHeaderRewriteConfig",
                    UrlRewrite => "urlRewriteConfig",
                    _ => throw new JsonShapeException(at + ".type", $"unknown transform type \"{type}\": must be {HostHeaderRewrite} or {UrlRewrite}"),
                };
                var config = GoJson.OptionalObject(obj, configName, at)
                    ?? throw new JsonShapeException(at + "." + configName, "is required for this type");
                result.Add(new TransformSpec { Type = type, Rewrites = Rewrites(config, at + "." + configName) });
            }
            return result;
        }
        catch (JsonShapeException ex)
        {
            throw ingress.Invalid(suffix, ex.Describe());
        }
    }

    private static IReadOnlyList<RewriteSpec> Rewrites(JsonObject config, string path)
    {
        var node = GoJson.Field(config, "rewrites");
        var array = node is null ? new JsonArray() : GoJson.Array(node, path + ".rewrites");
        if (array.Count == 0)
            throw new JsonShapeException(path + ".rewrites", "cannot be empty");
        var rewrites = new List<RewriteSpec>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            var at = $"{path}.rewrites[{i}]";
            var rewrite = GoJson.Object(array[i], at);
            rewrites.Add(new RewriteSpec(GoJson.String(rewrite, "regex", at), GoJson.String(rewrite, "replace", at)));
        }
        return rewrites;
    }
}
