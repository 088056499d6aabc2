using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Serverless.Messages;

/// <summary>Who enqueued a key. Wire names: <c>forwarder</c>, <c>replay</c>, <c>instance-event</c>, <c>requeue</c>, <c>manual</c>.</summary>
public enum QueueMessageOrigin
{
    /// <summary>The in-cluster forwarder saw a watch event.</summary>
    Forwarder,

    /// <summary>The scheduled replay (full drift check).</summary>
    Replay,

    /// <summary>The instance-events function (drain follow-up checks).</summary>
    InstanceEvent,

    /// <summary>A reconcile asked to run again later.</summary>
    Requeue,

    /// <summary>A person or script (CLI, console).</summary>
    Manual,

    /// <summary>
    /// The scheduled replay, for a stack whose group is gone and whose deletion the garbage-collection guards approved
    /// (trusted only from the replay's own sender, like <see cref="Replay"/>).
    /// </summary>
    Collect,
}

/// <summary>
/// The body of every queue message, schema version 1 (documented in README.md):
/// <code>{"version":1,"key":{"kind":"ingress-group","name":"default/echoserver"},"origin":"forwarder","resourceVersion":"4711","observedAt":"2026-11-23T12:00:00.000Z"}</code>
/// <c>version</c>, <c>key.kind</c>, <c>key.name</c> and <c>origin</c> are required; <c>resourceVersion</c> and
/// <c>observedAt</c> are provenance only (logs, queue lag), never used to decide what to do. Unknown fields are
/// ignored so a newer sender can add provenance without breaking an older reconcile.
/// </summary>
public sealed record QueueMessage(QueueKey Key, QueueMessageOrigin Origin, string? ResourceVersion = null, DateTimeOffset? ObservedAt = null)
{
    /// <summary>The schema version this code writes and reads.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The largest body accepted (SQS allows 256 KiB; ours are tiny).</summary>
    public const int MaxBodyBytes = 8 * 1024;

    /// <summary>The wire name of an origin.</summary>
    public static string OriginName(QueueMessageOrigin origin) => origin switch
    {
        QueueMessageOrigin.Forwarder => "forwarder",
        QueueMessageOrigin.Replay => "replay",
        QueueMessageOrigin.InstanceEvent => "instance-event",
        QueueMessageOrigin.Requeue => "requeue",
        QueueMessageOrigin.Manual => "manual",
        QueueMessageOrigin.Collect => "collect",
        _ => throw new ArgumentOutOfRangeException(nameof(origin), origin, "unknown origin"),
    };

    private static QueueMessageOrigin? ParseOrigin(string? name) => name switch
    {
        "forwarder" => QueueMessageOrigin.Forwarder,
        "replay" => QueueMessageOrigin.Replay,
        "instance-event" => QueueMessageOrigin.InstanceEvent,
        "requeue" => QueueMessageOrigin.Requeue,
        "manual" => QueueMessageOrigin.Manual,
        "collect" => QueueMessageOrigin.Collect,
        _ => null,
    };

    /// <summary>The JSON body (compact, fixed field order).</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", CurrentVersion);
            writer.WriteStartObject("key");
            writer.WriteString("kind", QueueKey.KindName(Key.Kind));
            writer.WriteString("name", Key.Name);
            writer.WriteEndObject();
            writer.WriteString("origin", OriginName(Origin));
            if (ResourceVersion is not null)
                writer.WriteString("resourceVersion", ResourceVersion);
            if (ObservedAt is { } at)
                writer.WriteString("observedAt", at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// Parses and validates a body. Throws <see cref="QueueMessageException"/> naming the field and value for
    /// anything that does not follow the schema (never another exception type).
    /// </summary>
    public static QueueMessage Parse(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
            throw new QueueMessageException("body", body, "empty message body");
        if (Encoding.UTF8.GetByteCount(body) > MaxBodyBytes)
            throw new QueueMessageException("body", body, $"larger than {MaxBodyBytes} bytes");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new QueueMessageException("body", body, "not JSON: " + e.Message);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new QueueMessageException("body", body, "expected a JSON object");

            var version = Required(root, "version", "version");
            if (version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var v))
                throw new QueueMessageException("version", version.GetRawText(), "expected an integer");
            if (v != CurrentVersion)
                throw new QueueMessageException("version", version.GetRawText(), $"unsupported schema version (this reconcile reads version {CurrentVersion})");

            var key = Required(root, "key", "key");
            if (key.ValueKind != JsonValueKind.Object)
                throw new QueueMessageException("key", key.GetRawText(), "expected an object with kind and name");
            var kindText = RequiredString(key, "kind", "key.kind");
            var kind = QueueKey.ParseKind(kindText)
                ?? throw new QueueMessageException("key.kind", kindText, "expected ingress-group, service, node or tgb");
            var queueKey = QueueKey.Create(kind, RequiredString(key, "name", "key.name"));

            var originText = RequiredString(root, "origin", "origin");
            var origin = ParseOrigin(originText)
                ?? throw new QueueMessageException("origin", originText, "expected forwarder, replay, instance-event, requeue, manual or collect");

            string? resourceVersion = null;
            if (root.TryGetProperty("resourceVersion", out var rv) && rv.ValueKind != JsonValueKind.Null)
                resourceVersion = rv.ValueKind == JsonValueKind.String
                    ? rv.GetString()
                    : throw new QueueMessageException("resourceVersion", rv.GetRawText(), "expected a string");

            DateTimeOffset? observedAt = null;
            if (root.TryGetProperty("observedAt", out var at) && at.ValueKind != JsonValueKind.Null)
            {
                if (at.ValueKind != JsonValueKind.String || !DateTimeOffset.TryParse(at.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                    throw new QueueMessageException("observedAt", at.GetRawText(), "expected an RFC 3339 timestamp");
                observedAt = parsed;
            }
            return new QueueMessage(queueKey, origin, resourceVersion, observedAt);
        }
    }

    private static JsonElement Required(JsonElement parent, string name, string path) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : throw new QueueMessageException(path, null, "required field is missing");

    private static string RequiredString(JsonElement parent, string name, string path)
    {
        var value = Required(parent, name, path);
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new QueueMessageException(path, value.GetRawText(), "expected a string");
    }
}
