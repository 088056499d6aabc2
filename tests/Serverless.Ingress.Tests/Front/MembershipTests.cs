using Serverless.Model;
using static Serverless.Ingress.Tests.Front.F;

namespace Serverless.Ingress.Tests.Front;

public class MembershipTests
{
    private static readonly (string, string) Shared = ("group.name", "shared");

    [Fact]
    public void Members_AreOrderedByGroupOrderThenNamespaceAndName()
    {
        var stack = Build(Snapshot(Group(),
            Ing("b", "z", A(Shared)),
            Ing("a", "y", A(Shared, ("group.order", "10"))),
            Ing("a", "x", A(Shared)),
            Ing("c", "w", A(Shared, ("group.order", "-5")))));
        Assert.Equal(["c/w", "a/x", "b/z", "a/y"], stack.Ingresses.Select(static i => i.Key));
        Assert.Equal([-5, 0, 0, 10], stack.Ingresses.Select(static i => i.Order));
        Assert.All(stack.Ingresses, static i => Assert.Equal(IngressState.Active, i.State));
        Assert.All(stack.Ingresses, static i => Assert.Equal("group.ingress.k8s.aws/shared", i.Finalizer));
    }

    [Fact]
    public void ImplicitGroup_HasTheOneIngress_WithTheImplicitFinalizer()
    {
        var stack = Build(Snapshot(StackId.Implicit("ns", "web"), Ing("ns", "web"), Ing("ns", "other")));
        var only = Assert.Single(stack.Ingresses);
        Assert.Equal("ns/web", only.Key);
        Assert.Equal("ingress.k8s.aws/resources", only.Finalizer);
        Assert.NotNull(stack.LoadBalancer);
    }

