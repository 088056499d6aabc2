using System.Globalization;
using Serverless.Aws.Ec2;
using Serverless.Model;

namespace Serverless.Deploy.Synthesizers;

/// <summary>
/// The managed frontend SG and its ingress rules, the cluster's shared backend SG, and the rules the stack needs on
/// node SGs (only rules described <c>elbv2.k8s.aws/targetGroupBinding=shared</c> from the backend SG are touched).
/// First because the load balancer and the node rules reference these groups; deleted last, after the load balancer.
/// The shared backend SG is never deleted here: other stacks of the cluster may use it (garbage collection does).
/// </summary>
internal sealed class SecurityGroupSynthesizer(DeployRun run) : ISynthesizer
{
    public const string NodeRuleDescription = TrackingTags.SharedNodeRuleDescription;
    private readonly List<SecurityGroupInfo> _obsolete = [];

    private DeployContext Ctx => run.Ctx;

    /// <summary>The resource tag key of the stack's kind.</summary>
    private string ResourceKey => TrackingTags.ResourceKey(Ctx.Desired.Id);

    public async Task SynthesizeAsync(CancellationToken ct)
    {
        var desired = Ctx.Desired;
        var ours = run.Actual.StackSecurityGroups.Where(g => run.IsOurs(g.Tags)).ToList();
        if (desired.ManagedSecurityGroup is { } managed)
        {
            var actual = ours.Where(g => g.Tags.GetValueOrDefault(ResourceKey) == managed.Id).OrderBy(static g => g.GroupId, StringComparer.Ordinal).ToList();
            _obsolete.AddRange(actual.Skip(1));
            _obsolete.AddRange(ours.Where(g => g.Tags.GetValueOrDefault(ResourceKey) != managed.Id));
            Ctx.ManagedSecurityGroupId = await EnsureGroupAsync(managed, actual.FirstOrDefault(), revokeExtra: true, ct).ConfigureAwait(false);
        }
        else
        {
            _obsolete.AddRange(ours);
        }

        if (desired.BackendSecurityGroup is { } backend)
            Ctx.BackendSecurityGroupId = await EnsureGroupAsync(backend, run.Actual.BackendSecurityGroup, revokeExtra: false, ct).ConfigureAwait(false);

        foreach (var node in desired.NodeSecurityGroupRules)
        {
            var actual = run.Actual.NodeSecurityGroups.FirstOrDefault(g => g.GroupId == node.SecurityGroupId);
            if (actual is null)
            {
                Ctx.Note($"node security group {node.SecurityGroupId} does not exist: its rules are skipped");
                continue;
            }
            var wanted = node.Rules.Select(r => ToIngress(r with { Description = NodeRuleDescription })).Distinct().ToList();
            var managedRules = actual.Ingress.Where(static r => r.Description == NodeRuleDescription).ToList();
            // Node rules are shared by every stack of the cluster (same description, same backend SG source, as
            // upstream): a stack only adds what it needs. Revoking what this stack does not need would take away
            // another stack's rule (seen: two groups undoing each other on every reconcile); rules no target group
            // of the cluster needs any more are revoked by the cluster-wide sweep of the replay's garbage collection.
            var add = wanted.Where(w => !managedRules.Contains(w)).ToList();
            if (add.Count == 0)
                continue;
            var fields = add.Select(r => new FieldChange("ingress " + Show(r), null, "present")).ToList();
            if (Ctx.IsApply)
                await Ctx.CallAsync("AuthorizeSecurityGroupIngress", ResourceTypes.SecurityGroupRules, node.SecurityGroupId, node.SecurityGroupId, () => Ctx.Ec2.AuthorizeIngressAsync(node.SecurityGroupId, add, ct)).ConfigureAwait(false);
            Ctx.Record(new ResourceChange(ChangeAction.Modify, ResourceTypes.SecurityGroupRules, node.SecurityGroupId, node.SecurityGroupId, fields));
        }
    }

    public async Task PostSynthesizeAsync(CancellationToken ct)
    {
        foreach (var group in _obsolete)
        {
            var id = group.Tags.GetValueOrDefault(ResourceKey) ?? group.GroupName;
            if (!Ctx.IsApply)
            {
                Ctx.Record(new ResourceChange(ChangeAction.Delete, ResourceTypes.SecurityGroup, id, group.GroupId, []));
                continue;
            }
            var deletion = await Ctx.CallAsync("DeleteSecurityGroup", ResourceTypes.SecurityGroup, id, group.GroupId, () => Ctx.Ec2.DeleteSecurityGroupAsync(group.GroupId, ct)).ConfigureAwait(false);
            if (deletion.IsGone)
            {
                Ctx.Record(new ResourceChange(ChangeAction.Delete, ResourceTypes.SecurityGroup, id, group.GroupId, []));
            }
            else
            {
                // The ENIs of a just-deleted load balancer linger for minutes: come back instead of waiting here.
                Ctx.Record(new ResourceChange(ChangeAction.Blocked, ResourceTypes.SecurityGroup, id, group.GroupId, [], "in use (DependencyViolation): " + deletion.Message));
                Ctx.Defer(ReconcileResult.RequeueAfter($"security group {group.GroupId} is still in use", Ctx.Options.RequeueDelay));
            }
        }
    }

