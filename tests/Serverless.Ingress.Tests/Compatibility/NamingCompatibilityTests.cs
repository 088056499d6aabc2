using System.Text.Json;
using Serverless.Model;
using Serverless.Testing;

namespace Serverless.Ingress.Tests.Compatibility;

/// <summary>
/// Upstream-compatible names, checked against an independent implementation of the documented formulas (reference
/// §2.1) written in Python with hashlib: SHA-256 over the concatenated inputs, lowercase hex, parts stripped of
/// every non-ASCII-alphanumeric character and truncated as Go's <c>%.Ns</c>. If these drift, the controller would
/// stop adopting the load balancers, target groups and security groups the upstream controller created.
/// </summary>
public sealed class NamingCompatibilityTests
{
    private const string Formulas = """
        import hashlib, json, re, sys

        def sha(*parts):
            return hashlib.sha256("".join(parts).encode("utf-8")).hexdigest()

        def clean(value):
            return re.sub(r"[^A-Za-z0-9]", "", value)

        def stack_prefix(group):
            if "/" in group:
                ns, name = group.split("/", 1)
                return "k8s-%s-%s" % (clean(ns)[:8], clean(name)[:8])
            return "k8s-%s" % clean(group)[:17]

        out = {}
        for case in json.loads(sys.argv[1]):
            kind = case["kind"]
            if kind == "lb":
                name = "%s-%s" % (stack_prefix(case["group"]), sha(case["cluster"], case["group"], case["scheme"])[:10])
            elif kind == "sg":
                name = "%s-%s" % (stack_prefix(case["group"]), sha(case["cluster"], case["group"])[:10])
            elif kind == "backend-sg":
                name = "k8s-traffic-%s-%s" % (clean(case["cluster"])[:232], sha(case["cluster"])[:10])
            elif kind == "tg":
                digest = sha(case["cluster"], case["group"], case["ingNs"], case["ingName"], case["svcUid"],
                             case["svcPort"], str(case["tgPort"]), case["targetType"], case["protocol"], case["protocolVersion"])
                name = "k8s-%s-%s-%s" % (clean(case["svcNs"])[:8], clean(case["svcName"])[:8], digest[:10])
            out[case["id"]] = name
        print(json.dumps(out))
        """;

    private static readonly string LongCluster = "eks." + new string('x', 250) + "_cluster";

    private static readonly object[] Cases =
    [
        new { id = "echoserver-lb", kind = "lb", cluster = "prod", group = "default/echoserver", scheme = "internet-facing" },
        new { id = "echoserver-sg", kind = "sg", cluster = "prod", group = "default/echoserver" },
        new { id = "explicit-lb", kind = "lb", cluster = "prod", group = "my-team.shared", scheme = "internal" },
        new { id = "explicit-sg", kind = "sg", cluster = "prod", group = "my-team.shared" },
        new { id = "long-explicit-lb", kind = "lb", cluster = "staging-eu", group = "platform-ingress-group.with-a-very-long-name", scheme = "internet-facing" },
        new { id = "odd-implicit-lb", kind = "lb", cluster = "eks_prod-1", group = "team-payments-production/checkout-api.v2", scheme = "internal" },
        new { id = "odd-implicit-sg", kind = "sg", cluster = "eks_prod-1", group = "team-payments-production/checkout-api.v2" },
        new { id = "short-implicit-lb", kind = "lb", cluster = "c", group = "a/b", scheme = "internal" },
        new { id = "backend-prod", kind = "backend-sg", cluster = "prod" },
        new { id = "backend-odd", kind = "backend-sg", cluster = "my.cluster_name-2024" },
        new { id = "backend-long", kind = "backend-sg", cluster = LongCluster },
        new
        {
            id = "echoserver-tg", kind = "tg", cluster = "prod", group = "default/echoserver", ingNs = "default", ingName = "echoserver",
            svcNs = "default", svcName = "echoserver", svcUid = "8a4c2b1e-5d6f-4a7b-9c0d-1e2f3a4b5c6d", svcPort = "80", tgPort = 30080,
            targetType = "instance", protocol = "HTTP", protocolVersion = "HTTP1",
        },
        new
        {
            id = "named-port-tg", kind = "tg", cluster = "eks_prod-1", group = "shared.apps", ingNs = "team-payments-production", ingName = "checkout",
            svcNs = "team-payments-production", svcName = "checkout_api.v2", svcUid = "0f0e0d0c-0b0a-0908-0706-050403020100", svcPort = "https-web",
            tgPort = 8443, targetType = "ip", protocol = "HTTPS", protocolVersion = "HTTP2",
        },
    ];

    private static readonly Lazy<Dictionary<string, string>> Expected = new(Compute);

    private static Dictionary<string, string> Compute()
    {
        var (exit, stdout, stderr) = RepoPaths.Run("python3", ["-c", Formulas, JsonSerializer.Serialize(Cases)]);
        Assert.True(exit == 0, "python3 failed: " + stderr);
        using var document = JsonDocument.Parse(stdout);
        return document.RootElement.EnumerateObject().ToDictionary(static p => p.Name, static p => p.Value.GetString()!);
    }

    private static string Expect(string id) => Expected.Value[id];

