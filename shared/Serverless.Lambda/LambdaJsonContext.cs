using System.Text.Json.Serialization;
using Serverless.Lambda.Events;

namespace Serverless.Lambda;

/// <summary>Source-generated JSON for every event and response type (Native AOT: no reflection).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SqsEvent))]
[JsonSerializable(typeof(SqsBatchResponse))]
[JsonSerializable(typeof(EventBridgeEvent))]
[JsonSerializable(typeof(SpotInterruptionDetail))]
[JsonSerializable(typeof(RebalanceRecommendationDetail))]
[JsonSerializable(typeof(StateChangeDetail))]
[JsonSerializable(typeof(LifecycleActionDetail))]
[JsonSerializable(typeof(HealthEventDetail))]
public sealed partial class LambdaJsonContext : JsonSerializerContext;
