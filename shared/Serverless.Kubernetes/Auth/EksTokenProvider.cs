using System.Net.Http.Headers;
using Amazon.Runtime;
using k8s.Authentication;

namespace Serverless.Kubernetes.Auth;

/// <summary>
/// Bearer tokens for an EKS cluster (<see cref="EksToken"/>), made on first use and remade once
/// <see cref="RefreshAfter"/> has passed since signing, well before EKS stops accepting them (15 minutes).
/// Credentials are read from <see cref="AWSCredentials"/> each time a token is made, so rotated credentials are used.
/// </summary>
public sealed class EksTokenProvider : ITokenProvider
{
    private readonly string _clusterName;
    private readonly string _region;
    private readonly AWSCredentials _credentials;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private string? _token;
    private DateTimeOffset _signedAt;

    public EksTokenProvider(string clusterName, string region, AWSCredentials credentials, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(clusterName);
        ArgumentException.ThrowIfNullOrEmpty(region);
        ArgumentNullException.ThrowIfNull(credentials);
        _clusterName = clusterName;
        _region = region;
        _credentials = credentials;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Age at which a token is replaced (default 14 minutes: one minute of margin on the 15-minute validity).</summary>
    public TimeSpan RefreshAfter { get; init; } = EksToken.Validity - TimeSpan.FromMinutes(1);

    /// <summary>How many tokens were made (for tests and metrics).</summary>
    public int TokensMade { get; private set; }

    /// <summary>The current token, remade when it is too old.</summary>
    public async Task<string> GetTokenAsync(CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            if (_token is null || now - _signedAt >= RefreshAfter || now < _signedAt)
            {
                var credentials = await _credentials.GetCredentialsAsync().ConfigureAwait(false);
                _token = EksToken.Create(_clusterName, _region, credentials, now.UtcDateTime);
                _signedAt = now;
                TokensMade++;
            }
            return _token;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken) =>
        new("Bearer", await GetTokenAsync(cancellationToken).ConfigureAwait(false));
}
