using k8s.Models;
using Serverless.Ingress.Backend;

namespace Serverless.Ingress;

/// <summary>Node ↔ EC2 instance, by <c>spec.providerID</c>, exactly as the target builder reads it.</summary>
public static class ProviderIds
{
    /// <summary>The EC2 instance ID of <paramref name="node"/> (<c>aws:///&lt;az&gt;/i-…</c>), or null when it has none.</summary>
    public static string? InstanceId(V1Node node) => TargetBuilder.InstanceId(node);
}
