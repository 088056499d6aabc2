using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Serverless.Ingress;
using Serverless.Ingress.Backend;
using Serverless.Kubernetes.Bindings;
using Serverless.Model;

namespace Serverless.Bindings;

/// <summary>A pod an ip target belongs to (the EndpointSlice endpoint's <c>targetRef</c>).</summary>
public sealed record PodReference(string Namespace, string Name);

/// <summary>One desired target; <see cref="Pod"/> is the pod behind an ip target (null for instance targets or an endpoint without a pod reference).</summary>
public sealed record DesiredTarget(TargetSpec Target, PodReference? Pod = null)
{
    /// <summary><c>id:port</c>: how targets are matched and how the ledger names them.</summary>
    public string Key => BindingTargets.Key(Target.Id, Target.Port);
}

/// <summary>What the desired targets of a binding came to.</summary>
public enum BindingTargetsOutcome
{
    /// <summary>The targets were computed (possibly none).</summary>
    Targets,

    /// <summary>The Service or its port does not exist: every target of the binding is deregistered (upstream's <c>BackendNotFound</c>).</summary>
    BackendNotFound,

    /// <summary>The binding cannot be served as written (e.g. instance targets of a ClusterIP Service): nothing changes.</summary>
    Invalid,
}

/// <summary>The desired targets of a binding, or why there are none.</summary>
public sealed record BindingTargetSet(BindingTargetsOutcome Outcome, IReadOnlyList<DesiredTarget> Targets, string? Reason = null)
{
    /// <summary>The <c>id:port</c> keys of <see cref="Targets"/>.</summary>
    public IReadOnlySet<string> Keys => Targets.Select(static t => t.Key).ToHashSet(StringComparer.Ordinal);
}

/// <summary>Everything the desired targets are computed from; loaded before, nothing is read here.</summary>
public sealed record BindingTargetsInput
{
    /// <summary>The binding.</summary>
    public required TargetGroupBinding Binding { get; init; }

    /// <summary>The effective target type: the spec's, else the target group's.</summary>
    public required string TargetType { get; init; }

    /// <summary>The effective address family: <c>ipv4</c> or <c>ipv6</c> (the spec's, else the target group's).</summary>
    public string IpAddressType { get; init; } = "ipv4";

    /// <summary>The Service <c>spec.serviceRef.name</c> in the binding's namespace, or null when it does not exist.</summary>
    public V1Service? Service { get; init; }

    /// <summary>The Service's EndpointSlices (ip targets).</summary>
    public IReadOnlyList<V1EndpointSlice> EndpointSlices { get; init; } = [];

    /// <summary>Every Node (instance targets).</summary>
    public IReadOnlyList<V1Node> Nodes { get; init; } = [];

    /// <summary>The target group's VPC CIDRs: an ip target outside them gets <c>AvailabilityZone: all</c>.</summary>
    public IReadOnlyList<string> VpcCidrs { get; init; } = [];

    /// <summary>
    /// Admits an ip endpoint that is not ready (and not terminating) anyway — the hook for pods that are not Ready only
    /// because of their target-health readiness gate. Null: only ready endpoints, as upstream without gates.
    /// </summary>
    public Func<V1Endpoint, bool>? AdmitNotReady { get; init; }

    /// <summary>The Pods of not-ready endpoints (ip): one gated by this binding, with its containers ready on a Ready node, is registered.</summary>
    public IReadOnlyList<V1Pod> Pods { get; init; } = [];
}

