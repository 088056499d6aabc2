using System.Text.Json.Nodes;
using Serverless.Lambda;

namespace Serverless.Functions.Tests;

/// <summary>template.yaml wires the garbage collection's limits into both functions and alarms on the cap.</summary>
public sealed class GarbageCollectionTemplateTests
{
    private static Lazy<JsonObject> Translated => TemplateTests.Translated;

    private static JsonNode Resource(string name) => Translated.Value["Resources"]![name]!;

    private static JsonObject Variables(string function) => Resource(function)["Properties"]!["Environment"]!["Variables"]!.AsObject();

    [Fact]
    public void Both_functions_read_the_minimum_absence_and_the_replay_reads_the_cap_from_parameters()
    {
        Assert.Equal("GcMinAbsenceSeconds", (string?)Variables("ReplayFunction")["GC_MIN_ABSENCE_SECONDS"]!["Ref"]);
        Assert.Equal("GcMaxDeletions", (string?)Variables("ReplayFunction")["GC_MAX_DELETIONS"]!["Ref"]);
        Assert.Equal("GcMinAbsenceSeconds", (string?)Variables("ReconcileFunction")["GC_MIN_ABSENCE_SECONDS"]!["Ref"]);
        Assert.Equal(1800, (int)Translated.Value["Parameters"]!["GcMinAbsenceSeconds"]!["Default"]!);
        Assert.Equal(3, (int)Translated.Value["Parameters"]!["GcMaxDeletions"]!["Default"]!);
    }

    [Fact]
    public void The_capped_deletions_metric_of_the_replay_has_an_alarm()
    {
        var alarm = Resource("OrphanDeletionsCappedAlarm")["Properties"]!;

        Assert.Equal(EmfMetrics.DefaultNamespace, (string?)alarm["Namespace"]);
        Assert.Equal(EmfMetrics.Names.OrphanDeletionsCapped, (string?)alarm["MetricName"]);
        Assert.Equal("Function", (string?)alarm["Dimensions"]![0]!["Name"]);
        Assert.Equal("ReplayFunction", (string?)alarm["Dimensions"]![0]!["Value"]!["Ref"]);
        Assert.Equal("GreaterThanThreshold", (string?)alarm["ComparisonOperator"]);
        Assert.Equal(0, (int)alarm["Threshold"]!);
    }
}
