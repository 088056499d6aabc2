using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Deploy;
using Serverless.Functions.Wiring;
using Serverless.Ingress;
using Serverless.Local;
using Serverless.Model;
using Serverless.Reconcile;
using Serverless.Testing;

namespace Serverless.Functions.Tests;

/// <summary>
/// The replay lists the cluster's stacks (orphan GC), then sweeps the shared resources: one region scan serves both,
/// so the replay reads every load balancer, target group and their tags once. A stale scan is not reused.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class InventoryStacksTests(MotoFixture fixture) : MotoTest(fixture)
{
    [Fact]
    public async Task The_sweep_reuses_the_listing_scan_of_the_same_replay_but_not_a_stale_one()
    {
        const string cluster = "inventory-reuse";
        var options = Moto.ClientOptions();
        using var sdk = Ec2Gateway.CreateSdkClient(options);
        var sandbox = await Sandbox.SeedAsync(sdk, cluster, "us-east-1", [new("node-a")]);
        using var ec2 = Ec2Gateway.Create(options);
        using var elb = new ElasticLoadBalancingV2Client(options);
        var inventory = new ClusterInventory(elb, ec2);
        var time = new ManualTime(DateTimeOffset.UtcNow);
        var stacks = new InventoryStacks(inventory, new BackendSecurityGroupCollector(ec2, inventory), elb,
            new ClusterSettings { ClusterName = cluster, VpcId = sandbox.VpcId }, time);
        Task<string> CreateBackendAsync() => ec2.CreateSecurityGroupAsync(sandbox.VpcId, Naming.BackendSecurityGroupName(cluster), "backend",
            new Dictionary<string, string> { [TrackingTags.Cluster] = cluster, [TrackingTags.BackendResource] = ResourceIds.BackendSecurityGroup });
        long Scans() => options.CallRecorder!.CallsOf("ELBv2", "DescribeLoadBalancers");

        // A backend SG and no load balancer: the sweep deletes it, from the listing's scan.
        await CreateBackendAsync();
        var before = Scans();
        Assert.Empty(await stacks.ListStacksAsync(CancellationToken.None));
        var swept = await stacks.SweepSharedAsync(CancellationToken.None);
        Assert.Equal("deleted", swept.BackendSecurityGroup);
        Assert.Equal(1, Scans() - before);

        // The listing's scan is older than the window: the sweep scans again.
        await CreateBackendAsync();
        before = Scans();
        Assert.Empty(await stacks.ListStacksAsync(CancellationToken.None));
        time.Advance(InventoryStacks.ScanReuseWindow + TimeSpan.FromSeconds(1));
        Assert.Equal("deleted", (await stacks.SweepSharedAsync(CancellationToken.None)).BackendSecurityGroup);
        Assert.Equal(2, Scans() - before);
    }
}
