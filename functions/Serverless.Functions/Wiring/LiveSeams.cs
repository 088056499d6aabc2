using Serverless.Aws.Acm;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.Wafv2;
using Serverless.Bindings;
using Serverless.Deploy;
using Serverless.Ingress;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Auth;
using Serverless.Kubernetes.Live;
using Serverless.Kubernetes.Writers;
using Serverless.Lambda;
using Serverless.Messages;
using Serverless.Model;
using Serverless.Reconcile;
using Serverless.Service;

namespace Serverless.Functions.Wiring;

/// <summary>
/// The functions' seams wired to the real Kubernetes side and deployer. Configuration (environment):
/// <c>CLUSTER_NAME</c>, <c>VPC_ID</c>, <c>INGRESS_CLASS</c> (default <c>alb</c>); the API server from
/// <c>KUBECONFIG</c> (+ <c>KUBE_CONTEXT</c>) when set (local host), else <c>CLUSTER_ENDPOINT</c> +
/// <c>CLUSTER_CA</c> with an EKS bearer token (Lambda), else the in-cluster service account.
/// </summary>
public static class LiveSeams
{
    /// <summary>How long a container reuses a group's AWS facts for event-driven reconciles (replays always re-read).</summary>
    public static readonly TimeSpan FactsCacheWindow = TimeSpan.FromMinutes(5);

    /// <summary>Seams from the environment; clients are created once per container.</summary>
    public static FunctionSeams Create(LambdaContext context, AwsClientOptions aws)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(aws);
        var cluster = new ClusterSettings
        {
            ClusterName = context.Required("CLUSTER_NAME"),
            VpcId = context.Required("VPC_ID"),
            IngressClass = context.Environment("INGRESS_CLASS") is { Length: > 0 } ingressClass ? ingressClass : "alb",
        };
        var api = Connect(context, cluster.ClusterName, aws.Region);
        var ec2 = Ec2Gateway.Create(aws);
        var elb = new ElasticLoadBalancingV2Client(aws);
        var waf = new Wafv2Client(aws);
        var acm = new AcmClient(aws);
        var facts = new AwsFactsLoader(ec2, elb, acm, waf, FactsCacheWindow);
        var deployer = new StackDeployer(elb, ec2, waf, aws.CallRecorder, context.Logger.ForCategory("Serverless.Deploy"));
        var groups = new IngressGroupReconciler(
            new LiveIngressGroupSource(api, cluster),
            cluster,
            facts,
            deployer,
            context.Logger.ForCategory("Serverless.Reconcile"),
            new IngressReconcilerOptions { OrphanMinAbsence = FunctionFactory.GarbageCollection(context).MinAbsence, Time = context.Time });
        var services = new ServiceReconciler(
            new LiveServiceSource(api), cluster, facts, deployer, ServiceModelBuilder.Build, context.Logger.ForCategory("Serverless.Reconcile"));
        var inventory = new ClusterInventory(elb, ec2);
        var stacks = new InventoryStacks(inventory, new BackendSecurityGroupCollector(ec2, inventory), elb, cluster);
        var bindings = new BindingReconciler(
            new LiveBindingSource(api, context.Time),
            cluster,
            new BindingDeployer(elb, ec2, aws.CallRecorder, context.Logger.ForCategory("Serverless.Bindings")),
            context.Logger.ForCategory("Serverless.Reconcile"))
        {
            Time = context.Time,
        };
        return new FunctionSeams(new StackKeyReconciler(groups, services, bindings), new GroupFanOut(api, cluster), new ClusterKeys(api, cluster), stacks, new NodeMarker(api));
    }

    internal static KubernetesApi Connect(LambdaContext context, string clusterName, string? region)
    {
        if (context.Environment("KUBECONFIG") is { Length: > 0 } kubeconfig)
            return KubernetesConnection.FromKubeconfig(kubeconfig, context.Environment("KUBE_CONTEXT") is { Length: > 0 } c ? c : null);
        if (context.Environment("CLUSTER_ENDPOINT") is { Length: > 0 } endpoint)
        {
            return KubernetesConnection.Eks(new EksClusterOptions
            {
                ClusterName = clusterName,
                Endpoint = endpoint,
                CertificateAuthorityData = context.Environment("CLUSTER_CA"),
                Region = region ?? context.Required("AWS_REGION"),
            });
        }
        return KubernetesConnection.InCluster();
    }
}

