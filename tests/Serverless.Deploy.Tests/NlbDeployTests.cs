using System.Text;
using System.Text.Json;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Deploy.Tests.Infrastructure;
using Serverless.Model;
using Serverless.Testing;
using ElbTag = Serverless.Aws.ElasticLoadBalancingV2.Model.Tag;

namespace Serverless.Deploy.Tests;

/// <summary>Service stacks (Network Load Balancers) against moto: create, converge, change, delete, isolation.</summary>
[Collection(MotoCollection.Name)]
public sealed class NlbDeployTests(MotoFixture fixture) : DeployTest(fixture)
{
    /// <summary>TCP with ip targets, TLS with instance targets and a certificate, TCP_UDP with instance targets.</summary>
    private static readonly ServiceShape ThreePorts = new()
    {
        Icmp = true,
        Ports =
        [
            new ServicePort(80, "TCP", "ip"),
            new ServicePort(443, "TLS", "instance", NodePort: 31443) { TwoCertificates = true, HealthProtocol = "HTTP", HealthPath = "/ready" },
            new ServicePort(53, "TCP_UDP", "instance", NodePort: 31053),
        ],
    };

    private Stack BuildService(ServiceShape shape) => ServiceStacks.Build(World, shape);

    [Fact]
    public async Task An_nlb_with_tcp_tls_and_tcp_udp_listeners_is_created_and_deploying_it_again_changes_nothing()
    {
        var stack = BuildService(ThreePorts);

        var created = await ConvergeAsync(stack);

        AssertCalls(created, "CreateLoadBalancer", 1);
        AssertCalls(created, "CreateListener", 3);
        AssertCalls(created, "CreateTargetGroup", 3);
        AssertCalls(created, "AddListenerCertificates", 1);
        AssertCalls(created, "DescribeRules", 0);
        Assert.Equal(StackKind.Service, created.StackKind);
        Assert.StartsWith("Applied for Service stack default/shop", PlanRenderer.RenderText(created), StringComparison.Ordinal);
        var snapshot = await OwnedSnapshotAsync();
        var name = ServiceStacks.LoadBalancerName(ThreePorts, "internet-facing");
        Assert.Contains($"LB {name} internet-facing network", snapshot, StringComparison.Ordinal);
        Assert.Contains(TrackingTags.ServiceStack + "=default/shop", snapshot, StringComparison.Ordinal);
        Assert.DoesNotContain(TrackingTags.Stack + "=", snapshot, StringComparison.Ordinal);
        Assert.Contains("  listener 53 TCP_UDP", snapshot, StringComparison.Ordinal);
        Assert.Contains($"  listener 443 TLS ELBSecurityPolicy-TLS13-1-2-2021-06 certs={string.Join(",", new[] { World.CertificateArn, World.SecondCertificateArn }.Order())}", snapshot, StringComparison.Ordinal);
        Assert.Contains(" ip TCP:8080 hc= ", snapshot, StringComparison.Ordinal);
        Assert.Contains(" instance TCP:31443 hc=/ready ", snapshot, StringComparison.Ordinal);
        Assert.Contains(" instance TCP_UDP:31053 hc= ", snapshot, StringComparison.Ordinal);
        // Managed SG: tcp and udp for the TCP_UDP port, ICMP type 3 code 4; node SG: udp for the TCP_UDP NodePort.
        Assert.Contains("udp/53-53/0.0.0.0/0", snapshot, StringComparison.Ordinal);
        Assert.Contains("icmp/3-4/0.0.0.0/0", snapshot, StringComparison.Ordinal);
        Assert.Contains("udp/31053-31053/", snapshot, StringComparison.Ordinal);

        // The same desired stack again: event-driven (checkpoint) and with a full drift check, nothing is written.
        NewDeployer();
        var again = await ApplyAsync(stack);
        AssertDone(again);
        AssertMutating(again, 0);
        Assert.True(again.CheckpointHit);
        NewDeployer();
        var full = await ApplyAsync(stack, full: true);
        AssertDone(full);
        AssertMutating(full, 0);
        AssertCalls(full, "DescribeRules", 0);
        Assert.DoesNotContain(full.Notes, static n => n.Contains("no known default", StringComparison.Ordinal));
        await AssertForeignUntouchedAsync();
    }

