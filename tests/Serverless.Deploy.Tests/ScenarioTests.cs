using Serverless.Testing;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Deploy.Tests.Infrastructure;
using Serverless.Model;

namespace Serverless.Deploy.Tests;

[Collection(MotoCollection.Name)]
public sealed class ScenarioTests(MotoFixture fixture) : DeployTest(fixture)
{
    private const string Elb = "ELBv2:";

    [Fact]
    public async Task Create_from_empty_builds_every_resource_and_reports_dns_ports_and_members()
    {
        var stack = Build(GroupShape.Reference());

        var result = await ApplyAsync(stack);

        AssertDone(result);
        Assert.NotNull(result.DnsName);
        Assert.Equal([80, 443], result.ListenerPorts);
        Assert.All(result.Ingresses, i => Assert.Equal(IngressStatus.Ok, i.Status));
        var snapshot = await OwnedSnapshotAsync();
        Assert.Equal(20, snapshot.Split('\n').Count(l => l.StartsWith("    rule ", StringComparison.Ordinal)));
        Assert.Equal(10, snapshot.Split('\n').Count(l => l.StartsWith("TG ", StringComparison.Ordinal)));
        Assert.True(snapshot.Contains("NodeSG rules=tcp/30000-30009/k8s-traffic-", StringComparison.Ordinal), snapshot);
        await AssertForeignUntouchedAsync();
    }

    [Fact]
    public async Task A_second_run_makes_no_mutating_call_event_driven_or_full()
    {
        var stack = Build(GroupShape.Reference());
        AssertDone(await ApplyAsync(stack));

        var eventDriven = await ApplyAsync(stack);
        var full = await ApplyAsync(stack, full: true);

        Assert.True(eventDriven.CheckpointHit);
        AssertMutating(eventDriven, 0);
        Assert.True(eventDriven.TotalCalls <= 8, PlanRenderer.RenderText(eventDriven));
        AssertMutating(full, 0);
        Assert.DoesNotContain(full.Changes, static c => c.IsMutation);
        AssertDone(full);
        Assert.NotNull(eventDriven.DnsName);
        Assert.Equal([80, 443], eventDriven.ListenerPorts);
        await AssertForeignUntouchedAsync();
    }

    [Fact]
    public async Task Adding_and_removing_a_path_creates_then_deletes_one_rule_and_its_target_group()
    {
        var shape = GroupShape.Reference(backends: 3);
        AssertDone(await ApplyAsync(Build(shape)));
        var added = shape.WithExtraPathInFront();

        var add = await ApplyAsync(Build(added));
        AssertDone(add);
        AssertCalls(add, "CreateTargetGroup", 1);
        AssertCalls(add, "CreateRule", 2); // one per listener
        AssertCalls(add, "DeleteRule", 0);
        AssertCalls(add, "ModifyRule", 0);
        AssertCalls(add, "SetRulePriorities", 2); // the existing rules move down one: one call per listener
        AssertMutating(await ApplyAsync(Build(added), full: true), 0);

        var removed = await ApplyAsync(Build(shape));
        AssertDone(removed);
        AssertCalls(removed, "DeleteRule", 2);
        AssertCalls(removed, "DeleteTargetGroup", 1);
        AssertCalls(removed, "CreateRule", 0);
        AssertMutating(await ApplyAsync(Build(shape), full: true), 0);
        await AssertForeignUntouchedAsync();
    }

