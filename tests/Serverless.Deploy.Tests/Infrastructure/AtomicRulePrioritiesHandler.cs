using System.Text;
using System.Web;

namespace Serverless.Deploy.Tests.Infrastructure;

/// <summary>
/// Makes moto's SetRulePriorities behave like AWS's. AWS checks the new order as a whole ("you can reorder the rules as
/// long as there are no priority conflicts in the new order"); moto checks each pair against the current order, so a
/// shift (1→2, 2→3) fails there with PriorityInUse. This handler first sends moto the same rules parked on free high
/// priorities, then the request itself: moto ends where AWS would, in what the deployer sees as one call.
/// </summary>
public sealed class AtomicRulePrioritiesHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    /// <summary>Where rules wait for the real request (below the deployer's own parking range at 50000).</summary>
    public const int ParkingTop = 45000;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is null)
            return await base.SendAsync(request, cancellationToken);
        var body = await request.Content.ReadAsStringAsync(cancellationToken);
        var form = HttpUtility.ParseQueryString(body);
        if (form["Action"] != "SetRulePriorities")
        {
            request.Content = Copy(body, request.Content);
            return await base.SendAsync(request, cancellationToken);
        }
        var parked = HttpUtility.ParseQueryString(body);
        for (var i = 1; form[$"RulePriorities.member.{i}.RuleArn"] is not null; i++)
            parked[$"RulePriorities.member.{i}.Priority"] = (ParkingTop - i).ToString(System.Globalization.CultureInfo.InvariantCulture);
        using (var park = new HttpRequestMessage(request.Method, request.RequestUri) { Content = Copy(parked.ToString()!, request.Content) })
        {
            foreach (var header in request.Headers)
                park.Headers.TryAddWithoutValidation(header.Key, header.Value);
            var response = await base.SendAsync(park, cancellationToken);
            if (!response.IsSuccessStatusCode)
                return response;
            response.Dispose();
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
