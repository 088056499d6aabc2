using Amazon.Runtime;
using Serverless.Aws.Core;

namespace Serverless.Aws.Wafv2.Model;

/// <summary>A web ACL as <c>GetWebACLForResource</c> and <c>ListWebACLs</c> return it (the fields the controller uses).</summary>
public sealed class WebACL
{
    /// <summary>The name.</summary>
    public string? Name { get; set; }

    /// <summary>The unique identifier.</summary>
    public string? Id { get; set; }

    /// <summary>The ARN.</summary>
    public string? ARN { get; set; }

    /// <summary>The description.</summary>
    public string? Description { get; set; }
}

/// <summary>The GetWebACLForResourceRequest shape.</summary>
public sealed class GetWebACLForResourceRequest : AmazonWebServiceRequest
{
    /// <summary>The ARN of the resource (here: an Application Load Balancer). Required.</summary>
    public string? ResourceArn { get; set; }
}

/// <summary>The GetWebACLForResourceResponse shape.</summary>
public sealed class GetWebACLForResourceResponse : AmazonWebServiceResponse
{
    /// <summary>The web ACL associated with the resource; null when none is.</summary>
    public WebACL? WebACL { get; set; }
}

/// <summary>The AssociateWebACLRequest shape. Replaces the resource's current association, if any.</summary>
public sealed class AssociateWebACLRequest : AmazonWebServiceRequest
{
    /// <summary>The ARN of the web ACL. Required.</summary>
    public string? WebACLArn { get; set; }

    /// <summary>The ARN of the resource. Required.</summary>
    public string? ResourceArn { get; set; }
}

/// <summary>The AssociateWebACLResponse shape (empty).</summary>
public sealed class AssociateWebACLResponse : AmazonWebServiceResponse;

/// <summary>The DisassociateWebACLRequest shape.</summary>
public sealed class DisassociateWebACLRequest : AmazonWebServiceRequest
{
    /// <summary>The ARN of the resource. Required.</summary>
    public string? ResourceArn { get; set; }
}

/// <summary>The DisassociateWebACLResponse shape (empty).</summary>
public sealed class DisassociateWebACLResponse : AmazonWebServiceResponse;

/// <summary>The ListWebACLsRequest shape.</summary>
public sealed class ListWebACLsRequest : AmazonWebServiceRequest
{
    /// <summary><c>REGIONAL</c> (load balancers, API Gateway, …) or <c>CLOUDFRONT</c>. Required.</summary>
    public string? Scope { get; set; }

    /// <summary>The marker of the next page (from the previous response).</summary>
    public string? NextMarker { get; set; }

    /// <summary>At most this many ACLs per page (1–100).</summary>
    public int? Limit { get; set; }
}

/// <summary>The ListWebACLsResponse shape.</summary>
public sealed class ListWebACLsResponse : AmazonWebServiceResponse
{
    /// <summary>The marker of the next page; null on the last page.</summary>
    public string? NextMarker { get; set; }

    /// <summary>The web ACLs of this page.</summary>
    public List<WebACL>? WebACLs { get; set; }
}

/// <summary>WAFv2 error codes the controller tells apart.</summary>
public static class Wafv2ErrorCode
{
    /// <summary>The web ACL (or the resource) does not exist.</summary>
    public const string NonexistentItem = "WAFNonexistentItemException";

    /// <summary>WAF cannot see the resource yet (a load balancer created moments ago): try again later.</summary>
    public const string UnavailableEntity = "WAFUnavailableEntityException";

    /// <summary>A parameter is invalid (a malformed ARN, a CLOUDFRONT ACL for a load balancer).</summary>
    public const string InvalidParameter = "WAFInvalidParameterException";

    /// <summary>The operation is not valid for the resource.</summary>
    public const string InvalidOperation = "WAFInvalidOperationException";

    /// <summary>The caller may not call the operation (IAM).</summary>
    public const string AccessDenied = "AccessDeniedException";

    /// <summary>WAF failed internally (retried by the client first).</summary>
    public const string InternalError = "WAFInternalErrorException";
}

/// <summary>Every failed WAFv2 call surfaces as this exception: the AWS error code, message, HTTP status and request id.</summary>
public sealed class Wafv2Exception : AwsServiceException
{
    /// <summary>An exception for a parsed AWS error response.</summary>
    public Wafv2Exception(AwsErrorDetails error)
        : base(error)
    {
    }

    /// <summary>An exception with just a message (for fakes and tests).</summary>
    public Wafv2Exception(string message)
        : base(message)
    {
    }

    /// <summary>An exception with a message and cause.</summary>
    public Wafv2Exception(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>An exception with no details.</summary>
    public Wafv2Exception()
    {
    }

    /// <summary>The web ACL or the resource does not exist.</summary>
    public bool IsNonexistentItem => Is(Wafv2ErrorCode.NonexistentItem);

    /// <summary>WAF cannot see the resource yet.</summary>
    public bool IsUnavailableEntity => Is(Wafv2ErrorCode.UnavailableEntity);

    /// <summary>IAM denies the call.</summary>
    public bool IsAccessDenied => Is(Wafv2ErrorCode.AccessDenied);
}
