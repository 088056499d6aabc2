using Amazon;
using Amazon.Runtime;

namespace Serverless.Aws.Core;

/// <summary>
/// How every AWS client of the controller is built: region, endpoint, credentials, retries, API budget and the
/// test hooks. One instance is shared by all clients of a process (Lambda container, CLI run, test).
/// </summary>
public sealed record AwsClientOptions
{
    /// <summary>
    /// The Region (e.g. <c>us-east-1</c>). Null: the SDK's own resolution (<c>AWS_REGION</c>, <c>AWS_DEFAULT_REGION</c>, profile, IMDS).
    /// </summary>
    public string? Region { get; init; }

    /// <summary>
    /// An endpoint that overrides the Region's public endpoint for every service (moto, LocalStack).
    /// Null: the SDK's own resolution, which honours <c>AWS_ENDPOINT_URL</c> and <c>AWS_ENDPOINT_URL_&lt;SERVICE&gt;</c>.
    /// </summary>
    public string? ServiceUrl { get; init; }

    /// <summary>Credentials. Null: the SDK's default chain (environment, web identity/IRSA, profile, container, IMDS).</summary>
    public AWSCredentials? Credentials { get; init; }

    /// <summary>Retries after the first attempt for throttling, 5xx and transient network errors. Default 5.</summary>
    public int MaxErrorRetry { get; init; } = 5;

    /// <summary>Base of the exponential backoff: retry n (1-based) waits a random time in [0, min(max, base·2ⁿ⁻¹)]. Default 100 ms.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Ceiling of one backoff wait. Default 20 s (the SDK's standard-mode ceiling).</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Draws the uniform number in [0, 1) that scales each backoff ceiling. Null: <see cref="Random.Shared"/>.
    /// A test seam: a fixed value makes the waits deterministic.
    /// </summary>
    internal Func<double>? RetryJitter { get; init; }

    /// <summary>Timeout of one HTTP attempt. Null: the SDK default (100 s).</summary>
    public TimeSpan? AttemptTimeout { get; init; }

    /// <summary>Client-side token buckets for ELBv2 and Auto Scaling operation classes.</summary>
    public ApiRateLimits RateLimits { get; init; } = ApiRateLimits.Default;

    /// <summary>Where calls and attempts are counted. Shared by every client built with these options.</summary>
    public AwsCallRecorder CallRecorder { get; init; } = new();

    /// <summary>
    /// Wraps the HTTP handler under every client (fault injection, request capture in tests). Null: none.
    /// The function receives the real handler and returns the handler the client uses.
    /// </summary>
    public Func<HttpMessageHandler, HttpMessageHandler>? HttpHandlerWrapper { get; init; }

    /// <summary>Options for a local emulator (moto) at <paramref name="serviceUrl"/> with dummy credentials.</summary>
    public static AwsClientOptions ForEmulator(string serviceUrl, string region = "us-east-1") => new()
    {
        Region = region,
        ServiceUrl = serviceUrl,
        Credentials = new BasicAWSCredentials("testing", "testing"),
        RateLimits = ApiRateLimits.None,
    };

    /// <summary>Applies region, endpoint, retries, timeout and the HTTP hook to an SDK client configuration.</summary>
    public void ApplyTo(ClientConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (Region is not null)
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(Region);
        // ServiceURL and RegionEndpoint are exclusive in the SDK: setting the URL clears the region.
        if (ServiceUrl is not null)
            config.ServiceURL = ServiceUrl;
        // The signing region. Without it the SDK signs a request whose endpoint came from ServiceUrl or from
        // AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> for the region it guesses from that URL, which for an
        // emulator on loopback is AWS_REGION or us-east-1, not this Region (and moto files resources by it).
        if (Region is not null)
            config.AuthenticationRegion = Region;
        config.MaxErrorRetry = MaxErrorRetry;
        // Our backoff and rate limiter pace retries; the SDK's shared retry quota would otherwise stop
        // retrying altogether during a throttling storm.
        config.ThrottleRetries = false;
        if (AttemptTimeout is { } timeout)
            config.Timeout = timeout;
        if (HttpHandlerWrapper is not null)
            config.HttpClientFactory = new WrappingHttpClientFactory(HttpHandlerWrapper);
    }
}
