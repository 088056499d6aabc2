using Serverless.Model;

namespace Serverless.Ingress;

/// <summary>Upstream's load balancer model (<c>model_build_load_balancer.go</c>).</summary>
internal static class LoadBalancerBuilder
{
    /// <summary>
    /// The subnets: explicit ones (IngressClassParams or the <c>subnets</c> annotation, resolved when parsed), else
    /// the existing load balancer's when its scheme is unchanged (discovery runs only on creation or a scheme change),
    /// else auto-discovery.
    /// </summary>
    public static SubnetResult ChooseSubnets(BuildContext context, MergedSettings settings)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Subnets is { } explicitSubnets)
            return new SubnetResult(explicitSubnets.Value.SubnetIds, null);
        if (context.Snapshot.Aws.ExistingLoadBalancer is { } existing && existing.Scheme == settings.Scheme && existing.SubnetIds.Count > 0)
            return new SubnetResult([.. existing.SubnetIds.Distinct().Order(StringComparer.Ordinal)], null);
        return SubnetResolver.Discover(settings.Scheme, settings.IpAddressType, context.Snapshot.Aws, context.Cluster.ClusterName);
    }

    /// <summary>The load balancer's name: <c>load-balancer-name</c> (validated when parsed), else upstream's hashed name.</summary>
    public static string Name(BuildContext context, MergedSettings settings)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        return settings.LoadBalancerName?.Value ?? Naming.LoadBalancerName(context.Cluster.ClusterName, context.Stack, settings.Scheme);
    }

    public static LoadBalancerSpec Build(BuildContext context, MergedSettings settings, IReadOnlyList<string> subnetIds, IReadOnlyList<StringOrRef> securityGroups)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        return new LoadBalancerSpec
        {
            Name = Name(context, settings),
            Scheme = settings.Scheme,
            IpAddressType = settings.IpAddressType,
            Subnets = subnetIds,
            SecurityGroups = securityGroups,
            Attributes = new SortedDictionary<string, string>(settings.LoadBalancerAttributes.ToDictionary(), StringComparer.Ordinal),
            Tags = context.Tags(ResourceIds.LoadBalancer, settings.Tags),
            CustomerOwnedIpv4Pool = settings.CustomerOwnedIpv4Pool,
            Ipv4IpamPoolId = settings.IpamIpv4PoolId,
            MinimumCapacityUnits = settings.MinimumCapacityUnits,
            Wafv2AclArn = settings.Wafv2AclArn,
            ShieldAdvancedProtection = settings.ShieldAdvancedProtection,
        };
    }
}
