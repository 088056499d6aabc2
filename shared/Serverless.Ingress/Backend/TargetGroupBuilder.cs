using System.Globalization;
using k8s.Models;
using Serverless.Model;

namespace Serverless.Ingress.Backend;

/// <summary>
/// One target group per (Ingress, Service, port as written), as upstream's <c>model_build_target_group.go</c>:
/// settings from the Service's annotations over the Ingress's, IngressClassParams <c>targetType</c> over both.
/// </summary>
internal static class TargetGroupBuilder
{
    public const string Instance = "instance";
    public const string Ip = "ip";
    public const string TrafficPort = "traffic-port";

    private const string Http = "HTTP";
    private const string Https = "HTTPS";
    private const string Grpc = "GRPC";

    /// <summary>
    /// Builds (once) the target group of <paramref name="service"/> port <paramref name="port"/> (a number or a name,
    /// as written), with its targets; returns its resource ID. <paramref name="field"/>/<paramref name="value"/>
    /// name the Ingress field that refers to it.
    /// </summary>
    public static string Build(MemberBackend member, V1Service service, string port, string field, string? value)
    {
        var ingress = member.Member;
        var id = ResourceIds.TargetGroup(ingress.Namespace, ingress.Name, service.Metadata.Name, port);
        if (member.HasTargetGroup(id))
            return id;

        var serviceKey = $"{service.Metadata.NamespaceProperty}/{service.Metadata.Name}";
        var servicePort = ServicePorts.Lookup(service, port)
            ?? throw member.Invalid(field, value, $"Service {serviceKey} has no port {port}");
        var serviceReader = ActionBuilder.ServiceReader(service);
        var reader = ingress.Annotations.Under(serviceReader);

        var targetType = TargetType(member, reader);
        var protocol = OneOf(reader, Annotations.BackendProtocol, Http, Http, Https);
        var protocolVersion = OneOf(reader, Annotations.BackendProtocolVersion, "HTTP1", "HTTP1", "HTTP2", Grpc);
        var grpc = protocolVersion == Grpc;
        var healthCheckPort = HealthCheckPort(reader, service, targetType);
        var successCodes = reader.String(Annotations.SuccessCodes) ?? (grpc ? "12" : "200");
        if (AwsLimits.SuccessCodes(successCodes, grpc) is { } codesProblem)
            throw reader.Invalid(Annotations.SuccessCodes, codesProblem + (grpc ? " (backend-protocol-version is GRPC)" : string.Empty));
        var path = reader.String(Annotations.HealthCheckPath) ?? (grpc ? "/AWS.ALB/healthcheck" : "/");
        if (AwsLimits.HealthCheckPath(path) is { } pathProblem)
            throw reader.Invalid(Annotations.HealthCheckPath, pathProblem);
        var interval = (int)(reader.Int(Annotations.HealthCheckIntervalSeconds, 5, 300) ?? 15);
        var timeout = (int)(reader.Int(Annotations.HealthCheckTimeoutSeconds, 2, 120) ?? 5);
        if (timeout >= interval)
        {
            var suffix = reader.Has(Annotations.HealthCheckTimeoutSeconds) ? Annotations.HealthCheckTimeoutSeconds : Annotations.HealthCheckIntervalSeconds;
            throw reader.Invalid(suffix, string.Create(CultureInfo.InvariantCulture,
                $"the health check timeout ({timeout}s) must be smaller than the interval ({interval}s)"));
        }
        var healthCheck = new HealthCheckSpec
        {
            Port = healthCheckPort,
            Protocol = OneOf(reader, Annotations.HealthCheckProtocol, protocol, Http, Https),
            Path = path,
            IntervalSeconds = interval,
            TimeoutSeconds = timeout,
            HealthyThresholdCount = (int)(reader.Int(Annotations.HealthyThresholdCount, 2, 10) ?? 2),
            UnhealthyThresholdCount = (int)(reader.Int(Annotations.UnhealthyThresholdCount, 2, 10) ?? 2),
            HttpCode = grpc ? null : successCodes,
            GrpcCode = grpc ? successCodes : null,
        };
        var attributes = reader.StringMap(Annotations.TargetGroupAttributes) ?? new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (attributeKey, attributeValue) in attributes)
        {
            if (AwsLimits.TargetGroupAttribute(attributeKey, attributeValue) is { } attributeProblem)
                throw reader.Invalid(Annotations.TargetGroupAttributes, $"attribute {attributeKey}={attributeValue}: {attributeProblem}");
        }
        var targetControlPort = TargetControlPort(reader, service, port, targetType);

