// The Lambda role's policy for TargetGroupBindings: targets of a target group made outside Kubernetes (no tags of ours)
// may be registered and deregistered within the configured name pattern, and nothing else of that group may change.
using k8s;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Bindings;
using Serverless.Functions.Tests.Iam;
using Serverless.Functions.Wiring;
using Serverless.Ingress;
using Serverless.Kubernetes.Auth;
using Serverless.Local;
using Serverless.Messages;
using Serverless.Reconcile;
using Serverless.Testing;
using Serverless.Testing.FakeKubernetes;

namespace Serverless.Functions.Tests;

[Collection(MotoCollection.Name)]
public sealed class PolicyBindingTests(MotoFixture fixture) : MotoTest(fixture)
{
    private const string Cluster = "iam-tgb";

    private static readonly Dictionary<string, IReadOnlyList<string>> Untagged = [];

    private static string Group(string name) =>
        $"arn:aws:elasticloadbalancing:{TemplatePolicy.Region}:{TemplatePolicy.Account}:targetgroup/{name}/73e2d6bc24d8a067";

    private static IamPolicy Policy(string? names = null, string vpcId = "vpc-0abc")
    {
        var parameters = new Dictionary<string, string>
        {
            ["ClusterName"] = Cluster,
            ["VpcId"] = vpcId,
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

    [Fact]
    public async Task Every_AWS_request_of_binding_reconciles_and_their_removal_is_allowed_by_the_lambda_role_with_a_name_pattern()
    {
        var options = Moto.ClientOptions();
        using var ec2Sdk = Ec2Gateway.CreateSdkClient(options);
        var sandbox = await Sandbox.SeedAsync(ec2Sdk, Cluster, TemplatePolicy.Region, [new("node-a")]);
        using var tagElb = new ElasticLoadBalancingV2Client(options);
        var ipGroup = (await tagElb.CreateTargetGroupAsync(new CreateTargetGroupRequest { Name = "shared-api", Protocol = "HTTP", Port = 8080, VpcId = sandbox.VpcId, TargetType = "ip" })).TargetGroups![0].TargetGroupArn!;
        await tagElb.CreateTargetGroupAsync(new CreateTargetGroupRequest { Name = "shared-web", Protocol = "HTTP", Port = 30080, VpcId = sandbox.VpcId, TargetType = "instance" });
        // A stale target the ip binding owns and removes.
        await tagElb.RegisterTargetsAsync(new RegisterTargetsRequest { TargetGroupArn = ipGroup, Targets = [new TargetDescription { Id = "10.0.10.99", Port = 8080 }] });
        var recorded = new RecordedAwsCalls(tagElb, ec2Sdk);
        var recording = Moto.ClientOptions(wrap: recorded.Wrap);

        await using var kube = await FakeKubernetesApiServer.StartAsync();
        kube.CreateReadyNode("node-a", sandbox.Nodes[0].ProviderId);
        kube.Create("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"api","namespace":"shop"},"spec":{"type":"ClusterIP","ports":[{"name":"http","port":80,"targetPort":8080,"protocol":"TCP"}]}}""");
        kube.Create("""{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"api-1","namespace":"shop","labels":{"kubernetes.io/service-name":"api"}},"addressType":"IPv4","ports":[{"name":"http","port":8080,"protocol":"TCP"}],"endpoints":[{"addresses":["10.0.10.21"],"conditions":{"ready":true}}]}""");
        kube.Create("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"shop"},"spec":{"type":"NodePort","ports":[{"name":"http","port":80,"targetPort":8080,"nodePort":30080,"protocol":"TCP"}]}}""");
        kube.Create("""{"apiVersion":"elbv2.k8s.aws/v1beta1","kind":"TargetGroupBinding","metadata":{"name":"api","namespace":"shop"},"spec":{"serviceRef":{"name":"api","port":80},"targetGroupName":"shared-api","targetType":"ip"}}""");
        // Instance targets with networking: the node's security group gets the declared rule, revoked when the binding goes.
        kube.Create("""{"apiVersion":"elbv2.k8s.aws/v1beta1","kind":"TargetGroupBinding","metadata":{"name":"web","namespace":"shop"},"spec":{"serviceRef":{"name":"web","port":80},"targetGroupName":"shared-web","targetType":"instance","networking":{"ingress":[{"from":[{"ipBlock":{"cidr":"10.1.0.0/16"}}],"ports":[{"protocol":"TCP","port":30080}]}]}}}""");
        using var api = KubernetesConnection.Create(new KubernetesClientConfiguration { Host = kube.Url });
        var cluster = new ClusterSettings { ClusterName = Cluster, VpcId = sandbox.VpcId };
        using var elb = new ElasticLoadBalancingV2Client(recording);
        using var ec2 = Ec2Gateway.Create(recording);
        var reconciler = new StackKeyReconciler(
            new IngressGroupReconciler(new LiveIngressGroupSource(api, cluster), cluster, new ReconcileQueueTests.TwoSubnets(), new NoIngressDeploys()),
            bindings: new BindingReconciler(new LiveBindingSource(api), cluster, new BindingDeployer(elb, ec2)));

        async Task ReconcileAsync(string phase)
        {
            foreach (var name in new[] { "api", "web" })
            {
                var result = await reconciler.ReconcileAsync(QueueKey.TargetGroupBinding("shop", name), ReconcileMode.FullDriftCheck, CancellationToken.None);
                Assert.True(result.IsDone, $"{phase} {name}: {result}");
            }
        }

        await ReconcileAsync("bind");
        kube.Delete("elbv2.k8s.aws/v1beta1", "TargetGroupBinding", "shop", "api");
        kube.Delete("elbv2.k8s.aws/v1beta1", "TargetGroupBinding", "shop", "web");
        await ReconcileAsync("unbind");

        var calls = recorded.Calls;
        var checks = calls.SelectMany(AwsRequestChecks.For).ToList();
        var policy = Policy("shared-*", sandbox.VpcId);
        var denied = checks.Where(c => !policy.Evaluate(c).Allowed).ToList();
        Assert.True(denied.Count == 0, "denied:\n" + string.Join("\n", denied));
        var operations = calls.Select(static c => c.ToString()).ToHashSet(StringComparer.Ordinal);
        string[] expected = ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets", "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"];
        var missing = expected.Where(o => !operations.Contains(o)).ToList();
        Assert.True(missing.Count == 0, "the scenario made no " + string.Join(", ", missing) + "; it made " + string.Join(", ", operations.Order(StringComparer.Ordinal)));
        Assert.DoesNotContain(operations, static o => o is "elasticloadbalancing:ModifyTargetGroup" or "elasticloadbalancing:ModifyTargetGroupAttributes" or "elasticloadbalancing:AddTags" or "elasticloadbalancing:RemoveTags");
        // The same requests against a pattern that leaves these groups out: the target calls are denied.
        var other = Policy("payments-*", sandbox.VpcId);
        Assert.Contains(checks, c => c.Action == "elasticloadbalancing:RegisterTargets" && !other.Evaluate(c).Allowed);
    }

    /// <summary>No Ingress group is reconciled here.</summary>
    private sealed class NoIngressDeploys : Serverless.Deploy.IStackDeployer
    {
        public Task<Serverless.Deploy.DeployResult> DeployAsync(Serverless.Model.Stack desired, Serverless.Deploy.DeployOptions options, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("no Ingress group is reconciled in this test");
    }
}
