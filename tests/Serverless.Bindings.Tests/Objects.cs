using k8s.Models;
using Serverless.Kubernetes.Bindings;
using Serverless.Kubernetes.Manifests;

namespace Serverless.Bindings.Tests;

/// <summary>Kubernetes objects for binding tests.</summary>
internal static class Objects
{
    public static TargetGroupBinding Binding(string spec, string name = "shop", string ns = "web")
    {
        var set = ManifestLoader.LoadText(BindingYaml(spec, name, ns));
        Assert.True(set.IsValid, string.Join("\n", set.Errors));
        return Assert.Single(set.TargetGroupBindings);
    }

    public static string BindingYaml(string spec, string name = "shop", string ns = "web") =>
        "apiVersion: elbv2.k8s.aws/v1beta1\nkind: TargetGroupBinding\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\nspec:\n"
        + string.Join("\n", spec.Split('\n').Select(static l => "  " + l.TrimEnd('\r'))) + "\n";

    public static V1Service Service(string type = "NodePort", string name = "shop", string ns = "web") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new V1ServiceSpec
        {
            Type = type,
            Ports =
            [
                new V1ServicePort { Name = "http", Port = 80, TargetPort = 8080, NodePort = type == "ClusterIP" ? null : 30080 },
                new V1ServicePort { Name = "admin", Port = 9000, TargetPort = 9090, NodePort = type == "ClusterIP" ? null : 30090 },
            ],
        },
    };

    /// <summary>An endpoint: address, pod name, ready, terminating.</summary>
    public sealed record Endpoint(string Address, string Pod, bool? Ready = true, bool? Terminating = false);

    public static V1EndpointSlice Slice(IEnumerable<Endpoint> endpoints, string service = "shop", string ns = "web", string family = "IPv4") => new()
    {
        Metadata = new V1ObjectMeta { Name = service + "-abc", NamespaceProperty = ns, Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service } },
        AddressType = family,
        Ports = [new Discoveryv1EndpointPort { Name = "http", Port = 8080 }, new Discoveryv1EndpointPort { Name = "admin", Port = 9090 }],
        Endpoints = [.. endpoints.Select(e => new V1Endpoint
        {
            Addresses = [e.Address],
            Conditions = new V1EndpointConditions { Ready = e.Ready, Terminating = e.Terminating },
            TargetRef = new V1ObjectReference { Kind = "Pod", Name = e.Pod, NamespaceProperty = ns },
        })],
    };

    public static V1Node Node(string instanceId, IDictionary<string, string>? labels = null, string ready = "True") => new()
    {
        Metadata = new V1ObjectMeta { Name = "node-" + instanceId, Labels = labels ?? new Dictionary<string, string>() },
        Spec = new V1NodeSpec { ProviderID = "aws:///us-east-1a/" + instanceId },
        Status = new V1NodeStatus { Conditions = [new V1NodeCondition { Type = "Ready", Status = ready }] },
    };
}
