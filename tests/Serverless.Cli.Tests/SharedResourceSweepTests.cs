using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Deploy;
using Serverless.Model;
using Serverless.Reconcile;
using Serverless.Testing;

namespace Serverless.Cli.Tests;

/// <summary>
/// Node security group rules are shared by every stack (each only adds), so a destroyed group leaves its port open
/// until the cluster-wide sweep of the replay removes it — and only it.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class SharedResourceSweepTests(MotoFixture fixture)
{
    private readonly MotoServer _moto = fixture.Server;

    [Fact]
    public async Task The_sweep_revokes_only_the_node_rules_no_target_group_needs_then_the_backend_SG_goes_with_the_last_LB()
    {
        const string cluster = "e2e-sweep";
        string[] common = ["--aws-endpoint", _moto.Endpoint, "--seed", "--cluster-name", cluster, "--output", "json"];
        string Example(string name) => Path.Combine(RepoPaths.Root, "examples", name);
        var clusterYaml = Path.Combine(RepoPaths.Root, "examples", "cluster.yaml");
        Assert.Equal(ExitCodes.Ok, await RunAsync(["apply", "-f", clusterYaml, "-f", Example("echoserver"), "-f", Example("weighted"), .. common]));

        var options = _moto.ClientOptions();
        using var ec2 = Ec2Gateway.Create(options);
        using var elb = new ElasticLoadBalancingV2Client(options);
        var vpc = (await ec2.FindSubnetsAsync([Ec2Filter.Tag("kubernetes.io/cluster/" + cluster, "shared")])).First().VpcId;
        var nodeSg = (await ec2.FindSecurityGroupsAsync([Ec2Filter.VpcId(vpc), Ec2Filter.GroupName(cluster + "-node")])).Single().GroupId;
        async Task<List<string>> NodeRulesAsync() =>
            [.. (await ec2.DescribeSecurityGroupsAsync([nodeSg])).Single().Ingress
                .Where(r => r.Description == TrackingTags.SharedNodeRuleDescription).Select(r => $"{r.FromPort}-{r.ToPort}").Order(StringComparer.Ordinal)];
        Assert.Equal(["30080-30080", "30410-30420"], await NodeRulesAsync());

        // Destroy the echoserver group only: its node rule stays (another group might share it)...
        Assert.Equal(ExitCodes.Ok, await RunAsync(["destroy", "-f", clusterYaml, "-f", Example("echoserver"), .. common]));
        Assert.Equal(["30080-30080", "30410-30420"], await NodeRulesAsync());

        // ...until the sweep, which finds no target group on 30080 and keeps the canary's range.
        var inventory = new ClusterInventory(elb, ec2);
        var collector = new BackendSecurityGroupCollector(ec2, inventory);
        var revoked = await collector.SweepNodeRulesAsync(cluster, vpc);
        Assert.Equal([(30080, 30080)], revoked.Select(r => (r.FromPort!.Value, r.ToPort!.Value)));
        Assert.Equal(["30410-30420"], await NodeRulesAsync());
        Assert.Equal(BackendCollection.InUse, await collector.CollectAsync(cluster, vpc));
        Assert.Empty(await collector.SweepNodeRulesAsync(cluster, vpc));

        // The last group goes: destroy collects the backend SG, and its node rule with it.
        Assert.Equal(ExitCodes.Ok, await RunAsync(["destroy", "-f", clusterYaml, "-f", Example("weighted"), .. common]));
        Assert.Empty(await NodeRulesAsync());
        Assert.Equal(BackendCollection.Absent, await collector.CollectAsync(cluster, vpc));
        var (revokedAtEnd, backendAtEnd) = await collector.SweepAsync(cluster, vpc);
        Assert.Empty(revokedAtEnd);
        Assert.Equal(BackendCollection.Absent, backendAtEnd);
    }

    [Fact]
    public async Task Collecting_the_backend_SG_revokes_only_our_rules_and_keeps_the_group_while_a_rule_of_someone_else_references_it()
    {
        const string cluster = "e2e-foreign-rule";
        string[] common = ["--aws-endpoint", _moto.Endpoint, "--seed", "--cluster-name", cluster, "--output", "json"];
        var clusterYaml = Path.Combine(RepoPaths.Root, "examples", "cluster.yaml");
        var echoserver = Path.Combine(RepoPaths.Root, "examples", "echoserver");
        Assert.Equal(ExitCodes.Ok, await RunAsync(["apply", "-f", clusterYaml, "-f", echoserver, .. common]));

        var options = _moto.ClientOptions();
        using var ec2 = Ec2Gateway.Create(options);
        using var elb = new ElasticLoadBalancingV2Client(options);
        var vpc = (await ec2.FindSubnetsAsync([Ec2Filter.Tag("kubernetes.io/cluster/" + cluster, "shared")])).First().VpcId;
        var nodeSg = (await ec2.FindSecurityGroupsAsync([Ec2Filter.VpcId(vpc), Ec2Filter.GroupName(cluster + "-node")])).Single().GroupId;
        var backend = (await ec2.FindSecurityGroupsAsync([Ec2Filter.VpcId(vpc), Ec2Filter.Tag(TrackingTags.Cluster, cluster)]))
            .Single(g => g.Tags.GetValueOrDefault(TrackingTags.BackendResource) == ResourceIds.BackendSecurityGroup).GroupId;
        // Someone lets the load balancers reach a metrics port, with a rule of their own.
        await ec2.AuthorizeIngressAsync(nodeSg, [new IngressRule("tcp", 9100, 9100, SourceSecurityGroupId: backend, Description: "team monitoring")]);
        async Task<List<string>> RulesFromBackendAsync() =>
            [.. (await ec2.DescribeSecurityGroupsAsync([nodeSg])).Single().Ingress
                .Where(r => r.SourceSecurityGroupId == backend).Select(r => $"{r.FromPort}-{r.ToPort} {r.Description}").Order(StringComparer.Ordinal)];
        Assert.Equal(["30080-30080 " + TrackingTags.SharedNodeRuleDescription, "9100-9100 team monitoring"], await RulesFromBackendAsync());

        Assert.Equal(ExitCodes.Ok, await RunAsync(["destroy", "-f", clusterYaml, "-f", echoserver, .. common]));

        Assert.Equal(["9100-9100 team monitoring"], await RulesFromBackendAsync());
        Assert.Single(await ec2.FindSecurityGroupsAsync([Ec2Filter.VpcId(vpc), Ec2Filter.Tag(TrackingTags.Cluster, cluster)]),
            g => g.GroupId == backend);
        Assert.Equal(BackendCollection.ReferencedByOthers, await new BackendSecurityGroupCollector(ec2, new ClusterInventory(elb, ec2)).CollectAsync(cluster, vpc));
    }

    private static async Task<int> RunAsync(string[] args)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        return await new Runner(CliOptions.Parse(args, _ => null), output, errors).RunAsync(CancellationToken.None);
    }
}
