using k8s.Models;
using Serverless.Kubernetes.Api;

namespace Serverless.Kubernetes.Gates;

/// <summary>What became of one condition write.</summary>
public enum PodWriteOutcome
{
    /// <summary>Written.</summary>
    Written,

    /// <summary>The Pod is gone (404): nothing to do.</summary>
    Gone,

    /// <summary>The Pod was replaced by one of the same name, or changed under us (409): try again next round.</summary>
    Conflict,
}

/// <summary>Writes a Pod's gate condition (<see cref="PodConditionPatch"/>).</summary>
public interface IPodConditionWriter
{
    /// <summary>Writes <paramref name="patch"/>; any failure but a 404 or 409 throws <see cref="KubernetesApiException"/>.</summary>
    Task<PodWriteOutcome> WriteAsync(PodConditionPatch patch, CancellationToken cancellationToken);
}

/// <summary>The outcome of writing a <see cref="GateDecision"/>'s patches.</summary>
/// <param name="Written">Pods written, as <c>namespace/name</c>.</param>
/// <param name="Conflicts">Pods whose write conflicted (409): the reconcile comes back.</param>
public sealed record GateWrites(IReadOnlyList<string> Written, IReadOnlyList<string> Conflicts);

/// <summary>A live cluster: a strategic merge patch of <c>pods/status</c> (RBAC: <c>patch</c> on <c>pods/status</c>).</summary>
public sealed class PodConditionWriter(IKubernetesApi api) : IPodConditionWriter
{
    /// <inheritdoc />
    public async Task<PodWriteOutcome> WriteAsync(PodConditionPatch patch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(patch);
        try
        {
            await api.PatchPodStatusAsync(patch.Namespace, patch.Name, patch.ToPatchJson(), cancellationToken).ConfigureAwait(false);
            return PodWriteOutcome.Written;
        }
        catch (KubernetesApiException ex) when (ex.IsNotFound)
        {
            return PodWriteOutcome.Gone;
        }
        catch (KubernetesApiException ex) when (ex.IsConflict)
        {
            return PodWriteOutcome.Conflict;
        }
    }

    /// <summary>Writes every patch of <paramref name="decision"/> with <paramref name="writer"/>, in order.</summary>
    public static async Task<GateWrites> WriteAllAsync(IPodConditionWriter writer, GateDecision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(decision);
        var written = new List<string>();
        var conflicts = new List<string>();
        foreach (var patch in decision.Patches)
        {
            var outcome = await writer.WriteAsync(patch, cancellationToken).ConfigureAwait(false);
            if (outcome == PodWriteOutcome.Written)
                written.Add($"{patch.Namespace}/{patch.Name}");
            else if (outcome == PodWriteOutcome.Conflict)
                conflicts.Add($"{patch.Namespace}/{patch.Name}");
        }
        return new GateWrites(written, conflicts);
    }
}

/// <summary>
/// Pods held in memory (manifest files): the condition is merged into the Pod object by type, as the API server
/// would, so a second reconcile of the same set sees it; a uid that does not match is a conflict.
/// </summary>
public sealed class InMemoryPodConditionWriter(IReadOnlyList<V1Pod> pods) : IPodConditionWriter
{
    /// <inheritdoc />
    public Task<PodWriteOutcome> WriteAsync(PodConditionPatch patch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var pod = pods.FirstOrDefault(p => p?.Metadata?.Name == patch.Name && (p.Metadata.NamespaceProperty ?? string.Empty) == patch.Namespace);
        if (pod is null)
            return Task.FromResult(PodWriteOutcome.Gone);
        if (!string.IsNullOrEmpty(patch.Uid) && pod.Metadata.Uid != patch.Uid)
            return Task.FromResult(PodWriteOutcome.Conflict);
        pod.Status ??= new V1PodStatus();
        var conditions = pod.Status.Conditions?.ToList() ?? [];
        var index = conditions.FindIndex(c => c?.Type == patch.Condition.Type);
        if (index < 0)
            conditions.Add(patch.Condition);
        else
            conditions[index] = patch.Condition;
        pod.Status.Conditions = conditions;
        return Task.FromResult(PodWriteOutcome.Written);
    }
}
