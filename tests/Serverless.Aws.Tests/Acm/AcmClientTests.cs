using Serverless.Aws.Acm;
using Serverless.Aws.Acm.Model;
using Serverless.Aws.Core;
using Serverless.Aws.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Aws.Tests.Acm;

/// <summary>Our ACM client (AWS JSON 1.1 on AWSSDK.Core's pipeline) against moto.</summary>
[Collection(MotoCollection.Name)]
public sealed class AcmClientTests(MotoFixture fixture) : MotoTest(fixture)
{
    [Fact]
    public async Task An_account_without_certificates_lists_none_in_one_call()
    {
        var recorder = new AwsCallRecorder();
        using var acm = new AcmClient(Moto.ClientOptions(recorder));

        var issued = await AcmCertificateDiscovery.IssuedAsync(acm);

        Assert.Empty(issued);
        Assert.Equal(1, recorder.CallsOf("ACM", "ListCertificates"));
        Assert.Equal(0, recorder.CallsOf("ACM", "DescribeCertificate"));
    }

    [Fact]
    public async Task Lists_issued_certificates_with_their_domain_and_every_san()
    {
        var web = await MotoAcm.ImportAsync(Moto, "www.example.com", ["example.com", "*.example.com"]);
        var api = await MotoAcm.ImportAsync(Moto, "api.example.org");
        var recorder = new AwsCallRecorder();
        using var acm = new AcmClient(Moto.ClientOptions(recorder));

        var issued = await AcmCertificateDiscovery.IssuedAsync(acm);

        Assert.Equal(new[] { api, web }.Order(StringComparer.Ordinal), issued.Select(c => c.CertificateArn));
        Assert.Equal(["www.example.com", "example.com", "*.example.com"], issued.Single(c => c.CertificateArn == web).Domains);
        Assert.Equal(["api.example.org"], issued.Single(c => c.CertificateArn == api).Domains);
        Assert.Equal(1, recorder.CallsOf("ACM", "ListCertificates"));
        // moto's summaries carry no SubjectAlternativeNameSummaries, so each certificate is described once.
        Assert.Equal(2, recorder.CallsOf("ACM", "DescribeCertificate"));
    }

    [Fact]
    public async Task Pending_certificates_are_not_listed_as_issued()
    {
        await MotoAcm.RequestAsync(Moto, "pending.example.com");
        var imported = await MotoAcm.ImportAsync(Moto, "ready.example.com");
        using var acm = new AcmClient(Moto.ClientOptions());

        var issued = await AcmCertificateDiscovery.IssuedAsync(acm);
        var all = await acm.ListCertificatesAsync(new ListCertificatesRequest { KeyTypes = [.. AcmKeyAlgorithm.All] });

        Assert.Equal([imported], issued.Select(c => c.CertificateArn));
        Assert.Equal(2, all.CertificateSummaryList!.Count);
    }

    [Fact]
    public async Task Describing_an_unknown_certificate_is_a_typed_not_found()
    {
        using var acm = new AcmClient(Moto.ClientOptions());

        var ex = await Assert.ThrowsAsync<AcmException>(() => acm.DescribeCertificateAsync(
            new DescribeCertificateRequest { CertificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000" }));

        Assert.True(ex.IsResourceNotFound, ex.ErrorCode);
    }
}
