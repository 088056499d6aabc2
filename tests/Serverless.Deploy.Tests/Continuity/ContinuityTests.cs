using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Deploy.Tests.Infrastructure;
using Serverless.Model;
using Serverless.Testing;
using Serverless.Testing.Continuity;
using ElbAction = Serverless.Aws.ElasticLoadBalancingV2.Model.Action;

namespace Serverless.Deploy.Tests.Continuity;

/// <summary>
/// Changes that must never drop a request served before and after them, checked after every mutating AWS call by the
/// <see cref="ContinuityChecker"/>; new targets stay <c>initial</c> until the test lets them become healthy.
/// </summary>
[Collection(ContinuityMotoCollection.Name)]
public sealed class ContinuityTests(MotoFixture fixture) : ContinuityTest(fixture)
{
    /// <summary>Three backends of two members, HTTP only: rules /svc0/*, /svc2/* (web) and /svc1/* (api) on port 80.</summary>
    private static readonly GroupShape Base = GroupShape.Reference(backends: 3) with { Https = false };

    [Fact]
    public async Task Instance_to_ip_stages_the_new_target_group_at_weight_0_and_switches_once_a_target_is_healthy()
    {
        var to = Base.WithFirstBackendIp();

        var change = await ChangeAsync(Base, to);

        AssertNoGap(change);
        AssertDoneAfterStaging(change);
        Assert.Contains(change.Runs[0].Changes, static c => c.Action == ChangeAction.Replace && c.ResourceType == ResourceTypes.TargetGroup);
        // The staged run kept the old group; the run that switched deleted it.
        AssertCalls(change.Runs[0], "DeleteTargetGroup", 0);
        AssertCalls(change.Last, "DeleteTargetGroup", 1);
        var snapshot = await OwnedSnapshotAsync();
        Assert.True(snapshot.Contains(" ip HTTP:8080", StringComparison.Ordinal), snapshot);
        Assert.Equal(3, snapshot.Split('\n').Count(static l => l.StartsWith("TG ", StringComparison.Ordinal)));
        Assert.DoesNotContain(DeployTags.StagedSince, snapshot, StringComparison.Ordinal);
        await AssertSettledAsync(to);
    }

    [Fact]
    public async Task Backend_protocol_http_to_https_replaces_the_target_group_without_a_gap()
    {
        var to = Base with { Backends = [Base.Backends[0] with { Protocol = "HTTPS" }, .. Base.Backends.Skip(1)] };

        var change = await ChangeAsync(Base, to);

        AssertNoGap(change);
        AssertDoneAfterStaging(change);
        var snapshot = await OwnedSnapshotAsync();
        Assert.True(snapshot.Contains(" instance HTTPS:30000", StringComparison.Ordinal), snapshot);
        Assert.Equal(3, snapshot.Split('\n').Count(static l => l.StartsWith("TG ", StringComparison.Ordinal)));
        await AssertSettledAsync(to);
    }

    [Fact]
    public async Task A_renamed_backend_service_gets_its_traffic_only_once_the_new_group_has_a_healthy_target()
    {
        var to = Base with
        {
            Backends = [Base.Backends[0] with { Service = "svc0-v2" }, .. Base.Backends.Skip(1)],
            Paths = [Base.Paths[0] with { Service = "svc0-v2" }, .. Base.Paths.Skip(1)],
        };

        var change = await ChangeAsync(Base, to);

        AssertNoGap(change);
        AssertDoneAfterStaging(change);
        var snapshot = await OwnedSnapshotAsync();
        Assert.True(snapshot.Contains("svc0-v2", StringComparison.Ordinal), snapshot);
        Assert.Equal(3, snapshot.Split('\n').Count(static l => l.StartsWith("TG ", StringComparison.Ordinal)));
        await AssertSettledAsync(to);
    }