    [Fact]
    public void Echoserver_example_load_balancer_and_security_group()
    {
        var group = StackId.Implicit("default", "echoserver");

        var lb = Ingress.Naming.LoadBalancerName("prod", group, "internet-facing");

        Assert.Equal(Expect("echoserver-lb"), lb);
        Assert.Matches("^k8s-default-echoserv-[0-9a-f]{10}$", lb); // the documented shape of the echoserver ALB
        Assert.Equal(Expect("echoserver-sg"), Ingress.Naming.ManagedSecurityGroupName("prod", group));
        Assert.NotEqual(lb, Ingress.Naming.LoadBalancerName("prod", group, "internal")); // the scheme is part of the hash
    }

    [Fact]
    public void Explicit_group_names()
    {
        var group = StackId.Explicit("my-team.shared");

        Assert.Equal(Expect("explicit-lb"), Ingress.Naming.LoadBalancerName("prod", group, "internal"));
        Assert.Equal(Expect("explicit-sg"), Ingress.Naming.ManagedSecurityGroupName("prod", group));
        Assert.StartsWith("k8s-myteamshared-", Expect("explicit-lb"), StringComparison.Ordinal);
    }

    [Fact]
    public void Long_explicit_group_is_cut_to_17_characters()
    {
        var name = Ingress.Naming.LoadBalancerName("staging-eu", StackId.Explicit("platform-ingress-group.with-a-very-long-name"), "internet-facing");

        Assert.Equal(Expect("long-explicit-lb"), name);
        Assert.StartsWith("k8s-platformingressgr-", name, StringComparison.Ordinal);
        Assert.Equal(32, name.Length);
    }

    [Fact]
    public void Non_alphanumerics_and_long_namespaces_are_stripped_then_cut()
    {
        var group = StackId.Implicit("team-payments-production", "checkout-api.v2");

        Assert.Equal(Expect("odd-implicit-lb"), Ingress.Naming.LoadBalancerName("eks_prod-1", group, "internal"));
        Assert.Equal(Expect("odd-implicit-sg"), Ingress.Naming.ManagedSecurityGroupName("eks_prod-1", group));
        Assert.StartsWith("k8s-teampaym-checkout-", Expect("odd-implicit-lb"), StringComparison.Ordinal);
        Assert.Equal(Expect("short-implicit-lb"), Ingress.Naming.LoadBalancerName("c", StackId.Implicit("a", "b"), "internal"));
    }

    [Fact]
    public void Shared_backend_security_group()
    {
        Assert.Equal(Expect("backend-prod"), Ingress.Naming.BackendSecurityGroupName("prod"));
        Assert.Equal(Expect("backend-odd"), Ingress.Naming.BackendSecurityGroupName("my.cluster_name-2024"));
        Assert.Equal(Expect("backend-long"), Ingress.Naming.BackendSecurityGroupName(LongCluster));
        Assert.Equal("k8s-traffic-".Length + 232 + 11, Expect("backend-long").Length);
    }

    [Fact]
    public void Target_group_of_the_echoserver_example()
    {
        var name = Ingress.Naming.TargetGroupName(
            "prod", StackId.Implicit("default", "echoserver"), "default", "echoserver", "default", "echoserver",
            "8a4c2b1e-5d6f-4a7b-9c0d-1e2f3a4b5c6d", "80", 30080, "instance", "HTTP", "HTTP1");

        Assert.Equal(Expect("echoserver-tg"), name);
        Assert.Matches("^k8s-default-echoserv-[0-9a-f]{10}$", name);
    }

    [Fact]
    public void Target_group_with_a_named_port_in_ip_mode()
    {
        var name = Ingress.Naming.TargetGroupName(
            "eks_prod-1", StackId.Explicit("shared.apps"), "team-payments-production", "checkout", "team-payments-production", "checkout_api.v2",
            "0f0e0d0c-0b0a-0908-0706-050403020100", "https-web", 8443, "ip", "HTTPS", "HTTP2");

        Assert.Equal(Expect("named-port-tg"), name);
        Assert.StartsWith("k8s-teampaym-checkout-", name, StringComparison.Ordinal);
        Assert.True(name.Length <= 32);
    }

    /// <summary>
    /// Upstream's <c>Test_defaultModelBuildTask_buildTargetGroupName</c> cases (empty cluster name and group ID, Service
    /// <c>ns-1/name-1</c> with UID <c>my-uuid</c>): the target control port, when set, is hashed last.
    /// </summary>
    [Theory]
    [InlineData("http", 8080, "ip", "HTTP", null, "k8s-ns1-name1-2c37289a00")]
    [InlineData("80", 8080, "ip", "HTTP", null, "k8s-ns1-name1-ab859e54b5")]
    [InlineData("http", 9090, "ip", "HTTP", null, "k8s-ns1-name1-6481032048")]
    [InlineData("http", 8080, "instance", "HTTP", null, "k8s-ns1-name1-f4adfdc175")]
    [InlineData("http", 8080, "ip", "HTTPS", null, "k8s-ns1-name1-22fbce26a7")]
    [InlineData("http", 8080, "ip", "HTTP", 80, "k8s-ns1-name1-7ed91338c9")]
    public void Target_group_names_match_upstreams_unit_test_expectations(string port, int targetGroupPort, string targetType, string protocol, int? controlPort, string expected)
    {
        var name = Ingress.Naming.TargetGroupName(
            string.Empty, StackId.Explicit(string.Empty), "ns-1", "name-1", "ns-1", "name-1", "my-uuid", port, targetGroupPort, targetType, protocol, "HTTP1", controlPort);

        Assert.Equal(expected, name);
    }
}
