using Serverless.Model;

namespace Serverless.Deploy.Tests.Infrastructure;

/// <summary>
/// One port of the test Service: a listener and its target group. TLS listeners get the world's first certificate
/// (both with <see cref="TwoCertificates"/>); health checks are TCP unless <see cref="HealthProtocol"/> says HTTP.
/// </summary>
public sealed record ServicePort(int Port, string Protocol = "TCP", string TargetType = "ip", int NodePort = 31000)
{
    public string? AlpnPolicy { get; init; }
    public bool TwoCertificates { get; init; }
    public string HealthProtocol { get; init; } = "TCP";
    public string? HealthPath { get; init; }
    public string HealthCodes { get; init; } = "200-399";
    public int HealthInterval { get; init; } = 10;
    public IReadOnlyDictionary<string, string> TargetGroupAttributes { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);
    public IReadOnlyDictionary<string, string> ListenerAttributes { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The target group protocol: the listener's, TCP behind a TLS listener (TLS terminated at the NLB).</summary>
    public string TargetProtocol => Protocol == "TLS" ? "TCP" : Protocol;
}

/// <summary>The shape of the test Service; <see cref="ServiceStacks.Build"/> turns it into a desired Service stack.</summary>
public sealed record ServiceShape
{
    public string Namespace { get; init; } = "default";
    public string Name { get; init; } = "shop";
    public string Scheme { get; init; } = "internet-facing";
    public IReadOnlyList<ServicePort> Ports { get; init; } = [new(80)];
    public bool SecurityGroups { get; init; } = true;

    /// <summary>ICMP type 3 code 4 (path MTU discovery) from anywhere on the managed SG.</summary>
    public bool Icmp { get; init; }
    public IReadOnlyDictionary<string, string> LoadBalancerAttributes { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);
    public IReadOnlyList<SubnetMappingSpec>? SubnetMappings { get; init; }
    public IReadOnlyList<string>? Subnets { get; init; }
    public string? EnforcePrivateLink { get; init; }
    public int IpTargets { get; init; } = 2;
    public int NodeCount { get; init; } = 3;
    public bool Empty { get; init; }
}

/// <summary>Builds desired Service stacks (NLB) by hand, the way a Service model builder would.</summary>
public static class ServiceStacks
{
    public static StackId Id(ServiceShape shape) => StackId.Service(shape.Namespace, shape.Name);

    public static string LoadBalancerName(ServiceShape shape, string scheme) =>
        $"k8s-{shape.Namespace}-{shape.Name}-{TestStacks.Hash(World.Cluster, "service", shape.Namespace, shape.Name, scheme)}";

    public static string TargetGroupId(ServiceShape shape, ServicePort port) => $"{shape.Namespace}/{shape.Name}:{port.Port}";

