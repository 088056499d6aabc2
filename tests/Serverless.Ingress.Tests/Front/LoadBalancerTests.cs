using Serverless.Model;
using static Serverless.Ingress.Tests.Front.F;

namespace Serverless.Ingress.Tests.Front;

public class LoadBalancerTests
{
    private static readonly (string, string) Shared = ("group.name", "shared");

    [Fact]
    public void ImplicitGroup_GetsUpstreamsHashedName()
    {
        var stack = Build(Snapshot(StackId.Implicit("default", "echoserver"), Ing("default", "echoserver", A(("scheme", "internet-facing")))));
        var expected = "k8s-default-echoserv-" + Naming.Sha256Hex("prod", "default/echoserver", "internet-facing")[..10];
        Assert.Equal(expected, stack.LoadBalancer!.Name);
    }

    [Fact]
    public void ExplicitGroup_GetsUpstreamsHashedName_WithTheDefaultScheme()
    {
        var stack = Build(Snapshot(StackId.Explicit("a-very-long-group.name"), Ing("ns", "a", A(("group.name", "a-very-long-group.name")))));
        var expected = "k8s-averylonggroupnam-" + Naming.Sha256Hex("prod", "a-very-long-group.name", "internal")[..10];
        Assert.Equal(expected, stack.LoadBalancer!.Name);
        Assert.Equal("internal", stack.LoadBalancer.Scheme);
    }

