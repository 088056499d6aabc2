using System.Collections;
using Microsoft.Extensions.Logging;

namespace Serverless.Deploy;

/// <summary>
/// Structured logs of the deployer (source-generated, AOT-safe). Every mutating AWS call gets one entry
/// (<see cref="Call"/> or <see cref="CallFailed"/>) with the operation, the resource, its ARN, the field changes the
/// call makes and AWS's request id; a debug entry marks each call's start.
/// </summary>
internal static partial class DeployLog
{
    /// <summary>The event of a mutating call that succeeded.</summary>
    public const int CallEventId = 2;

    /// <summary>The event of a mutating call that failed.</summary>
    public const int CallFailedEventId = 3;

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "aws call {Operation} starting: {ResourceType} {ResourceId} {Arn} (stack {Stack})")]
    public static partial void Before(ILogger logger, string operation, string stack, string resourceType, string resourceId, string? arn);

    [LoggerMessage(EventId = CallEventId, EventName = "AwsCall", Level = LogLevel.Information,
        Message = "{Operation} {ResourceType} {ResourceId} {Arn} {Changes} request {AwsRequestId} ({ElapsedMs} ms, stack {Stack})")]
    public static partial void Call(ILogger logger, string operation, string stack, string resourceType, string resourceId, string? arn, LoggedChanges changes, string? awsRequestId, long elapsedMs);

    [LoggerMessage(EventId = CallFailedEventId, EventName = "AwsCallFailed", Level = LogLevel.Warning,
        Message = "{Operation} {ResourceType} {ResourceId} {Arn} failed: {ErrorCode}: {Error} request {AwsRequestId} (stack {Stack})")]
    public static partial void CallFailed(ILogger logger, string operation, string stack, string resourceType, string resourceId, string? arn, string errorCode, string error, string? awsRequestId);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "deploy {Mode} of stack {Stack}: {Result}; {Changes} changes, {Calls} AWS calls")]
    public static partial void Finished(ILogger logger, string mode, string stack, string result, int changes, long calls);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "stack {Stack}: checkpoint {Checkpoint} matches, nothing to do")]
    public static partial void CheckpointHit(ILogger logger, string stack, string checkpoint);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "stack {Stack}: listener {Port} refused the new rule order in one call ({Error}); parking the moving rules first")]
    public static partial void Fallback(ILogger logger, string stack, int port, string error);
}

/// <summary>
/// The field changes logged with one call. Renders as <c>field: before → after</c> items in a message; a structured
/// logger sees a list of <c>{field, before, after}</c> objects (each item enumerates its three string pairs).
/// </summary>
internal sealed class LoggedChanges(IReadOnlyList<FieldChange> fields) : IReadOnlyList<LoggedChange>
{
    private readonly LoggedChange[] _items = [.. fields.Select(static f => new LoggedChange(f))];

    public static LoggedChanges None { get; } = new([]);

    public int Count => _items.Length;

    public LoggedChange this[int index] => _items[index];

    public IEnumerator<LoggedChange> GetEnumerator() => ((IEnumerable<LoggedChange>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => string.Join(", ", _items.Select(static i => i.ToString()));
}

/// <summary>One field change as a log value: <c>field</c>, <c>before</c>, <c>after</c>.</summary>
internal sealed class LoggedChange(FieldChange change) : IReadOnlyList<KeyValuePair<string, string?>>
{
    public int Count => 3;

    public KeyValuePair<string, string?> this[int index] => index switch
    {
        0 => new("field", change.Field),
        1 => new("before", change.Before),
        2 => new("after", change.After),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, string?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
            yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"{change.Field}: {change.Before ?? "(none)"} → {change.After ?? "(none)"}";
}
