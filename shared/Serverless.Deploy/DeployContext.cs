using System.Diagnostics;
using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Wafv2;
using Serverless.Model;

namespace Serverless.Deploy;

/// <summary>
/// What one deploy shares between its synthesizers: the clients, the desired stack, the change list, and the IDs and
/// ARNs that references resolve to (existing ones, or new ones as they are created; placeholders in plan mode).
/// </summary>
internal sealed class DeployContext
{
    public DeployContext(Stack desired, DeployOptions options, IElasticLoadBalancingV2Client elb, IEc2Gateway ec2, IWafv2Client waf, ILogger logger, TimeProvider? time = null)
    {
        Time = time ?? TimeProvider.System;
        Desired = desired;
        Options = options;
        Elb = elb;
        Ec2 = ec2;
        Waf = waf;
        Logger = logger;
        StackId = desired.Id.ToString();
        FrozenOwners = new HashSet<string>(desired.FrozenOwners, StringComparer.Ordinal);
    }

    public Stack Desired { get; }

    public DeployOptions Options { get; }

    public IElasticLoadBalancingV2Client Elb { get; }

    public IEc2Gateway Ec2 { get; }

    public IWafv2Client Waf { get; }

    public ILogger Logger { get; }

    public TimeProvider Time { get; }

    public List<string> Warnings { get; } = [];

    public string StackId { get; }

    public string Cluster => Options.ClusterName;

    public bool IsApply => Options.Mode == DeployMode.Apply;

    public HashSet<string> FrozenOwners { get; }

    public List<ResourceChange> Changes { get; } = [];

    public List<string> Notes { get; } = [];

    /// <summary>The first "come back later" reason (requeue or blocked), if any.</summary>
    public ReconcileResult? Deferred { get; private set; }

    public string? LoadBalancerArn { get; set; }

    public string? ManagedSecurityGroupId { get; set; }

    public string? BackendSecurityGroupId { get; set; }

    public Dictionary<string, string> TargetGroupArns { get; } = new(StringComparer.Ordinal);

    public Dictionary<int, string> ListenerArns { get; } = [];

    /// <summary>How a target group ARN is shown in a plan: its resource ID, marked <c>(new)</c> when created by this run.</summary>
    public Dictionary<string, string> TargetGroupDisplay { get; } = new(StringComparer.Ordinal);

    public void Defer(ReconcileResult result) => Deferred ??= result;

    /// <summary>Records a change and logs the calls that made it.</summary>
    public void Record(ResourceChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        Changes.Add(change);
        WriteCallsOf(change);
    }

    public void Note(string note) => Notes.Add(note);

    public static string Placeholder(string resourceType, string resourceId) => $"(known after apply: {resourceType} {resourceId})";

    public static bool IsPlaceholder(string? arn) => arn is not null && arn.StartsWith("(known after apply", StringComparison.Ordinal);

