using System.Globalization;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Model;

namespace Serverless.Deploy.Synthesizers;

/// <summary>
/// Targets of the stack's own target groups: register what is missing (in <see cref="SynthesizeAsync"/>, so new rules
/// find healthy targets) and deregister what is no longer desired (in <see cref="PostSynthesizeAsync"/>), in batches.
/// Targets already draining count as gone (registered again if desired, never deregistered twice). Target groups we do
/// not own, and those of frozen owners, are never touched: they are not in the desired stack's target sets.
/// </summary>
internal sealed class TargetSynthesizer(DeployRun run) : ISynthesizer
{
    private readonly List<(string Id, string Arn, List<TargetDescription> Targets)> _deregister = [];

    private DeployContext Ctx => run.Ctx;

    public async Task SynthesizeAsync(CancellationToken ct)
    {
        foreach (var set in Ctx.Desired.TargetSets)
        {
            if (!Ctx.TargetGroupArns.TryGetValue(set.TargetGroupId, out var arn))
            {
                Ctx.Note($"target set {set.TargetGroupId}: no such target group in the stack; skipped");
                continue;
            }
            var current = new HashSet<(string Id, int Port)>();
            if (!run.CreatedTargetGroups.Contains(set.TargetGroupId))
            {
                var health = await Ctx.Elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = arn }, ct).ConfigureAwait(false);
                foreach (var description in health.TargetHealthDescriptions ?? [])
                {
                    if (description.Target?.Id is null || description.TargetHealth?.State == "draining")
                        continue;
                    current.Add((description.Target.Id, description.Target.Port ?? 0));
                }
            }
            var wanted = set.Targets.ToDictionary(static t => (t.Id, t.Port), static t => t);
            var register = wanted.Where(w => !current.Contains(w.Key)).Select(static w => w.Value).OrderBy(static t => t.Id, StringComparer.Ordinal).ThenBy(static t => t.Port).ToList();
            var deregister = current.Where(c => !wanted.ContainsKey(c)).OrderBy(static c => c.Id, StringComparer.Ordinal).ThenBy(static c => c.Port).ToList();
            if (register.Count == 0 && deregister.Count == 0)
                continue;
            var fields = register.Select(static t => new FieldChange("target " + Show(t.Id, t.Port), null, "registered"))
                .Concat(deregister.Select(static t => new FieldChange("target " + Show(t.Id, t.Port), "registered", null))).ToList();
            if (Ctx.IsApply)
            {
                foreach (var batch in register.Chunk(Ctx.Options.TargetBatchSize))
                {
                    var targets = batch.Select(static t => new TargetDescription { Id = t.Id, Port = t.Port, AvailabilityZone = t.AvailabilityZone }).ToList();
                    await Ctx.CallAsync("RegisterTargets", ResourceTypes.TargetGroup, set.TargetGroupId, arn, () => Ctx.Elb.RegisterTargetsAsync(new RegisterTargetsRequest { TargetGroupArn = arn, Targets = targets }, ct)).ConfigureAwait(false);
                }
            }
            if (deregister.Count > 0)
                _deregister.Add((set.TargetGroupId, arn, [.. deregister.Select(static t => new TargetDescription { Id = t.Id, Port = t.Port })]));
            Ctx.Record(new ResourceChange(ChangeAction.Modify, ResourceTypes.TargetSet, set.TargetGroupId, DeployContext.IsPlaceholder(arn) || run.CreatedTargetGroups.Contains(set.TargetGroupId) ? null : arn, fields));
        }
    }

    public async Task PostSynthesizeAsync(CancellationToken ct)
    {
        if (!Ctx.IsApply)
            return;
        foreach (var (id, arn, targets) in _deregister)
        {
            foreach (var batch in targets.Chunk(Ctx.Options.TargetBatchSize))
            {
                var list = batch.ToList();
                await Ctx.CallAsync("DeregisterTargets", ResourceTypes.TargetGroup, id, arn, () => Ctx.Elb.DeregisterTargetsAsync(new DeregisterTargetsRequest { TargetGroupArn = arn, Targets = list }, ct)).ConfigureAwait(false);
            }
        }
    }

    private static string Show(string id, int port) => string.Create(CultureInfo.InvariantCulture, $"{id}:{port}");
}