    [Fact]
    public async Task A_rule_order_refused_in_one_call_is_set_by_parking_the_moving_rules_first()
    {
        // Without the AWS emulation moto refuses a shift in one SetRulePriorities (PriorityInUse, nothing changed): the
        // deployer parks the moving rules and places them, two more calls, and ends in the same state.
        AtomicRulePriorities = false;
        NewDeployer();
        var shape = GroupShape.Reference(backends: 3) with { Https = false };
        AssertDone(await ApplyAsync(Build(shape)));
        var added = shape.WithExtraPathInFront();

        var result = await ApplyAsync(Build(added));

        AssertDone(result);
        AssertCalls(result, "SetRulePriorities", 3);
        var rules = (await OwnedSnapshotAsync()).Split('\n').Where(static l => l.StartsWith("    rule ", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, rules.Count);
        Assert.StartsWith("    rule 1 path-pattern[/extra/*]", rules[0], StringComparison.Ordinal);
        AssertMutating(await ApplyAsync(Build(added), full: true), 0);
    }

    [Fact]
    public async Task Changing_a_health_check_modifies_the_target_group_in_place()
    {
        var shape = GroupShape.Reference(backends: 2);
        AssertDone(await ApplyAsync(Build(shape)));
        var changed = shape with { Backends = [shape.Backends[0] with { HealthPath = "/ready" }, shape.Backends[1]] };

        var result = await ApplyAsync(Build(changed));

        AssertDone(result);
        AssertCalls(result, "ModifyTargetGroup", 1);
        AssertMutating(result, 2); // plus the checkpoint
        var change = Assert.Single(result.Changes, static c => c.IsMutation);
        Assert.Contains(change.Fields, static f => f.Field == "healthCheck" && f.After!.Contains("/ready", StringComparison.Ordinal));
        await AssertForeignUntouchedAsync();
    }

    [Fact]
    public async Task Switching_a_backend_target_type_replaces_its_target_group_without_a_rule_ever_pointing_at_nothing()
    {
        var shape = GroupShape.Reference(backends: 2);
        AssertDone(await ApplyAsync(Build(shape)));
        var switched = shape.WithFirstBackendIp();

        var result = await ApplyAsync(Build(switched));

        AssertDone(result);
        // New group first, rules switched in place (ModifyRule, atomic), old group deleted last; no rule deleted.
        var order = result.Changes.Where(static c => c.IsMutation).Select(static c => c.Action + " " + PlanRenderer.Render(c).Split('\n')[0].Trim()).ToList();
        AssertCalls(result, "CreateTargetGroup", 1);
        AssertCalls(result, "ModifyRule", 2);
        AssertCalls(result, "DeleteTargetGroup", 1);
        AssertCalls(result, "DeleteRule", 0);
        AssertCalls(result, "CreateRule", 0);
        Assert.Contains(result.Changes, static c => c.Action == ChangeAction.Replace && c.ResourceType == ResourceTypes.TargetGroup);
        var snapshot = await OwnedSnapshotAsync();
        Assert.True(snapshot.Contains(" ip HTTP:8080", StringComparison.Ordinal), snapshot);
        AssertMutating(await ApplyAsync(Build(switched), full: true), 0);
        await AssertForeignUntouchedAsync();
    }

    [Fact]
    public async Task Changing_the_scheme_replaces_the_load_balancer()
    {
        var shape = GroupShape.Reference(backends: 2);
        var first = await ApplyAsync(Build(shape));
        AssertDone(first);

        var result = await ApplyAsync(Build(shape with { Scheme = "internal" }));

        AssertDone(result);
        AssertCalls(result, "DeleteLoadBalancer", 1);
        AssertCalls(result, "CreateLoadBalancer", 1);
        AssertCalls(result, "CreateTargetGroup", 0);
        Assert.NotEqual(first.DnsName, result.DnsName);
        var snapshot = await OwnedSnapshotAsync();
        Assert.Single(snapshot.Split('\n'), static l => l.StartsWith("LB ", StringComparison.Ordinal));
        Assert.True(snapshot.Contains(" internal application", StringComparison.Ordinal), snapshot);
        AssertMutating(await ApplyAsync(Build(shape with { Scheme = "internal" }), full: true), 0);
        await AssertForeignUntouchedAsync();
    }

    [Fact]
    public async Task Adding_https_and_ssl_redirect_creates_the_https_listener_and_redirects_http()
    {
        var shape = GroupShape.Reference(backends: 2) with { Https = false };
        AssertDone(await ApplyAsync(Build(shape)));
        var https = shape with { Https = true, SslRedirect = true, TwoCertificates = true };

        var result = await ApplyAsync(Build(https));

        AssertDone(result);
        Assert.Equal([80, 443], result.ListenerPorts);
        var snapshot = await OwnedSnapshotAsync();
        Assert.Contains("listener 443 HTTPS ELBSecurityPolicy-2016-08 certs=" + string.Join(",", new[] { World.CertificateArn, World.SecondCertificateArn }.Order()), snapshot, StringComparison.Ordinal);
        // moto reports an SSL policy on HTTP listeners too, so the line is matched around it.
        Assert.Matches(@"listener 80 HTTP \S* certs= default=redirect HTTP_301 HTTPS://#\{host\}:443/#\{path\}\?#\{query\}", snapshot);
        // The HTTP listener's rules are gone (redirect only); the HTTPS listener has them.
        Assert.Equal(2, snapshot.Split('\n').Count(static l => l.StartsWith("    rule ", StringComparison.Ordinal)));
        AssertMutating(await ApplyAsync(Build(https), full: true), 0);
        await AssertForeignUntouchedAsync();
    }

    [Fact]
    public async Task Adding_and_removing_a_member_touches_only_that_members_rules_and_groups()
    {
        var shape = GroupShape.Reference(backends: 4);
        AssertDone(await ApplyAsync(Build(shape)));
        var withMember = shape with
        {
            Members = [.. shape.Members, "shop/cart"],
            Backends = [.. shape.Backends, new Backend("shop/cart", "cart", NodePort: 30070)],
            Paths = [.. shape.Paths, new PathRule("shop/cart", "/cart/*", "cart")],
        };

        var added = await ApplyAsync(Build(withMember));
        AssertDone(added);
        AssertCalls(added, "CreateRule", 2);
        AssertCalls(added, "ModifyRule", 0);
        AssertCalls(added, "SetRulePriorities", 0);

        var leaving = Build(shape with { Leaving = ["shop/cart"] });
        var removed = await ApplyAsync(leaving);
        AssertDone(removed);
        AssertCalls(removed, "DeleteRule", 2);
        AssertCalls(removed, "DeleteTargetGroup", 1);
        Assert.Contains(removed.Ingresses, static i => i.Ingress == "shop/cart" && i.Status == IngressStatus.Removed);
        AssertMutating(await ApplyAsync(leaving, full: true), 0);
        await AssertForeignUntouchedAsync();
    }

    [Fact]
    public async Task A_frozen_member_keeps_its_rules_and_target_groups_untouched_while_others_change()
    {
        var shape = GroupShape.Reference(backends: 4);
        AssertDone(await ApplyAsync(Build(shape)));
        var before = await OwnedSnapshotAsync();
        var frozen = shape with
        {
            Frozen = ["default/api"],
            Backends = [.. shape.Backends, new Backend("default/web", "new", NodePort: 30060)],
            Paths = [new PathRule("default/web", "/new/*", "new"), .. shape.Paths],
        };

        var result = await ApplyAsync(Build(frozen));

        AssertDone(result);
        Assert.Contains(result.Ingresses, static i => i.Ingress == "default/api" && i.Status == IngressStatus.Frozen && i.Reason!.Contains("scheme", StringComparison.Ordinal));
        AssertCalls(result, "DeleteRule", 0);
        AssertCalls(result, "DeleteTargetGroup", 0);
        Assert.Contains(result.Changes, static c => c.Action == ChangeAction.Frozen && c.ResourceType == ResourceTypes.TargetGroup);
        var after = await OwnedSnapshotAsync();
        foreach (var line in before.Split('\n').Where(static l => l.Contains("ingress=default/api", StringComparison.Ordinal) && l.StartsWith("TG", StringComparison.Ordinal)))
            Assert.Contains(line, after, StringComparison.Ordinal);
        AssertMutating(await ApplyAsync(Build(frozen), full: true), 0);
        await AssertForeignUntouchedAsync();
    }

    [Fact]
    public async Task All_members_frozen_changes_nothing_and_calls_nothing()
    {
        var shape = GroupShape.Reference(backends: 2);
        AssertDone(await ApplyAsync(Build(shape)));

        var result = await ApplyAsync(Build(shape) with { AllMembersFrozen = true, LoadBalancer = null, Listeners = [], Rules = [], TargetGroups = [], TargetSets = [] });

        AssertDone(result);
        Assert.Equal(0, result.TotalCalls);
        Assert.Empty(result.Changes);
    }

    [Fact]
    public async Task Deleting_the_group_removes_everything_we_created_and_nothing_else()
    {
        var shape = GroupShape.Reference(backends: 3);
        AssertDone(await ApplyAsync(Build(shape)));

        var result = await ConvergeAsync(Build(shape with { Empty = true, Members = [], Leaving = shape.Members }));

        Assert.All(result.Ingresses, static i => Assert.Equal(IngressStatus.Removed, i.Status));
        var snapshot = await OwnedSnapshotAsync();
        // Only the cluster-shared backend SG remains (garbage collection removes it when no stack uses it), and the
        // node SG keeps its shared rule (other stacks' targets may need it).
        Assert.False(snapshot.Contains("LB ", StringComparison.Ordinal), snapshot + "\n" + PlanRenderer.RenderText(result));
        Assert.False(snapshot.Contains("TG ", StringComparison.Ordinal), snapshot + "\n" + PlanRenderer.RenderText(result));
        Assert.False(snapshot.Contains("SG k8s-shop-", StringComparison.Ordinal), snapshot + "\n" + PlanRenderer.RenderText(result));
        await AssertForeignUntouchedAsync();
        var again = await ApplyAsync(Build(shape with { Empty = true, Members = [] }));
        AssertMutating(again, 0);
    }

    [Fact]
    public async Task Rules_without_our_tags_on_our_listener_are_kept_reported_and_their_priority_skipped()
    {
        var shape = GroupShape.Reference(backends: 3) with { Https = false };
        var first = await ApplyAsync(Build(shape));
        AssertDone(first);
        var listener = (await Inspect.DescribeListenersAsync(new DescribeListenersRequest { LoadBalancerArn = (await Inspect.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { Names = [TestStacks.LoadBalancerName("shop", "internet-facing")] })).LoadBalancers![0].LoadBalancerArn })).Listeners![0];
        // Someone else's rule at priority 2, in the middle of ours (we had 1..3; ours at 2 moves away first).
        await Inspect.SetRulePrioritiesAsync(new SetRulePrioritiesRequest
        {
            RulePriorities = [new RulePriorityPair { RuleArn = (await Inspect.DescribeRulesAsync(new DescribeRulesRequest { ListenerArn = listener.ListenerArn })).Rules!.First(static r => r.Priority == "2").RuleArn, Priority = 40 }],
        });
        var foreign = (await Inspect.CreateRuleAsync(new CreateRuleRequest
        {
            ListenerArn = listener.ListenerArn,
            Priority = 2,
            Conditions = [new RuleCondition { Field = "path-pattern", PathPatternConfig = new PathPatternConditionConfig { Values = ["/theirs/*"] } }],
            Actions = [new Serverless.Aws.ElasticLoadBalancingV2.Model.Action { Type = "fixed-response", FixedResponseConfig = new FixedResponseActionConfig { StatusCode = "418" } }],
        })).Rules![0];

        var result = await ApplyAsync(Build(shape), full: true);

        AssertDone(result);
        Assert.Contains(result.Changes, c => c.Action == ChangeAction.SkippedForeign && c.Arn == foreign.RuleArn);
        var rules = (await Inspect.DescribeRulesAsync(new DescribeRulesRequest { ListenerArn = listener.ListenerArn })).Rules!.Where(static r => r.IsDefault != true).ToList();
        var theirs = Assert.Single(rules, r => r.RuleArn == foreign.RuleArn);
        Assert.Equal("2", theirs.Priority);
        Assert.Equal(["1", "2", "3", "4"], rules.Select(static r => r.Priority!).OrderBy(int.Parse));
        AssertMutating(await ApplyAsync(Build(shape), full: true), 0);
        await AssertForeignUntouchedAsync();
    }

