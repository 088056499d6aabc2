using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace Serverless.Testing;

/// <summary>
/// Test-only ACM arrangements on moto: certificates are imported (self-signed, generated here) so that they are
/// <c>ISSUED</c> at once — moto keeps a requested certificate <c>PENDING_VALIDATION</c> for a minute.
/// </summary>
public static class MotoAcm
{
    /// <summary>Imports a self-signed certificate for <paramref name="domainName"/> with <paramref name="subjectAlternativeNames"/>; returns its ARN.</summary>
    public static async Task<string> ImportAsync(MotoServer moto, string domainName, IReadOnlyList<string>? subjectAlternativeNames = null, string region = "us-east-1")
    {
        ArgumentNullException.ThrowIfNull(moto);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=" + domainName, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var sans = new SubjectAlternativeNameBuilder();
        sans.AddDnsName(domainName);
        foreach (var name in subjectAlternativeNames ?? [])
            sans.AddDnsName(name);
        request.CertificateExtensions.Add(sans.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var body = new JsonObject
        {
            ["Certificate"] = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(certificate.ExportCertificatePem())),
            ["PrivateKey"] = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem())),
        };
        var response = await MotoJsonCall.SendAsync(moto.Endpoint, region, "acm", "CertificateManager.ImportCertificate", body.ToJsonString()).ConfigureAwait(false);
        return JsonNode.Parse(response)!["CertificateArn"]!.GetValue<string>();
    }

    /// <summary>Requests a certificate (moto keeps it <c>PENDING_VALIDATION</c> for a while); returns its ARN.</summary>
    public static async Task<string> RequestAsync(MotoServer moto, string domainName, string region = "us-east-1")
    {
        ArgumentNullException.ThrowIfNull(moto);
        var body = new JsonObject { ["DomainName"] = domainName, ["ValidationMethod"] = "DNS" };
        var response = await MotoJsonCall.SendAsync(moto.Endpoint, region, "acm", "CertificateManager.RequestCertificate", body.ToJsonString()).ConfigureAwait(false);
        return JsonNode.Parse(response)!["CertificateArn"]!.GetValue<string>();
    }
}
