using System.Globalization;
using System.Text;
using CsCheck;
using k8s;
using k8s.Models;
using Serverless.Ingress.Tests.Golden;
using Serverless.Model;

namespace Serverless.Ingress.Tests.Properties;

/// <summary>
/// One random group for the end-to-end property tests: Ingresses of explicit group <c>g</c> (and a few strangers),
/// the Services, EndpointSlices, Nodes and Secret they may name, in the default sandbox VPC. <see cref="ToString"/>
/// prints the objects as JSON, so a shrunk counterexample can be read.
/// </summary>
internal sealed record RandomGroup(
    IReadOnlyList<V1Ingress> Ingresses,
    IReadOnlyList<V1Service> Services,
    IReadOnlyList<V1EndpointSlice> EndpointSlices,
    IReadOnlyList<V1Node> Nodes,
    int Seed)
{
    public static readonly StackId Group = StackId.Explicit("g");

    public GroupSnapshot Snapshot() => new()
    {
        Group = Group,
        Cluster = new ClusterSettings { ClusterName = "prod", VpcId = "vpc-0example" },
        Aws = GoldenCase.Sandbox("prod", new AwsFacts()),
        Ingresses = Ingresses,
        Services = Services,
        EndpointSlices = EndpointSlices,
        Nodes = Nodes,
        IngressClasses =
        [
            new V1IngressClass { Metadata = new V1ObjectMeta { Name = "alb" }, Spec = new V1IngressClassSpec { Controller = ClassSelection.Controller } },
            new V1IngressClass { Metadata = new V1ObjectMeta { Name = "nginx" }, Spec = new V1IngressClassSpec { Controller = "k8s.io/ingress-nginx" } },
        ],
        Namespaces = [Namespace("ns0"), Namespace("ns1")],
        Secrets =
        [
            new V1Secret
            {
                Metadata = new V1ObjectMeta { Name = "oidc", NamespaceProperty = "ns0" },
                Data = new Dictionary<string, byte[]> { ["clientID"] = "id"u8.ToArray(), ["clientSecret"] = "secret"u8.ToArray() },
            },
        ],
    };

    /// <summary>The same objects with every list in another order (chosen by <see cref="Seed"/>).</summary>
    public GroupSnapshot Shuffled()
    {
        var random = new Random(Seed);
        var snapshot = Snapshot();
        return snapshot with
        {
            Ingresses = Shuffle(snapshot.Ingresses, random),
            Services = Shuffle(snapshot.Services, random),
            EndpointSlices = Shuffle(snapshot.EndpointSlices, random),
            Nodes = Shuffle(snapshot.Nodes, random),
            IngressClasses = Shuffle(snapshot.IngressClasses, random),
            Namespaces = Shuffle(snapshot.Namespaces, random),
        };
    }

    private static T[] Shuffle<T>(IReadOnlyList<T> items, Random random)
    {
        var copy = items.ToArray();
        random.Shuffle(copy);
        return copy;
    }

    private static V1Namespace Namespace(string name) =>
        new() { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = name } } };

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var obj in Ingresses.Cast<object>().Concat(Services).Concat(EndpointSlices).Concat(Nodes))
            text.AppendLine(KubernetesJson.Serialize(obj));
        return text.Append("shuffle seed ").Append(Seed.ToString(CultureInfo.InvariantCulture)).ToString();
    }
}

/// <summary>Generators of <see cref="RandomGroup"/>: valid values most of the time, garbage for every annotation the builder reads.</summary>
internal static class RandomGroups
{
    private static readonly string[] Garbage =
        ["", " ", "true", "-1", "0", "99999999999", "{", "[", "null", "[]", "{}", "a=b", "a=b,=c", ",", "=", "ü", "x,,y", "\"", "1.5", "[{\"HTTP\":\"80\"}]"];

    private static readonly string[] ServiceNames = ["api", "web", "act"];

    private const string Forward = "{\"type\":\"forward\",\"forwardConfig\":{\"targetGroups\":[{\"serviceName\":\"api\",\"servicePort\":\"80\",\"weight\":60},{\"serviceName\":\"web\",\"servicePort\":\"http\",\"weight\":40}],\"targetGroupStickinessConfig\":{\"enabled\":true,\"durationSeconds\":60}}}";

