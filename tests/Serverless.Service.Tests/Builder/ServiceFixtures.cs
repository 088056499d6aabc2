using k8s.Models;
using Serverless.Ingress;
using Serverless.Model;
using Serverless.Service.Tests.Golden;

namespace Serverless.Service.Tests.Builder;

/// <summary>Services and snapshots built in code: one nlb-ip Service on port 80 in the golden sandbox VPC.</summary>
internal static class ServiceFixtures
{
    public const string Uid = "bdca2bd0-bfc6-449a-88a3-03451f05f18c";

    public static V1Service Service(IDictionary<string, string>? annotations = null, params V1ServicePort[] ports)
    {
        var all = new Dictionary<string, string> { [ServiceSelection.TypeAnnotation] = "nlb-ip" };
        foreach (var (key, value) in annotations ?? new Dictionary<string, string>())
            all[key.Contains('/', StringComparison.Ordinal) ? key : ServiceAnnotations.Prefix + key] = value;
        return new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "echo", NamespaceProperty = "default", Uid = Uid, Annotations = all },
            Spec = new V1ServiceSpec
            {
                Type = "LoadBalancer",
                Ports = ports.Length > 0 ? ports : [Port(80)],
            },
        };
    }

    public static V1ServicePort Port(int port, string protocol = "TCP", string? name = null, int? nodePort = null, string? targetPort = null) =>
        new() { Port = port, Protocol = protocol, Name = name, NodePort = nodePort, TargetPort = targetPort ?? port.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    public static ServiceSnapshot Snapshot(V1Service? service, ClusterSettings? cluster = null, AwsFacts? aws = null)
    {
        var ipv6 = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var settings = cluster ?? new ClusterSettings { ClusterName = "my-cluster", VpcId = "vpc-0example", BackendSecurityGroupId = "sg-backend" };
        return new ServiceSnapshot
        {
            Stack = StackId.Service(service?.Metadata?.NamespaceProperty ?? "default", service?.Metadata?.Name ?? "echo"),
            Cluster = settings,
            Aws = ServiceGoldenCase.Sandbox(settings.ClusterName, aws ?? new AwsFacts(), ipv6),
            Service = service,
            SubnetIpv6Cidrs = ipv6,
        };
    }

    public static ServiceBuild Build(IDictionary<string, string>? annotations = null, params V1ServicePort[] ports) =>
        ServiceModelBuilder.Build(Snapshot(Service(annotations, ports)));
}
