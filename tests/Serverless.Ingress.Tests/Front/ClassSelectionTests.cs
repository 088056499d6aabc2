using k8s.Models;
using Serverless.Model;
using static Serverless.Ingress.Tests.Front.F;

namespace Serverless.Ingress.Tests.Front;

public class ClassSelectionTests
{
    private static ClassResult Classify(V1Ingress ingress, ClusterSettings? cluster = null, IReadOnlyList<V1IngressClass>? classes = null,
        IReadOnlyList<IngressClassParams>? classParams = null, IReadOnlyList<V1Namespace>? namespaces = null) =>
        ClassSelection.Classify(ingress, new ClassIndex(classes ?? [Class()], classParams ?? [], namespaces ?? []), cluster ?? Cluster);

    [Fact]
    public void LegacyAnnotationEqualToTheIngressClassFlag_IsOurs_WithoutConsultingAnyIngressClass()
    {
        var ingress = Ing("ns", "a", A(("kubernetes.io/ingress.class", "alb")), className: "missing");
        Assert.Equal(ClassVerdict.Ours, Classify(ingress, classes: []).Verdict);
    }

    [Fact]
    public void LegacyAnnotationWithAnotherValue_IsNotOurs_EvenWhenIngressClassNameIsOurs()
    {
        var ingress = Ing("ns", "a", A(("kubernetes.io/ingress.class", "nginx")));
        Assert.Equal(ClassVerdict.NotOurs, Classify(ingress).Verdict);
    }

    [Fact]
    public void LegacyAnnotationAlb_IsOurs_WhenTheIngressClassFlagIsEmpty()
    {
        var ingress = Ing("ns", "a", A(("kubernetes.io/ingress.class", "alb")), className: null);
        Assert.Equal(ClassVerdict.Ours, Classify(ingress, Cluster with { IngressClass = string.Empty }).Verdict);
    }

    [Fact]
    public void LegacyAnnotationMatchingACustomIngressClassFlag_IsOurs()
    {
        var ingress = Ing("ns", "a", A(("kubernetes.io/ingress.class", "internal-alb")), className: null);
        Assert.Equal(ClassVerdict.Ours, Classify(ingress, Cluster with { IngressClass = "internal-alb" }).Verdict);
        Assert.Equal(ClassVerdict.NotOurs, Classify(ingress).Verdict);
    }

    [Fact]
    public void IngressClassNameOfAClassWithOurController_IsOurs()
    {
        var result = Classify(Ing("ns", "a"));
        Assert.Equal(ClassVerdict.Ours, result.Verdict);
        Assert.Null(result.Params);
    }

    [Fact]
    public void IngressClassNameOfAnotherControllersClass_IsNotOurs()
    {
        var result = Classify(Ing("ns", "a", className: "nginx"), classes: [Class(), Class("nginx", "k8s.io/ingress-nginx")]);
        Assert.Equal(ClassVerdict.NotOurs, result.Verdict);
    }

    [Fact]
    public void IngressClassNameOfAMissingClass_IsInvalidWithAnErrorNamingIt()
    {
        var result = Classify(Ing("ns", "a", className: "gone"));
        Assert.Equal(ClassVerdict.Invalid, result.Verdict);
        Assert.Equal("Ingress ns/a: spec.ingressClassName \"gone\": IngressClass gone not found", result.Error!.ToString());
    }

    [Fact]
    public void NoClassAndNoDefaultClass_IsNotOurs_UnlessTheIngressClassFlagIsEmpty()
    {
        var ingress = Ing("ns", "a", className: null);
        Assert.Equal(ClassVerdict.NotOurs, Classify(ingress).Verdict);
        Assert.Equal(ClassVerdict.Ours, Classify(ingress, Cluster with { IngressClass = string.Empty }).Verdict);
    }

    [Fact]
    public void NoClassName_UsesTheDefaultIngressClass()
    {
        var ingress = Ing("ns", "a", className: null);
        Assert.Equal(ClassVerdict.Ours, Classify(ingress, classes: [Class("mine", isDefault: true)]).Verdict);
        Assert.Equal(ClassVerdict.NotOurs, Classify(ingress, classes: [Class("theirs", "k8s.io/ingress-nginx", isDefault: true)]).Verdict);
    }