    /// <summary>Per-backend annotations, allowed on Ingresses and Services.</summary>
    private static readonly (string Key, string[] Valid)[] BackendAnnotations =
    [
        (Annotations.TargetType, ["instance", "ip", "lambda"]),
        (Annotations.BackendProtocol, ["HTTP", "HTTPS", "https"]),
        (Annotations.BackendProtocolVersion, ["HTTP1", "HTTP2", "GRPC"]),
        (Annotations.TargetGroupAttributes, ["stickiness.enabled=true,stickiness.type=lb_cookie", "deregistration_delay.timeout_seconds=30"]),
        (Annotations.HealthCheckPort, ["traffic-port", "8080", "http", "99999", "grpc"]),
        (Annotations.HealthCheckProtocol, ["HTTP", "HTTPS"]),
        (Annotations.HealthCheckPath, ["/", "/healthz", "no-slash"]),
        (Annotations.HealthCheckIntervalSeconds, ["10", "30", "300", "301"]),
        (Annotations.HealthCheckTimeoutSeconds, ["2", "5", "9", "121"]),
        (Annotations.HealthyThresholdCount, ["2", "10", "11"]),
        (Annotations.UnhealthyThresholdCount, ["2", "10", "1"]),
        (Annotations.SuccessCodes, ["200", "200-299", "200,204", "200-399", "0-99"]),
        (Annotations.AuthType, ["none", "oidc", "cognito"]),
        (Annotations.AuthIdpCognito, ["{\"userPoolARN\":\"arn:aws:cognito-idp:us-east-1:1:userpool/x\",\"userPoolClientID\":\"c\",\"userPoolDomain\":\"d\"}", "{\"userPoolARN\":1}"]),
        (Annotations.AuthIdpOidc, ["{\"issuer\":\"https://i\",\"authorizationEndpoint\":\"https://i/a\",\"tokenEndpoint\":\"https://i/t\",\"userInfoEndpoint\":\"https://i/u\",\"secretName\":\"oidc\"}", "{\"issuer\":\"https://i\",\"secretName\":\"missing\"}"]),
        (Annotations.AuthOnUnauthenticatedRequest, ["authenticate", "allow", "deny"]),
        (Annotations.AuthScope, ["openid", "openid email"]),
        (Annotations.AuthSessionCookie, ["session"]),
        (Annotations.AuthSessionTimeout, ["3600", "604800"]),
        (Annotations.TargetNodeLabels, ["pool=web", "a=b,c=d"]),
        (Annotations.Tags, ["team=a,env=dev", "elbv2.k8s.aws/cluster=x"]),
    ];

