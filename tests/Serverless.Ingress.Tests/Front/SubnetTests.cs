using Serverless.Model;
using static Serverless.Ingress.Tests.Front.F;

namespace Serverless.Ingress.Tests.Front;

public class SubnetTests
{
    private const string Public = "kubernetes.io/role/elb";
    private const string Internal = "kubernetes.io/role/internal-elb";
    private static readonly (string, string) Shared = ("group.name", "shared");
    private static readonly (string, string) InternetFacing = ("scheme", "internet-facing");

    private static Stack BuildWith(AwsFacts facts, params k8s.Models.V1Ingress[] ingresses) =>
        Build(Snapshot(Group(), ingresses) with { Aws = facts });

    private static AwsFacts With(params SubnetFact[] subnets) => Facts with { Subnets = subnets };

    [Fact]
    public void ExplicitSubnetIds_AreUsed_SortedById()
    {
        var facts = With(Subnet("subnet-c", "az-c"), Subnet("subnet-a", "az-a"), Subnet("subnet-b", "az-b"));
        var stack = BuildWith(facts, Ing("ns", "a", A(Shared, ("subnets", "subnet-c, subnet-a"))));
        Assert.Equal(["subnet-a", "subnet-c"], stack.LoadBalancer!.Subnets);
    }

    [Fact]
    public void ExplicitSubnetNames_AreResolvedByNameTag()
    {
        var stack = BuildWith(Facts, Ing("ns", "a", A(Shared, ("subnets", "second,first"))));
        Assert.Equal(["subnet-a", "subnet-b"], stack.LoadBalancer!.Subnets);
    }

    [Theory]
    [InlineData("subnet-a,subnet-x", "couldn't find all subnets, want: [subnet-a subnet-x], found: [subnet-a]")]
    [InlineData("first,third", "couldn't find all subnets, missing names: [third]")]
    [InlineData("subnet-a", "subnets count less than minimal required count: 1 < 2")]
    [InlineData("subnet-a,subnet-a2", "multiple subnets in same Availability Zone us-east-1a: [subnet-a subnet-a2]")]
    public void UnusableExplicitSubnets_FreezeTheIngressWithUpstreamsError(string subnets, string message)
    {
        var facts = With([.. Facts.Subnets, Subnet("subnet-a2", "us-east-1a")]);
        var stack = BuildWith(facts, Ing("ns", "bad", A(Shared, ("subnets", subnets), ("group.order", "-1"))), Ing("ns", "good", A(Shared)));
        var error = Assert.Single(stack.Outcome("ns/bad").Errors);
        Assert.Equal(("annotation alb.ingress.kubernetes.io/subnets", subnets, message), (error.Field, error.Value, error.Message));
        Assert.Equal(IngressState.Active, stack.Outcome("ns/good").State);
        Assert.Equal(["subnet-a", "subnet-b"], stack.LoadBalancer!.Subnets);
    }

    [Fact]
    public void SameSubnetsInAnotherOrder_DoNotConflict_ButDifferentOnesDo()
    {
        var facts = With([.. Facts.Subnets, Subnet("subnet-c", "us-east-1c")]);
        var stack = BuildWith(facts,
            Ing("ns", "a", A(Shared, ("subnets", "subnet-a,subnet-b"))),
            Ing("ns", "b", A(Shared, ("subnets", "subnet-b,subnet-a"))),
            Ing("ns", "c", A(Shared, ("subnets", "subnet-a,subnet-c"))));
        Assert.Equal([IngressState.Active, IngressState.Active, IngressState.Frozen], stack.Ingresses.Select(static i => i.State));
    }

