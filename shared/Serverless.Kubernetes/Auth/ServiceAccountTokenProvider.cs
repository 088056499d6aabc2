using System.Net.Http.Headers;
using k8s.Authentication;

namespace Serverless.Kubernetes.Auth;

/// <summary>
/// The in-cluster service account token, re-read from its file when the kubelet rotates it (the file's write time
/// changes) and at least every <see cref="MaxAge"/>, so a projected token never goes stale in a long-lived process.
/// </summary>
public sealed class ServiceAccountTokenProvider : ITokenProvider
{
    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private string? _token;
    private DateTime _writeTime;
    private DateTimeOffset _readAt;

    public ServiceAccountTokenProvider(string path, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = path;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Longest time a token read from the file is used without reading it again (default one minute).</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The token now in the file (trimmed).</summary>
    public string GetToken()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            var writeTime = File.GetLastWriteTimeUtc(_path);
            if (_token is null || writeTime != _writeTime || now - _readAt >= MaxAge)
            {
                _token = File.ReadAllText(_path).Trim();
                _writeTime = writeTime;
                _readAt = now;
            }
            return _token;
        }
    }

    public Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new AuthenticationHeaderValue("Bearer", GetToken()));
}
