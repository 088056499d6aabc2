using Serverless.Kubernetes.Live;
using Serverless.Model;
using Serverless.Reconcile;

namespace Serverless.Kubernetes.Tests.Live;

/// <summary>
/// The OIDC client Secret (<c>auth-idp-oidc</c> <c>secretName</c>) is read with one get of that Secret. When the
/// controller may not read it (403: no Role grants <c>get secrets</c> in that namespace) the Ingress using it is
/// frozen — its rules and finalizer stay, the rest of its group is built — with a Warning naming the Ingress, the
/// Secret and the missing permission; a missing Secret (404) keeps its own error.
/// </summary>
public sealed class SecretAccessTests
{
    private const string Finalizer = "group.ingress.k8s.aws/shop";

    private static readonly Dictionary<string, string> Oidc = new()
    {
        ["alb.ingress.kubernetes.io/listen-ports"] = """[{"HTTPS":443}]""",
        ["alb.ingress.kubernetes.io/certificate-arn"] = "arn:aws:acm:us-west-2:123456789012:certificate/0a1b2c3d",
        ["alb.ingress.kubernetes.io/auth-type"] = "oidc",
        ["alb.ingress.kubernetes.io/auth-idp-oidc"] =
            """{"issuer":"https://idp.example.com","authorizationEndpoint":"https://idp.example.com/auth","tokenEndpoint":"https://idp.example.com/token","userInfoEndpoint":"https://idp.example.com/userinfo","secretName":"oidc"}""",
    };

    private const string OidcSecret =
        """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"oidc","namespace":"default"},"data":{"clientID":"Y2xpZW50","clientSecret":"czNjcjN0"}}""";

    private static async Task<FakeCluster> SeedAsync(bool withSecret)
    {
        var cluster = await FakeCluster.StartAsync();
        cluster.Seed(
            FakeCluster.AlbClass,
            FakeCluster.IngressJson("web", "web-svc", group: "shop", finalizers: [Finalizer]),
            FakeCluster.IngressJson("login", "login-svc", group: "shop", annotations: Oidc, finalizers: [Finalizer], path: "/login"),
            FakeCluster.NodePortService("web-svc"),
            FakeCluster.NodePortService("login-svc", nodePort: 30081),
            FakeCluster.Node("n1", "i-0a"));
        if (withSecret)
            cluster.Seed(OidcSecret);
        return cluster;
    }

    private static async Task<(StackRun Run, ReconcilerTests.Deployer Deployer)> ReconcileAsync(FakeCluster cluster)
    {
        var deployer = new ReconcilerTests.Deployer();
        var reconciler = new IngressGroupReconciler(new LiveIngressGroupSource(cluster.Api, FakeCluster.Settings), FakeCluster.Settings, new ReconcilerTests.Facts(), deployer);
        return (await reconciler.ReconcileAsync(StackId.Explicit("shop"), ReconcileRequest.Event), deployer);
    }

    [Fact]
    public async Task A_Secret_the_controller_may_not_get_freezes_its_Ingress_with_the_missing_permission_and_the_group_still_deploys()
    {
        await using var cluster = await SeedAsync(withSecret: true);
        cluster.Server.Forbid("get", "", "secrets", "default", "oidc");

        var (run, deployer) = await ReconcileAsync(cluster);

        Assert.True(run.Result.IsDone, run.Result.Reason);
        var stack = Assert.Single(deployer.Calls).Stack;
        var login = Assert.Single(stack.Ingresses, static o => o.Key == "default/login");
        Assert.Equal(IngressState.Frozen, login.State);
        Assert.Equal(Finalizer, login.Finalizer);
        var error = Assert.Single(login.Errors).ToString();
        Assert.Contains("Secret default/oidc (secretName, for Ingress default/login) cannot be read: 403 Forbidden", error, StringComparison.Ordinal);
        Assert.Contains("may not get secrets in namespace default", error, StringComparison.Ordinal);
        // Frozen, not removed: its rules stay where they are, nothing of it is built, the other member is.
        Assert.Contains(stack.FrozenRules, static b => b.Owner == "default/login" && b.Port == 443);
        Assert.DoesNotContain(stack.Rules, static r => r.Owner == "default/login");
        Assert.Equal(IngressState.Active, Assert.Single(stack.Ingresses, static o => o.Key == "default/web").State);
        Assert.Equal([Finalizer], cluster.Finalizers("default", "login"));
        Assert.Null(cluster.Ingress("default", "login")!["status"]?["loadBalancer"]?["ingress"]);
        var warning = Assert.Single(cluster.Events(), static e => e.Name == "login");
        Assert.Equal(("Warning", "FailedBuildModel"), (warning.Type, warning.Reason));
        Assert.Contains("Ingress default/login", warning.Message, StringComparison.Ordinal);
        Assert.Contains("Secret default/oidc", warning.Message, StringComparison.Ordinal);
        Assert.Contains("get secrets in namespace default", warning.Message, StringComparison.Ordinal);
        // The Secret was asked for by name, never listed.
        Assert.Contains(cluster.Server.Requests, static r => r.Verb == "get" && r.Plural == "secrets" && r.Namespace == "default" && r.Name == "oidc");
        Assert.DoesNotContain(cluster.Server.Requests, static r => r.Plural == "secrets" && r.Verb != "get");
    }

    [Fact]
    public async Task A_missing_Secret_keeps_its_not_found_error()
    {
        await using var cluster = await SeedAsync(withSecret: false);

        var (run, deployer) = await ReconcileAsync(cluster);

        Assert.True(run.Result.IsDone, run.Result.Reason);
        var login = Assert.Single(Assert.Single(deployer.Calls).Stack.Ingresses, static o => o.Key == "default/login");
        Assert.Equal(IngressState.Frozen, login.State);
        var error = Assert.Single(login.Errors);
        Assert.Equal("Secret default/oidc (secretName) does not exist", error.Message);
        Assert.DoesNotContain("Forbidden", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_readable_Secret_gives_the_authenticate_oidc_action()
    {
        await using var cluster = await SeedAsync(withSecret: true);

        var (run, deployer) = await ReconcileAsync(cluster);

        Assert.True(run.Result.IsDone, run.Result.Reason);
        var stack = Assert.Single(deployer.Calls).Stack;
        Assert.All(stack.Ingresses, static o => Assert.Equal(IngressState.Active, o.State));
        var rule = Assert.Single(stack.Rules, static r => r.Owner == "default/login");
        var oidc = Assert.Single(rule.Actions, static a => a.Type == "authenticate-oidc").AuthenticateOidc!;
        Assert.Equal("client", oidc.ClientId);
        Assert.Equal("s3cr3t", oidc.ClientSecret);
    }

    [Fact]
    public async Task The_group_index_does_not_fail_on_a_forbidden_Secret()
    {
        await using var cluster = await SeedAsync(withSecret: true);
        cluster.Server.Forbid("get", "", "secrets", "default", "oidc");

        var index = await GroupIndex.LoadAsync(cluster.Api, FakeCluster.Settings);

        Assert.Equal(["shop"], index.Groups.Select(static g => g.ToString()));
        Assert.Equal(["shop"], index.ForSecret("default", "oidc").Select(static g => g.ToString()));
        Assert.Equal(["shop"], index.ForService("default", "web-svc").Select(static g => g.ToString()));
    }
}
