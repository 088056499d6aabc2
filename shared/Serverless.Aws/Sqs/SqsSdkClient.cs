using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.SQS;
using Serverless.Aws.Core;

namespace Serverless.Aws.Sqs;

/// <summary>
/// The SDK's SQS configuration carrying our <see cref="AwsClientOptions"/>: the SDK builds the pipeline inside the
/// client's base constructor, so <see cref="SqsSdkClient.CustomizeRuntimePipeline"/> finds the options here.
/// </summary>
internal sealed class SqsSdkConfig : AmazonSQSConfig
{
    public SqsSdkConfig(AwsClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        options.ApplyTo(this);
    }

    public AwsClientOptions Options { get; }
}

/// <summary>The SDK's SQS client (JSON protocol) with our backoff, call and attempt counting (no client-side rate limit).</summary>
internal sealed class SqsSdkClient : AmazonSQSClient
{
    private SqsSdkClient(AWSCredentials credentials, SqsSdkConfig config)
        : base(credentials, config)
    {
    }

    private SqsSdkClient(SqsSdkConfig config)
        : base(config)
    {
    }

    /// <summary>A client built from <paramref name="options"/>; null credentials mean the SDK's default chain.</summary>
    public static SqsSdkClient Create(AwsClientOptions options)
    {
        var config = new SqsSdkConfig(options);
        return options.Credentials is { } credentials ? new SqsSdkClient(credentials, config) : new SqsSdkClient(config);
    }

    protected override void CustomizeRuntimePipeline(RuntimePipeline pipeline)
    {
        base.CustomizeRuntimePipeline(pipeline);
        var config = (SqsSdkConfig)Config;
        AwsPipeline.Install(pipeline, config, "SQS", config.Options, null);
    }
}
