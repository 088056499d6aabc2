using k8s.Models;
using Serverless.Deploy;
using Serverless.Ingress;
using Serverless.Model;

namespace Serverless.Reconcile;

/// <summary>One group's reconcile: the stack the builder produced and what the deployer planned or did.</summary>
public sealed record GroupRun(StackId Group, Stack Stack, DeployResult Deploy)
{
    /// <summary>Every build error of every member, in member order.</summary>
    public IEnumerable<BuildError> Errors => Stack.Ingresses.SelectMany(i => i.Errors);
}

/// <summary>
/// The reconcile of one Ingress group, shared by the Lambda functions and the local runner: AWS facts → pure model
/// build → deploy (plan or apply). Where the Kubernetes objects come from (a live cluster or manifest files) is the
/// caller's business: it hands in the group's candidate Ingresses and Nodes, and a function that turns the facts
/// into the group's snapshot.
/// </summary>
public sealed class GroupPipeline(AwsFactsLoader facts, StackDeployer deployer)
{
    /// <summary>Builds and deploys <paramref name="group"/>.</summary>
    public async Task<GroupRun> RunAsync(
        ClusterSettings cluster,
        StackId group,
        IReadOnlyList<V1Ingress> ingresses,
        IReadOnlyList<V1Node> nodes,
        Func<AwsFacts, GroupSnapshot> snapshot,
        DeployOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(options);
        var aws = await facts.LoadAsync(cluster, group, ingresses, nodes, cancellationToken).ConfigureAwait(false);
        var stack = IngressGroupModelBuilder.Build(snapshot(aws));
        // The deployer finds the load balancer only by these names (a scheme change, or a group being deleted whose
        // stack has no load balancer spec any more, still finds the old one).
        stack = stack with { KnownLoadBalancerNames = AwsFactsLoader.CandidateLoadBalancerNames(cluster, group, ingresses) };
        var result = await deployer.DeployAsync(stack, options, cancellationToken).ConfigureAwait(false);
        return new GroupRun(group, stack, result);
    }
}
