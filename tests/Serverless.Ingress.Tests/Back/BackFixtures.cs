using System.Text;
using k8s.Models;
using Serverless.Model;

namespace Serverless.Ingress.Tests.Back;

/// <summary>A snapshot under construction plus shorthands for the Kubernetes objects the back half reads.</summary>
internal sealed class Scenario
{
    public static readonly ListenerPort Http80 = new(80, "HTTP");
    public static readonly ListenerPort Https443 = new(443, "HTTPS");

    public StackId Group { get; set; } = StackId.Implicit("default", "web");

    public ClusterSettings Cluster { get; set; } = new() { ClusterName = "prod", VpcId = "vpc-1" };

    public AwsFacts Aws { get; set; } = new();

    public List<V1Service> Services { get; } = [];

    public List<V1EndpointSlice> Slices { get; } = [];

    public List<V1Node> Nodes { get; } = [];

    public List<V1Secret> Secrets { get; } = [];

    public List<V1Pod> Pods { get; } = [];

    public IngressClassParams? Params { get; set; }

    public Scenario With(params object[] objects)
    {
        foreach (var obj in objects)
        {
            switch (obj)
            {
                case V1Service s: Services.Add(s); break;
                case V1EndpointSlice e: Slices.Add(e); break;
                case V1Node n: Nodes.Add(n); break;
                case V1Secret s: Secrets.Add(s); break;
                case V1Pod p: Pods.Add(p); break;
                default: throw new ArgumentException(obj.GetType().Name);
            }
        }
        return this;
    }

    public BuildContext Context(V1Ingress ingress) => new(new GroupSnapshot
    {
        Group = Group,
        Cluster = Cluster,
        Aws = Aws,
        Ingresses = [ingress],
        Services = Services,
        EndpointSlices = Slices,
        Nodes = Nodes,
        Secrets = Secrets,
        Pods = Pods,
    });

    public GroupMember Member(V1Ingress ingress) =>
        new(ingress, 0, Params, new AnnotationReader($"Ingress {ingress.Metadata.NamespaceProperty}/{ingress.Metadata.Name}", ingress.Metadata.Annotations));

    public MemberRules Build(V1Ingress ingress, params ListenerPort[] ports) =>
        MemberBackendBuilder.Build(Context(ingress), Member(ingress), ports.Length == 0 ? [Http80] : ports);

    public BuildError Fails(V1Ingress ingress, params ListenerPort[] ports) =>
        Assert.Throws<InvalidInputException>(() => Build(ingress, ports)).Error;
}

/// <summary>Shorthands for Kubernetes objects.</summary>
internal static class K
{
    public const string P = Annotations.Prefix;

    public static Dictionary<string, string> Ann(params (string Suffix, string Value)[] annotations) =>
        annotations.ToDictionary(static a => a.Suffix.Contains('/', StringComparison.Ordinal) ? a.Suffix : P + a.Suffix, static a => a.Value);

