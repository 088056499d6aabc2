namespace Serverless.Aws.ElasticLoadBalancingV2.Model;

/// <summary>
/// The health check fields CreateTargetGroup and ModifyTargetGroup share (same names and types in the service
/// model), so one setter fills either request.
/// </summary>
public interface IHealthCheckSettings
{
    string? HealthCheckProtocol { get; set; }

    string? HealthCheckPort { get; set; }

    string? HealthCheckPath { get; set; }

    int? HealthCheckIntervalSeconds { get; set; }

    int? HealthCheckTimeoutSeconds { get; set; }

    int? HealthyThresholdCount { get; set; }

    int? UnhealthyThresholdCount { get; set; }

    Matcher? Matcher { get; set; }
}

public sealed partial class CreateTargetGroupRequest : IHealthCheckSettings;

public sealed partial class ModifyTargetGroupRequest : IHealthCheckSettings;
