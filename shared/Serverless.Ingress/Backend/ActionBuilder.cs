using System.Globalization;
using System.Text.Json.Nodes;
using k8s.Models;
using Serverless.Model;

namespace Serverless.Ingress.Backend;

/// <summary>What a backend routes to, before target groups are built (upstream's <c>Action</c> config).</summary>
internal abstract record BackendAction;

internal sealed record FixedResponseBackendAction(FixedResponseActionSpec Spec) : BackendAction;

internal sealed record RedirectBackendAction(RedirectActionSpec Spec) : BackendAction;

/// <summary>A forward; <paramref name="Field"/> and <paramref name="Value"/> name where it was written, for errors.</summary>
internal sealed record ForwardBackendAction(
    IReadOnlyList<ForwardTarget> Targets,
    bool? StickinessEnabled,
    int? StickinessDurationSeconds,
    string Field,
    string? Value) : BackendAction;

/// <summary>One target group of a forward: a literal ARN, a target group name, or a Service port (as written, numbers normalized).</summary>
internal sealed record ForwardTarget(string? TargetGroupArn, string? TargetGroupName, string? ServiceName, string? ServicePort, int? Weight);

/// <summary>
/// A backend resolved as upstream's enhanced backend builder does: its extra conditions, its action (with the 503
/// fallbacks), its transforms and its authentication settings.
/// </summary>
/// <param name="ServiceName"><c>backend.service.name</c> (the key of the <c>actions.</c>, <c>conditions.</c> and <c>transforms.</c> annotations).</param>
/// <param name="AnnotationConditions">The conditions of <c>conditions.&lt;service&gt;</c>.</param>
/// <param name="Action">The routing action.</param>
/// <param name="Transforms">The transforms of <c>transforms.&lt;service&gt;</c>.</param>
/// <param name="Auth">The authentication settings.</param>
internal sealed record ResolvedBackend(
    string ServiceName,
    IReadOnlyList<ConditionSpec> AnnotationConditions,
    BackendAction Action,
    IReadOnlyList<TransformSpec> Transforms,
    AuthConfig Auth);

/// <summary>
/// Backends to actions (upstream's <c>enhanced_backend_builder.go</c> and <c>model_build_actions.go</c>): a plain
/// Service port forwards to that Service's target group; <c>port.name: use-annotation</c> takes the action from
/// <c>actions.&lt;service&gt;</c> (<c>fixed-response</c>, <c>redirect</c>, <c>forward</c>). A missing Service is an
/// error on the Ingress; a missing action annotation becomes a fixed 503, as upstream tolerates by default. On HTTPS listeners the authentication
/// action comes first.
/// </summary>
internal static class ActionBuilder
{
    /// <summary>The magic <c>service.port.name</c> that takes the action from <c>actions.&lt;service&gt;</c>.</summary>
    public const string UseAnnotation = "use-annotation";

    public const string BackendActionMissing = "Backend action does not exist";

    /// <summary>ALB: at most 5 target groups per forward action.</summary>
    public const int MaxForwardTargetGroups = 5;

    private static readonly string[] ContentTypes = ["text/plain", "text/css", "text/html", "application/javascript", "application/json"];