    [Theory]
    [InlineData("1001")]
    [InlineData("-1001")]
    [InlineData("first")]
    public void InvalidGroupOrder_FreezesThatMemberOnly(string order)
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "bad", A(Shared, ("group.order", order))), Ing("ns", "good", A(Shared))));
        var bad = stack.Outcome("ns/bad");
        Assert.Equal(IngressState.Frozen, bad.State);
        Assert.Equal("group.ingress.k8s.aws/shared", bad.Finalizer);
        Assert.Equal("annotation alb.ingress.kubernetes.io/group.order", Assert.Single(bad.Errors).Field);
        Assert.Equal(IngressState.Active, stack.Outcome("ns/good").State);
        Assert.NotNull(stack.LoadBalancer);
    }

    [Fact]
    public void DeletedIngressWithTheGroupFinalizer_Leaves_AndLosesItsFinalizer()
    {
        var stack = Build(Snapshot(Group(),
            Ing("ns", "gone", A(Shared), finalizers: [Finalizer()], deleted: true),
            Ing("ns", "stays", A(Shared), finalizers: [Finalizer()])));
        var gone = stack.Outcome("ns/gone");
        Assert.Equal(IngressState.Leaving, gone.State);
        Assert.Null(gone.Finalizer);
        Assert.Equal(["ns/stays", "ns/gone"], stack.Ingresses.Select(static i => i.Key));
    }

    [Fact]
    public void IngressMovedToAnotherGroup_Leaves()
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "moved", A(("group.name", "other")), finalizers: [Finalizer()])));
        Assert.Equal(IngressState.Leaving, Assert.Single(stack.Ingresses).State);
        Assert.Null(stack.LoadBalancer);
        Assert.False(stack.AllMembersFrozen);
    }

    [Fact]
    public void IngressMovedToAnotherControllersClass_Leaves()
    {
        var snapshot = Snapshot(Group(), Ing("ns", "moved", A(Shared), className: "nginx", finalizers: [Finalizer()])) with
        {
            IngressClasses = [Class(), Class("nginx", "k8s.io/ingress-nginx")],
        };
        Assert.Equal(IngressState.Leaving, Assert.Single(Build(snapshot).Ingresses).State);
    }

    [Fact]
    public void IngressWithAnInvalidGroupName_LeavesWhenItHoldsTheFinalizer_AndIsIgnoredOtherwise()
    {
        var stack = Build(Snapshot(Group(),
            Ing("ns", "held", A(("group.name", "Shared")), finalizers: [Finalizer()]),
            Ing("ns", "never", A(("group.name", "Shared")))));
        Assert.Equal("ns/held", Assert.Single(stack.Ingresses).Key);
        Assert.Equal(IngressState.Leaving, stack.Ingresses[0].State);
    }

    [Fact]
    public void IngressWithTheFinalizerWhoseClassBecameInvalid_IsFrozenNotRemoved()
    {
        var stack = Build(Snapshot(Group(),
            Ing("ns", "broken", A(Shared), className: "deleted-class", finalizers: [Finalizer()]),
            Ing("ns", "new", A(Shared), className: "deleted-class"),
            Ing("ns", "fine", A(Shared))));
        var broken = stack.Outcome("ns/broken");
        Assert.Equal(IngressState.Frozen, broken.State);
        Assert.Equal("group.ingress.k8s.aws/shared", broken.Finalizer);
        Assert.Contains("IngressClass deleted-class not found", broken.Errors(), StringComparison.Ordinal);
        Assert.DoesNotContain(stack.Ingresses, static i => i.Key == "ns/new");
        Assert.Equal(IngressState.Active, stack.Outcome("ns/fine").State);
    }

    [Fact]
    public void ImplicitFinalizerOfAnotherIngress_DoesNotMakeItLeaveThisImplicitGroup()
    {
        var stack = Build(Snapshot(StackId.Implicit("ns", "web"), Ing("ns", "other", finalizers: [GroupKeys.ImplicitFinalizer])));
        Assert.Empty(stack.Ingresses);
    }

    [Fact]
    public void ImplicitIngressThatJoinedAnExplicitGroup_LeavesItsImplicitGroup()
    {
        var stack = Build(Snapshot(StackId.Implicit("ns", "web"), Ing("ns", "web", A(Shared), finalizers: [GroupKeys.ImplicitFinalizer])));
        Assert.Equal(IngressState.Leaving, Assert.Single(stack.Ingresses).State);
        Assert.Null(stack.LoadBalancer);
    }

    [Fact]
    public void NoMembers_GivesAnEmptyStack_ThatDeletesEverything()
    {
        var stack = Build(Snapshot(Group()));
        Assert.Null(stack.LoadBalancer);
        Assert.Empty(stack.Listeners);
        Assert.Empty(stack.Ingresses);
        Assert.False(stack.AllMembersFrozen);
    }

    [Fact]
    public void LastIngressDeletedWithDeletionProtection_IsKeptFrozen_AndNothingIsChanged()
    {
        var stack = Build(Snapshot(Group(),
            Ing("ns", "last", A(Shared, ("load-balancer-attributes", "deletion_protection.enabled=true")), finalizers: [Finalizer()], deleted: true)));
        Assert.True(stack.AllMembersFrozen);
        var last = Assert.Single(stack.Ingresses);
        Assert.Equal(IngressState.Frozen, last.State);
        Assert.Equal(Finalizer(), last.Finalizer);
        Assert.Contains("deletion_protection is enabled, cannot delete the ingress: last", last.Errors(), StringComparison.Ordinal);
    }

    [Fact]
    public void DeletedIngressWithDeletionProtection_LeavesWhenOtherMembersKeepTheLoadBalancer()
    {
        var stack = Build(Snapshot(Group(),
            Ing("ns", "gone", A(Shared, ("load-balancer-attributes", "deletion_protection.enabled=true")), finalizers: [Finalizer()], deleted: true),
            Ing("ns", "stays", A(Shared))));
        Assert.Equal(IngressState.Leaving, stack.Outcome("ns/gone").State);
        Assert.NotNull(stack.LoadBalancer);
    }

    [Fact]
    public void AllMembersInvalid_MarksTheStackAllMembersFrozen_WithNoResources()
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, ("scheme", "public"))), Ing("ns", "b", A(Shared, ("ip-address-type", "v6")))));
        Assert.True(stack.AllMembersFrozen);
        Assert.Null(stack.LoadBalancer);
        Assert.Null(stack.ManagedSecurityGroup);
        Assert.Empty(stack.Listeners);
        Assert.Empty(stack.FrozenRules);
        Assert.All(stack.Ingresses, static i => Assert.Equal(IngressState.Frozen, i.State));
    }

    [Fact]
    public void TheStack_DoesNotDependOnTheOrderOfTheSnapshotLists()
    {
        var ingresses = new[]
        {
            Ing("ns", "a", A(Shared, ("group.order", "2"), ("tags", "team=a"))),
            Ing("ns", "b", A(Shared, ("scheme", "internet-facing"))),
            Ing("other", "c", A(Shared, ("scheme", "internal"))),
            Ing("ns", "d", A(Shared, ("listen-ports", "[{\"HTTP\":8080}]"))),
            Ing("ns", "gone", A(Shared), finalizers: [Finalizer()], deleted: true),
        };
        var forward = Snapshot(Group(), ingresses) with { IngressClasses = [Class(), Class("nginx", "other")] };
        var backward = forward with
        {
            Ingresses = [.. ingresses.Reverse()],
            IngressClasses = [.. forward.IngressClasses.Reverse()],
            Aws = forward.Aws with { Subnets = [.. forward.Aws.Subnets.Reverse()], SecurityGroups = [.. forward.Aws.SecurityGroups.Reverse()] },
        };
        Assert.Equal(StackJson.Serialize(Build(forward)), StackJson.Serialize(Build(backward)));
    }
}
