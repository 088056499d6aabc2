using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Authentication;

namespace Serverless.Kubernetes.Api;

/// <summary>
/// The HTTP side of a Kubernetes connection, built from a <see cref="KubernetesClientConfiguration"/> the way the
/// client library builds it (server trust from the configured CA or <c>insecure-skip-tls-verify</c>, client
/// certificate, bearer token / token provider / basic credentials on every request, the configured timeout) but
/// without the library's generated operations: those go through a JSON context that holds metadata for every
/// Kubernetes type, which more than doubled the functions' Native AOT binaries and their start-up time.
/// </summary>
internal sealed class KubernetesHttp : IDisposable
{
    private readonly HttpClient _client;
    private readonly ServiceClientCredentials? _credentials;
    private readonly string _base;

    private KubernetesHttp(HttpClient client, ServiceClientCredentials? credentials, Uri baseUri)
    {
        _client = client;
        _credentials = credentials;
        _base = baseUri.ToString().TrimEnd('/');
    }

    /// <summary>The client for <paramref name="config"/>; <paramref name="handlers"/> run first to last before the socket.</summary>
    public static KubernetesHttp Create(KubernetesClientConfiguration config, IReadOnlyList<DelegatingHandler> handlers)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (string.IsNullOrWhiteSpace(config.Host) || !Uri.TryCreate(config.Host, UriKind.Absolute, out var baseUri))
            throw new ArgumentException($"the Kubernetes API server address is not an absolute URL: '{config.Host}'", nameof(config));

        var sockets = new SocketsHttpHandler
        {
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            KeepAlivePingDelay = TimeSpan.FromMinutes(3),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
        };
        if (baseUri.Scheme == Uri.UriSchemeHttps)
        {
            if (config.SkipTlsVerify)
                sockets.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
            else if (config.SslCaCerts is { Count: > 0 } authorities)
                sockets.SslOptions.RemoteCertificateValidationCallback = (_, certificate, presented, errors) => IsTrusted(certificate, presented, errors, authorities);
            // Otherwise the system trust store decides (an EKS endpoint given without its CA).
            if (!string.IsNullOrEmpty(config.TlsServerName))
                sockets.SslOptions.TargetHost = config.TlsServerName;
            if (ClientCertificate(config) is { } clientCertificate)
                sockets.SslOptions.ClientCertificates = [clientCertificate];
        }

        HttpMessageHandler first = sockets;
        for (var i = handlers.Count - 1; i >= 0; i--)
        {
            var innermost = handlers[i];
            while (innermost.InnerHandler is DelegatingHandler inner)
                innermost = inner;
            innermost.InnerHandler = first;
            first = handlers[i];
        }
        var client = new HttpClient(first, disposeHandler: true) { Timeout = config.HttpClientTimeout };
        if (!string.IsNullOrEmpty(config.UserAgent))
            client.DefaultRequestHeaders.UserAgent.ParseAdd(config.UserAgent);
        return new KubernetesHttp(client, k8s.Kubernetes.CreateCredentials(config), baseUri);
    }

    /// <summary>The kubeconfig's client certificate and key (inline base64 PEM or files), or null when it has none.</summary>
    internal static X509Certificate2? ClientCertificate(KubernetesClientConfiguration config)
    {
        var certificate = Pem(config.ClientCertificateData, config.ClientCertificateFilePath);
        var key = Pem(config.ClientCertificateKeyData, config.ClientKeyFilePath);
        return certificate is null || key is null ? null : X509Certificate2.CreateFromPem(certificate, key);
    }

    private static string? Pem(string? base64, string? path) =>
        !string.IsNullOrEmpty(base64) ? Encoding.UTF8.GetString(Convert.FromBase64String(base64))
        : !string.IsNullOrEmpty(path) ? File.ReadAllText(path)
        : null;

    /// <summary>
    /// Whether the server certificate chains to one of <paramref name="authorities"/> (the cluster CA), which need not
    /// be in the system store, through the intermediates the server presented. A certificate the system already trusts
    /// is accepted too.
    /// </summary>
    internal static bool IsTrusted(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors, X509Certificate2Collection authorities)
    {
        if (errors == SslPolicyErrors.None)
            return true;
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }
        if (certificate is X509Certificate2 typed)
            return chain.Build(typed);
        using var copy = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(copy);
    }

    /// <summary>Sends <paramref name="method"/> to <paramref name="pathAndQuery"/> (starting with <c>/</c>) with the credentials.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string pathAndQuery, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, _base + pathAndQuery) { Content = content };
        request.Headers.Accept.ParseAdd("application/json");
        if (_credentials is not null)
            await _credentials.ProcessHttpRequestAsync(request, cancellationToken).ConfigureAwait(false);
        return await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _client.Dispose();
}
