using System.Text.Json.Nodes;
using Serverless.Kubernetes.Api;

namespace Serverless.Kubernetes.Writers;

/// <summary>
/// Marks a node as leaving the load balancers (for the instance-events function): the label
/// <c>node.kubernetes.io/exclude-from-external-load-balancers</c>, one of upstream's node eligibility keys (any value
/// excludes the node: the selector is <c>DoesNotExist</c>), so instance targets drop the node before it goes.
/// </summary>
public sealed class NodeDrainWriter
{
    /// <summary>The exclusion label.</summary>
    public const string ExcludeLabel = "node.kubernetes.io/exclude-from-external-load-balancers";

    /// <summary>The value written.</summary>
    public const string ExcludeValue = "true";

    private readonly IKubernetesApi _api;

    public NodeDrainWriter(IKubernetesApi api)
    {
        ArgumentNullException.ThrowIfNull(api);
        _api = api;
    }

    /// <summary>Labels the node unless it already carries the label. False when it did not write (already marked, or no such node).</summary>
    public async Task<bool> MarkAsync(string nodeName, CancellationToken cancellationToken = default)
    {
        var node = await _api.GetNodeAsync(nodeName, cancellationToken).ConfigureAwait(false);
        if (node is null || node.Metadata.Labels?.ContainsKey(ExcludeLabel) == true)
            return false;
        await PatchLabelAsync(nodeName, ExcludeValue, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Removes the label if present (a node that stays after all). False when it did not write.</summary>
    public async Task<bool> UnmarkAsync(string nodeName, CancellationToken cancellationToken = default)
    {
        var node = await _api.GetNodeAsync(nodeName, cancellationToken).ConfigureAwait(false);
        if (node?.Metadata.Labels?.ContainsKey(ExcludeLabel) != true)
            return false;
        await PatchLabelAsync(nodeName, null, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private Task PatchLabelAsync(string nodeName, string? value, CancellationToken cancellationToken)
    {
        // A merge patch of one label key: other labels are kept, null removes the key.
        var patch = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { [ExcludeLabel] = value } } };
        return _api.PatchNodeAsync(nodeName, patch.ToJsonString(), cancellationToken);
    }
}
