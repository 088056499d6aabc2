using Amazon.Runtime;
using Serverless.Aws.Core;

namespace Serverless.Aws.Acm.Model;

/// <summary>The key algorithms ACM knows (<c>KeyAlgorithm</c>); <c>ListCertificates</c> returns only RSA_2048 unless asked for others.</summary>
public static class AcmKeyAlgorithm
{
    /// <summary>Every key algorithm of the 2015-12-08 API.</summary>
    public static readonly IReadOnlyList<string> All =
        ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"];
}

/// <summary>A certificate as <c>ListCertificates</c> summarises it (the fields the controller uses).</summary>
public sealed class CertificateSummary
{
    /// <summary>The ARN.</summary>
    public string? CertificateArn { get; set; }

    /// <summary>The subject's domain name.</summary>
    public string? DomainName { get; set; }

    /// <summary>The first SANs (at most 100; AWS returns them, moto does not).</summary>
    public List<string>? SubjectAlternativeNameSummaries { get; set; }

    /// <summary>True when the certificate has more SANs than <see cref="SubjectAlternativeNameSummaries"/> holds.</summary>
    public bool? HasAdditionalSubjectAlternativeNames { get; set; }

    /// <summary><c>ISSUED</c>, <c>PENDING_VALIDATION</c>, <c>EXPIRED</c>, ….</summary>
    public string? Status { get; set; }

    /// <summary><c>IMPORTED</c>, <c>AMAZON_ISSUED</c> or <c>PRIVATE</c>.</summary>
    public string? Type { get; set; }
}

/// <summary>A certificate as <c>DescribeCertificate</c> returns it (the fields the controller uses).</summary>
public sealed class CertificateDetail
{
    /// <summary>The ARN.</summary>
    public string? CertificateArn { get; set; }

    /// <summary>The subject's domain name.</summary>
    public string? DomainName { get; set; }

    /// <summary>Every SAN (the domain name included).</summary>
    public List<string>? SubjectAlternativeNames { get; set; }

    /// <summary>The status.</summary>
    public string? Status { get; set; }

    /// <summary>The type.</summary>
    public string? Type { get; set; }
}

/// <summary>The ListCertificatesRequest shape.</summary>
public sealed class ListCertificatesRequest : AmazonWebServiceRequest
{
    /// <summary>Only certificates with one of these statuses (e.g. <c>ISSUED</c>).</summary>
    public List<string>? CertificateStatuses { get; set; }

    /// <summary>Key types to include (<c>Includes.keyTypes</c>); null lists RSA_2048 only, as AWS does.</summary>
    public List<string>? KeyTypes { get; set; }

    /// <summary>The token of the next page (from the previous response).</summary>
    public string? NextToken { get; set; }

    /// <summary>At most this many certificates per page (1–1000).</summary>
    public int? MaxItems { get; set; }
}

/// <summary>The ListCertificatesResponse shape.</summary>
public sealed class ListCertificatesResponse : AmazonWebServiceResponse
{
    /// <summary>The token of the next page; null on the last page.</summary>
    public string? NextToken { get; set; }

    /// <summary>The certificates of this page.</summary>
    public List<CertificateSummary>? CertificateSummaryList { get; set; }
}

/// <summary>The DescribeCertificateRequest shape.</summary>
public sealed class DescribeCertificateRequest : AmazonWebServiceRequest
{
    /// <summary>The ARN. Required.</summary>
    public string? CertificateArn { get; set; }
}

/// <summary>The DescribeCertificateResponse shape.</summary>
public sealed class DescribeCertificateResponse : AmazonWebServiceResponse
{
    /// <summary>The certificate.</summary>
    public CertificateDetail? Certificate { get; set; }
}

/// <summary>An issued certificate and every name it covers (domain name and SANs, each once, domain name first).</summary>
public sealed record CertificateDomains(string CertificateArn, IReadOnlyList<string> Domains);

/// <summary>ACM error codes the controller tells apart.</summary>
public static class AcmErrorCode
{
    /// <summary>The certificate does not exist (deleted between list and describe).</summary>
    public const string ResourceNotFound = "ResourceNotFoundException";

    /// <summary>The caller may not call the operation (IAM).</summary>
    public const string AccessDenied = "AccessDeniedException";
}

/// <summary>Every failed ACM call surfaces as this exception: the AWS error code, message, HTTP status and request id.</summary>
public sealed class AcmException : AwsServiceException
{
    /// <summary>An exception for a parsed AWS error response.</summary>
    public AcmException(AwsErrorDetails error)
        : base(error)
    {
    }

    /// <summary>An exception with just a message (for fakes and tests).</summary>
    public AcmException(string message)
        : base(message)
    {
    }

    /// <summary>An exception with a message and cause.</summary>
    public AcmException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>An exception with no details.</summary>
    public AcmException()
    {
    }

    /// <summary>The certificate does not exist.</summary>
    public bool IsResourceNotFound => Is(AcmErrorCode.ResourceNotFound);

    /// <summary>IAM denies the call.</summary>
    public bool IsAccessDenied => Is(AcmErrorCode.AccessDenied);
}
