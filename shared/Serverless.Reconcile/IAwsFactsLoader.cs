using k8s.Models;
using Serverless.Deploy;
using Serverless.Ingress;
using Serverless.Model;

namespace Serverless.Reconcile;

/// <summary>Reads the AWS facts a group's build needs (<see cref="AwsFactsLoader"/>); the seam the reconcilers use.</summary>
public interface IAwsFactsLoader
{
    /// <summary>
    /// The facts for <paramref name="group"/>, whose candidate members are <paramref name="ingresses"/>; from the cache
    /// when allowed and still valid, read from AWS when <paramref name="fresh"/> or not cached. <paramref name="read"/>
    /// is called only when they were read from AWS by this call, with what the deployer would otherwise read again
    /// (<see cref="DeployOptions.Known"/> of the same reconcile's deploy).
    /// </summary>
    Task<AwsFacts> LoadAsync(
        ClusterSettings cluster,
        StackId group,
        IReadOnlyList<V1Ingress> ingresses,
        IReadOnlyList<V1Node> nodes,
        CancellationToken cancellationToken = default,
        bool fresh = false,
        Action<KnownAwsReads>? read = null);
}

/// <summary>Reads the AWS facts a Service stack's build needs (<see cref="AwsFactsLoader.LoadServiceAsync"/>).</summary>
public interface IServiceFactsLoader
{
    /// <summary>
    /// The facts for the Service stack <paramref name="stack"/> of <paramref name="service"/>; from the cache when
    /// allowed and still valid. <paramref name="read"/> as in <see cref="IAwsFactsLoader.LoadAsync"/>.
    /// </summary>
    Task<ServiceAwsFacts> LoadServiceAsync(
        ClusterSettings cluster,
        StackId stack,
        V1Service service,
        IReadOnlyList<V1Node> nodes,
        CancellationToken cancellationToken = default,
        bool fresh = false,
        Action<KnownAwsReads>? read = null);
}

/// <summary>The AWS facts of a Service stack: a group's, plus what only an NLB build reads.</summary>
/// <param name="Aws">The facts every stack's build reads (subnets, security groups, the existing load balancer).</param>
/// <param name="ExistingLoadBalancerSecurityGroups">The existing NLB's security groups (empty: created without any); null when there is no NLB.</param>
/// <param name="SubnetIpv6Cidrs">The IPv6 CIDRs of the VPC's subnets that have any, by subnet ID.</param>
public sealed record ServiceAwsFacts(
    AwsFacts Aws,
    IReadOnlyList<string>? ExistingLoadBalancerSecurityGroups,
    IReadOnlyDictionary<string, IReadOnlyList<string>> SubnetIpv6Cidrs);