        // Upstream: a Service with an IPv6 family gets an ipv6 target group, which needs a dual-stack load balancer
        // (checked once the group's ip-address-type is known).
        var ipAddressType = service.Spec?.IpFamilies?.Contains("IPv6") == true ? "ipv6" : "ipv4";
        // A named targetPort may differ per pod; upstream uses 1 for an ip target group, which is not in the data path.
        var numericTargetPort = targetType == Instance ? null : ServicePorts.NumericTargetPort(servicePort);
        var tgPort = targetType == Instance ? NodePort(service, servicePort, field) : numericTargetPort ?? 1;

        var cluster = member.Context.Cluster;
        var name = Naming.TargetGroupName(
            cluster.ClusterName,
            member.Context.Stack,
            ingress.Namespace,
            ingress.Name,
            service.Metadata.NamespaceProperty,
            service.Metadata.Name,
            service.Metadata.Uid ?? string.Empty,
            port,
            tgPort,
            targetType,
            protocol,
            protocolVersion,
            targetControlPort);

        IReadOnlyList<TargetSpec> targets;
        var trafficPorts = new List<int>();
        if (targetType == Instance)
        {
            targets = TargetBuilder.Instances(member.Context, tgPort, reader.StringMap(Annotations.TargetNodeLabels));
            trafficPorts.Add(tgPort);
        }
        else
        {
            // The target group's name is the name of its Pods' readiness gate.
            targets = TargetBuilder.PodIps(member.Context, service, servicePort, ipAddressType, name);
            trafficPorts.AddRange(numericTargetPort is { } p ? [p] : targets.Select(static t => t.Port));
        }
        if (healthCheckPort != TrafficPort)
            trafficPorts.Add(int.Parse(healthCheckPort, CultureInfo.InvariantCulture));

