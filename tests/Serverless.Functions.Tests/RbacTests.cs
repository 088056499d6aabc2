using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Serverless.Deploy;
using Serverless.Functions.Wiring;
using Serverless.Ingress;
using Serverless.Kubernetes.Auth;
using Serverless.Kubernetes.Writers;
using Serverless.Messages;
using Serverless.Model;
using Serverless.Reconcile;
using Serverless.Testing;
using Serverless.Testing.FakeKubernetes;
using Serverless.Testing.Rbac;

namespace Serverless.Functions.Tests;

/// <summary>
/// The Kubernetes rights of the functions' identity (group <c>serverless-lbc-controller</c>: infra/eks-access/rbac.yaml,
/// plus secret-reader.yaml for one namespace) against what the functions really call. Every Kubernetes code path of
/// the functions runs against the fake API server, wired as deployed: a reconcile of a group that uses everything
/// (IngressClassParams with a namespaceSelector, instance and ip targets, an OIDC Secret, an ignored annotation, a
/// finalizer patch that meets a conflict, a status write, a member being deleted whose finalizer is released, Events),
/// the reconcile of a Service's NLB (finalizer after a conflict, status) and of a Service that left (status emptied,
/// finalizer removed), the reconcile of a TargetGroupBinding (finalizer, status, its gated Pod's condition),
/// the fan-out of Service and Node keys, the replay's group listing, and the instance-events drain mark of a node.
/// Every request is recorded as an RBAC call (verb, API group, resource/subresource, namespace, name), and the calls
/// must be exactly what the manifests grant: a call not granted fails, and so does a grant no call uses. There is no
/// intentional exception.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class RbacTests(MotoFixture fixture) : MotoTest(fixture)
{
    private const string Group = "serverless-lbc-controller";
    private const string Dns = "internal-k8s-shop-0123456789.us-east-1.elb.amazonaws.com";

    /// <summary>Every right of the functions' identity, verb by verb, and where it holds.</summary>
    private static readonly string[] Granted =
    [
        // ClusterRole serverless-lbc-controller, every namespace.
        "create /events",
        "get /nodes",
        "get /pods",
        "get /services",
        "get elbv2.k8s.aws/targetgroupbindings",
        "get networking.k8s.io/ingresses",
        "list /namespaces",
        "list /nodes",
        "list /services",
        "list discovery.k8s.io/endpointslices",
        "list elbv2.k8s.aws/ingressclassparams",
        "list elbv2.k8s.aws/targetgroupbindings",
        "list networking.k8s.io/ingressclasses",
        "list networking.k8s.io/ingresses",
        "patch /nodes",
        "patch /pods/status",
        "patch /services",
        "patch /services/status",
        "patch elbv2.k8s.aws/targetgroupbindings",
        "patch elbv2.k8s.aws/targetgroupbindings/status",
        "patch networking.k8s.io/ingresses",
        "patch networking.k8s.io/ingresses/status",
        // secret-reader.yaml for NAMESPACE=default, SECRET_NAME=oidc: the one OIDC Secret, by name.
        "get /secrets in default name oidc",
    ];


    private static IReadOnlyList<RbacGrant> Grants()
    {
        var manifests = TypedManifests.Load(RepoPaths.Combine("infra", "eks-access", "rbac.yaml"))
            .Concat(TypedManifests.Load(RepoPaths.Combine("infra", "eks-access", "secret-reader.yaml"),
                new Dictionary<string, string> { ["NAMESPACE"] = "default", ["SECRET_NAME"] = "oidc" }));
        return RbacGrant.Of(manifests, "Group", Group);
    }

    [Fact]
    public void The_identity_gets_exactly_the_listed_rights_and_no_Secret_beyond_the_named_one()
    {
        Assert.Equal(Granted.Order(StringComparer.Ordinal), Grants().Select(static g => g.ToString()).Order(StringComparer.Ordinal));
        var clusterRole = Assert.Single(TypedManifests.Load(RepoPaths.Combine("infra", "eks-access", "rbac.yaml")).OfType<V1ClusterRole>());
        Assert.DoesNotContain(clusterRole.Rules, static r => r.Resources.Contains("secrets"));
        Assert.DoesNotContain(clusterRole.Rules, static r => r.ApiGroups.Contains("events.k8s.io"));
    }

    [Fact]
    public void The_node_label_policy_denies_the_group_any_Node_update_beyond_the_drain_label()
    {
        var objects = TypedManifests.Load(RepoPaths.Combine("infra", "eks-access", "node-label-policy.yaml"));
        var policy = Assert.Single(objects.OfType<V1ValidatingAdmissionPolicy>());
        var binding = Assert.Single(objects.OfType<V1ValidatingAdmissionPolicyBinding>());
        Assert.Equal(policy.Metadata.Name, binding.Spec.PolicyName);
        Assert.Equal(["Deny"], binding.Spec.ValidationActions);
        Assert.Null(binding.Spec.MatchResources); // every Node
        Assert.Equal("Fail", policy.Spec.FailurePolicy);
        var rule = Assert.Single(policy.Spec.MatchConstraints.ResourceRules);
        Assert.Equal([""], rule.ApiGroups);
        Assert.Equal(["nodes"], rule.Resources);
        Assert.Equal(["UPDATE"], rule.Operations);
        // Only the functions' group is held to it (the access entry maps the role to that group).
        var condition = Assert.Single(policy.Spec.MatchConditions);
        Assert.Equal($"'{Group}' in request.userInfo.groups", condition.Expression);
        // The label it leaves out of the comparison is the one the drain mark writes.
        var label = Assert.Single(policy.Spec.Variables);
        Assert.Equal($"'{NodeDrainWriter.ExcludeLabel}'", label.Expression);
        // Each validation compares object with oldObject; labels with the drain label left out.
        Assert.All(policy.Spec.Validations, static v => Assert.Contains("oldObject", v.Expression, StringComparison.Ordinal));
        Assert.Contains(policy.Spec.Validations, v => v.Expression.Contains($"k == variables.{label.Name}", StringComparison.Ordinal));
        Assert.Equal(
            ["metadata.annotations", "metadata.finalizers", "metadata.labels", "metadata.ownerReferences", "spec"],
            policy.Spec.Validations.Select(static v => System.Text.RegularExpressions.Regex.Match(v.Expression, @"has\(object\.([A-Za-z.]+)\)").Groups[1].Value).Order(StringComparer.Ordinal));
        Assert.Contains(Group, File.ReadAllText(RepoPaths.Combine("infra", "eks-access", "access-entry.yaml")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_functions_call_exactly_what_the_manifests_grant()
    {
        await using var kube = await FakeKubernetesApiServer.StartAsync();
        Seed(kube);
        using var api = KubernetesConnection.Create(new KubernetesClientConfiguration { Host = kube.Url });
        var cluster = new ClusterSettings { ClusterName = "demo", VpcId = "vpc-0123456789abcdef0" };
        // The first finalizer patch meets a concurrent write: the writer re-reads the Ingress and patches again.
        kube.FailNext(1, 409, static r => r.Verb == "patch" && r.Plural == "ingresses" && r.Subresource is null);

        // The reconcile function: one group.
        var facts = new ReconcileQueueTests.TwoSubnets();
        var reconciler = new StackKeyReconciler(
            new IngressGroupReconciler(new LiveIngressGroupSource(api, cluster), cluster, facts, new Deployer()),
            new ServiceReconciler(new LiveServiceSource(api), cluster, facts, new Deployer(), Serverless.Service.ServiceModelBuilder.Build));
        var result = await reconciler.ReconcileAsync(QueueKey.IngressGroup("shop"), ReconcileMode.Event, CancellationToken.None);
        Assert.True(result.IsDone, result.Reason);
        Assert.Equal(["group.ingress.k8s.aws/shop"], Finalizers(kube, "web"));
        Assert.Null(kube.Get("networking.k8s.io/v1", "Ingress", "default", "old")); // released, then gone
        Assert.NotNull(kube.Get("networking.k8s.io/v1", "Ingress", "default", "web")!["status"]?["loadBalancer"]?["ingress"]);
        Assert.Contains(kube.List("v1", "Event", "default"), static e => e["reason"]!.GetValue<string>() == "IgnoredAnnotation");
        Assert.Contains(kube.List("v1", "Event", "default"), static e => e["reason"]!.GetValue<string>() == "SuccessfullyReconciled");

        // The reconcile function: a Service's NLB (finalizer patch after a conflict, status), and a Service that left
        // (status emptied, finalizer removed).
        kube.FailNext(1, 409, static r => r.Verb == "patch" && r.Plural == "services" && r.Subresource is null);
        var nlb = await reconciler.ReconcileAsync(QueueKey.Service("default", "nlb"), ReconcileMode.Event, CancellationToken.None);
        Assert.True(nlb.IsDone, nlb.Reason);
        Assert.Equal(["service.k8s.aws/resources"], ServiceFinalizers(kube, "nlb"));
        Assert.Equal(Dns, kube.Get("v1", "Service", "default", "nlb")!["status"]!["loadBalancer"]!["ingress"]![0]!["hostname"]!.GetValue<string>());
        var left = await reconciler.ReconcileAsync(QueueKey.Service("default", "was-nlb"), ReconcileMode.Event, CancellationToken.None);
        Assert.True(left.IsDone, left.Reason);
        Assert.Empty(ServiceFinalizers(kube, "was-nlb"));
        Assert.Null(kube.Get("v1", "Service", "default", "was-nlb")!["status"]?["loadBalancer"]?["ingress"]);

        // The reconcile function: a TargetGroupBinding (finalizer, status) into a target group made outside Kubernetes,
        // whose gated Pod is registered and gets its readiness condition (pods/status).
        var options = Moto.ClientOptions();
        using var ec2Sdk = Serverless.Aws.Ec2.Ec2Gateway.CreateSdkClient(options);
        var vpc = (await ec2Sdk.CreateVpcAsync(new Amazon.EC2.Model.CreateVpcRequest { CidrBlock = "10.0.0.0/16" })).Vpc.VpcId;
        using var elb = new Serverless.Aws.ElasticLoadBalancingV2.ElasticLoadBalancingV2Client(options);
        await elb.CreateTargetGroupAsync(new Serverless.Aws.ElasticLoadBalancingV2.Model.CreateTargetGroupRequest { Name = "rbac-gated", Protocol = "HTTP", Port = 8080, VpcId = vpc, TargetType = "ip" });
        kube.Create($$$"""
            {"apiVersion":"elbv2.k8s.aws/v1beta1","kind":"TargetGroupBinding","metadata":{"name":"gated-tg","namespace":"default"},
             "spec":{"serviceRef":{"name":"gated-svc","port":80},"targetGroupName":"rbac-gated","targetType":"ip","vpcID":"{{{vpc}}}"}}
            """);
        using var ec2 = Serverless.Aws.Ec2.Ec2Gateway.Create(options);
        var withBindings = new StackKeyReconciler(
            new IngressGroupReconciler(new LiveIngressGroupSource(api, cluster), cluster, facts, new Deployer()),
            bindings: new Serverless.Bindings.BindingReconciler(new Serverless.Bindings.LiveBindingSource(api), cluster, new Serverless.Bindings.BindingDeployer(elb, ec2)));
        var bound = await withBindings.ReconcileAsync(QueueKey.TargetGroupBinding("default", "gated-tg"), ReconcileMode.Event, CancellationToken.None);
        Assert.Equal(ReconcileKind.RequeueAfter, bound.Kind); // the gated Pod's registration is in progress
        Assert.Equal("elbv2.k8s.aws/resources", kube.Get("elbv2.k8s.aws/v1beta1", "TargetGroupBinding", "default", "gated-tg")!["metadata"]!["finalizers"]![0]!.GetValue<string>());
        Assert.Contains(kube.Get("v1", "Pod", "default", "gated-1")!["status"]!["conditions"]!.AsArray(), static c => c!["type"]!.GetValue<string>() == "target-health.elbv2.k8s.aws/gated-tg");

        // The reconcile function's fan-out of Service and Node keys, and the replay's list of groups and Services.
        var fanned = await new GroupFanOut(api, cluster).ResolveAsync([QueueKey.Service("default", "web-svc"), QueueKey.Node("n1")], CancellationToken.None);
        Assert.Equal([QueueKey.IngressGroup("shop")], fanned[QueueKey.Service("default", "web-svc")]);
        var gatedFanned = await new GroupFanOut(api, cluster).ResolveAsync([QueueKey.Service("default", "gated-svc")], CancellationToken.None);
        Assert.Equal([QueueKey.TargetGroupBinding("default", "gated-tg")], gatedFanned[QueueKey.Service("default", "gated-svc")]);
        Assert.Equal([QueueKey.IngressGroup("shop"), QueueKey.Service("default", "nlb-instance")], fanned[QueueKey.Node("n1")]);
        var listed = await new ClusterKeys(api, cluster).ListGroupKeysAsync(CancellationToken.None);
        Assert.Null(listed.Incomplete);
        Assert.Equal([QueueKey.IngressGroup("shop"), QueueKey.Service("default", "nlb"), QueueKey.Service("default", "nlb-instance"), QueueKey.TargetGroupBinding("default", "gated-tg")], listed.Keys);

        // The instance-events function: the drain mark of the interrupted instance's node.
        var mark = await new NodeMarker(api).MarkAsync("i-0a", "spot interruption", CancellationToken.None);
        Assert.Equal(new NodeMarkResult("n1", true), mark);
        Assert.Equal("true", kube.Get("v1", "Node", null, "n1")!["metadata"]!["labels"]![NodeDrainWriter.ExcludeLabel]!.GetValue<string>());

        var calls = RbacCall.Of(kube.Requests);
        var (denied, unused) = RbacGrant.Compare(Grants(), calls);
        Assert.True(denied.Count == 0, "calls the manifests do not grant: " + string.Join(", ", denied));
        var unusedNames = unused.Select(static g => g.ToString()).ToList();
        Assert.True(unusedNames.Count == 0, "grants the functions never use: " + string.Join(", ", unusedNames));
        // Writes are patches and creates only: no update (PUT) and no delete anywhere.
        Assert.DoesNotContain(calls, static c => c.Verb is "update" or "delete" or "deletecollection" or "watch");
    }

    private static IReadOnlyList<string> ServiceFinalizers(FakeKubernetesApiServer kube, string name) =>
        kube.Get("v1", "Service", "default", name)?["metadata"]?["finalizers"]?.AsArray().Select(static f => f!.GetValue<string>()).ToList() ?? [];

    private static IReadOnlyList<string> Finalizers(FakeKubernetesApiServer kube, string name) =>
        kube.Get("networking.k8s.io/v1", "Ingress", "default", name)?["metadata"]?["finalizers"]?.AsArray().Select(static f => f!.GetValue<string>()).ToList() ?? [];

    private static void Seed(FakeKubernetesApiServer kube)
    {
        // A class whose parameters select namespaces by label: the namespaces are listed.
        kube.Create("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"default","labels":{"team":"shop"}}}""");
        kube.Create("""{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"alb"},"spec":{"controller":"ingress.k8s.aws/alb","parameters":{"apiGroup":"elbv2.k8s.aws","kind":"IngressClassParams","name":"shop"}}}""");
        kube.Create("""{"apiVersion":"elbv2.k8s.aws/v1beta1","kind":"IngressClassParams","metadata":{"name":"shop"},"spec":{"namespaceSelector":{"matchLabels":{"team":"shop"}}}}""");
        kube.Create("""{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1","labels":{"topology.kubernetes.io/zone":"us-east-1a"}},"spec":{"providerID":"aws:///us-east-1a/i-0a"},"status":{"conditions":[{"type":"Ready","status":"True"}]}}""");
        // Instance targets (an ignored annotation on it: a Warning Event), ip targets (EndpointSlices), an OIDC Secret.
        kube.Create(Ingress("web", "web-svc", "/", new JsonObject { ["alb.ingress.kubernetes.io/healthcheck-pathh"] = "/healthz" }));
        kube.Create("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"web-svc","namespace":"default"},"spec":{"type":"NodePort","ports":[{"name":"http","port":80,"targetPort":8080,"nodePort":30080,"protocol":"TCP"}]}}""");
        kube.Create(Ingress("api", "api-svc", "/api", new JsonObject { ["alb.ingress.kubernetes.io/target-type"] = "ip" }));
        kube.Create("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"api-svc","namespace":"default"},"spec":{"type":"ClusterIP","ports":[{"name":"http","port":80,"targetPort":8080,"protocol":"TCP"}]}}""");
        kube.Create("""{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"api-svc-x1","namespace":"default","labels":{"kubernetes.io/service-name":"api-svc"}},"addressType":"IPv4","ports":[{"name":"http","port":8080,"protocol":"TCP"}],"endpoints":[{"addresses":["10.0.0.9"],"conditions":{"ready":true}}]}""");
        kube.Create(Ingress("login", "web-svc", "/login", new JsonObject
        {
            ["alb.ingress.kubernetes.io/auth-type"] = "oidc",
            ["alb.ingress.kubernetes.io/auth-idp-oidc"] =
                """{"issuer":"https://idp.example.com","authorizationEndpoint":"https://idp.example.com/auth","tokenEndpoint":"https://idp.example.com/token","userInfoEndpoint":"https://idp.example.com/userinfo","secretName":"oidc"}""",
        }));
        kube.Create("""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"oidc","namespace":"default"},"data":{"clientID":"Y2xpZW50","clientSecret":"czNjcjN0"}}""");
        // Services of type LoadBalancer: one ours with ip targets, one ours with instance targets (a Node key reaches
        // it; not reconciled here), one that left (ClusterIP now) still holding our finalizer and an address.
        kube.Create("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"nlb","namespace":"default","uid":"7d0c1f5e-0000-4000-8000-000000000001","annotations":{"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type":"ip"}},"spec":{"type":"LoadBalancer","loadBalancerClass":"service.k8s.aws/nlb","ports":[{"name":"tcp","port":80,"targetPort":8080,"nodePort":30081,"protocol":"TCP"}]}}""");
        kube.Create("""{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"nlb-x1","namespace":"default","labels":{"kubernetes.io/service-name":"nlb"}},"addressType":"IPv4","ports":[{"name":"tcp","port":8080,"protocol":"TCP"}],"endpoints":[{"addresses":["10.0.0.10"],"conditions":{"ready":true}}]}""");
        kube.Create("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"nlb-instance","namespace":"default","uid":"7d0c1f5e-0000-4000-8000-000000000002"},"spec":{"type":"LoadBalancer","loadBalancerClass":"service.k8s.aws/nlb","ports":[{"name":"tcp","port":80,"targetPort":8080,"nodePort":30082,"protocol":"TCP"}]}}""");
        kube.Create("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"was-nlb","namespace":"default","uid":"7d0c1f5e-0000-4000-8000-000000000003","finalizers":["service.k8s.aws/resources"]},"spec":{"type":"ClusterIP","ports":[{"name":"tcp","port":80,"targetPort":8080,"protocol":"TCP"}]},"status":{"loadBalancer":{"ingress":[{"hostname":"k8s-default-wasnlb-0123456789.elb.us-east-1.amazonaws.com"}]}}}""");
        // A TargetGroupBinding's Service whose one endpoint waits only for the binding's readiness gate.
        kube.Create("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"gated-svc","namespace":"default"},"spec":{"type":"ClusterIP","ports":[{"name":"http","port":80,"targetPort":8080,"protocol":"TCP"}]}}""");
        kube.Create("""{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"gated-svc-x1","namespace":"default","labels":{"kubernetes.io/service-name":"gated-svc"}},"addressType":"IPv4","ports":[{"name":"http","port":8080,"protocol":"TCP"}],"endpoints":[{"addresses":["10.0.0.20"],"conditions":{"ready":false},"targetRef":{"kind":"Pod","namespace":"default","name":"gated-1"}}]}""");
        kube.Create("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"gated-1","namespace":"default"},"spec":{"nodeName":"n1","readinessGates":[{"conditionType":"target-health.elbv2.k8s.aws/gated-tg"}],"containers":[{"name":"app","image":"app"}]},"status":{"conditions":[{"type":"ContainersReady","status":"True"},{"type":"Ready","status":"False"}]}}""");
        // A member being deleted: its finalizer is released once the group no longer needs it.
        var old = Ingress("old", "web-svc", "/old", []);
        old["metadata"]!["finalizers"] = new JsonArray("group.ingress.k8s.aws/shop");
        kube.Create(old);
        kube.Delete("networking.k8s.io/v1", "Ingress", "default", "old");
    }

    private static JsonObject Ingress(string name, string service, string path, JsonObject annotations)
    {
        annotations["alb.ingress.kubernetes.io/group.name"] = "shop";
        annotations["alb.ingress.kubernetes.io/listen-ports"] = """[{"HTTPS":443}]""";
        annotations["alb.ingress.kubernetes.io/certificate-arn"] = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d";
        return new JsonObject
        {
            ["apiVersion"] = "networking.k8s.io/v1",
            ["kind"] = "Ingress",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default", ["annotations"] = annotations },
            ["spec"] = JsonNode.Parse("""
                {"ingressClassName":"alb","rules":[{"http":{"paths":[{"path":"PATH","pathType":"Prefix",
                 "backend":{"service":{"name":"SERVICE","port":{"number":80}}}}]}}]}
                """.Replace("PATH", path, StringComparison.Ordinal).Replace("SERVICE", service, StringComparison.Ordinal)),
        };
    }

    /// <summary>A deploy that succeeds at once with a load balancer address (the AWS side is not this test's subject).</summary>
    private sealed class Deployer : IStackDeployer
    {
        public Task<DeployResult> DeployAsync(Stack desired, DeployOptions options, CancellationToken cancellationToken = default) =>
            Task.FromResult(new DeployResult
            {
                Stack = desired.Id.ToString(),
                Mode = options.Mode,
                Reconcile = ReconcileResult.Done,
                Changes = [new ResourceChange(ChangeAction.Create, "LoadBalancer", "LoadBalancer", "arn:lb", [])],
                AwsCalls = new Dictionary<string, long>(),
                DnsName = Dns,
                Warnings = [],
            });
    }
}