    [Fact]
    public async Task A_port_added_creates_its_listener_and_target_group_and_leaves_the_others_untouched()
    {
        var before = new ServiceShape { Ports = [new ServicePort(80, "TCP", "ip")] };
        var after = before with { Ports = [.. before.Ports, new ServicePort(8443, "TCP", "instance", NodePort: 31843)] };
        await ConvergeAsync(BuildService(before));
        var old = await OwnedSnapshotAsync();

        NewDeployer();
        var result = await ConvergeAsync(BuildService(after));

        AssertCalls(result, "CreateListener", 1);
        AssertCalls(result, "CreateTargetGroup", 1);
        AssertCalls(result, "ModifyListener", 0);
        AssertCalls(result, "ModifyTargetGroup", 0);
        AssertCalls(result, "DeleteListener", 0);
        AssertCalls(result, "DeleteTargetGroup", 0);
        var oldTg = ServiceStacks.TargetGroupId(before, before.Ports[0]);
        Assert.DoesNotContain(result.Changes, c => c.ResourceId is "80" || c.ResourceId == oldTg);
        var now = await OwnedSnapshotAsync();
        // The port-80 listener and its group read exactly as before.
        foreach (var line in old.Split('\n').Where(static l => l.StartsWith("  listener 80 ", StringComparison.Ordinal) || l.StartsWith("TG ", StringComparison.Ordinal)))
            Assert.Contains(line, now, StringComparison.Ordinal);
        Assert.Contains("  listener 8443 TCP", now, StringComparison.Ordinal);
        NewDeployer();
        AssertMutating(await ApplyAsync(BuildService(after), full: true), 0);
    }

    [Fact]
    public async Task A_health_check_change_is_made_in_place()
    {
        var before = new ServiceShape { Ports = [new ServicePort(80, "TCP", "ip")] };
        // moto keeps the matcher of a TCP group at 200 whatever ModifyTargetGroup asks (docs/deployer.md): ask for 200.
        var after = before with { Ports = [before.Ports[0] with { HealthProtocol = "HTTP", HealthPath = "/healthz", HealthCodes = "200", HealthInterval = 30 }] };
        await ConvergeAsync(BuildService(before));
        var arn = (await Inspect.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { Names = [BuildService(before).TargetGroups[0].Name] })).TargetGroups![0].TargetGroupArn;

        NewDeployer();
        var result = await ConvergeAsync(BuildService(after));

