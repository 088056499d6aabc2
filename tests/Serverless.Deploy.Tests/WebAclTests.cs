using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Deploy.Tests.Infrastructure;
using Serverless.Model;
using Serverless.Testing;

namespace Serverless.Deploy.Tests;

/// <summary>
/// <c>wafv2-acl-arn</c> on moto: an ARN associates, a new ARN re-associates, <c>none</c> disassociates, absent never
/// calls WAF, drift is corrected by the full check, and WAF's refusals are a retry naming the group, the annotation
/// and the ARN while the rest of the stack is deployed.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class WebAclTests(MotoFixture fixture) : DeployTest(fixture)
{
    private const string Get = "WAFv2:GetWebACLForResource";
    private const string Associate = "WAFv2:AssociateWebACL";
    private const string Disassociate = "WAFv2:DisassociateWebACL";

    private static GroupShape Shape(string? acl) => GroupShape.Reference(backends: 2) with { Wafv2AclArn = acl };

    private async Task<string> LoadBalancerArnAsync(Stack stack) =>
        (await Inspect.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { Names = [stack.LoadBalancer!.Name] })).LoadBalancers![0].LoadBalancerArn!;

    private static int WafCalls(DeployResult result) => (int)result.AwsCalls.Where(static kv => kv.Key.StartsWith("WAFv2:", StringComparison.Ordinal)).Sum(static kv => kv.Value);

    [Fact]
    public async Task An_acl_arn_associates_the_new_load_balancer_and_the_checkpoint_run_makes_no_waf_call()
    {
        var acl = await MotoWafv2.CreateWebAclAsync(Moto, "prod-web");
        var stack = Build(Shape(acl));

        var created = await ApplyAsync(stack);
        var eventDriven = await ApplyAsync(stack);
        var full = await ApplyAsync(stack, full: true);

        AssertDone(created);
        AssertCalls(created, Associate, 1);
        AssertCalls(created, Get, 0); // a load balancer created by this run has no association to read
        var change = Assert.Single(created.Changes, static c => c.ResourceType == ResourceTypes.WebAclAssociation);
        Assert.Equal(ChangeAction.Create, change.Action);
        Assert.Equal([new FieldChange("webACLArn", null, acl)], change.Fields);
        Assert.Equal(acl, await MotoWafv2.AssociatedAclAsync(Moto, await LoadBalancerArnAsync(stack)));

        Assert.True(eventDriven.CheckpointHit);
        Assert.Equal(2, eventDriven.TotalCalls);
        AssertDone(full);
        AssertCalls(full, Get, 1);
        AssertMutating(full, 0);
        Assert.DoesNotContain(full.Changes, static c => c.ResourceType == ResourceTypes.WebAclAssociation);
    }

    [Fact]
    public async Task A_new_arn_re_associates_in_one_call_and_none_disassociates()
    {
        var first = await MotoWafv2.CreateWebAclAsync(Moto, "first");
        var second = await MotoWafv2.CreateWebAclAsync(Moto, "second");
        AssertDone(await ApplyAsync(Build(Shape(first))));
        var lbArn = await LoadBalancerArnAsync(Build(Shape(first)));

        var changed = await ApplyAsync(Build(Shape(second)));
        var afterChange = await MotoWafv2.AssociatedAclAsync(Moto, lbArn);
        var removed = await ApplyAsync(Build(Shape(LoadBalancerSpec.Wafv2AclNone)));
        var afterRemoval = await MotoWafv2.AssociatedAclAsync(Moto, lbArn);
        var again = await ApplyAsync(Build(Shape(LoadBalancerSpec.Wafv2AclNone)), full: true);

        AssertDone(changed);
        AssertCalls(changed, Get, 1);
        AssertCalls(changed, Associate, 1);
        AssertCalls(changed, Disassociate, 0); // AssociateWebACL replaces: never unprotected in between
        var modify = Assert.Single(changed.Changes, static c => c.ResourceType == ResourceTypes.WebAclAssociation);
        Assert.Equal(ChangeAction.Modify, modify.Action);
        Assert.Equal(lbArn, modify.Arn);
        Assert.Equal([new FieldChange("webACLArn", first, second)], modify.Fields);
        Assert.Equal(second, afterChange);

        AssertDone(removed);
        AssertCalls(removed, Disassociate, 1);
        var delete = Assert.Single(removed.Changes, static c => c.ResourceType == ResourceTypes.WebAclAssociation);
        Assert.Equal(ChangeAction.Delete, delete.Action);
        Assert.Equal([new FieldChange("webACLArn", second, null)], delete.Fields);
        Assert.Null(afterRemoval);

        AssertDone(again);
        AssertCalls(again, Get, 1);
        AssertCalls(again, Disassociate, 0);
    }

    [Fact]
    public async Task Without_the_annotation_an_acl_associated_by_someone_else_is_left_alone_and_waf_is_never_called()
    {
        var shape = Shape(null);
        var created = await ApplyAsync(Build(shape));
        var lbArn = await LoadBalancerArnAsync(Build(shape));
        var manual = await MotoWafv2.CreateWebAclAsync(Moto, "firewall-manager");
        await MotoWafv2.AssociateAsync(Moto, manual, lbArn);

        var full = await ApplyAsync(Build(shape), full: true);
        var changed = await ApplyAsync(Build(shape.WithExtraPathInFront()));

        AssertDone(created);
        AssertDone(full);
        AssertDone(changed);
        Assert.Equal(0, WafCalls(created));
        Assert.Equal(0, WafCalls(full));
        Assert.Equal(0, WafCalls(changed));
        Assert.DoesNotContain(changed.Changes, static c => c.ResourceType == ResourceTypes.WebAclAssociation);
        Assert.Equal(manual, await MotoWafv2.AssociatedAclAsync(Moto, lbArn));
    }

    [Fact]
    public async Task The_full_drift_check_restores_an_association_removed_behind_our_back()
    {
        var acl = await MotoWafv2.CreateWebAclAsync(Moto, "prod-web");
        var stack = Build(Shape(acl));
        AssertDone(await ApplyAsync(stack));
        var lbArn = await LoadBalancerArnAsync(stack);
        await MotoWafv2.DisassociateAsync(Moto, lbArn);

        var eventDriven = await ApplyAsync(stack);
        var stillMissing = await MotoWafv2.AssociatedAclAsync(Moto, lbArn);
        var full = await ApplyAsync(stack, full: true);

        Assert.True(eventDriven.CheckpointHit); // event-driven runs trust the checkpoint; the scheduled replay compares
        Assert.Null(stillMissing);
        AssertDone(full);
        AssertCalls(full, Associate, 1);
        Assert.Equal(ChangeAction.Create, Assert.Single(full.Changes, static c => c.ResourceType == ResourceTypes.WebAclAssociation).Action);
        Assert.Equal(acl, await MotoWafv2.AssociatedAclAsync(Moto, lbArn));
    }

    [Fact]
    public async Task An_unknown_acl_is_a_retry_naming_the_group_annotation_and_arn_and_the_rest_of_the_stack_is_deployed()
    {
        const string unknown = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/typo/a1b2c3d4-5678-90ab-cdef-1234567890ab";
        var stack = Build(Shape(unknown));

        var result = await ApplyAsync(stack);

        Assert.Equal(ReconcileKind.Failed, result.Reconcile.Kind);
        Assert.Contains("Ingress group shop", result.Reconcile.Reason, StringComparison.Ordinal);
        Assert.Contains("alb.ingress.kubernetes.io/wafv2-acl-arn=" + unknown, result.Reconcile.Reason, StringComparison.Ordinal);
        Assert.Contains("WAFNonexistentItemException", result.Reconcile.Reason, StringComparison.Ordinal);
        Assert.Contains(stack.LoadBalancer!.Name, result.Reconcile.Reason, StringComparison.Ordinal);
        var blocked = Assert.Single(result.Changes, static c => c.ResourceType == ResourceTypes.WebAclAssociation);
        Assert.Equal(ChangeAction.Blocked, blocked.Action);
        Assert.All(result.Ingresses, static i => Assert.Equal(IngressStatus.Pending, i.Status));
        Assert.NotNull(result.DnsName);
        var snapshot = await OwnedSnapshotAsync();
        Assert.Equal(4, snapshot.Split('\n').Count(static l => l.StartsWith("    rule ", StringComparison.Ordinal)));
        Assert.Equal(2, snapshot.Split('\n').Count(static l => l.StartsWith("TG ", StringComparison.Ordinal)));
        Assert.DoesNotContain(DeployTags.Checkpoint, snapshot, StringComparison.Ordinal); // the next event-driven run tries again
        await AssertForeignUntouchedAsync();

        var acl = await MotoWafv2.CreateWebAclAsync(Moto, "fixed");
        var fixedRun = await ApplyAsync(Build(Shape(acl)));
        AssertDone(fixedRun);
        Assert.Equal(acl, await MotoWafv2.AssociatedAclAsync(Moto, await LoadBalancerArnAsync(stack)));
    }

    [Fact]
    public async Task Access_denied_is_a_retry_that_names_the_permissions_needed()
    {
        var acl = await MotoWafv2.CreateWebAclAsync(Moto, "prod-web");
        Canned = static request => request.Operation == "AssociateWebACL"
            ? new HttpResponseMessage(HttpStatusCode.BadRequest)
            {
                Content = new StringContent("{\"__type\":\"AccessDeniedException\",\"Message\":\"User is not authorized to perform: wafv2:AssociateWebACL\"}", Encoding.UTF8, "application/x-amz-json-1.1"),
            }
            : null;

        var result = await ApplyAsync(Build(Shape(acl)));

        Assert.Equal(ReconcileKind.Failed, result.Reconcile.Kind);
        Assert.Contains("AccessDeniedException", result.Reconcile.Reason, StringComparison.Ordinal);
        Assert.Contains("elasticloadbalancing:SetWebAcl", result.Reconcile.Reason, StringComparison.Ordinal);
        Assert.Contains(acl, result.Reconcile.Reason, StringComparison.Ordinal);
        Assert.NotNull(result.DnsName);
    }

    [Fact]
    public async Task The_plan_shows_the_association_change_in_text_and_json_and_the_apply_matches_it()
    {
        var acl = await MotoWafv2.CreateWebAclAsync(Moto, "prod-web");
        AssertDone(await ApplyAsync(Build(Shape(null))));
        var lbArn = await LoadBalancerArnAsync(Build(Shape(null)));

        var plan = await PlanAsync(Build(Shape(acl)));
        var notYet = await MotoWafv2.AssociatedAclAsync(Moto, lbArn);
        var apply = await ApplyAsync(Build(Shape(acl)));

        AssertMutating(plan, 0);
        AssertCalls(plan, Get, 1);
        Assert.Null(notYet);
        var text = PlanRenderer.RenderText(plan);
        Assert.Contains("  +   WebACLAssociation LoadBalancer\n        webACLArn: (none) -> \"" + acl + "\"\n", text, StringComparison.Ordinal);
        var json = JsonNode.Parse(PlanRenderer.RenderJson(plan))!["changes"]!.AsArray()
            .Single(static c => c!["resourceType"]!.GetValue<string>() == ResourceTypes.WebAclAssociation)!;
        Assert.Equal("create", json["action"]!.GetValue<string>());
        Assert.Equal(ResourceIds.LoadBalancer, json["resourceId"]!.GetValue<string>());
        var field = json["fields"]!.AsArray().Single()!;
        Assert.Equal("webACLArn", field["field"]!.GetValue<string>());
        Assert.Null(field["before"]);
        Assert.Equal(acl, field["after"]!.GetValue<string>());
        AssertDone(apply);
        Assert.Equal(PlanRenderer.RenderChanges(plan.Changes), PlanRenderer.RenderChanges(apply.Changes));
        Assert.Equal(acl, await MotoWafv2.AssociatedAclAsync(Moto, lbArn));
    }
}