    [Fact]
    public void IngressClassParamsSubnetsBySelector_WinOverTheAnnotation()
    {
        var facts = With(
            Subnet("subnet-1", "az-a", ("tier", "edge")),
            Subnet("subnet-2", "az-b", ("tier", "edge")),
            Subnet("subnet-3", "az-b", ("tier", "edge")),
            Subnet("subnet-9", "az-c"));
        var snapshot = Snapshot(Group(), Ing("ns", "a", A(Shared, ("subnets", "subnet-9")))) with
        {
            Aws = facts,
            IngressClasses = [Class(paramsName: "p")],
            IngressClassParams = [new IngressClassParams
            {
                Name = "p",
                Subnets = new SubnetSelector { Tags = new Dictionary<string, IReadOnlyList<string>> { ["tier"] = ["edge"] } },
            }],
        };
        Assert.Equal(["subnet-1", "subnet-2"], Build(snapshot).LoadBalancer!.Subnets);
    }

    [Fact]
    public void IngressClassParamsSubnetsAndAnAnnotationOnAnotherMember_Conflict()
    {
        var snapshot = Snapshot(Group(),
            Ing("ns", "a", A(Shared)),
            Ing("ns", "b", A(Shared, ("subnets", "subnet-a,subnet-b")), className: "plain")) with
        {
            IngressClasses = [Class(paramsName: "p"), Class("plain")],
            IngressClassParams = [new IngressClassParams { Name = "p", Subnets = new SubnetSelector { Ids = ["subnet-a", "subnet-b"] } }],
        };
        var stack = Build(snapshot);
        Assert.Equal(IngressState.Active, stack.Outcome("ns/a").State);
        Assert.Contains("IngressClassParams p spec.subnets", stack.Outcome("ns/b").Errors(), StringComparison.Ordinal);
    }

    [Fact]
    public void Discovery_UsesTheRoleTagOfTheScheme()
    {
        var facts = With(
            Subnet("subnet-pub-a", "az-a", (Public, "1")), Subnet("subnet-pub-b", "az-b", (Public, "")),
            Subnet("subnet-int-a", "az-a", (Internal, "1")), Subnet("subnet-int-b", "az-b", (Internal, "1")),
            Subnet("subnet-other-c", "az-c", (Public, "yes")));
        Assert.Equal(["subnet-pub-a", "subnet-pub-b"], BuildWith(facts, Ing("ns", "a", A(Shared, InternetFacing))).LoadBalancer!.Subnets);
        Assert.Equal(["subnet-int-a", "subnet-int-b"], BuildWith(facts, Ing("ns", "a", A(Shared))).LoadBalancer!.Subnets);
    }

    [Fact]
    public void Discovery_DropsSubnetsOfOtherClustersAndWithFewFreeIps_AndPrefersThisClustersTagThenTheLowestId()
    {
        var facts = With(
            Subnet("subnet-1", "az-a", (Public, "1"), ("kubernetes.io/cluster/other", "shared")),
            Subnet("subnet-2", "az-a", (Public, "1")),
            Subnet("subnet-3", "az-a", (Public, "1"), ("kubernetes.io/cluster/prod", "owned")),
            Subnet("subnet-4", "az-b", (Public, "1")),
            Subnet("subnet-5", "az-b", (Public, "1")),
            Subnet("subnet-0", "az-c", (Public, "1")) with { AvailableIpAddressCount = 7 },
            Subnet("subnet-6", "az-d", (Public, "1"), ("kubernetes.io/cluster/other", "owned"), ("kubernetes.io/cluster/prod", "shared")));
        var stack = BuildWith(facts, Ing("ns", "a", A(Shared, InternetFacing)));
        Assert.Equal(["subnet-3", "subnet-4", "subnet-6"], stack.LoadBalancer!.Subnets);
    }

    [Fact]
    public void DualstackDiscovery_NeedsSubnetsWithIpv6()
    {
        var facts = With(
            Subnet("subnet-1", "az-a", (Public, "1")) with { HasIpv6 = true },
            Subnet("subnet-2", "az-a", (Public, "1")),
            Subnet("subnet-3", "az-b", (Public, "1")) with { HasIpv6 = true });
        var stack = BuildWith(facts, Ing("ns", "a", A(Shared, InternetFacing, ("ip-address-type", "dualstack"))));
        Assert.Equal(["subnet-1", "subnet-3"], stack.LoadBalancer!.Subnets);
    }

