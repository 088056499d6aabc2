using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Deploy;
using Serverless.Kubernetes.Bindings;
using Serverless.Model;

namespace Serverless.Bindings;

/// <summary>A target group as a binding sees it: found by ARN or name, never changed.</summary>
/// <param name="Arn">The ARN.</param>
/// <param name="Name">The name.</param>
/// <param name="VpcId">Its VPC.</param>
/// <param name="TargetType"><c>instance</c>, <c>ip</c>, <c>lambda</c> or <c>alb</c>.</param>
/// <param name="IpAddressType"><c>ipv4</c> or <c>ipv6</c>.</param>
/// <param name="Tags">Its tags (who owns it).</param>
public sealed record BindingTargetGroup(string Arn, string Name, string? VpcId, string TargetType, string IpAddressType, IReadOnlyDictionary<string, string> Tags)
{
    /// <summary>
    /// The stack of ours that owns the group (<c>elbv2.k8s.aws/cluster</c> = <paramref name="clusterName"/> plus an
    /// Ingress or Service stack tag), as <c>Ingress group x</c> / <c>Service ns/name</c>; null when no stack of this
    /// cluster owns it.
    /// </summary>
    public string? OwningStack(string clusterName)
    {
        if (!Tags.TryGetValue(TrackingTags.Cluster, out var cluster) || cluster != clusterName)
            return null;
        if (Tags.TryGetValue(TrackingTags.ServiceStack, out var service))
            return "Service " + service;
        return Tags.TryGetValue(TrackingTags.Stack, out var group) ? "Ingress group " + group : null;
    }
}

/// <summary>The target group a binding names, or why it cannot be used.</summary>
/// <param name="TargetGroup">The group, or null.</param>
/// <param name="Error">Why there is none (naming the binding, the field and the value), or null.</param>
/// <param name="NotFound">True when AWS says the group does not exist (a cleanup treats it as done).</param>
public sealed record TargetGroupLookup(BindingTargetGroup? TargetGroup, string? Error, bool NotFound = false);

/// <summary>How a binding's targets are deployed.</summary>
public sealed record BindingDeployOptions
{
    /// <summary>Plan (no write anywhere) or apply.</summary>
    public DeployMode Mode { get; init; } = DeployMode.Apply;

    /// <summary>The cluster's VPC: the target group's VPC when <c>spec.vpcID</c> is not set.</summary>
    public required string ClusterVpcId { get; init; }

    /// <summary>Targets per RegisterTargets/DeregisterTargets call (upstream: 200).</summary>
    public int TargetBatchSize { get; init; } = 200;
}

/// <summary>
/// Writes the multi-cluster ledger (annotation <see cref="BindingDeployer.LedgerAnnotation"/>) on the binding:
/// <paramref name="compute"/> gets the current value (null when absent) and returns the new one (null removes it).
/// </summary>
public delegate Task LedgerWriter(Func<string?, string?> compute, CancellationToken cancellationToken);

/// <summary>What the <c>spec.networking</c> step needs besides the binding and its targets.</summary>
/// <param name="TargetType">The effective target type.</param>
/// <param name="Nodes">Every node (an ip target's interface is looked up among the nodes' instances).</param>
/// <param name="ClusterName">The cluster: an interface with several security groups uses the one tagged <c>kubernetes.io/cluster/&lt;cluster&gt;</c>.</param>
/// <param name="Rules">The binding's rules ledger: what it created, so it can revoke it (null: rules are only added).</param>
public sealed record BindingNetworkInput(string TargetType, IReadOnlyList<k8s.Models.V1Node> Nodes, string ClusterName, BindingRulesInput? Rules = null);

/// <summary>What one deploy of a binding's targets read and did.</summary>
public sealed record BindingDeployResult
{
    /// <summary>The deploy result every reconcile reports (changes, calls, result).</summary>
    public required DeployResult Deploy { get; init; }

    /// <summary>The target group's ARN (null when it was not found).</summary>
    public string? TargetGroupArn { get; init; }

    /// <summary>The target health read before any change (draining targets included).</summary>
    public IReadOnlyList<TargetHealthDescription> Health { get; init; } = [];

