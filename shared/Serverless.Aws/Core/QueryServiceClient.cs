using System.Collections.ObjectModel;
using Amazon.Runtime;
using Amazon.Runtime.Credentials.Internal;
using Amazon.Runtime.Endpoints;
using Amazon.Runtime.Internal;
using Amazon.Runtime.Internal.Auth;

namespace Serverless.Aws.Core;

/// <summary>
/// Configuration of one of our Query-protocol clients: the SDK's <see cref="ClientConfig"/> (endpoint
/// resolution incl. <c>AWS_ENDPOINT_URL</c> and <c>AWS_ENDPOINT_URL_&lt;SERVICE_ID&gt;</c>, timeouts, retries)
/// described by a <see cref="QueryServiceDescriptor"/>.
/// </summary>
public sealed class QueryClientConfig : ClientConfig
{
    private static readonly ReadOnlyCollection<IDefaultConfiguration> Defaults = new(
    [
        new DefaultConfiguration
        {
            Name = DefaultConfigurationMode.Standard,
            RetryMode = RequestRetryMode.Standard,
            S3UsEast1RegionalEndpoint = S3UsEast1RegionalEndpointValue.Regional,
            ConnectTimeout = TimeSpan.FromMilliseconds(3100),
            TlsNegotiationTimeout = TimeSpan.FromMilliseconds(3100),
        },
    ]);

    private readonly QueryServiceDescriptor _service;

    /// <summary>A configuration for <paramref name="service"/> built from <paramref name="options"/>.</summary>
    public QueryClientConfig(QueryServiceDescriptor service, AwsClientOptions options)
        : base(new DefaultConfigurationProvider(Defaults))
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(options);
        _service = service;
        Options = options;
        RateLimiter = new OperationRateLimiter(options.RateLimits);
        ServiceId = service.ServiceId;
        AuthenticationServiceName = service.EndpointPrefix;
        EndpointProvider = new QueryEndpointProvider(service.EndpointPrefix);
        UserAgent = "serverless-lbc/" + service.ShortName;
        options.ApplyTo(this);
    }

    /// <summary>The options the client was built from.</summary>
    public AwsClientOptions Options { get; }

    /// <summary>The client's token buckets (one per operation class).</summary>
    public OperationRateLimiter RateLimiter { get; }

    /// <inheritdoc />
    public override string RegionEndpointServiceName => _service.EndpointPrefix;

    /// <inheritdoc />
    public override string ServiceVersion => _service.ApiVersion;

    /// <inheritdoc />
    public override string UserAgent { get; }

    /// <summary>The service this configuration is for.</summary>
    public QueryServiceDescriptor Service => _service;

    /// <inheritdoc />
    public override Endpoint DetermineServiceOperationEndpoint(ServiceOperationEndpointParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var context = new Amazon.Runtime.Internal.ExecutionContext(
            new RequestContext(false)
            {
                ClientConfig = this,
                OriginalRequest = parameters.Request,
                Request = new DefaultRequest(parameters.Request, ServiceId) { AlternateEndpoint = parameters.AlternateEndpoint },
            },
            null);
        return new QueryEndpointResolver().GetEndpoint(context);
    }
}

/// <summary>
/// Resolves <c>https://{prefix}.{region}.{dnsSuffix}</c>, or the configured endpoint override (moto, LocalStack,
/// <c>AWS_ENDPOINT_URL*</c>). FIPS and dual-stack endpoints are not offered: the controller has no use for them yet.
/// </summary>
internal sealed class QueryEndpointProvider(string endpointPrefix) : IEndpointProvider
{
    public Endpoint ResolveEndpoint(EndpointParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters["Endpoint"] is string endpoint && endpoint.Length > 0)
            return new Endpoint(endpoint);
        if (parameters["Region"] is not string region || region.Length == 0)
            throw new AmazonClientException($"no Region configured for {endpointPrefix}: set AWS_REGION or pass a region");
        var suffix = region.StartsWith("cn-", StringComparison.Ordinal) ? "amazonaws.com.cn" : "amazonaws.com";
        return new Endpoint($"https://{endpointPrefix}.{region}.{suffix}");
    }
}