    private async Task<string> EnsureGroupAsync(SecurityGroupSpec spec, SecurityGroupInfo? actual, bool revokeExtra, CancellationToken ct)
    {
        if (actual is null)
        {
            var rules = spec.Ingress.Select(ToIngress).Distinct().ToList();
            var fields = new List<FieldChange> { new("name", null, spec.Name), new("description", null, spec.Description) };
            fields.AddRange(rules.Select(r => new FieldChange("ingress " + Show(r), null, "present")));
            string id;
            if (Ctx.IsApply)
            {
                // Tagged in the create call: a run that stops right after still finds the group by its tags.
                id = await Ctx.CallAsync("CreateSecurityGroup", ResourceTypes.SecurityGroup, spec.Id, null, () => Ctx.Ec2.CreateSecurityGroupAsync(Ctx.Options.VpcId, spec.Name, spec.Description, spec.Tags, ct)).ConfigureAwait(false);
                if (rules.Count > 0)
                    await Ctx.CallAsync("AuthorizeSecurityGroupIngress", ResourceTypes.SecurityGroup, spec.Id, id, () => Ctx.Ec2.AuthorizeIngressAsync(id, rules, ct)).ConfigureAwait(false);
            }
            else
            {
                id = DeployContext.Placeholder(ResourceTypes.SecurityGroup, spec.Id);
            }
            Ctx.Record(new ResourceChange(ChangeAction.Create, ResourceTypes.SecurityGroup, spec.Id, null, fields));
            return id;
        }

        var wanted = spec.Ingress.Select(ToIngress).Select(static r => r.WithoutDescription()).Distinct().ToList();
        var have = actual.Ingress.Select(static r => r.WithoutDescription()).Distinct().ToList();
        var add = spec.Ingress.Select(ToIngress).Where(r => !have.Contains(r.WithoutDescription())).ToList();
        var remove = revokeExtra ? actual.Ingress.Where(r => !wanted.Contains(r.WithoutDescription())).ToList() : [];
        var changes = add.Select(r => new FieldChange("ingress " + Show(r), null, "present"))
            .Concat(remove.Select(r => new FieldChange("ingress " + Show(r), "present", null))).ToList();
        foreach (var (key, value) in spec.Tags)
        {
            if (!DeployTags.IsUnmanaged(key) && actual.Tags.GetValueOrDefault(key) != value)
                Ctx.Note($"security group {actual.GroupId}: tag {key} differs ({actual.Tags.GetValueOrDefault(key)} != {value}); security group tags are set at creation only");
        }
        if (changes.Count > 0)
        {
            if (Ctx.IsApply)
            {
                // Authorize before revoking: a changed CIDR never leaves a moment with neither rule.
                if (add.Count > 0)
                    await Ctx.CallAsync("AuthorizeSecurityGroupIngress", ResourceTypes.SecurityGroup, spec.Id, actual.GroupId, () => Ctx.Ec2.AuthorizeIngressAsync(actual.GroupId, add, ct)).ConfigureAwait(false);
                if (remove.Count > 0)
                    await Ctx.CallAsync("RevokeSecurityGroupIngress", ResourceTypes.SecurityGroup, spec.Id, actual.GroupId, () => Ctx.Ec2.RevokeIngressAsync(actual.GroupId, remove, ct)).ConfigureAwait(false);
            }
            Ctx.Record(new ResourceChange(ChangeAction.Modify, ResourceTypes.SecurityGroup, spec.Id, actual.GroupId, changes));
        }
        return actual.GroupId;
    }

    private IngressRule ToIngress(SecurityGroupRuleSpec rule) =>
        IngressRule.Normalize(new IngressRule(
            rule.Protocol,
            rule.FromPort,
            rule.ToPort,
            rule.CidrIpv4,
            rule.CidrIpv6,
            rule.PrefixListId,
            rule.SourceSecurityGroup is null ? null : Ctx.Resolve(rule.SourceSecurityGroup),
            rule.Description));

    // Group IDs of this stack are shown by resource ID, so a plan (placeholder IDs) and its apply read the same.
    private string Show(IngressRule r)
    {
        var source = r.SourceSecurityGroupId is { } sg
            ? sg == Ctx.BackendSecurityGroupId ? "sg:" + ResourceIds.BackendSecurityGroup : sg == Ctx.ManagedSecurityGroupId ? "sg:" + ResourceIds.ManagedSecurityGroup : sg
            : r.CidrIpv4 ?? r.CidrIpv6 ?? r.PrefixListId;
        return r.Protocol is "icmp" or "icmpv6"
            ? string.Create(CultureInfo.InvariantCulture, $"{r.Protocol} type {r.FromPort} code {r.ToPort} from {source}")
            : string.Create(CultureInfo.InvariantCulture, $"{r.Protocol} {r.FromPort}-{r.ToPort} from {source}");
    }
}