    /// <summary>Targets (<c>id:port</c>) registered by this deploy.</summary>
    public IReadOnlyList<string> Registered { get; init; } = [];

    /// <summary>Targets (<c>id:port</c>) deregistered by this deploy.</summary>
    public IReadOnlyList<string> Deregistered { get; init; } = [];
}

/// <summary>
/// The only code of a binding that calls AWS. It never modifies the target group itself: it calls only
/// <c>DescribeTargetGroups</c>, <c>DescribeTags</c>, <c>DescribeTargetHealth</c>, <c>RegisterTargets</c> and
/// <c>DeregisterTargets</c> (and EC2 <c>DescribeVpcs</c> for the VPC's CIDRs). New targets are registered before
/// old ones are deregistered (upstream deregisters first, leaving a gap). Draining targets count as gone.
/// Ownership: without <c>multiClusterTargetGroup</c> the binding owns every target of the group; with it, only the
/// targets its ledger (an annotation on the binding) names — written as union(ledger, desired) before registering and
/// as exactly the desired set after deregistering; no ledger yet means nothing is deregistered.
/// </summary>
public sealed partial class BindingDeployer
{
    /// <summary>The multi-cluster ledger: the sorted, comma-separated <c>id:port</c> of every target this binding registered.</summary>
    public const string LedgerAnnotation = "serverless.elbv2.k8s.aws/registered-targets";

    private readonly IElasticLoadBalancingV2Client _elb;
    private readonly IEc2Gateway _ec2;
    private readonly AwsCallRecorder? _recorder;
    private readonly ILogger _logger;

