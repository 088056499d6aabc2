using Serverless.Ingress;
using Serverless.Kubernetes.Live;
using Serverless.Kubernetes.Manifests;
using Serverless.Model;

namespace Serverless.Kubernetes.Tests.Live;

/// <summary>Loading a group from the fake API server: the calls it makes, and the snapshot it makes.</summary>
public sealed class LoaderTests
{
    private static readonly SnapshotPreparation Facts = static (snapshot, _) => Task.FromResult(snapshot with { Aws = FakeCluster.Aws });

    private static string[] MixedGroup() =>
    [
        FakeCluster.AlbClass,
        FakeCluster.IngressJson("web", "web-svc", group: "shop", path: "/web"),
        FakeCluster.IngressJson("api", "api-svc", group: "shop", path: "/api"),
        FakeCluster.IngressJson("other", "other-svc"),
        FakeCluster.NodePortService("web-svc"),
        FakeCluster.ClusterIpService("api-svc"),
        FakeCluster.NodePortService("other-svc"),
        FakeCluster.NodePortService("unused-svc"),
        FakeCluster.Slice("api-svc-1", "api-svc", "10.0.0.10"),
        FakeCluster.Slice("unused-1", "unused-svc", "10.0.0.99"),
        FakeCluster.Node("n1", "i-0000000000000000a"),
        FakeCluster.Node("n2", "i-0000000000000000b", "us-west-2b"),
        """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"unrelated","namespace":"default"},"data":{}}""",
    ];

    [Fact]
    public async Task A_group_load_lists_ingresses_classes_and_params_once_gets_only_its_services_and_lists_slices_and_nodes_once()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(MixedGroup());
        cluster.Server.ClearRequests();

        var loaded = await new KubernetesGroupLoader(cluster.Api, FakeCluster.Settings).LoadAsync(StackId.Explicit("shop"), Facts);

        var requests = cluster.Server.Requests.Select(static r => r.ToString()).ToList();
        Assert.Equal(1, cluster.Server.CountRequests("list", "ingresses"));
        Assert.Equal(1, cluster.Server.CountRequests("list", "ingressclasses"));
        Assert.Equal(1, cluster.Server.CountRequests("list", "ingressclassparams"));
        Assert.Equal(2, cluster.Server.CountRequests("get", "services"));
        Assert.Equal(1, cluster.Server.CountRequests("list", "endpointslices"));
        Assert.Equal(1, cluster.Server.CountRequests("list", "nodes"));
        Assert.Equal(0, cluster.Server.CountRequests("list", "namespaces"));
        Assert.Equal(0, cluster.Server.CountRequests("get", "secrets"));
        Assert.Equal(7, requests.Count);
        Assert.Equal(["api-svc", "web-svc"], cluster.Server.Requests.Where(static r => r.Plural == "services").Select(static r => r.Name!).Order(StringComparer.Ordinal));
        var slices = cluster.Server.Requests.Single(static r => r.Plural == "endpointslices");
        Assert.Equal("default", slices.Namespace);
        Assert.Equal("kubernetes.io/service-name=api-svc", slices.QueryValue("labelSelector"));

        var snapshot = loaded.Snapshot;
        Assert.Equal(["api-svc", "web-svc"], snapshot.Services.Select(static s => s.Metadata.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["api-svc-1"], snapshot.EndpointSlices.Select(static s => s.Metadata.Name));
        Assert.Equal(2, snapshot.Nodes.Count);
        Assert.Equal(3, snapshot.Ingresses.Count);
        Assert.Empty(loaded.Problems);

        var stack = IngressGroupModelBuilder.Build(snapshot);
        Assert.All(stack.Ingresses, static o => Assert.Equal(IngressState.Active, o.State));
        Assert.Equal(2, stack.TargetGroups.Count);
    }