    [Fact]
    public async Task Deletion_protection_on_a_load_balancer_being_deleted_is_reported_and_not_removed()
    {
        var shape = GroupShape.Reference(backends: 2) with { LoadBalancerAttributes = new SortedDictionary<string, string> { ["deletion_protection.enabled"] = "true" } };
        AssertDone(await ApplyAsync(Build(shape)));
        var before = await OwnedSnapshotAsync();

        var result = await ApplyAsync(Build(shape with { Empty = true, Members = [] }));

        Assert.Equal(ReconcileKind.Failed, result.Reconcile.Kind);
        Assert.Contains(result.Changes, static c => c.Action == ChangeAction.Blocked && c.Reason!.Contains("deletion protection", StringComparison.Ordinal));
        AssertMutating(result, 0);
        Assert.Equal(before, await OwnedSnapshotAsync());
    }

    [Fact]
    public async Task An_attribute_removed_from_the_stack_returns_to_the_aws_default()
    {
        var shape = GroupShape.Reference(backends: 2) with
        {
            LoadBalancerAttributes = new SortedDictionary<string, string> { ["idle_timeout.timeout_seconds"] = "120" },
            TargetGroupAttributes = new SortedDictionary<string, string> { ["deregistration_delay.timeout_seconds"] = "30" },
        };
        AssertDone(await ApplyAsync(Build(shape)));

        var result = await ApplyAsync(Build(shape with { LoadBalancerAttributes = new SortedDictionary<string, string>(), TargetGroupAttributes = new SortedDictionary<string, string>() }));

        AssertDone(result);
        var snapshot = await OwnedSnapshotAsync();
        Assert.True(snapshot.Contains("idle_timeout.timeout_seconds=60", StringComparison.Ordinal), snapshot);
        Assert.True(snapshot.Contains("deregistration_delay.timeout_seconds=300,", StringComparison.Ordinal), snapshot + "\n" + PlanRenderer.RenderText(result));
        Assert.Contains(result.Changes, static c => c.Fields.Any(static f => f.Field == "attribute idle_timeout.timeout_seconds" && f.Before == "120" && f.After == "60"));
    }

    [Fact]
    public async Task A_drained_node_is_deregistered_from_every_target_group_and_nothing_else_changes()
    {
        var shape = GroupShape.Reference(backends: 3);
        AssertDone(await ApplyAsync(Build(shape)));

        var result = await ApplyAsync(Build(shape with { NodeCount = 4 }));

        AssertDone(result);
        AssertCalls(result, "DeregisterTargets", 3);
        AssertMutating(result, 4); // three deregistrations and the checkpoint
        Assert.DoesNotContain(World.Instances[4], await OwnedSnapshotAsync(), StringComparison.Ordinal);
    }
}
