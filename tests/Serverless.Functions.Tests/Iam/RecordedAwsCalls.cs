using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Amazon.EC2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Ec2DescribeTagsRequest = Amazon.EC2.Model.DescribeTagsRequest;
using Ec2Filter = Amazon.EC2.Model.Filter;
using ElbDescribeTagsRequest = Serverless.Aws.ElasticLoadBalancingV2.Model.DescribeTagsRequest;

namespace Serverless.Functions.Tests.Iam;

/// <summary>
/// One AWS request as it went over the wire: the signing service (from the SigV4 credential scope), the operation,
/// its parameters (Query form fields, or the JSON body's top-level members as JSON text), the response body, and the
/// tags each resource the request names carried just before the request was sent.
/// </summary>
public sealed record RecordedAwsCall(
    string Service,
    string Operation,
    IReadOnlyDictionary<string, string> Parameters,
    string Response,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> TagsBefore)
{
    public override string ToString() => $"{Service}:{Operation}";
}

/// <summary>
/// Records every AWS request of the clients it wraps (<c>AwsClientOptions.HttpHandlerWrapper</c>). Before a request
/// that names existing ELBv2 resources or EC2 security groups it reads their tags with its own clients (which it does
/// not record), so each check sees the resource tags AWS would see at call time.
/// </summary>
public sealed partial class RecordedAwsCalls(ElasticLoadBalancingV2Client elb, IAmazonEC2 ec2)
{
    private readonly ConcurrentQueue<RecordedAwsCall> _calls = new();

    public IReadOnlyList<RecordedAwsCall> Calls => [.. _calls];

    public HttpMessageHandler Wrap(HttpMessageHandler inner) => new Recorder(this) { InnerHandler = inner };

    private sealed class Recorder(RecordedAwsCalls owner) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (request.Content is not null)
            {
                var headers = request.Content.Headers.ToList();
                request.Content = new StringContent(body);
                request.Content.Headers.Clear();
                foreach (var (name, values) in headers)
                    request.Content.Headers.TryAddWithoutValidation(name, values);
            }
            var service = ServiceOf(request.Headers.TryGetValues("Authorization", out var authorization) ? string.Join(" ", authorization) : "");
            var (operation, parameters) = Parse(request, body);
            var tags = await owner.TagsOfAsync(service, operation, parameters, cancellationToken).ConfigureAwait(false);
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var replaced = new StringContent(text);
            replaced.Headers.Clear();
            foreach (var (name, values) in response.Content.Headers)
                replaced.Headers.TryAddWithoutValidation(name, values);
            response.Content = replaced;
            owner._calls.Enqueue(new RecordedAwsCall(service, operation, parameters, text, tags));
            return response;
        }
    }

    private static string ServiceOf(string authorization)
    {
        var match = CredentialScope().Match(authorization);
        return match.Success ? match.Groups[1].Value : throw new InvalidOperationException($"an unsigned AWS request: {authorization}");
    }

    private static (string Operation, Dictionary<string, string> Parameters) Parse(HttpRequestMessage request, string body)
    {
        if (request.Headers.TryGetValues("X-Amz-Target", out var targets))
        {
            var target = targets.Single();
            var json = JsonNode.Parse(body.Length == 0 ? "{}" : body)!.AsObject();
            return (target[(target.LastIndexOf('.') + 1)..], json.ToDictionary(p => p.Key, p => p.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : p.Value?.ToJsonString() ?? ""));
        }
        var form = body.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0].Replace('+', ' ')), p => p.Length > 1 ? Uri.UnescapeDataString(p[1].Replace('+', ' ')) : "", StringComparer.Ordinal);
        return (form.TryGetValue("Action", out var action) ? action : throw new InvalidOperationException($"a request without Action: {body}"), form);
    }

    private async Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>> TagsOfAsync(
        string service, string operation, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        if (operation.StartsWith("Describe", StringComparison.Ordinal))
            return result;
        if (service == "elasticloadbalancing")
        {
            var arns = AwsRequestChecks.ElbArnsIn(parameters).ToList();
            if (arns.Count == 0)
                return result;
            var response = await elb.DescribeTagsAsync(new ElbDescribeTagsRequest { ResourceArns = arns }, cancellationToken).ConfigureAwait(false);
            foreach (var description in response.TagDescriptions ?? [])
                result[description.ResourceArn!] = (description.Tags ?? []).ToDictionary(t => t.Key!, t => t.Value ?? "", StringComparer.Ordinal);
        }
        else if (service == "ec2")
        {
            foreach (var id in AwsRequestChecks.Ec2IdsIn(parameters))
            {
                var response = await ec2.DescribeTagsAsync(new Ec2DescribeTagsRequest { Filters = [new Ec2Filter("resource-id", [id])] }, cancellationToken).ConfigureAwait(false);
                result[id] = (response.Tags ?? []).ToDictionary(t => t.Key, t => t.Value ?? "", StringComparer.Ordinal);
            }
        }
        return result;
    }

    [GeneratedRegex(@"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")]
    private static partial Regex CredentialScope();
}
