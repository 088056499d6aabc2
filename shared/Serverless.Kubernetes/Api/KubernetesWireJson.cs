using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Serverless.Kubernetes.Api;

/// <summary>
/// JSON metadata for exactly the Kubernetes types the controller reads from and writes to the API server, with the
/// client library's wire settings (camelCase, nulls left out, string enums, its date and duration converters).
/// The library's own context covers every Kubernetes type and, linked into a Native AOT binary, adds tens of
/// thousands of generic instantiations that the runtime must set up at every start.
/// </summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    Converters = [typeof(KubernetesJson.Iso8601TimeSpanConverter), typeof(KubernetesJson.KubernetesDateTimeConverter), typeof(KubernetesJson.KubernetesDateTimeOffsetConverter)])]
[JsonSerializable(typeof(V1IngressList))]
[JsonSerializable(typeof(V1Ingress))]
[JsonSerializable(typeof(V1IngressClassList))]
[JsonSerializable(typeof(V1NamespaceList))]
[JsonSerializable(typeof(V1ServiceList))]
[JsonSerializable(typeof(V1Service))]
[JsonSerializable(typeof(V1EndpointSliceList))]
[JsonSerializable(typeof(V1Secret))]
[JsonSerializable(typeof(V1NodeList))]
[JsonSerializable(typeof(V1Node))]
[JsonSerializable(typeof(Corev1Event))]
[JsonSerializable(typeof(V1Pod))]
[JsonSerializable(typeof(V1PodList))]
internal sealed partial class KubernetesWireJson : JsonSerializerContext;
