using System.Text.Json.Nodes;
using k8s;
using Serverless.Ingress;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Auth;
using Serverless.Testing.FakeKubernetes;

namespace Serverless.Kubernetes.Tests;

/// <summary>A fake API server, our client on it, and the objects the tests seed.</summary>
internal sealed class FakeCluster : IAsyncDisposable
{
    private FakeCluster(FakeKubernetesApiServer server, KubernetesApi api)
    {
        Server = server;
        Api = api;
    }

    public FakeKubernetesApiServer Server { get; }

    public KubernetesApi Api { get; }

    public static ClusterSettings Settings { get; } = new() { ClusterName = "demo", VpcId = "vpc-0123456789abcdef0" };

    /// <summary>Two discoverable internal subnets in two zones: enough for any group to build.</summary>
    public static AwsFacts Aws { get; } = new()
    {
        Subnets =
        [
            new SubnetFact { Id = "subnet-0a", AvailabilityZone = "us-west-2a", CidrBlock = "10.0.0.0/24", Tags = new Dictionary<string, string> { ["kubernetes.io/role/internal-elb"] = "1" } },
            new SubnetFact { Id = "subnet-0b", AvailabilityZone = "us-west-2b", CidrBlock = "10.0.1.0/24", Tags = new Dictionary<string, string> { ["kubernetes.io/role/internal-elb"] = "1" } },
        ],
        VpcCidrs = ["10.0.0.0/16"],
    };

    public static async Task<FakeCluster> StartAsync(FakeKubernetesOptions? options = null)
    {
        var server = await FakeKubernetesApiServer.StartAsync(options);
        return new FakeCluster(server, KubernetesConnection.Create(new KubernetesClientConfiguration { Host = server.Url }));
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await Server.DisposeAsync();
    }

    public void Seed(params string[] objects)
    {
        foreach (var json in objects)
            Server.Create(json);
    }

    public JsonObject? Ingress(string ns, string name) => Server.Get("networking.k8s.io/v1", "Ingress", ns, name);

    public IReadOnlyList<string> Finalizers(string ns, string name) =>
        Ingress(ns, name)?["metadata"]?["finalizers"]?.AsArray().Select(static f => f!.GetValue<string>()).ToList() ?? [];

    /// <summary>Events in <paramref name="ns"/> as (involved object name, type, reason, message).</summary>
    public IReadOnlyList<(string Name, string Type, string Reason, string Message)> Events(string ns = "default") =>
        [.. Server.List("v1", "Event", ns).Select(static e => (
            e["involvedObject"]!["name"]!.GetValue<string>(),
            e["type"]!.GetValue<string>(),
            e["reason"]!.GetValue<string>(),
            e["message"]!.GetValue<string>()))];

    public int Writes => Server.Requests.Count(static r => r.Verb is "create" or "update" or "patch" or "delete");

    public static string IngressJson(string name, string service, int port = 80, string ns = "default", string? group = null,
        IReadOnlyDictionary<string, string>? annotations = null, string[]? finalizers = null, string path = "/")
    {
        var notes = new JsonObject();
        if (group is not null)
            notes["alb.ingress.kubernetes.io/group.name"] = group;
        foreach (var (key, value) in annotations ?? new Dictionary<string, string>())
            notes[key] = value;
        var metadata = new JsonObject { ["name"] = name, ["namespace"] = ns, ["annotations"] = notes };
        if (finalizers is not null)
            metadata["finalizers"] = new JsonArray([.. finalizers.Select(static f => JsonValue.Create(f))]);
        var ingress = new JsonObject
        {
            ["apiVersion"] = "networking.k8s.io/v1",
            ["kind"] = "Ingress",
            ["metadata"] = metadata,
            ["spec"] = JsonNode.Parse($$$"""
                {"ingressClassName":"alb","rules":[{"http":{"paths":[{"path":"{{{path}}}","pathType":"Prefix",
                 "backend":{"service":{"name":"{{{service}}}","port":{"number":{{{port}}} } } } } ] } } ] }
                """),
        };
        return ingress.ToJsonString();
    }

    public const string AlbClass = """{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"alb"},"spec":{"controller":"ingress.k8s.aws/alb"}}""";

    public static string NodePortService(string name, int port = 80, int nodePort = 30080, string ns = "default") =>
        $$$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}"},"spec":{"type":"NodePort","ports":[{"name":"http","port":{{{port}}},"targetPort":8080,"nodePort":{{{nodePort}}},"protocol":"TCP"}]}}""";

    public static string ClusterIpService(string name, int port = 80, string ns = "default") =>
        $$$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}","annotations":{"alb.ingress.kubernetes.io/target-type":"ip"}},"spec":{"type":"ClusterIP","ports":[{"name":"http","port":{{{port}}},"targetPort":8080,"protocol":"TCP"}]}}""";

    public static string Slice(string name, string service, string ip, string ns = "default") =>
        $$$"""{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}","labels":{"kubernetes.io/service-name":"{{{service}}}"}},"addressType":"IPv4","ports":[{"name":"http","port":8080,"protocol":"TCP"}],"endpoints":[{"addresses":["{{{ip}}}"],"conditions":{"ready":true}}]}""";

    public static string Node(string name, string instanceId, string zone = "us-west-2a") =>
        $$$"""{"apiVersion":"v1","kind":"Node","metadata":{"name":"{{{name}}}","labels":{"topology.kubernetes.io/zone":"{{{zone}}}"}},"spec":{"providerID":"aws:///{{{zone}}}/{{{instanceId}}}"},"status":{"conditions":[{"type":"Ready","status":"True"}]}}""";
}
