using Serverless.Model;
using static Serverless.Ingress.Tests.Front.F;

namespace Serverless.Ingress.Tests.Front;

public class RuleAssemblyTests
{
    private static readonly (string, string) Shared = ("group.name", "shared");
    private static readonly (string, string) TwoPorts = ("listen-ports", "[{\"HTTP\":80},{\"HTTPS\":443}]");
    private static readonly (string, string) Cert = ("certificate-arn", "arn:c");

    [Fact]
    public void Rules_AreTheMembersRulesInGroupOrder_NumberedFromOnePerListener()
    {
        var backends = new Dictionary<string, MemberRules>
        {
            ["ns/a"] = Rules("ns/a", 2, 80, 443),
            ["ns/b"] = Rules("ns/b", 1, 80, 443),
        };
        var stack = Build(Snapshot(Group(),
            Ing("ns", "b", A(Shared, TwoPorts, Cert), rules: true),
            Ing("ns", "a", A(Shared, TwoPorts, Cert, ("group.order", "-1")), rules: true)), backends);
        Assert.Equal(
            [(80, 1, "ns/a"), (80, 2, "ns/a"), (80, 3, "ns/b"), (443, 1, "ns/a"), (443, 2, "ns/a"), (443, 3, "ns/b")],
            stack.Rules.Select(static r => (r.Port, r.Priority, r.Owner)));
        Assert.Equal("/ns/a/1", stack.Rules[1].Conditions[0].Values![0]);
    }

