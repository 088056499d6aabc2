using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Serverless.Lambda;

/// <summary>
/// The four calls of the Lambda Runtime API (<c>http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/…</c>):
/// <c>GET invocation/next</c>, <c>POST invocation/{id}/response</c>, <c>POST invocation/{id}/error</c>,
/// <c>POST init/error</c>.
/// </summary>
public sealed class RuntimeApiClient : IDisposable
{
    private const string ErrorTypeHeader = "Lambda-Runtime-Function-Error-Type";
    private readonly HttpClient _http;
    private readonly TimeProvider _time;

    /// <summary>A client for the Runtime API at <paramref name="hostAndPort"/> (the value of <c>AWS_LAMBDA_RUNTIME_API</c>).</summary>
    public RuntimeApiClient(string hostAndPort, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(hostAndPort);
        _time = time ?? TimeProvider.System;
        // `next` blocks until an event arrives (the sandbox is frozen meanwhile): no client-side timeout.
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = new Uri("http://" + hostAndPort + "/2018-06-01/runtime/"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>Waits for the next invocation.</summary>
    public async Task<LambdaInvocation> NextAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync("invocation/next", HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var payload = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var requestId = Header(response, "Lambda-Runtime-Aws-Request-Id")
            ?? throw new InvalidOperationException("the Runtime API sent an invocation without Lambda-Runtime-Aws-Request-Id");
        var deadline = long.TryParse(Header(response, "Lambda-Runtime-Deadline-Ms"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : _time.GetUtcNow().AddMinutes(15);
        return new LambdaInvocation(
            requestId,
            deadline,
            Header(response, "Lambda-Runtime-Invoked-Function-Arn"),
            Header(response, "Lambda-Runtime-Trace-Id"),
            payload);
    }

    /// <summary>Posts the invocation's response.</summary>
    public async Task RespondAsync(string requestId, byte[] body, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await _http.PostAsync($"invocation/{Uri.EscapeDataString(requestId)}/response", content, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Posts the invocation's error (the function failed; Lambda retries or reports it per the event source).</summary>
    public Task ErrorAsync(string requestId, Exception error, CancellationToken cancellationToken) =>
        PostErrorAsync($"invocation/{Uri.EscapeDataString(requestId)}/error", error, "Function.Unhandled", cancellationToken);

    /// <summary>Posts an initialization error (Lambda then fails the pending invocation and discards the sandbox).</summary>
    public Task InitErrorAsync(Exception error, CancellationToken cancellationToken) =>
        PostErrorAsync("init/error", error, "Runtime.InitError", cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    /// <summary>The error document Lambda expects: <c>{"errorMessage","errorType","stackTrace":[…]}</c>.</summary>
    public static byte[] ErrorDocument(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("errorMessage", error.Message);
            writer.WriteString("errorType", error.GetType().Name);
            writer.WriteStartArray("stackTrace");
            foreach (var line in (error.StackTrace ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                writer.WriteStringValue(line);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private async Task PostErrorAsync(string path, Exception error, string errorType, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(ErrorDocument(error));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.TryAddWithoutValidation(ErrorTypeHeader, errorType);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Accepted && !response.IsSuccessStatusCode)
            throw new HttpRequestException($"the Runtime API answered {(int)response.StatusCode} to POST {path}: {Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false))}");
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