    [Fact]
    public async Task A_new_path_in_front_of_a_catch_all_forwards_to_what_serves_it_now_until_its_group_is_healthy()
    {
        var start = new GroupShape
        {
            Https = false,
            Backends = [new Backend("default/web", "web", NodePort: 30001)],
            Paths = [new PathRule("default/web", "/*", "web")],
        };
        var to = start with
        {
            Backends = [.. start.Backends, new Backend("default/web", "api", NodePort: 30002)],
            Paths = [new PathRule("default/web", "/api/*", "api"), .. start.Paths],
        };

        var change = await ChangeAsync(start, to);

        AssertNoGap(change);
        AssertDoneAfterStaging(change);
        Assert.Contains(new Probe(80, Probe.DefaultHost, "/api/probe"), change.Report.Continuous);
        var create = Assert.Single(change.Runs[0].Changes, static c => c.Action == ChangeAction.Create && c.ResourceType == ResourceTypes.ListenerRule);
        Assert.Contains(create.Fields, static f => f.Field == "actions" && f.After!.Contains("*0", StringComparison.Ordinal));
        var rules = (await OwnedSnapshotAsync()).Split('\n').Where(static l => l.StartsWith("    rule ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, rules.Count);
        Assert.StartsWith("    rule 1 path-pattern[/api/*]", rules[0], StringComparison.Ordinal);
        await AssertSettledAsync(to);
    }

    [Fact]
    public async Task Past_the_rule_quota_a_rule_whose_requests_move_to_a_new_rule_is_turned_into_it_in_place()
    {
        TuneOptions = static o => o with { RulesPerListener = 10 };
        var start = GroupShape.Reference(backends: 10) with { Https = false };
        // /svc9/* moves in front and to a renamed service: without the quota it would be created at priority 1 and the
        // old rule deleted last (11 rules at once).
        var to = start with
        {
            Backends = [.. start.Backends.Take(9), new Backend("default/web", "svc9-v2", NodePort: 30009)],
            Paths = [new PathRule("default/web", "/svc9/*", "svc9-v2"), .. start.Paths.Take(9)],
        };

        var change = await ChangeAsync(start, to);

        AssertNoGap(change);
        AssertDoneAfterStaging(change);
        Assert.True(change.Report.MaxRulesOnAListener <= 10, change.Report.ToString());
        AssertCalls(change.Runs[0], "CreateRule", 0);
        var rules = (await OwnedSnapshotAsync()).Split('\n').Where(static l => l.StartsWith("    rule ", StringComparison.Ordinal)).ToList();
        Assert.Equal(10, rules.Count);
        Assert.StartsWith("    rule 1 path-pattern[/svc9/*]", rules[0], StringComparison.Ordinal);
        await AssertSettledAsync(to);
    }

    [Fact]
    public async Task Past_the_rule_quota_a_rule_nothing_takes_over_is_deleted_before_the_creation()
    {
        TuneOptions = static o => o with { RulesPerListener = 10 };
        var start = GroupShape.Reference(backends: 10) with { Https = false };
        var to = (start with { Backends = [.. start.Backends.Take(9)], Paths = [.. start.Paths.Take(9)] }).WithExtraPathInFront();

        var change = await ChangeAsync(start, to);

        AssertNoGap(change);
        AssertDone(change.Last);
        Assert.True(change.Report.MaxRulesOnAListener <= 10, change.Report.ToString());
        var order = change.Report.Steps.Select(static s => s.Call.Operation).Where(static o => o is "CreateRule" or "DeleteRule").ToList();
        Assert.Equal(["DeleteRule", "CreateRule"], order);
        await AssertSettledAsync(to);
    }

    [Fact]
    public async Task A_TooManyRules_answer_from_AWS_turns_on_one_rule_out_per_rule_in()
    {
        // The quota option is left at its default: the listener's real quota is learned from AWS's refusal.
        var start = GroupShape.Reference(backends: 10) with { Https = false };
        var to = (start with { Backends = [.. start.Backends.Take(9)], Paths = [.. start.Paths.Take(9)] }).WithExtraPathInFront();
        var refusals = 0;
        Canned = r => r.Operation == "CreateRule" && r.Form.AllKeys.Any(k => r.Form[k!] == "/extra/*") && Interlocked.Increment(ref refusals) == 1
            ? ElbError("TooManyRules", "You've reached the limit on the number of rules per listener")
            : null;

        var change = await ChangeAsync(start, to);

        Assert.Equal(2, refusals); // refused once, then accepted
        AssertNoGap(change);
        AssertDone(change.Last);
        Assert.True(change.Report.MaxRulesOnAListener <= 10, change.Report.ToString());
        var order = change.Report.Steps.Select(static s => s.Call.Operation).Where(static o => o is "CreateRule" or "DeleteRule").ToList();
        Assert.Equal(["DeleteRule", "CreateRule"], order);
        await AssertSettledAsync(to);
    }

    [Fact]
    public async Task Without_the_quota_interleave_the_same_change_needs_eleven_rules_on_the_listener()
    {
        // The quota test above is only meaningful if the plain order crosses the quota: with the default quota the
        // deployer creates first and deletes last.
        var start = GroupShape.Reference(backends: 10) with { Https = false };
        var to = (start with { Backends = [.. start.Backends.Take(9)], Paths = [.. start.Paths.Take(9)] }).WithExtraPathInFront();

        var change = await ChangeAsync(start, to);

        AssertNoGap(change);
        Assert.Equal(11, change.Report.MaxRulesOnAListener);
    }

    [Fact]
    public async Task A_removed_rule_and_a_drained_node_leave_every_other_request_served()
    {
        var to = Base with { Backends = [.. Base.Backends.Take(2)], Paths = [.. Base.Paths.Take(2)], NodeCount = 4 };

        var change = await ChangeAsync(Base, to);

        AssertNoGap(change);
        AssertDone(Assert.Single(change.Runs));
        Assert.False(change.Report.After[new Probe(80, Probe.DefaultHost, "/svc2/probe")].Served);
        await AssertSettledAsync(to);
    }

    [Fact]
    public async Task A_canary_weight_to_a_new_group_waits_for_its_health_and_a_weight_between_serving_groups_does_not()
    {
        var withCanary = Base with { Backends = [.. Base.Backends, new Backend("default/web", "canary", NodePort: 30007)] };
        var before = Build(Base);
        var canary = Weighted(Build(withCanary), ("svc0", 80), ("canary", 20));

        var change = await ChangeAsync(before, canary);

        AssertNoGap(change);
        AssertDoneAfterStaging(change);
        await AssertSettledAsync(canary);

        // svc1 serves /svc1/* already: splitting /svc0/* between svc0 and svc1 needs no wait.
        var split = Weighted(Build(withCanary), ("svc0", 50), ("svc1", 50));
        var direct = await ChangeAsync(canary, split);
        AssertNoGap(direct);
        AssertDone(Assert.Single(direct.Runs));
    }

    [Fact]
    public async Task A_group_that_never_becomes_healthy_gets_the_traffic_after_the_timeout_with_a_warning()
    {
        TuneOptions = static o => o with { HealthWaitTimeout = TimeSpan.FromMinutes(5) };
        var to = Base.WithFirstBackendIp();

        var change = await ChangeAsync(Base, to, betweenRuns: _ => Clock.Advance(TimeSpan.FromMinutes(2)), healthyInTheEnd: false);

        Assert.Equal(4, change.Runs.Count);
        Assert.All(change.Runs.Take(3), static r => Assert.Equal(ReconcileKind.RequeueAfter, r.Reconcile.Kind));
        // While waiting, a run changes nothing.
        AssertMutating(change.Runs[1], 0);
        AssertMutating(change.Runs[2], 0);
        AssertDone(change.Last);
        var warning = Assert.Single(change.Last.Warnings);
        Assert.Contains("360s", warning, StringComparison.Ordinal);
        Assert.Contains(Build(to).TargetGroups[0].Name, warning, StringComparison.Ordinal);
        Assert.Empty(change.Report.Gaps);
    }

    [Fact]
    public async Task The_checker_reports_a_rule_switched_to_a_group_whose_targets_are_not_healthy_yet()
    {
        // The old deployer's sequence by hand: new group, targets registered, the rule switched at once.
        var stack = Build(Base);
        await ConvergeAsync(stack);
        using var elb = new ElasticLoadBalancingV2Client(Moto.ClientOptions() with { ServiceUrl = Proxy.Url });
        var lb = (await elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { Names = [stack.LoadBalancer!.Name] })).LoadBalancers![0];
        var listener = (await elb.DescribeListenersAsync(new DescribeListenersRequest { LoadBalancerArn = lb.LoadBalancerArn })).Listeners![0];
        var rule = (await elb.DescribeRulesAsync(new DescribeRulesRequest { ListenerArn = listener.ListenerArn })).Rules!.Single(static r => r.Priority == "1");
        Proxy.Health.HoldNewTargets = true;
        using var checker = new ContinuityChecker(Proxy, Moto, [stack.LoadBalancer.Name], Probe.From(stack));
        await checker.BeginAsync();

        var tg = (await elb.CreateTargetGroupAsync(new CreateTargetGroupRequest { Name = "svc0-by-hand", Protocol = "HTTP", Port = 8080, VpcId = World.VpcId, TargetType = "ip" })).TargetGroups![0];
        await elb.RegisterTargetsAsync(new RegisterTargetsRequest { TargetGroupArn = tg.TargetGroupArn, Targets = [new TargetDescription { Id = "10.0.1.50", Port = 8080 }] });
        await elb.ModifyRuleAsync(new ModifyRuleRequest { RuleArn = rule.RuleArn, Actions = [new ElbAction { Type = "forward", TargetGroupArn = tg.TargetGroupArn }] });
        Proxy.Health.ReleaseAll();
        await elb.AddTagsAsync(new AddTagsRequest { ResourceArns = [tg.TargetGroupArn!], Tags = [new Tag { Key = "healthy", Value = "now" }] });
        var report = await checker.EndAsync();

        var gap = Assert.Single(report.Gaps);
        Assert.Equal("ModifyRule", gap.Call.Operation);
        Assert.Equal(new Probe(80, Probe.DefaultHost, "/svc0/probe"), gap.Probe);
        Assert.Contains("no healthy target in svc0-by-hand", gap.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_checker_reports_targets_deregistered_while_a_rule_still_forwards_to_them()
    {
        var stack = Build(Base);
        await ConvergeAsync(stack);
        using var elb = new ElasticLoadBalancingV2Client(Moto.ClientOptions() with { ServiceUrl = Proxy.Url });
        var tg = (await elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { Names = [stack.TargetGroups[0].Name] })).TargetGroups![0];
        var targets = (await elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = tg.TargetGroupArn })).TargetHealthDescriptions!.Select(static d => d.Target!).ToList();
        using var checker = new ContinuityChecker(Proxy, Moto, [stack.LoadBalancer!.Name], Probe.From(stack));
        await checker.BeginAsync();

        await elb.DeregisterTargetsAsync(new DeregisterTargetsRequest { TargetGroupArn = tg.TargetGroupArn, Targets = targets });
        await elb.RegisterTargetsAsync(new RegisterTargetsRequest { TargetGroupArn = tg.TargetGroupArn, Targets = targets });
        var report = await checker.EndAsync();

        var gap = Assert.Single(report.Gaps);
        Assert.Equal("DeregisterTargets", gap.Call.Operation);
        Assert.Contains(tg.TargetGroupName!, gap.Call.Resource, StringComparison.Ordinal);
        Assert.Equal("/svc0/probe", gap.Probe.Path);
    }

