using System.Text.Json;

namespace Serverless.Lambda.Events;

/// <summary>What kind of event a payload is, told by its top-level fields.</summary>
public enum EventKind
{
    /// <summary>An SQS event source batch (<c>Records</c> with <c>eventSource: aws:sqs</c>).</summary>
    Sqs,

    /// <summary>An EventBridge envelope (<c>detail-type</c>).</summary>
    EventBridge,

    /// <summary>Any other JSON object (a manual invocation).</summary>
    Other,
}

/// <summary>Tells event kinds apart without deserializing the whole payload.</summary>
public static class EventSniffer
{
    /// <summary>The kind of <paramref name="payload"/>; throws <see cref="JsonException"/> when it is not a JSON object.</summary>
    public static EventKind Kind(ReadOnlyMemory<byte> payload)
    {
        var reader = new Utf8JsonReader(payload.Span);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException("the event is not a JSON object");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("Records"u8))
                return EventKind.Sqs;
            if (reader.ValueTextEquals("detail-type"u8))
                return EventKind.EventBridge;
            reader.Read();
            reader.Skip();
        }
        return EventKind.Other;
    }
}
