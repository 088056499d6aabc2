using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Serverless.Forwarder;

/// <summary>
/// HTTP access to the API server: bearer token (re-read from its file every minute, as projected service account
/// tokens rotate) and, for https, trust in the cluster CA only. Requests have no overall timeout: the watch loop
/// bounds each one itself.
/// </summary>
internal sealed class KubernetesConnection : IDisposable
{
    private readonly ForwarderConfig _config;
    private readonly HttpClient _http;
    private readonly X509Certificate2Collection? _ca;
    private string? _token;
    private readonly TimeProvider _time;
    private DateTimeOffset _tokenReadAt;

    public KubernetesConnection(ForwarderConfig config, HttpMessageHandler? handler = null, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _config = config;
        if (config.CaFile is not null)
        {
            _ca = [];
            _ca.ImportFromPemFile(config.CaFile);
        }
        _http = new HttpClient(handler ?? new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.None,
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = ValidateServer },
        })
        {
            BaseAddress = config.ApiServer,
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>Sends a GET; the caller disposes the response. With <paramref name="stream"/> the body is not buffered.</summary>
    public async Task<HttpResponseMessage> GetAsync(string pathAndQuery, bool stream, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (Token() is { } token)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _http.SendAsync(request, stream ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _http.Dispose();

    private string? Token()
    {
        if (_config.Token is not null)
            return _config.Token;
        if (_config.TokenFile is null)
            return null;
        if (_token is null || _time.GetUtcNow() - _tokenReadAt > TimeSpan.FromMinutes(1))
        {
            _token = File.ReadAllText(_config.TokenFile).Trim();
            _tokenReadAt = _time.GetUtcNow();
        }
        return _token;
    }

    private bool ValidateServer(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_ca is null)
            return errors == SslPolicyErrors.None;
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            return false;
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_ca);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
            custom.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return custom.Build(leaf);
    }
}
