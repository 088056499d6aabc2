using Serverless.Model;
using static Serverless.Ingress.Tests.Front.F;

namespace Serverless.Ingress.Tests.Front;

public class SecurityGroupTests
{
    private static readonly (string, string) Shared = ("group.name", "shared");
    private static readonly (string, string) TwoPorts = ("listen-ports", "[{\"HTTP\":80},{\"HTTPS\":443}]");
    private static readonly (string, string) Cert = ("certificate-arn", "arn:cert:1");

    private static IEnumerable<string> Sources(SecurityGroupSpec group) =>
        group.Ingress.Select(static r => $"{r.FromPort}-{r.ToPort} {r.CidrIpv4 ?? r.CidrIpv6 ?? r.PrefixListId}");

    [Fact]
    public void ManagedSecurityGroup_OpensEveryListenerPortToTheWorld_ByDefault()
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, TwoPorts, Cert))));
        var managed = stack.ManagedSecurityGroup!;
        Assert.Equal("ManagedLBSecurityGroup", managed.Id);
        Assert.Equal(Naming.ManagedSecurityGroupName("prod", Group()), managed.Name);
        Assert.Equal("[k8s] Managed SecurityGroup for LoadBalancer", managed.Description);
        Assert.Equal(["80-80 0.0.0.0/0", "443-443 0.0.0.0/0"], Sources(managed));
        Assert.All(managed.Ingress, static r => Assert.Equal("tcp", r.Protocol));
        Assert.Equal("ManagedLBSecurityGroup", managed.Tags["ingress.k8s.aws/resource"]);
        Assert.Equal("shared", managed.Tags["ingress.k8s.aws/stack"]);
    }

    [Fact]
    public void DualstackLoadBalancer_AlsoOpensIpv6()
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, ("ip-address-type", "dualstack"), ("subnets", "subnet-a,subnet-b")))));
        Assert.Equal(["80-80 0.0.0.0/0", "80-80 ::/0"], Sources(stack.ManagedSecurityGroup!));
    }

    [Fact]
    public void InboundCidrs_ReplaceTheDefault_AndIpv6OnesApplyOnlyToDualstack()
    {
        var cidrs = ("inbound-cidrs", "10.0.0.0/8, 2001:db8::/32");
        Assert.Equal(["80-80 10.0.0.0/8"], Sources(Build(Snapshot(Group(), Ing("ns", "a", A(Shared, cidrs)))).ManagedSecurityGroup!));
        var dualstack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, cidrs, ("ip-address-type", "dualstack-without-public-ipv4"), ("subnets", "subnet-a,subnet-b")))));
        Assert.Equal(["80-80 10.0.0.0/8", "80-80 2001:db8::/32"], Sources(dualstack.ManagedSecurityGroup!));
    }

    [Fact]
    public void PrefixLists_AddRules_AndAloneRemoveTheDefaultCidrs()
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, ("security-group-prefix-lists", "pl-1,pl-2")))));
        Assert.Equal(["80-80 pl-1", "80-80 pl-2"], Sources(stack.ManagedSecurityGroup!));
    }

    [Fact]
    public void InvalidInboundCidr_FreezesTheIngress()
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, ("inbound-cidrs", "10.0.0.0/33")))));
        Assert.Equal("invalid CIDR address: 10.0.0.0/33", Assert.Single(stack.Outcome("ns/a").Errors).Message);
    }

    [Fact]
    public void ConflictingInboundCidrsOnOneListener_FreezeTheLoser_ButOtherListenersAreIndependent()
    {
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared, ("inbound-cidrs", "10.0.0.0/8"))),
            Ing("ns", "b", A(Shared, ("inbound-cidrs", "192.168.0.0/16"), ("listen-ports", "[{\"HTTP\":8080}]"))),
            Ing("ns", "c", A(Shared, ("inbound-cidrs", "192.168.0.0/16")))));
        Assert.Equal([IngressState.Active, IngressState.Active, IngressState.Frozen], stack.Ingresses.Select(static i => i.State));
        Assert.Contains("(listener port 80)", stack.Outcome("ns/c").Errors(), StringComparison.Ordinal);
        Assert.Equal(["80-80 10.0.0.0/8", "8080-8080 192.168.0.0/16"], Sources(stack.ManagedSecurityGroup!));
    }

    [Fact]
    public void BackendSecurityGroup_IsSharedAndAttached_AndNodeRulesSpanTheTargetPorts()
    {
        var backends = new Dictionary<string, MemberRules>
        {
            ["ns/a"] = Rules("ns/a", 1) with { TargetPorts = [30080, 8443] },
            ["ns/b"] = Rules("ns/b", 1) with { TargetPorts = [31000] },
        };
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared), rules: true), Ing("ns", "b", A(Shared), rules: true)), backends);
        var backend = stack.BackendSecurityGroup!;
        Assert.Equal(Naming.BackendSecurityGroupName("prod"), backend.Name);
        Assert.Equal("[k8s] Shared Backend SecurityGroup for LoadBalancer", backend.Description);
        Assert.Equal(new Dictionary<string, string> { ["elbv2.k8s.aws/cluster"] = "prod", ["elbv2.k8s.aws/resource"] = "backend-sg" }, backend.Tags);
        Assert.Equal(
            [StringOrRef.To(ResourceRef.ManagedSecurityGroupId), StringOrRef.To(ResourceRef.BackendSecurityGroupId)],
            stack.LoadBalancer!.SecurityGroups);
        var node = Assert.Single(stack.NodeSecurityGroupRules);
        Assert.Equal("sg-node", node.SecurityGroupId);
        var rule = Assert.Single(node.Rules);
        Assert.Equal((8443, 31000, "elbv2.k8s.aws/targetGroupBinding=shared"), (rule.FromPort, rule.ToPort, rule.Description));
        Assert.Equal(StringOrRef.To(ResourceRef.BackendSecurityGroupId), rule.SourceSecurityGroup);
    }

    [Fact]
    public void UnrestrictedNodeRules_SpanEveryTcpPort()
    {
        var snapshot = Snapshot(Group(), Ing("ns", "a", A(Shared), rules: true)) with
        {
            Cluster = Cluster with { DisableRestrictedSecurityGroupRules = true },
        };
        var stack = Build(snapshot, new Dictionary<string, MemberRules> { ["ns/a"] = Rules("ns/a", 1) with { TargetPorts = [8080] } });
        var rule = Assert.Single(Assert.Single(stack.NodeSecurityGroupRules).Rules);
        Assert.Equal((0, 65535), (rule.FromPort, rule.ToPort));
    }

    [Fact]
    public void NoTargetPorts_MeansNoNodeRules()
    {
        Assert.Empty(Build(Snapshot(Group(), Ing("ns", "a", A(Shared)))).NodeSecurityGroupRules);
    }

    [Fact]
    public void BringYourOwnBackendSecurityGroup_IsUsedLiterally()
    {
        var snapshot = Snapshot(Group(), Ing("ns", "a", A(Shared))) with { Cluster = Cluster with { BackendSecurityGroupId = "sg-backend" } };
        var stack = Build(snapshot);
        Assert.Null(stack.BackendSecurityGroup);
        Assert.Equal([StringOrRef.To(ResourceRef.ManagedSecurityGroupId), StringOrRef.Of("sg-backend")], stack.LoadBalancer!.SecurityGroups);
    }

    [Fact]
    public void WithoutTheBackendSecurityGroupFeature_NodesAreOpenedToTheManagedGroup()
    {
        var snapshot = Snapshot(Group(), Ing("ns", "a", A(Shared), rules: true)) with { Cluster = Cluster with { EnableBackendSecurityGroup = false } };
        var stack = Build(snapshot, new Dictionary<string, MemberRules> { ["ns/a"] = Rules("ns/a", 1) with { TargetPorts = [8080] } });
        Assert.Null(stack.BackendSecurityGroup);
        Assert.Equal([StringOrRef.To(ResourceRef.ManagedSecurityGroupId)], stack.LoadBalancer!.SecurityGroups);
        Assert.Equal(StringOrRef.To(ResourceRef.ManagedSecurityGroupId), stack.NodeSecurityGroupRules[0].Rules[0].SourceSecurityGroup);
    }

    [Fact]
    public void CustomSecurityGroups_ByIdOrNameTag_ReplaceTheManagedGroup_AndNoNodeRulesByDefault()
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, ("security-groups", "sg-2, web")), rules: true)),
            new Dictionary<string, MemberRules> { ["ns/a"] = Rules("ns/a", 1) with { TargetPorts = [8080] } });
        Assert.Null(stack.ManagedSecurityGroup);
        Assert.Null(stack.BackendSecurityGroup);
        Assert.Equal([StringOrRef.Of("sg-2"), StringOrRef.Of("sg-1")], stack.LoadBalancer!.SecurityGroups);
        Assert.Empty(stack.NodeSecurityGroupRules);
    }

    [Fact]
    public void CustomSecurityGroupsWithManagedBackendRules_AddTheBackendGroupAndNodeRules()
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, ("security-groups", "sg-2"), ("manage-backend-security-group-rules", "true")), rules: true)),
            new Dictionary<string, MemberRules> { ["ns/a"] = Rules("ns/a", 1) with { TargetPorts = [8080] } });
        Assert.Equal([StringOrRef.Of("sg-2"), StringOrRef.To(ResourceRef.BackendSecurityGroupId)], stack.LoadBalancer!.SecurityGroups);
        Assert.NotNull(stack.BackendSecurityGroup);
        Assert.Single(stack.NodeSecurityGroupRules);
    }

    [Fact]
    public void ClusterDefaultForManagedBackendRules_AppliesToCustomSecurityGroups()
    {
        var snapshot = Snapshot(Group(), Ing("ns", "a", A(Shared, ("security-groups", "sg-2")))) with
        {
            Cluster = Cluster with { ManageBackendSecurityGroupRules = true },
        };
        Assert.NotNull(Build(snapshot).BackendSecurityGroup);
    }

    [Fact]
    public void UnknownCustomSecurityGroup_FreezesTheIngress()
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, ("security-groups", "sg-404,missing-name")))));
        Assert.Equal("couldn't find all security groups: requested ids [sg-404] but found [], requested names [missing-name] but found []",
            Assert.Single(stack.Outcome("ns/a").Errors).Message);
    }

    [Fact]
    public void MoreThanFiveSecurityGroups_FreezeTheIngressThatSetThem()
    {
        var tooMany = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, ("security-groups", "sg-1,sg-2,sg-3,sg-4,sg-5,sg-node")))) with
        {
            Aws = Facts with { SecurityGroups = [.. Facts.SecurityGroups, new SecurityGroupFact { Id = "sg-node" }] },
        });
        Assert.Contains("a load balancer can have at most 5", tooMany.Outcome("ns/a").Errors(), StringComparison.Ordinal);

        var withBackend = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared, ("manage-backend-security-group-rules", "true"))),
            Ing("ns", "b", A(Shared, ("security-groups", "sg-1,sg-2,sg-3,sg-4,sg-5")))));
        Assert.Equal(IngressState.Active, withBackend.Outcome("ns/a").State);
        Assert.Contains("the backend security group is added", withBackend.Outcome("ns/b").Errors(), StringComparison.Ordinal);
        Assert.NotNull(withBackend.ManagedSecurityGroup);
    }

    [Fact]
    public void ManagedBackendRulesWithoutTheBackendFeature_FreezeTheIngressAskingForThem()
    {
        var snapshot = Snapshot(Group(), Ing("ns", "a", A(Shared, ("security-groups", "sg-2"), ("manage-backend-security-group-rules", "true")))) with
        {
            Cluster = Cluster with { EnableBackendSecurityGroup = false },
        };
        Assert.Contains("backendSG feature is required", Build(snapshot).Outcome("ns/a").Errors(), StringComparison.Ordinal);
    }

    [Fact]
    public void ConflictingSecurityGroups_FreezeTheLoser()
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, ("security-groups", "sg-1"))), Ing("ns", "b", A(Shared, ("security-groups", "sg-2")))));
        Assert.Equal([StringOrRef.Of("sg-1")], stack.LoadBalancer!.SecurityGroups);
        Assert.Equal(IngressState.Frozen, stack.Outcome("ns/b").State);
    }
}
