using System.Text.Json.Serialization;

namespace Serverless.Functions;

/// <summary>A manual invocation of the replay function: <c>{"redriveDlq":true}</c> and/or <c>{"replay":true}</c>.</summary>
public sealed class ReplayRequest
{
    [JsonPropertyName("redriveDlq")]
    public bool RedriveDlq { get; set; }

    [JsonPropertyName("replay")]
    public bool Replay { get; set; }
}

/// <summary>What the replay function did (its response body and log line).</summary>
public sealed class ReplayReport
{
    [JsonPropertyName("window")]
    public string? Window { get; set; }

    [JsonPropertyName("groupKeys")]
    public int GroupKeys { get; set; }

    [JsonPropertyName("orphanStacks")]
    public int OrphanStacks { get; set; }

    /// <summary>Orphaned stacks enqueued for deletion (every garbage-collection guard passed).</summary>
    [JsonPropertyName("orphanDeletions")]
    public int OrphanDeletions { get; set; }

    /// <summary>Eligible orphaned stacks not deleted because they were more than the cap (0 within it).</summary>
    [JsonPropertyName("orphanDeletionsCapped")]
    public int OrphanDeletionsCapped { get; set; }

    /// <summary>Why the group list was incomplete (null: complete).</summary>
    [JsonPropertyName("incomplete")]
    public string? Incomplete { get; set; }

    [JsonPropertyName("enqueued")]
    public int Enqueued { get; set; }

    [JsonPropertyName("deferred")]
    public int Deferred { get; set; }

    [JsonPropertyName("spreadSeconds")]
    public int SpreadSeconds { get; set; }

    [JsonPropertyName("failed")]
    public int Failed { get; set; }

    [JsonPropertyName("redriven")]
    public int Redriven { get; set; }

    [JsonPropertyName("leftInDlq")]
    public int LeftInDlq { get; set; }
}

/// <summary>
/// A replay message parked on the (standard) relay queue until its delay ends; the replay function then forwards
/// <see cref="Body"/> into the FIFO queue with this deduplication id (FIFO queues reject per-message delays).
/// </summary>
public sealed class RelayEnvelope
{
    [JsonPropertyName("deduplicationId")]
    public string DeduplicationId { get; set; } = "";

    [JsonPropertyName("body")]
    public string Body { get; set; } = "";
}

/// <summary>A follow-up drain check of an Auto Scaling lifecycle action, sent to the drain-check queue with a delay.</summary>
public sealed class DrainCheck
{
    [JsonPropertyName("instanceId")]
    public string InstanceId { get; set; } = "";

    [JsonPropertyName("autoScalingGroupName")]
    public string AutoScalingGroupName { get; set; } = "";

    [JsonPropertyName("lifecycleHookName")]
    public string LifecycleHookName { get; set; } = "";

    [JsonPropertyName("lifecycleActionToken")]
    public string LifecycleActionToken { get; set; } = "";

    /// <summary>The target groups the instance was deregistered from (only these are checked).</summary>
    [JsonPropertyName("targetGroupArns")]
    public List<string> TargetGroupArns { get; set; } = [];

    /// <summary>When deregistration started (drain latency is measured from here).</summary>
    [JsonPropertyName("startedAt")]
    public DateTimeOffset StartedAt { get; set; }

    /// <summary>Complete at the latest then: start + the largest deregistration delay of those target groups.</summary>
    [JsonPropertyName("drainDeadline")]
    public DateTimeOffset DrainDeadline { get; set; }

    /// <summary>When the lifecycle action times out unless a heartbeat is recorded.</summary>
    [JsonPropertyName("actionExpiresAt")]
    public DateTimeOffset ActionExpiresAt { get; set; }

    /// <summary>The hook's heartbeat timeout (each heartbeat extends the action by this much).</summary>
    [JsonPropertyName("heartbeatTimeoutSeconds")]
    public int HeartbeatTimeoutSeconds { get; set; }

    [JsonPropertyName("checks")]
    public int Checks { get; set; }
}

/// <summary>What the instance-events function did with one event or batch.</summary>
public sealed class InstanceEventReport
{
    [JsonPropertyName("instances")]
    public List<string> Instances { get; set; } = [];

    [JsonPropertyName("nodes")]
    public List<string> Nodes { get; set; } = [];

    [JsonPropertyName("deregisteredFrom")]
    public List<string> DeregisteredFrom { get; set; } = [];

    [JsonPropertyName("lifecycle")]
    public string? Lifecycle { get; set; }

    [JsonPropertyName("ignored")]
    public string? Ignored { get; set; }
}

/// <summary>Source-generated JSON for the functions' own payloads.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ReplayRequest))]
[JsonSerializable(typeof(ReplayReport))]
[JsonSerializable(typeof(RelayEnvelope))]
[JsonSerializable(typeof(DrainCheck))]
[JsonSerializable(typeof(InstanceEventReport))]
public sealed partial class FunctionsJsonContext : JsonSerializerContext;
