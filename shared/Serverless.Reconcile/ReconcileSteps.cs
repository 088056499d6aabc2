using System.Diagnostics;
using Amazon.Runtime;
using Serverless.Deploy;
using Serverless.Kubernetes.Api;

namespace Serverless.Reconcile;

/// <summary>What every stack reconcile (Ingress group, Service) does the same way: failures as results, timed phases.</summary>
public static class ReconcileSteps
{
    /// <summary>
    /// Runs <paramref name="execute"/>; a refusal of the API server or a failed AWS call becomes a
    /// <see cref="ReconcileResult.Failed"/> result naming <paramref name="what"/> (only cancellation throws).
    /// </summary>
    public static async Task<StackRun> GuardAsync(string what, Func<Task<StackRun>> execute, Func<ReconcileResult, StackRun> finish)
    {
        try
        {
            return await execute().ConfigureAwait(false);
        }
        catch (KubernetesApiException ex)
        {
            return finish(ReconcileResult.Failed($"{what}: the API server failed: {ex.Message}"));
        }
        catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException or HttpRequestException)
        {
            return finish(ReconcileResult.Failed($"{what}: {ex.Message}"));
        }
    }

    /// <summary>Runs one phase and reports its duration to <paramref name="phase"/>, also when it throws.</summary>
    public static async Task<T> TimedAsync<T>(string name, Func<Task<T>> step, Action<string, TimeSpan> phase)
    {
        var at = Stopwatch.GetTimestamp();
        try
        {
            return await step().ConfigureAwait(false);
        }
        finally
        {
            phase(name, Stopwatch.GetElapsedTime(at));
        }
    }
}
