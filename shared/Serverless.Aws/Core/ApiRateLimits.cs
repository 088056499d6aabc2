namespace Serverless.Aws.Core;

/// <summary>The classes of API operation that share one client-side token bucket.</summary>
public enum OperationClass
{
    /// <summary>Non-mutating reads: <c>Describe*</c>, <c>Get*</c>, <c>List*</c>.</summary>
    Describe,

    /// <summary>In-place changes: <c>Modify*</c>, <c>Set*</c>, <c>Add*</c>, <c>Remove*</c> (tags, certificates).</summary>
    Modify,

    /// <summary>Target membership: <c>RegisterTargets</c>, <c>DeregisterTargets</c>.</summary>
    Registration,

    /// <summary>Resource lifecycle: <c>Create*</c>, <c>Delete*</c>.</summary>
    CreateDelete,
}

/// <summary>A token bucket: <paramref name="PerSecond"/> tokens added each second, at most <paramref name="Burst"/> held.</summary>
public readonly record struct RateLimit(double PerSecond, int Burst)
{
    /// <summary>No client-side limit.</summary>
    public static readonly RateLimit Unlimited = new(double.PositiveInfinity, int.MaxValue);

    /// <summary>True when this limit never delays a call.</summary>
    public bool IsUnlimited => double.IsPositiveInfinity(PerSecond);
}

/// <summary>
/// Client-side rate limits per <see cref="OperationClass"/>. AWS throttles ELBv2 per account and Region with a
/// token bucket shared by every caller (consoles, Terraform, other controllers), so the controller keeps well
/// inside it instead of discovering the limit through <c>Throttling</c> errors.
/// </summary>
public sealed record ApiRateLimits
{
    /// <summary>Describe*/Get*. Default 50/s, burst 200: upstream's current default, matching AWS's published Describe bucket.</summary>
    public RateLimit Describe { get; init; } = new(50, 200);

    /// <summary>Modify*/Set*/Add*/Remove*. Default 3/s, burst 20: upstream's default for <c>^Modify.*</c>.</summary>
    public RateLimit Modify { get; init; } = new(3, 20);

    /// <summary>Register/DeregisterTargets. Default 4/s, burst 20: upstream's default.</summary>
    public RateLimit Registration { get; init; } = new(4, 20);

    /// <summary>Create*/Delete*. Default 3/s, burst 20: AWS publishes no separate figure; we use the mutating (Modify) budget.</summary>
    public RateLimit CreateDelete { get; init; } = new(3, 20);

    /// <summary>The defaults described on each property.</summary>
    public static ApiRateLimits Default { get; } = new();

    /// <summary>No client-side limiting at all (tests, or a caller that limits elsewhere).</summary>
    public static ApiRateLimits None { get; } = new()
    {
        Describe = RateLimit.Unlimited,
        Modify = RateLimit.Unlimited,
        Registration = RateLimit.Unlimited,
        CreateDelete = RateLimit.Unlimited,
    };

    /// <summary>The limit of one class.</summary>
    public RateLimit For(OperationClass operationClass) => operationClass switch
    {
        OperationClass.Describe => Describe,
        OperationClass.Modify => Modify,
        OperationClass.Registration => Registration,
        OperationClass.CreateDelete => CreateDelete,
        _ => throw new ArgumentOutOfRangeException(nameof(operationClass), operationClass, null),
    };

    /// <summary>
    /// Classifies an operation by its name: <c>Describe*</c>/<c>Get*</c>/<c>List*</c> read; <c>Register*</c>/<c>Deregister*</c>
    /// move targets; <c>Create*</c>/<c>Delete*</c> create or delete; anything else modifies.
    /// </summary>
    public static OperationClass Classify(string operation)
    {
        if (operation.StartsWith("Describe", StringComparison.Ordinal) || operation.StartsWith("Get", StringComparison.Ordinal) || operation.StartsWith("List", StringComparison.Ordinal))
            return OperationClass.Describe;
        if (operation is "RegisterTargets" or "DeregisterTargets")
            return OperationClass.Registration;
        if (operation.StartsWith("Create", StringComparison.Ordinal) || operation.StartsWith("Delete", StringComparison.Ordinal))
            return OperationClass.CreateDelete;
        return OperationClass.Modify;
    }
}
