using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Amazon.Runtime;
using Serverless.Kubernetes.Auth;
using Serverless.Testing.FakeKubernetes;

namespace Serverless.Kubernetes.Tests.Auth;

/// <summary>The three ways to reach a cluster, each against a fake API server that demands one bearer token.</summary>
public sealed class ConnectionTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kube-auth-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_kubeconfig_context_picks_its_cluster_and_user_token()
    {
        await using var server = await FakeKubernetesApiServer.StartAsync(new FakeKubernetesOptions { RequiredBearerToken = "right-token" });
        server.Create(FakeCluster.Node("n1", "i-0a"));
        var path = Path.Combine(_folder, "config");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            current-context: wrong
            clusters:
            - name: fake
              cluster:
                server: {server.Url}
            users:
            - name: right
              user:
                token: right-token
            - name: wrong
              user:
                token: wrong-token
            contexts:
            - name: right
              context: {"{"}cluster: fake, user: right{"}"}
            - name: wrong
              context: {"{"}cluster: fake, user: wrong{"}"}
            """);

        using var api = KubernetesConnection.FromKubeconfig(path, "right");
        Assert.Equal("n1", Assert.Single(await api.ListNodesAsync()).Metadata.Name);

        using var wrong = KubernetesConnection.FromKubeconfig(path);
        var ex = await Assert.ThrowsAsync<Serverless.Kubernetes.Api.KubernetesApiException>(() => wrong.ListNodesAsync());
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, ex.StatusCode);
    }

    [Fact]
    public async Task In_cluster_reads_the_service_account_token_CA_and_namespace_and_re_reads_a_rotated_token()
    {
        await using var server = await FakeKubernetesApiServer.StartAsync(new FakeKubernetesOptions { RequiredBearerToken = "sa-token-1" });
        server.Create(FakeCluster.Node("n1", "i-0a"));
        File.WriteAllText(Path.Combine(_folder, "token"), "sa-token-1\n");
        File.WriteAllText(Path.Combine(_folder, "namespace"), "kube-system");
        File.WriteAllText(Path.Combine(_folder, "ca.crt"), SelfSignedPem());

        using var api = KubernetesConnection.InCluster(_folder, host: server.Url);
        Assert.Single(await api.ListNodesAsync());

        // Rotation: the kubelet writes a new token; the provider notices the new write time.
        var time = new ManualTime(DateTimeOffset.UtcNow);
        var provider = new ServiceAccountTokenProvider(Path.Combine(_folder, "token"), time);
        Assert.Equal("sa-token-1", provider.GetToken());
        File.WriteAllText(Path.Combine(_folder, "token"), "sa-token-2");
        File.SetLastWriteTimeUtc(Path.Combine(_folder, "token"), DateTime.UtcNow.AddSeconds(5));
        Assert.Equal("sa-token-2", provider.GetToken());
        // And at least once a minute even if the write time looks the same.
        File.WriteAllText(Path.Combine(_folder, "token"), "sa-token-3");
        File.SetLastWriteTimeUtc(Path.Combine(_folder, "token"), DateTime.UtcNow.AddSeconds(5));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("sa-token-3", provider.GetToken());

        Assert.Single(KubernetesConnection.LoadPem(File.ReadAllText(Path.Combine(_folder, "ca.crt"))));
    }

    [Fact]
    public async Task Eks_sends_the_presigned_STS_token_as_the_bearer_token()
    {
        var time = new ManualTime(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var credentials = new ImmutableCredentials("AKIDEXAMPLE", "secret", "session");
        var expected = EksToken.Create("demo", "us-west-2", credentials, time.GetUtcNow().UtcDateTime);
        await using var server = await FakeKubernetesApiServer.StartAsync(new FakeKubernetesOptions { RequiredBearerToken = expected });
        server.Create(FakeCluster.Node("n1", "i-0a"));
        var options = new EksClusterOptions
        {
            ClusterName = "demo",
            Endpoint = server.Url,
            Region = "us-west-2",
            Credentials = new SessionAWSCredentials("AKIDEXAMPLE", "secret", "session"),
            CertificateAuthorityData = Convert.ToBase64String(Encoding.UTF8.GetBytes(SelfSignedPem())),
        };

        using var api = KubernetesConnection.Eks(options, time);

        Assert.Single(await api.ListNodesAsync());
    }

    private static string SelfSignedPem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=kubernetes", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return certificate.ExportCertificatePem();
    }
}
