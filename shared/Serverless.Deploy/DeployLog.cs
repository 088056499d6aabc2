using Microsoft.Extensions.Logging;

namespace Serverless.Deploy;

/// <summary>Structured logs of the deployer: before and after every mutating call (source-generated, AOT-safe).</summary>
internal static partial class DeployLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "aws call {Operation} starting: stack={Stack} resourceType={ResourceType} resourceId={ResourceId} arn={Arn}")]
    public static partial void Before(ILogger logger, string operation, string stack, string resourceType, string resourceId, string? arn);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "aws call {Operation} done: stack={Stack} resourceType={ResourceType} resourceId={ResourceId} arn={Arn}")]
    public static partial void After(ILogger logger, string operation, string stack, string resourceType, string resourceId, string? arn);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "aws call {Operation} failed: stack={Stack} resourceType={ResourceType} resourceId={ResourceId} arn={Arn} error={Error}")]
    public static partial void Failed(ILogger logger, string operation, string stack, string resourceType, string resourceId, string? arn, string error);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "deploy {Mode} of stack {Stack}: {Result}; {Changes} changes, {Calls} AWS calls")]
    public static partial void Finished(ILogger logger, string mode, string stack, string result, int changes, long calls);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "stack {Stack}: checkpoint {Checkpoint} matches, nothing to do")]
    public static partial void CheckpointHit(ILogger logger, string stack, string checkpoint);
}
