using System.Runtime.CompilerServices;
using System.Text.Json.Serialization;
using Serverless.Aws.Acm.Model;
using Serverless.Aws.Core;

namespace Serverless.Aws.Acm;

/// <summary>The ACM operations the controller calls (API version 2015-12-08): certificate discovery by host.</summary>
public interface IAcmClient
{
    /// <summary>One page of certificates.</summary>
    Task<ListCertificatesResponse> ListCertificatesAsync(ListCertificatesRequest request, CancellationToken cancellationToken = default);

    /// <summary>One certificate with every SAN.</summary>
    Task<DescribeCertificateResponse> DescribeCertificateAsync(DescribeCertificateRequest request, CancellationToken cancellationToken = default);

}

/// <summary>
/// AWS Certificate Manager over the AWS JSON 1.1 protocol (<c>X-Amz-Target: CertificateManager.*</c>, SigV4 name
/// <c>acm</c>) on AWSSDK.Core's pipeline, like our WAFv2 client: the default credential chain, our backoff,
/// per-operation-class rate limits, call counting (as <c>ACM:&lt;Operation&gt;</c>) and the endpoint override. Only the
/// operations the controller calls are modelled (NuGet here has no AWSSDK.CertificateManager). Thread-safe.
/// </summary>
public sealed class AcmClient : QueryServiceClient, IAcmClient
{
    /// <summary>The <c>X-Amz-Target</c> prefix of every operation.</summary>
    public const string TargetPrefix = "CertificateManager";

    /// <summary>ACM as the runtime sees it (<c>AWS_ENDPOINT_URL_ACM</c> overrides the endpoint).</summary>
    public static readonly QueryServiceDescriptor Descriptor = new(
        ServiceId: "ACM",
        ShortName: "ACM",
        ApiVersion: "2015-12-08",
        EndpointPrefix: "acm",
        CreateException: static error => new AcmException(error));

    private static readonly JsonOperation<ListCertificatesRequest, ListCertificatesResponse> ListCertificates = new(
        Descriptor, TargetPrefix, "ListCertificates",
        static r => JsonBody.Write(
            new ListCertificatesBody(r.CertificateStatuses, r.KeyTypes is null ? null : new IncludesBody(r.KeyTypes), r.NextToken, r.MaxItems),
            AcmJson.Default.ListCertificatesBody),
        static (body, response) =>
        {
            var page = JsonBody.Read(body, AcmJson.Default.ListCertificatesResultBody);
            response.NextToken = page.NextToken;
            response.CertificateSummaryList = page.CertificateSummaryList ?? [];
        });

    private static readonly JsonOperation<DescribeCertificateRequest, DescribeCertificateResponse> DescribeCertificate = new(
        Descriptor, TargetPrefix, "DescribeCertificate",
        static r => JsonBody.Write(new CertificateArnBody(r.CertificateArn), AcmJson.Default.CertificateArnBody),
        static (body, response) => response.Certificate = JsonBody.Read(body, AcmJson.Default.DescribeCertificateResultBody).Certificate);

    /// <summary>A client configured by <paramref name="options"/>.</summary>
    public AcmClient(AwsClientOptions options)
        : base(Descriptor, options)
    {
    }

    /// <inheritdoc />
    public Task<ListCertificatesResponse> ListCertificatesAsync(ListCertificatesRequest request, CancellationToken cancellationToken = default) =>
        InvokeQueryAsync(request, ListCertificates, cancellationToken);

    /// <inheritdoc />
    public Task<DescribeCertificateResponse> DescribeCertificateAsync(DescribeCertificateRequest request, CancellationToken cancellationToken = default) =>
        InvokeQueryAsync(request, DescribeCertificate, cancellationToken);
}

/// <summary>The names every issued certificate covers, as certificate discovery needs them.</summary>
public static class AcmCertificateDiscovery
{
    /// <summary>
    /// Every <c>ISSUED</c> certificate (all key types) with its domain name and SANs: one <c>ListCertificates</c> per
    /// page, plus one <c>DescribeCertificate</c> only for a certificate whose summary lacks SANs or says it has more
    /// than it lists. Ordered by ARN.
    /// </summary>
    public static async Task<IReadOnlyList<CertificateDomains>> IssuedAsync(IAcmClient acm, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(acm);
        var result = new List<CertificateDomains>();
        await foreach (var summary in ListPaginatedAsync(acm, ["ISSUED"], cancellationToken).ConfigureAwait(false))
        {
            if (summary.CertificateArn is not { Length: > 0 } arn || summary.Status is { } status && status != "ISSUED")
                continue;
            IEnumerable<string?> names = summary.SubjectAlternativeNameSummaries ?? [];
            var domain = summary.DomainName;
            if (summary.SubjectAlternativeNameSummaries is null || summary.HasAdditionalSubjectAlternativeNames == true)
            {
                CertificateDetail? detail;
                try
                {
                    detail = (await acm.DescribeCertificateAsync(new DescribeCertificateRequest { CertificateArn = arn }, cancellationToken).ConfigureAwait(false)).Certificate;
                }
                catch (AcmException ex) when (ex.IsResourceNotFound)
                {
                    continue; // deleted since the list
                }
                domain ??= detail?.DomainName;
                names = detail?.SubjectAlternativeNames ?? [];
            }
            var domains = new List<string>();
            foreach (var name in names.Prepend(domain))
            {
                if (!string.IsNullOrEmpty(name) && !domains.Contains(name, StringComparer.OrdinalIgnoreCase))
                    domains.Add(name);
            }
            result.Add(new CertificateDomains(arn, domains));
        }
        result.Sort(static (a, b) => string.CompareOrdinal(a.CertificateArn, b.CertificateArn));
        return result;
    }

    /// <summary>Every certificate with one of <paramref name="statuses"/>, of every key type, following <c>NextToken</c>.</summary>
    public static async IAsyncEnumerable<CertificateSummary> ListPaginatedAsync(
        IAcmClient acm, IReadOnlyList<string> statuses, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(acm);
        ArgumentNullException.ThrowIfNull(statuses);
        string? token = null;
        do
        {
            var page = await acm.ListCertificatesAsync(
                new ListCertificatesRequest { CertificateStatuses = [.. statuses], KeyTypes = [.. AcmKeyAlgorithm.All], NextToken = token, MaxItems = 1000 },
                cancellationToken).ConfigureAwait(false);
            foreach (var certificate in page.CertificateSummaryList ?? [])
                yield return certificate;
            token = string.IsNullOrEmpty(page.NextToken) || page.NextToken == token ? null : page.NextToken;
        }
        while (token is not null);
    }
}

internal sealed record IncludesBody([property: JsonPropertyName("keyTypes")] List<string>? KeyTypes);

internal sealed record ListCertificatesBody(List<string>? CertificateStatuses, IncludesBody? Includes, string? NextToken, int? MaxItems);

internal sealed record CertificateArnBody(string? CertificateArn);

internal sealed record ListCertificatesResultBody(string? NextToken, List<CertificateSummary>? CertificateSummaryList);

internal sealed record DescribeCertificateResultBody(CertificateDetail? Certificate);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ListCertificatesBody))]
[JsonSerializable(typeof(CertificateArnBody))]
[JsonSerializable(typeof(ListCertificatesResultBody))]
[JsonSerializable(typeof(DescribeCertificateResultBody))]
internal sealed partial class AcmJson : JsonSerializerContext;