    /// <summary>Every Ingress annotation the builder reads (the backend ones included).</summary>
    private static readonly (string Key, string[] Valid)[] IngressAnnotations =
    [
        .. BackendAnnotations,
        (Annotations.LoadBalancerName, ["web", "a-name-that-is-longer-than-thirty-two"]),
        (Annotations.GroupName, ["g", "other", "G_bad"]),
        (Annotations.GroupOrder, ["0", "5", "-1000", "1001"]),
        (Annotations.IpAddressType, ["ipv4", "dualstack", "dualstack-without-public-ipv4"]),
        (Annotations.Scheme, ["internal", "internet-facing"]),
        (Annotations.Subnets, ["subnet-0a1a0000000000001,subnet-0a1b0000000000002", "prod-public-us-east-1a,prod-public-us-east-1b", "subnet-nope", "subnet-0a1a0000000000001"]),
        (Annotations.SecurityGroups, ["sg-0a1b2c3d4e5f60001", "eks-cluster-sg-prod", "sg-missing"]),
        (Annotations.ManageBackendSecurityGroupRules, ["true", "false"]),
        (Annotations.CustomerOwnedIpv4Pool, ["ipv4pool-coip-123"]),
        (Annotations.LoadBalancerAttributes, ["idle_timeout.timeout_seconds=60", "deletion_protection.enabled=true", "routing.http2.enabled=maybe"]),
        (Annotations.Wafv2AclArn, ["arn:aws:wafv2:us-east-1:1:regional/webacl/x/y", "none"]),
        (Annotations.ShieldAdvancedProtection, ["true", "false"]),
        (Annotations.ListenPorts, ["[{\"HTTP\":80}]", "[{\"HTTPS\":443}]", "[{\"HTTP\":80},{\"HTTPS\":443}]", "[{\"HTTP\":8080}]", "[{\"HTTPS\":80}]", "[{\"TCP\":80}]", "[{\"HTTP\":70000}]"]),
        (Annotations.SslRedirect, ["443", "80", "8443"]),
        (Annotations.InboundCidrs, ["10.0.0.0/8", "::/0", "10.0.0.0/33", "1.2.3.4"]),
        (Annotations.SecurityGroupPrefixLists, ["pl-123", "pl-1,pl-2"]),
        (Annotations.CertificateArn, ["arn:aws:acm:us-east-1:1:certificate/a", "arn:aws:acm:us-east-1:1:certificate/a,arn:aws:acm:us-east-1:1:certificate/b"]),
        (Annotations.SslPolicy, ["ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS13-1-2-2021-06"]),
        (Annotations.JwtValidation, ["{\"jwksEndpoint\":\"https://i/jwks\",\"issuer\":\"https://i\"}", "{\"issuer\":1}"]),
        (Annotations.UseRegexPathMatch, ["true", "false"]),
        (Annotations.MinimumLoadBalancerCapacity, ["CapacityUnits=100", "CapacityUnits=x"]),
        (Annotations.IpamIpv4PoolId, ["ipam-pool-1"]),
        (Annotations.ListenerAttributesPrefix + "HTTP-80", ["routing.http.response.server.enabled=false"]),
        (Annotations.ListenerAttributesPrefix + "HTTPS-443", ["routing.http.response.server.enabled=false"]),
        (Annotations.ActionsPrefix + "act", [
            "{\"type\":\"fixed-response\",\"fixedResponseConfig\":{\"contentType\":\"text/plain\",\"statusCode\":\"503\",\"messageBody\":\"x\"}}",
            "{\"type\":\"redirect\",\"redirectConfig\":{\"protocol\":\"HTTPS\",\"port\":\"443\",\"statusCode\":\"HTTP_301\"}}",
            Forward,
            "{\"type\":\"forward\",\"targetGroupARN\":\"arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x/1\"}",
            "{\"type\":\"teleport\"}"]),
        (Annotations.ConditionsPrefix + "api", [
            "[{\"field\":\"http-header\",\"httpHeaderConfig\":{\"httpHeaderName\":\"X-A\",\"values\":[\"1\"]}}]",
            "[{\"field\":\"query-string\",\"queryStringConfig\":{\"values\":[{\"key\":\"q\",\"value\":\"*\"}]}},{\"field\":\"source-ip\",\"sourceIpConfig\":{\"values\":[\"10.0.0.0/8\"]}}]",
            "[{\"field\":\"host-header\",\"hostHeaderConfig\":{\"values\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}}]",
            "[{\"field\":\"bogus\"}]"]),
        (Annotations.TransformsPrefix + "web", [
            "[{\"type\":\"url-rewrite\",\"urlRewriteConfig\":{\"rewrites\":[{\"regex\":\"^/a/(.*)$\",\"replace\":\"/$1\"}]}}]",
            "[{\"type\":\"host-header-rewrite\",\"hostHeaderRewriteConfig\":{\"rewrites\":[{\"regex\":\"(\",\"replace\":\"x\"}]}}]"]),
        (Annotations.IngressClass, ["alb", "nginx"]),
    ];

    private static readonly string?[] Hosts = [null, "", "a.example.com", "*.example.com", "b.example.com", "Bad Host!"];
    private static readonly string?[] Paths = [null, "", "/", "/api", "/api/", "/v1", "/static", "/v1/users", "/x*", "/a?b", "^/re(.*)$", "no-slash", "/" + new string('p', 100)];
    private static readonly string?[] PathTypes = [null, "Exact", "Prefix", "Prefix", "ImplementationSpecific", "Exact", "Prefix", "Bogus"];
    private static readonly string?[] ClassNames = ["alb", "alb", "alb", "alb", "alb", "alb", null, "nginx", "missing"];

    /// <summary>Annotations from <paramref name="pool"/>: a random key each, valid values mostly, garbage one time in six.</summary>
    private static Gen<Dictionary<string, string>> AnnotationsFrom((string Key, string[] Valid)[] pool, int max) =>
        Gen.Select(Gen.Int[0, pool.Length - 1], Gen.Int[0, 999], Gen.Int[0, 5])
            .Array[0, max]
            .Select(picks =>
            {
                var annotations = new Dictionary<string, string>();
                foreach (var (key, value, kind) in picks)
                {
                    var (suffix, valid) = pool[key];
                    var name = suffix.Contains('/', StringComparison.Ordinal) ? suffix : Annotations.Prefix + suffix;
                    annotations[name] = kind == 0 ? Garbage[value % Garbage.Length] : valid[value % valid.Length];
                }
                return annotations;
            });

