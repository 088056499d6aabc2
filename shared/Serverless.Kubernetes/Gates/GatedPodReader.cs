using k8s.Models;
using Serverless.Kubernetes.Api;

namespace Serverless.Kubernetes.Gates;

/// <summary>
/// Gets the Pods of not-ready endpoints (those a readiness gate may hold back): one GET each, concurrently. A Pod that
/// is gone (404) or that the controller may not read (403: its role lacks <c>get</c> on <c>pods</c>) is left out, so its
/// endpoint is treated as an ordinary not-ready one and the reconcile goes on.
/// </summary>
public static class GatedPodReader
{
    /// <summary>The Pods of <paramref name="keys"/> that exist and may be read.</summary>
    public static async Task<IReadOnlyList<V1Pod>> GetAsync(IKubernetesApi api, IEnumerable<(string Namespace, string Name)> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(keys);
        var pods = await Task.WhenAll(keys.Select(async key =>
        {
            try
            {
                return await api.GetPodAsync(key.Namespace, key.Name, cancellationToken).ConfigureAwait(false);
            }
            catch (KubernetesApiException ex) when (ex.IsForbidden)
            {
                return null;
            }
        })).ConfigureAwait(false);
        return [.. pods.OfType<V1Pod>()];
    }
}
