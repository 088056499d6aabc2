using System.Text.Json.Serialization;

namespace Serverless.Kubernetes.Bindings;

/// <summary>
/// Source-generated JSON metadata for the binding records (no reflection, Native AOT safe): the form logs, plans and
/// run reports show a binding in. Reading a binding from the API server goes through <see cref="TargetGroupBindingParser"/>,
/// which checks every field.
/// </summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TargetGroupBinding))]
public sealed partial class TargetGroupBindingJson : JsonSerializerContext;
