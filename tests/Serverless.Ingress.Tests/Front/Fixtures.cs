using k8s.Models;
using Serverless.Model;

namespace Serverless.Ingress.Tests.Front;

/// <summary>Kubernetes objects, AWS facts and snapshots for the front-half tests, built in code.</summary>
internal static class F
{
    public const string Alb = "alb";
    public const string Prefix = Annotations.Prefix;

    public static ClusterSettings Cluster { get; } = new() { ClusterName = "prod", VpcId = "vpc-1" };

    /// <summary>An Ingress. Annotations are given as <c>suffix=value</c> pairs for ALB ones, or full keys containing a slash.</summary>
    public static V1Ingress Ing(
        string ns,
        string name,
        IDictionary<string, string>? annotations = null,
        string? className = Alb,
        IList<string>? finalizers = null,
        bool deleted = false,
        bool rules = false,
        bool defaultBackend = false)
    {
        var full = new Dictionary<string, string>();
        foreach (var (key, value) in annotations ?? new Dictionary<string, string>())
            full[key.Contains('/', StringComparison.Ordinal) ? key : Prefix + key] = value;
        return new V1Ingress
        {
            Metadata = new V1ObjectMeta
            {
                NamespaceProperty = ns,
                Name = name,
                Annotations = full,
                Finalizers = finalizers,
                DeletionTimestamp = deleted ? new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) : null,
            },
            Spec = new V1IngressSpec
            {
                IngressClassName = className,
                Rules = rules
                    ? [new V1IngressRule
                    {
                        Host = name + ".example.com",
                        Http = new V1HTTPIngressRuleValue
                        {
                            Paths = [new V1HTTPIngressPath { Path = "/", PathType = "Prefix", Backend = Backend("svc") }],
                        },
                    }]
                    : null,
                DefaultBackend = defaultBackend ? Backend("default-svc") : null,
            },
        };
    }

    public static V1IngressBackend Backend(string service) =>
        new() { Service = new V1IngressServiceBackend { Name = service, Port = new V1ServiceBackendPort { Number = 80 } } };

    public static Dictionary<string, string> A(params (string Key, string Value)[] pairs) =>
        pairs.ToDictionary(static p => p.Key, static p => p.Value);

    public static V1IngressClass Class(
        string name = Alb,
        string controller = ClassSelection.Controller,
        string? paramsName = null,
        bool isDefault = false,
        string apiGroup = ClassSelection.ParamsApiGroup,
        string kind = ClassSelection.ParamsKind) => new()
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                Annotations = isDefault ? new Dictionary<string, string> { [Annotations.IsDefaultClass] = "true" } : null,
            },
            Spec = new V1IngressClassSpec
            {
                Controller = controller,
                Parameters = paramsName is null ? null : new V1IngressClassParametersReference { ApiGroup = apiGroup, Kind = kind, Name = paramsName },
            },
        };

    public static V1Namespace Namespace(string name, params (string Key, string Value)[] labels) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels.ToDictionary(static l => l.Key, static l => l.Value) },
    };

    public static SubnetFact Subnet(string id, string zone, params (string Key, string Value)[] tags) => new()
    {
        Id = id,
        AvailabilityZone = zone,
        Tags = tags.ToDictionary(static t => t.Key, static t => t.Value),
    };

    /// <summary>Two subnets in two zones, tagged for both schemes: discovery always works.</summary>
    public static AwsFacts Facts { get; } = new()
    {
        Subnets =
        [
            Subnet("subnet-a", "us-east-1a", ("kubernetes.io/role/elb", "1"), ("kubernetes.io/role/internal-elb", "1"), ("Name", "first")),
            Subnet("subnet-b", "us-east-1b", ("kubernetes.io/role/elb", ""), ("kubernetes.io/role/internal-elb", ""), ("Name", "second")),
        ],
        SecurityGroups =
        [
            new SecurityGroupFact { Id = "sg-1", Tags = new Dictionary<string, string> { ["Name"] = "web" } },
            new SecurityGroupFact { Id = "sg-2" },
            new SecurityGroupFact { Id = "sg-3" },
            new SecurityGroupFact { Id = "sg-4" },
            new SecurityGroupFact { Id = "sg-5" },
        ],
        NodeSecurityGroupIds = ["sg-node"],
    };

    public static GroupSnapshot Snapshot(StackId group, params V1Ingress[] ingresses) => new()
    {
        Group = group,
        Cluster = Cluster,
        Aws = Facts,
        Ingresses = ingresses,
        IngressClasses = [Class()],
    };

    public static StackId Group(string name = "shared") => StackId.Explicit(name);

    public static string Finalizer(string group = "shared") => GroupKeys.ExplicitFinalizerPrefix + group;

    /// <summary>Builds with canned back-half results (members with rules or a default backend need one) and no rule optimization.</summary>
    public static Stack Build(GroupSnapshot snapshot, IDictionary<string, MemberRules>? backends = null) =>
        StackAssembler.Build(snapshot, new BuilderSeams(
            (_, member, _) => backends is not null && backends.TryGetValue(member.Key, out var rules)
                ? rules
                : throw new InvalidOperationException("no canned rules for " + member.Key),
            static (rules, _) => rules));

    public static Stack Build(GroupSnapshot snapshot, Func<BuildContext, GroupMember, IReadOnlyList<ListenerPort>, MemberRules> backend) =>
        StackAssembler.Build(snapshot, new BuilderSeams(backend, static (rules, _) => rules));

    /// <summary>Canned rules: <paramref name="count"/> rules per port for <paramref name="owner"/>.</summary>
    public static MemberRules Rules(string owner, int count, params int[] ports)
    {
        var byPort = new Dictionary<int, IReadOnlyList<RuleDraft>>();
        foreach (var port in ports.DefaultIfEmpty(80))
        {
            byPort[port] = [.. Enumerable.Range(0, count).Select(i => new RuleDraft(
                [new ConditionSpec { Field = "path-pattern", Values = ["/" + owner + "/" + i] }],
                [new ActionSpec { Type = "fixed-response", FixedResponse = new FixedResponseActionSpec { StatusCode = "200" } }],
                [],
                owner))];
        }
        return new MemberRules { RulesByPort = byPort };
    }

    public static TargetGroupSpec TargetGroup(string id, string owner) => new()
    {
        Id = id,
        Name = "k8s-" + id.Replace('/', '-').Replace(':', '-'),
        TargetType = "ip",
        Port = 8080,
        Protocol = "HTTP",
        ProtocolVersion = "HTTP1",
        HealthCheck = new HealthCheckSpec { Protocol = "HTTP", Path = "/" },
        Owner = owner,
        Backend = owner + "/svc:80",
    };

    public static IngressOutcome Outcome(this Stack stack, string key) => stack.Ingresses.Single(i => i.Key == key);

    public static string Errors(this IngressOutcome outcome) => string.Join("\n", outcome.Errors.Select(static e => e.ToString()));
}
