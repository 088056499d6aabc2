using Amazon.EC2;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Serverless.Aws.Core;

namespace Serverless.Aws.Ec2;

/// <summary>
/// The SDK's EC2 configuration carrying our <see cref="AwsClientOptions"/>: the SDK builds the pipeline inside the
/// client's base constructor, so <see cref="Ec2SdkClient.CustomizeRuntimePipeline"/> finds the options here.
/// </summary>
internal sealed class Ec2SdkConfig : AmazonEC2Config
{
    public Ec2SdkConfig(AwsClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        options.ApplyTo(this);
    }

    public AwsClientOptions Options { get; }
}

/// <summary>The SDK's EC2 client with our backoff, call and attempt counting (no client-side rate limit for EC2).</summary>
internal sealed class Ec2SdkClient : AmazonEC2Client
{
    private Ec2SdkClient(AWSCredentials credentials, Ec2SdkConfig config)
        : base(credentials, config)
    {
    }

    private Ec2SdkClient(Ec2SdkConfig config)
        : base(config)
    {
    }

    /// <summary>A client built from <paramref name="options"/>; null credentials mean the SDK's default chain.</summary>
    public static Ec2SdkClient Create(AwsClientOptions options)
    {
        var config = new Ec2SdkConfig(options);
        return options.Credentials is { } credentials ? new Ec2SdkClient(credentials, config) : new Ec2SdkClient(config);
    }

    protected override void CustomizeRuntimePipeline(RuntimePipeline pipeline)
    {
        base.CustomizeRuntimePipeline(pipeline);
        var config = (Ec2SdkConfig)Config;
        AwsPipeline.Install(pipeline, config, "EC2", config.Options, null);
    }
}
