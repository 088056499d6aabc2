using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Serverless.Model;

namespace Serverless.Deploy;

/// <summary>
/// A deploy result as text (like a Terraform plan) and as canonical JSON (sorted keys, the same approach as
/// <see cref="StackJson"/>: a JSON tree, no reflection).
/// </summary>
public static class PlanRenderer
{
    private static string Symbol(ChangeAction action) => action switch
    {
        ChangeAction.Create => "+",
        ChangeAction.Modify => "~",
        ChangeAction.Replace => "-/+",
        ChangeAction.Delete => "-",
        ChangeAction.Frozen => "=",
        ChangeAction.SkippedForeign => "?",
        _ => "!",
    };

    private static string Word(ChangeAction action) => action switch
    {
        ChangeAction.Create => "create",
        ChangeAction.Modify => "modify",
        ChangeAction.Replace => "replace",
        ChangeAction.Delete => "delete",
        ChangeAction.Frozen => "frozen",
        ChangeAction.SkippedForeign => "skipped-foreign",
        _ => "blocked",
    };

    /// <summary>One change as text lines (header and one line per field), without AWS call counts.</summary>
    public static string Render(ResourceChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"  {Symbol(change.Action),-3} {Short(change.ResourceType)} {change.ResourceId}");
        if (change.Arn is not null && change.Arn != change.ResourceId)
            sb.Append(CultureInfo.InvariantCulture, $" ({change.Arn})");
        if (change.Reason is not null)
            sb.Append(CultureInfo.InvariantCulture, $" # {change.Reason}");
        sb.Append('\n');
        foreach (var field in change.Fields)
            sb.Append(CultureInfo.InvariantCulture, $"        {field.Field}: {Quote(field.Before)} -> {Quote(field.After)}\n");
        return sb.ToString();
    }

    /// <summary>The change lines of a plan or apply, in order (what a plan and the apply after it must agree on).</summary>
    public static string RenderChanges(IEnumerable<ResourceChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return string.Concat(changes.Select(Render));
    }

    /// <summary>The changes, notes, reconcile result and DNS name of a result, without counts, Ingresses or calls.</summary>
    public static string RenderOutcome(DeployResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sb = new StringBuilder(RenderChanges(result.Changes));
        foreach (var note in result.Notes)
            sb.Append(CultureInfo.InvariantCulture, $"  note: {note}\n");
        sb.Append(CultureInfo.InvariantCulture, $"Result: {result.Reconcile}\n");
        if (result.DnsName is not null)
            sb.Append(CultureInfo.InvariantCulture, $"DNS name: {result.DnsName}; listener ports: {string.Join(",", result.ListenerPorts)}\n");
        return sb.ToString();
    }

    /// <summary>The whole result as a readable plan.</summary>
    public static string RenderText(DeployResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sb = new StringBuilder();
        var counts = result.Changes.GroupBy(static c => c.Action).ToDictionary(static g => g.Key, static g => g.Count());
        int Count(ChangeAction a) => counts.GetValueOrDefault(a);
        var verb = result.Mode == DeployMode.Plan ? "Plan" : "Applied";
        sb.Append(CultureInfo.InvariantCulture, $"{verb} for {(result.StackKind == StackKind.Service ? "Service stack" : "stack")} {result.Stack}: {Count(ChangeAction.Create)} to create, {Count(ChangeAction.Modify)} to modify, {Count(ChangeAction.Replace)} to replace, {Count(ChangeAction.Delete)} to delete");
        sb.Append(CultureInfo.InvariantCulture, $"; {Count(ChangeAction.Frozen)} frozen, {Count(ChangeAction.SkippedForeign)} foreign, {Count(ChangeAction.Blocked)} blocked\n");
        sb.Append(RenderOutcome(result));
        foreach (var ingress in result.Ingresses)
            sb.Append(CultureInfo.InvariantCulture, $"Ingress {ingress.Ingress}: {ingress.Status}{(ingress.Reason is null ? string.Empty : " (" + ingress.Reason + ")")}\n");
        sb.Append(CultureInfo.InvariantCulture, $"AWS calls: {result.TotalCalls} ({result.MutatingCalls} mutating)\n");
        foreach (var (operation, count) in result.AwsCalls)
            sb.Append(CultureInfo.InvariantCulture, $"  {operation}: {count}\n");
        return sb.ToString();
    }

    /// <summary>The whole result as canonical JSON.</summary>
    public static string RenderJson(DeployResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var changes = new JsonArray();
        foreach (var change in result.Changes)
        {
            var fields = new JsonArray();
            foreach (var field in change.Fields)
                fields.Add((JsonNode)new JsonObject { ["field"] = field.Field, ["before"] = field.Before, ["after"] = field.After });
            changes.Add((JsonNode)new JsonObject
            {
                ["action"] = Word(change.Action),
                ["resourceType"] = change.ResourceType,
                ["resourceId"] = change.ResourceId,
                ["arn"] = change.Arn,
                ["reason"] = change.Reason,
                ["fields"] = fields,
            });
        }
        var calls = new JsonObject();
        foreach (var (operation, count) in result.AwsCalls)
            calls[operation] = count;
        var ingresses = new JsonArray();
        foreach (var ingress in result.Ingresses)
            ingresses.Add((JsonNode)new JsonObject { ["ingress"] = ingress.Ingress, ["status"] = ingress.Status.ToString().ToLowerInvariant(), ["reason"] = ingress.Reason });
        var root = new JsonObject
        {
            ["stack"] = result.Stack,
            ["stackKind"] = result.StackKind == StackKind.Service ? "service" : "ingress-group",
            ["mode"] = result.Mode == DeployMode.Plan ? "plan" : "apply",
            ["reconcile"] = new JsonObject
            {
                ["kind"] = result.Reconcile.Kind switch
                {
                    ReconcileKind.Done => "done",
                    ReconcileKind.RequeueAfter => "requeue-after",
                    _ => "retry",
                },
                ["delaySeconds"] = result.Reconcile.Delay is { } d ? (JsonNode)d.TotalSeconds : null,
                ["reason"] = result.Reconcile.Reason,
            },
            ["changes"] = changes,
            ["notes"] = new JsonArray([.. result.Notes.Select(static n => (JsonNode?)JsonValue.Create(n))]),
            ["awsCalls"] = calls,
            ["dnsName"] = result.DnsName,
            ["listenerPorts"] = new JsonArray([.. result.ListenerPorts.Select(static p => (JsonNode?)JsonValue.Create(p))]),
            ["ingresses"] = ingresses,
            ["checkpointHit"] = result.CheckpointHit ? true : null,
        };
        return StackJson.Canonical(root);
    }

    private static string Short(string resourceType) => resourceType switch
    {
        ResourceTypes.SecurityGroup => "SecurityGroup",
        ResourceTypes.SecurityGroupRules => "SecurityGroupRules",
        ResourceTypes.LoadBalancer => "LoadBalancer",
        ResourceTypes.Listener => "Listener",
        ResourceTypes.ListenerRule => "ListenerRule",
        ResourceTypes.TargetGroup => "TargetGroup",
        ResourceTypes.TargetSet => "Targets",
        ResourceTypes.WebAclAssociation => "WebACLAssociation",
        _ => resourceType,
    };

    private static string Quote(string? value) => value is null ? "(none)" : "\"" + value + "\"";
}
