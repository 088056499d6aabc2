using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Model;

namespace Serverless.Deploy;

/// <summary>
/// What a deployer remembers of each stack's last successful apply in this process (a Lambda container): the load
/// balancer, the target group ARNs and the target sets it applied, under the checkpoints it wrote. Only a hint: an
/// entry is used only while the load balancer on AWS still carries the same checkpoints, so a deploy by another
/// container, a crash or a change by hand makes it stale, never wrong. Thread-safe.
/// </summary>
public sealed class DeployMemory
{
    private readonly Dictionary<string, StackMemory> _stacks = new(StringComparer.Ordinal);

    internal StackMemory? Get(string cluster, StackId stack)
    {
        lock (_stacks)
            return _stacks.GetValueOrDefault(Key(cluster, stack));
    }

    internal void Set(string cluster, StackId stack, StackMemory memory)
    {
        lock (_stacks)
            _stacks[Key(cluster, stack)] = memory;
    }

    internal void Forget(string cluster, StackId stack)
    {
        lock (_stacks)
            _stacks.Remove(Key(cluster, stack));
    }

    // The kind is part of the key: an Ingress group and a Service of the same namespace/name are two stacks.
    private static string Key(string cluster, StackId stack) => cluster + "\n" + stack.Kind + "\n" + stack;
}

/// <summary>One stack's last successful apply: its checkpoints, load balancer, target group ARNs and target sets.</summary>
internal sealed record StackMemory(
    string Checkpoint,
    string StructureCheckpoint,
    LoadBalancer LoadBalancer,
    IReadOnlyDictionary<string, string> TargetGroupArns,
    IReadOnlyDictionary<string, IReadOnlyList<TargetSpec>> TargetSets);