/// <summary>
/// The desired targets of a TargetGroupBinding (upstream's <c>pkg/backend</c> endpoint resolution), pure: instance =
/// every eligible node that matches <c>spec.nodeSelector</c>, on the Service port's NodePort; ip = the ready,
/// non-terminating endpoints of the Service port. <c>serviceRef.port</c> as a number matches the Service <c>port</c>,
/// as a string the port <c>name</c>.
/// </summary>
public static class BindingTargets
{
    /// <summary>The desired targets.</summary>
    public static BindingTargetSet Compute(BindingTargetsInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var binding = input.Binding;
        var reference = binding.Spec.ServiceRef;
        var service = input.Service;
        if (service is null)
            return new(BindingTargetsOutcome.BackendNotFound, [], $"{binding.Description}: Service {binding.Metadata.Namespace}/{reference.Name} not found");
        var port = FindPort(service, reference.Port);
        if (port is null)
            return new(BindingTargetsOutcome.BackendNotFound, [], $"{binding.Description}: Service {binding.Metadata.Namespace}/{reference.Name} has no port {reference.Port} (spec.serviceRef.port)");

        var nodes = binding.Spec.NodeSelector is { } selector
            ? [.. input.Nodes.Where(n => n is not null && selector.Matches(n.Metadata?.Labels))]
            : input.Nodes;
        var context = new BuildContext(new GroupSnapshot
        {
            Group = StackId.Binding(binding.Metadata.Namespace, binding.Metadata.Name),
            Cluster = new ClusterSettings { ClusterName = string.Empty, VpcId = string.Empty },
            Aws = new AwsFacts { VpcCidrs = input.VpcCidrs },
            Services = [service],
            EndpointSlices = input.EndpointSlices,
            Nodes = nodes,
            Pods = input.Pods,
        });

        if (input.TargetType == "instance")
        {
            if (service.Spec?.Type is not ("NodePort" or "LoadBalancer"))
                return new(BindingTargetsOutcome.Invalid, [], $"{binding.Description}: spec.targetType instance needs Service {binding.Metadata.Namespace}/{reference.Name} of type NodePort or LoadBalancer, not {service.Spec?.Type ?? "ClusterIP"}");
            if (port.NodePort is not { } nodePort || nodePort <= 0)
                return new(BindingTargetsOutcome.Invalid, [], $"{binding.Description}: Service {binding.Metadata.Namespace}/{reference.Name} port {reference.Port} has no nodePort");
            return new(BindingTargetsOutcome.Targets, [.. TargetBuilder.Instances(context, nodePort, null).Select(static t => new DesiredTarget(t))]);
        }

        // Ready endpoints, and those held back only by this binding's readiness gate (target-health.elbv2.k8s.aws/<name>).
        var ready = TargetBuilder.PodIps(context, service, port, input.IpAddressType, binding.Metadata.Name);
        var admitted = input.AdmitNotReady is { } admit ? NotReadyAdmitted(input, port, admit) : [];
        var pods = PodsByAddress(input.EndpointSlices);
        return new(BindingTargetsOutcome.Targets, [.. ready.Concat(admitted).Distinct()
            .OrderBy(static t => t.Id, StringComparer.Ordinal).ThenBy(static t => t.Port)
            .Select(t => new DesiredTarget(t, pods.GetValueOrDefault(t.Id)))]);
    }

    /// <summary>The Service port <paramref name="reference"/> names: by <c>port</c> number or by <c>name</c>.</summary>
    public static V1ServicePort? FindPort(V1Service service, PortReference reference)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(reference);
        return (service.Spec?.Ports ?? []).FirstOrDefault(p => p is not null && (reference.Number is { } number ? p.Port == number : p.Name == reference.Name));
    }

    /// <summary><c>id:port</c>.</summary>
    public static string Key(string id, int port) => id + ":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    // Endpoints that are not ready, not terminating, and admitted by the hook.
    private static List<TargetSpec> NotReadyAdmitted(BindingTargetsInput input, V1ServicePort servicePort, Func<V1Endpoint, bool> admit)
    {
        var family = input.IpAddressType == "ipv6" ? "IPv6" : "IPv4";
        var networks = input.VpcCidrs.Select(static c => IPNetwork.TryParse(c, out var n) ? n : (IPNetwork?)null).OfType<IPNetwork>().ToList();
        var result = new List<TargetSpec>();
        foreach (var slice in input.EndpointSlices.Where(s => s?.AddressType == family))
        {
            foreach (var port in (slice.Ports ?? []).Where(p => p?.Port is not null && (p.Name ?? string.Empty) == (servicePort.Name ?? string.Empty)))
            {
                foreach (var endpoint in slice.Endpoints ?? [])
                {
                    if (endpoint?.Conditions?.Ready != false || endpoint.Conditions.Terminating == true || endpoint.TargetRef is { Kind: not "Pod" } || !admit(endpoint))
                        continue;
                    if (endpoint.Addresses?.FirstOrDefault() is not { } address || !IPAddress.TryParse(address, out var ip))
                        continue;
                    var outside = networks.Count > 0 && !networks.Any(n => n.Contains(ip)) && ip.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6;
                    result.Add(new TargetSpec(address, port.Port!.Value, outside ? "all" : null));
                }
            }
        }
        return result;
    }

    private static Dictionary<string, PodReference> PodsByAddress(IEnumerable<V1EndpointSlice> slices)
    {
        var pods = new Dictionary<string, PodReference>(StringComparer.Ordinal);
        foreach (var slice in slices)
        {
            foreach (var endpoint in slice?.Endpoints ?? [])
            {
                if (endpoint?.TargetRef is { Kind: "Pod", Name: { } name } targetRef && endpoint.Addresses?.FirstOrDefault() is { } address)
                    pods.TryAdd(address, new PodReference(targetRef.NamespaceProperty ?? slice!.Metadata.NamespaceProperty, name));
            }
        }
        return pods;
    }
}
