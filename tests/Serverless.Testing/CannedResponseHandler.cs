using System.Collections.Concurrent;
using System.Collections.Specialized;
using System.Net;
using System.Text;
using System.Web;

namespace Serverless.Testing;

/// <summary>One request as a <see cref="CannedResponseHandler"/> saw it.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Uri">The request URI.</param>
/// <param name="Headers">Request and content headers (names as sent, values joined with ", ").</param>
/// <param name="Body">The body as text.</param>
public sealed record CapturedRequest(HttpMethod Method, Uri? Uri, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The body parsed as an <c>application/x-www-form-urlencoded</c> form (Query protocol).</summary>
    public NameValueCollection Form => HttpUtility.ParseQueryString(Body);

    /// <summary>The Query protocol's <c>Action</c>, or the JSON protocol's operation from <c>X-Amz-Target</c>.</summary>
    public string Operation =>
        Headers.TryGetValue("X-Amz-Target", out var target) ? target[(target.LastIndexOf('.') + 1)..] : Form["Action"] ?? "Unknown";
}

/// <summary>
/// An HTTP handler for <see cref="Serverless.Aws.Core.AwsClientOptions.HttpHandlerWrapper"/> that records every
/// request and answers it from a function (a canned AWS response), so wire formats can be asserted without a
/// service. When the function returns null the request goes on to the real handler underneath.
/// </summary>
public sealed class CannedResponseHandler(HttpMessageHandler inner, Func<CapturedRequest, HttpResponseMessage?> respond) : DelegatingHandler(inner)
{
    private readonly ConcurrentQueue<CapturedRequest> _requests = new();

    /// <summary>Every request seen, in order.</summary>
    public IReadOnlyList<CapturedRequest> Requests => [.. _requests];

    /// <summary>An XML response with <paramref name="status"/> (Query and EC2 protocols); the request id is the body's.</summary>
    public static HttpResponseMessage Xml(string xml, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = new StringContent(xml, Encoding.UTF8, "text/xml") };

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = string.Empty;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in request.Headers)
            headers[header.Key] = string.Join(", ", header.Value);
        if (request.Content is not null)
        {
            var bytes = await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            body = Encoding.UTF8.GetString(bytes);
            foreach (var header in request.Content.Headers)
                headers[header.Key] = string.Join(", ", header.Value);
            var replacement = new ByteArrayContent(bytes);
            foreach (var header in request.Content.Headers)
                replacement.Headers.TryAddWithoutValidation(header.Key, header.Value);
            request.Content = replacement;
        }
        var captured = new CapturedRequest(request.Method, request.RequestUri, headers, body);
        _requests.Enqueue(captured);
        return respond(captured) ?? await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