/// <summary>Every Ingress group of the cluster and every Service that is ours (or carries our finalizer), for the replay.</summary>
/// <remarks>
/// Complete means: the Ingresses, IngressClasses and IngressClassParams (and Namespaces when a selector needs them)
/// were each listed in full — the API client follows every <c>continue</c> token and fails the whole list on any error
/// status (a 403 for a namespace or resource, a 410 for an expired token, a 5xx) — and every IngressClassParams could be
/// read. A failed list answers no keys and says why; objects the loader could not read keep the keys but say why.
/// </remarks>
public sealed class ClusterKeys(IKubernetesApi api, ClusterSettings cluster) : IClusterKeySource
{
    /// <inheritdoc />
    public async Task<ClusterGroups> ListGroupKeysAsync(CancellationToken cancellationToken)
    {
        GroupIndex index;
        try
        {
            index = await GroupIndex.LoadAsync(api, cluster, null, cancellationToken).ConfigureAwait(false);
        }
        catch (KubernetesApiException ex)
        {
            return new ClusterGroups([]) { Incomplete = ex.Message };
        }
        // Every Service that is ours or still carries our finalizer: its NLB is drift-checked like a group's stack.
        var services = index.Services.Where(static s => ServiceSelection.Concerns(s))
            .Select(static s => QueueKey.Service(s.Metadata.NamespaceProperty, s.Metadata.Name))
            .OrderBy(static k => k.Name, StringComparer.Ordinal);
        // Every TargetGroupBinding (valid or not: its reconcile reports what is wrong with it).
        IReadOnlyList<BindingKeys.Entry> bindings;
        try
        {
            bindings = await BindingKeys.ListAsync(api, cancellationToken).ConfigureAwait(false);
        }
        catch (KubernetesApiException ex)
        {
            return new ClusterGroups([.. index.Groups.Select(g => QueueKey.IngressGroup(g.ToString())), .. services]) { Incomplete = ex.Message, ClassProblem = index.ClassProblem };
        }
        var bindingKeys = bindings.Select(static b => b.Key).OrderBy(static k => k.Name, StringComparer.Ordinal);
        return new ClusterGroups([.. index.Groups.Select(g => QueueKey.IngressGroup(g.ToString())), .. services, .. bindingKeys])
        {
            Incomplete = index.Problems.Count == 0 ? null : "objects that could not be read: " + string.Join("; ", index.Problems.Select(static p => p.ToString())),
            ClassProblem = index.ClassProblem,
        };
    }
}