    /// <summary>The ARN or ID a reference stands for, now.</summary>
    public string Resolve(StringOrRef value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Value is not null)
            return value.Value;
        var reference = value.Ref!;
        string? resolved = reference.ResourceType switch
        {
            ResourceTypes.LoadBalancer => LoadBalancerArn,
            ResourceTypes.SecurityGroup when reference.ResourceId == ResourceIds.ManagedSecurityGroup => ManagedSecurityGroupId,
            ResourceTypes.SecurityGroup when reference.ResourceId == ResourceIds.BackendSecurityGroup => BackendSecurityGroupId,
            ResourceTypes.Listener => int.TryParse(reference.ResourceId, out var port) && ListenerArns.TryGetValue(port, out var l) ? l : null,
            ResourceTypes.TargetGroup => TargetGroupArns.GetValueOrDefault(reference.ResourceId),
            _ => null,
        };
        return resolved ?? throw new InvalidOperationException($"stack {StackId}: reference {reference.Pointer} does not resolve (the resource is not in the stack)");
    }

    /// <summary>A security group ID as a plan shows it: the stack's groups by resource ID.</summary>
    public string ShowSecurityGroup(string id) =>
        id == ManagedSecurityGroupId ? "sg:" + ResourceIds.ManagedSecurityGroup : id == BackendSecurityGroupId ? "sg:" + ResourceIds.BackendSecurityGroup : id;

    /// <summary>A target group ARN as a plan shows it.</summary>
    public string Show(string arn) => TargetGroupDisplay.TryGetValue(arn, out var shown) ? shown : arn;

    /// <summary>
    /// Runs one mutating call (never in plan mode) and logs it: a debug entry when it starts; when it succeeds, one
    /// entry with its request id and the field changes it made, written once the change is recorded (see
    /// <see cref="Record"/>); when it fails, one entry at once with the error code and request id.
    /// </summary>
    public async Task<T> CallAsync<T>(string operation, string resourceType, string resourceId, string? arn, Func<Task<T>> call)
    {
        if (!IsApply)
            throw new InvalidOperationException($"mutating call {operation} in plan mode");
        DeployLog.Before(Logger, operation, StackId, resourceType, resourceId, arn);
        var requestId = AwsRequestIds.Capture();
        var started = Stopwatch.GetTimestamp();
        T result;
        try
        {
            result = await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            FlushCalls();
            var (code, id) = ex is AmazonServiceException aws ? (aws.ErrorCode ?? aws.GetType().Name, aws.RequestId) : (ex.GetType().Name, null);
            DeployLog.CallFailed(Logger, operation, StackId, resourceType, resourceId, arn, code, ex.Message, string.IsNullOrEmpty(id) ? requestId.Value : id);
            throw;
        }
        var response = result as AmazonWebServiceResponse;
        _pendingCalls.Add(new MadeCall(operation, resourceType, resourceId, arn ?? CreatedArn(result),
            response?.ResponseMetadata?.RequestId is { Length: > 0 } rid ? rid : requestId.Value, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds));
        return result;
    }

    /// <summary>Runs one mutating call without a result.</summary>
    public Task CallAsync(string operation, string resourceType, string resourceId, string? arn, Func<Task> call) =>
        CallAsync<bool>(operation, resourceType, resourceId, arn, async () =>
        {
            await call().ConfigureAwait(false);
            return true;
        });

    /// <summary>
    /// Logs the calls not logged yet: each with the fields of the last recorded change of its resource that its
    /// operation makes and no earlier call claimed (deregistrations recorded before they run, for instance). Called
    /// when a deploy ends and before a failed call is logged.
    /// </summary>
    public void FlushCalls()
    {
        foreach (var made in _pendingCalls)
        {
            var change = Changes.LastOrDefault(c => c.ResourceId == made.ResourceId);
            var fields = change is null ? [] : Unclaimed(change).Where(f => Makes(made.Operation, f)).ToList();
            if (change is not null)
                Claim(change, fields);
            Write(made, fields);
        }
        _pendingCalls.Clear();
    }

    private readonly List<MadeCall> _pendingCalls = [];
    private readonly Dictionary<ResourceChange, HashSet<FieldChange>> _claimed = new(ReferenceEqualityComparer.Instance);

    private sealed record MadeCall(string Operation, string ResourceType, string ResourceId, string? Arn, string? RequestId, long ElapsedMs);

    /// <summary>
    /// Logs the calls made for <paramref name="change"/>'s resource since its previous record, each with the field
    /// changes it makes: a field named for one operation goes to the first such call (tags to AddTags/RemoveTags,
    /// attributes to Modify…Attributes, ingress rules, certificates and targets to the calls that add or remove them,
    /// security groups, subnets and IP address type to their Set… calls, priorities to SetRulePriorities); every
    /// other field goes to the first remaining call (the Create…, Modify… or Delete… call of the resource).
    /// </summary>
    private void WriteCallsOf(ResourceChange change)
    {
        var calls = _pendingCalls.Where(c => c.ResourceId == change.ResourceId).ToList();
        if (calls.Count == 0)
            return;
        _pendingCalls.RemoveAll(c => c.ResourceId == change.ResourceId);
        var assigned = calls.Select(static _ => new List<FieldChange>()).ToList();
        var general = Math.Max(0, calls.FindIndex(static c => Specific(c.Operation) is null));
        foreach (var field in change.Fields)
        {
            var maker = calls.FindIndex(c => Makes(c.Operation, field));
            assigned[maker >= 0 ? maker : general].Add(field);
        }
        Claim(change, change.Fields);
        for (var i = 0; i < calls.Count; i++)
            Write(calls[i], assigned[i]);
    }

    private void Write(MadeCall made, IReadOnlyList<FieldChange> fields) =>
        DeployLog.Call(Logger, made.Operation, StackId, made.ResourceType, made.ResourceId, made.Arn,
            fields.Count == 0 ? LoggedChanges.None : new LoggedChanges(fields), made.RequestId, made.ElapsedMs);

    private IEnumerable<FieldChange> Unclaimed(ResourceChange change) =>
        _claimed.TryGetValue(change, out var claimed) ? change.Fields.Where(f => !claimed.Contains(f)) : change.Fields;

    private void Claim(ResourceChange change, IEnumerable<FieldChange> fields)
    {
        if (!_claimed.TryGetValue(change, out var claimed))
            _claimed[change] = claimed = new HashSet<FieldChange>(ReferenceEqualityComparer.Instance);
        claimed.UnionWith(fields);
    }

    /// <summary>Which fields an operation that makes only some kinds of fields makes; null for any other operation.</summary>
    private static Func<FieldChange, bool>? Specific(string operation) => operation switch
    {
        "AddTags" => static f => f.Field.StartsWith("tag ", StringComparison.Ordinal) && f.After is not null,
        "RemoveTags" => static f => f.Field.StartsWith("tag ", StringComparison.Ordinal) && f.After is null,
        "SetSecurityGroups" => static f => f.Field is "securityGroups" or "enforceSecurityGroupInboundRulesOnPrivateLinkTraffic",
        "SetSubnets" => static f => f.Field is "subnets" or "subnetMappings",
        "SetIpAddressType" => static f => f.Field == "ipAddressType",
        "SetRulePriorities" => static f => f.Field == "priority",
        "AddListenerCertificates" => static f => f.Field.StartsWith("certificate ", StringComparison.Ordinal) && f.After is not null,
        "RemoveListenerCertificates" => static f => f.Field.StartsWith("certificate ", StringComparison.Ordinal) && f.After is null,
        "RegisterTargets" => static f => f.Field.StartsWith("target ", StringComparison.Ordinal) && f.After is not null,
        "DeregisterTargets" => static f => f.Field.StartsWith("target ", StringComparison.Ordinal) && f.After is null,
        "AuthorizeSecurityGroupIngress" => static f => f.Field.StartsWith("ingress ", StringComparison.Ordinal) && f.After is not null,
        "RevokeSecurityGroupIngress" => static f => f.Field.StartsWith("ingress ", StringComparison.Ordinal) && f.After is null,
        _ when operation.StartsWith("Modify", StringComparison.Ordinal) && operation.EndsWith("Attributes", StringComparison.Ordinal) =>
            static f => f.Field.StartsWith("attribute ", StringComparison.Ordinal),
        _ => null,
    };

    private static bool Makes(string operation, FieldChange field) => Specific(operation) is { } makes && makes(field);

    /// <summary>The ARN (or id) a create call's response names.</summary>
    private static string? CreatedArn(object? result) => result switch
    {
        string id => id,
        CreateLoadBalancerResponse r => r.LoadBalancers?.FirstOrDefault()?.LoadBalancerArn,
        CreateTargetGroupResponse r => r.TargetGroups?.FirstOrDefault()?.TargetGroupArn,
        CreateListenerResponse r => r.Listeners?.FirstOrDefault()?.ListenerArn,
        CreateRuleResponse r => r.Rules?.FirstOrDefault()?.RuleArn,
        _ => null,
    };
}