    /// <param name="elb">The ELBv2 client.</param>
    /// <param name="ec2">The EC2 gateway (VPC CIDRs).</param>
    /// <param name="recorder">The recorder the clients count their calls in (for the result's call counts), or null.</param>
    /// <param name="logger">The log: one entry per mutating call.</param>
    public BindingDeployer(IElasticLoadBalancingV2Client elb, IEc2Gateway ec2, AwsCallRecorder? recorder = null, ILogger? logger = null)
    {
        _elb = elb ?? throw new ArgumentNullException(nameof(elb));
        _ec2 = ec2 ?? throw new ArgumentNullException(nameof(ec2));
        _recorder = recorder;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// The target group the binding names: by ARN (<c>TargetGroupArns=[arn]</c>) or by name (<c>Names=[name]</c>,
    /// exactly one match), with its tags. Errors are values.
    /// </summary>
    public async Task<TargetGroupLookup> FindTargetGroupAsync(TargetGroupBinding binding, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(binding);
        var byArn = binding.Spec.TargetGroupArn is not null;
        var field = byArn ? "spec.targetGroupARN" : "spec.targetGroupName";
        var value = binding.Spec.TargetGroupReference;
        List<TargetGroup> groups;
        try
        {
            var response = await _elb.DescribeTargetGroupsAsync(byArn
                ? new DescribeTargetGroupsRequest { TargetGroupArns = [value] }
                : new DescribeTargetGroupsRequest { Names = [value] }, cancellationToken).ConfigureAwait(false);
            groups = response.TargetGroups ?? [];
        }
        catch (ElasticLoadBalancingV2Exception ex) when (ex.IsTargetGroupNotFound)
        {
            groups = [];
        }
        catch (AwsServiceException ex)
        {
            return new(null, $"{binding.Description}: {field} \"{value}\": DescribeTargetGroups failed: {ex.ErrorCode}: {ex.Message}");
        }
        if (groups.Count == 0)
            return new(null, $"{binding.Description}: {field} \"{value}\": no such target group", NotFound: true);
        if (groups.Count > 1)
            return new(null, $"{binding.Description}: {field} \"{value}\": expecting a single target group but got {groups.Count}");
        var group = groups[0];
        Dictionary<string, string> tags = new(StringComparer.Ordinal);
        try
        {
            var described = await _elb.DescribeTagsAsync(new DescribeTagsRequest { ResourceArns = [group.TargetGroupArn!] }, cancellationToken).ConfigureAwait(false);
            foreach (var tag in described.TagDescriptions?.FirstOrDefault()?.Tags ?? [])
            {
                if (tag.Key is { } key)
                    tags[key] = tag.Value ?? string.Empty;
            }
        }
        catch (AwsServiceException ex)
        {
            return new(null, $"{binding.Description}: {field} \"{value}\": DescribeTags failed: {ex.ErrorCode}: {ex.Message}");
        }
        return new(new BindingTargetGroup(group.TargetGroupArn!, group.TargetGroupName ?? string.Empty, group.VpcId,
            group.TargetType ?? "instance", string.IsNullOrEmpty(group.IpAddressType) ? "ipv4" : group.IpAddressType, tags), null);
    }

    /// <summary>
    /// Why <paramref name="group"/> cannot take this binding's targets (its VPC is not <c>spec.vpcID</c>, or the
    /// cluster's VPC when that is not set; its target type or address family differs from the spec's), or null.
    /// </summary>
    public static string? Mismatch(TargetGroupBinding binding, BindingTargetGroup group, string clusterVpcId)
    {
        ArgumentNullException.ThrowIfNull(binding);
        ArgumentNullException.ThrowIfNull(group);
        var spec = binding.Spec;
        var (vpcField, wanted) = spec.VpcId is { } vpc ? ("spec.vpcID", vpc) : ("the cluster's VPC", clusterVpcId);
        if (!string.Equals(group.VpcId, wanted, StringComparison.Ordinal))
            return $"{binding.Description}: {vpcField} \"{wanted}\" does not match the VPC \"{group.VpcId}\" of target group {group.Arn}";
        if (spec.TargetType is { } type && type != group.TargetType)
            return $"{binding.Description}: spec.targetType \"{type}\" does not match the target type \"{group.TargetType}\" of target group {group.Arn}";
        if (spec.TargetType is null && group.TargetType is not ("instance" or "ip"))
            return $"{binding.Description}: target group {group.Arn} has target type \"{group.TargetType}\"; only instance and ip are supported";
        if (spec.IpAddressType is { } family && family != group.IpAddressType)
            return $"{binding.Description}: spec.ipAddressType \"{family}\" does not match the address type \"{group.IpAddressType}\" of target group {group.Arn}";
        return null;
    }

    /// <summary>The IPv4 and IPv6 CIDRs of <paramref name="vpcId"/> (for <c>AvailabilityZone: all</c>).</summary>
    public async Task<IReadOnlyList<string>> VpcCidrsAsync(string vpcId, CancellationToken cancellationToken = default)
    {
        var vpc = await _ec2.DescribeVpcAsync(vpcId, cancellationToken).ConfigureAwait(false);
        return [.. vpc.CidrBlocks, .. vpc.Ipv6CidrBlocks];
    }

    /// <summary>
    /// Makes the group's targets (of this binding's ownership) the desired ones: register the missing, then
    /// deregister the stale. <paramref name="ledger"/> is the binding's current ledger annotation value (null when
    /// absent); <paramref name="writeLedger"/> writes it (multi-cluster only). AWS errors are a Failed result.
    /// </summary>
    /// <remarks>
    /// With <paramref name="network"/> and a <c>spec.networking</c>, the declared rules are first authorized on the
    /// targets' security groups (missing ones only, described <see cref="BindingSecurityRules.Description"/>); a failure
    /// there fails the result but does not stop the targets.
    /// </remarks>
    public Task<BindingDeployResult> DeployAsync(TargetGroupBinding binding, BindingTargetGroup group, IReadOnlyList<DesiredTarget> desired, string? ledger, LedgerWriter writeLedger, BindingDeployOptions options, CancellationToken cancellationToken = default, BindingNetworkInput? network = null)
    {
        ArgumentNullException.ThrowIfNull(desired);
        return RunAsync(binding, group, desired, ledger, writeLedger, options, cleanup: false, cancellationToken, network);
    }

    /// <summary>
    /// Deregisters this binding's targets (multi-cluster: only those in its ledger) and leaves the group;
    /// <c>TargetGroupNotFound</c> and <c>InvalidTarget</c> count as done.
    /// </summary>
    public Task<BindingDeployResult> DestroyAsync(TargetGroupBinding binding, BindingTargetGroup group, string? ledger, LedgerWriter writeLedger, BindingDeployOptions options, CancellationToken cancellationToken = default, BindingNetworkInput? network = null) =>
        RunAsync(binding, group, [], ledger, writeLedger, options, cleanup: true, cancellationToken, network);

    /// <summary>Parses a ledger value: the set of <c>id:port</c> keys, or null when there is no ledger.</summary>
    public static IReadOnlySet<string>? ParseLedger(string? value) =>
        value is null ? null : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);

