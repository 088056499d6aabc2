using Serverless.Aws.Wafv2.Model;
using Serverless.Model;

namespace Serverless.Deploy.Synthesizers;

/// <summary>
/// The load balancer's WAFv2 web ACL (<c>wafv2-acl-arn</c>), after everything else as upstream does. An ARN: read the
/// association (<c>GetWebACLForResource</c>) and associate when it differs (<c>AssociateWebACL</c> replaces the old
/// association in one call, so the load balancer is never left unprotected in between). <c>none</c>: disassociate
/// whatever is associated. Absent: no WAF call at all — an ACL associated by Firewall Manager, another tool or a person
/// stays. A load balancer this run creates has no association, so it is not read. WAF's refusals (unknown ACL, access
/// denied, the new load balancer not yet visible to WAF) become a <see cref="ChangeAction.Blocked"/> change and a
/// retry or requeue naming the group, the annotation and the ARN; the rest of the stack is deployed regardless.
/// </summary>
internal sealed class WebAclSynthesizer(DeployRun run) : ISynthesizer
{
    private const string Annotation = "alb.ingress.kubernetes.io/wafv2-acl-arn";

    private DeployContext Ctx => run.Ctx;

    public async Task SynthesizeAsync(CancellationToken ct)
    {
        var desired = Ctx.Desired.LoadBalancer?.Wafv2AclArn;
        var lbArn = Ctx.LoadBalancerArn;
        if (desired is null || lbArn is null)
            return;
        var wanted = desired == LoadBalancerSpec.Wafv2AclNone ? null : desired;
        string? current = null;
        try
        {
            if (!run.CreatedLoadBalancer)
            {
                var response = await Ctx.Waf.GetWebACLForResourceAsync(new GetWebACLForResourceRequest { ResourceArn = lbArn }, ct).ConfigureAwait(false);
                current = response.WebACL?.ARN;
            }
            if (string.Equals(current, wanted, StringComparison.Ordinal))
                return;
            var fields = new List<FieldChange> { new("webACLArn", current, wanted) };
            if (wanted is null)
            {
                if (Ctx.IsApply)
                    await Ctx.CallAsync("DisassociateWebACL", ResourceTypes.WebAclAssociation, ResourceIds.LoadBalancer, lbArn, () => Ctx.Waf.DisassociateWebACLAsync(new DisassociateWebACLRequest { ResourceArn = lbArn }, ct)).ConfigureAwait(false);
                Ctx.Record(new ResourceChange(ChangeAction.Delete, ResourceTypes.WebAclAssociation, ResourceIds.LoadBalancer, lbArn, fields));
                return;
            }
            if (Ctx.IsApply)
                await Ctx.CallAsync("AssociateWebACL", ResourceTypes.WebAclAssociation, ResourceIds.LoadBalancer, lbArn, () => Ctx.Waf.AssociateWebACLAsync(new AssociateWebACLRequest { WebACLArn = wanted, ResourceArn = lbArn }, ct)).ConfigureAwait(false);
            Ctx.Record(new ResourceChange(current is null ? ChangeAction.Create : ChangeAction.Modify, ResourceTypes.WebAclAssociation, ResourceIds.LoadBalancer, current is null ? null : lbArn, fields));
        }
        catch (Wafv2Exception ex)
        {
            Refused(desired, wanted, current, lbArn, ex);
        }
    }

    public Task PostSynthesizeAsync(CancellationToken ct) => Task.CompletedTask;

    private void Refused(string desired, string? wanted, string? current, string lbArn, Wafv2Exception ex)
    {
        var explanation = ex switch
        {
            { IsNonexistentItem: true } => "the web ACL does not exist in this account and Region (or is not REGIONAL)",
            { IsAccessDenied: true } => "access denied: the controller's role needs wafv2:GetWebACLForResource, wafv2:AssociateWebACL, wafv2:DisassociateWebACL (on the regional web ACL and the load balancer) and elasticloadbalancing:SetWebAcl",
            { IsUnavailableEntity: true } => "WAF does not see the load balancer yet (just created): trying again shortly",
            _ => "WAF refused the change",
        };
        var reason = $"Ingress group {Ctx.StackId}: {Annotation}={desired}: {explanation} ({ex.ErrorCode}: {ex.Message}); load balancer {Ctx.Desired.LoadBalancer!.Name}";
        Ctx.Record(new ResourceChange(ChangeAction.Blocked, ResourceTypes.WebAclAssociation, ResourceIds.LoadBalancer, DeployContext.IsPlaceholder(lbArn) ? null : lbArn,
            [new FieldChange("webACLArn", current, wanted)], reason));
        Ctx.Defer(ex.IsUnavailableEntity
            ? ReconcileResult.RequeueAfter(reason, Ctx.Options.RequeueDelay)
            : ReconcileResult.Failed(reason));
    }
}
