using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Serverless.Model;

namespace Serverless.Ingress.Backend;

/// <summary>
/// The targets of a target group (upstream's TargetGroupBinding endpoint resolution, <c>pkg/backend</c>):
/// every eligible node on the NodePort (instance), or the Service's ready pod endpoints (ip).
/// </summary>
public static class TargetBuilder
{
    private const string LabelMaster = "node-role.kubernetes.io/master";
    private const string LabelExcludeBalancer = "node.kubernetes.io/exclude-from-external-load-balancers";
    private const string LabelAlphaExcludeBalancer = "alpha.service-controller.kubernetes.io/exclude-balancer";
    private const string LabelComputeType = "eks.amazonaws.com/compute-type";
    private const string TaintClusterAutoscaler = "ToBeDeletedByClusterAutoscaler";
    private const string TaintKarpenterDisrupted = "karpenter.sh/disrupted";

    /// <summary>
    /// Instance targets: each eligible node (<see cref="IsEligible"/>) matching <paramref name="nodeLabels"/>
    /// (<c>target-node-labels</c>) with an EC2 instance ID, on <paramref name="nodePort"/>. Only Ready nodes; when no
    /// node is Ready, the nodes whose readiness is Unknown (upstream's fail-open).
    /// </summary>
    public static IReadOnlyList<TargetSpec> Instances(BuildContext context, int nodePort, IReadOnlyDictionary<string, string>? nodeLabels)
    {
        var candidates = new List<(V1Node Node, string InstanceId)>();
        foreach (var node in context.Nodes)
        {
            if (node is null || !IsEligible(node) || !MatchesLabels(node, nodeLabels))
                continue;
            // Upstream fails the whole binding on a node without a usable providerID; we skip the node.
            if (InstanceId(node) is { } instanceId)
                candidates.Add((node, instanceId));
        }
        var chosen = candidates.Where(static c => ReadyStatus(c.Node) == "True").ToList();
        if (chosen.Count == 0)
            chosen = [.. candidates.Where(static c => ReadyStatus(c.Node) == "Unknown")];
        return Sorted(chosen.Select(c => new TargetSpec(c.InstanceId, nodePort)));
    }

    /// <summary>
    /// A node may carry instance targets: none of the excluding labels (master role, the two exclude-balancer labels,
    /// Fargate compute type) and no taint marking it for removal (<c>ToBeDeletedByClusterAutoscaler</c> with any
    /// effect, <c>karpenter.sh/disrupted</c> with NoSchedule). Cordoned nodes stay eligible, as upstream.
    /// </summary>
    public static bool IsEligible(V1Node node) => IneligibleReason(node) is null;

    /// <summary>Why <paramref name="node"/> may not carry instance targets (the label or taint that excludes it), or null when it may.</summary>
    public static string? IneligibleReason(V1Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var labels = node.Metadata?.Labels ?? new Dictionary<string, string>();
        foreach (var label in (string[])[LabelMaster, LabelExcludeBalancer, LabelAlphaExcludeBalancer])
        {
            if (labels.ContainsKey(label))
                return $"it has the label {label}";
        }
        if (labels.TryGetValue(LabelComputeType, out var computeType) && computeType == "fargate")
            return $"it is a Fargate node ({LabelComputeType}=fargate)";
        foreach (var taint in node.Spec?.Taints ?? [])
        {
            if (taint?.Key == TaintClusterAutoscaler)
                return $"it is being removed (taint {TaintClusterAutoscaler})";
            if (taint?.Key == TaintKarpenterDisrupted && taint.Effect == "NoSchedule")
                return $"it is being removed (taint {TaintKarpenterDisrupted}:NoSchedule)";
        }
        return null;
    }

    /// <summary>The EC2 instance ID of <c>spec.providerID</c> (<c>aws:///&lt;az&gt;/i-…</c>: its last segment, which must start with <c>i-</c>); null otherwise.</summary>
    public static string? InstanceId(V1Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var providerId = node.Spec?.ProviderID;
        if (string.IsNullOrEmpty(providerId) || !providerId.StartsWith("aws://", StringComparison.Ordinal))
            return null;
        var last = providerId[(providerId.LastIndexOf('/') + 1)..];
        return last.StartsWith("i-", StringComparison.Ordinal) && last.Length > 2 ? last : null;
    }

