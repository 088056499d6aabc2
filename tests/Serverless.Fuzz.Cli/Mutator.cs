using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Serverless.Fuzz.Cli;

/// <summary>
/// Mutates multi-document Kubernetes YAML: ALB annotations set to valid, edge and broken values (on Ingresses and
/// Services), scalars replaced anywhere, keys deleted, Ingresses duplicated, paths and backends rewritten. Deterministic
/// for a given <see cref="Random"/>.
/// </summary>
internal sealed class Mutator(Random random)
{
    private const string Prefix = "alb.ingress.kubernetes.io/";

    private static readonly string[] Generic =
    [
        "", " ", "0", "-1", "1", "65536", "99999999999999999999", "true", "null", "~", "abc", "ÄÖ中文", new string('a', 300),
        "[]", "{}", "[1,2", "{\"a\":", "/", "*", "$(x)", "\t", "0x10", "1e3", "-", "k8s-", "a,b,,c", "=", "a=b=c",
        "arn:aws:acm:us-east-1:123456789012:certificate/0f0f0f0f-0000-0000-0000-000000000000",
    ];

    private static readonly Dictionary<string, string[]> Values = new(StringComparer.Ordinal)
    {
        ["scheme"] = ["internal", "internet-facing", "sideways", "Internal"],
        ["target-type"] = ["ip", "instance", "alb", "IP"],
        ["listen-ports"] = ["[{\"HTTP\":80}]", "[{\"HTTPS\":443}]", "[{\"HTTP\":80},{\"HTTPS\":443}]", "[{\"HTTP\":0}]", "[{\"FTP\":21}]", "{\"HTTP\":80}", "[{\"HTTP\":\"80\"}]", "[{\"HTTP\":8080},{\"HTTP\":8080}]"],
        ["success-codes"] = ["200", "200-399", "200,202", "600", "399-200", "1-2-3", "0", "12", "200-", ",200"],
        ["healthcheck-path"] = ["/", "/healthz", "healthz", "/a b", "/" + new string('p', 1100)],
        ["healthcheck-interval-seconds"] = ["1", "5", "300", "301", "10"],
        ["healthcheck-timeout-seconds"] = ["1", "2", "120", "121", "30"],
        ["healthy-threshold-count"] = ["1", "2", "10", "11"],
        ["unhealthy-threshold-count"] = ["1", "2", "10", "11"],
        ["healthcheck-port"] = ["traffic-port", "8080", "0", "http", "70000"],
        ["healthcheck-protocol"] = ["HTTP", "HTTPS", "TCP"],
        ["load-balancer-name"] = ["my-alb", new string('n', 40), "-bad", "bad-", "internal-x", "a_b", "k8s-x"],
        ["group.name"] = ["shop", "Shop_Team", "a-b.c", new string('g', 70), "-x"],
        ["group.order"] = ["0", "-1001", "1001", "10", "abc", "-5"],
        ["tags"] = ["a=b,c=d", "a", "=b", "aws:x=y", "elbv2.k8s.aws/cluster=other", new string('t', 200) + "=v"],
        ["ip-address-type"] = ["ipv4", "dualstack", "dualstack-without-public-ipv4", "ipv6"],
        ["load-balancer-attributes"] = ["idle_timeout.timeout_seconds=60", "idle_timeout.timeout_seconds=0", "idle_timeout.timeout_seconds=5000", "deletion_protection.enabled=false", "foo=bar", "routing.http2.enabled=maybe", "access_logs.s3.enabled=true"],
        ["target-group-attributes"] = ["deregistration_delay.timeout_seconds=30", "stickiness.enabled=true,stickiness.lb_cookie.duration_seconds=0", "x=y", "deregistration_delay.timeout_seconds=-1", "load_balancing.algorithm.type=least_outstanding_requests"],
        ["inbound-cidrs"] = ["10.0.0.0/8", "0.0.0.0/0,::/0", "10.0.0.0/33", "abc", "10.0.0.1"],
        ["security-group-prefix-lists"] = ["pl-12345678", "pl-", "x", "pl-zz"],
        ["ssl-redirect"] = ["443", "0", "70000", "abc", "80"],
        ["certificate-arn"] = ["arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555", "x", ""],
        ["ssl-policy"] = ["ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS13-1-2-2021-06", "Nope"],
        ["backend-protocol"] = ["HTTP", "HTTPS", "TCP"],
        ["backend-protocol-version"] = ["HTTP1", "HTTP2", "GRPC", "HTTP3"],
        ["auth-type"] = ["none", "cognito", "oidc", "bad"],
        ["auth-idp-oidc"] = ["{\"issuer\":\"https://idp\",\"authorizationEndpoint\":\"https://idp/a\",\"tokenEndpoint\":\"https://idp/t\",\"userInfoEndpoint\":\"https://idp/u\",\"secretName\":\"oidc\"}", "{\"issuer\":1}", "{"],
        ["auth-idp-cognito"] = ["{\"userPoolARN\":\"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_x\",\"userPoolClientID\":\"c\",\"userPoolDomain\":\"d\"}", "{}"],
        ["auth-session-timeout"] = ["0", "1", "604800", "604801", "x"],
        ["target-node-labels"] = ["a=b", "a", "", "a=b,c"],
        ["wafv2-acl-arn"] = ["arn:aws:wafv2:us-east-1:123456789012:regional/webacl/x/00000000-0000-0000-0000-000000000000", "none", "x"],
        ["wafv2-acl-name"] = ["my-acl", ""],
        ["subnets"] = ["subnet-00000000000000000", "public-a,public-b", "", "subnet-a,subnet-a"],
        ["security-groups"] = ["sg-00000000000000000", "web", ""],
        ["manage-backend-security-group-rules"] = ["true", "false", "maybe"],
        ["use-regex-path-match"] = ["true", "false", "yes"],
        ["customer-owned-ipv4-pool"] = ["ipv4pool-coip-12345678", "x"],
        ["listener-attributes.HTTP-80"] = ["routing.http.response.server.enabled=false", "x=y"],
        ["actions.act"] = [
            "{\"type\":\"redirect\",\"redirectConfig\":{\"protocol\":\"HTTPS\",\"port\":\"443\",\"statusCode\":\"HTTP_301\"}}",
            "{\"type\":\"fixed-response\",\"fixedResponseConfig\":{\"contentType\":\"text/plain\",\"statusCode\":\"503\",\"messageBody\":\"down\"}}",
            "{\"type\":\"forward\",\"forwardConfig\":{\"targetGroups\":[{\"serviceName\":\"missing\",\"servicePort\":\"80\",\"weight\":1}]}}",
            "{\"type\":\"forward\",\"forwardConfig\":{\"targetGroups\":[{\"targetGroupARN\":\"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/0\"}]}}",
            "{\"type\":\"redirect\"", "[]", "{\"type\":\"teleport\"}",
        ],
        ["conditions.act"] = [
            "[{\"field\":\"http-header\",\"httpHeaderConfig\":{\"httpHeaderName\":\"X\",\"values\":[\"a\"]}}]",
            "[{\"field\":\"query-string\",\"queryStringConfig\":{\"values\":[{\"key\":\"a\",\"value\":\"b\"}]}}]",
            "[{\"field\":\"source-ip\",\"sourceIpConfig\":{\"values\":[\"10.0.0.0/8\"]}}]", "[{\"field\":\"nope\"}]", "[",
        ],
        ["shield-advanced-protection"] = ["true"],
        ["healthcheck-pth"] = ["/"],
        ["sslredirect"] = ["443"],
        ["frontend-nlb-scheme"] = ["internal"],
        ["waf-acl-id"] = ["x"],
    };

