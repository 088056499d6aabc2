using System.Security.Cryptography;
using System.Text;
using Serverless.Model;

namespace Serverless.Deploy.Tests.Infrastructure;

/// <summary>A backend of the test group: one Service port of one member Ingress.</summary>
public sealed record Backend(string Owner, string Service, string TargetType = "instance", int NodePort = 30080, string HealthPath = "/healthz", string Protocol = "HTTP");

/// <summary>A path of the test group: a member's path forwarding to a backend.</summary>
public sealed record PathRule(string Owner, string Path, string Service);

/// <summary>The shape of the test group; <see cref="TestStacks.Build"/> turns it into a desired stack as the builder would.</summary>
public sealed record GroupShape
{
    public string Group { get; init; } = "shop";
    public string Scheme { get; init; } = "internet-facing";
    public bool Https { get; init; }
    public bool SslRedirect { get; init; }
    public bool TwoCertificates { get; init; }
    public IReadOnlyList<string> Members { get; init; } = ["default/web"];
    public IReadOnlyList<string> Frozen { get; init; } = [];
    public IReadOnlyList<string> Leaving { get; init; } = [];
    public IReadOnlyList<Backend> Backends { get; init; } = [new("default/web", "web")];
    public IReadOnlyList<PathRule> Paths { get; init; } = [new("default/web", "/web/*", "web")];
    public int NodeCount { get; init; } = 5;

    /// <summary>Pod IPs behind each ip-mode backend (10.0.1.10 onwards).</summary>
    public int IpTargets { get; init; } = 3;
    public IReadOnlyDictionary<string, string> LoadBalancerAttributes { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);
    public IReadOnlyDictionary<string, string> TargetGroupAttributes { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);
    public bool Empty { get; init; }

    /// <summary><c>wafv2-acl-arn</c>: an ARN, <c>none</c>, or null (annotation absent).</summary>
    public string? Wafv2AclArn { get; init; }

    /// <summary>This shape with one more backend of default/web, "extra" on node port 30050, its path /extra/* in front.</summary>
    public GroupShape WithExtraPathInFront() => this with
    {
        Backends = [.. Backends, new Backend("default/web", "extra", NodePort: 30050)],
        Paths = [new PathRule("default/web", "/extra/*", "extra"), .. Paths],
    };

    /// <summary>This shape with its first backend switched to ip targets (a target group replacement).</summary>
    public GroupShape WithFirstBackendIp() => this with { Backends = [Backends[0] with { TargetType = "ip" }, .. Backends.Skip(1)] };

    /// <summary>The reference group of the benchmark: HTTP+HTTPS, 10 backends, 10 paths on each listener (20 rules), 5 nodes.</summary>
    public static GroupShape Reference(int backends = 10) => new()
    {
        Https = true,
        Members = ["default/web", "default/api"],
        Backends = [.. Enumerable.Range(0, backends).Select(i => new Backend(i % 2 == 0 ? "default/web" : "default/api", $"svc{i}", NodePort: 30000 + i))],
        Paths = [.. Enumerable.Range(0, backends).Select(i => new PathRule(i % 2 == 0 ? "default/web" : "default/api", $"/svc{i}/*", $"svc{i}"))],
    };
}