    /// <summary>A ledger value: the keys sorted (ordinal), comma-separated.</summary>
    public static string FormatLedger(IEnumerable<string> keys) => string.Join(',', keys.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

    private async Task<BindingDeployResult> RunAsync(TargetGroupBinding binding, BindingTargetGroup group, IReadOnlyList<DesiredTarget> desired, string? ledger, LedgerWriter writeLedger, BindingDeployOptions options, bool cleanup, CancellationToken ct, BindingNetworkInput? network = null)
    {
        ArgumentNullException.ThrowIfNull(binding);
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(writeLedger);
        ArgumentNullException.ThrowIfNull(options);
        var before = _recorder?.Calls ?? new Dictionary<string, long>();
        var changes = new List<ResourceChange>();
        var registered = new List<string>();
        var deregistered = new List<string>();
        IReadOnlyList<TargetHealthDescription> health = [];
        ReconcileResult result;
        string? networkError = null;
        var rulesLedger = new HashSet<string>(ParseLedger(network?.Rules?.Ledger) ?? new HashSet<string>(), StringComparer.Ordinal);
        HashSet<string>? wantedRules = null;
        try
        {
            if (network is not null && binding.Spec.Networking is not null && desired.Count > 0)
            {
                wantedRules = new HashSet<string>(StringComparer.Ordinal);
                networkError = await AuthorizeNetworkingAsync(binding, desired, network, options.Mode, changes, wantedRules, rulesLedger, ct).ConfigureAwait(false);
                if (networkError is not null)
                    wantedRules = null;
            }
            health = await DescribeHealthAsync(group.Arn, ct).ConfigureAwait(false);
            var current = health
                .Where(static h => h.Target?.Id is not null && h.TargetHealth?.State != "draining")
                .Select(static h => (Key: BindingTargets.Key(h.Target!.Id!, h.Target.Port ?? 0), h.Target))
                .GroupBy(static t => t.Key, StringComparer.Ordinal)
                .ToDictionary(static g => g.Key, static g => g.First().Target, StringComparer.Ordinal);
            var wanted = desired.GroupBy(static d => d.Key, StringComparer.Ordinal).ToDictionary(static g => g.Key, static g => g.First().Target, StringComparer.Ordinal);
            var multi = binding.Spec.MultiClusterTargetGroup;
            var owned = ParseLedger(ledger);
            var register = wanted.Where(w => !current.ContainsKey(w.Key)).OrderBy(static w => w.Key, StringComparer.Ordinal).ToList();
            var deregister = current.Keys
                .Where(k => !wanted.ContainsKey(k) && (!multi || owned?.Contains(k) == true))
                .Order(StringComparer.Ordinal).ToList();

            if (register.Count > 0 || deregister.Count > 0)
            {
                changes.Add(new ResourceChange(ChangeAction.Modify, ResourceTypes.TargetSet, binding.Key, group.Arn,
                    [.. register.Select(static r => new FieldChange("target " + r.Key, null, "registered")),
                     .. deregister.Select(static d => new FieldChange("target " + d, "registered", null))]));
            }
            if (options.Mode == DeployMode.Apply)
            {
                // The ledger first names every target about to be registered, so a crash between the two never
                // leaves a target of ours that the ledger does not know.
                if (multi)
                    await writeLedger(old => FormatLedger((ParseLedger(old) ?? new HashSet<string>()).Union(wanted.Keys)), ct).ConfigureAwait(false);
                foreach (var batch in register.Chunk(Math.Max(1, options.TargetBatchSize)))
                {
                    var targets = batch.Select(static r => new TargetDescription { Id = r.Value.Id, Port = r.Value.Port, AvailabilityZone = r.Value.AvailabilityZone }).ToList();
                    await CallAsync(binding, group.Arn, "RegisterTargets", batch.Select(static r => r.Key).ToList(),
                        () => _elb.RegisterTargetsAsync(new RegisterTargetsRequest { TargetGroupArn = group.Arn, Targets = targets }, ct)).ConfigureAwait(false);
                    registered.AddRange(batch.Select(static r => r.Key));
                }
                foreach (var batch in deregister.Chunk(Math.Max(1, options.TargetBatchSize)))
                {
                    var targets = batch.Select(k => new TargetDescription { Id = current[k].Id, Port = current[k].Port }).ToList();
                    try
                    {
                        await CallAsync(binding, group.Arn, "DeregisterTargets", batch,
                            () => _elb.DeregisterTargetsAsync(new DeregisterTargetsRequest { TargetGroupArn = group.Arn, Targets = targets }, ct)).ConfigureAwait(false);
                    }
                    catch (ElasticLoadBalancingV2Exception ex) when (ex.IsInvalidTarget)
                    {
                        // Already gone (an instance terminated since the health was read): nothing to deregister.
                    }
                    deregistered.AddRange(batch);
                }
                if (multi)
                    await writeLedger(_ => cleanup ? null : FormatLedger(wanted.Keys), ct).ConfigureAwait(false);
            }
            // Rules go after the targets that needed them (revoke after deregister).
            if (network?.Rules is { } rulesInput)
                await RevokeStaleRulesAsync(binding, rulesInput, rulesLedger, wantedRules, cleanup, options.Mode, changes, ct).ConfigureAwait(false);
            result = networkError is null ? ReconcileResult.Done : ReconcileResult.Failed(networkError);
        }
        catch (ElasticLoadBalancingV2Exception ex) when (cleanup && ex.IsTargetGroupNotFound)
        {
            result = ReconcileResult.Done;
        }
        catch (AwsServiceException ex)
        {
            result = ReconcileResult.Failed($"{binding.Description}: target group {group.Arn}: {ex.ErrorCode}: {ex.Message}");
        }
        catch (Kubernetes.Api.KubernetesApiException ex)
        {
            result = ReconcileResult.Failed($"{binding.Description}: writing annotation {LedgerAnnotation}: {ex.Message}");
        }
        return new BindingDeployResult
        {
            Deploy = new DeployResult
            {
                Stack = binding.Key,
                StackKind = StackKind.TargetGroupBinding,
                Mode = options.Mode,
                Reconcile = result,
                Changes = changes,
                AwsCalls = CallsSince(before),
            },
            TargetGroupArn = group.Arn,
            Health = health,
            Registered = registered,
            Deregistered = deregistered,
        };
    }

    // Authorizes the declared rules missing on the targets' security groups; returns why it could not, or null.
    // wanted gets the ledger entry of every declared rule on every group; ledger gets those this call creates.
    private async Task<string?> AuthorizeNetworkingAsync(TargetGroupBinding binding, IReadOnlyList<DesiredTarget> desired, BindingNetworkInput network, DeployMode mode, List<ResourceChange> changes, HashSet<string> wanted, HashSet<string> ledger, CancellationToken ct)
    {
        var rules = BindingSecurityRules.Rules(binding, [.. desired.Select(static d => d.Target.Port)]);
        if (rules.Count == 0)
            return null;
        var instanceIds = BindingSecurityRules.Instances(network.TargetType, desired, network.Nodes);
        if (instanceIds.Count == 0)
            return $"{binding.Description}: spec.networking: no node instance to find the targets' security group on";
        try
        {
            var instances = await _ec2.DescribeInstancesAsync(instanceIds, ct).ConfigureAwait(false);
            var (interfaces, error) = BindingSecurityRules.TargetInterfaces(binding, network.TargetType, desired, instances);
            if (error is not null)
                return error;
            var groups = new SortedSet<string>(StringComparer.Ordinal);
            var clusterTag = Ec2TagKeys.Cluster(network.ClusterName);
            foreach (var (eni, ids) in interfaces)
            {
                if (ids.Count == 1)
                {
                    groups.Add(ids[0]);
                    continue;
                }
                var tagged = (await _ec2.DescribeSecurityGroupsAsync(ids, ct).ConfigureAwait(false)).Where(g => g.Tags.ContainsKey(clusterTag)).ToList();
                if (tagged.Count != 1)
                    return $"{binding.Description}: spec.networking: network interface {eni} has security groups {string.Join(", ", ids)} and {tagged.Count} of them tagged {clusterTag} (expected exactly one)";
                groups.Add(tagged[0].GroupId);
            }
            foreach (var sg in groups)
            {
                wanted.UnionWith(rules.Select(r => RuleKey(sg, r)));
                var current = (await _ec2.DescribeSecurityGroupsAsync([sg], ct).ConfigureAwait(false)).Single().Ingress.Select(static r => r.WithoutDescription()).ToHashSet();
                var missing = rules.Where(r => !current.Contains(r.WithoutDescription())).ToList();
                if (missing.Count == 0)
                    continue;
                changes.Add(new ResourceChange(ChangeAction.Modify, ResourceTypes.SecurityGroup, sg, sg,
                    [.. missing.Select(static r => new FieldChange("ingress " + Show(r), null, "authorized"))]));
                if (mode == DeployMode.Apply)
                {
                    // The ledger names a rule before it exists, so a crash never leaves one of ours it does not know.
                    var created = missing.Select(r => RuleKey(sg, r)).ToList();
                    if (network.Rules is { } rulesInput)
                        await rulesInput.Write(old => FormatLedger((ParseLedger(old) ?? new HashSet<string>()).Union(created)), ct).ConfigureAwait(false);
                    ledger.UnionWith(created);
                    await CallAsync(binding, sg, "AuthorizeSecurityGroupIngress", [.. missing.Select(Show)],
                        async () => { await _ec2.AuthorizeIngressAsync(sg, missing, ct).ConfigureAwait(false); return true; }).ConfigureAwait(false);
                }
            }
            return null;
        }
        catch (AwsServiceException ex)
        {
            return $"{binding.Description}: spec.networking: {ex.ErrorCode}: {ex.Message}";
        }
    }

    private static string Show(IngressRule rule) =>
        $"{rule.Protocol}/{(rule.FromPort == rule.ToPort ? $"{rule.FromPort}" : $"{rule.FromPort}-{rule.ToPort}")} from {rule.SourceSecurityGroupId ?? rule.CidrIpv4 ?? rule.CidrIpv6}";

    private async Task<IReadOnlyList<TargetHealthDescription>> DescribeHealthAsync(string arn, CancellationToken ct)
    {
        var response = await _elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = arn }, ct).ConfigureAwait(false);
        return response.TargetHealthDescriptions ?? [];
    }

    private async Task CallAsync<T>(TargetGroupBinding binding, string resource, string operation, IReadOnlyList<string> targets, Func<Task<T>> call)
    {
        var started = Stopwatch.GetTimestamp();
        var list = string.Join(",", targets);
        try
        {
            await call().ConfigureAwait(false);
            Log.Call(_logger, operation, binding.Key, resource, list, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (AwsServiceException ex)
        {
            Log.CallFailed(_logger, operation, binding.Key, resource, list, ex.ErrorCode ?? string.Empty, ex.Message);
            throw;
        }
    }

    private Dictionary<string, long> CallsSince(IReadOnlyDictionary<string, long> before)
    {
        var now = _recorder?.Calls ?? new Dictionary<string, long>();
        return now.Select(kv => (kv.Key, Count: kv.Value - before.GetValueOrDefault(kv.Key)))
            .Where(static kv => kv.Count > 0)
            .ToDictionary(static kv => kv.Key, static kv => kv.Count, StringComparer.Ordinal);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "AwsCall", Level = LogLevel.Information, Message = "{Operation} TargetGroupBinding {Binding} {Resource}: {Items} ({ElapsedMs} ms)")]
        public static partial void Call(ILogger logger, string operation, string binding, string resource, string items, long elapsedMs);

        [LoggerMessage(EventId = 2, EventName = "AwsCallFailed", Level = LogLevel.Warning, Message = "{Operation} TargetGroupBinding {Binding} {Resource}: {Items} failed: {ErrorCode}: {Error}")]
        public static partial void CallFailed(ILogger logger, string operation, string binding, string resource, string items, string errorCode, string error);
    }
}