    public static Stack Build(World world, ServiceShape shape)
    {
        var id = Id(shape);
        var cluster = World.Cluster;
        SortedDictionary<string, string> Tags(string resource) => TrackingTags.For(cluster, id, resource);
        var knownNames = new[] { LoadBalancerName(shape, "internet-facing"), LoadBalancerName(shape, "internal") };
        if (shape.Empty)
            return new Stack { Id = id, ClusterName = cluster, KnownLoadBalancerNames = knownNames };

        var owner = $"{shape.Namespace}/{shape.Name}";
        var tgs = new List<TargetGroupSpec>();
        var sets = new List<TargetSetSpec>();
        var listeners = new List<ListenerSpec>();
        foreach (var p in shape.Ports)
        {
            var tgId = TargetGroupId(shape, p);
            var targetPort = p.TargetType == "instance" ? p.NodePort : 8080;
            var tg = new TargetGroupSpec
            {
                Id = tgId,
                // Target type and protocol are part of the name's hash, as upstream's: a change is a new group.
                Name = $"k8s-{shape.Namespace}-{shape.Name}-{TestStacks.Hash(cluster, tgId, p.TargetType, p.TargetProtocol, targetPort.ToString(System.Globalization.CultureInfo.InvariantCulture))}",
                TargetType = p.TargetType,
                Port = targetPort,
                Protocol = p.TargetProtocol,
                ProtocolVersion = null,
                HealthCheck = new HealthCheckSpec
                {
                    Protocol = p.HealthProtocol,
                    Path = p.HealthProtocol == "TCP" ? null : p.HealthPath ?? "/healthz",
                    HttpCode = p.HealthProtocol == "TCP" ? null : p.HealthCodes,
                    IntervalSeconds = p.HealthInterval,
                    TimeoutSeconds = p.HealthProtocol == "TCP" ? 10 : 6,
                    HealthyThresholdCount = 3,
                    UnhealthyThresholdCount = 3,
                },
                Attributes = p.TargetGroupAttributes,
                Tags = Tags(tgId),
                Owner = owner,
                Backend = $"{owner}:{p.Port}",
            };
            tgs.Add(tg);
            sets.Add(new TargetSetSpec
            {
                TargetGroupId = tgId,
                TargetType = p.TargetType,
                Targets = p.TargetType == "instance"
                    ? [.. world.Instances.Take(shape.NodeCount).Select(i => new TargetSpec(i, p.NodePort))]
                    : [.. Enumerable.Range(0, shape.IpTargets).Select(i => new TargetSpec($"10.0.1.{20 + i}", 8080))],
            });
            listeners.Add(new ListenerSpec
            {
                Port = p.Port,
                Protocol = p.Protocol,
                Certificates = p.Protocol == "TLS" ? (p.TwoCertificates ? [world.CertificateArn, world.SecondCertificateArn] : [world.CertificateArn]) : [],
                SslPolicy = p.Protocol == "TLS" ? "ELBSecurityPolicy-TLS13-1-2-2021-06" : null,
                AlpnPolicy = p.AlpnPolicy,
                DefaultActions = [new ActionSpec { Type = "forward", Forward = new ForwardActionSpec { TargetGroups = [new WeightedTargetGroup { TargetGroupArn = StringOrRef.To(ResourceRef.TargetGroupArn(tgId)) }] } }],
                Attributes = p.ListenerAttributes,
                Tags = Tags(ResourceIds.Listener(p.Port)),
            });
        }

        SecurityGroupSpec? managed = null;
        SecurityGroupSpec? backend = null;
        var nodeRules = new List<NodeSecurityGroupRulesSpec>();
        if (shape.SecurityGroups)
        {
            var ingress = new List<SecurityGroupRuleSpec>();
            foreach (var p in shape.Ports)
            {
                foreach (var protocol in Protocols(p.Protocol))
                    ingress.Add(new SecurityGroupRuleSpec { Protocol = protocol, FromPort = p.Port, ToPort = p.Port, CidrIpv4 = "0.0.0.0/0" });
                if (shape.Icmp)
                    ingress.Add(new SecurityGroupRuleSpec { Protocol = "icmp", FromPort = 3, ToPort = 4, CidrIpv4 = "0.0.0.0/0" });
            }
            managed = new SecurityGroupSpec
            {
                Id = ResourceIds.ManagedSecurityGroup,
                Name = $"k8s-{shape.Namespace}-{shape.Name}-{TestStacks.Hash(cluster, "service-sg", owner)}",
                Description = "[k8s] Managed SecurityGroup for LoadBalancer",
                Ingress = [.. ingress.Distinct()],
                Tags = Tags(ResourceIds.ManagedSecurityGroup),
            };
            backend = new SecurityGroupSpec
            {
                Id = ResourceIds.BackendSecurityGroup,
                Name = $"k8s-traffic-{cluster}-{TestStacks.Hash(cluster)}",
                Description = "[k8s] Shared Backend SecurityGroup for LoadBalancer",
                Tags = new SortedDictionary<string, string>(StringComparer.Ordinal) { [TrackingTags.Cluster] = cluster, [TrackingTags.BackendResource] = ResourceIds.BackendSecurityGroup },
            };
            var rules = shape.Ports.Where(static p => p.TargetType == "instance")
                .SelectMany(p => Protocols(p.TargetProtocol).Select(protocol => new SecurityGroupRuleSpec
                {
                    Protocol = protocol,
                    FromPort = p.NodePort,
                    ToPort = p.NodePort,
                    SourceSecurityGroup = StringOrRef.To(ResourceRef.BackendSecurityGroupId),
                    Description = TrackingTags.SharedNodeRuleDescription,
                })).ToList();
            if (rules.Count > 0)
                nodeRules.Add(new NodeSecurityGroupRulesSpec { SecurityGroupId = world.NodeSecurityGroupId, Rules = rules });
        }

        var subnets = shape.Subnets ?? [.. world.Subnets.Order(StringComparer.Ordinal)];
        return new Stack
        {
            Id = id,
            ClusterName = cluster,
            KnownLoadBalancerNames = knownNames,
            LoadBalancer = new LoadBalancerSpec
            {
                Name = LoadBalancerName(shape, shape.Scheme),
                Type = "network",
                Scheme = shape.Scheme,
                Subnets = subnets,
                SubnetMappings = shape.SubnetMappings ?? [],
                EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic = shape.EnforcePrivateLink,
                SecurityGroups = shape.SecurityGroups ? [StringOrRef.To(ResourceRef.ManagedSecurityGroupId), StringOrRef.To(ResourceRef.BackendSecurityGroupId)] : [],
                Attributes = shape.LoadBalancerAttributes,
                Tags = Tags(ResourceIds.LoadBalancer),
            },
            ManagedSecurityGroup = managed,
            BackendSecurityGroup = backend,
            NodeSecurityGroupRules = nodeRules,
            Listeners = listeners,
            TargetGroups = tgs,
            TargetSets = sets,
        };
    }

    /// <summary>The security group protocols a listener or target group protocol needs.</summary>
    private static string[] Protocols(string protocol) => protocol switch
    {
        "UDP" or "QUIC" => ["udp"],
        "TCP_UDP" or "TCP_QUIC" => ["tcp", "udp"],
        _ => ["tcp"],
    };

    /// <summary>An Ingress stack of the test world re-identified as the implicit group <c>namespace/name</c> (its tags follow).</summary>
    public static Stack AsImplicitGroup(Stack stack, string ns, string name)
    {
        var id = StackId.Implicit(ns, name);
        IReadOnlyDictionary<string, string> Retag(IReadOnlyDictionary<string, string> tags)
        {
            var copy = new SortedDictionary<string, string>(tags.ToDictionary(), StringComparer.Ordinal);
            if (copy.ContainsKey(TrackingTags.Stack))
                copy[TrackingTags.Stack] = id.ToString();
            return copy;
        }
        return stack with
        {
            Id = id,
            LoadBalancer = stack.LoadBalancer is { } lb ? lb with { Tags = Retag(lb.Tags) } : null,
            ManagedSecurityGroup = stack.ManagedSecurityGroup is { } sg ? sg with { Tags = Retag(sg.Tags) } : null,
            Listeners = [.. stack.Listeners.Select(l => l with { Tags = Retag(l.Tags) })],
            Rules = [.. stack.Rules.Select(r => r with { Tags = Retag(r.Tags) })],
            TargetGroups = [.. stack.TargetGroups.Select(t => t with { Tags = Retag(t.Tags) })],
        };
    }
}
