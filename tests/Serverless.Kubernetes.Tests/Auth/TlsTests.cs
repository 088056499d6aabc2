using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Amazon.Runtime;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Auth;

namespace Serverless.Kubernetes.Tests.Auth;

/// <summary>
/// The API server's TLS as the functions meet it: an EKS endpoint whose certificate chains to the cluster CA (given as
/// base64 PEM, not in the system store), and a kubeconfig user with a client certificate. A loopback HTTPS server
/// answers one list of Nodes.
/// </summary>
public sealed class TlsTests : IDisposable
{
    private readonly CertificateAuthority _clusterCa = new("CN=kubernetes");
    private readonly CertificateAuthority _otherCa = new("CN=someone-else");

    public void Dispose()
    {
        _clusterCa.Dispose();
        _otherCa.Dispose();
    }

    [Fact]
    public async Task Eks_trusts_a_server_certificate_signed_by_the_cluster_CA_and_sends_the_token()
    {
        using var serverCertificate = _clusterCa.Issue("localhost");
        await using var server = TlsApiServer.Start(serverCertificate);

        using var api = KubernetesConnection.Eks(Eks(server, _clusterCa));

        Assert.Equal("n1", Assert.Single(await api.ListNodesAsync()).Metadata.Name);
        var request = Assert.Single(server.Requests);
        Assert.StartsWith("GET /api/v1/nodes?limit=500 ", request.RequestLine, StringComparison.Ordinal);
        Assert.StartsWith("Bearer k8s-aws-v1.", request.Authorization, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eks_refuses_a_server_certificate_from_another_CA()
    {
        using var serverCertificate = _otherCa.Issue("localhost");
        await using var server = TlsApiServer.Start(serverCertificate);

        using var api = KubernetesConnection.Eks(Eks(server, _clusterCa));

        var ex = await Assert.ThrowsAsync<KubernetesApiException>(() => api.ListNodesAsync());
        Assert.Equal((HttpStatusCode)0, ex.StatusCode);
        Assert.StartsWith("list nodes: ", ex.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public void A_certificate_for_another_name_is_refused_even_from_the_cluster_CA()
    {
        using var certificate = _clusterCa.Issue("localhost");
        var authorities = new X509Certificate2Collection(_clusterCa.Certificate);

        Assert.True(KubernetesHttp.IsTrusted(certificate, null, SslPolicyErrors.RemoteCertificateChainErrors, authorities));
        Assert.False(KubernetesHttp.IsTrusted(certificate, null, SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch, authorities));
        Assert.False(KubernetesHttp.IsTrusted(null, null, SslPolicyErrors.RemoteCertificateNotAvailable, authorities));
    }

    [Fact]
    public async Task A_kubeconfig_client_certificate_is_presented_to_the_server()
    {
        using var serverCertificate = _clusterCa.Issue("localhost");
        using var clientCertificate = _clusterCa.Issue("admin");
        await using var server = TlsApiServer.Start(serverCertificate, requireClientCertificate: true);
        var folder = Directory.CreateTempSubdirectory("kube-tls-").FullName;
        try
        {
            var path = Path.Combine(folder, "config");
            File.WriteAllText(path, $"""
                apiVersion: v1
                kind: Config
                current-context: tls
                clusters:
                - name: tls
                  cluster:
                    server: {server.Url}
                    certificate-authority-data: {Base64(_clusterCa.Certificate.ExportCertificatePem())}
                users:
                - name: admin
                  user:
                    client-certificate-data: {Base64(clientCertificate.ExportCertificatePem())}
                    client-key-data: {Base64(clientCertificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem())}
                contexts:
                - name: tls
                  context: {"{"}cluster: tls, user: admin{"}"}
                """);

            using var api = KubernetesConnection.FromKubeconfig(path);

            Assert.Single(await api.ListNodesAsync());
            Assert.Equal("CN=admin", Assert.Single(server.Requests).ClientCertificateSubject);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static EksClusterOptions Eks(TlsApiServer server, CertificateAuthority ca) => new()
    {
        ClusterName = "demo",
        Endpoint = server.Url,
        Region = "us-west-2",
        Credentials = new SessionAWSCredentials("AKIDEXAMPLE", "secret", "session"),
        CertificateAuthorityData = Base64(ca.Certificate.ExportCertificatePem()),
    };

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private sealed class CertificateAuthority : IDisposable
    {
        private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        public CertificateAuthority(string subject)
        {
            var request = new CertificateRequest(subject, _key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            Certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));
        }

        public X509Certificate2 Certificate { get; }

        /// <summary>A leaf for <paramref name="name"/> (DNS name and CN), with its private key.</summary>
        public X509Certificate2 Issue(string name)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName(name);
            request.CertificateExtensions.Add(san.Build());
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
            using var issued = request.Create(Certificate, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(5), RandomNumberGenerator.GetBytes(8));
            using var withKey = issued.CopyWithPrivateKey(key);
            // Through PKCS#12, so the key is usable by SslStream on every platform.
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        }

        public void Dispose()
        {
            Certificate.Dispose();
            _key.Dispose();
        }
    }

    private sealed record SeenRequest(string RequestLine, string? Authorization, string? ClientCertificateSubject);

    /// <summary>A loopback HTTPS server that answers every request with one Node list and records what it saw.</summary>
    private sealed class TlsApiServer : IAsyncDisposable
    {
        private const string NodeList = """{"kind":"NodeList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[{"metadata":{"name":"n1"}}]}""";
        private readonly TcpListener _listener;
        private readonly X509Certificate2 _certificate;
        private readonly bool _requireClientCertificate;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        private TlsApiServer(X509Certificate2 certificate, bool requireClientCertificate)
        {
            _certificate = certificate;
            _requireClientCertificate = requireClientCertificate;
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            _loop = Task.Run(AcceptAsync);
        }

        public string Url => $"https://localhost:{((IPEndPoint)_listener.LocalEndpoint).Port}";

        public List<SeenRequest> Requests { get; } = [];

        public static TlsApiServer Start(X509Certificate2 certificate, bool requireClientCertificate = false) => new(certificate, requireClientCertificate);

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                _ = Task.Run(() => ServeAsync(client));
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using var _ = client;
            await using var tls = new SslStream(client.GetStream());
            try
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = _certificate,
                    ClientCertificateRequired = _requireClientCertificate,
                    // The test checks which certificate arrived; trust is not this fake's concern.
                    RemoteCertificateValidationCallback = static (_, _, _, _) => true,
                }, _stop.Token);
            }
            catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
            {
                return; // the client refused our certificate
            }
            string head;
            try
            {
                head = await ReadHeadAsync(tls);
            }
            catch (IOException)
            {
                return; // under TLS 1.3 a client that refuses our certificate closes after the server's handshake ends
            }
            if (head.Length == 0)
                return;
            var lines = head.Split("\r\n");
            var authorization = lines.FirstOrDefault(l => l.StartsWith("Authorization:", StringComparison.OrdinalIgnoreCase))?["Authorization:".Length..].Trim();
            lock (Requests)
                Requests.Add(new SeenRequest(lines[0], authorization, tls.RemoteCertificate?.Subject));
            var body = Encoding.UTF8.GetBytes(NodeList);
            var response = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
            await tls.WriteAsync(response);
            await tls.WriteAsync(body);
            await tls.FlushAsync();
        }

        private static async Task<string> ReadHeadAsync(Stream stream)
        {
            var buffer = new List<byte>();
            var one = new byte[1];
            while (await stream.ReadAsync(one) == 1)
            {
                buffer.Add(one[0]);
                if (buffer.Count >= 4 && buffer[^4] == '\r' && buffer[^3] == '\n' && buffer[^2] == '\r' && buffer[^1] == '\n')
                    break;
            }
            return Encoding.ASCII.GetString([.. buffer]);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop;
            _stop.Dispose();
        }
    }
}