    /// <summary>Resolves the backend written at <paramref name="field"/> (e.g. <c>spec.rules[0].http.paths[1].backend</c>).</summary>
    public static ResolvedBackend Resolve(MemberBackend member, V1IngressBackend? backend, string field)
    {
        var service = backend?.Service
            ?? throw member.Invalid(field + ".service", null, "a service backend is required (resource backends are not supported)");
        var serviceName = service.Name;
        if (string.IsNullOrEmpty(serviceName))
            throw member.Invalid(field + ".service.name", serviceName, "is required");
        if (AwsLimits.DnsLabel(serviceName) is { } nameProblem)
            throw member.Invalid(field + ".service.name", serviceName, nameProblem);
        var ingress = member.Member.Annotations;

        var conditions = ConditionAnnotations.Parse(ingress, serviceName);

        BackendAction action;
        if (service.Port?.Name == UseAnnotation)
        {
            action = ParseActionAnnotation(ingress, serviceName);
        }
        else
        {
            var port = !string.IsNullOrEmpty(service.Port?.Name)
                ? service.Port.Name
                : (service.Port?.Number ?? 0).ToString(CultureInfo.InvariantCulture);
            if (member.Service(serviceName) is null)
                throw member.Invalid(field + ".service.name", serviceName, $"Service {member.Member.Namespace}/{serviceName} does not exist");
            action = new ForwardBackendAction([new ForwardTarget(null, null, serviceName, port, null)], null, null, field + ".service.port", port);
        }

        action = CheckServices(member, action);

        // Forwarding to one Service: that Service's auth annotations win over the Ingress's (upstream's buildAuthConfig).
        var authReader = ingress;
        if (action is ForwardBackendAction { Targets: [{ ServiceName: { } single }] } && member.Service(single) is { } singleService)
            authReader = ingress.Under(ServiceReader(singleService));
        var auth = AuthBuilder.Parse(authReader, ingress);

        var transforms = TransformAnnotations.Parse(ingress, serviceName);
        return new ResolvedBackend(serviceName, conditions, action, transforms, auth);
    }

    /// <summary>The actions of a rule (or default action) on <paramref name="listener"/>: authentication on HTTPS, then the routing action.</summary>
    public static IReadOnlyList<ActionSpec> BuildActions(MemberBackend member, ResolvedBackend backend, ListenerPort listener)
    {
        var actions = new List<ActionSpec>(2);
        if (string.Equals(listener.Protocol, "HTTPS", StringComparison.Ordinal) && AuthBuilder.BuildAction(member, backend.Auth) is { } auth)
            actions.Add(auth);
        actions.Add(BuildBackendAction(member, backend.Action));
        if (actions.Count > 1)
        {
            for (var i = 0; i < actions.Count; i++)
                actions[i] = actions[i] with { Order = i + 1 };
        }
        return actions;
    }

    /// <summary>An annotation reader over a Service's annotations, errors naming <c>Service ns/name</c>.</summary>
    public static AnnotationReader ServiceReader(V1Service service) =>
        new($"Service {service.Metadata.NamespaceProperty}/{service.Metadata.Name}", service.Metadata.Annotations);

    private static ActionSpec BuildBackendAction(MemberBackend member, BackendAction action)
    {
        switch (action)
        {
            case FixedResponseBackendAction fixedResponse:
                return new ActionSpec { Type = "fixed-response", FixedResponse = fixedResponse.Spec };
            case RedirectBackendAction redirect:
                return new ActionSpec { Type = "redirect", Redirect = redirect.Spec };
            case ForwardBackendAction forward:
                var groups = new List<WeightedTargetGroup>(forward.Targets.Count);
                foreach (var target in forward.Targets)
                    groups.Add(new WeightedTargetGroup { TargetGroupArn = ResolveTarget(member, forward, target), Weight = target.Weight });
                return new ActionSpec
                {
                    Type = "forward",
                    Forward = new ForwardActionSpec
                    {
                        TargetGroups = groups,
                        StickinessEnabled = forward.StickinessEnabled ?? false,
                        StickinessDurationSeconds = forward.StickinessDurationSeconds,
                    },
                };
            default:
                throw new InvalidOperationException("unknown backend action " + action.GetType().Name);
        }
    }

    private static StringOrRef ResolveTarget(MemberBackend member, ForwardBackendAction forward, ForwardTarget target)
    {
        if (target.TargetGroupArn is not null)
            return StringOrRef.Of(target.TargetGroupArn);
        if (target.TargetGroupName is not null)
        {
            return member.Context.Snapshot.Aws.TargetGroupArnsByName.TryGetValue(target.TargetGroupName, out var arn)
                ? StringOrRef.Of(arn)
                : throw member.Invalid(forward.Field, forward.Value, $"target group \"{target.TargetGroupName}\" (targetGroupName) does not exist");
        }
        var service = member.Service(target.ServiceName!)
            ?? throw member.Invalid(forward.Field, forward.Value, $"Service {member.Member.Namespace}/{target.ServiceName} does not exist");
        var id = TargetGroupBuilder.Build(member, service, target.ServicePort!, forward.Field, forward.Value);
        return StringOrRef.To(ResourceRef.TargetGroupArn(id));
    }