    private static readonly string[] Paths = ["/", "", "/*", "/a/../b", "/" + new string('x', 200), "^/re(g)ex$", "/api/", "a", "/a*b?c", "/ünï"];

    private static readonly string[] PathTypes = ["Prefix", "Exact", "ImplementationSpecific", "Regex", ""];

    /// <summary>Mutates <paramref name="yaml"/> 1–3 times; returns the YAML text and what was done.</summary>
    public (string Yaml, List<string> Steps) Mutate(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var steps = new List<string>();
        var count = random.Next(1, 4);
        for (var i = 0; i < count; i++)
            steps.Add(MutateOnce(stream));
        var writer = new StringWriter();
        stream.Save(writer, assignAnchors: false);
        return (writer.ToString(), steps);
    }

    private string MutateOnce(YamlStream stream)
    {
        var documents = stream.Documents.Where(static d => d.RootNode is YamlMappingNode).ToList();
        var kinds = documents.Select(static d => Kind(d)).ToList();
        switch (random.Next(10))
        {
            case < 4:
                return Annotate(documents, kinds);
            case 4:
                return ReplaceScalar(documents);
            case 5:
                return DeleteKey(documents);
            case 6:
                return DuplicateIngress(stream, documents, kinds);
            case 7:
                return RewritePath(documents, kinds);
            case 8:
                return UseAnnotationBackend(documents, kinds);
            default:
                return Annotate(documents, kinds);
        }
    }

