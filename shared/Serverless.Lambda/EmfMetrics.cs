using System.Text;
using System.Text.Json;

namespace Serverless.Lambda;

/// <summary>CloudWatch units used by the controller's metrics.</summary>
public enum MetricUnit
{
    Count,
    Milliseconds,
    Seconds,
}

/// <summary>One metric value.</summary>
/// <param name="Name">The metric name (e.g. <c>ReconcileDuration</c>).</param>
/// <param name="Value">The value.</param>
/// <param name="Unit">The unit.</param>
public readonly record struct Metric(string Name, double Value, MetricUnit Unit);

/// <summary>
/// CloudWatch Embedded Metric Format: a metric is a JSON line on stdout that CloudWatch Logs turns into a metric — no
/// SDK, no API call, no budget. Every line carries the <c>Function</c> dimension plus any given, and the invocation's
/// request and trace ids as plain properties (searchable, not dimensions).
/// </summary>
public sealed class EmfMetrics
{
    /// <summary>The CloudWatch namespace of every metric of the controller.</summary>
    public const string DefaultNamespace = "ServerlessLoadBalancerController";

    private readonly LambdaLogger _sink;
    private readonly TimeProvider _time;

    public EmfMetrics(LambdaLogger sink, string functionName, string metricNamespace = DefaultNamespace, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _sink = sink;
        FunctionName = functionName;
        Namespace = metricNamespace;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The value of the <c>Function</c> dimension.</summary>
    public string FunctionName { get; }

    /// <summary>The CloudWatch namespace.</summary>
    public string Namespace { get; }

    /// <summary>Writes one EMF line with <paramref name="metrics"/> under the <c>Function</c> dimension.</summary>
    public void Emit(params ReadOnlySpan<Metric> metrics) => Emit([], metrics);

    /// <summary>Writes one EMF line with <paramref name="metrics"/> under <c>Function</c> plus <paramref name="dimensions"/>.</summary>
    public void Emit(IReadOnlyList<(string Name, string Value)> dimensions, params ReadOnlySpan<Metric> metrics)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        if (metrics.IsEmpty)
            return;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("_aws");
            writer.WriteNumber("Timestamp", _time.GetUtcNow().ToUnixTimeMilliseconds());
            writer.WriteStartArray("CloudWatchMetrics");
            writer.WriteStartObject();
            writer.WriteString("Namespace", Namespace);
            writer.WriteStartArray("Dimensions");
            writer.WriteStartArray();
            writer.WriteStringValue("Function");
            foreach (var (name, _) in dimensions)
                writer.WriteStringValue(name);
            writer.WriteEndArray();
            writer.WriteEndArray();
            writer.WriteStartArray("Metrics");
            foreach (var metric in metrics)
            {
                writer.WriteStartObject();
                writer.WriteString("Name", metric.Name);
                writer.WriteString("Unit", metric.Unit.ToString());
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteString("Function", FunctionName);
            foreach (var (name, value) in dimensions)
                writer.WriteString(name, value);
            foreach (var metric in metrics)
                writer.WriteNumber(metric.Name, Math.Round(metric.Value, 3));
            LambdaLogger.WriteScope(writer);
            writer.WriteEndObject();
        }
        _sink.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    /// <summary>The metric names the controller emits (one place, so dashboards and alarms can rely on them).</summary>
    public static class Names
    {
        public const string ReconcileDuration = "ReconcileDuration";
        public const string ReconcileErrors = "ReconcileErrors";
        public const string ReconcileRequeues = "ReconcileRequeues";
        public const string KeysPerBatch = "KeysPerBatch";
        public const string MessagesPerBatch = "MessagesPerBatch";
        public const string MalformedMessages = "MalformedMessages";

        /// <summary>Messages dropped because their FIFO message group is not their key's (another sender's mistake or forgery).</summary>
        public const string MisroutedMessages = "MisroutedMessages";

        /// <summary>Messages that claimed to come from the replay but were not sent by it (reconciled as ordinary events).</summary>
        public const string UntrustedReplayClaims = "UntrustedReplayClaims";

        /// <summary>Stack keys enqueued for Service, EndpointSlice and Node keys (the groups they affect).</summary>
        public const string FannedOutKeys = "FannedOutKeys";
        public const string DeadlineSkipped = "DeadlineSkipped";
        public const string AwsCalls = "AwsCalls";
        public const string QueueLag = "QueueLag";
        public const string DrainLatency = "DrainLatency";
        public const string TargetsDeregistered = "TargetsDeregistered";
        public const string ReplayKeys = "ReplayKeys";
        public const string RedrivenMessages = "RedrivenMessages";

        /// <summary>Stacks tagged for the cluster whose group the replay did not find (garbage-collection candidates).</summary>
        public const string OrphanStacks = "OrphanStacks";

        /// <summary>Orphaned stacks the replay enqueued for deletion (every guard passed).</summary>
        public const string OrphanDeletions = "OrphanDeletions";

        /// <summary>Orphaned stacks not deleted because more were eligible than one replay may delete (alarmed).</summary>
        public const string OrphanDeletionsCapped = "OrphanDeletionsCapped";

        /// <summary>Replays whose group list was incomplete, so no stack was garbage-collected.</summary>
        public const string GcIncompleteLists = "GcIncompleteLists";
    }
}
