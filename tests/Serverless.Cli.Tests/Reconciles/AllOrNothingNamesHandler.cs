using System.Net;
using System.Text;
using System.Web;

namespace Serverless.Cli.Tests.Reconciles;

/// <summary>
/// Makes moto's by-name lookups behave like AWS's. AWS fails a whole <c>DescribeLoadBalancers</c> (or
/// <c>DescribeTargetGroups</c>) call with <c>LoadBalancerNotFound</c> (<c>TargetGroupNotFound</c>) when any one of its
/// names does not exist; moto answers with the ones that do. This handler asks moto for each name of a multi-name call
/// first and fails the call as AWS would when one is missing. Its own requests are not AWS calls of the client (the
/// recorder counts the call once).
/// </summary>
public sealed class AllOrNothingNamesHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    /// <summary>Multi-name <c>DescribeLoadBalancers</c> calls failed because a name was missing.</summary>
    public int FailedLoadBalancerBatches { get; private set; }

    /// <summary>Multi-name <c>DescribeTargetGroups</c> calls failed because a name was missing.</summary>
    public int FailedTargetGroupBatches { get; private set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is null)
            return await base.SendAsync(request, cancellationToken);
        var body = await request.Content.ReadAsStringAsync(cancellationToken);
        var form = HttpUtility.ParseQueryString(body);
        var (code, what) = form["Action"] switch
        {
            "DescribeLoadBalancers" => ("LoadBalancerNotFound", "load balancer"),
            "DescribeTargetGroups" => ("TargetGroupNotFound", "target group"),
            _ => (null, null),
        };
        var names = new List<string>();
        for (var i = 1; form[$"Names.member.{i}"] is { } name; i++)
            names.Add(name);
        if (code is not null && names.Count > 1)
        {
            foreach (var name in names)
            {
                var single = HttpUtility.ParseQueryString(string.Empty);
                foreach (var key in form.AllKeys.OfType<string>().Where(static k => !k.StartsWith("Names.member.", StringComparison.Ordinal)))
                    single[key] = form[key];
                single["Names.member.1"] = name;
                using var probe = new HttpRequestMessage(request.Method, request.RequestUri) { Content = Copy(single.ToString()!, request.Content) };
                foreach (var header in request.Headers)
                    probe.Headers.TryAddWithoutValidation(header.Key, header.Value);
                using var response = await base.SendAsync(probe, cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    if (code == "LoadBalancerNotFound")
                        FailedLoadBalancerBatches++;
                    else
                        FailedTargetGroupBatches++;
                    return new HttpResponseMessage(HttpStatusCode.BadRequest)
                    {
                        Content = new StringContent(
                            $"<ErrorResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>One or more {what}s not found</Message></Error><RequestId>all-or-nothing</RequestId></ErrorResponse>",
                            Encoding.UTF8,
                            "text/xml"),
                    };
                }
            }
        }
        request.Content = Copy(body, request.Content);
        return await base.SendAsync(request, cancellationToken);
    }

    private static StringContent Copy(string body, HttpContent original)
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.Clear();
        foreach (var header in original.Headers.Where(static h => !h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
            content.Headers.TryAddWithoutValidation(header.Key, header.Value);
        return content;
    }
}