    private string Annotate(List<YamlDocument> documents, List<string> kinds)
    {
        var targets = documents.Where((_, i) => kinds[i] is "Ingress" or "Service").ToList();
        if (targets.Count == 0)
            return "annotate: nothing";
        var document = Pick(targets);
        var metadata = Child(Root(document), "metadata") ?? Add(Root(document), "metadata", new YamlMappingNode());
        var annotations = Child(metadata, "annotations") ?? Add(metadata, "annotations", new YamlMappingNode());
        var key = Pick(Values.Keys.ToArray());
        var value = random.Next(4) == 0 ? Pick(Generic) : Pick(Values[key]);
        annotations.Children[new YamlScalarNode(Prefix + key)] = new YamlScalarNode(value) { Style = ScalarStyle.DoubleQuoted };
        return $"annotate {Kind(document)} {Prefix}{key}={Short(value)}";
    }

    private string ReplaceScalar(List<YamlDocument> documents)
    {
        var scalars = documents.SelectMany(static d => d.AllNodes.OfType<YamlScalarNode>()).ToList();
        if (scalars.Count == 0)
            return "scalar: nothing";
        var scalar = Pick(scalars);
        var before = scalar.Value;
        scalar.Value = Pick(Generic);
        scalar.Style = ScalarStyle.DoubleQuoted;
        return $"scalar {Short(before)} -> {Short(scalar.Value)}";
    }

    private string DeleteKey(List<YamlDocument> documents)
    {
        var mappings = documents.SelectMany(static d => d.AllNodes.OfType<YamlMappingNode>()).Where(static m => m.Children.Count > 0).ToList();
        if (mappings.Count == 0)
            return "delete: nothing";
        var mapping = Pick(mappings);
        var key = Pick(mapping.Children.Keys.ToList());
        mapping.Children.Remove(key);
        return $"delete key {key}";
    }

    private string DuplicateIngress(YamlStream stream, List<YamlDocument> documents, List<string> kinds)
    {
        var ingresses = documents.Where((_, i) => kinds[i] == "Ingress").ToList();
        if (ingresses.Count == 0)
            return "duplicate: nothing";
        var text = new StringWriter();
        new YamlStream(Pick(ingresses)).Save(text, assignAnchors: false);
        var copy = new YamlStream();
        copy.Load(new StringReader(text.ToString()));
        var root = Root(copy.Documents[0]);
        var metadata = Child(root, "metadata");
        if (metadata is not null)
            metadata.Children[new YamlScalarNode("name")] = new YamlScalarNode("copy-" + random.Next(100));
        stream.Documents.Add(copy.Documents[0]);
        return "duplicate an Ingress";
    }

    private string RewritePath(List<YamlDocument> documents, List<string> kinds)
    {
        var paths = documents.Where((_, i) => kinds[i] == "Ingress")
            .SelectMany(static d => d.AllNodes.OfType<YamlMappingNode>())
            .Where(static m => m.Children.ContainsKey(new YamlScalarNode("backend")))
            .ToList();
        if (paths.Count == 0)
            return "path: nothing";
        var path = Pick(paths);
        var value = Pick(Paths);
        var type = Pick(PathTypes);
        path.Children[new YamlScalarNode("path")] = new YamlScalarNode(value) { Style = ScalarStyle.DoubleQuoted };
        path.Children[new YamlScalarNode("pathType")] = new YamlScalarNode(type) { Style = ScalarStyle.DoubleQuoted };
        return $"path {Short(value)} {type}";
    }

    private string UseAnnotationBackend(List<YamlDocument> documents, List<string> kinds)
    {
        var services = documents.Where((_, i) => kinds[i] == "Ingress")
            .SelectMany(static d => d.AllNodes.OfType<YamlMappingNode>())
            .Where(static m => m.Children.ContainsKey(new YamlScalarNode("port")) && m.Children.ContainsKey(new YamlScalarNode("name")))
            .ToList();
        if (services.Count == 0)
            return "use-annotation: nothing";
        var service = Pick(services);
        service.Children[new YamlScalarNode("name")] = new YamlScalarNode(random.Next(3) == 0 ? "missing" : "act");
        service.Children[new YamlScalarNode("port")] = new YamlMappingNode(new YamlScalarNode("name"), new YamlScalarNode("use-annotation"));
        return "backend -> use-annotation";
    }

    private static string Kind(YamlDocument document) =>
        Root(document).Children.TryGetValue(new YamlScalarNode("kind"), out var kind) && kind is YamlScalarNode scalar
            ? scalar.Value ?? string.Empty
            : string.Empty;

    private static YamlMappingNode Root(YamlDocument document) => (YamlMappingNode)document.RootNode;

    private static YamlMappingNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child as YamlMappingNode : null;

    private static YamlMappingNode Add(YamlMappingNode node, string key, YamlMappingNode child)
    {
        node.Children[new YamlScalarNode(key)] = child;
        return child;
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private static string Short(string? value) => value is null ? "(null)" : value.Length > 40 ? value[..40] + "…" : value;
}