    private static V1ServiceBackendPort BackendPort(string service, int pick) => (service, pick % 4) switch
    {
        ("act", _) => new V1ServiceBackendPort { Name = pick % 5 == 0 ? "http" : "use-annotation" },
        (_, 0) => new V1ServiceBackendPort { Name = "http" },
        (_, 1) => new V1ServiceBackendPort { Number = 8080 },
        _ => new V1ServiceBackendPort { Number = 80 },
    };

    private static V1IngressBackend Backend(int service, int port)
    {
        var name = ServiceNames[service % ServiceNames.Length];
        return new V1IngressBackend { Service = new V1IngressServiceBackend { Name = name, Port = BackendPort(name, port) } };
    }

    private static readonly Gen<V1HTTPIngressPath> PathGen =
        Gen.Select(Gen.Int[0, Paths.Length - 1], Gen.Int[0, PathTypes.Length - 1], Gen.Int[0, 99], Gen.Int[0, 99])
            .Select(static (path, type, service, port) => new V1HTTPIngressPath
            {
                Path = Paths[path],
                PathType = PathTypes[type],
                Backend = Backend(service, port),
            });

    private static readonly Gen<V1IngressRule> RuleGen =
        Gen.Select(Gen.Int[0, Hosts.Length - 1], PathGen.Array[1, 3], Gen.Int[0, 9])
            .Select(static (host, paths, noHttp) => new V1IngressRule
            {
                Host = Hosts[host],
                Http = noHttp == 0 ? null : new V1HTTPIngressRuleValue { Paths = paths },
            });

