using System.Security.Cryptography;
using System.Text;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Model;

namespace Serverless.Deploy;

/// <summary>
/// The two checkpoints a fully successful apply leaves on the load balancer: <see cref="DeployTags.Checkpoint"/>, the
/// hash of the whole desired stack, and <see cref="DeployTags.StructureCheckpoint"/>, the hash of everything but the
/// target sets. An event-driven deploy whose whole hash matches reads nothing else; one whose structure hash matches
/// only has targets to change (<see cref="TargetFastPath"/>).
/// </summary>
internal static class Checkpoint
{
    /// <summary>Hex SHA-256 of the deployer version, the VPC, the recorded IngressClass (when given) and the canonical stack JSON.</summary>
    public static string Hash(Stack stack, DeployOptions options) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(StackDeployer.Version + "\n" + options.VpcId + "\n"
            + (options.IngressClass is null ? "" : "class " + options.IngressClass + "\n") + StackJson.Serialize(stack))));

    /// <summary>The hash of <paramref name="desired"/> without its target sets.</summary>
    public static string Structure(Stack desired, DeployOptions options) => Hash(desired with { TargetSets = [] }, options);
}

/// <summary>The checkpoint side of discovery: the load balancer from what is known or remembered, and the two checks.</summary>
internal sealed partial class DeployRun
{
    /// <summary>The structure checkpoint of the desired stack.</summary>
    public string? StructureHash { get; set; }

    /// <summary>What this deployer remembers of the stack's last apply (may be stale; checked against the tags).</summary>
    public StackMemory? Memory { get; set; }

    /// <summary>True when the kept load balancer carries the desired structure checkpoint.</summary>
    public bool StructureMatches { get; private set; }

    /// <summary>Load balancer tags read by this run before any change (not read again by name).</summary>
    private Dictionary<string, Dictionary<string, string>> JustReadTags { get; } = new(StringComparer.Ordinal);

    /// <summary>True when only target sets changed and <see cref="TargetFastPath"/> applied them.</summary>
    public bool TargetsOnly { get; private set; }

    /// <summary>
    /// Event-driven only: the remembered load balancer's tags (one <c>DescribeTags</c>) decide a checkpoint hit or a
    /// target-only change. False: nothing was decided and discovery looks the load balancer up by name.
    /// </summary>
    private async Task<bool> TryRememberedAsync(LoadBalancerSpec desiredLb, CancellationToken ct)
    {
        var memory = Memory;
        if (Ctx.Options.FullDriftCheck || memory is null || memory.LoadBalancer.LoadBalancerName != desiredLb.Name
            || memory.LoadBalancer.State?.Code != "active" || KnownCovers(desiredLb.Name))
            return false;
        var arn = memory.LoadBalancer.LoadBalancerArn!;
        Dictionary<string, string> tags;
        try
        {
            tags = (await Discovery.TagsAsync(Ctx.Elb, [arn], ct).ConfigureAwait(false))[arn];
        }
        catch (ElasticLoadBalancingV2Exception ex) when (ex.IsLoadBalancerNotFound)
        {
            tags = [];
        }
        if (!IsOurs(tags))
        {
            Memory = null;
            return false;
        }
        if (await CheckpointAsync(new Tagged<LoadBalancer>(memory.LoadBalancer, arn, tags), ct, remembered: true).ConfigureAwait(false))
            return true;
        JustReadTags[arn] = tags;
        return false;
    }

    /// <summary>
    /// Event-driven only: true when <paramref name="ours"/> carries the desired checkpoint (nothing to do) or the
    /// desired structure checkpoint and the target sets were brought up to date (from what is remembered, else by
    /// reading them — not for a load balancer as remembered, whose state may be old: that one is looked up again).
    /// </summary>
    private async Task<bool> CheckpointAsync(Tagged<LoadBalancer> ours, CancellationToken ct, bool remembered = false)
    {
        StructureMatches = ours.Tags.GetValueOrDefault(DeployTags.StructureCheckpoint) == StructureHash;
        if (Ctx.Options.FullDriftCheck || ours.Resource.State?.Code != "active")
            return false;
        if (ours.Tags.GetValueOrDefault(DeployTags.Checkpoint) == Hash)
        {
            CurrentLoadBalancer = ours;
            return true;
        }
        if (!StructureMatches)
            return false;
        var done = Memory is { } memory && await TargetFastPath.TryAsync(this, ours, memory, ct).ConfigureAwait(false);
        if (!done && !remembered)
            done = await TargetFastPath.TryReadingAsync(this, ours, ct).ConfigureAwait(false);
        if (done)
        {
            CurrentLoadBalancer = ours;
            TargetsOnly = true;
        }
        return done;
    }

    private bool KnownCovers(string name) =>
        Ctx.Options.Known is { } known && known.LoadBalancerNames.Contains(name, StringComparer.Ordinal);

    /// <summary>
    /// Adds the load balancers under <paramref name="names"/>: those the caller already read from
    /// <see cref="DeployOptions.Known"/>, the rest by name (one call per name) with their tags.
    /// </summary>
    private async Task AddByNameAsync(IReadOnlyCollection<string> names, CancellationToken ct)
    {
        var unknown = new List<string>();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            if (!KnownCovers(name))
            {
                unknown.Add(name);
                continue;
            }
            foreach (var known in Ctx.Options.Known!.LoadBalancers.Where(k => k.LoadBalancer.LoadBalancerName == name))
            {
                if (Actual.LoadBalancers.All(lb => lb.Arn != known.LoadBalancer.LoadBalancerArn))
                    Actual.LoadBalancers.Add(new Tagged<LoadBalancer>(known.LoadBalancer, known.LoadBalancer.LoadBalancerArn!, new Dictionary<string, string>(known.Tags, StringComparer.Ordinal)));
            }
        }
        if (unknown.Count > 0)
            await AddLoadBalancersAsync(await Ctx.Elb.LoadBalancersByNameAsync(unknown, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
    }
}