internal sealed class QueryEndpointResolver : BaseEndpointResolver
{
    protected override EndpointParameters MapEndpointsParameters(IRequestContext requestContext)
    {
        var config = requestContext.ClientConfig;
        var parameters = new EndpointParameters();
        parameters["Region"] = requestContext.Request.AlternateEndpoint?.SystemName
            ?? config.RegionEndpoint?.SystemName
            ?? (string.IsNullOrEmpty(config.AuthenticationRegion) ? null : config.AuthenticationRegion);
        parameters["Endpoint"] = config.ServiceURL;
        return parameters;
    }
}

internal sealed class SigV4AuthSchemeHandler : BaseAuthResolverHandler
{
    protected override List<IAuthSchemeOption> ResolveAuthOptions(IExecutionContext executionContext) => AuthSchemeOption.DEFAULT_SIGV4;
}

/// <summary>
/// Base of our own clients — Query protocol (ELBv2, Auto Scaling) and AWS JSON 1.1 (WAFv2): the SDK pipeline with
/// SigV4 signing, endpoint resolution, our backoff, per-operation-class rate limiting and call counting.
/// </summary>
public abstract class QueryServiceClient : AmazonServiceClient
{
    // The SDK builds the pipeline inside its constructor, before derived fields exist: everything
    // CustomizeRuntimePipeline needs therefore travels on the config.
    private readonly QueryClientConfig _config;

    /// <summary>Builds the client for <paramref name="service"/> from <paramref name="options"/>.</summary>
    protected QueryServiceClient(QueryServiceDescriptor service, AwsClientOptions options)
        : this(new QueryClientConfig(service, options))
    {
    }

    private QueryServiceClient(QueryClientConfig config)
        : base(config.Options.Credentials!, config)
    {
        _config = config;
    }

    /// <summary>The service this client talks to.</summary>
    public QueryServiceDescriptor Service => _config.Service;

    /// <summary>Where this client's calls are counted.</summary>
    public AwsCallRecorder CallRecorder => _config.Options.CallRecorder;

    /// <summary>
    /// Sends one request and reads its response. Every failure surfaces as the service's typed exception: AWS error
    /// responses with their code, and — once retries are exhausted — timeouts as <c>RequestTimeout</c> and network
    /// failures as <c>NetworkFailure</c> (status 0, the cause as inner exception). Cancellation by
    /// <paramref name="cancellationToken"/> stays an <see cref="OperationCanceledException"/>.
    /// </summary>
    protected async Task<TResponse> InvokeQueryAsync<TRequest, TResponse>(
        TRequest request,
        ServiceOperation<TRequest, TResponse> operation,
        CancellationToken cancellationToken)
        where TRequest : AmazonWebServiceRequest
        where TResponse : AmazonWebServiceResponse, new()
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(operation);
        var invokeOptions = new InvokeOptions
        {
            RequestMarshaller = operation.Marshaller,
            ResponseUnmarshaller = operation.Unmarshaller,
        };
        try
        {
            return await InvokeAsync<TResponse>(request, invokeOptions, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (TransientCode(ex, cancellationToken) is { } code)
        {
            throw Service.CreateException(new AwsErrorDetails(
                code,
                $"{Service.ShortName} {operation.Name}: {ex.Message}",
                ErrorType.Receiver,
                string.Empty,
                0,
                ex));
        }
    }

    /// <summary>The error code a non-AWS failure is reported under, or null to let it through unchanged.</summary>
    internal static string? TransientCode(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        AmazonServiceException => null,
        OperationCanceledException when cancellationToken.IsCancellationRequested => null,
        TimeoutException or OperationCanceledException => "RequestTimeout",
        HttpRequestException or IOException or System.Net.Sockets.SocketException => "NetworkFailure",
        _ => null,
    };

    /// <inheritdoc />
    protected override void CustomizeRuntimePipeline(RuntimePipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        var config = (QueryClientConfig)Config;
        pipeline.RemoveHandler<EndpointResolver>();
        pipeline.AddHandlerAfter<Marshaller>(new QueryEndpointResolver());
        pipeline.AddHandlerAfter<Marshaller>(new SigV4AuthSchemeHandler());
        AwsPipeline.Install(pipeline, config, config.Service.ShortName, config.Options, config.RateLimiter);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _config.RateLimiter.Dispose();
        base.Dispose(disposing);
    }
}