    [Fact]
    public async Task A_staged_replacement_stays_gap_free_and_ends_the_same_after_a_crash_after_any_mutating_call()
    {
        var to = Base.WithFirstBackendIp();
        var clean = await ChangeAsync(Base, to);
        AssertNoGap(clean);
        var expected = await NormalizedSnapshotAsync();
        var calls = clean.Report.Steps.Count;
        Assert.True(calls >= 6, clean.Report.ToString());

        for (var k = 0; k < calls; k++)
        {
            await ResetWorldAsync();
            await ConvergeAsync(Build(Base));
            Proxy.Health.ReleaseAll();
            Proxy.Health.HoldNewTargets = true;
            using var checker = new ContinuityChecker(Proxy, Moto, Build(Base).KnownLoadBalancerNames, Probe.From(Build(Base), Build(to)));
            await checker.BeginAsync();
            Crash.MutatingCallsAllowed = k;
            var outcomes = new List<string>();
            for (var run = 0; run < 8; run++)
            {
                NewDeployer();
                var result = await ApplyAsync(Build(to));
                outcomes.Add(result.Reconcile.ToString());
                if (result.Reconcile.Kind == ReconcileKind.Done)
                    break;
                if (Crash.Crashed)
                    Crash.Reset(); // the process died; the next invocation starts afresh
                else
                    Proxy.Health.ReleaseAll();
            }
            Proxy.Health.ReleaseAll();
            var report = await checker.EndAsync();
            Proxy.Health.HoldNewTargets = false;
            Assert.True(outcomes[^1] == "done", $"crash after mutating call {k}: {string.Join(" | ", outcomes)}");
            Assert.True(outcomes[0].StartsWith("failed: InjectedCrash", StringComparison.Ordinal), $"no crash after mutating call {k}: {string.Join(" | ", outcomes)}");
            Assert.True(report.Gaps.Count == 0, $"crash after mutating call {k}:\n{report}");
            var actual = await NormalizedSnapshotAsync();
            Assert.True(expected == actual, $"crash after mutating call {k} of {calls}:\n--- expected\n{expected}\n--- actual\n{actual}");
        }
    }

