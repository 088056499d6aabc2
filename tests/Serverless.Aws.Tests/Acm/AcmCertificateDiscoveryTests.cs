using Serverless.Aws.Acm;
using Serverless.Aws.Acm.Model;

namespace Serverless.Aws.Tests.Acm;

/// <summary>
/// <see cref="AcmCertificateDiscovery"/> on AWS-shaped pages (moto returns neither SAN summaries nor pages): SANs
/// from the summary when complete, <c>DescribeCertificate</c> only when the summary says there are more.
/// </summary>
public sealed class AcmCertificateDiscoveryTests
{
    private sealed class PagedAcm(params List<CertificateSummary>[] pages) : IAcmClient
    {
        public List<string?> Tokens { get; } = [];

        public List<IReadOnlyList<string>?> KeyTypes { get; } = [];

        public List<string> Described { get; } = [];

        public Dictionary<string, List<string>> AllNames { get; } = [];

        public Task<ListCertificatesResponse> ListCertificatesAsync(ListCertificatesRequest request, CancellationToken cancellationToken = default)
        {
            Tokens.Add(request.NextToken);
            KeyTypes.Add(request.KeyTypes);
            var index = request.NextToken is null ? 0 : int.Parse(request.NextToken, System.Globalization.CultureInfo.InvariantCulture);
            return Task.FromResult(new ListCertificatesResponse
            {
                CertificateSummaryList = pages[index],
                NextToken = index + 1 < pages.Length ? (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
            });
        }

        public Task<DescribeCertificateResponse> DescribeCertificateAsync(DescribeCertificateRequest request, CancellationToken cancellationToken = default)
        {
            Described.Add(request.CertificateArn!);
            if (!AllNames.TryGetValue(request.CertificateArn!, out var names))
                throw new AcmException(new Serverless.Aws.Core.AwsErrorDetails(AcmErrorCode.ResourceNotFound, "gone", Amazon.Runtime.ErrorType.Sender, "req-1", System.Net.HttpStatusCode.BadRequest, null));
            return Task.FromResult(new DescribeCertificateResponse { Certificate = new CertificateDetail { CertificateArn = request.CertificateArn, SubjectAlternativeNames = names } });
        }

    }

    [Fact]
    public async Task Complete_summaries_need_no_describe_and_every_page_is_read()
    {
        var acm = new PagedAcm(
            [new CertificateSummary { CertificateArn = "arn:b", DomainName = "b.example", SubjectAlternativeNameSummaries = ["b.example", "*.b.example"], Status = "ISSUED" }],
            [new CertificateSummary { CertificateArn = "arn:a", DomainName = "a.example", SubjectAlternativeNameSummaries = ["a.example"], Status = "ISSUED" }]);

        var issued = await AcmCertificateDiscovery.IssuedAsync(acm);

        Assert.Equal(["arn:a", "arn:b"], issued.Select(static c => c.CertificateArn));
        Assert.Equal(["b.example", "*.b.example"], issued[1].Domains);
        Assert.Equal([null, "1"], acm.Tokens);
        Assert.All(acm.KeyTypes, static k => Assert.Equal(AcmKeyAlgorithm.All, k));
        Assert.Empty(acm.Described);
    }

    [Fact]
    public async Task A_summary_with_more_sans_than_listed_is_described_and_a_vanished_one_skipped()
    {
        var acm = new PagedAcm([
            new CertificateSummary { CertificateArn = "arn:many", DomainName = "m.example", SubjectAlternativeNameSummaries = ["m.example"], HasAdditionalSubjectAlternativeNames = true, Status = "ISSUED" },
            new CertificateSummary { CertificateArn = "arn:gone", DomainName = "g.example", Status = "ISSUED" },
            new CertificateSummary { CertificateArn = "arn:pending", DomainName = "p.example", SubjectAlternativeNameSummaries = ["p.example"], Status = "PENDING_VALIDATION" },
        ]);
        acm.AllNames["arn:many"] = ["m.example", "n.example", "o.example"];

        var issued = await AcmCertificateDiscovery.IssuedAsync(acm);

        var many = Assert.Single(issued);
        Assert.Equal(["m.example", "n.example", "o.example"], many.Domains);
        Assert.Equal(["arn:many", "arn:gone"], acm.Described);
    }
}