    [Fact]
    public void RuleTags_AreTheOwnersTags_WithTrackingTagsAndTheOwnerTag()
    {
        var backends = new Dictionary<string, MemberRules> { ["ns/a"] = Rules("ns/a", 1), ["ns/b"] = Rules("ns/b", 1) };
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared, ("tags", "team=a")), rules: true),
            Ing("ns", "b", A(Shared, ("tags", "cost=1")), rules: true)), backends);
        Assert.Equal(new Dictionary<string, string>
        {
            ["elbv2.k8s.aws/cluster"] = "prod",
            ["ingress.k8s.aws/resource"] = "80:1",
            ["ingress.k8s.aws/stack"] = "shared",
            ["serverless.elbv2.k8s.aws/ingress"] = "ns/a",
            ["team"] = "a",
        }, stack.Rules[0].Tags);
        Assert.Equal("1", stack.Rules[1].Tags["cost"]);
        Assert.False(stack.Rules[1].Tags.ContainsKey("team"));
    }

    [Fact]
    public void TheBackHalf_GetsTheMembersListenersWithTheirProtocols_AndIsNotCalledWithoutRules()
    {
        var calls = new List<(string, IReadOnlyList<ListenerPort>)>();
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared, TwoPorts, Cert), rules: true),
            Ing("ns", "b", A(Shared))), (_, member, ports) =>
            {
                calls.Add((member.Key, ports));
                return Rules(member.Key, 1, 80, 443);
            });
        var (key, ports) = Assert.Single(calls);
        Assert.Equal("ns/a", key);
        Assert.Equal([new ListenerPort(80, "HTTP"), new ListenerPort(443, "HTTPS")], ports);
        Assert.Equal(2, stack.Rules.Count);
    }

    [Fact]
    public void TheRuleOptimizer_SeesEachListenersRules_AndItsResultIsNumbered()
    {
        var seen = new List<(ListenerPort, int)>();
        var backends = new Dictionary<string, MemberRules> { ["ns/a"] = Rules("ns/a", 3), ["ns/b"] = Rules("ns/b", 2) };
        var stack = StackAssembler.Build(
            Snapshot(Group(), Ing("ns", "a", A(Shared), rules: true), Ing("ns", "b", A(Shared), rules: true)),
            new BuilderSeams((_, m, _) => backends[m.Key], (rules, listener) =>
            {
                seen.Add((listener, rules.Count));
                return [.. rules.Where(static (_, i) => i % 2 == 0)];
            }));
        Assert.Equal([(new ListenerPort(80, "HTTP"), 5)], seen);
        Assert.Equal([(1, "ns/a"), (2, "ns/a"), (3, "ns/b")], stack.Rules.Select(static r => (r.Priority, r.Owner)));
    }

    [Fact]
    public void BackHalfRejectingAMember_FreezesOnlyThatMember()
    {
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared), rules: true),
            Ing("ns", "b", A(Shared), rules: true),
            Ing("ns", "c", A(Shared), rules: true)), (_, member, _) => member.Key == "ns/b"
                ? throw new InvalidInputException(new BuildError("Service ns/missing", "spec.ports", "http", "port not found"))
                : Rules(member.Key, 1));
        Assert.Equal([IngressState.Active, IngressState.Frozen, IngressState.Active], stack.Ingresses.Select(static i => i.State));
        Assert.Equal("Service ns/missing: spec.ports \"http\": port not found", stack.Outcome("ns/b").Errors());
        Assert.Equal([(1, "ns/a"), (2, "ns/c")], stack.Rules.Select(static r => (r.Priority, r.Owner)));
    }

    [Fact]
    public void FrozenMembersRules_StayAfterTheRulesOfTheMembersBeforeThem()
    {
        var backends = new Dictionary<string, MemberRules> { ["ns/a"] = Rules("ns/a", 2, 80, 443), ["ns/c"] = Rules("ns/c", 1, 80, 443) };
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared, TwoPorts, Cert), rules: true),
            Ing("ns", "b", A(Shared, TwoPorts, Cert, ("scheme", "bogus")), rules: true),
            Ing("ns", "c", A(Shared, TwoPorts, Cert), rules: true),
            Ing("ns", "d", A(Shared, ("listen-ports", "[{\"HTTP\":9090}]"), ("tags", "x")), rules: true)), backends);
        Assert.Equal(
            [
                new FrozenRuleBlock { Port = 80, Owner = "ns/b", AfterPriority = 2 },
                new FrozenRuleBlock { Port = 443, Owner = "ns/b", AfterPriority = 2 },
                new FrozenRuleBlock { Port = 9090, Owner = "ns/d", AfterPriority = 0 },
            ],
            stack.FrozenRules);
        Assert.Equal(["ns/b", "ns/d"], stack.FrozenOwners);
    }

    [Fact]
    public void FrozenMemberWithUnparsableListenPorts_KeepsItsRulesOnEveryListener()
    {
        var backends = new Dictionary<string, MemberRules> { ["ns/b"] = Rules("ns/b", 1, 80, 443) };
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared, ("listen-ports", "not json")), rules: true),
            Ing("ns", "b", A(Shared, TwoPorts, Cert), rules: true)), backends);
        Assert.Equal(
            [
                new FrozenRuleBlock { Port = 80, Owner = "ns/a", AfterPriority = 0 },
                new FrozenRuleBlock { Port = 443, Owner = "ns/a", AfterPriority = 0 },
            ],
            stack.FrozenRules);
    }

    [Fact]
    public void TooManyRulesOnAListener_FreezeTheMemberCrossingTheLimit_AndLaterMembersAddingRulesThere()
    {
        var backends = new Dictionary<string, MemberRules>
        {
            ["ns/a"] = Rules("ns/a", 60),
            ["ns/b"] = Rules("ns/b", 45),
            ["ns/c"] = Rules("ns/c", 10),
            ["ns/d"] = Rules("ns/d", 5, 8080),
            ["ns/e"] = Rules("ns/e", 0),
        };
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared), rules: true),
            Ing("ns", "b", A(Shared), rules: true),
            Ing("ns", "c", A(Shared), rules: true),
            Ing("ns", "d", A(Shared, ("listen-ports", "[{\"HTTP\":8080}]")), rules: true),
            Ing("ns", "e", A(Shared), rules: true)), backends);
        Assert.Equal(
            [IngressState.Active, IngressState.Frozen, IngressState.Frozen, IngressState.Active, IngressState.Active],
            stack.Ingresses.Select(static i => i.State));
        Assert.Equal("listener 80 would have 105 rules with this Ingress's 45, over the limit of 100 rules per listener; this Ingress is left out",
            Assert.Single(stack.Outcome("ns/b").Errors).Message);
        Assert.Contains("would have 115 rules with this Ingress's 10", stack.Outcome("ns/c").Errors(), StringComparison.Ordinal);
        Assert.Equal(60, stack.Rules.Count(static r => r.Port == 80));
        Assert.Equal([new FrozenRuleBlock { Port = 80, Owner = "ns/b", AfterPriority = 60 }, new FrozenRuleBlock { Port = 80, Owner = "ns/c", AfterPriority = 60 }],
            stack.FrozenRules);
    }

    [Fact]
    public void TooManyTargetGroups_FreezeTheMemberCrossingTheLimit_AndLaterMembersAddingNewOnes()
    {
        MemberRules WithGroups(string owner, params string[] ids) =>
            Rules(owner, 1) with { TargetGroups = [.. ids.Select(id => TargetGroup(id, owner))] };
        var snapshot = Snapshot(Group(),
            Ing("ns", "a", A(Shared), rules: true),
            Ing("ns", "b", A(Shared), rules: true),
            Ing("ns", "c", A(Shared), rules: true),
            Ing("ns", "d", A(Shared), rules: true)) with
        {
            Cluster = Cluster with { MaxTargetGroupsPerLoadBalancer = 3 },
        };
        var stack = Build(snapshot, new Dictionary<string, MemberRules>
        {
            ["ns/a"] = WithGroups("ns/a", "tg-1", "tg-2"),
            ["ns/b"] = WithGroups("ns/b", "tg-3", "tg-4"),
            ["ns/c"] = WithGroups("ns/c", "tg-1"),
            ["ns/d"] = WithGroups("ns/d", "tg-5"),
        });
        Assert.Equal(
            [IngressState.Active, IngressState.Frozen, IngressState.Active, IngressState.Frozen],
            stack.Ingresses.Select(static i => i.State));
        Assert.Contains("would have 4 target groups with this Ingress's 2 new ones, over the limit of 3", stack.Outcome("ns/b").Errors(), StringComparison.Ordinal);
        Assert.Equal(["tg-1", "tg-2"], stack.TargetGroups.Select(static t => t.Id));
    }

    [Fact]
    public void TargetGroupsAndTargetSets_AreTheUnionOfTheMembers_DeduplicatedAndSortedById()
    {
        var set = static (string id) => new TargetSetSpec { TargetGroupId = id, TargetType = "ip", Targets = [new TargetSpec("10.0.0.1", 8080)] };
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared), rules: true), Ing("ns", "b", A(Shared), rules: true)),
            new Dictionary<string, MemberRules>
            {
                ["ns/a"] = Rules("ns/a", 1) with { TargetGroups = [TargetGroup("ns/a-z:80", "ns/a"), TargetGroup("ns/a-y:80", "ns/a")], TargetSets = [set("ns/a-z:80"), set("ns/a-y:80")] },
                ["ns/b"] = Rules("ns/b", 1) with { TargetGroups = [TargetGroup("ns/a-y:80", "ns/a"), TargetGroup("ns/b-x:80", "ns/b")], TargetSets = [set("ns/b-x:80")] },
            });
        Assert.Equal(["ns/a-y:80", "ns/a-z:80", "ns/b-x:80"], stack.TargetGroups.Select(static t => t.Id));
        Assert.Equal(["ns/a-y:80", "ns/a-z:80", "ns/b-x:80"], stack.TargetSets.Select(static t => t.TargetGroupId));
    }

    [Fact]
    public void ConflictLoser_IsReconsidered_WhenTheWinnerIsFrozenForAnotherReason()
    {
        // a wins the scheme but its HTTPS listener has no certificate; once a is frozen, b's scheme is the group's.
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared, ("scheme", "internet-facing"), ("listen-ports", "[{\"HTTPS\":443}]"))),
            Ing("ns", "b", A(Shared, ("scheme", "internal")))));
        Assert.Equal(IngressState.Frozen, stack.Outcome("ns/a").State);
        Assert.Equal(IngressState.Active, stack.Outcome("ns/b").State);
        Assert.Empty(stack.Outcome("ns/b").Errors);
        Assert.Equal("internal", stack.LoadBalancer!.Scheme);
    }

    [Fact]
    public void OutputIsOrdered_ListenersByPort_RulesByPortThenPriority_IngressesInGroupOrderThenLeaving()
    {
        var backends = new Dictionary<string, MemberRules> { ["ns/a"] = Rules("ns/a", 2, 8080, 80) };
        var stack = Build(Snapshot(Group(),
            Ing("ns", "z-gone", A(Shared), finalizers: [Finalizer()], deleted: true),
            Ing("ns", "a-gone", A(Shared), finalizers: [Finalizer()], deleted: true),
            Ing("ns", "a", A(Shared, ("listen-ports", "[{\"HTTP\":8080},{\"HTTP\":80}]"), ("group.order", "3")), rules: true),
            Ing("ns", "b", A(Shared))), backends);
        Assert.Equal([80, 8080], stack.Listeners.Select(static l => l.Port));
        Assert.Equal([(80, 1), (80, 2), (8080, 1), (8080, 2)], stack.Rules.Select(static r => (r.Port, r.Priority)));
        Assert.Equal(["ns/b", "ns/a", "ns/a-gone", "ns/z-gone"], stack.Ingresses.Select(static i => i.Key));
    }
}
