using Amazon.Runtime;

namespace Serverless.Aws.Core;

/// <summary>
/// An SDK <see cref="HttpClientFactory"/> whose clients send through a caller-supplied handler chain.
/// </summary>
/// <remarks>
/// The SDK caches the clients of this factory per SDK client (<see cref="HttpClientFactory.GetConfigUniqueString"/>
/// is null) and disposes them with it: every attempt of one SDK client goes through the same handler chain and
/// connection pool, and no two SDK clients share one (a shared one could carry another test's handler). Without
/// SDK caching the SDK would call <see cref="CreateHttpClient"/> for every attempt, building a new chain and a
/// new connection pool each time and never disposing them.
/// </remarks>
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

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => true;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    // Null: cache per SDK client, never across clients.
    public override string? GetConfigUniqueString(IClientConfig clientConfig) => null;
}
