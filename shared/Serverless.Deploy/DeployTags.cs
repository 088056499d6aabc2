using Serverless.Model;

namespace Serverless.Deploy;

/// <summary>The tags the deployer writes for itself (never part of a desired stack, never reconciled away).</summary>
public static class DeployTags
{
    /// <summary>On the load balancer after a fully successful apply: the hash of the desired stack it applied.</summary>
    public const string Checkpoint = "serverless.elbv2.k8s.aws/checkpoint";

    /// <summary>
    /// On the load balancer next to <see cref="Checkpoint"/>: the hash of the desired stack without its target sets, so
    /// an event-driven deploy that only changes targets knows everything else is as applied.
    /// </summary>
    public const string StructureCheckpoint = "serverless.elbv2.k8s.aws/checkpoint-structure";

    /// <summary>
    /// On the load balancer while target groups are being detached and deleted: their names, space-separated, so a run
    /// that stops between detaching a target group and deleting it finds the target group again (a detached target
    /// group is no longer listed by <c>DescribeTargetGroups(LoadBalancerArn)</c>).
    /// </summary>
    public const string PendingDeletion = "serverless.elbv2.k8s.aws/pending-deletion";

    /// <summary>
    /// On a target group while a forward to it is staged (named at weight 0 beside the groups serving the traffic now,
    /// waiting for a healthy target): when the staging began (ISO 8601 UTC), so the wait is bounded across runs.
    /// </summary>
    public const string StagedSince = "serverless.elbv2.k8s.aws/staged-since";

    /// <summary>
    /// On a staging listener of a Network Load Balancer: the resource ID of the target group it attaches (on a spare port)
    /// so that AWS health-checks the group before the Service's listener forwards to it. Deleted by the run that switches.
    /// </summary>
    public const string StagingListener = "serverless.elbv2.k8s.aws/staging-listener";

    /// <summary>
    /// On the load balancer of a stack whose group the replay found absent (ISO 8601 UTC): when it was first found
    /// absent. Written and removed only by the replay's garbage collection (docs/garbage-collection.md); the deployer
    /// never writes or removes it.
    /// </summary>
    public const string AbsentSince = "serverless.elbv2.k8s.aws/absent-since";

    /// <summary>
    /// On the load balancer after a fully successful apply: how the group's members chose this controller, space-separated
    /// and sorted — an IngressClass name, or <c>kubernetes.io/ingress.class=&lt;value&gt;</c> for the legacy annotation.
    /// Garbage collection deletes an orphaned stack only while that class configuration still selects this controller.
    /// </summary>
    public const string IngressClass = "serverless.elbv2.k8s.aws/ingress-class";

    /// <summary>Tag keys the tag diff leaves alone: AWS's and upstream's legacy keys, and ours above.</summary>
    public static bool IsUnmanaged(string key) =>
        TrackingTags.IsIgnored(key) || key == Checkpoint || key == StructureCheckpoint || key == StagedSince || key == AbsentSince || key == IngressClass || key == StagingListener
        || key.StartsWith(PendingDeletion, StringComparison.Ordinal);

    /// <summary>The value of a time tag (<see cref="AbsentSince"/>): ISO 8601 UTC to the second.</summary>
    public static string FormatTime(DateTimeOffset at) =>
        at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The time a time tag holds, or null when absent or unreadable.</summary>
    public static DateTimeOffset? ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var at) ? at : null;

    /// <summary>True when <paramref name="tags"/> mark a resource of the Ingress group <paramref name="stack"/> in <paramref name="cluster"/>.</summary>
    public static bool IsOurs(IReadOnlyDictionary<string, string> tags, string cluster, string stack) =>
        IsOurs(tags, cluster, TrackingTags.Stack, stack);

    /// <summary>
    /// True when <paramref name="tags"/> mark a resource of <paramref name="stack"/> in <paramref name="cluster"/>, under
    /// the stack tag key of its kind: an Ingress group and a Service of the same <c>namespace/name</c> never own each
    /// other's resources.
    /// </summary>
    public static bool IsOurs(IReadOnlyDictionary<string, string> tags, string cluster, StackId stack)
    {
        ArgumentNullException.ThrowIfNull(stack);
        return IsOurs(tags, cluster, TrackingTags.StackKey(stack), stack.ToString());
    }

    private static bool IsOurs(IReadOnlyDictionary<string, string> tags, string cluster, string stackKey, string stack) =>
        tags.TryGetValue(TrackingTags.Cluster, out var c) && c == cluster
        && tags.TryGetValue(stackKey, out var s) && s == stack;

    /// <summary>The tag changes from <paramref name="actual"/> to <paramref name="desired"/> (unmanaged keys ignored).</summary>
    public static (Dictionary<string, string> Add, List<string> Remove, List<FieldChange> Fields) Diff(
        IReadOnlyDictionary<string, string> desired,
        IReadOnlyDictionary<string, string> actual)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(actual);
        var add = new Dictionary<string, string>(StringComparer.Ordinal);
        var remove = new List<string>();
        var fields = new List<FieldChange>();
        foreach (var (key, value) in desired.OrderBy(static kv => kv.Key, StringComparer.Ordinal))
        {
            if (IsUnmanaged(key))
                continue;
            actual.TryGetValue(key, out var current);
            if (current != value)
            {
                add[key] = value;
                fields.Add(new FieldChange("tag " + key, current, value));
            }
        }
        foreach (var (key, current) in actual.OrderBy(static kv => kv.Key, StringComparer.Ordinal))
        {
            if (!desired.ContainsKey(key) && !IsUnmanaged(key))
            {
                remove.Add(key);
                fields.Add(new FieldChange("tag " + key, current, null));
            }
        }
        return (add, remove, fields);
    }
}
