using Serverless.Deploy;
using Serverless.Ingress;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Live;
using Serverless.Messages;
using Serverless.Model;
using Serverless.Reconcile;

namespace Serverless.Functions.Wiring;

/// <summary>
/// The real <see cref="IKeyReconciler"/>: a group key runs the Kubernetes-side <see cref="GroupReconciler"/> (load,
/// finalizers, status, events) around the shared facts → build → deploy path; a service or node key finds the groups
/// it affects through the <see cref="GroupIndex"/> and reconciles each. Event-driven keys may use the deployer's
/// checkpoint shortcut; replayed keys (<see cref="ReconcileMode.FullDriftCheck"/>) compare every resource.
/// </summary>
public sealed class ClusterReconciler(IKubernetesApi api, ClusterSettings cluster, AwsFactsLoader facts, StackDeployer deployer) : IKeyReconciler
{
    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(QueueKey key, ReconcileMode mode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        IReadOnlyList<StackId> groups;
        if (key.Kind == QueueKeyKind.IngressGroup)
        {
            groups = [StackId.Parse(key.Name)];
        }
        else
        {
            var index = await GroupIndex.LoadAsync(api, cluster, null, cancellationToken).ConfigureAwait(false);
            groups = key.Kind switch
            {
                QueueKeyKind.Service => ServiceGroups(index, key.Name),
                _ => index.ForNode(key.Name),
            };
        }

        ReconcileResult result = ReconcileResult.Done;
        foreach (var group in groups)
        {
            var one = await ReconcileGroupAsync(group, mode, cancellationToken).ConfigureAwait(false);
            result = Worse(result, one);
        }
        return result;
    }

    private static IReadOnlyList<StackId> ServiceGroups(GroupIndex index, string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        var (ns, service) = (name[..slash], name[(slash + 1)..]);
        return [.. index.ForService(ns, service).Concat(index.ForEndpointSlicesOf(ns, service)).Distinct()];
    }

    private async Task<ReconcileResult> ReconcileGroupAsync(StackId group, ReconcileMode mode, CancellationToken ct)
    {
        DeployResult? last = null;
        var options = new DeployOptions
        {
            Mode = DeployMode.Apply,
            FullDriftCheck = mode == ReconcileMode.FullDriftCheck,
            ClusterName = cluster.ClusterName,
            VpcId = cluster.VpcId,
        };
        async Task<DeployOutcome> Deploy(Stack stack, CancellationToken token)
        {
            var names = AwsFactsLoader.CandidateLoadBalancerNames(cluster, group, []);
            last = await deployer.DeployAsync(stack with { KnownLoadBalancerNames = [.. names, .. stack.KnownLoadBalancerNames, .. stack.LoadBalancer is { } lb ? [lb.Name] : Array.Empty<string>()] }, options, token).ConfigureAwait(false);
            if (last.Reconcile.Kind != ReconcileKind.Done)
            {
                // Not finished: the finalizers must stay, so the Kubernetes side must see a failed deploy.
                throw new DeployNotFinishedException(last.Reconcile.ToString());
            }
            return new DeployOutcome(last.DnsName, last.Changes.Any(c => c.IsMutation));
        }
        async Task<AwsFacts> Facts(GroupSnapshot snapshot, CancellationToken token) =>
            await facts.LoadAsync(cluster, group, snapshot.Ingresses, snapshot.Nodes, token).ConfigureAwait(false);

        var reconciler = new GroupReconciler(api, cluster, Deploy, Facts);
        try
        {
            var outcome = await reconciler.ReconcileAsync(group, ct).ConfigureAwait(false);
            if (outcome.Succeeded)
                return ReconcileResult.Done;
            return last?.Reconcile is { Kind: ReconcileKind.RequeueAfter } requeue
                ? ReconcileResult.RequeueAfter(requeue.Delay ?? TimeSpan.FromSeconds(30), requeue.Reason ?? "requeue")
                : ReconcileResult.Retry($"group {group}: {outcome.Error}");
        }
        catch (KubernetesApiException ex)
        {
            return ReconcileResult.Retry($"group {group}: loading from the API server failed: {ex.Message}");
        }
        catch (Exception ex) when (ex is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException)
        {
            return ReconcileResult.Retry($"group {group}: {ex.Message}");
        }
    }

    private static ReconcileResult Worse(ReconcileResult a, ReconcileResult b) => (a, b) switch
    {
        (ReconcileResult.RetryResult, _) => a,
        (_, ReconcileResult.RetryResult) => b,
        (ReconcileResult.RequeueResult ra, ReconcileResult.RequeueResult rb) => ra.Delay <= rb.Delay ? a : b,
        (ReconcileResult.RequeueResult, _) => a,
        _ => b,
    };
}

/// <summary>The deployer stopped short (requeue or retry): the Kubernetes side keeps finalizers and reports a failed deploy.</summary>
public sealed class DeployNotFinishedException : Exception
{
    public DeployNotFinishedException()
        : this("the deploy did not finish")
    {
    }

    public DeployNotFinishedException(string message)
        : base("the deploy did not finish: " + message)
    {
    }

    public DeployNotFinishedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