    [Fact]
    public async Task Ip_services_of_one_namespace_share_one_endpointslice_list_with_a_set_selector()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(
            FakeCluster.AlbClass,
            FakeCluster.IngressJson("a", "a-svc", group: "g", path: "/a"),
            FakeCluster.IngressJson("b", "b-svc", group: "g", path: "/b"),
            FakeCluster.ClusterIpService("a-svc"),
            FakeCluster.ClusterIpService("b-svc"),
            FakeCluster.Slice("a-1", "a-svc", "10.0.0.1"),
            FakeCluster.Slice("b-1", "b-svc", "10.0.0.2"),
            FakeCluster.Slice("c-1", "c-svc", "10.0.0.3"));
        cluster.Server.ClearRequests();

        var loaded = await new KubernetesGroupLoader(cluster.Api, FakeCluster.Settings).LoadAsync(StackId.Explicit("g"), Facts);

        var slices = Assert.Single(cluster.Server.Requests, static r => r.Plural == "endpointslices");
        Assert.Equal("kubernetes.io/service-name in (a-svc,b-svc)", slices.QueryValue("labelSelector"));
        Assert.Equal(["a-1", "b-1"], loaded.Snapshot.EndpointSlices.Select(static s => s.Metadata.Name).Order(StringComparer.Ordinal));
        // Nodes are listed up front even for ip targets: the preparation (the AWS facts) needs them and runs once.
        Assert.Equal(1, cluster.Server.CountRequests("list", "nodes"));
    }

    [Fact]
    public async Task The_preparation_runs_once_with_the_ingresses_and_nodes_and_every_build_uses_what_it_returned()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(MixedGroup());
        var calls = new List<(int Ingresses, int Nodes, int Services)>();
        var loaded = await new KubernetesGroupLoader(cluster.Api, FakeCluster.Settings).LoadAsync(StackId.Explicit("shop"), (snapshot, _) =>
        {
            calls.Add((snapshot.Ingresses.Count, snapshot.Nodes.Count, snapshot.Services.Count));
            return Task.FromResult(snapshot with { Aws = FakeCluster.Aws });
        });

        Assert.Equal([(3, 2, 0)], calls);
        Assert.True(loaded.Rounds > 1, "the builder asked for Services after the preparation");
        Assert.Same(FakeCluster.Aws, loaded.Snapshot.Aws);
        Assert.Equal(StackJson.Serialize(IngressGroupModelBuilder.Build(loaded.Snapshot)), StackJson.Serialize(loaded.Stack));
    }

    [Fact]
    public async Task Without_the_IngressClassParams_CRD_the_group_still_loads_and_a_namespace_selector_brings_the_namespace_list()
    {
        await using (var cluster = await FakeCluster.StartAsync())
        {
            cluster.Server.UnregisterResource("elbv2.k8s.aws", "v1beta1", "ingressclassparams");
            cluster.Seed(FakeCluster.AlbClass, FakeCluster.IngressJson("web", "web-svc"), FakeCluster.NodePortService("web-svc"));
            var loaded = await new KubernetesGroupLoader(cluster.Api, FakeCluster.Settings).LoadAsync(StackId.Implicit("default", "web"), Facts);
            Assert.Empty(loaded.Snapshot.IngressClassParams);
            Assert.Single(loaded.Snapshot.Services);
        }

        await using (var cluster = await FakeCluster.StartAsync())
        {
            cluster.Seed(
                """{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"alb"},"spec":{"controller":"ingress.k8s.aws/alb","parameters":{"apiGroup":"elbv2.k8s.aws","kind":"IngressClassParams","name":"team"}}}""",
                """{"apiVersion":"elbv2.k8s.aws/v1beta1","kind":"IngressClassParams","metadata":{"name":"team"},"spec":{"namespaceSelector":{"matchLabels":{"team":"a"}},"group":{"name":"team-a"}}}""",
                """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"default","labels":{"team":"a"}}}""",
                FakeCluster.IngressJson("web", "web-svc"),
                FakeCluster.NodePortService("web-svc"));
            cluster.Server.ClearRequests();
            var loaded = await new KubernetesGroupLoader(cluster.Api, FakeCluster.Settings).LoadAsync(StackId.Explicit("team-a"), Facts);
            Assert.Equal(1, cluster.Server.CountRequests("list", "namespaces"));
            Assert.Equal("team-a", Assert.Single(loaded.Snapshot.IngressClassParams).GroupName);
            var stack = IngressGroupModelBuilder.Build(loaded.Snapshot);
            Assert.Equal(IngressState.Active, Assert.Single(stack.Ingresses).State);
        }
    }

    [Fact]
    public async Task The_live_snapshot_builds_the_same_stack_as_the_manifest_loader_on_the_same_objects()
    {
        // The objects as the API server holds them (with the uids it gave: target group names hash the Service uid).
        await using var cluster = await FakeCluster.StartAsync();
        var stored = MixedGroup().Select(json => cluster.Server.Create(json).ToJsonString());
        var manifests = ManifestLoader.LoadText(string.Join("\n---\n", stored), "objects.yaml").EnsureValid();

        foreach (var group in new[] { StackId.Explicit("shop"), StackId.Implicit("default", "other") })
        {
            var fromFiles = IngressGroupModelBuilder.Build(manifests.ToSnapshot(group, FakeCluster.Settings, FakeCluster.Aws));
            var live = await new KubernetesGroupLoader(cluster.Api, FakeCluster.Settings).LoadAsync(group, Facts);
            Assert.Equal(StackJson.Serialize(fromFiles), StackJson.Serialize(IngressGroupModelBuilder.Build(live.Snapshot)));
            Assert.NotNull(fromFiles.LoadBalancer);
        }
    }

    [Fact]
    public async Task An_OIDC_secret_is_fetched_by_name_and_the_index_maps_services_secrets_and_nodes_to_groups()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var oidc = new Dictionary<string, string>
        {
            ["alb.ingress.kubernetes.io/listen-ports"] = """[{"HTTPS":443}]""",
            ["alb.ingress.kubernetes.io/certificate-arn"] = "arn:aws:acm:us-west-2:123456789012:certificate/abc",
            ["alb.ingress.kubernetes.io/auth-type"] = "oidc",
            ["alb.ingress.kubernetes.io/auth-idp-oidc"] = """{"issuer":"https://idp.example.com","authorizationEndpoint":"https://idp.example.com/auth","tokenEndpoint":"https://idp.example.com/token","userInfoEndpoint":"https://idp.example.com/userinfo","secretName":"oidc"}""",
        };
        cluster.Seed(MixedGroup());
        cluster.Seed(
            FakeCluster.IngressJson("secure", "web-svc", annotations: oidc),
            """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"oidc","namespace":"default"},"data":{"clientID":"aWQ=","clientSecret":"c2VjcmV0"}}""");
        cluster.Server.ClearRequests();

        var loaded = await new KubernetesGroupLoader(cluster.Api, FakeCluster.Settings).LoadAsync(StackId.Implicit("default", "secure"), Facts);
        Assert.Equal("oidc", Assert.Single(loaded.Snapshot.Secrets).Metadata.Name);
        Assert.Equal(1, cluster.Server.CountRequests("get", "secrets"));
        var stack = IngressGroupModelBuilder.Build(loaded.Snapshot);
        Assert.Equal(IngressState.Active, Assert.Single(stack.Ingresses).State);

        var index = await GroupIndex.LoadAsync(cluster.Api, FakeCluster.Settings, FakeCluster.Aws);
        Assert.Equal(["default/other", "default/secure", "shop"], index.Groups.Select(static g => g.ToString()));
        Assert.Equal(["default/secure", "shop"], index.ForService("default", "web-svc").Select(static g => g.ToString()));
        Assert.Equal(["shop"], index.ForService("default", "api-svc").Select(static g => g.ToString()));
        Assert.Empty(index.ForService("default", "unused-svc"));
        Assert.Equal(["shop"], index.ForEndpointSlicesOf("default", "api-svc").Select(static g => g.ToString()));
        Assert.Equal(["default/secure"], index.ForSecret("default", "oidc").Select(static g => g.ToString()));
        Assert.Equal(["default/other", "default/secure", "shop"], index.ForNode("n1").Select(static g => g.ToString()));
    }
}
