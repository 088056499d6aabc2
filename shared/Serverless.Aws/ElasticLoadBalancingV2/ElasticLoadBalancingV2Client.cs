using Serverless.Aws.Core;

namespace Serverless.Aws.ElasticLoadBalancingV2;

/// <summary>
/// Elastic Load Balancing v2 over the Query protocol (<c>Version=2015-12-01</c>) on AWSSDK.Core's pipeline:
/// the default credential chain, SigV4, our backoff on throttling/5xx/network errors, per-operation-class
/// rate limits and call counting. Operations and shapes are generated from the official service model
/// (see <c>Generator/generate.py</c>). Thread-safe; build one per process.
/// </summary>
public sealed partial class ElasticLoadBalancingV2Client : QueryServiceClient
{
    /// <summary>A client configured by <paramref name="options"/>.</summary>
    public ElasticLoadBalancingV2Client(AwsClientOptions options)
        : base(Descriptor, options)
    {
    }
}
