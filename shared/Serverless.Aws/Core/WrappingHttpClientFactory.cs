using Amazon.Runtime;

namespace Serverless.Aws.Core;

/// <summary>
/// An SDK <see cref="HttpClientFactory"/> whose clients send through a caller-supplied handler chain. One instance
/// belongs to one client configuration (<see cref="AwsClientOptions.ApplyTo"/> makes a new one each time) and builds
/// that client's <see cref="HttpClient"/> once: with SDK caching off the SDK asks the factory on every request, and a
/// new handler chain per request would both leak connections and split a test's fault rules and counts.
/// </summary>
internal sealed class WrappingHttpClientFactory(Func<HttpMessageHandler, HttpMessageHandler> wrap) : HttpClientFactory
{
    private readonly Lock _lock = new();
    private HttpClient? _client;

    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
        lock (_lock)
            return _client ??= Build(clientConfig);
    }

    // Each client gets its own HttpClient: one from the SDK's shared cache could carry another test's handler.
    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

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
