using Serverless.Aws.Acm;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.Wafv2;
using Serverless.Deploy;
using Serverless.Ingress;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Auth;
using Serverless.Kubernetes.Live;
using Serverless.Kubernetes.Writers;
using Serverless.Lambda;
using Serverless.Messages;
using Serverless.Reconcile;

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
        var groups = new IngressGroupReconciler(
            new LiveIngressGroupSource(api, cluster),
            cluster,
            new AwsFactsLoader(ec2, elb, acm, waf, FactsCacheWindow),
            new StackDeployer(elb, ec2, waf, aws.CallRecorder, context.Logger.ForCategory("Serverless.Deploy")),
            context.Logger.ForCategory("Serverless.Reconcile"));
        var inventory = new ClusterInventory(elb, ec2);
        var stacks = new InventoryStacks(inventory, new BackendSecurityGroupCollector(ec2, inventory), cluster);
        return new FunctionSeams(new StackKeyReconciler(groups), new GroupFanOut(api, cluster), new ClusterKeys(api, cluster), stacks, new NodeMarker(api));
    }

    private static KubernetesApi Connect(LambdaContext context, string clusterName, string? region)
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

/// <summary>Every Ingress group of the cluster, for the replay.</summary>
public sealed class ClusterKeys(IKubernetesApi api, ClusterSettings cluster) : IClusterKeySource
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<QueueKey>> ListGroupKeysAsync(CancellationToken cancellationToken)
    {
        var index = await GroupIndex.LoadAsync(api, cluster, null, cancellationToken).ConfigureAwait(false);
        return [.. index.Groups.Select(g => QueueKey.IngressGroup(g.ToString()))];
    }
}

/// <summary>Stacks with resources tagged for the cluster (the garbage-collection scan).</summary>
public sealed class InventoryStacks(ClusterInventory inventory, BackendSecurityGroupCollector collector, ClusterSettings cluster, TimeProvider? time = null) : IClusterStacks
{
    /// <summary>How long the scan of <see cref="ListStackIdsAsync"/> may stand in for the sweep's own (one replay).</summary>
    public static readonly TimeSpan ScanReuseWindow = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private (IReadOnlyList<ClusterStack> Stacks, DateTimeOffset At)? _lastScan;

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> ListStackIdsAsync(CancellationToken cancellationToken)
    {
        var stacks = await inventory.FindStacksAsync(cluster.ClusterName, cluster.VpcId, cancellationToken).ConfigureAwait(false);
        _lastScan = (stacks, _time.GetUtcNow());
        return [.. stacks.Select(s => s.Stack)];
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
