namespace Serverless.Messages;

/// <summary>A queue message that does not follow the schema: names the field and the offending value.</summary>
public sealed class QueueMessageException : Exception
{
    public QueueMessageException(string field, string? value, string reason)
        : base($"invalid queue message: field '{field}' value {Quote(value)}: {reason}")
    {
        Field = field;
        Value = value;
        Reason = reason;
    }

    public QueueMessageException()
        : this("", null, "invalid queue message")
    {
    }

    public QueueMessageException(string message)
        : base(message)
    {
        Field = "";
        Reason = message;
    }

    public QueueMessageException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = "";
        Reason = message;
    }

    /// <summary>The JSON path of the offending field (e.g. <c>key.kind</c>).</summary>
    public string Field { get; }

    /// <summary>The offending value as received (truncated), or null when missing.</summary>
    public string? Value { get; }

    /// <summary>Why it is invalid.</summary>
    public string Reason { get; }

    private static string Quote(string? value) =>
        value is null ? "(missing)" : "'" + (value.Length > 200 ? value[..200] + "…" : value) + "'";
}