    /// <summary>
    /// Upstream's <c>loadBackendServices</c>, without its tolerance: a forward to a Service that does not exist is an
    /// error on the Ingress (it is frozen, keeping what it had), not a fixed 503 that would replace its rules.
    /// </summary>
    private static BackendAction CheckServices(MemberBackend member, BackendAction action)
    {
        if (action is not ForwardBackendAction forward)
            return action;
        foreach (var name in forward.Targets.Select(static t => t.ServiceName).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            if (AwsLimits.DnsLabel(name) is { } nameProblem)
                throw member.Invalid(forward.Field, forward.Value, $"serviceName \"{name}\" {nameProblem}");
            if (member.Service(name) is null)
                throw member.Invalid(forward.Field, forward.Value, $"Service {member.Member.Namespace}/{name} does not exist");
        }
        return action;
    }

    private static FixedResponseBackendAction Fixed503(string body) =>
        new(new FixedResponseActionSpec { StatusCode = "503", ContentType = "text/plain", MessageBody = body });

    /// <summary><c>actions.&lt;service&gt;</c>: upstream's <c>Action</c> JSON, the simplified forward schema normalized.</summary>
    private static BackendAction ParseActionAnnotation(AnnotationReader ingress, string serviceName)
    {
        var suffix = Annotations.ActionsPrefix + serviceName;
        var json = ingress.Json(suffix);
        if (json is null)
            return Fixed503(BackendActionMissing);
        var field = "annotation " + Annotations.Prefix + suffix;
        var raw = ingress.String(suffix);
        try
        {
            var obj = GoJson.Object(json, string.Empty);
            var type = GoJson.String(obj, "type", string.Empty);
            return type switch
            {
                "fixed-response" => ParseFixedResponse(obj),
                "redirect" => ParseRedirect(obj),
                "forward" => ParseForward(obj, field, raw),
                _ => throw new JsonShapeException("type", $"unknown action type \"{type}\": must be fixed-response, redirect or forward"),
            };
        }
        catch (JsonShapeException ex)
        {
            throw ingress.Invalid(suffix, ex.Describe());
        }
    }

    private static FixedResponseBackendAction ParseFixedResponse(JsonObject obj)
    {
        const string at = "fixedResponseConfig";
        var config = GoJson.OptionalObject(obj, at, string.Empty) ?? throw new JsonShapeException(at, "is required for type fixed-response");
        var statusCode = GoJson.String(config, "statusCode", at);
        if (statusCode.Length == 0)
            throw new JsonShapeException(at + ".statusCode", "is required");
        if (!(statusCode.Length == 3 && statusCode[0] is '2' or '4' or '5' && char.IsAsciiDigit(statusCode[1]) && char.IsAsciiDigit(statusCode[2])))
            throw new JsonShapeException(at + ".statusCode", $"\"{statusCode}\" is not a 2XX, 4XX or 5XX status code");
        var contentType = GoJson.OptionalString(config, "contentType", at);
        if (contentType is not null && !ContentTypes.Contains(contentType, StringComparer.Ordinal))
            throw new JsonShapeException(at + ".contentType", $"\"{contentType}\" is not one of {string.Join(", ", ContentTypes)}");
        return new FixedResponseBackendAction(new FixedResponseActionSpec
        {
            StatusCode = statusCode,
            ContentType = contentType,
            MessageBody = GoJson.OptionalString(config, "messageBody", at),
        });
    }