        var spec = new TargetGroupSpec
        {
            Id = id,
            Name = name,
            TargetType = targetType,
            Port = tgPort,
            Protocol = protocol,
            ProtocolVersion = protocolVersion,
            IpAddressType = ipAddressType,
            HealthCheck = healthCheck,
            Attributes = attributes,
            Tags = member.Context.Tags(id, UserTags(member, serviceReader), ingress.Key),
            Owner = ingress.Key,
            Backend = $"{serviceKey}:{port}",
        };
        member.AddTargetGroup(spec, new TargetSetSpec { TargetGroupId = id, TargetType = targetType, Targets = targets }, trafficPorts);
        return id;
    }

    /// <summary>IngressClassParams <c>targetType</c>, else <c>target-type</c> (Service over Ingress), else <c>--default-target-type</c>.</summary>
    private static string TargetType(MemberBackend member, AnnotationReader reader)
    {
        if (member.Member.Params is { TargetType: { } fromParams } @params)
        {
            return fromParams is Instance or Ip
                ? fromParams
                : throw new InvalidInputException(new BuildError($"IngressClassParams {@params.Name}", "spec.targetType", fromParams, "must be instance or ip"));
        }
        return OneOf(reader, Annotations.TargetType, member.Context.Cluster.DefaultTargetType, Instance, Ip);
    }

    /// <summary>
    /// Upstream's <c>target-control-port.&lt;service&gt;.&lt;port as written&gt;</c> (Service over Ingress): not applied
    /// to the target group, but part of its name, so a target group upstream created with it keeps its name. Not
    /// allowed with target-type instance, as upstream.
    /// </summary>
    private static int? TargetControlPort(AnnotationReader reader, V1Service service, string port, string targetType)
    {
        var suffix = $"{Annotations.TargetControlPortPrefix}{service.Metadata.Name}.{port}";
        if (reader.Int(suffix, int.MinValue, int.MaxValue) is not { } value)
            return null;
        return targetType == Instance
            ? throw reader.Invalid(suffix, "target control port is not supported for instance target target group")
            : (int)value;
    }

    private static string OneOf(AnnotationReader reader, string suffix, string fallback, params string[] allowed)
    {
        var value = reader.String(suffix);
        if (value is null)
            return fallback;
        return allowed.Contains(value, StringComparer.Ordinal)
            ? value
            : throw reader.Invalid(suffix, "must be " + string.Join(" or ", allowed));
    }

    /// <summary>
    /// <c>healthcheck-port</c>: <c>traffic-port</c> (default), a number, or a Service port name resolved to its
    /// NodePort (instance) or numeric targetPort (ip; a named targetPort cannot be used, as upstream).
    /// </summary>
    private static string HealthCheckPort(AnnotationReader reader, V1Service service, string targetType)
    {
        var raw = reader.String(Annotations.HealthCheckPort);
        if (raw is null || raw == TrafficPort)
            return TrafficPort;
        if (int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            return number is >= 1 and <= 65535
                ? number.ToString(CultureInfo.InvariantCulture)
                : throw reader.Invalid(Annotations.HealthCheckPort, "must be traffic-port, a port number 1..65535 or a Service port name");
        }
        var named = ServicePorts.Lookup(service, raw)
            ?? throw reader.Invalid(Annotations.HealthCheckPort,
                $"Service {service.Metadata.NamespaceProperty}/{service.Metadata.Name} has no port named {raw}");
        if (targetType == Instance)
        {
            return named.NodePort is > 0
                ? named.NodePort.Value.ToString(CultureInfo.InvariantCulture)
                : throw reader.Invalid(Annotations.HealthCheckPort, $"Service port {raw} has no nodePort");
        }
        return ServicePorts.NumericTargetPort(named) is { } targetPort
            ? targetPort.ToString(CultureInfo.InvariantCulture)
            : throw reader.Invalid(Annotations.HealthCheckPort,
                "cannot use a named healthcheck port with target-type ip when the Service port's targetPort is itself a name");
    }

    /// <summary>Instance mode: the Service must be NodePort or LoadBalancer, and the port must have a nodePort.</summary>
    private static int NodePort(V1Service service, V1ServicePort servicePort, string field)
    {
        var description = $"Service {service.Metadata.NamespaceProperty}/{service.Metadata.Name}";
        var type = service.Spec?.Type ?? "ClusterIP";
        if (type is not ("NodePort" or "LoadBalancer"))
        {
            throw new InvalidInputException(new BuildError(description, "spec.type", type,
                $"service type must be either 'NodePort' or 'LoadBalancer' for target-type instance (used by {field}); or use {Annotations.Prefix}{Annotations.TargetType}: ip"));
        }
        if (servicePort.NodePort is not > 0)
        {
            var index = service.Spec!.Ports!.IndexOf(servicePort);
            throw new InvalidInputException(new BuildError(description, $"spec.ports[{index}].nodePort", null,
                $"port {servicePort.Name ?? servicePort.Port.ToString(CultureInfo.InvariantCulture)} has no nodePort, so the target group would have no port (used by {field})"));
        }
        return servicePort.NodePort.Value;
    }

    /// <summary>
    /// User tags of a target group: IngressClassParams <c>tags</c> over (Service <c>tags</c> over Ingress <c>tags</c>);
    /// none may use an <c>--external-managed-tags</c> key. <c>--default-tags</c> and tracking tags are added by
    /// <see cref="BuildContext.Tags"/>.
    /// </summary>
    private static SortedDictionary<string, string> UserTags(MemberBackend member, AnnotationReader serviceReader)
    {
        var ingressReader = member.Member.Annotations;
        var tags = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (reader, map) in new[] { (ingressReader, ingressReader.StringMap(Annotations.Tags)), (serviceReader, serviceReader.StringMap(Annotations.Tags)) })
        {
            foreach (var (key, value) in map ?? new Dictionary<string, string>())
            {
                if (member.Context.Cluster.ExternalManagedTags.Contains(key, StringComparer.Ordinal))
                    throw reader.Invalid(Annotations.Tags, $"tag key {key} is managed externally (--external-managed-tags) and cannot be set");
                tags[key] = value;
            }
        }
        if (member.Member.Params is { Tags: { } classTags } @params)
        {
            foreach (var (key, value) in classTags)
            {
                if (member.Context.Cluster.ExternalManagedTags.Contains(key, StringComparer.Ordinal))
                {
                    throw new InvalidInputException(new BuildError($"IngressClassParams {@params.Name}", "spec.tags", key,
                        "this tag key is managed externally (--external-managed-tags) and cannot be set"));
                }
                tags[key] = value;
            }
        }
        return tags;
    }
}

/// <summary>Service port lookups with Kubernetes semantics.</summary>
public static class ServicePorts
{
    /// <summary>The Service port <paramref name="port"/> refers to: by <c>port</c> when it is a number, else by <c>name</c>.</summary>
    public static V1ServicePort? Lookup(V1Service service, string port)
    {
        var ports = service.Spec?.Ports ?? [];
        if (int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            return ports.FirstOrDefault(p => p.Port == number);
        return ports.FirstOrDefault(p => string.Equals(p.Name, port, StringComparison.Ordinal));
    }

    /// <summary>The numeric targetPort (defaulting to <c>port</c> when unset, as the API server does); null when it is a name.</summary>
    public static int? NumericTargetPort(V1ServicePort servicePort)
    {
        var raw = servicePort.TargetPort?.Value;
        if (string.IsNullOrEmpty(raw))
            return servicePort.Port;
        return int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : null;
    }
}
