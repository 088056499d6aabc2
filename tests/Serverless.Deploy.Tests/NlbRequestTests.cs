using System.Collections.Concurrent;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Deploy.Tests.Infrastructure;
using Serverless.Model;
using Serverless.Testing;
using ElbTag = Serverless.Aws.ElasticLoadBalancingV2.Model.Tag;

namespace Serverless.Deploy.Tests;

/// <summary>
/// The NLB paths moto does not emulate (docs/deployer.md, "Network Load Balancers"), checked on the requests the
/// deployer sends: subnet mappings with addresses, a TCP listener turned TLS with ALPN, PrivateLink enforcement, an NLB
/// created without security groups. And the replacement of a load balancer of the other type, which moto does emulate.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class NlbRequestTests(MotoFixture fixture) : DeployTest(fixture)
{
    private readonly ConcurrentQueue<CapturedRequest> _requests = new();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Capture();
    }

    private void Capture(Func<CapturedRequest, HttpResponseMessage?>? answer = null) => Canned = r =>
    {
        _requests.Enqueue(r);
        return answer?.Invoke(r);
    };

    private List<CapturedRequest> Sent(string operation) => [.. _requests.Where(r => r.Operation == operation)];

    private Stack BuildService(ServiceShape shape) => ServiceStacks.Build(World, shape);

    [Fact]
    public async Task Subnet_mappings_with_elastic_ips_go_in_the_create_call_and_an_added_subnet_in_set_subnets()
    {
        var one = new ServiceShape
        {
            Subnets = [World.Subnets[0]],
            SubnetMappings = [new SubnetMappingSpec { SubnetId = World.Subnets[0], AllocationId = "eipalloc-0a1" }],
        };
        await ConvergeAsync(BuildService(one));

        var create = Assert.Single(Sent("CreateLoadBalancer")).Form;
        Assert.Equal("network", create["Type"]);
        Assert.Equal(World.Subnets[0], create["SubnetMappings.member.1.SubnetId"]);
        Assert.Equal("eipalloc-0a1", create["SubnetMappings.member.1.AllocationId"]);
        Assert.Null(create["Subnets.member.1"]);

        var two = one with
        {
            Subnets = [.. World.Subnets.Order(StringComparer.Ordinal)],
            SubnetMappings = [.. World.Subnets.Order(StringComparer.Ordinal).Select((s, i) => new SubnetMappingSpec { SubnetId = s, AllocationId = $"eipalloc-0a{i + 1}" })],
        };
        NewDeployer();
        var added = await ConvergeAsync(BuildService(two));

        AssertCalls(added, "SetSubnets", 1);
        AssertCalls(added, "CreateLoadBalancer", 0);
        var set = Assert.Single(Sent("SetSubnets")).Form;
        var mapped = new[] { 1, 2 }.Select(i => (set[$"SubnetMappings.member.{i}.SubnetId"], set[$"SubnetMappings.member.{i}.AllocationId"])).ToList();
        Assert.Equal(World.Subnets.Order(StringComparer.Ordinal).Select((s, i) => ((string?)s, (string?)$"eipalloc-0a{i + 1}")), mapped);
        NewDeployer();
        AssertMutating(await ApplyAsync(BuildService(two), full: true), 0);
    }

    [Fact]
    public async Task A_tcp_listener_turned_tls_is_modified_in_place_with_its_policy_certificate_and_alpn()
    {
        var tcp = new ServiceShape { Ports = [new ServicePort(443, "TCP", "ip")] };
        await ConvergeAsync(BuildService(tcp));
        var tls = tcp with { Ports = [tcp.Ports[0] with { Protocol = "TLS", AlpnPolicy = "HTTP2Preferred", TwoCertificates = true }] };
        // moto's ModifyListener refuses TLS: answer as AWS does, with the listener modified.
        Capture(r => r.Operation == "ModifyListener"
            ? CannedResponseHandler.Xml("<ModifyListenerResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\"><ModifyListenerResult><Listeners><member><ListenerArn>" + r.Form["ListenerArn"] + "</ListenerArn><Protocol>TLS</Protocol><Port>443</Port></member></Listeners></ModifyListenerResult><ResponseMetadata><RequestId>canned</RequestId></ResponseMetadata></ModifyListenerResponse>")
            : null);

        NewDeployer();
        var result = await ApplyAsync(BuildService(tls));

        AssertDone(result);
        AssertCalls(result, "ModifyListener", 1);
        AssertCalls(result, "CreateListener", 0);
        AssertCalls(result, "DeleteListener", 0);
        var modify = Assert.Single(Sent("ModifyListener")).Form;
        Assert.Equal("TLS", modify["Protocol"]);
        Assert.Equal("ELBSecurityPolicy-TLS13-1-2-2021-06", modify["SslPolicy"]);
        Assert.Equal(World.CertificateArn, modify["Certificates.member.1.CertificateArn"]);
        Assert.Equal("HTTP2Preferred", modify["AlpnPolicy.member.1"]);
        Assert.Null(modify["Certificates.member.2.CertificateArn"]);
        var extra = Assert.Single(Sent("AddListenerCertificates")).Form;
        Assert.Equal(World.SecondCertificateArn, extra["Certificates.member.1.CertificateArn"]);
        var change = Assert.Single(result.Changes, static c => c.ResourceType == ResourceTypes.Listener);
        Assert.Equal(ChangeAction.Modify, change.Action);
        Assert.Contains(change.Fields, static f => f.Field == "alpnPolicy" && f.After == "HTTP2Preferred");
    }

    [Fact]
    public async Task A_tls_listener_is_created_with_its_alpn_policy()
    {
        var tls = new ServiceShape { Ports = [new ServicePort(443, "TLS", "ip") { AlpnPolicy = "HTTP2Optional" }] };

        await ConvergeAsync(BuildService(tls));

        var create = Assert.Single(Sent("CreateListener")).Form;
        Assert.Equal("TLS", create["Protocol"]);
        Assert.Equal("HTTP2Optional", create["AlpnPolicy.member.1"]);
        Assert.Equal(World.CertificateArn, create["Certificates.member.1.CertificateArn"]);
        Assert.Empty(Sent("DescribeRules"));
    }

    [Fact]
    public async Task Private_link_enforcement_is_set_with_the_security_groups()
    {
        var off = new ServiceShape { EnforcePrivateLink = "off" };

        var created = await ConvergeAsync(BuildService(off));

        // CreateLoadBalancer cannot carry it: SetSecurityGroups right after, with the same groups.
        AssertCalls(created, "SetSecurityGroups", 1);
        var create = Assert.Single(Sent("CreateLoadBalancer")).Form;
        var set = Assert.Single(Sent("SetSecurityGroups")).Form;
        Assert.Equal("off", set["EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"]);
        Assert.Equal(create["SecurityGroups.member.1"], set["SecurityGroups.member.1"]);
        Assert.Equal(create["SecurityGroups.member.2"], set["SecurityGroups.member.2"]);
        Assert.NotNull(set["SecurityGroups.member.2"]);
    }

    [Fact]
    public async Task Security_groups_for_an_nlb_created_without_them_are_blocked_not_replaced()
    {
        var bare = new ServiceShape { SecurityGroups = false };
        await ConvergeAsync(BuildService(bare));
        Assert.Null(Assert.Single(Sent("CreateLoadBalancer")).Form["SecurityGroups.member.1"]);

        NewDeployer();
        var result = await ApplyAsync(BuildService(bare with { SecurityGroups = true }));

        Assert.Equal(ReconcileKind.Failed, result.Reconcile.Kind);
        Assert.Contains("created without security groups", result.Reconcile.Reason, StringComparison.Ordinal);
        var blocked = Assert.Single(result.Changes, static c => c.Action == ChangeAction.Blocked);
        Assert.Equal(ResourceTypes.LoadBalancer, blocked.ResourceType);
        AssertCalls(result, "SetSecurityGroups", 0);
        AssertCalls(result, "DeleteLoadBalancer", 0);
        AssertCalls(result, "CreateLoadBalancer", 0);
        Assert.Empty(Sent("SetSecurityGroups"));
    }

    [Fact]
    public async Task A_load_balancer_of_the_other_type_under_the_name_is_replaced()
    {
        var shape = new ServiceShape();
        var stack = BuildService(shape);
        // An ALB of this Service stack under the NLB's name (as if the stack were an ALB before).
        var tags = stack.LoadBalancer!.Tags.Select(static t => new ElbTag { Key = t.Key, Value = t.Value }).ToList();
        await Inspect.CreateLoadBalancerAsync(new CreateLoadBalancerRequest { Name = stack.LoadBalancer.Name, Subnets = [.. World.Subnets], Tags = tags });

        var result = await ConvergeAsync(stack);

        AssertCalls(result, "DeleteLoadBalancer", 1);
        AssertCalls(result, "CreateLoadBalancer", 1);
        Assert.Contains(result.Changes, static c => c.Action == ChangeAction.Replace && c.ResourceType == ResourceTypes.LoadBalancer);
        var lb = (await Inspect.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { Names = [stack.LoadBalancer.Name] })).LoadBalancers!.Single();
        Assert.Equal("network", lb.Type);
        // Delete first, then create (a target group belongs to one load balancer; the name is the same).
        var order = _requests.Select(static r => r.Operation).Where(static o => o is "DeleteLoadBalancer" or "CreateLoadBalancer").ToList();
        Assert.Equal(["DeleteLoadBalancer", "CreateLoadBalancer"], order);
    }

    [Fact]
    public async Task A_plan_shows_the_nlb_its_subnet_mappings_and_listeners_without_calling_anything_mutating()
    {
        var shape = new ServiceShape
        {
            Icmp = true,
            SubnetMappings = [.. World.Subnets.Order(StringComparer.Ordinal).Select((s, i) => new SubnetMappingSpec { SubnetId = s, PrivateIpv4Address = $"10.0.{i + 1}.50" })],
            Scheme = "internal",
            Ports = [new ServicePort(443, "TLS", "ip") { AlpnPolicy = "HTTP2Preferred" }, new ServicePort(53, "UDP", "instance", NodePort: 31053)],
        };

        var plan = await PlanAsync(BuildService(shape));

        AssertMutating(plan, 0);
        var text = PlanRenderer.RenderText(plan);
        Assert.StartsWith("Plan for Service stack default/shop", text, StringComparison.Ordinal);
        Assert.True(text.Contains("type: (none) -> \"network\"", StringComparison.Ordinal), text);
        Assert.Contains($"subnetMappings: (none) -> \"{World.Subnets.Order(StringComparer.Ordinal).First()}(ipv4=10.0.1.50)", text, StringComparison.Ordinal);
        Assert.Contains("alpnPolicy: (none) -> \"HTTP2Preferred\"", text, StringComparison.Ordinal);
        Assert.Contains("protocol: (none) -> \"UDP\"", text, StringComparison.Ordinal);
        Assert.Contains("ingress icmp type 3 code 4 from 0.0.0.0/0", text, StringComparison.Ordinal);
        Assert.Contains("ingress udp 53-53 from 0.0.0.0/0", text, StringComparison.Ordinal);
        Assert.Contains("healthCheck: (none) -> \"TCP traffic-port every 10s timeout 10s healthy 3 unhealthy 3\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("protocolVersion", text, StringComparison.Ordinal);
        Assert.Contains("\"stackKind\": \"service\"", PlanRenderer.RenderJson(plan), StringComparison.Ordinal);
    }
}
