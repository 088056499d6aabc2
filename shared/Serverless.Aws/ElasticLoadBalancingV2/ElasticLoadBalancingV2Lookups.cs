using Serverless.Aws.ElasticLoadBalancingV2.Model;

namespace Serverless.Aws.ElasticLoadBalancingV2;

/// <summary>
/// Lookups by name where a missing name is an answer, not an error: AWS fails a whole
/// <c>DescribeLoadBalancers</c>/<c>DescribeTargetGroups</c> call when one of its names does not exist, so a failed
/// batch falls back to one call per name. The common case (all exist, or the only name is missing) costs one call.
/// </summary>
public static class ElasticLoadBalancingV2Lookups
{
    /// <summary>Names per call (AWS's limit for both operations is 20).</summary>
    public const int NamesPerCall = 20;

    /// <summary>The load balancers named <paramref name="names"/> that exist.</summary>
    public static Task<List<LoadBalancer>> LoadBalancersByNameAsync(
        this IElasticLoadBalancingV2Client elb, IReadOnlyCollection<string> names, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(elb);
        return ByNameAsync(
            names,
            async batch => (await elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { Names = batch }, cancellationToken).ConfigureAwait(false)).LoadBalancers,
            lb => lb.LoadBalancerName,
            ex => ex.IsLoadBalancerNotFound);
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
