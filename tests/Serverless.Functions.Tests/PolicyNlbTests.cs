// The Lambda role's policy against every AWS request of a Service (NLB) stack's create, change and destroy, checked the
// way AWS authorizes each request (the same recorder and evaluator as PolicyTests).
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
public sealed class PolicyNlbTests(MotoFixture fixture) : MotoTest(fixture)
{
    private const string Cluster = "iam-nlb";

    private static IamPolicy Policy(string vpcId) =>
        TemplatePolicy.ForRole("LambdaRole", new Dictionary<string, string>
        {
            ["ClusterName"] = Cluster,
            ["VpcId"] = vpcId,
            ["SubnetIds"] = "",
            ["SecurityGroupIds"] = "",
        });

    private static string Service(string ports, string annotations) =>
        "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"echo\",\"namespace\":\"default\",\"uid\":\"5e0c7a1b-0000-4000-8000-0000000000aa\",\"annotations\":{"
        + annotations + "}},\"spec\":{\"type\":\"LoadBalancer\",\"loadBalancerClass\":\"service.k8s.aws/nlb\",\"ports\":[" + ports + "]}}";

    [Fact]
    public async Task Every_AWS_request_of_an_NLB_create_change_and_destroy_is_allowed_by_the_lambda_role()
    {
        var options = Moto.ClientOptions();
        using var ec2Sdk = Ec2Gateway.CreateSdkClient(options);
        var sandbox = await Sandbox.SeedAsync(ec2Sdk, Cluster, TemplatePolicy.Region, [new("node-a"), new("node-b")]);
        using var tagElb = new ElasticLoadBalancingV2Client(options);
        var recorded = new RecordedAwsCalls(tagElb, ec2Sdk);
        var recording = Moto.ClientOptions(wrap: recorded.Wrap);

        await using var kube = await FakeKubernetesApiServer.StartAsync();
        foreach (var instance in sandbox.Nodes)
            kube.CreateReadyNode(instance.NodeName, instance.ProviderId);
        const string tcp80 = """{"name":"tcp","port":80,"targetPort":8080,"nodePort":30080,"protocol":"TCP"}""";
        const string tcp443 = """{"name":"tls","port":443,"targetPort":8443,"nodePort":30443,"protocol":"TCP"}""";
        kube.Create(Service(tcp80, """
            "service.beta.kubernetes.io/aws-load-balancer-scheme":"internet-facing",
            "service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags":"team=a"
            """));
        using var api = KubernetesConnection.Create(new KubernetesClientConfiguration { Host = kube.Url });
        using var deployed = new DeployedReconciler(recording, api, new ClusterSettings { ClusterName = Cluster, VpcId = sandbox.VpcId }, TimeSpan.Zero);
        var reconciler = deployed.Reconciler;
        var key = QueueKey.Service("default", "echo");

        async Task ReconcileAsync(string phase)
        {
            var result = await reconciler.ReconcileAsync(key, ReconcileMode.FullDriftCheck, CancellationToken.None);
            Assert.True(result.Kind == ReconcileKind.Done, $"{phase}: {result}");
        }

        await ReconcileAsync("create");
        // A port added, tags and attributes changed, the IP address type changed.
        kube.Mutate("v1", "Service", "default", "echo", service =>
        {
            var annotations = service["metadata"]!["annotations"]!.AsObject();
            annotations["service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags"] = "team=b";
            annotations["service.beta.kubernetes.io/aws-load-balancer-attributes"] = "load_balancing.cross_zone.enabled=true";
            annotations["service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"] = "deregistration_delay.timeout_seconds=30";
            annotations["service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval"] = "20";
            service["spec"]!["ports"] = System.Text.Json.Nodes.JsonNode.Parse("[" + tcp80 + "," + tcp443 + "]");
        });
        await ReconcileAsync("change");
        // Not ours any more: the NLB and everything of it go.
        kube.Mutate("v1", "Service", "default", "echo", service =>
        {
            service["spec"]!["type"] = "ClusterIP";
            service["spec"]!.AsObject().Remove("loadBalancerClass");
        });
        await ReconcileAsync("destroy");

        var calls = recorded.Calls;
        // moto names an NLB's ARNs like an ALB's (loadbalancer/app/...); AWS names them loadbalancer/net/... and
        // listener/net/...: every load balancer here is an NLB, so the checks use the real ARNs.
        var checks = calls.SelectMany(AwsRequestChecks.For).Select(static c => c with
        {
            Resource = c.Resource.Replace(":loadbalancer/app/", ":loadbalancer/net/", StringComparison.Ordinal).Replace(":listener/app/", ":listener/net/", StringComparison.Ordinal),
        }).ToList();
        var policy = Policy(sandbox.VpcId);
        var denied = checks.Where(c => !policy.Evaluate(c).Allowed).ToList();

        Assert.True(denied.Count == 0, "denied:\n" + string.Join("\n", denied));
        var operations = calls.Select(c => c.ToString()).ToHashSet(StringComparer.Ordinal);
        string[] expected =
            [
                "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:AddTags", "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteListener", "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:RegisterTargets",
                "ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "ec2:DeleteSecurityGroup",
            ];
        var missing = expected.Where(o => !operations.Contains(o)).ToList();
        Assert.True(missing.Count == 0, "the scenario made no " + string.Join(", ", missing) + "; it made " + string.Join(", ", operations.Order(StringComparer.Ordinal)));
        Assert.Contains(checks, c => c.Action == "elasticloadbalancing:CreateLoadBalancer" && c.Resource.Contains(":loadbalancer/net/", StringComparison.Ordinal));
        Assert.Contains(checks, c => c.Action == "elasticloadbalancing:AddTags" && c.Context.ContainsKey("elasticloadbalancing:CreateAction") && c.Resource.Contains(":listener/net/", StringComparison.Ordinal));
    }
}
