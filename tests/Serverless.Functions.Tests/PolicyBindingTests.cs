// The Lambda role's policy for TargetGroupBindings: targets of a target group made outside Kubernetes (no tags of ours)
// may be registered and deregistered within the configured name pattern, and nothing else of that group may change.
using Serverless.Functions.Tests.Iam;

namespace Serverless.Functions.Tests;

public sealed class PolicyBindingTests
{
    private const string Cluster = "iam-tgb";

    private static readonly Dictionary<string, IReadOnlyList<string>> Untagged = [];

    private static string Group(string name) =>
        $"arn:aws:elasticloadbalancing:{TemplatePolicy.Region}:{TemplatePolicy.Account}:targetgroup/{name}/73e2d6bc24d8a067";

    private static IamPolicy Policy(string? names = null)
    {
        var parameters = new Dictionary<string, string>
        {
            ["ClusterName"] = Cluster,
            ["VpcId"] = "vpc-0abc",
            ["SubnetIds"] = "",
            ["SecurityGroupIds"] = "",
        };
        if (names is not null)
            parameters["TargetGroupBindingNames"] = names;
        return TemplatePolicy.ForRole("LambdaRole", parameters);
    }

    private static bool Allowed(IamPolicy policy, string action, string resource) =>
        policy.Evaluate(new IamCheck(action, resource, Untagged, "case")).Allowed;

    [Fact]
    public void By_default_targets_of_any_foreign_target_group_may_be_registered_and_deregistered_and_the_group_itself_never_changes()
    {
        var policy = Policy();
        var foreign = Group("made-by-terraform");
        Assert.True(Allowed(policy, "elasticloadbalancing:RegisterTargets", foreign));
        Assert.True(Allowed(policy, "elasticloadbalancing:DeregisterTargets", foreign));
        foreach (var action in new[]
        {
            "elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
            "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags",
        })
            Assert.False(Allowed(policy, action, foreign), action);
        // Another account's or Region's group: never.
        Assert.False(Allowed(policy, "elasticloadbalancing:RegisterTargets", foreign.Replace(TemplatePolicy.Account, "999999999999", StringComparison.Ordinal)));
        Assert.False(Allowed(policy, "elasticloadbalancing:RegisterTargets", foreign.Replace(TemplatePolicy.Region, "eu-north-1", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_name_pattern_limits_bindings_to_matching_groups_and_an_empty_one_to_none()
    {
        var shared = Policy("shared-*");
        Assert.True(Allowed(shared, "elasticloadbalancing:RegisterTargets", Group("shared-web")));
        Assert.True(Allowed(shared, "elasticloadbalancing:DeregisterTargets", Group("shared-web")));
        Assert.False(Allowed(shared, "elasticloadbalancing:RegisterTargets", Group("payments")));
        Assert.False(Allowed(shared, "elasticloadbalancing:DeregisterTargets", Group("payments")));

        var none = Policy("");
        Assert.False(Allowed(none, "elasticloadbalancing:RegisterTargets", Group("shared-web")));
        Assert.False(Allowed(none, "elasticloadbalancing:DeregisterTargets", Group("anything")));
        // Our own stacks' groups are unaffected: their statement asks for our cluster tag.
        var ours = AwsRequestChecks.ResourceTagContext(AwsRequestChecks.Owned(Cluster));
        Assert.True(none.Evaluate(new IamCheck("elasticloadbalancing:RegisterTargets", Group("k8s-default-echo-0123456789"), ours, "case")).Allowed);
    }
}