/// <summary>Builds desired stacks the way the Ingress builder does (names, tags, dense priorities, frozen blocks).</summary>
public static class TestStacks
{
    public static string Hash(params string[] parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("|", parts))))[..10];

    public static string LoadBalancerName(string group, string scheme) => $"k8s-{group}-{Hash(World.Cluster, group, scheme)}";

    public static Stack Build(World world, GroupShape shape)
    {
        var id = StackId.Explicit(shape.Group);
        var cluster = World.Cluster;
        SortedDictionary<string, string> Tags(string resource, string? owner = null)
        {
            var tags = TrackingTags.For(cluster, id, resource);
            if (owner is not null)
                tags[TrackingTags.OwnerIngress] = owner;
            return tags;
        }
        var knownNames = new[] { LoadBalancerName(shape.Group, "internet-facing"), LoadBalancerName(shape.Group, "internal") };
        var ingresses = shape.Members.Select((m, i) => new IngressOutcome
        {
            Namespace = m.Split('/')[0],
            Name = m.Split('/')[1],
            State = shape.Frozen.Contains(m) ? IngressState.Frozen : IngressState.Active,
            Order = i,
            Errors = shape.Frozen.Contains(m) ? [new BuildError("Ingress " + m, "annotation alb.ingress.kubernetes.io/scheme", "bogus", "must be internal or internet-facing")] : [],
        }).Concat(shape.Leaving.Select(m => new IngressOutcome { Namespace = m.Split('/')[0], Name = m.Split('/')[1], State = IngressState.Leaving })).ToList();
        if (shape.Empty)
        {
            return new Stack { Id = id, ClusterName = cluster, KnownLoadBalancerNames = knownNames, Ingresses = ingresses };
        }
        var active = shape.Members.Where(m => !shape.Frozen.Contains(m)).ToList();
        var backends = shape.Backends.Where(b => active.Contains(b.Owner)).ToList();
        var tgs = backends.Select(b =>
        {
            var (ns, name) = (b.Owner.Split('/')[0], b.Owner.Split('/')[1]);
            var tgId = ResourceIds.TargetGroup(ns, name, b.Service, "80");
            var port = b.TargetType == "instance" ? b.NodePort : 8080;
            return new TargetGroupSpec
            {
                Id = tgId,
                // The backend protocol is part of the name's hash (as upstream's), so changing it replaces the group.
                Name = $"k8s-{ns}-{(b.Service.Length > 8 ? b.Service[..8] : b.Service)}-{(b.Protocol == "HTTP" ? Hash(cluster, shape.Group, tgId, b.TargetType, port.ToString()) : Hash(cluster, shape.Group, tgId, b.TargetType, port.ToString(), b.Protocol))}",
                TargetType = b.TargetType,
                Port = port,
                Protocol = b.Protocol,
                ProtocolVersion = "HTTP1",
                HealthCheck = new HealthCheckSpec { Protocol = "HTTP", Path = b.HealthPath },
                Attributes = shape.TargetGroupAttributes,
                Tags = Tags(tgId, b.Owner),
                Owner = b.Owner,
                Backend = $"{ns}/{b.Service}:80",
            };
        }).ToList();
        var sets = backends.Zip(tgs).Select(p => new TargetSetSpec
        {
            TargetGroupId = p.Second.Id,
            TargetType = p.First.TargetType,
            Targets = p.First.TargetType == "instance"
                ? [.. world.Instances.Take(shape.NodeCount).Select(i => new TargetSpec(i, p.First.NodePort))]
                : [.. Enumerable.Range(0, shape.IpTargets).Select(i => new TargetSpec($"10.0.1.{10 + i}", 8080))],
        }).ToList();

        var ports = new List<(int Port, string Protocol)>();
        if (!shape.Https || !shape.SslRedirect)
            ports.Add((80, "HTTP"));
        if (shape.Https)
            ports.Add((443, "HTTPS"));
        if (shape.Https && shape.SslRedirect)
            ports.Insert(0, (80, "HTTP"));
        var listeners = new List<ListenerSpec>();
        var rules = new List<ListenerRuleSpec>();
        var frozenBlocks = new List<FrozenRuleBlock>();
        foreach (var (port, protocol) in ports)
        {
            var redirect = shape.SslRedirect && port == 80;
            listeners.Add(new ListenerSpec
            {
                Port = port,
                Protocol = protocol,
                Certificates = protocol == "HTTPS" ? (shape.TwoCertificates ? [world.CertificateArn, world.SecondCertificateArn] : [world.CertificateArn]) : [],
                SslPolicy = protocol == "HTTPS" ? "ELBSecurityPolicy-2016-08" : null,
                DefaultActions = redirect
                    ? [new ActionSpec { Type = "redirect", Redirect = new RedirectActionSpec { Port = "443", Protocol = "HTTPS", StatusCode = "HTTP_301" } }]
                    : [new ActionSpec { Type = "fixed-response", FixedResponse = new FixedResponseActionSpec { StatusCode = "404", ContentType = "text/plain" } }],
                Tags = Tags(ResourceIds.Listener(port)),
            });
            if (redirect)
                continue;
            var priority = 0;
            foreach (var member in shape.Members)
            {
                if (shape.Frozen.Contains(member))
                {
                    frozenBlocks.Add(new FrozenRuleBlock { Port = port, Owner = member, AfterPriority = priority });
                    continue;
                }
                foreach (var path in shape.Paths.Where(p => p.Owner == member))
                {
                    priority++;
                    var tg = tgs.First(t => t.Id == ResourceIds.TargetGroup(member.Split('/')[0], member.Split('/')[1], path.Service, "80"));
                    rules.Add(new ListenerRuleSpec
                    {
                        Port = port,
                        Priority = priority,
                        Owner = member,
                        Conditions = [new ConditionSpec { Field = "path-pattern", Values = [path.Path] }],
                        Actions = [new ActionSpec { Type = "forward", Forward = new ForwardActionSpec { TargetGroups = [new WeightedTargetGroup { TargetGroupArn = StringOrRef.To(ResourceRef.TargetGroupArn(tg.Id)) }] } }],
                        Tags = Tags(ResourceIds.ListenerRule(port, priority), member),
                    });
                }
            }
        }

        var managedSg = new SecurityGroupSpec
        {
            Id = ResourceIds.ManagedSecurityGroup,
            Name = $"k8s-{shape.Group}-{Hash(cluster, shape.Group)}",
            Description = "[k8s] Managed SecurityGroup for LoadBalancer",
            Ingress = [.. ports.Select(static p => new SecurityGroupRuleSpec { FromPort = p.Port, ToPort = p.Port, CidrIpv4 = "0.0.0.0/0" })],
            Tags = Tags(ResourceIds.ManagedSecurityGroup),
        };
        var backendTags = new SortedDictionary<string, string>(StringComparer.Ordinal) { [TrackingTags.Cluster] = cluster, [TrackingTags.BackendResource] = ResourceIds.BackendSecurityGroup };
        var backendSg = new SecurityGroupSpec
        {
            Id = ResourceIds.BackendSecurityGroup,
            Name = $"k8s-traffic-{cluster}-{Hash(cluster)}",
            Description = "[k8s] Shared Backend SecurityGroup for LoadBalancer",
            Tags = backendTags,
        };
        var nodePorts = tgs.Where(static t => t.TargetType == "instance").Select(static t => t.Port).ToList();
        var nodeRules = nodePorts.Count == 0 ? [] : new List<NodeSecurityGroupRulesSpec>
        {
            new()
            {
                SecurityGroupId = world.NodeSecurityGroupId,
                Rules = [new SecurityGroupRuleSpec { FromPort = nodePorts.Min(), ToPort = nodePorts.Max(), SourceSecurityGroup = StringOrRef.To(ResourceRef.BackendSecurityGroupId), Description = "elbv2.k8s.aws/targetGroupBinding=shared" }],
            },
        };
        var lbName = LoadBalancerName(shape.Group, shape.Scheme);
        return new Stack
        {
            Id = id,
            ClusterName = cluster,
            KnownLoadBalancerNames = knownNames,
            LoadBalancer = new LoadBalancerSpec
            {
                Name = lbName,
                Scheme = shape.Scheme,
                Subnets = [.. world.Subnets.Order(StringComparer.Ordinal)],
                SecurityGroups = [StringOrRef.To(ResourceRef.ManagedSecurityGroupId), StringOrRef.To(ResourceRef.BackendSecurityGroupId)],
                Attributes = shape.LoadBalancerAttributes,
                Tags = Tags(ResourceIds.LoadBalancer),
                Wafv2AclArn = shape.Wafv2AclArn,
            },
            ManagedSecurityGroup = managedSg,
            BackendSecurityGroup = backendSg,
            NodeSecurityGroupRules = nodeRules,
            Listeners = listeners,
            Rules = rules,
            FrozenRules = frozenBlocks,
            TargetGroups = tgs,
            TargetSets = sets,
            Ingresses = ingresses,
        };
    }
}
