using System.Security.Cryptography;
using System.Text;

namespace Serverless.Messages;

/// <summary>What a queue key names. The wire names are part of the message schema (see README.md).</summary>
public enum QueueKeyKind
{
    /// <summary>An Ingress group (upstream's group ID: <c>groupName</c> or <c>namespace/name</c>).</summary>
    IngressGroup,

    /// <summary>A Service (<c>namespace/name</c>): the groups whose rules reference it are reconciled.</summary>
    Service,

    /// <summary>A Node (its name): the groups with instance targets are reconciled for their targets.</summary>
    Node,

    /// <summary>A TargetGroupBinding (<c>&lt;namespace&gt;/&lt;name&gt;</c>): the Service's targets in a target group made elsewhere.</summary>
    TargetGroupBinding,
}

/// <summary>
/// A reconcile key: the only thing a queue message carries besides provenance (level-triggered: the reconcile reads
/// the current state, never the event). Text form <c>&lt;kind&gt;:&lt;name&gt;</c>, e.g. <c>ingress-group:default/echoserver</c>.
/// </summary>
public sealed record QueueKey
{
    /// <summary>SQS's limit on <c>MessageGroupId</c> and <c>MessageDeduplicationId</c>.</summary>
    public const int MaxSqsIdLength = 128;

    private QueueKey(QueueKeyKind kind, string name)
    {
        Kind = kind;
        Name = name;
    }

    /// <summary>The kind of object.</summary>
    public QueueKeyKind Kind { get; }

    /// <summary>The object's name: a group ID, <c>namespace/name</c> of a Service, or a Node name.</summary>
    public string Name { get; }

    /// <summary>The key of an Ingress group (upstream's group ID string).</summary>
    public static QueueKey IngressGroup(string groupId) => Create(QueueKeyKind.IngressGroup, groupId);

    /// <summary>The key of a Service.</summary>
    public static QueueKey Service(string ns, string name) => Create(QueueKeyKind.Service, ns + "/" + name);

    /// <summary>The key of a Node.</summary>
    public static QueueKey Node(string name) => Create(QueueKeyKind.Node, name);

    /// <summary>The key of TargetGroupBinding <paramref name="ns"/>/<paramref name="name"/>.</summary>
    public static QueueKey TargetGroupBinding(string ns, string name) => Create(QueueKeyKind.TargetGroupBinding, ns + "/" + name);

    /// <summary>A key, validated: throws <see cref="QueueMessageException"/> naming the field and value when invalid.</summary>
    public static QueueKey Create(QueueKeyKind kind, string? name)
    {
        var error = ValidateName(kind, name);
        if (error is not null)
            throw new QueueMessageException("key.name", name, error);
        return new QueueKey(kind, name!);
    }

    /// <summary>The wire name of a kind.</summary>
    public static string KindName(QueueKeyKind kind) => kind switch
    {
        QueueKeyKind.IngressGroup => "ingress-group",
        QueueKeyKind.Service => "service",
        QueueKeyKind.Node => "node",
        QueueKeyKind.TargetGroupBinding => "tgb",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown key kind"),
    };

    /// <summary>The kind for a wire name, or null when unknown.</summary>
    public static QueueKeyKind? ParseKind(string? name) => name switch
    {
        "ingress-group" => QueueKeyKind.IngressGroup,
        "service" => QueueKeyKind.Service,
        "node" => QueueKeyKind.Node,
        "tgb" => QueueKeyKind.TargetGroupBinding,
        _ => null,
    };

    /// <summary>Parses the text form <c>&lt;kind&gt;:&lt;name&gt;</c>.</summary>
    public static QueueKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var kind = colon < 0 ? null : ParseKind(text[..colon]);
        if (kind is null)
            throw new QueueMessageException("key", text, "expected <kind>:<name> with kind ingress-group, service, node or tgb");
        return Create(kind.Value, text[(colon + 1)..]);
    }

    /// <summary>
    /// The FIFO <c>MessageGroupId</c>: one reconcile per key at a time. The text form when it fits SQS's 128
    /// characters and alphabet, else a prefix of it plus a SHA-256 digest (still one group per key).
    /// </summary>
    public string MessageGroupId
    {
        get
        {
            var text = ToString();
            if (text.Length <= MaxSqsIdLength && text.All(IsSqsIdChar))
                return text;
            var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
            var prefix = new string([.. text.Where(IsSqsIdChar).Take(MaxSqsIdLength - digest.Length - 1)]);
            return prefix + "#" + digest;
        }
    }

    /// <summary>
    /// A deduplication id for this key at the given resource versions (e.g. the old and new object's): two senders
    /// that saw the same change produce the same id, so SQS drops the second within its 5-minute window.
    /// </summary>
    public string DeduplicationId(params ReadOnlySpan<string?> resourceVersions)
    {
        var text = new StringBuilder(ToString());
        foreach (var version in resourceVersions)
            text.Append('\n').Append(version ?? "");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The text form <c>&lt;kind&gt;:&lt;name&gt;</c>.</summary>
    public override string ToString() => KindName(Kind) + ":" + Name;

    private static bool IsSqsIdChar(char c) => c is >= '!' and <= '~';

    private static string? ValidateName(QueueKeyKind kind, string? name)
    {
        if (string.IsNullOrEmpty(name))
            return "must not be empty";
        if (name.Length > 512)
            return "longer than 512 characters";
        if (name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            return "contains whitespace or control characters";
        var slashes = name.Count(c => c == '/');
        return kind switch
        {
            QueueKeyKind.IngressGroup when slashes > 1 => "a group ID is <groupName> or <namespace>/<name>",
            QueueKeyKind.IngressGroup when slashes == 1 && (name[0] == '/' || name[^1] == '/') => "a group ID is <groupName> or <namespace>/<name>",
            QueueKeyKind.Service when slashes != 1 || name[0] == '/' || name[^1] == '/' => "a service key is <namespace>/<name>",
            QueueKeyKind.Node when slashes != 0 => "a node key is the node's name",
            QueueKeyKind.TargetGroupBinding when slashes != 1 || name[0] == '/' || name[^1] == '/' => "a tgb key is <namespace>/<name>",
            _ => null,
        };
    }
}
