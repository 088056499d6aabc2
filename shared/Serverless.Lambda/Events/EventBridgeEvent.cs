using System.Text.Json;
using System.Text.Json.Serialization;

namespace Serverless.Lambda.Events;

/// <summary>
/// The EventBridge envelope as a rule target receives it. <see cref="Detail"/> stays raw until
/// <see cref="EventBridgeDetails"/> reads it for the <see cref="DetailType"/>.
/// </summary>
public sealed class EventBridgeEvent
{
    [JsonPropertyName("version")]
    public string? Version { get; set; }

    [JsonPropertyName("id")]
    public string? Id { get; set; }

    [JsonPropertyName("detail-type")]
    public string? DetailType { get; set; }

    [JsonPropertyName("source")]
    public string? Source { get; set; }

    [JsonPropertyName("account")]
    public string? Account { get; set; }

    [JsonPropertyName("time")]
    public DateTimeOffset? Time { get; set; }

    [JsonPropertyName("region")]
    public string? Region { get; set; }

    [JsonPropertyName("resources")]
    public List<string> Resources { get; set; } = [];

    [JsonPropertyName("detail")]
    public JsonElement Detail { get; set; }
}

/// <summary>The detail types the controller subscribes to (EventBridge <c>detail-type</c> values).</summary>
public static class DetailTypes
{
    public const string SpotInterruption = "EC2 Spot Instance Interruption Warning";
    public const string RebalanceRecommendation = "EC2 Instance Rebalance Recommendation";
    public const string StateChange = "EC2 Instance State-change Notification";
    public const string TerminateLifecycleAction = "EC2 Instance-terminate Lifecycle Action";
    public const string HealthEvent = "AWS Health Event";
    public const string Scheduled = "Scheduled Event";
}

/// <summary><c>aws.ec2</c> "EC2 Spot Instance Interruption Warning" (two-minute notice).</summary>
public sealed class SpotInterruptionDetail
{
    [JsonPropertyName("instance-id")]
    public string? InstanceId { get; set; }

    /// <summary><c>terminate</c>, <c>stop</c> or <c>hibernate</c>.</summary>
    [JsonPropertyName("instance-action")]
    public string? InstanceAction { get; set; }
}

/// <summary><c>aws.ec2</c> "EC2 Instance Rebalance Recommendation".</summary>
public sealed class RebalanceRecommendationDetail
{
    [JsonPropertyName("instance-id")]
    public string? InstanceId { get; set; }
}

/// <summary><c>aws.ec2</c> "EC2 Instance State-change Notification".</summary>
public sealed class StateChangeDetail
{
    [JsonPropertyName("instance-id")]
    public string? InstanceId { get; set; }

    /// <summary><c>pending</c>, <c>running</c>, <c>stopping</c>, <c>stopped</c>, <c>shutting-down</c>, <c>terminated</c>.</summary>
    [JsonPropertyName("state")]
    public string? State { get; set; }
}

/// <summary><c>aws.autoscaling</c> "EC2 Instance-terminate Lifecycle Action".</summary>
public sealed class LifecycleActionDetail
{
    public string? LifecycleActionToken { get; set; }

    public string? AutoScalingGroupName { get; set; }

    public string? LifecycleHookName { get; set; }

    [JsonPropertyName("EC2InstanceId")]
    public string? Ec2InstanceId { get; set; }

    /// <summary><c>autoscaling:EC2_INSTANCE_TERMINATING</c> (or <c>autoscaling:TEST_NOTIFICATION</c>).</summary>
    public string? LifecycleTransition { get; set; }

    public string? NotificationMetadata { get; set; }

    public string? Origin { get; set; }

    public string? Destination { get; set; }
}

/// <summary><c>aws.health</c> "AWS Health Event" (the controller reads EC2 <c>scheduledChange</c> events).</summary>
public sealed class HealthEventDetail
{
    [JsonPropertyName("eventArn")]
    public string? EventArn { get; set; }

    [JsonPropertyName("service")]
    public string? Service { get; set; }

    [JsonPropertyName("eventTypeCode")]
    public string? EventTypeCode { get; set; }

    [JsonPropertyName("eventTypeCategory")]
    public string? EventTypeCategory { get; set; }

    [JsonPropertyName("startTime")]
    public string? StartTime { get; set; }

    [JsonPropertyName("endTime")]
    public string? EndTime { get; set; }

    [JsonPropertyName("affectedEntities")]
    public List<HealthAffectedEntity> AffectedEntities { get; set; } = [];
}

/// <summary>An entity an AWS Health event affects (for EC2: an instance id).</summary>
public sealed class HealthAffectedEntity
{
    [JsonPropertyName("entityValue")]
    public string? EntityValue { get; set; }
}

/// <summary>Reads an envelope's detail for its detail type, source-generated (no reflection).</summary>
public static class EventBridgeDetails
{
    public static SpotInterruptionDetail? Spot(EventBridgeEvent e) => Read(e, LambdaJsonContext.Default.SpotInterruptionDetail);

    public static RebalanceRecommendationDetail? Rebalance(EventBridgeEvent e) => Read(e, LambdaJsonContext.Default.RebalanceRecommendationDetail);

    public static StateChangeDetail? StateChange(EventBridgeEvent e) => Read(e, LambdaJsonContext.Default.StateChangeDetail);

    public static LifecycleActionDetail? LifecycleAction(EventBridgeEvent e) => Read(e, LambdaJsonContext.Default.LifecycleActionDetail);

    public static HealthEventDetail? Health(EventBridgeEvent e) => Read(e, LambdaJsonContext.Default.HealthEventDetail);

    private static T? Read<T>(EventBridgeEvent e, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.Detail.ValueKind == JsonValueKind.Object ? e.Detail.Deserialize(info) : null;
    }
}
