using Amazon.Runtime;

namespace Serverless.Aws.Core;

/// <summary>An SDK <see cref="HttpClientFactory"/> whose clients send through a caller-supplied handler chain.</summary>
internal sealed class WrappingHttpClientFactory(Func<HttpMessageHandler, HttpMessageHandler> wrap) : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
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

    // Each client gets its own HttpClient: a cached one could carry another test's handler.
    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;
}
