using CsCheck;
using k8s.Models;
using Serverless.Model;
using static Serverless.Ingress.Tests.Front.F;

namespace Serverless.Ingress.Tests.Front;

public class PropertyTests
{
    // Valid and invalid values of the group-wide annotations, so random groups hit conflicts and errors of every kind.
    private static readonly (string Key, string[] Values)[] Choices =
    [
        ("scheme", ["internal", "internet-facing", "bogus"]),
        ("ip-address-type", ["ipv4", "dualstack", "v6"]),
        ("group.order", ["-3", "0", "7", "2000", "x"]),
        ("listen-ports", ["[{\"HTTP\":80}]", "[{\"HTTPS\":443}]", "[{\"HTTP\":80},{\"HTTPS\":443}]", "[{\"HTTPS\":80}]", "nope"]),
        ("certificate-arn", ["arn:1", "arn:2,arn:1"]),
        ("ssl-redirect", ["443", "80"]),
        ("subnets", ["subnet-a,subnet-b", "second,first", "subnet-a", "subnet-x"]),
        ("security-groups", ["sg-1", "web,sg-2", "sg-404"]),
        ("inbound-cidrs", ["10.0.0.0/8", "10.0.0.0/33"]),
        ("load-balancer-name", ["one", "two", "this-name-is-far-too-long-for-aws-alb"]),
        ("tags", ["team=a", "team=b", "broken"]),
        ("load-balancer-attributes", ["idle_timeout.timeout_seconds=60", "idle_timeout.timeout_seconds=600"]),
    ];

    private static readonly Gen<V1Ingress[]> Groups =
        Gen.Select(Gen.Int[0, 5], Gen.Int[0, Choices.Length - 1].Array[0, 5], Gen.Int[0, 4].Array[5], Gen.Bool.Array[3])
            .Select(static (name, keys, picks, flags) => (name, keys, picks, flags))
            .Array[1, 6]
            .Select(static members => members
                .Select(static (m, i) =>
                {
                    var annotations = new Dictionary<string, string> { ["group.name"] = "shared" };
                    for (var k = 0; k < m.keys.Length; k++)
                    {
                        var (key, values) = Choices[m.keys[k]];
                        annotations[key] = values[m.picks[k % m.picks.Length] % values.Length];
                    }
                    return Ing("ns" + (i % 2), "ing" + i + "-" + m.name, annotations,
                        rules: m.flags[0], defaultBackend: m.flags[1], finalizers: m.flags[2] ? [Finalizer()] : null);
                })
                .ToArray());

    private static MemberRules Backend(BuildContext context, GroupMember member, IReadOnlyList<ListenerPort> ports)
    {
        _ = context;
        return new MemberRules
        {
            RulesByPort = ports.ToDictionary(static p => p.Port, p => (IReadOnlyList<RuleDraft>)[.. Rules(member.Key, 2, p.Port).RulesByPort[p.Port]]),
            DefaultActionsByPort = member.Ingress.Spec.DefaultBackend is null
                ? new Dictionary<int, IReadOnlyList<ActionSpec>>()
                : ports.ToDictionary(static p => p.Port, static _ => (IReadOnlyList<ActionSpec>)[new ActionSpec { Type = "forward" }]),
            TargetGroups = [TargetGroup(member.Key + "-svc:80", member.Key)],
            TargetPorts = [30000 + member.Name.Length],
        };
    }

    [Fact]
    public void RandomGroups_AlwaysBuild_AndTheStackDoesNotDependOnInputOrder()
    {
        Groups.Sample(ingresses =>
        {
            var snapshot = Snapshot(Group(), ingresses);
            var forward = StackJson.Serialize(Build(snapshot, Backend));
            var backward = StackJson.Serialize(Build(snapshot with { Ingresses = [.. ingresses.Reverse()] }, Backend));
            Assert.Equal(forward, backward);
        }, iter: 300);
    }

    [Fact]
    public void RandomGroups_EitherServeWithEveryValidMemberOrAreAllFrozen_AndEveryFrozenMemberSaysWhy()
    {
        Groups.Sample(ingresses =>
        {
            var stack = Build(Snapshot(Group(), ingresses), Backend);
            var members = stack.Ingresses.Where(static i => i.State != IngressState.Leaving).ToList();
            Assert.Equal(members.Count > 0 && members.All(static i => i.State == IngressState.Frozen), stack.AllMembersFrozen);
            Assert.Equal(members.Any(static i => i.State == IngressState.Active), stack.LoadBalancer is not null);
            Assert.All(members.Where(static i => i.State == IngressState.Frozen), static i => Assert.NotEmpty(i.Errors));
            Assert.All(members.Where(static i => i.State == IngressState.Active), static i => Assert.Empty(i.Errors));
            Assert.All(stack.Rules, r => Assert.Equal(IngressState.Active, stack.Outcome(r.Owner).State));
            foreach (var listener in stack.Listeners)
            {
                var priorities = stack.Rules.Where(r => r.Port == listener.Port).Select(static r => r.Priority).ToList();
                Assert.Equal(Enumerable.Range(1, priorities.Count), priorities);
            }
        }, iter: 300);
    }
}