    /// <summary>
    /// IP targets: the endpoints of the Service's EndpointSlices of the target group's address family whose port
    /// name is the Service port's name, that are ready (or of unknown readiness) and not terminating, on the
    /// endpoint's port. Endpoints of something other than a Pod are skipped, as upstream. With VPC CIDRs known, an
    /// IP outside them gets <c>AvailabilityZone: all</c>.
    /// </summary>
    /// <remarks>
    /// A not-ready endpoint that is not terminating is a target too when its Pod waits only for the readiness gate of
    /// this target group (<paramref name="gateName"/>, see <see cref="PodReadinessGates"/>): the Pod carries the gate,
    /// its containers are ready and its node is Ready, as upstream — without the registration the gate could never
    /// pass. The Pods of such endpoints are looked up in the snapshot (and recorded as read, so a loader fetches them).
    /// </remarks>
    public static IReadOnlyList<TargetSpec> PodIps(BuildContext context, V1Service service, V1ServicePort servicePort, string ipAddressType, string? gateName = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var gate = string.IsNullOrEmpty(gateName) ? null : PodReadinessGates.ConditionType(gateName);
        var addressType = ipAddressType == "ipv6" ? "IPv6" : "IPv4";
        var portName = servicePort.Name ?? string.Empty;
        var cidrs = ParseCidrs(context.Snapshot.Aws.VpcCidrs);
        var targets = new List<TargetSpec>();
        foreach (var slice in context.EndpointSlices(service.Metadata.NamespaceProperty, service.Metadata.Name))
        {
            if (slice?.AddressType != addressType)
                continue;
            foreach (var port in slice.Ports ?? [])
            {
                if (port?.Port is not { } number || (port.Name ?? string.Empty) != portName)
                    continue;
                foreach (var endpoint in slice.Endpoints ?? [])
                {
                    if (endpoint is null || (!IsServing(endpoint) && !WaitsOnlyForGate(context, slice, endpoint, gate)))
                        continue;
                    if (endpoint.TargetRef is { } targetRef && targetRef.Kind != "Pod")
                        continue;
                    var address = endpoint.Addresses?.FirstOrDefault();
                    if (address is null || !IPAddress.TryParse(address, out var ip))
                        continue;
                    var outside = cidrs.Count > 0 && !cidrs.Any(c => c.Contains(ip));
                    targets.Add(new TargetSpec(address, number, outside ? "all" : null));
                }
            }
        }
        return Sorted(targets);
    }

    private static bool IsServing(V1Endpoint endpoint) =>
        endpoint.Conditions?.Ready != false && endpoint.Conditions?.Terminating != true;

    /// <summary>
    /// The Pods (<c>namespace</c>, <c>name</c>) of the not-ready, not-terminating Pod endpoints of <paramref name="slices"/>:
    /// those whose readiness gate may hold them back, so the only Pods a load needs for gated endpoints.
    /// </summary>
    public static IReadOnlyList<(string Namespace, string Name)> NotReadyPods(IEnumerable<V1EndpointSlice> slices)
    {
        ArgumentNullException.ThrowIfNull(slices);
        var pods = new SortedSet<(string, string)>();
        foreach (var slice in slices)
        {
            foreach (var endpoint in slice?.Endpoints ?? [])
            {
                if (endpoint is not null && NotReadyPod(slice!, endpoint) is { } pod)
                    pods.Add(pod);
            }
        }
        return [.. pods];
    }

    // A not-ready, not-terminating endpoint of a Pod: the Pod's namespace and name.
    private static (string Namespace, string Name)? NotReadyPod(V1EndpointSlice slice, V1Endpoint endpoint)
    {
        if (endpoint.Conditions?.Ready != false || endpoint.Conditions?.Terminating == true)
            return null;
        if (endpoint.TargetRef is not { Kind: "Pod", Name: { Length: > 0 } name } targetRef)
            return null;
        return (string.IsNullOrEmpty(targetRef.NamespaceProperty) ? slice.Metadata?.NamespaceProperty ?? string.Empty : targetRef.NamespaceProperty, name);
    }

    // A not-ready endpoint whose Pod is held back only by the gate: it carries the gate, its containers are ready and
    // its node is Ready (upstream also requires the node: a Pod on a node in doubt does not take new traffic).
    private static bool WaitsOnlyForGate(BuildContext context, V1EndpointSlice slice, V1Endpoint endpoint, string? gate)
    {
        if (gate is null || NotReadyPod(slice, endpoint) is not { } key)
            return false;
        if (context.Pod(key.Namespace, key.Name) is not { } pod || !PodReadinessGates.HasGate(pod, gate) || !PodReadinessGates.ContainersReady(pod))
            return false;
        var nodeName = pod.Spec?.NodeName;
        return !string.IsNullOrEmpty(nodeName)
            && context.Nodes.FirstOrDefault(n => n?.Metadata?.Name == nodeName) is { } node
            && ReadyStatus(node) == "True";
    }

    private static bool MatchesLabels(V1Node node, IReadOnlyDictionary<string, string>? required)
    {
        if (required is null || required.Count == 0)
            return true;
        var labels = node.Metadata?.Labels;
        return labels is not null && required.All(r => labels.TryGetValue(r.Key, out var value) && value == r.Value);
    }

    internal static string? ReadyStatus(V1Node node) =>
        node.Status?.Conditions?.FirstOrDefault(static c => c?.Type == "Ready")?.Status;

    private static List<IPNetwork> ParseCidrs(IEnumerable<string> cidrs)
    {
        var result = new List<IPNetwork>();
        foreach (var cidr in cidrs)
        {
            if (IPNetwork.TryParse(cidr, out var network))
                result.Add(network);
            else if (IPAddress.TryParse(cidr, out var single))
                result.Add(new IPNetwork(single, single.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32));
        }
        return result;
    }

    private static List<TargetSpec> Sorted(IEnumerable<TargetSpec> targets) =>
        [.. targets.Distinct().OrderBy(static t => t.Id, StringComparer.Ordinal).ThenBy(static t => t.Port)];
}
