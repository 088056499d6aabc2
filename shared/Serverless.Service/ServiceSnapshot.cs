using k8s.Models;
using Serverless.Ingress;
using Serverless.Model;

namespace Serverless.Service;

/// <summary>Everything the Service model builder reads: one Service and what its targets and NLB depend on.</summary>
public sealed record ServiceSnapshot
{
    /// <summary>The stack: <see cref="StackId.Service"/> of the Service's namespace and name.</summary>
    public required StackId Stack { get; init; }

    /// <summary>The controller's cluster-wide settings (cluster name, VPC, defaults, backend SG mode).</summary>
    public required ClusterSettings Cluster { get; init; }

    /// <summary>Upstream's <c>--load-balancer-class</c>.</summary>
    public string LoadBalancerClass { get; init; } = ServiceSelection.DefaultLoadBalancerClass;

    /// <summary>The AWS facts: subnets, security groups, backend SG, node SGs, the stack's existing NLB.</summary>
    public AwsFacts Aws { get; init; } = new();

    /// <summary>The Service; null when it no longer exists (its resources go).</summary>
    public V1Service? Service { get; init; }

    /// <summary>The Service's EndpointSlices (ip targets).</summary>
    public IReadOnlyList<V1EndpointSlice> EndpointSlices { get; init; } = [];

    /// <summary>The Pods of the not-ready endpoints of those EndpointSlices (readiness gates; see <see cref="GroupSnapshot.Pods"/>).</summary>
    public IReadOnlyList<V1Pod> Pods { get; init; } = [];

    /// <summary>The cluster's nodes (instance targets).</summary>
    public IReadOnlyList<V1Node> Nodes { get; init; } = [];

    /// <summary>
    /// The security groups of the existing NLB (<see cref="AwsFacts.ExistingLoadBalancer"/>): empty when it was created
    /// without any (AWS cannot add them later, so none are asked for), null when unknown or when there is no NLB.
    /// </summary>
    public IReadOnlyList<string>? ExistingLoadBalancerSecurityGroups { get; init; }

    /// <summary>
    /// The IPv6 CIDRs of subnets by subnet ID, needed only for <c>aws-load-balancer-ipv6-addresses</c> (an address goes
    /// to the subnet containing it) and for the node rules of an ipv6 target group of an NLB without security groups.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> SubnetIpv6Cidrs { get; init; } = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
}

/// <summary>What the builder made of one Service: the stack to deploy and the warnings a person needs to see.</summary>
public sealed record ServiceBuild
{
    /// <summary>
    /// The desired stack. Its single outcome (<see cref="Stack.Ingresses"/>) is the Service: active (deploy), frozen
    /// (<see cref="Stack.AllMembersFrozen"/>: change nothing, errors say why) or leaving (empty stack: delete what is
    /// tagged for it, then remove the finalizer).
    /// </summary>
    public required Stack Stack { get; init; }

    /// <summary>Annotations that are read but not applied, and other things that will not do what the author expects.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
