using System.Text.Json.Nodes;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Testing;

namespace Serverless.Cli.Tests;

/// <summary>
/// Services of type LoadBalancer through the CLI against moto, like Ingress groups: one report entry per Service stack,
/// created, converged (no mutating call), changed, deleted when the Service turns ClusterIP, destroyed; a foreign NLB
/// and an in-tree one (annotation <c>aws-load-balancer-type: nlb</c>, not ours) untouched.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class NlbServiceCliTests(MotoFixture fixture)
{
    private const string Cluster = "cli-nlb";
    private readonly MotoServer _moto = fixture.Server;

    private static string Echo(string type = "LoadBalancer", bool withTls = false) => $$"""
        apiVersion: v1
        kind: Service
        metadata:
          name: echo
          namespace: default
          annotations:
            service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval: "10"
        spec:
          type: {{type}}
        {{(type == "LoadBalancer" ? "  loadBalancerClass: service.k8s.aws/nlb" : "")}}
          ports:
            - name: tcp
              port: 80
              targetPort: 8080
              nodePort: 30080
              protocol: TCP
        {{(withTls ? "    - name: alt\n      port: 8443\n      targetPort: 8443\n      nodePort: 30443\n      protocol: TCP" : "")}}
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: in-tree
          namespace: default
          annotations:
            service.beta.kubernetes.io/aws-load-balancer-type: nlb
        spec:
          type: LoadBalancer
          loadBalancerClass: example.com/other
          ports:
            - port: 80
              targetPort: 8080
              nodePort: 30090
        """;

    private static JsonObject Service(CliResult run) =>
        Assert.Single(run.Report["groups"]!.AsArray(), static g => g!["kind"]?.GetValue<string>() == "service")!.AsObject();

    private async Task<IReadOnlyList<LoadBalancer>> OurNlbsAsync(ElasticLoadBalancingV2Client elb)
    {
        var all = new List<LoadBalancer>();
        await foreach (var lb in elb.DescribeLoadBalancersPaginatedAsync(new DescribeLoadBalancersRequest()))
            all.Add(lb);
        var ours = new List<LoadBalancer>();
        foreach (var lb in all)
        {
            var tags = (await elb.DescribeTagsAsync(new DescribeTagsRequest { ResourceArns = [lb.LoadBalancerArn!] })).TagDescriptions![0].Tags ?? [];
            if (tags.Any(static t => t.Key == "elbv2.k8s.aws/cluster" && t.Value == Cluster) && tags.Any(static t => t.Key == "service.k8s.aws/stack" && t.Value == "default/echo"))
                ours.Add(lb);
        }
        return ours;
    }

    [Fact]
    public async Task A_Service_of_ours_is_created_converges_changes_is_deleted_as_ClusterIP_and_destroyed_leaving_others_alone()
    {
        var folder = Directory.CreateTempSubdirectory("cli-nlb-");
        using var elb = new ElasticLoadBalancingV2Client(_moto.ClientOptions());
        try
        {
            var manifest = Path.Combine(folder.FullName, "echo.yaml");
            await File.WriteAllTextAsync(manifest, Echo());

            var created = await CliRun.RunAsync(_moto, "apply", Cluster, CliRun.WithCluster(manifest));
            Assert.True(created.Exit == ExitCodes.Ok, created.Errors);
            var service = Service(created);
            Assert.Equal("default/echo", service["group"]!.GetValue<string>());
            Assert.Single(created.Report["groups"]!.AsArray()); // the in-tree NLB Service is not ours
            Assert.NotEmpty(CliRun.Mutations(service));
            var nlb = Assert.Single(await OurNlbsAsync(elb));
            Assert.Equal("network", nlb.Type);
            // A foreign NLB in the same VPC, not tagged for us.
            var foreign = (await elb.CreateLoadBalancerAsync(new CreateLoadBalancerRequest { Name = "foreign-nlb", Type = "network", Scheme = "internal", Subnets = [.. nlb.AvailabilityZones!.Select(static z => z.SubnetId!)] }))
                .LoadBalancers![0].LoadBalancerArn!;

            var again = await CliRun.RunAsync(_moto, "apply", Cluster, CliRun.WithCluster(manifest));
            Assert.True(again.Exit == ExitCodes.Ok, again.Errors);
            Assert.True(CliRun.Mutations(Service(again)).Count == 0, string.Join("\n", CliRun.Mutations(Service(again)).Select(static m => m.ToJsonString())));
            Assert.Equal(0, Service(again)["plan"]!["mutatingCalls"]?.GetValue<long>() ?? 0);

            await File.WriteAllTextAsync(manifest, Echo(withTls: true));
            var changed = await CliRun.RunAsync(_moto, "apply", Cluster, CliRun.WithCluster(manifest));
            Assert.True(changed.Exit == ExitCodes.Ok, changed.Errors);
            Assert.Contains(CliRun.Mutations(Service(changed)), static c => c["action"]!.GetValue<string>() == "create" && c.ToJsonString().Contains("8443", StringComparison.Ordinal));
            var listeners = (await elb.DescribeListenersAsync(new DescribeListenersRequest { LoadBalancerArn = nlb.LoadBalancerArn })).Listeners!;
            Assert.Equal([80, 8443], listeners.Select(static l => l.Port!.Value).Order());

            await File.WriteAllTextAsync(manifest, Echo(type: "ClusterIP"));
            var cleared = await CliRun.RunAsync(_moto, "apply", Cluster, CliRun.WithCluster(manifest));
            Assert.True(cleared.Exit == ExitCodes.Ok, cleared.Errors);
            Assert.Empty(await OurNlbsAsync(elb));
            using (var ec2 = Serverless.Aws.Ec2.Ec2Gateway.CreateSdkClient(_moto.ClientOptions()))
            {
                var groups = await ec2.DescribeSecurityGroupsAsync(new Amazon.EC2.Model.DescribeSecurityGroupsRequest
                {
                    Filters = [new Amazon.EC2.Model.Filter("tag:service.k8s.aws/stack", ["default/echo"]), new Amazon.EC2.Model.Filter("tag:elbv2.k8s.aws/cluster", [Cluster])],
                });
                Assert.Empty(groups.SecurityGroups ?? []);
            }

            await File.WriteAllTextAsync(manifest, Echo());
            Assert.Equal(ExitCodes.Ok, (await CliRun.RunAsync(_moto, "apply", Cluster, CliRun.WithCluster(manifest))).Exit);
            var destroyed = await CliRun.RunAsync(_moto, "destroy", Cluster, CliRun.WithCluster(manifest));
            Assert.True(destroyed.Exit == ExitCodes.Ok, destroyed.Errors);
            await CliRun.AssertNothingTaggedForAsync(_moto, Cluster);
            Assert.Single(await elb.LoadBalancersByNameAsync(["foreign-nlb"]));
            await elb.DeleteLoadBalancerAsync(new DeleteLoadBalancerRequest { LoadBalancerArn = foreign });
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