    [Fact]
    public void NoClassNameWithTwoDefaultIngressClasses_IsInvalid()
    {
        var result = Classify(Ing("ns", "a", className: null), classes: [Class("b", isDefault: true), Class("a", isDefault: true)]);
        Assert.Equal(ClassVerdict.Invalid, result.Verdict);
        Assert.Contains("multiple default IngressClasses found: [a b]", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParametersOfAnotherKindOrApiGroup_AreInvalid()
    {
        var wrongKind = Classify(Ing("ns", "a"), classes: [Class(paramsName: "p", kind: "ConfigMap")], classParams: [new IngressClassParams { Name = "p" }]);
        var wrongGroup = Classify(Ing("ns", "a"), classes: [Class(paramsName: "p", apiGroup: "example.com")], classParams: [new IngressClassParams { Name = "p" }]);
        Assert.Equal(ClassVerdict.Invalid, wrongKind.Verdict);
        Assert.Contains("references unknown parameters", wrongKind.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(ClassVerdict.Invalid, wrongGroup.Verdict);
    }

    [Fact]
    public void MissingIngressClassParams_AreInvalid()
    {
        var result = Classify(Ing("ns", "a"), classes: [Class(paramsName: "p")]);
        Assert.Equal(ClassVerdict.Invalid, result.Verdict);
        Assert.Equal("IngressClassParams p not found", result.Error!.Message);
    }

    [Fact]
    public void IngressClassParamsOfTheClass_AreReturnedWhenTheNamespaceSelectorMatches()
    {
        var classParams = new IngressClassParams
        {
            Name = "p",
            NamespaceSelector = new LabelSelector { MatchLabels = new Dictionary<string, string> { ["team"] = "web" } },
        };
        var result = Classify(Ing("ns", "a"), classes: [Class(paramsName: "p")], classParams: [classParams], namespaces: [Namespace("ns", ("team", "web"))]);
        Assert.Equal(ClassVerdict.Ours, result.Verdict);
        Assert.Same(classParams, result.Params);
    }

    [Fact]
    public void NamespaceSelectorThatDoesNotMatchTheNamespaceLabels_IsInvalid()
    {
        var classParams = new IngressClassParams
        {
            Name = "p",
            NamespaceSelector = new LabelSelector { MatchLabels = new Dictionary<string, string> { ["team"] = "web" } },
        };
        var result = Classify(Ing("ns", "a"), classes: [Class(paramsName: "p")], classParams: [classParams], namespaces: [Namespace("ns", ("team", "db"))]);
        Assert.Equal(ClassVerdict.Invalid, result.Verdict);
        Assert.Contains("namespaceSelector of IngressClassParams p mismatch", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GroupKey_IsTheImplicitGroupWithoutGroupName()
    {
        Assert.Equal(StackId.Implicit("ns", "a"), GroupKeys.Of(Ing("ns", "a"), [Class()], [], [], Cluster));
    }

    [Fact]
    public void GroupKey_IsTheGroupNameAnnotation_AndIngressClassParamsGroupOverridesIt()
    {
        var ingress = Ing("ns", "a", A(("group.name", "from-annotation")));
        Assert.Equal(StackId.Explicit("from-annotation"), GroupKeys.Of(ingress, [Class()], [], [], Cluster));
        var overridden = GroupKeys.Of(ingress, [Class(paramsName: "p")], [new IngressClassParams { Name = "p", GroupName = "from-params" }], [], Cluster);
        Assert.Equal(StackId.Explicit("from-params"), overridden);
    }

    [Theory]
    [InlineData("Upper")]
    [InlineData("-leading")]
    [InlineData("trailing.")]
    [InlineData("under_score")]
    [InlineData("")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234")]
    public void GroupKey_IsNoneForAnInvalidGroupName(string name)
    {
        Assert.Null(GroupKeys.Of(Ing("ns", "a", A(("group.name", name))), [Class()], [], [], Cluster));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("a.b-c")]
    [InlineData("123")]
    public void GroupKey_AcceptsValidGroupNames(string name)
    {
        Assert.Equal(StackId.Explicit(name), GroupKeys.Of(Ing("ns", "a", A(("group.name", name))), [Class()], [], [], Cluster));
    }

    [Fact]
    public void GroupKey_IsNoneForADeletedIngress_OrOneThatIsNotOurs_OrOneWithAnInvalidClass()
    {
        Assert.Null(GroupKeys.Of(Ing("ns", "a", deleted: true), [Class()], [], [], Cluster));
        Assert.Null(GroupKeys.Of(Ing("ns", "a", className: "nginx"), [Class(), Class("nginx", "other")], [], [], Cluster));
        Assert.Null(GroupKeys.Of(Ing("ns", "a", className: "gone"), [Class()], [], [], Cluster));
    }

    [Fact]
    public void GroupsFromFinalizers_AreTheImplicitAndExplicitGroupsItHolds()
    {
        var ingress = Ing("ns", "a", finalizers: [GroupKeys.ImplicitFinalizer, "group.ingress.k8s.aws/web", "example.com/other"]);
        Assert.Equal([StackId.Implicit("ns", "a"), StackId.Explicit("web")], GroupKeys.FromFinalizers(ingress));
    }

    [Fact]
    public void GroupsToReconcile_AreTheCurrentGroupThenTheFinalizerGroups_WithoutDuplicates()
    {
        var ingress = Ing("ns", "a", A(("group.name", "new")), finalizers: ["group.ingress.k8s.aws/old", "group.ingress.k8s.aws/new"]);
        Assert.Equal([StackId.Explicit("new"), StackId.Explicit("old")], GroupKeys.ToReconcile(ingress, [Class()], [], [], Cluster));
    }

    [Fact]
    public void Finalizers_AreUpstreams()
    {
        Assert.Equal("ingress.k8s.aws/resources", GroupKeys.Finalizer(StackId.Implicit("ns", "a")));
        Assert.Equal("group.ingress.k8s.aws/web", GroupKeys.Finalizer(StackId.Explicit("web")));
    }
}
