using Serverless.Lambda.Events;

namespace Serverless.Functions;

/// <summary>An Auto Scaling lifecycle action waiting for our CONTINUE.</summary>
public sealed record LifecycleAction(string AutoScalingGroupName, string LifecycleHookName, string LifecycleActionToken);

/// <summary>What an EventBridge event asks of the drain path.</summary>
/// <param name="InstanceIds">The instances leaving.</param>
/// <param name="Reason">Why (the mark's reason and the log's).</param>
/// <param name="Lifecycle">The lifecycle action to complete once draining ends, or null.</param>
public sealed record InstanceEvent(IReadOnlyList<string> InstanceIds, string Reason, LifecycleAction? Lifecycle);

/// <summary>Reads the instance ids out of the EC2, Auto Scaling and Health events the controller subscribes to.</summary>
public static class InstanceEventParser
{
    /// <summary>States of "EC2 Instance State-change Notification" that mean the instance is leaving.</summary>
    public static readonly IReadOnlySet<string> LeavingStates = new HashSet<string>(StringComparer.Ordinal) { "stopping", "stopped", "shutting-down", "terminated" };

    /// <summary>The action for <paramref name="e"/>, or null with the reason it is ignored.</summary>
    public static (InstanceEvent? Event, string? Ignored) Parse(EventBridgeEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        switch (e.DetailType)
        {
            case DetailTypes.SpotInterruption:
                return One(EventBridgeDetails.Spot(e)?.InstanceId, "spot-interruption", null);
            case DetailTypes.RebalanceRecommendation:
                return One(EventBridgeDetails.Rebalance(e)?.InstanceId, "rebalance-recommendation", null);
            case DetailTypes.StateChange:
                var change = EventBridgeDetails.StateChange(e);
                return change?.State is { } state && LeavingStates.Contains(state)
                    ? One(change.InstanceId, "state-" + state, null)
                    : (null, $"instance state '{change?.State}' is not a leaving state");
            case DetailTypes.TerminateLifecycleAction:
                var action = EventBridgeDetails.LifecycleAction(e);
                if (action?.LifecycleTransition != "autoscaling:EC2_INSTANCE_TERMINATING")
                    return (null, $"lifecycle transition '{action?.LifecycleTransition}' is not a termination");
                if (string.IsNullOrEmpty(action.AutoScalingGroupName) || string.IsNullOrEmpty(action.LifecycleHookName) || string.IsNullOrEmpty(action.LifecycleActionToken))
                    return (null, "lifecycle action without group, hook or token");
                return One(action.Ec2InstanceId, "asg-termination", new LifecycleAction(action.AutoScalingGroupName, action.LifecycleHookName, action.LifecycleActionToken));
            case DetailTypes.HealthEvent:
                var health = EventBridgeDetails.Health(e);
                if (health?.Service != "EC2" || health.EventTypeCategory != "scheduledChange")
                    return (null, $"health event {health?.Service}/{health?.EventTypeCategory} is not an EC2 scheduled change");
                var ids = health.AffectedEntities.Select(static a => a.EntityValue).Concat(e.Resources)
                    .Where(static v => v is not null && IsInstanceId(v)).Select(static v => v!).Distinct(StringComparer.Ordinal).ToList();
                return ids.Count == 0 ? (null, "health event names no instance") : (new InstanceEvent(ids, "scheduled-maintenance", null), null);
            default:
                return (null, $"detail-type '{e.DetailType}' is not an instance event");
        }
    }

    /// <summary>True for <c>i-</c> followed by 8 or 17 hex digits.</summary>
    public static bool IsInstanceId(string value) =>
        value.StartsWith("i-", StringComparison.Ordinal) && value.Length is 10 or 19 && value.AsSpan(2).ContainsOnlyHexDigits();

    private static (InstanceEvent?, string?) One(string? instanceId, string reason, LifecycleAction? lifecycle) =>
        instanceId is not null && IsInstanceId(instanceId)
            ? (new InstanceEvent([instanceId], reason, lifecycle), null)
            : (null, $"no valid instance id in the event ('{instanceId}')");
}

internal static class SpanHex
{
    public static bool ContainsOnlyHexDigits(this ReadOnlySpan<char> span)
    {
        foreach (var c in span)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
                return false;
        }
        return true;
    }
}
