using Serverless.Aws.ElasticLoadBalancingV2.Model;

namespace Serverless.Deploy;

/// <summary>
/// DescribeTargetHealth of one target group, for readiness gates after a deploy (<see cref="StackDeployer"/> reads it with
/// its own client). One call when the ARN is known; one more to find the group by its name when it is not.
/// </summary>
public interface ITargetHealthReader
{
    /// <summary>
    /// The health of every target of the group <paramref name="targetGroupName"/> (ARN <paramref name="targetGroupArn"/>
    /// when known); null when no such target group exists.
    /// </summary>
    Task<IReadOnlyList<TargetHealthDescription>?> DescribeTargetHealthAsync(string targetGroupName, string? targetGroupArn, CancellationToken cancellationToken = default);
}
