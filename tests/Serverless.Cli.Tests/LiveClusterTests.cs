using System.Text.Json.Nodes;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Local;
using Serverless.Testing;
using Serverless.Testing.FakeKubernetes;

namespace Serverless.Cli.Tests;

/// <summary>
/// The runner with <c>--kubeconfig</c> against a fake API server and moto: plan writes nothing to the cluster; apply
/// creates the ALB and writes the finalizer and status; a plan after the apply has nothing to do.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class LiveClusterTests(MotoFixture fixture)
{
    private readonly MotoServer _moto = fixture.Server;

    [Fact]
    public async Task Plan_writes_nothing_apply_writes_finalizer_and_status_then_plan_is_empty()
    {
        await using var live = await LiveCluster.StartAsync(_moto, "e2e-live");
        string[] args = [.. live.Arguments];

        live.Kube.ClearRequests();
        var plan = await RunAsync(["plan", .. args]);
        Assert.True(plan.Exit == ExitCodes.Ok, plan.Errors);
        Assert.Contains(Changes(plan.Report), c => c.StartsWith("create ", StringComparison.Ordinal));
        Assert.Equal(0, live.Kube.CountRequests("PATCH") + live.Kube.CountRequests("PUT") + live.Kube.CountRequests("POST"));

        var apply = await RunAsync(["apply", .. args]);
        Assert.True(apply.Exit == ExitCodes.Ok, apply.Errors);
        var dns = apply.Report["groups"]![0]!["resources"]!["loadBalancer"]!["dnsName"]!.GetValue<string>();
        var ingress = live.Kube.Get("networking.k8s.io/v1", "Ingress", "shop", "web")!;
        Assert.Equal("ingress.k8s.aws/resources", ingress["metadata"]!["finalizers"]![0]!.GetValue<string>());
        Assert.Equal(dns, ingress["status"]!["loadBalancer"]!["ingress"]![0]!["hostname"]!.GetValue<string>());
        Assert.Equal(["ingress.k8s.aws/resources"], live.Kube.List("networking.k8s.io/v1", "Ingress").SelectMany(i => i["metadata"]!["finalizers"]!.AsArray()).Select(f => f!.GetValue<string>()));

        var again = await RunAsync(["plan", .. args]);
        Assert.True(again.Exit == ExitCodes.Ok, again.Errors);
        Assert.DoesNotContain(Changes(again.Report), c => c.Split(' ')[0] is "create" or "modify" or "replace" or "delete");
    }

    [Fact]
    public async Task Removing_load_balancer_name_replaces_the_named_ALB_found_through_the_status_instead_of_leaking_it()
    {
        const string cluster = "e2e-rename";
        await using var live = await LiveCluster.StartAsync(_moto, cluster, loadBalancerName: "shop-named");
        string[] args = [.. live.Arguments];
        var first = await RunAsync(["apply", .. args]);
        Assert.True(first.Exit == ExitCodes.Ok, first.Errors);
        Assert.Equal("shop-named", first.Report["groups"]![0]!["resources"]!["loadBalancer"]!["name"]!.GetValue<string>());

        // The annotation goes; nothing else names the old ALB except the Ingress status hostname.
        live.Kube.Mutate("networking.k8s.io/v1", "Ingress", "shop", "web", i => i["metadata"]!["annotations"]!.AsObject().Remove("alb.ingress.kubernetes.io/load-balancer-name"));
        var second = await RunAsync(["apply", .. args]);

        Assert.True(second.Exit == ExitCodes.Ok, second.Errors);
        Assert.Contains(Changes(second.Report), c => c.StartsWith("replace AWS::ElasticLoadBalancingV2::LoadBalancer ", StringComparison.Ordinal));
        var names = await LoadBalancerNamesTaggedForAsync(cluster);
        Assert.Equal([second.Report["groups"]![0]!["resources"]!["loadBalancer"]!["name"]!.GetValue<string>()], names);
        Assert.DoesNotContain("shop-named", names);
    }

    [Fact]
    public async Task A_bad_kubeconfig_exits_1_naming_the_file_and_a_refusing_cluster_exits_2()
    {
        var folder = Directory.CreateTempSubdirectory("kubeconfig-").FullName;
        try
        {
            string[] aws = ["--aws-endpoint", _moto.Endpoint, "--vpc-id", "vpc-0123456789abcdef0", "--output", "json"];
            var missing = Path.Combine(folder, "missing");
            var run = await RunAsync(["plan", "--kubeconfig", missing, .. aws]);
            Assert.Equal(ExitCodes.InvalidInput, run.Exit);
            Assert.Contains($"error: kubeconfig {missing}: ", run.Errors, StringComparison.Ordinal);

            var broken = Path.Combine(folder, "broken");
            await File.WriteAllTextAsync(broken, "clusters: [\n");
            run = await RunAsync(["plan", "--kubeconfig", broken, .. aws]);
            Assert.Equal(ExitCodes.InvalidInput, run.Exit);
            Assert.Contains($"error: kubeconfig {broken}: line 2, column 1: ", run.Errors, StringComparison.Ordinal);

            await using var kube = await FakeKubernetesApiServer.StartAsync(new FakeKubernetesOptions { RequiredBearerToken = "right" });
            var refused = Path.Combine(folder, "refused");
            await File.WriteAllTextAsync(refused, $$$"""
                apiVersion: v1
                kind: Config
                current-context: fake
                clusters: [{name: fake, cluster: {server: "{{{kube.Url}}}"}}]
                users: [{name: wrong, user: {token: wrong}}]
                contexts: [{name: fake, context: {cluster: fake, user: wrong}}]
                """);
            run = await RunAsync(["plan", "--kubeconfig", refused, "--context", "nope", .. aws]);
            Assert.Equal(ExitCodes.InvalidInput, run.Exit);
            Assert.Contains($"error: kubeconfig {refused} (context nope): ", run.Errors, StringComparison.Ordinal);

            run = await RunAsync(["plan", "--kubeconfig", refused, .. aws]);
            Assert.Equal(ExitCodes.Failure, run.Exit);
            Assert.Contains($"error: the cluster in {refused}: list ingresses: 401", run.Errors, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private async Task<List<string>> LoadBalancerNamesTaggedForAsync(string cluster)
    {
        using var elb = new ElasticLoadBalancingV2Client(_moto.ClientOptions());
        var all = await elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest());
        var arns = (all.LoadBalancers ?? []).Select(lb => lb.LoadBalancerArn!).ToList();
        if (arns.Count == 0)
            return [];
        var tags = await elb.DescribeTagsAsync(new DescribeTagsRequest { ResourceArns = arns });
        var ours = (tags.TagDescriptions ?? []).Where(d => (d.Tags ?? []).Any(t => t.Key == "elbv2.k8s.aws/cluster" && t.Value == cluster)).Select(d => d.ResourceArn).ToHashSet();
        return [.. (all.LoadBalancers ?? []).Where(lb => ours.Contains(lb.LoadBalancerArn)).Select(lb => lb.LoadBalancerName!)];
    }

    /// <summary>
    /// A seeded sandbox (two nodes) in moto, a fake API server holding the <c>alb</c> class, the nodes, a NodePort
    /// Service and one internet-facing Ingress <c>shop/web</c>, and a kubeconfig for it.
    /// </summary>
    private sealed class LiveCluster : IAsyncDisposable
    {
        private readonly string _kubeconfig;

        private LiveCluster(FakeKubernetesApiServer kube, string kubeconfig, IReadOnlyList<string> arguments)
        {
            Kube = kube;
            _kubeconfig = kubeconfig;
            Arguments = arguments;
        }

        public FakeKubernetesApiServer Kube { get; }

        /// <summary>The CLI arguments after the command: this cluster, moto, the sandbox VPC, JSON output.</summary>
        public IReadOnlyList<string> Arguments { get; }

        public static async Task<LiveCluster> StartAsync(MotoServer moto, string cluster, string? loadBalancerName = null)
        {
            using var sdk = Ec2Gateway.CreateSdkClient(moto.ClientOptions());
            var sandbox = await Sandbox.SeedAsync(sdk, cluster, "us-east-1", [new("node-a"), new("node-b")]);
            var kube = await FakeKubernetesApiServer.StartAsync();
            kube.Create("""{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"alb"},"spec":{"controller":"ingress.k8s.aws/alb"}}""");
            foreach (var instance in sandbox.Nodes)
                kube.CreateReadyNode(instance.NodeName, instance.ProviderId);
            kube.Create("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"shop"},"spec":{"type":"NodePort","ports":[{"name":"http","port":80,"targetPort":8080,"nodePort":30180,"protocol":"TCP"}]}}""");
            var ingress = JsonNode.Parse("""{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"web","namespace":"shop","annotations":{"alb.ingress.kubernetes.io/scheme":"internet-facing"}},"spec":{"ingressClassName":"alb","rules":[{"http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}}""")!.AsObject();
            if (loadBalancerName is not null)
                ingress["metadata"]!["annotations"]!["alb.ingress.kubernetes.io/load-balancer-name"] = loadBalancerName;
            kube.Create(ingress);
            var kubeconfig = Path.Combine(Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}");
            await File.WriteAllTextAsync(kubeconfig, string.Join('\n',
                "apiVersion: v1",
                "kind: Config",
                "clusters:",
                "- name: fake",
                "  cluster:",
                "    server: " + kube.Url,
                "users:",
                "- name: tester",
                "  user:",
                "    token: t0ken",
                "contexts:",
                "- name: fake",
                "  context:",
                "    cluster: fake",
                "    user: tester",
                "current-context: fake"));
            return new LiveCluster(kube, kubeconfig, ["--kubeconfig", kubeconfig, "--aws-endpoint", moto.Endpoint, "--vpc-id", sandbox.VpcId, "--cluster-name", cluster, "--output", "json"]);
        }

        public async ValueTask DisposeAsync()
        {
            File.Delete(_kubeconfig);
            await Kube.DisposeAsync();
        }
    }

    private static List<string> Changes(JsonObject report) =>
        [.. (report["groups"]![0]!["plan"]!["changes"]?.AsArray() ?? []).Select(c => $"{c!["action"]} {c["resourceType"]} {c["resourceId"]}")];

    private static async Task<(int Exit, JsonObject Report, string Errors)> RunAsync(string[] args)
    {
        var options = CliOptions.Parse(args, _ => null);
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var exit = await new Runner(options, output, errors).RunAsync(CancellationToken.None);
        var text = output.ToString();
        return (exit, text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!.AsObject(), errors.ToString());
    }
}