    [Fact]
    public async Task Changing_the_scheme_opens_a_gap_from_deleting_the_old_load_balancer()
    {
        // Known and documented: the old load balancer is deleted before the new one (another name, another DNS name)
        // routes; a target group belongs to one load balancer only.
        var to = Base with { Scheme = "internal" };

        var change = await ChangeAsync(Base, to);

        AssertDone(change.Last);
        Assert.NotEmpty(change.Report.Continuous);
        Assert.Equal("DeleteLoadBalancer", change.Report.Gaps[0].Call.Operation);
        Assert.All(change.Report.Continuous, p => Assert.Contains(change.Report.Gaps, g => g.Probe == p && g.Call.Operation == "DeleteLoadBalancer"));
    }

    [Fact]
    public async Task A_listener_default_forward_moves_to_a_new_group_only_once_it_has_a_healthy_target()
    {
        var withDefault = Base with { Backends = [.. Base.Backends, new Backend("default/web", "fallback", NodePort: 30008)] };
        var before = DefaultForward(Build(Base), "svc1");
        var after = DefaultForward(Build(withDefault), "fallback");

        var change = await ChangeAsync(before, after);

        AssertNoGap(change);
        AssertDoneAfterStaging(change);
        Assert.Contains(new Probe(80, Probe.DefaultHost, "/no-rule-names-this-path"), change.Report.Continuous);
        var staged = Assert.Single(change.Runs[0].Changes, static c => c.ResourceType == ResourceTypes.Listener && c.Action == ChangeAction.Modify);
        Assert.Contains(staged.Fields, static f => f.Field == "defaultActions" && f.After!.Contains("fallback:80 (new)*0", StringComparison.Ordinal));
        await AssertSettledAsync(after);
    }

