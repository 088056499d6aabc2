using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
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

    public void Record(ResourceChange change) => Changes.Add(change);

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

    /// <summary>Runs one mutating call, logging before and after. Never called in plan mode.</summary>
    public async Task<T> CallAsync<T>(string operation, string resourceType, string resourceId, string? arn, Func<Task<T>> call)
    {
        if (!IsApply)
            throw new InvalidOperationException($"mutating call {operation} in plan mode");
        DeployLog.Before(Logger, operation, StackId, resourceType, resourceId, arn);
        try
        {
            var result = await call().ConfigureAwait(false);
            DeployLog.After(Logger, operation, StackId, resourceType, resourceId, arn);
            return result;
        }
        catch (AmazonServiceException ex)
        {
            DeployLog.Failed(Logger, operation, StackId, resourceType, resourceId, arn, ex.ErrorCode + ": " + ex.Message);
            throw;
        }
    }

    /// <summary>Runs one mutating call without a result.</summary>
    public Task CallAsync(string operation, string resourceType, string resourceId, string? arn, Func<Task> call) =>
        CallAsync<bool>(operation, resourceType, resourceId, arn, async () =>
        {
            await call().ConfigureAwait(false);
            return true;
        });
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
