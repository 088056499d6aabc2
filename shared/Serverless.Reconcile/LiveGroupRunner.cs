using Serverless.Deploy;
using Serverless.Ingress;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Live;
using Serverless.Model;

namespace Serverless.Reconcile;

/// <summary>What a live-cluster run of one group did.</summary>
/// <param name="Group">The group.</param>
/// <param name="Stack">The built stack (null when the build failed).</param>
/// <param name="Deploy">The deployer's result (null when it did not run).</param>
/// <param name="Kubernetes">The Kubernetes side (finalizers, status, events) for an apply; null for a plan.</param>
public sealed record LiveGroupRun(StackId Group, Stack? Stack, DeployResult? Deploy, GroupReconcileResult? Kubernetes)
{
    /// <summary>The reconcile result: the deployer's when it ran to the end, else a retry naming the error.</summary>
    public ReconcileResult Result =>
        Kubernetes is { Succeeded: false } failed
            ? Deploy?.Reconcile is { Kind: ReconcileKind.RequeueAfter } requeue ? requeue : ReconcileResult.Failed($"group {Group}: {failed.Error}")
            : Deploy?.Reconcile ?? ReconcileResult.Done;
}

/// <summary>
/// One group of a live cluster: loaded from the API server with the AWS facts, built, and deployed — as a plan (no
/// write anywhere) or as an apply wrapped in the Kubernetes side (<see cref="GroupReconciler"/>: finalizer before AWS
/// creation, status, events, finalizer removal after deletion). Used by the reconcile function and the runner.
/// </summary>
public sealed class LiveGroupRunner(IKubernetesApi api, ClusterSettings cluster, AwsFactsLoader facts, StackDeployer deployer)
{
    /// <summary>Plans or applies <paramref name="group"/>.</summary>
    public async Task<LiveGroupRun> RunAsync(StackId group, DeployMode mode, bool fullDriftCheck, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(group);
        var options = new DeployOptions { Mode = mode, FullDriftCheck = fullDriftCheck, ClusterName = cluster.ClusterName, VpcId = cluster.VpcId };
        // The names the loaded members point at (annotations, status hostnames): an apply finds and replaces the
        // load balancer they name even when the desired one is named differently now.
        IReadOnlyList<string> memberNames = AwsFactsLoader.CandidateLoadBalancerNames(cluster, group, []);
        async Task<AwsFacts> Facts(GroupSnapshot snapshot, CancellationToken token)
        {
            memberNames = AwsFactsLoader.CandidateLoadBalancerNames(cluster, group, snapshot.Ingresses);
            return await facts.LoadAsync(cluster, group, snapshot.Ingresses, snapshot.Nodes, token, fresh: fullDriftCheck).ConfigureAwait(false);
        }
        Stack WithKnownNames(Stack stack)
        {
            string[] desiredName = stack.LoadBalancer is { } lb ? [lb.Name] : [];
            return stack with { KnownLoadBalancerNames = [.. memberNames.Union(desiredName, StringComparer.Ordinal).Order(StringComparer.Ordinal)] };
        }

        if (mode == DeployMode.Plan)
        {
            var loaded = await new KubernetesGroupLoader(api, cluster).LoadAsync(group, Facts, cancellationToken).ConfigureAwait(false);
            var stack = WithKnownNames(IngressGroupModelBuilder.Build(loaded.Snapshot));
            var planned = await deployer.DeployAsync(stack, options, cancellationToken).ConfigureAwait(false);
            return new LiveGroupRun(group, stack, planned, null);
        }

        DeployResult? last = null;
        Stack? built = null;
        async Task<DeployOutcome> Deploy(Stack stack, CancellationToken token)
        {
            built = WithKnownNames(stack);
            last = await deployer.DeployAsync(built, options, token).ConfigureAwait(false);
            if (last.Reconcile.Kind != ReconcileKind.Done)
            {
                // Not finished: the finalizers must stay, so the Kubernetes side must see a failed deploy.
                throw new DeployNotFinishedException(last.Reconcile.ToString());
            }
            return new DeployOutcome(last.DnsName, last.Changes.Any(c => c.IsMutation), last.Warnings);
        }
        var kubernetes = await new GroupReconciler(api, cluster, Deploy, Facts).ReconcileAsync(group, cancellationToken).ConfigureAwait(false);
        return new LiveGroupRun(group, built ?? kubernetes.Stack, last, kubernetes);
    }
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