    /// <summary>
    /// An Ingress: in group g most of the time (otherwise implicit, elsewhere or invalid), random class, rules, default
    /// backend, annotations, finalizer and deletion.
    /// </summary>
    private static readonly Gen<Func<int, V1Ingress>> IngressGen =
        Gen.Select(AnnotationsFrom(IngressAnnotations, 6), RuleGen.Array[0, 3], Gen.Int[0, ClassNames.Length - 1], Gen.Int[0, 99], Gen.Int[0, 99], Gen.Bool, Gen.Int[0, 9])
            .Select(static (annotations, rules, className, defaultBackend, groupPick, finalizer, deleted) => (Func<int, V1Ingress>)(index =>
            {
                if (groupPick < 80)
                    annotations[Annotations.Prefix + Annotations.GroupName] = "g";
                return new V1Ingress
                {
                    Metadata = new V1ObjectMeta
                    {
                        Name = "ing" + index.ToString(CultureInfo.InvariantCulture),
                        NamespaceProperty = index % 3 == 2 ? "ns1" : "ns0",
                        Annotations = annotations,
                        Finalizers = finalizer ? ["group.ingress.k8s.aws/g"] : null,
                        DeletionTimestamp = deleted == 0 && finalizer ? new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) : null,
                    },
                    Spec = new V1IngressSpec
                    {
                        IngressClassName = ClassNames[className],
                        Rules = rules,
                        DefaultBackend = defaultBackend < 15 ? Backend(defaultBackend, defaultBackend) : null,
                    },
                };
            }));

    private static readonly string[] ServiceTypes = ["NodePort", "NodePort", "LoadBalancer", "ClusterIP", "ExternalName"];

    /// <summary>Service <c>api</c> or <c>web</c> in ns0 or ns1: type, a named and an unnamed port (some without nodePort), annotations.</summary>
    private static readonly Gen<Func<string, string, V1Service?>> ServiceGen =
        Gen.Select(Gen.Int[0, ServiceTypes.Length - 1], Gen.Int[0, 9], Gen.Bool, AnnotationsFrom(BackendAnnotations, 4), Gen.Int[0, 11])
            .Select(static (type, nodePorts, namedTarget, annotations, absent) => (Func<string, string, V1Service?>)((ns, name) => absent == 0 ? null : new V1Service
            {
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Uid = $"uid-{ns}-{name}", Annotations = annotations },
                Spec = new V1ServiceSpec
                {
                    Type = ServiceTypes[type],
                    Ports =
                    [
                        new V1ServicePort { Name = "http", Port = 80, TargetPort = namedTarget ? "web" : 8080, NodePort = nodePorts > 1 ? 30080 : null },
                        new V1ServicePort { Name = "grpc", Port = 8080, TargetPort = 9090, NodePort = nodePorts > 3 ? 30081 + (nodePorts % 2) : null },
                    ],
                },
            }));

    private static readonly Gen<V1Endpoint> EndpointGen =
        Gen.Select(Gen.Int[1, 254], Gen.Int[0, 2], Gen.Int[0, 2], Gen.Int[0, 3])
            .Select(static (ip, ready, terminating, where) => new V1Endpoint
            {
                Addresses = [where == 3 ? $"100.64.0.{ip}" : $"10.0.{where * 32}.{ip}"],
                Conditions = new V1EndpointConditions
                {
                    Ready = ready switch { 0 => null, 1 => true, _ => false },
                    Terminating = terminating switch { 0 => null, 1 => true, _ => false },
                },
                Zone = "us-east-1" + "abc"[where % 3],
            });

    private static readonly Gen<Func<string, string, int, V1EndpointSlice>> SliceGen =
        Gen.Select(EndpointGen.Array[0, 4], Gen.Int[0, 3], Gen.Bool)
            .Select(static (endpoints, port, ipv6) => (Func<string, string, int, V1EndpointSlice>)((ns, service, index) => new V1EndpointSlice
            {
                Metadata = new V1ObjectMeta
                {
                    Name = $"{service}-{index}",
                    NamespaceProperty = ns,
                    Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service },
                },
                AddressType = ipv6 ? "IPv6" : "IPv4",
                Ports = [port switch
                {
                    0 => new Discoveryv1EndpointPort { Name = "http", Port = 8080 },
                    1 => new Discoveryv1EndpointPort { Name = "grpc", Port = 9090 },
                    2 => new Discoveryv1EndpointPort { Name = "http", Port = 8081 },
                    _ => new Discoveryv1EndpointPort { Name = null, Port = 8080 },
                }],
                Endpoints = endpoints,
            }));

    private static readonly string?[] ProviderIds = ["aws:///us-east-1a/i-0a", "aws:///us-east-1b/i-0b", "aws:///us-east-1c/i-0c", null, "gce://x/y/z", "aws:///"];

    private static readonly Gen<Func<int, V1Node>> NodeGen =
        Gen.Select(Gen.Int[0, ProviderIds.Length - 1], Gen.Int[0, 2], Gen.Int[0, 3], Gen.Int[0, 3])
            .Select(static (provider, ready, label, taint) => (Func<int, V1Node>)(index => new V1Node
            {
                Metadata = new V1ObjectMeta
                {
                    Name = "node" + index.ToString(CultureInfo.InvariantCulture),
                    Labels = label switch
                    {
                        0 => new Dictionary<string, string> { ["pool"] = "web" },
                        1 => new Dictionary<string, string> { ["node-role.kubernetes.io/master"] = "" },
                        2 => new Dictionary<string, string> { ["eks.amazonaws.com/compute-type"] = "fargate", ["a"] = "b", ["c"] = "d" },
                        _ => null,
                    },
                },
                Spec = new V1NodeSpec
                {
                    ProviderID = ProviderIds[provider] is { } id && id.Length > 10 ? id + index.ToString(CultureInfo.InvariantCulture) : ProviderIds[provider],
                    Taints = taint == 0 ? [new V1Taint { Key = "ToBeDeletedByClusterAutoscaler", Effect = "NoSchedule" }] : null,
                },
                Status = new V1NodeStatus { Conditions = [new V1NodeCondition { Type = "Ready", Status = ready switch { 0 => "True", 1 => "False", _ => "Unknown" } }] },
            }));

    private static readonly (string Ns, string Name)[] ServiceSlots = [("ns0", "api"), ("ns0", "web"), ("ns1", "api"), ("ns1", "web")];

    /// <summary>A random group of 1 to 5 Ingresses with their objects.</summary>
    public static readonly Gen<RandomGroup> Any =
        Gen.Select(
                IngressGen.Array[1, 5],
                ServiceGen.Array[ServiceSlots.Length],
                SliceGen.Array[0, 2].Array[ServiceSlots.Length],
                NodeGen.Array[0, 4],
                Gen.Int)
            .Select(static (ingresses, services, slices, nodes, seed) => new RandomGroup(
                [.. ingresses.Select(static (make, i) => make(i))],
                [.. services.Select(static (make, i) => make(ServiceSlots[i].Ns, ServiceSlots[i].Name)).OfType<V1Service>()],
                [.. slices.SelectMany(static (makes, i) => makes.Select((make, j) => make(ServiceSlots[i].Ns, ServiceSlots[i].Name, j)))],
                [.. nodes.Select(static (make, i) => make(i))],
                seed));
}
