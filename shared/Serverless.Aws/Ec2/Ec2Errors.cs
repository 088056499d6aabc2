using Amazon.EC2;

namespace Serverless.Aws.Ec2;

/// <summary>The EC2 error codes the controller branches on.</summary>
public static class Ec2ErrorCode
{
    /// <summary>The security group does not exist.</summary>
    public const string InvalidGroupNotFound = "InvalidGroup.NotFound";

    /// <summary>The rule being authorized already exists (treat as success).</summary>
    public const string InvalidPermissionDuplicate = "InvalidPermission.Duplicate";

    /// <summary>The rule being revoked does not exist (treat as success).</summary>
    public const string InvalidPermissionNotFound = "InvalidPermission.NotFound";

    /// <summary>The resource is still in use (a security group referenced by an ENI or another group's rule): requeue.</summary>
    public const string DependencyViolation = "DependencyViolation";

    /// <summary>A subnet id does not exist.</summary>
    public const string InvalidSubnetIdNotFound = "InvalidSubnetID.NotFound";

    /// <summary>An instance id does not exist (or no longer: terminated instances disappear after about an hour).</summary>
    public const string InvalidInstanceIdNotFound = "InvalidInstanceID.NotFound";

    /// <summary>A VPC id does not exist.</summary>
    public const string InvalidVpcIdNotFound = "InvalidVpcID.NotFound";

    /// <summary>A security group with this name already exists in the VPC.</summary>
    public const string InvalidGroupDuplicate = "InvalidGroup.Duplicate";

    /// <summary>EC2's throttling code (retried with backoff before it surfaces).</summary>
    public const string RequestLimitExceeded = "RequestLimitExceeded";
}

/// <summary>Classifies an <see cref="AmazonEC2Exception"/> by the codes in <see cref="Ec2ErrorCode"/>.</summary>
public static class Ec2Errors
{
    /// <summary>True when <paramref name="error"/> is an EC2 error with code <paramref name="code"/>.</summary>
    public static bool Is(this Exception? error, string code) =>
        error is AmazonEC2Exception ec2 && string.Equals(ec2.ErrorCode, code, StringComparison.Ordinal);

    /// <summary><c>InvalidGroup.NotFound</c>.</summary>
    public static bool IsGroupNotFound(this Exception? error) => error.Is(Ec2ErrorCode.InvalidGroupNotFound);

    /// <summary><c>InvalidPermission.Duplicate</c>.</summary>
    public static bool IsPermissionDuplicate(this Exception? error) => error.Is(Ec2ErrorCode.InvalidPermissionDuplicate);

    /// <summary><c>InvalidPermission.NotFound</c>.</summary>
    public static bool IsPermissionNotFound(this Exception? error) => error.Is(Ec2ErrorCode.InvalidPermissionNotFound);

    /// <summary><c>DependencyViolation</c>.</summary>
    public static bool IsDependencyViolation(this Exception? error) => error.Is(Ec2ErrorCode.DependencyViolation);

    /// <summary><c>InvalidSubnetID.NotFound</c>.</summary>
    public static bool IsSubnetNotFound(this Exception? error) => error.Is(Ec2ErrorCode.InvalidSubnetIdNotFound);

    /// <summary><c>InvalidInstanceID.NotFound</c>.</summary>
    public static bool IsInstanceNotFound(this Exception? error) => error.Is(Ec2ErrorCode.InvalidInstanceIdNotFound);

    /// <summary><c>InvalidVpcID.NotFound</c>.</summary>
    public static bool IsVpcNotFound(this Exception? error) => error.Is(Ec2ErrorCode.InvalidVpcIdNotFound);

    /// <summary><c>RequestLimitExceeded</c> (still throttled after every retry).</summary>
    public static bool IsRequestLimitExceeded(this Exception? error) => error.Is(Ec2ErrorCode.RequestLimitExceeded);
}
