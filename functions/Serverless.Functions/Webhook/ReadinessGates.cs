using System.Text.Json.Nodes;
using k8s.Models;
using Serverless.Ingress.Backend;
using Serverless.Kubernetes.Api;

namespace Serverless.Functions.Webhook;

/// <summary>
/// Which target-health readiness gates a new pod gets (upstream's <c>pod_readiness_gate.go</c>): one per
/// TargetGroupBinding of the pod's namespace with <c>targetType: ip</c> whose Service exists and has a non-empty
/// selector matching the pod's labels, named <c>target-health.elbv2.k8s.aws/&lt;binding name&gt;</c>.
/// </summary>
public static class ReadinessGates
{
    /// <summary>The prefix of the gates of the old ALB ingress controller, dropped when a current gate applies.</summary>
    public const string LegacyPrefix = "target-health.alb.ingress.k8s.aws";

    /// <summary>
    /// The condition types for a pod with <paramref name="podLabels"/> in <paramref name="ns"/>, in binding order,
    /// without duplicates. A binding without a name or Service reference, or whose Service is missing, is skipped.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ForPodAsync(IReadinessGateCluster cluster, string ns, IReadOnlyDictionary<string, string> podLabels, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(podLabels);
        var types = new List<string>();
        // Bindings of one Service share one read of it.
        var services = new Dictionary<string, V1Service?>(StringComparer.Ordinal);
        foreach (var binding in await cluster.ListTargetGroupBindingsAsync(ns, cancellationToken).ConfigureAwait(false))
        {
            if (Text(binding["spec"]?["targetType"]) != "ip" || Text(binding["metadata"]?["name"]) is not { Length: > 0 } name
                || Text(binding["spec"]?["serviceRef"]?["name"]) is not { Length: > 0 } serviceName)
            {
                continue;
            }
            if (!services.TryGetValue(serviceName, out var service))
                services[serviceName] = service = await cluster.GetServiceAsync(ns, serviceName, cancellationToken).ConfigureAwait(false);
            if (service?.Spec?.Selector is not { Count: > 0 } selector || !selector.All(s => podLabels.TryGetValue(s.Key, out var v) && v == s.Value))
                continue;
            var type = PodReadinessGates.ConditionType(name);
            if (!types.Contains(type))
                types.Add(type);
        }
        return types;
    }

    /// <summary>
    /// The pod's <c>spec.readinessGates</c> with <paramref name="conditionTypes"/> added where missing and, when any
    /// applies, the legacy gates removed; null when that changes nothing.
    /// </summary>
    public static JsonArray? Inject(JsonArray? existing, IReadOnlyList<string> conditionTypes)
    {
        ArgumentNullException.ThrowIfNull(conditionTypes);
        if (conditionTypes.Count == 0)
            return null;
        var gates = new JsonArray();
        var changed = false;
        foreach (var gate in existing ?? [])
        {
            if (Text(gate?["conditionType"]) is { } type && type.StartsWith(LegacyPrefix, StringComparison.Ordinal))
                changed = true;
            else
                gates.Add(gate?.DeepClone());
        }
        foreach (var type in conditionTypes)
        {
            if (gates.Any(g => Text(g?["conditionType"]) == type))
                continue;
            gates.Add((JsonNode)new JsonObject { ["conditionType"] = type });
            changed = true;
        }
        return changed ? gates : null;
    }

    /// <summary>The JSON Patch (RFC 6902) that sets the pod's gates to <paramref name="gates"/>: add when it had none, else replace.</summary>
    public static JsonArray Patch(bool hadGates, JsonArray gates) =>
        new((JsonNode)new JsonObject { ["op"] = hadGates ? "replace" : "add", ["path"] = "/spec/readinessGates", ["value"] = gates });

    /// <summary>A string value, or null for anything else.</summary>
    internal static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}

/// <summary>What the webhook reads from the cluster: nothing but these two calls (RBAC: list targetgroupbindings, get services).</summary>
public interface IReadinessGateCluster
{
    /// <summary>The TargetGroupBindings of <paramref name="ns"/> (empty when the CRD is not installed).</summary>
    Task<IReadOnlyList<JsonObject>> ListTargetGroupBindingsAsync(string ns, CancellationToken cancellationToken);

    /// <summary>One Service, or null when it does not exist.</summary>
    Task<V1Service?> GetServiceAsync(string ns, string name, CancellationToken cancellationToken);
}

/// <summary>The two reads over the Kubernetes API.</summary>
public sealed class KubernetesReadinessGateCluster(IKubernetesApi api) : IReadinessGateCluster
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<JsonObject>> ListTargetGroupBindingsAsync(string ns, CancellationToken cancellationToken)
    {
        var items = await api.ListTargetGroupBindingsJsonAsync(ns, cancellationToken).ConfigureAwait(false);
        return [.. items.Select(static json => JsonNode.Parse(json) as JsonObject).OfType<JsonObject>()];
    }

    /// <inheritdoc />
    public Task<V1Service?> GetServiceAsync(string ns, string name, CancellationToken cancellationToken) => api.GetServiceAsync(ns, name, cancellationToken);
}
