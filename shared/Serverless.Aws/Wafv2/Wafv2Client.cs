using System.Runtime.CompilerServices;
using System.Text.Json.Serialization;
using Serverless.Aws.Core;
using Serverless.Aws.Wafv2.Model;

namespace Serverless.Aws.Wafv2;

/// <summary>The WAFv2 operations the controller calls (API version 2019-07-29): web ACL association of a load balancer.</summary>
public interface IWafv2Client
{
    /// <summary>The web ACL associated with a resource (null <see cref="GetWebACLForResourceResponse.WebACL"/> when none).</summary>
    Task<GetWebACLForResourceResponse> GetWebACLForResourceAsync(GetWebACLForResourceRequest request, CancellationToken cancellationToken = default);

    /// <summary>Associates a web ACL with a resource, replacing the resource's current association.</summary>
    Task<AssociateWebACLResponse> AssociateWebACLAsync(AssociateWebACLRequest request, CancellationToken cancellationToken = default);

    /// <summary>Removes the resource's web ACL association (no error when there is none).</summary>
    Task<DisassociateWebACLResponse> DisassociateWebACLAsync(DisassociateWebACLRequest request, CancellationToken cancellationToken = default);

    /// <summary>One page of web ACLs of a scope.</summary>
    Task<ListWebACLsResponse> ListWebACLsAsync(ListWebACLsRequest request, CancellationToken cancellationToken = default);

    /// <summary>Every web ACL of a scope, following <c>NextMarker</c>.</summary>
    IAsyncEnumerable<WebACL> ListWebACLsPaginatedAsync(string scope, CancellationToken cancellationToken = default);
}

/// <summary>
/// AWS WAFv2 over the AWS JSON 1.1 protocol (<c>X-Amz-Target: AWSWAF_20190729.*</c>, SigV4 name <c>wafv2</c>) on
/// AWSSDK.Core's pipeline, like our ELBv2 client: the default credential chain, our backoff, per-operation-class
/// rate limits, call counting (as <c>WAFv2:&lt;Operation&gt;</c>) and the endpoint override. Only the operations the
/// controller calls are modelled (NuGet here has no AWSSDK.WAFV2). Thread-safe; build one per process.
/// </summary>
public sealed class Wafv2Client : QueryServiceClient, IWafv2Client
{
    /// <summary>The <c>X-Amz-Target</c> prefix of every operation.</summary>
    public const string TargetPrefix = "AWSWAF_20190729";

    /// <summary>WAFv2 as the runtime sees it (<c>AWS_ENDPOINT_URL_WAFV2</c> overrides the endpoint).</summary>
    public static readonly QueryServiceDescriptor Descriptor = new(
        ServiceId: "WAFV2",
        ShortName: "WAFv2",
        ApiVersion: "2019-07-29",
        EndpointPrefix: "wafv2",
        CreateException: static error => new Wafv2Exception(error));

    private static readonly JsonOperation<GetWebACLForResourceRequest, GetWebACLForResourceResponse> GetWebACLForResource = new(
        Descriptor, TargetPrefix, "GetWebACLForResource",
        static r => JsonBody.Write(new ResourceBody(r.ResourceArn), Wafv2Json.Default.ResourceBody),
        static (body, response) => response.WebACL = JsonBody.Read(body, Wafv2Json.Default.GetWebACLForResourceBody).WebACL);

    private static readonly JsonOperation<AssociateWebACLRequest, AssociateWebACLResponse> AssociateWebACL = new(
        Descriptor, TargetPrefix, "AssociateWebACL",
        static r => JsonBody.Write(new AssociateBody(r.WebACLArn, r.ResourceArn), Wafv2Json.Default.AssociateBody),
        static (_, _) => { });

    private static readonly JsonOperation<DisassociateWebACLRequest, DisassociateWebACLResponse> DisassociateWebACL = new(
        Descriptor, TargetPrefix, "DisassociateWebACL",
        static r => JsonBody.Write(new ResourceBody(r.ResourceArn), Wafv2Json.Default.ResourceBody),
        static (_, _) => { });

    private static readonly JsonOperation<ListWebACLsRequest, ListWebACLsResponse> ListWebACLs = new(
        Descriptor, TargetPrefix, "ListWebACLs",
        static r => JsonBody.Write(new ListBody(r.Scope, r.NextMarker, r.Limit), Wafv2Json.Default.ListBody),
        static (body, response) =>
        {
            var page = JsonBody.Read(body, Wafv2Json.Default.ListWebACLsBody);
            response.NextMarker = page.NextMarker;
            response.WebACLs = page.WebACLs ?? [];
        });

    /// <summary>A client configured by <paramref name="options"/>.</summary>
    public Wafv2Client(AwsClientOptions options)
        : base(Descriptor, options)
    {
    }

    /// <inheritdoc />
    public Task<GetWebACLForResourceResponse> GetWebACLForResourceAsync(GetWebACLForResourceRequest request, CancellationToken cancellationToken = default) =>
        InvokeQueryAsync(request, GetWebACLForResource, cancellationToken);

    /// <inheritdoc />
    public Task<AssociateWebACLResponse> AssociateWebACLAsync(AssociateWebACLRequest request, CancellationToken cancellationToken = default) =>
        InvokeQueryAsync(request, AssociateWebACL, cancellationToken);

    /// <inheritdoc />
    public Task<DisassociateWebACLResponse> DisassociateWebACLAsync(DisassociateWebACLRequest request, CancellationToken cancellationToken = default) =>
        InvokeQueryAsync(request, DisassociateWebACL, cancellationToken);

    /// <inheritdoc />
    public Task<ListWebACLsResponse> ListWebACLsAsync(ListWebACLsRequest request, CancellationToken cancellationToken = default) =>
        InvokeQueryAsync(request, ListWebACLs, cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<WebACL> ListWebACLsPaginatedAsync(string scope, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? marker = null;
        do
        {
            var page = await ListWebACLsAsync(new ListWebACLsRequest { Scope = scope, NextMarker = marker, Limit = 100 }, cancellationToken).ConfigureAwait(false);
            foreach (var acl in page.WebACLs ?? [])
                yield return acl;
            marker = string.IsNullOrEmpty(page.NextMarker) || page.NextMarker == marker ? null : page.NextMarker;
        }
        while (marker is not null);
    }
}

internal sealed record ResourceBody(string? ResourceArn);

internal sealed record AssociateBody(string? WebACLArn, string? ResourceArn);

internal sealed record ListBody(string? Scope, string? NextMarker, int? Limit);

internal sealed record GetWebACLForResourceBody(WebACL? WebACL);

internal sealed record ListWebACLsBody(string? NextMarker, List<WebACL>? WebACLs);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ResourceBody))]
[JsonSerializable(typeof(AssociateBody))]
[JsonSerializable(typeof(ListBody))]
[JsonSerializable(typeof(GetWebACLForResourceBody))]
[JsonSerializable(typeof(ListWebACLsBody))]
internal sealed partial class Wafv2Json : JsonSerializerContext;