/// <summary>One matcher for every synthesizer: pairs desired and actual resources by key.</summary>
internal static class ResourceMatcher
{
    public sealed record Result<TDesired, TActual>(
        List<(TDesired Desired, TActual Actual)> Matched,
        List<TDesired> OnlyDesired,
        List<TActual> OnlyActual);

    /// <summary>
    /// Pairs each desired item with the first unpaired actual item of equal key (ordinal); what is left on either side
    /// is only-desired or only-actual. Items with a null key never pair.
    /// </summary>
    public static Result<TDesired, TActual> Match<TDesired, TActual>(
        IEnumerable<TDesired> desired,
        IEnumerable<TActual> actual,
        Func<TDesired, string?> desiredKey,
        Func<TActual, string?> actualKey)
    {
        var pool = new Dictionary<string, Queue<TActual>>(StringComparer.Ordinal);
        var unkeyed = new List<TActual>();
        var actualList = actual.ToList();
        foreach (var a in actualList)
        {
            var key = actualKey(a);
            if (key is null)
            {
                unkeyed.Add(a);
                continue;
            }
            if (!pool.TryGetValue(key, out var queue))
                pool[key] = queue = new Queue<TActual>();
            queue.Enqueue(a);
        }
        var matched = new List<(TDesired, TActual)>();
        var onlyDesired = new List<TDesired>();
        var used = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var d in desired)
        {
            var key = desiredKey(d);
            if (key is not null && pool.TryGetValue(key, out var queue) && queue.Count > 0)
            {
                var a = queue.Dequeue();
                matched.Add((d, a));
                used.Add(a!);
            }
            else
            {
                onlyDesired.Add(d);
            }
        }
        var onlyActual = actualList.Where(a => !used.Contains(a!)).ToList();
        return new Result<TDesired, TActual>(matched, onlyDesired, onlyActual);
    }
}
