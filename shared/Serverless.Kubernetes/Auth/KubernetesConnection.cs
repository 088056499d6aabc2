using System.Security.Cryptography.X509Certificates;
using System.Text;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using k8s;
using Serverless.Kubernetes.Api;

namespace Serverless.Kubernetes.Auth;

/// <summary>Where the EKS cluster is and who we are (the Lambda's configuration).</summary>
public sealed record EksClusterOptions
{
    /// <summary>The EKS cluster name (signed into the token as <c>x-k8s-aws-id</c>).</summary>
    public required string ClusterName { get; init; }

    /// <summary>The API server endpoint, e.g. <c>https://ABCD.gr7.us-west-2.eks.amazonaws.com</c>.</summary>
    public required string Endpoint { get; init; }

    /// <summary>The cluster CA: base64 of the PEM, as <c>DescribeCluster</c> returns <c>certificateAuthority.data</c>. Null: the system trust store.</summary>
    public string? CertificateAuthorityData { get; init; }

    /// <summary>The AWS region (STS endpoint and signing scope).</summary>
    public required string Region { get; init; }

    /// <summary>Credentials to sign with; null: the SDK's default chain (env, web identity, profile, container, IMDS).</summary>
    public AWSCredentials? Credentials { get; init; }
}

/// <summary>
/// Builds an <see cref="IKubernetesApi"/> from the three ways the controller finds its cluster: a kubeconfig (CLI),
/// the in-cluster service account, or an EKS endpoint with an IAM bearer token (Lambda).
/// </summary>
public static class KubernetesConnection
{
    /// <summary>The service account folder the kubelet mounts.</summary>
    public const string ServiceAccountFolder = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>From a kubeconfig file (null: <c>$KUBECONFIG</c> or <c>~/.kube/config</c>) and context (null: its current context).</summary>
    public static KubernetesApi FromKubeconfig(string? path = null, string? context = null, params DelegatingHandler[] handlers)
    {
        path ??= Environment.GetEnvironmentVariable("KUBECONFIG")?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()
            ?? KubernetesClientConfiguration.KubeConfigDefaultLocation;
        try
        {
            return Create(KubernetesClientConfiguration.BuildConfigFromConfigFile(path, context), handlers);
        }
        catch (Exception ex) when (ex is k8s.Exceptions.KubeConfigException or YamlDotNet.Core.YamlException or IOException or UnauthorizedAccessException
            or FormatException or ArgumentException or System.Security.Cryptography.CryptographicException)
        {
            var where = context is null ? path : $"{path} (context {context})";
            var what = ex is YamlDotNet.Core.YamlException yaml ? $"line {yaml.Start.Line}, column {yaml.Start.Column}: {yaml.Message}" : ex.Message;
            throw new KubeconfigException($"kubeconfig {where}: {what}", ex);
        }
    }

    /// <summary>True when running in a pod with a service account (<c>KUBERNETES_SERVICE_HOST</c> set and a token mounted).</summary>
    public static bool IsInCluster(string folder = ServiceAccountFolder) =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST"))
        && File.Exists(Path.Combine(folder, "token"));

    /// <summary>
    /// The in-cluster configuration: <c>https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT</c> (or
    /// <paramref name="host"/>), the CA in <c>ca.crt</c>, the token in <c>token</c> re-read on rotation, the namespace
    /// in <c>namespace</c>.
    /// </summary>
    public static KubernetesApi InCluster(string folder = ServiceAccountFolder, string? host = null, params DelegatingHandler[] handlers)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (host is null)
        {
            var serviceHost = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
            var port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT");
            if (string.IsNullOrEmpty(serviceHost) || string.IsNullOrEmpty(port))
                throw new InvalidOperationException("not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
            host = "https://" + (serviceHost.Contains(':', StringComparison.Ordinal) ? "[" + serviceHost + "]" : serviceHost) + ":" + port;
        }
        var tokenPath = Path.Combine(folder, "token");
        if (!File.Exists(tokenPath))
            throw new InvalidOperationException($"not in a cluster: no service account token at {tokenPath}");
        var config = new KubernetesClientConfiguration
        {
            Host = host,
            TokenProvider = new ServiceAccountTokenProvider(tokenPath),
        };
        var caPath = Path.Combine(folder, "ca.crt");
        if (File.Exists(caPath))
            config.SslCaCerts = LoadPem(File.ReadAllText(caPath));
        var namespacePath = Path.Combine(folder, "namespace");
        if (File.Exists(namespacePath))
            config.Namespace = File.ReadAllText(namespacePath).Trim();
        return Create(config, handlers);
    }

    /// <summary>An EKS cluster with a bearer token made from AWS credentials (<see cref="EksTokenProvider"/>).</summary>
    public static KubernetesApi Eks(EksClusterOptions options, TimeProvider? time = null, params DelegatingHandler[] handlers)
    {
        ArgumentNullException.ThrowIfNull(options);
        var credentials = options.Credentials ?? DefaultAWSCredentialsIdentityResolver.GetCredentials();
        var config = new KubernetesClientConfiguration
        {
            Host = options.Endpoint,
            TokenProvider = new EksTokenProvider(options.ClusterName, options.Region, credentials, time),
        };
        if (!string.IsNullOrEmpty(options.CertificateAuthorityData))
            config.SslCaCerts = LoadPem(Encoding.UTF8.GetString(Convert.FromBase64String(options.CertificateAuthorityData)));
        return Create(config, handlers);
    }

    /// <summary>The client for <paramref name="config"/>.</summary>
    public static KubernetesApi Create(KubernetesClientConfiguration config, params DelegatingHandler[] handlers)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new KubernetesApi(KubernetesHttp.Create(config, handlers));
    }

    /// <summary>Every certificate of a PEM text.</summary>
    public static X509Certificate2Collection LoadPem(string pem)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPem(pem);
        if (certificates.Count == 0)
            throw new InvalidOperationException("the certificate authority data holds no PEM certificate");
        return certificates;
    }
}

/// <summary>A kubeconfig that cannot be used (missing, not YAML, no such context, bad certificate data), naming the file.</summary>
public sealed class KubeconfigException : Exception
{
    public KubeconfigException()
    {
    }

    public KubeconfigException(string message)
        : base(message)
    {
    }

    public KubeconfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
