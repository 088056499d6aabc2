using System.Text.Json;
using Serverless.Deploy.Tests.Infrastructure;
using Serverless.Lambda;
using Serverless.Model;
using Serverless.Testing;

namespace Serverless.Deploy.Tests;

/// <summary>The deployer's per-call log, written through the Lambda functions' JSON logger, against moto.</summary>
[Collection(MotoCollection.Name)]
public sealed class CallLogTests(MotoFixture fixture, Xunit.Abstractions.ITestOutputHelper testOutput) : DeployTest(fixture)
{
    private readonly StringWriter _output = new();

    protected override Microsoft.Extensions.Logging.ILogger? DeployLogger => new LambdaLogger(TextWriter.Synchronized(_output), Lambda.LogLevel.Info).ForCategory("Serverless.Deploy");

    private sealed record Entry(string Event, string Level, string Operation, string ResourceType, string ResourceId, string? Arn, string? AwsRequestId, List<FieldChange> Changes, string? ErrorCode);

    private List<Entry> Entries()
    {
        var entries = new List<Entry>();
        foreach (var line in _output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            if (!root.TryGetProperty("event", out var e) || e.GetString() is not ("AwsCall" or "AwsCallFailed"))
                continue;
            string? Str(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var changes = root.TryGetProperty("changes", out var c)
                ? c.EnumerateArray().Select(static f => new FieldChange(f.GetProperty("field").GetString()!, f.GetProperty("before").GetString(), f.GetProperty("after").GetString())).ToList()
                : [];
            entries.Add(new Entry(e.GetString()!, Str("level")!, Str("operation")!, Str("resourceType")!, Str("resourceId")!, Str("arn"), Str("awsRequestId"), changes, Str("errorCode")));
        }
        return entries;
    }

    private static string Key(string resourceId, FieldChange f) => $"{resourceId} | {f.Field} | {f.Before} -> {f.After}";

    [Fact]
    public async Task Every_mutating_call_of_a_create_is_one_JSON_entry_with_its_resource_ARN_changes_and_request_id()
    {
        var result = await ApplyAsync(Build(GroupShape.Reference(backends: 3)));
        AssertDone(result);

        var entries = Entries();
        Assert.Equal(result.MutatingCalls, entries.Count);
        Assert.All(entries, e =>
        {
            Assert.Equal("AwsCall", e.Event);
            Assert.Equal("INFO", e.Level);
            Assert.False(string.IsNullOrEmpty(e.AwsRequestId), $"{e.Operation} {e.ResourceId}: no request id");
            Assert.False(string.IsNullOrEmpty(e.ResourceType));
            Assert.False(string.IsNullOrEmpty(e.ResourceId));
            Assert.False(string.IsNullOrEmpty(e.Arn), $"{e.Operation} {e.ResourceId}: no ARN");
        });
        var byOperation = entries.GroupBy(static e => e.Operation).ToDictionary(static g => g.Key, static g => g.Count());
        foreach (var (key, count) in result.AwsCalls.Where(static c => c.Key.Contains(":Create", StringComparison.Ordinal)))
            Assert.Equal(count, byOperation.GetValueOrDefault(key[(key.IndexOf(':', StringComparison.Ordinal) + 1)..]));
        // Each field change of the result is logged once, with the call that made it.
        var logged = entries.SelectMany(static e => e.Changes.Select(f => Key(e.ResourceId, f))).Order(StringComparer.Ordinal).ToList();
        var changed = result.Changes.Where(static c => c.IsMutation).SelectMany(static c => c.Fields.Select(f => Key(c.ResourceId, f))).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(changed, logged);
        var lb = Assert.Single(entries, static e => e.Operation == "CreateLoadBalancer");
        Assert.StartsWith("arn:aws:elasticloadbalancing:", lb.Arn, StringComparison.Ordinal);
        Assert.Contains(lb.Changes, static f => f.Field == "scheme" && f.Before is null && f.After == "internet-facing");
        Assert.All(entries.Where(static e => e.Operation.EndsWith("Attributes", StringComparison.Ordinal)).SelectMany(static e => e.Changes),
            static f => Assert.StartsWith("attribute ", f.Field, StringComparison.Ordinal));
        var sg = Assert.Single(entries, static e => e.Operation == "CreateSecurityGroup" && e.ResourceId == ResourceIds.ManagedSecurityGroup);
        Assert.StartsWith("sg-", sg.Arn, StringComparison.Ordinal);
        Assert.Contains(entries, static e => e.Operation == "AuthorizeSecurityGroupIngress" && e.Changes.Count > 0 && e.Changes.All(static f => f.Field.StartsWith("ingress ", StringComparison.Ordinal) && f.After == "present"));
        Assert.Contains(entries, static e => e.Operation == "RegisterTargets" && e.Changes.Count > 0 && e.Changes.All(static f => f.After == "registered"));
    }

    [Fact]
    public async Task A_modification_logs_the_before_and_after_of_each_changed_field_with_the_call_that_changes_it()
    {
        var shape = GroupShape.Reference(backends: 2);
        AssertDone(await ApplyAsync(Build(shape)));
        _output.GetStringBuilder().Clear();
        var changed = shape with { LoadBalancerAttributes = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["idle_timeout.timeout_seconds"] = "120" } };

        var result = await ApplyAsync(Build(changed));
        AssertDone(result);

        testOutput.WriteLine(_output.ToString());
        var entries = Entries();
        Assert.Equal(result.MutatingCalls, entries.Count);
        var modify = Assert.Single(entries, static e => e.Operation == "ModifyLoadBalancerAttributes");
        Assert.Equal(ResourceTypes.LoadBalancer, modify.ResourceType);
        var field = Assert.Single(Assert.Single(result.Changes, static c => c.ResourceType == ResourceTypes.LoadBalancer).Fields);
        Assert.Equal("attribute idle_timeout.timeout_seconds", field.Field);
        Assert.Equal("120", field.After);
        Assert.Equal([field], modify.Changes);
        Assert.False(string.IsNullOrEmpty(modify.AwsRequestId));
        Assert.StartsWith("arn:aws:elasticloadbalancing:", modify.Arn, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_call_is_logged_with_its_error_code_and_request_id()
    {
        Canned = static r => r.Operation == "CreateTargetGroup" ? ElbError("TooManyTargetGroups", "You have reached the maximum number of target groups") : null;

        var result = await ApplyAsync(Build(GroupShape.Reference(backends: 1)));

        Assert.Equal(ReconcileKind.Failed, result.Reconcile.Kind);
        var failed = Assert.Single(Entries(), static e => e.Event == "AwsCallFailed");
        Assert.Equal("CreateTargetGroup", failed.Operation);
        Assert.Equal("WARN", failed.Level);
        Assert.Equal("TooManyTargetGroups", failed.ErrorCode);
        Assert.Equal("canned", failed.AwsRequestId);
    }
}
