using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Serverless.Model;

/// <summary>
/// The one serializer of stacks (logs, plan output, golden tests): camelCase, nulls and empty collections omitted,
/// object keys sorted ordinally at every level, two-space indentation, <c>\n</c> line ends. The same stack always
/// gives byte-identical text. Resources are grouped as upstream does: <c>resources.&lt;type&gt;.&lt;id&gt;</c>.
/// OIDC client secrets are written as a digest, never in clear.
/// </summary>
public static class StackJson
{
    private static readonly JsonSerializerOptions NodeOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The canonical JSON text of <paramref name="stack"/>.</summary>
    public static string Serialize(Stack stack)
    {
        ArgumentNullException.ThrowIfNull(stack);
        return Canonical(ToNode(stack));
    }

    /// <summary>The stack as a JSON tree (keys not yet sorted).</summary>
    public static JsonObject ToNode(Stack stack)
    {
        ArgumentNullException.ThrowIfNull(stack);
        var ctx = ModelJsonContext.Default;
        var resources = new JsonObject();
        void Add(string type, string id, JsonNode? node)
        {
            if (resources[type] is not JsonObject byId)
                resources[type] = byId = new JsonObject();
            byId[id] = node;
        }

        if (stack.ManagedSecurityGroup is { } managed)
            Add(ResourceTypes.SecurityGroup, managed.Id, JsonSerializer.SerializeToNode(managed, ctx.SecurityGroupSpec));
        if (stack.BackendSecurityGroup is { } backend)
            Add(ResourceTypes.SecurityGroup, backend.Id, JsonSerializer.SerializeToNode(backend, ctx.SecurityGroupSpec));
        foreach (var rules in stack.NodeSecurityGroupRules)
            Add(ResourceTypes.SecurityGroupRules, rules.SecurityGroupId, JsonSerializer.SerializeToNode(rules, ctx.NodeSecurityGroupRulesSpec));
        if (stack.LoadBalancer is { } lb)
            Add(ResourceTypes.LoadBalancer, ResourceIds.LoadBalancer, JsonSerializer.SerializeToNode(lb, ctx.LoadBalancerSpec));
        foreach (var listener in stack.Listeners)
            Add(ResourceTypes.Listener, ResourceIds.Listener(listener.Port), JsonSerializer.SerializeToNode(listener, ctx.ListenerSpec));
        foreach (var rule in stack.Rules)
            Add(ResourceTypes.ListenerRule, ResourceIds.ListenerRule(rule.Port, rule.Priority), JsonSerializer.SerializeToNode(Redact(rule), ctx.ListenerRuleSpec));
        foreach (var tg in stack.TargetGroups)
            Add(ResourceTypes.TargetGroup, tg.Id, JsonSerializer.SerializeToNode(tg, ctx.TargetGroupSpec));
        foreach (var set in stack.TargetSets)
            Add(ResourceTypes.TargetSet, set.TargetGroupId, JsonSerializer.SerializeToNode(set, ctx.TargetSetSpec));

        var root = new JsonObject
        {
            ["id"] = stack.Id.ToString(),
            ["kind"] = stack.Id.IsService ? "service" : null,
            ["clusterName"] = stack.ClusterName,
            ["allMembersFrozen"] = stack.AllMembersFrozen ? true : null,
            ["ingresses"] = JsonSerializer.SerializeToNode(stack.Ingresses, ctx.IReadOnlyListIngressOutcome),
            ["frozenRules"] = JsonSerializer.SerializeToNode(stack.FrozenRules, ctx.IReadOnlyListFrozenRuleBlock),
            ["knownLoadBalancerNames"] = new JsonArray([.. stack.KnownLoadBalancerNames.Select(static n => (JsonNode?)JsonValue.Create(n))]),
            ["resources"] = resources,
        };
        return root;
    }

    /// <summary>Sorts keys, drops nulls and empty arrays/objects, and writes indented text with a final newline.</summary>
    public static string Canonical(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var sorted = Sort(node) ?? new JsonObject();
        var text = sorted.ToJsonString(new JsonSerializerOptions(NodeOptions) { WriteIndented = true });
        return text.ReplaceLineEndings("\n") + "\n";
    }

    private static JsonNode? Sort(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (key, value) in obj.OrderBy(static p => p.Key, StringComparer.Ordinal))
                {
                    var sortedValue = Sort(value);
                    if (sortedValue is null || sortedValue is JsonArray { Count: 0 } || sortedValue is JsonObject { Count: 0 } && key != "resources")
                        continue;
                    result[key] = sortedValue;
                }
                return result;
            case JsonArray array:
                var copy = new JsonArray();
                foreach (var item in array)
                    copy.Add(Sort(item));
                return copy;
            case null:
                return null;
            default:
                return node.DeepClone();
        }
    }

    private static ListenerRuleSpec Redact(ListenerRuleSpec rule)
    {
        if (!rule.Actions.Any(static a => a.AuthenticateOidc is not null))
            return rule;
        return rule with
        {
            Actions = [.. rule.Actions.Select(static a => a.AuthenticateOidc is { } oidc
                ? a with { AuthenticateOidc = oidc with { ClientSecret = Digest(oidc.ClientSecret) } }
                : a)],
        };
    }

    /// <summary><c>sha256:</c> and the first 16 hex digits of the SHA-256 of <paramref name="secret"/>.</summary>
    public static string Digest(string secret) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret ?? string.Empty)))[..16];
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(LoadBalancerSpec))]
[JsonSerializable(typeof(ListenerSpec))]
[JsonSerializable(typeof(ListenerRuleSpec))]
[JsonSerializable(typeof(TargetGroupSpec))]
[JsonSerializable(typeof(TargetSetSpec))]
[JsonSerializable(typeof(SecurityGroupSpec))]
[JsonSerializable(typeof(NodeSecurityGroupRulesSpec))]
[JsonSerializable(typeof(IReadOnlyList<IngressOutcome>))]
[JsonSerializable(typeof(IReadOnlyList<FrozenRuleBlock>))]
internal sealed partial class ModelJsonContext : JsonSerializerContext;
