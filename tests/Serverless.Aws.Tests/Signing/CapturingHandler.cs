using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Serverless.Aws.Tests.Signing;

/// <summary>One HTTP request as it left the client: request line, every header (request and content) and body.</summary>
internal sealed record CapturedRequest(string Method, Uri Uri, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string Header(string name) =>
        Headers.TryGetValue(name, out var value) ? value : throw new KeyNotFoundException($"no {name} header; sent: {string.Join(", ", Headers.Keys)}");

    /// <summary>The Authorization header's credential scope, e.g. <c>20240101/us-west-2/elasticloadbalancing/aws4_request</c>.</summary>
    public string CredentialScope
    {
        get
        {
            var authorization = Header("Authorization");
            var start = authorization.IndexOf("Credential=", StringComparison.Ordinal) + "Credential=".Length;
            var end = authorization.IndexOf(',', start);
            var credential = authorization[start..end];
            return credential[(credential.IndexOf('/', StringComparison.Ordinal) + 1)..];
        }
    }

    /// <summary>The header names the Authorization header says were signed.</summary>
    public IReadOnlyList<string> SignedHeaders
    {
        get
        {
            var authorization = Header("Authorization");
            var start = authorization.IndexOf("SignedHeaders=", StringComparison.Ordinal) + "SignedHeaders=".Length;
            var end = authorization.IndexOf(',', start);
            return authorization[start..end].Split(';');
        }
    }
}

/// <summary>
/// Records every request sent through it. With <paramref name="cannedResponse"/> it answers each request itself
/// (HTTP 200 with that XML) and nothing leaves the process; without, it sends the request on.
/// Install with <c>HttpHandlerWrapper = capture.Wrap</c> (one client per handler).
/// </summary>
internal sealed class CapturingHandler(string? cannedResponse = null) : DelegatingHandler
{
    private readonly ConcurrentQueue<CapturedRequest> _requests = new();

    /// <summary>The <c>AwsClientOptions.HttpHandlerWrapper</c> that puts this handler over the client's own.</summary>
    public HttpMessageHandler Wrap(HttpMessageHandler inner)
    {
        InnerHandler = inner;
        return this;
    }

    public IReadOnlyList<CapturedRequest> Requests => [.. _requests];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Headers)
            headers[name] = string.Join(",", values);
        if (request.Content is not null)
        {
            foreach (var (name, values) in request.Content.Headers)
                headers[name] = string.Join(",", values);
            // Buffered above; hand on a fresh copy so the request can still be sent.
            var replacement = new ByteArrayContent(body);
            foreach (var (name, values) in request.Content.Headers)
                replacement.Headers.TryAddWithoutValidation(name, values);
            request.Content = replacement;
        }
        _requests.Enqueue(new CapturedRequest(request.Method.Method, request.RequestUri!, headers, body));
        if (cannedResponse is null)
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var response = new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent(cannedResponse, Encoding.UTF8, "text/xml"),
            RequestMessage = request,
        };
        response.Headers.TryAddWithoutValidation("x-amzn-RequestId", "canned");
        return response;
    }
}
