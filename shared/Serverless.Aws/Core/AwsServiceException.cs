using Amazon.Runtime;

namespace Serverless.Aws.Core;

/// <summary>
/// Base of our clients' typed exceptions (ELBv2, Auto Scaling, WAFv2): an AWS error response's code, message, type,
/// request id and HTTP status, with <see cref="Is"/> to test the code.
/// </summary>
public abstract class AwsServiceException : AmazonServiceException
{
    /// <summary>An exception for a parsed AWS error response.</summary>
    protected AwsServiceException(AwsErrorDetails error)
        : base(
            (error ?? throw new ArgumentNullException(nameof(error))).Message,
            error.InnerException,
            error.Type,
            error.Code,
            error.RequestId,
            error.StatusCode)
    {
    }

    /// <summary>An exception with just a message (for fakes and tests).</summary>
    protected AwsServiceException(string message)
        : base(message)
    {
    }

    /// <summary>An exception with a message and cause.</summary>
    protected AwsServiceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>An exception with no details.</summary>
    protected AwsServiceException()
    {
    }

    /// <summary>True when <see cref="AmazonServiceException.ErrorCode"/> is <paramref name="code"/>.</summary>
    public bool Is(string code) => string.Equals(ErrorCode, code, StringComparison.Ordinal);
}