    private static RedirectBackendAction ParseRedirect(JsonObject obj)
    {
        const string at = "redirectConfig";
        var config = GoJson.OptionalObject(obj, at, string.Empty) ?? throw new JsonShapeException(at, "is required for type redirect");
        var statusCode = GoJson.String(config, "statusCode", at);
        if (statusCode.Length == 0)
            throw new JsonShapeException(at + ".statusCode", "is required");
        if (statusCode is not ("HTTP_301" or "HTTP_302"))
            throw new JsonShapeException(at + ".statusCode", $"\"{statusCode}\" must be HTTP_301 or HTTP_302");
        return new RedirectBackendAction(new RedirectActionSpec
        {
            Host = GoJson.OptionalString(config, "host", at),
            Path = GoJson.OptionalString(config, "path", at),
            Port = GoJson.OptionalString(config, "port", at),
            Protocol = GoJson.OptionalString(config, "protocol", at),
            Query = GoJson.OptionalString(config, "query", at),
            StatusCode = statusCode,
        });
    }

    private static ForwardBackendAction ParseForward(JsonObject obj, string field, string? raw)
    {
        var arn = GoJson.OptionalString(obj, "targetGroupARN", string.Empty);
        var name = GoJson.OptionalString(obj, "targetGroupName", string.Empty);
        var config = GoJson.OptionalObject(obj, "forwardConfig", string.Empty);
        if (arn is null && name is null && config is null)
            throw new JsonShapeException("forwardConfig", "a forward needs forwardConfig, targetGroupARN or targetGroupName");
        if ((arn is not null || name is not null) && config is not null)
            throw new JsonShapeException("forwardConfig", "give either forwardConfig or targetGroupARN/targetGroupName, not both");
        if (config is null)
            return new ForwardBackendAction([new ForwardTarget(arn, name, null, null, null)], null, null, field, raw);

        const string at = "forwardConfig";
        var node = GoJson.Field(config, "targetGroups");
        var array = node is null ? new JsonArray() : GoJson.Array(node, at + ".targetGroups");
        if (array.Count == 0)
            throw new JsonShapeException(at + ".targetGroups", "cannot be empty");
        if (array.Count > MaxForwardTargetGroups)
            throw new JsonShapeException(at + ".targetGroups", $"has {array.Count} target groups; ALB forwards to at most {MaxForwardTargetGroups}");
        var targets = new List<ForwardTarget>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            var where = $"{at}.targetGroups[{i}]";
            var tuple = GoJson.Object(array[i], where);
            var tupleArn = GoJson.OptionalString(tuple, "targetGroupARN", where);
            var tupleName = GoJson.OptionalString(tuple, "targetGroupName", where);
            var serviceName = GoJson.OptionalString(tuple, "serviceName", where);
            var servicePort = GoJson.OptionalIntOrString(tuple, "servicePort", where);
            var weight = GoJson.OptionalInt32(tuple, "weight", where);
            if (tupleArn is null && tupleName is null && serviceName is null)
                throw new JsonShapeException(where, "missing serviceName or targetGroupARN/targetGroupName");
            if ((tupleArn is not null || tupleName is not null) && serviceName is not null)
                throw new JsonShapeException(where, "give either serviceName or targetGroupARN/targetGroupName, not both");
            if (serviceName is not null && servicePort is null)
                throw new JsonShapeException(where + ".servicePort", "is required with serviceName");
            if (array.Count > 1 && weight is null)
                throw new JsonShapeException(where + ".weight", "must be set when routing to several target groups");
            if (weight is < 0 or > 999)
                throw new JsonShapeException(where + ".weight", $"{weight} is not within 0..999");
            targets.Add(new ForwardTarget(tupleArn, tupleName, serviceName, servicePort, weight));
        }

        bool? enabled = null;
        int? duration = null;
        if (GoJson.OptionalObject(config, "targetGroupStickinessConfig", at) is { } stickiness)
        {
            const string where = at + ".targetGroupStickinessConfig";
            enabled = GoJson.OptionalBool(stickiness, "enabled", where);
            duration = GoJson.OptionalInt32(stickiness, "durationSeconds", where);
            if (duration is < 1 or > 604800)
                throw new JsonShapeException(where + ".durationSeconds", $"{duration} is not within 1..604800");
        }
        return new ForwardBackendAction(targets, enabled, duration, field, raw);
    }
}
