using Serverless.Model;

namespace Serverless.Deploy;

/// <summary>Makes AWS match one desired stack (or plans it): <see cref="StackDeployer"/>; the seam the reconcilers use.</summary>
public interface IStackDeployer
{
    /// <summary>Plans or applies <paramref name="desired"/>.</summary>
    Task<DeployResult> DeployAsync(Stack desired, DeployOptions options, CancellationToken cancellationToken = default);
}