/// <summary>Stacks with resources tagged for the cluster (the garbage-collection scan), and the absence marks on their load balancers.</summary>
public sealed class InventoryStacks(
    ClusterInventory inventory, BackendSecurityGroupCollector collector, IElasticLoadBalancingV2Client elb, ClusterSettings cluster, TimeProvider? time = null) : IClusterStacks
{
    /// <summary>How long the scan of <see cref="ListStacksAsync"/> may stand in for the sweep's own (one replay).</summary>
    public static readonly TimeSpan ScanReuseWindow = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private (IReadOnlyList<ClusterStack> Stacks, DateTimeOffset At)? _lastScan;

    /// <inheritdoc />
    public async Task<IReadOnlyList<StackOnAws>> ListStacksAsync(CancellationToken cancellationToken)
    {
        var stacks = await inventory.FindStacksAsync(cluster.ClusterName, cluster.VpcId, cancellationToken).ConfigureAwait(false);
        _lastScan = (stacks, _time.GetUtcNow());
        return [.. stacks.Select(s => new StackOnAws(
            s.Stack,
            [.. s.LoadBalancerArns.Select((arn, i) => new StackLoadBalancer(arn, s.LoadBalancerNames[i], s.LoadBalancerTags.GetValueOrDefault(arn) ?? new Dictionary<string, string>(),
                s.Kind == StackKind.IngressGroup && DefaultName(s.Stack, s.LoadBalancerNames[i])))],
            s.TargetGroupArns.Count,
            s.SecurityGroupIds.Count) { Kind = s.Kind })];
    }

    /// <inheritdoc />
    public async Task MarkAbsentAsync(IReadOnlyList<string> loadBalancerArns, DateTimeOffset since, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(loadBalancerArns);
        foreach (var chunk in loadBalancerArns.Chunk(ClusterTargetGroups.TagBatch))
        {
            await elb.AddTagsAsync(new Aws.ElasticLoadBalancingV2.Model.AddTagsRequest
            {
                ResourceArns = [.. chunk],
                Tags = [new Aws.ElasticLoadBalancingV2.Model.Tag { Key = DeployTags.AbsentSince, Value = DeployTags.FormatTime(since) }],
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task ClearAbsentAsync(IReadOnlyList<string> loadBalancerArns, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(loadBalancerArns);
        foreach (var chunk in loadBalancerArns.Chunk(ClusterTargetGroups.TagBatch))
        {
            await elb.RemoveTagsAsync(new Aws.ElasticLoadBalancingV2.Model.RemoveTagsRequest { ResourceArns = [.. chunk], TagKeys = [DeployTags.AbsentSince] }, cancellationToken)
                .ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task<bool> IsDeletionProtectedAsync(string loadBalancerArn, CancellationToken cancellationToken)
    {
        var attributes = await elb.DescribeLoadBalancerAttributesAsync(
            new Aws.ElasticLoadBalancingV2.Model.DescribeLoadBalancerAttributesRequest { LoadBalancerArn = loadBalancerArn }, cancellationToken).ConfigureAwait(false);
        return (attributes.Attributes ?? []).Any(static a => a.Key == "deletion_protection.enabled" && a.Value == "true");
    }

    /// <summary>True when <paramref name="name"/> is one of the names a reconcile of <paramref name="stack"/> finds without its Ingresses.</summary>
    private bool DefaultName(string stack, string name)
    {
        StackId id;
        try
        {
            id = StackId.Parse(stack);
        }
        catch (ArgumentException)
        {
            return false;
        }
        return AwsFactsLoader.CandidateLoadBalancerNames(cluster, id, []).Contains(name, StringComparer.Ordinal);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The replay sweeps right after listing: that scan (at most <see cref="ScanReuseWindow"/> old, used once) serves
    /// the sweep too, so a replay reads the region's load balancers, target groups and tags once, not twice.
    /// </remarks>
    public async Task<SharedSweep> SweepSharedAsync(CancellationToken cancellationToken)
    {
        var recent = _lastScan is { } last && _time.GetUtcNow() - last.At < ScanReuseWindow ? last.Stacks : null;
        _lastScan = null;
        var (revoked, backend) = await collector.SweepAsync(cluster.ClusterName, cluster.VpcId, recent, cancellationToken).ConfigureAwait(false);
        return new SharedSweep(revoked.Count, backend.ToString().ToLowerInvariant());
    }
}

/// <summary>Marks the node of an EC2 instance as excluded from load balancers (found by its providerID).</summary>
public sealed class NodeMarker(IKubernetesApi api) : INodeDrainMarker
{
    /// <inheritdoc />
    public async Task<NodeMarkResult> MarkAsync(string instanceId, string reason, CancellationToken cancellationToken)
    {
        var nodes = await api.ListNodesAsync(cancellationToken).ConfigureAwait(false);
        var node = nodes.FirstOrDefault(n => ProviderIds.InstanceId(n) == instanceId);
        if (node is null)
            return new NodeMarkResult(null, false);
        var changed = await new NodeDrainWriter(api).MarkAsync(node.Metadata.Name, cancellationToken).ConfigureAwait(false);
        return new NodeMarkResult(node.Metadata.Name, changed);
    }
}