    public static V1Ingress Ing(IEnumerable<V1IngressRule> rules, Dictionary<string, string>? annotations = null, V1IngressBackend? defaultBackend = null, string name = "web", string ns = "default") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Annotations = annotations ?? new Dictionary<string, string>() },
        Spec = new V1IngressSpec { Rules = [.. rules], DefaultBackend = defaultBackend },
    };

    /// <summary>An Ingress with one rule (host optional) holding <paramref name="paths"/>.</summary>
    public static V1Ingress Ing(params V1HTTPIngressPath[] paths) => Ing([Rule(null, paths)]);

    public static V1Ingress Ing(Dictionary<string, string> annotations, params V1HTTPIngressPath[] paths) => Ing([Rule(null, paths)], annotations);

    public static V1IngressRule Rule(string? host, params V1HTTPIngressPath[] paths) => new()
    {
        Host = host,
        Http = new V1HTTPIngressRuleValue { Paths = [.. paths] },
    };

    public static V1HTTPIngressPath Path(string? path, string? pathType = "Prefix", string service = "api", object? port = null) => new()
    {
        Path = path,
        PathType = pathType,
        Backend = ServiceBackend(service, port ?? 80),
    };

    public static V1IngressBackend ServiceBackend(string service, object port) => new()
    {
        Service = new V1IngressServiceBackend
        {
            Name = service,
            Port = port is int number ? new V1ServiceBackendPort { Number = number } : new V1ServiceBackendPort { Name = (string)port },
        },
    };

    public static V1Service Service(string name = "api", string type = "NodePort", Dictionary<string, string>? annotations = null, string ns = "default", string uid = "uid-api", params V1ServicePort[] ports) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Uid = uid, Annotations = annotations ?? new Dictionary<string, string>() },
        Spec = new V1ServiceSpec
        {
            Type = type,
            Ports = ports.Length == 0 ? [Port(80, "http", 30080, 8080)] : [.. ports],
        },
    };

    public static V1ServicePort Port(int port, string? name = null, int? nodePort = null, object? targetPort = null) => new()
    {
        Port = port,
        Name = name,
        NodePort = nodePort,
        TargetPort = targetPort switch
        {
            null => null,
            int n => n,
            string s => s,
            _ => throw new ArgumentException("targetPort"),
        },
    };

    public static V1Node Node(string name, string? providerId = "default", string ready = "True", Dictionary<string, string>? labels = null, V1Taint? taint = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels ?? new Dictionary<string, string>() },
        Spec = new V1NodeSpec
        {
            ProviderID = providerId == "default" ? $"aws:///us-east-1a/i-{name}" : providerId,
            Taints = taint is null ? [] : [taint],
        },
        Status = new V1NodeStatus { Conditions = [new V1NodeCondition { Type = "Ready", Status = ready }] },
    };

    public static V1Taint Taint(string key, string effect = "NoSchedule") => new() { Key = key, Effect = effect };

    public static V1EndpointSlice Slice(string service, string? portName, int port, params V1Endpoint[] endpoints) => Slice(service, "IPv4", portName, port, endpoints);

    public static V1EndpointSlice Slice(string service, string addressType, string? portName, int port, params V1Endpoint[] endpoints) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = $"{service}-{addressType}-{portName}-{port}".ToLowerInvariant(),
            NamespaceProperty = "default",
            Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service },
        },
        AddressType = addressType,
        Ports = [new Discoveryv1EndpointPort { Name = portName, Port = port }],
        Endpoints = [.. endpoints],
    };

    public static V1Endpoint Endpoint(string ip, bool? ready = true, bool? terminating = null, string? kind = "Pod") => new()
    {
        Addresses = [ip],
        Conditions = new V1EndpointConditions { Ready = ready, Terminating = terminating },
        TargetRef = kind is null ? null : new V1ObjectReference { Kind = kind, Name = "pod-" + ip },
    };

    public static V1Secret Secret(string name, params (string Key, string Value)[] data) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Data = data.ToDictionary(static d => d.Key, static d => Encoding.UTF8.GetBytes(d.Value)),
    };

    /// <summary>The only rule drafts on port 80.</summary>
    public static IReadOnlyList<RuleDraft> Rules80(this MemberRules rules) => rules.RulesByPort[80];

    /// <summary>The values of each condition, rendered <c>field=v1,v2</c> (regex values as <c>field~r1</c>).</summary>
    public static string[] Render(this IEnumerable<ConditionSpec> conditions) =>
    [
        .. conditions.Select(static c =>
            c.RegexValues is not null ? $"{c.Field}~{string.Join(",", c.RegexValues)}"
            : c.QueryStrings is not null ? $"{c.Field}={string.Join(",", c.QueryStrings.Select(static q => $"{q.Key}:{q.Value}"))}"
            : c.HttpHeaderName is not null ? $"{c.Field}:{c.HttpHeaderName}={string.Join(",", c.Values!)}"
            : $"{c.Field}={string.Join(",", c.Values!)}"),
    ];
}