        AssertCalls(result, "ModifyTargetGroup", 1);
        AssertCalls(result, "CreateTargetGroup", 0);
        AssertCalls(result, "DeleteTargetGroup", 0);
        var tg = (await Inspect.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { TargetGroupArns = [arn!] })).TargetGroups![0];
        Assert.Equal("HTTP", tg.HealthCheckProtocol);
        Assert.Equal("/healthz", tg.HealthCheckPath);
        Assert.Equal(30, tg.HealthCheckIntervalSeconds);
        NewDeployer();
        AssertMutating(await ApplyAsync(BuildService(after), full: true), 0);
    }

    [Fact]
    public async Task Attributes_are_set_and_once_no_longer_desired_go_back_to_their_defaults()
    {
        var plain = new ServiceShape { Ports = [new ServicePort(80, "TCP", "ip")] };
        var set = plain with
        {
            LoadBalancerAttributes = Map(("load_balancing.cross_zone.enabled", "true"), ("dns_record.client_routing_policy", "availability_zone_affinity")),
            Ports =
            [
                plain.Ports[0] with
                {
                    TargetGroupAttributes = Map(("proxy_protocol_v2.enabled", "true"), ("deregistration_delay.timeout_seconds", "30"), ("preserve_client_ip.enabled", "true")),
                    ListenerAttributes = Map(("tcp.idle_timeout.seconds", "600")),
                },
            ],
        };
        await ConvergeAsync(BuildService(plain));

        // Each way: one Modify…Attributes per level, the values read back, and a full drift check that changes nothing.
        async Task ApplyAndCheckAsync(ServiceShape shape, string crossZone, string routing, string proxy, string delay, string idle)
        {
            NewDeployer();
            var applied = await ConvergeAsync(BuildService(shape));
            AssertCalls(applied, "ModifyLoadBalancerAttributes", 1);
            AssertCalls(applied, "ModifyTargetGroupAttributes", 1);
            AssertCalls(applied, "ModifyListenerAttributes", 1);
            var (lb, tg, listener) = await AttributesAsync(plain);
            Assert.Equal(crossZone, lb["load_balancing.cross_zone.enabled"]);
            Assert.Equal(routing, lb["dns_record.client_routing_policy"]);
            Assert.Equal(proxy, tg["proxy_protocol_v2.enabled"]);
            Assert.Equal(delay, tg["deregistration_delay.timeout_seconds"]);
            Assert.Equal(idle, listener["tcp.idle_timeout.seconds"]);
            // preserve_client_ip.enabled has no single default (target type and protocol): once set, left as set.
            Assert.Equal("true", tg["preserve_client_ip.enabled"]);
            NewDeployer();
            AssertMutating(await ApplyAsync(BuildService(shape), full: true), 0);
        }

        await ApplyAndCheckAsync(set, "true", "availability_zone_affinity", "true", "30", "600");
        await ApplyAndCheckAsync(plain, "false", "any_availability_zone", "false", "300", "350");
    }

    [Fact]
    public async Task The_empty_stack_deletes_its_nlb_and_nothing_of_a_foreign_an_in_tree_or_an_ingress_load_balancer()
    {
        // An Ingress stack whose group ID is the same string, default/shop, deployed by the same deployer.
        var ingress = ServiceStacks.AsImplicitGroup(Build(new GroupShape()), "default", "shop");
        await ConvergeAsync(ingress);
        var others = await OthersAsync();
        var service = BuildService(ThreePorts);
        NewDeployer();
        await ConvergeAsync(service);
        var before = await DescribeAsync(others);

        NewDeployer();
        var deleted = await ConvergeAsync(BuildService(ThreePorts with { Empty = true }));

        AssertCalls(deleted, "DeleteLoadBalancer", 1);
        AssertCalls(deleted, "DeleteListener", 3); // before their groups, which a listener would keep in use
        AssertCalls(deleted, "DeleteTargetGroup", 3);
        AssertCalls(deleted, "EC2:DeleteSecurityGroup", 1);
        Assert.Equal(before, await DescribeAsync(others));
        await AssertForeignUntouchedAsync();
        var left = await OwnedSnapshotAsync();
        Assert.DoesNotContain(TrackingTags.ServiceStack, left, StringComparison.Ordinal);
        Assert.DoesNotContain(ServiceStacks.LoadBalancerName(ThreePorts, "internet-facing"), left, StringComparison.Ordinal);
        // The Ingress stack still deploys to nothing new.
        NewDeployer();
        AssertMutating(await ApplyAsync(ingress, full: true), 0);
    }

    [Fact]
    public async Task An_ingress_stack_and_a_service_stack_of_the_same_name_never_see_each_others_resources()
    {
        var ingress = ServiceStacks.AsImplicitGroup(Build(new GroupShape()), "default", "shop");
        var service = BuildService(ThreePorts);
        Assert.Equal(ingress.Id.ToString(), service.Id.ToString());
        await ConvergeAsync(ingress);
        NewDeployer();
        await ConvergeAsync(service);

        // Each stack, fully compared, finds only its own: nothing to change, nothing foreign in its way.
        NewDeployer();
        var ingressAgain = await ApplyAsync(ingress, full: true);
        AssertMutating(ingressAgain, 0);
        Assert.DoesNotContain(ingressAgain.Changes, static c => c.Action == ChangeAction.SkippedForeign);
        NewDeployer();
        var serviceAgain = await ApplyAsync(service, full: true);
        AssertMutating(serviceAgain, 0);
        Assert.DoesNotContain(serviceAgain.Changes, static c => c.Action == ChangeAction.SkippedForeign);

        // Emptying the Ingress stack leaves the Service's NLB, groups and security group byte-identical.
        var serviceOwned = await ServiceResourcesAsync(service);
        NewDeployer();
        var gone = await ConvergeAsync(ingress with { LoadBalancer = null, Listeners = [], Rules = [], TargetGroups = [], TargetSets = [], ManagedSecurityGroup = null, BackendSecurityGroup = null, NodeSecurityGroupRules = [] });
        AssertCalls(gone, "DeleteLoadBalancer", 1);
        Assert.Equal(serviceOwned, await ServiceResourcesAsync(service));
        NewDeployer();
        AssertMutating(await ApplyAsync(service, full: true), 0);
    }

    private static SortedDictionary<string, string> Map(params (string Key, string Value)[] pairs) =>
        new(pairs.ToDictionary(static p => p.Key, static p => p.Value), StringComparer.Ordinal);

    private async Task<(Dictionary<string, string> Lb, Dictionary<string, string> Tg, Dictionary<string, string> Listener)> AttributesAsync(ServiceShape shape)
    {
        var stack = BuildService(shape);
        var lb = (await Inspect.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { Names = [stack.LoadBalancer!.Name] })).LoadBalancers![0];
        var tg = (await Inspect.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { Names = [stack.TargetGroups[0].Name] })).TargetGroups![0];
        var listener = (await Inspect.DescribeListenersAsync(new DescribeListenersRequest { LoadBalancerArn = lb.LoadBalancerArn })).Listeners![0];
        var lbAttrs = (await Inspect.DescribeLoadBalancerAttributesAsync(new DescribeLoadBalancerAttributesRequest { LoadBalancerArn = lb.LoadBalancerArn })).Attributes!;
        var tgAttrs = (await Inspect.DescribeTargetGroupAttributesAsync(new DescribeTargetGroupAttributesRequest { TargetGroupArn = tg.TargetGroupArn })).Attributes!;
        var lAttrs = (await Inspect.DescribeListenerAttributesAsync(new DescribeListenerAttributesRequest { ListenerArn = listener.ListenerArn })).Attributes!;
        return (lbAttrs.ToDictionary(static a => a.Key!, static a => a.Value!), tgAttrs.ToDictionary(static a => a.Key!, static a => a.Value!), lAttrs.ToDictionary(static a => a.Key!, static a => a.Value!));
    }

    /// <summary>A foreign NLB (no tags) and an in-tree provider's NLB, each with a TCP listener and group; plus the Ingress stack's ALB.</summary>
    private async Task<List<string>> OthersAsync()
    {
        var arns = new List<string>();
        async Task<string> NlbAsync(string name, List<ElbTag>? tags)
        {
            var lb = (await Inspect.CreateLoadBalancerAsync(new CreateLoadBalancerRequest { Name = name, Type = "network", Subnets = [.. World.Subnets], Tags = tags })).LoadBalancers![0].LoadBalancerArn!;
            var tg = (await Inspect.CreateTargetGroupAsync(new CreateTargetGroupRequest { Name = name + "-tg", Protocol = "TCP", Port = 31999, VpcId = World.VpcId, TargetType = "instance", Tags = tags })).TargetGroups![0].TargetGroupArn!;
            await Inspect.RegisterTargetsAsync(new RegisterTargetsRequest { TargetGroupArn = tg, Targets = [new TargetDescription { Id = World.Instances[4], Port = 31999 }] });
            await Inspect.CreateListenerAsync(new CreateListenerRequest { LoadBalancerArn = lb, Port = 80, Protocol = "TCP", DefaultActions = [new Aws.ElasticLoadBalancingV2.Model.Action { Type = "forward", TargetGroupArn = tg }] });
            arns.Add(tg);
            return lb;
        }
        arns.Add(await NlbAsync("foreign-nlb", null));
        arns.Add(await NlbAsync("a1b2c3d4e5f6in-tree", [new ElbTag { Key = "kubernetes.io/service-name", Value = "default/shop" }, new ElbTag { Key = "kubernetes.io/cluster/" + World.Cluster, Value = "owned" }]));
        var alb = (await Inspect.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { Names = [TestStacks.LoadBalancerName("shop", "internet-facing")] })).LoadBalancers![0].LoadBalancerArn!;
        arns.Add(alb);
        return arns;
    }

    /// <summary>Describe output of the given load balancers and target groups, their listeners, attributes, tags and targets.</summary>
    private async Task<string> DescribeAsync(IReadOnlyList<string> arns, string securityGroupStackKey = TrackingTags.Stack)
    {
        var sb = new StringBuilder();
        foreach (var arn in arns)
        {
            sb.AppendLine(JsonSerializer.Serialize((await Inspect.DescribeTagsAsync(new DescribeTagsRequest { ResourceArns = [arn] })).TagDescriptions));
            if (arn.Contains(":loadbalancer/", StringComparison.Ordinal))
            {
                sb.AppendLine(JsonSerializer.Serialize((await Inspect.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { LoadBalancerArns = [arn] })).LoadBalancers));
                sb.AppendLine(JsonSerializer.Serialize((await Inspect.DescribeLoadBalancerAttributesAsync(new DescribeLoadBalancerAttributesRequest { LoadBalancerArn = arn })).Attributes));
                foreach (var listener in (await Inspect.DescribeListenersAsync(new DescribeListenersRequest { LoadBalancerArn = arn })).Listeners ?? [])
                {
                    sb.AppendLine(JsonSerializer.Serialize(listener));
                    sb.AppendLine(JsonSerializer.Serialize((await Inspect.DescribeRulesAsync(new DescribeRulesRequest { ListenerArn = listener.ListenerArn })).Rules));
                }
                foreach (var tg in (await Inspect.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { LoadBalancerArn = arn })).TargetGroups ?? [])
                    sb.AppendLine(await DescribeGroupAsync(tg.TargetGroupArn!));
            }
            else
            {
                sb.AppendLine(await DescribeGroupAsync(arn));
            }
        }
        using var ec2 = World.Ec2Sdk(Moto);
        var groups = (await ec2.DescribeSecurityGroupsAsync(new Amazon.EC2.Model.DescribeSecurityGroupsRequest())).SecurityGroups
            .Where(g => (g.Tags ?? []).Any(t => t.Key == securityGroupStackKey)).OrderBy(static g => g.GroupId).ToList();
        Assert.NotEmpty(groups);
        sb.AppendLine(JsonSerializer.Serialize(groups));
        return sb.ToString();
    }

    private async Task<string> DescribeGroupAsync(string arn) =>
        JsonSerializer.Serialize((await Inspect.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { TargetGroupArns = [arn] })).TargetGroups)
        + JsonSerializer.Serialize((await Inspect.DescribeTargetGroupAttributesAsync(new DescribeTargetGroupAttributesRequest { TargetGroupArn = arn })).Attributes)
        + JsonSerializer.Serialize((await Inspect.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = arn })).TargetHealthDescriptions)
        + JsonSerializer.Serialize((await Inspect.DescribeTagsAsync(new DescribeTagsRequest { ResourceArns = [arn] })).TagDescriptions);

    /// <summary>The Service stack's NLB, groups and security groups, described.</summary>
    private async Task<string> ServiceResourcesAsync(Stack service)
    {
        var lb = (await Inspect.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { Names = [service.LoadBalancer!.Name] })).LoadBalancers![0].LoadBalancerArn!;
        return await DescribeAsync([lb], TrackingTags.ServiceStack);
    }
}
