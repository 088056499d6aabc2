using Amazon.Runtime;

namespace Serverless.Aws.Core;

/// <summary>
/// An SDK <see cref="HttpClientFactory"/> whose clients send through a caller-supplied handler chain.
/// One factory belongs to one client configuration (see <see cref="AwsClientOptions.ApplyTo"/>), and it builds the
/// chain once: with its own cache off the SDK asks the factory for an HttpClient on every request, so building one
/// per call would leak a connection pool per request and hand each request a fresh wrapper (losing whatever state
/// a fault-injection or capturing handler keeps).
/// </summary>
internal sealed class WrappingHttpClientFactory(Func<HttpMessageHandler, HttpMessageHandler> wrap) : HttpClientFactory
{
    private readonly Lock _lock = new();
    private HttpClient? _client;

    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
        ArgumentNullException.ThrowIfNull(clientConfig);
        lock (_lock)
            return _client ??= Build(clientConfig);
    }

    // Each client gets its own HttpClient: the SDK's process-wide cache could carry another test's handler.
    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    // The one HttpClient is reused by every request of the client, so the SDK must not dispose it after a request.
    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    private HttpClient Build(IClientConfig clientConfig)
    {
        var inner = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        var client = new HttpClient(wrap(inner), disposeHandler: true);
        if (clientConfig.Timeout is { } timeout)
            client.Timeout = timeout;
        return client;
    }
}