    /// <summary><paramref name="stack"/> with its listeners' default action forwarding to the service's group.</summary>
    private static Stack DefaultForward(Stack stack, string service)
    {
        var id = stack.TargetGroups.Single(t => t.Id.EndsWith("-" + service + ":80", StringComparison.Ordinal)).Id;
        return stack with
        {
            Listeners = [.. stack.Listeners.Select(l => l with
            {
                DefaultActions = [new ActionSpec { Type = "forward", Forward = new ForwardActionSpec { TargetGroups = [new WeightedTargetGroup { TargetGroupArn = StringOrRef.To(ResourceRef.TargetGroupArn(id)) }] } }],
            })],
        };
    }

    /// <summary><paramref name="stack"/> with its first rule forwarding to the services' groups at the given weights.</summary>
    private static Stack Weighted(Stack stack, params (string Service, int Weight)[] groups)
    {
        var rules = stack.Rules.ToList();
        rules[0] = rules[0] with
        {
            Actions =
            [
                new ActionSpec
                {
                    Type = "forward",
                    Forward = new ForwardActionSpec
                    {
                        TargetGroups = [.. groups.Select(g => new WeightedTargetGroup
                        {
                            TargetGroupArn = StringOrRef.To(ResourceRef.TargetGroupArn(stack.TargetGroups.Single(t => t.Id.EndsWith("-" + g.Service + ":80", StringComparison.Ordinal)).Id)),
                            Weight = g.Weight,
                        })],
                    },
                },
            ],
        };
        return stack with { Rules = rules };
    }
}