    [Fact]
    public void LoadBalancerNameAnnotation_NamesTheLoadBalancer_AndIngressClassParamsWinOverIt()
    {
        var annotated = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, ("load-balancer-name", "my-alb")))));
        Assert.Equal("my-alb", annotated.LoadBalancer!.Name);

        var snapshot = Snapshot(Group(), Ing("ns", "a", A(Shared, ("load-balancer-name", "my-alb")))) with
        {
            IngressClasses = [Class(paramsName: "p")],
            IngressClassParams = [new IngressClassParams { Name = "p", LoadBalancerName = "from-params" }],
        };
        Assert.Equal("from-params", Build(snapshot).LoadBalancer!.Name);
    }

    [Fact]
    public void LoadBalancerNameLongerThan32_FreezesTheIngress()
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, ("load-balancer-name", new string('x', 33))))));
        var error = Assert.Single(stack.Outcome("ns/a").Errors);
        Assert.Equal("load balancer name cannot be longer than 32 characters", error.Message);
        Assert.True(stack.AllMembersFrozen);
    }

    [Fact]
    public void ConflictingLoadBalancerNames_FreezeTheLaterMember_AndTheFirstWins()
    {
        var stack = Build(Snapshot(Group(),
            Ing("ns", "b", A(Shared, ("load-balancer-name", "second"))),
            Ing("ns", "a", A(Shared, ("load-balancer-name", "first")))));
        Assert.Equal("first", stack.LoadBalancer!.Name);
        Assert.Equal(IngressState.Active, stack.Outcome("ns/a").State);
        var loser = stack.Outcome("ns/b");
        Assert.Equal(IngressState.Frozen, loser.State);
        Assert.Contains("conflicts with Ingress ns/a, which sets annotation alb.ingress.kubernetes.io/load-balancer-name to \"first\"",
            loser.Errors(), StringComparison.Ordinal);
    }

    [Fact]
    public void SchemeDefaultsToTheClusterSetting_AndDefaultIpAddressTypeIsIpv4()
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared))) with { Cluster = Cluster with { DefaultScheme = "internet-facing" } });
        Assert.Equal("internet-facing", stack.LoadBalancer!.Scheme);
        Assert.Equal("ipv4", stack.LoadBalancer.IpAddressType);
    }

    [Fact]
    public void ConflictingSchemes_FreezeTheLoserWithAnErrorNamingItselfTheFieldItsValueAndTheWinner()
    {
        var stack = Build(Snapshot(Group(),
            Ing("ns", "first", A(Shared, ("scheme", "internet-facing"))),
            Ing("ns", "second", A(Shared, ("scheme", "internal"))),
            Ing("ns", "third", A(Shared))));
        Assert.Equal("internet-facing", stack.LoadBalancer!.Scheme);
        Assert.Equal(IngressState.Active, stack.Outcome("ns/third").State);
        var error = Assert.Single(stack.Outcome("ns/second").Errors);
        Assert.Equal(new BuildError(
            "Ingress ns/second",
            "annotation alb.ingress.kubernetes.io/scheme",
            "internal",
            "conflicts with Ingress ns/first, which sets annotation alb.ingress.kubernetes.io/scheme to \"internet-facing\"; a group-wide setting "
            + "is decided by the first member in group order (lowest group.order, then namespace/name) that sets it, so this Ingress is left out until the two agree"),
            error);
    }

    [Fact]
    public void GroupOrder_DecidesTheConflictWinner_BeforeTheName()
    {
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared, ("scheme", "internal"), ("group.order", "5"))),
            Ing("ns", "z", A(Shared, ("scheme", "internet-facing"), ("group.order", "-5")))));
        Assert.Equal("internet-facing", stack.LoadBalancer!.Scheme);
        Assert.Equal(IngressState.Frozen, stack.Outcome("ns/a").State);
    }

    [Fact]
    public void IngressClassParamsScheme_WinsOverTheAnnotation()
    {
        var snapshot = Snapshot(Group(), Ing("ns", "a", A(Shared, ("scheme", "internal")))) with
        {
            IngressClasses = [Class(paramsName: "p")],
            IngressClassParams = [new IngressClassParams { Name = "p", Scheme = "internet-facing", IpAddressType = "dualstack" }],
            Aws = Facts with { Subnets = [.. Facts.Subnets.Select(static s => s with { HasIpv6 = true })] },
        };
        var stack = Build(snapshot);
        Assert.Equal("internet-facing", stack.LoadBalancer!.Scheme);
        Assert.Equal("dualstack", stack.LoadBalancer.IpAddressType);
    }

    [Theory]
    [InlineData("scheme", "public", "must be one of: internal, internet-facing")]
    [InlineData("ip-address-type", "ipv6", "must be one of: ipv4, dualstack, dualstack-without-public-ipv4")]
    [InlineData("wafv2-acl-arn", "x", "must be the ARN of a REGIONAL web ACL (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>) or none")]
    [InlineData("wafv2-acl-arn", "arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/y", "must be the ARN of a REGIONAL web ACL (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>) or none")]
    public void UnknownSchemeOrIpAddressType_FreezesTheIngress(string suffix, string value, string message)
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "bad", A(Shared, (suffix, value))), Ing("ns", "good", A(Shared))));
        var error = Assert.Single(stack.Outcome("ns/bad").Errors);
        Assert.Equal(("Ingress ns/bad", "annotation alb.ingress.kubernetes.io/" + suffix, value, message), (error.Object, error.Field, error.Value, error.Message));
        Assert.Equal(IngressState.Active, stack.Outcome("ns/good").State);
    }

    [Fact]
    public void ConflictingIpAddressTypes_FreezeTheLoser()
    {
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared, ("ip-address-type", "ipv4"))),
            Ing("ns", "b", A(Shared, ("ip-address-type", "dualstack")))));
        Assert.Equal("ipv4", stack.LoadBalancer!.IpAddressType);
        Assert.Contains("ip-address-type to \"ipv4\"", stack.Outcome("ns/b").Errors(), StringComparison.Ordinal);
    }

    [Fact]
    public void LoadBalancerAttributes_MergePerKey_AndAConflictingKeyFreezesTheLoser()
    {
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared, ("load-balancer-attributes", "idle_timeout.timeout_seconds=600"))),
            Ing("ns", "b", A(Shared, ("load-balancer-attributes", "routing.http2.enabled=false,idle_timeout.timeout_seconds=600"))),
            Ing("ns", "c", A(Shared, ("load-balancer-attributes", "idle_timeout.timeout_seconds=60")))));
        Assert.Equal(new Dictionary<string, string> { ["idle_timeout.timeout_seconds"] = "600", ["routing.http2.enabled"] = "false" }, stack.LoadBalancer!.Attributes);
        Assert.Equal(IngressState.Active, stack.Outcome("ns/b").State);
        var error = Assert.Single(stack.Outcome("ns/c").Errors);
        Assert.Equal("idle_timeout.timeout_seconds=60", error.Value);
        Assert.Contains("to \"idle_timeout.timeout_seconds=600\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tags_AreMergedOnTheLoadBalancer_WithDefaultTagsWinning_AndTrackingTagsLast()
    {
        var snapshot = Snapshot(Group(),
            Ing("ns", "a", A(Shared, ("tags", "team=web,env=dev"))),
            Ing("ns", "b", A(Shared, ("tags", "cost=42")))) with
        {
            Cluster = Cluster with { DefaultTags = new Dictionary<string, string> { ["env"] = "prod" } },
        };
        var tags = Build(snapshot).LoadBalancer!.Tags;
        Assert.Equal(new Dictionary<string, string>
        {
            ["cost"] = "42",
            ["elbv2.k8s.aws/cluster"] = "prod",
            ["env"] = "prod",
            ["ingress.k8s.aws/resource"] = "LoadBalancer",
            ["ingress.k8s.aws/stack"] = "shared",
            ["team"] = "web",
        }, tags);
    }

    [Fact]
    public void ConflictingTagValue_FreezesTheLoser()
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, ("tags", "team=web"))), Ing("ns", "b", A(Shared, ("tags", "team=db")))));
        Assert.Equal("web", stack.LoadBalancer!.Tags["team"]);
        Assert.Equal("team=db", Assert.Single(stack.Outcome("ns/b").Errors).Value);
    }

    [Fact]
    public void ExternalManagedTagKey_FreezesTheIngress()
    {
        var snapshot = Snapshot(Group(), Ing("ns", "a", A(Shared, ("tags", "owner=me")))) with
        {
            Cluster = Cluster with { ExternalManagedTags = ["owner"] },
        };
        Assert.Contains("external managed tag key owner cannot be specified", Build(snapshot).Outcome("ns/a").Errors(), StringComparison.Ordinal);
    }

    [Fact]
    public void AddOnSettings_AreCarriedInTheModel()
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared,
            ("wafv2-acl-arn", "arn:aws:wafv2:us-east-1:1:regional/webacl/x/y"),
            ("shield-advanced-protection", "true"),
            ("customer-owned-ipv4-pool", "ipv4pool-coip-1"),
            ("ipam-ipv4-pool-id", "ipam-pool-1"),
            ("minimum-load-balancer-capacity", "CapacityUnits=100")))));
        var lb = stack.LoadBalancer!;
        Assert.Equal("arn:aws:wafv2:us-east-1:1:regional/webacl/x/y", lb.Wafv2AclArn);
        Assert.True(lb.ShieldAdvancedProtection);
        Assert.Equal("ipv4pool-coip-1", lb.CustomerOwnedIpv4Pool);
        Assert.Equal("ipam-pool-1", lb.Ipv4IpamPoolId);
        Assert.Equal(100, lb.MinimumCapacityUnits);
    }

    [Theory]
    [InlineData("minimum-load-balancer-capacity", "Units=1")]
    [InlineData("minimum-load-balancer-capacity", "CapacityUnits=lots")]
    [InlineData("customer-owned-ipv4-pool", "")]
    [InlineData("shield-advanced-protection", "yes")]
    public void InvalidAddOnValues_FreezeTheIngress(string suffix, string value)
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, (suffix, value)))));
        Assert.Equal("annotation alb.ingress.kubernetes.io/" + suffix, Assert.Single(stack.Outcome("ns/a").Errors).Field);
    }

    [Fact]
    public void WafAclArn_ThatIsNotAmongTheListedWebAcls_FreezesTheIngress()
    {
        const string Listed = "arn:aws:wafv2:us-east-1:1:regional/webacl/x/y";
        var snapshot = Snapshot(Group(),
            Ing("ns", "a", A(Shared, ("wafv2-acl-arn", Listed))),
            Ing("ns", "b", A(Shared, ("wafv2-acl-arn", "arn:aws:wafv2:us-east-1:1:regional/webacl/gone/z"))));
        snapshot = snapshot with { Aws = snapshot.Aws with { WebAclsListed = true, WebAclArnsByName = new Dictionary<string, string> { ["x"] = Listed } } };
        var stack = Build(snapshot);
        Assert.Equal([IngressState.Active, IngressState.Frozen], stack.Ingresses.Select(static i => i.State));
        Assert.Contains("no REGIONAL web ACL with this ARN exists", stack.Outcome("ns/b").Errors(), StringComparison.Ordinal);
        Assert.Equal(Listed, stack.LoadBalancer!.Wafv2AclArn);
    }

    [Fact]
    public void ConflictingWafAcl_FreezesTheLoser_WhileAgreeingMembersStayActive()
    {
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared, ("wafv2-acl-arn", "arn:aws:wafv2:us-east-1:1:regional/webacl/x/y"))),
            Ing("ns", "b", A(Shared, ("wafv2-acl-arn", "arn:aws:wafv2:us-east-1:1:regional/webacl/x/y"))),
            Ing("ns", "c", A(Shared, ("wafv2-acl-arn", "none")))));
        Assert.Equal([IngressState.Active, IngressState.Active, IngressState.Frozen], stack.Ingresses.Select(static i => i.State));
    }
}
