using Serverless.Aws.ElasticLoadBalancingV2.Model;

namespace Serverless.Aws.ElasticLoadBalancingV2;

/// <summary>
/// Lookups by name where a missing name is an answer, not an error: AWS fails a whole
/// <c>DescribeLoadBalancers</c>/<c>DescribeTargetGroups</c> call when one of its names does not exist, so a failed
/// batch falls back to one call per name. The common case (all exist, or the only name is missing) costs one call.
/// Load balancers are looked up one name per call.
/// </summary>
public static class ElasticLoadBalancingV2Lookups
{
    /// <summary>Names per call (AWS's limit for both operations is 20).</summary>
    public const int NamesPerCall = 20;

    /// <summary>
    /// The load balancers named <paramref name="names"/> that exist, one call per name: a group's candidate names are
    /// few and mostly absent (the other scheme's name, old names), and AWS fails a call naming an absent one, so a batch
    /// would cost one failed call more than asking name by name.
    /// </summary>
    public static async Task<List<LoadBalancer>> LoadBalancersByNameAsync(
        this IElasticLoadBalancingV2Client elb, IReadOnlyCollection<string> names, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(elb);
        ArgumentNullException.ThrowIfNull(names);
        var result = new List<LoadBalancer>();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            var found = await LoadBalancerByNameAsync(elb, name, cancellationToken).ConfigureAwait(false);
            if (found is not null)
                result.Add(found);
        }
        return result;
    }

    /// <summary>The load balancer named <paramref name="name"/>; null when there is none. One call.</summary>
    public static async Task<LoadBalancer?> LoadBalancerByNameAsync(
        this IElasticLoadBalancingV2Client elb, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(elb);
        try
        {
            var response = await elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { Names = [name] }, cancellationToken).ConfigureAwait(false);
            return response.LoadBalancers?.FirstOrDefault(lb => lb.LoadBalancerName == name);
        }
        catch (ElasticLoadBalancingV2Exception ex) when (ex.IsLoadBalancerNotFound)
        {
            return null;
        }
    }

    /// <summary>The target groups named <paramref name="names"/> that exist.</summary>
    public static Task<List<TargetGroup>> TargetGroupsByNameAsync(
        this IElasticLoadBalancingV2Client elb, IReadOnlyCollection<string> names, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(elb);
        return ByNameAsync(
            names,
            async batch => (await elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { Names = batch }, cancellationToken).ConfigureAwait(false)).TargetGroups,
            tg => tg.TargetGroupName,
            ex => ex.IsTargetGroupNotFound);
    }

    /// <summary>
    /// The target groups the load balancer <paramref name="loadBalancerArn"/>'s listeners and rules forward to. None is an
    /// empty list: AWS answers so, moto fails with <c>TargetGroupNotFound</c> (a load balancer whose listeners and rules
    /// only redirect or answer fixed responses, or whose listeners do not exist yet).
    /// </summary>
    public static async Task<List<TargetGroup>> TargetGroupsOfLoadBalancerAsync(
        this IElasticLoadBalancingV2Client elb, string loadBalancerArn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(elb);
        ArgumentException.ThrowIfNullOrEmpty(loadBalancerArn);
        var result = new List<TargetGroup>();
        try
        {
            await foreach (var tg in elb.DescribeTargetGroupsPaginatedAsync(new DescribeTargetGroupsRequest { LoadBalancerArn = loadBalancerArn }, cancellationToken).ConfigureAwait(false))
                result.Add(tg);
        }
        catch (ElasticLoadBalancingV2Exception ex) when (ex.IsTargetGroupNotFound)
        {
            return [];
        }
        return result;
    }

    private static async Task<List<T>> ByNameAsync<T>(
        IReadOnlyCollection<string> names,
        Func<List<string>, Task<List<T>?>> describe,
        Func<T, string?> nameOf,
        Func<ElasticLoadBalancingV2Exception, bool> isNotFound)
    {
        ArgumentNullException.ThrowIfNull(names);
        var result = new List<T>();
        foreach (var batch in names.Distinct(StringComparer.Ordinal).Chunk(NamesPerCall))
        {
            try
            {
                result.AddRange(await ExactAsync([.. batch]).ConfigureAwait(false));
            }
            catch (ElasticLoadBalancingV2Exception ex) when (isNotFound(ex) && batch.Length > 1)
            {
                foreach (var name in batch)
                {
                    try
                    {
                        result.AddRange(await ExactAsync([name]).ConfigureAwait(false));
                    }
                    catch (ElasticLoadBalancingV2Exception one) when (isNotFound(one))
                    {
                        // not there
                    }
                }
            }
            catch (ElasticLoadBalancingV2Exception ex) when (isNotFound(ex))
            {
                // the only name is not there
            }
        }
        return result;

        async Task<List<T>> ExactAsync(List<string> batch)
        {
            // moto answers a partly unknown list with the known ones; AWS fails it. Either way: exact-name matches only.
            var found = await describe(batch).ConfigureAwait(false) ?? [];
            return [.. found.Where(item => batch.Contains(nameOf(item) ?? string.Empty, StringComparer.Ordinal))];
        }
    }
}
