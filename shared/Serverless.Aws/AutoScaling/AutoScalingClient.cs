using Serverless.Aws.Core;

namespace Serverless.Aws.AutoScaling;

/// <summary>
/// Amazon EC2 Auto Scaling over the Query protocol (<c>Version=2011-01-01</c>), limited to the lifecycle-hook
/// operations the drain path needs: <c>CompleteLifecycleAction</c>, <c>RecordLifecycleActionHeartbeat</c>,
/// <c>DescribeLifecycleHooks</c>; plus <c>CreateLaunchConfiguration</c>, <c>CreateAutoScalingGroup</c> and
/// <c>PutLifecycleHook</c>, which the controller does not call but tests and the local runner use to build a group
/// with a hook in an emulator. Same pipeline, retries, limits and counting as the ELBv2 client.
/// </summary>
public sealed partial class AutoScalingClient : QueryServiceClient
{
    /// <summary>A client configured by <paramref name="options"/>.</summary>
    public AutoScalingClient(AwsClientOptions options)
        : base(Descriptor, options)
    {
    }
}