    [Fact]
    public void DiscoveryFindingOneZone_FreezesEveryMemberWithUpstreamsError()
    {
        var facts = With(Subnet("subnet-1", "az-a", (Public, "1")), Subnet("subnet-2", "az-a", (Public, "1")));
        var stack = BuildWith(facts, Ing("ns", "a", A(Shared, InternetFacing)), Ing("ns", "b", A(Shared)));
        Assert.True(stack.AllMembersFrozen);
        Assert.Null(stack.LoadBalancer);
        foreach (var outcome in stack.Ingresses)
        {
            var error = Assert.Single(outcome.Errors);
            Assert.StartsWith("couldn't auto-discover subnets: subnets count less than minimal required count: 1 < 2", error.Message, StringComparison.Ordinal);
            Assert.Equal("Ingress " + outcome.Key, error.Object);
        }
    }

    [Fact]
    public void DiscoveryFindingNothing_ReportsWhatWasEvaluated()
    {
        var facts = With(
            Subnet("subnet-1", "az-a", (Internal, "1"), ("kubernetes.io/cluster/other", "owned")),
            Subnet("subnet-2", "az-b", (Internal, "1")) with { AvailableIpAddressCount = 3 });
        var error = Assert.Single(BuildWith(facts, Ing("ns", "a", A(Shared))).Outcome("ns/a").Errors);
        Assert.StartsWith("couldn't auto-discover subnets: unable to resolve at least one subnet. Evaluated 2 subnets: 1 are tagged for other clusters, and 1 have insufficient available IP addresses",
            error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DiscoveryWithoutRoleTags_FallsBackToReachability()
    {
        var facts = With(
            Subnet("subnet-1", "az-a") with { RoutesToInternetGateway = true },
            Subnet("subnet-2", "az-b") with { RoutesToInternetGateway = true },
            Subnet("subnet-3", "az-a") with { RoutesToInternetGateway = false },
            Subnet("subnet-4", "az-b") with { RoutesToInternetGateway = false });
        Assert.Equal(["subnet-1", "subnet-2"], BuildWith(facts, Ing("ns", "a", A(Shared, InternetFacing))).LoadBalancer!.Subnets);
        Assert.Equal(["subnet-3", "subnet-4"], BuildWith(facts, Ing("ns", "a", A(Shared))).LoadBalancer!.Subnets);
    }

    [Fact]
    public void ExistingLoadBalancerSubnets_AreReusedWhileTheSchemeIsUnchanged()
    {
        var facts = Facts with { ExistingLoadBalancer = new ExistingLoadBalancerFact { Scheme = "internal", SubnetIds = ["subnet-z", "subnet-y"] } };
        Assert.Equal(["subnet-y", "subnet-z"], BuildWith(facts, Ing("ns", "a", A(Shared))).LoadBalancer!.Subnets);
        Assert.Equal(["subnet-a", "subnet-b"], BuildWith(facts, Ing("ns", "a", A(Shared, InternetFacing))).LoadBalancer!.Subnets);
    }

    [Fact]
    public void MixedLocales_AreRejected()
    {
        var facts = With(Subnet("subnet-1", "az-a"), Subnet("subnet-2", "lz-a") with { ZoneType = "local-zone" });
        var error = Assert.Single(BuildWith(facts, Ing("ns", "a", A(Shared, ("subnets", "subnet-1,subnet-2")))).Outcome("ns/a").Errors);
        Assert.Equal("subnets in multiple locales: [availability-zone local-zone]", error.Message);
    }

    [Fact]
    public void OneOutpostSubnet_IsEnough()
    {
        var facts = With(Subnet("subnet-1", "az-a") with { ZoneType = "outpost" });
        Assert.Equal(["subnet-1"], BuildWith(facts, Ing("ns", "a", A(Shared, ("subnets", "subnet-1")))).LoadBalancer!.Subnets);
    }
}
