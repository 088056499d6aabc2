using Serverless.Deploy;
using Serverless.Ingress;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Live;
using Serverless.Messages;
using Serverless.Model;
using Serverless.Reconcile;

namespace Serverless.Functions.Wiring;

/// <summary>
/// The real <see cref="IKeyReconciler"/>: a group key runs <see cref="LiveGroupRunner"/> (load, finalizers, facts →
/// build → deploy, status, events); a service or node key finds the groups it affects through the
/// <see cref="GroupIndex"/> and reconciles each. Event-driven keys may use the deployer's checkpoint shortcut;
/// replayed keys (<see cref="ReconcileMode.FullDriftCheck"/>) compare every resource.
/// </summary>
public sealed class ClusterReconciler(IKubernetesApi api, ClusterSettings cluster, AwsFactsLoader facts, StackDeployer deployer) : IKeyReconciler
{
    private readonly LiveGroupRunner _runner = new(api, cluster, facts, deployer);

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(QueueKey key, ReconcileMode mode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            IReadOnlyList<StackId> groups;
            if (key.Kind == QueueKeyKind.IngressGroup)
            {
                groups = [StackId.Parse(key.Name)];
            }
            else
            {
                var index = await GroupIndex.LoadAsync(api, cluster, null, cancellationToken).ConfigureAwait(false);
                groups = key.Kind == QueueKeyKind.Service ? ServiceGroups(index, key.Name) : index.ForNode(key.Name);
            }

            ReconcileResult result = ReconcileResult.Done;
            foreach (var group in groups)
            {
                var run = await _runner.RunAsync(group, DeployMode.Apply, mode == ReconcileMode.FullDriftCheck, cancellationToken).ConfigureAwait(false);
                result = ReconcileResult.Worse(result, run.Result);
            }
            return result;
        }
        catch (KubernetesApiException ex)
        {
            return ReconcileResult.Failed($"{key}: the API server failed: {ex.Message}");
        }
        catch (Exception ex) when (ex is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException)
        {
            return ReconcileResult.Failed($"{key}: {ex.Message}");
        }
    }

    private static IReadOnlyList<StackId> ServiceGroups(GroupIndex index, string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        var (ns, service) = (name[..slash], name[(slash + 1)..]);
        return [.. index.ForService(ns, service).Concat(index.ForEndpointSlicesOf(ns, service)).Distinct()];
    }
}
