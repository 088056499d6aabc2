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

    private static string EchoWithIpTargets() => Echo().Replace(
        "aws-load-balancer-healthcheck-interval: \"10\"\n",
        "aws-load-balancer-healthcheck-interval: \"10\"\n    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip\n",
        StringComparison.Ordinal) + """

        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: echo-abcde
          namespace: default
          labels:
            kubernetes.io/service-name: echo
        addressType: IPv4
        ports:
          - name: tcp
            port: 8080
            protocol: TCP
        endpoints:
          - addresses: ["10.0.10.51"]
            conditions: {ready: true}
        """;

    [Fact]
    public async Task A_target_type_change_keeps_port_80_forwarding_to_a_group_with_targets_after_every_apply()
    {
        const string cluster = "cli-nlb-type";
        var folder = Directory.CreateTempSubdirectory("cli-nlb-type-");
        using var elb = new ElasticLoadBalancingV2Client(_moto.ClientOptions());
        try
        {
            var manifest = Path.Combine(folder.FullName, "echo.yaml");
            await File.WriteAllTextAsync(manifest, Echo());
            var created = await CliRun.RunAsync(_moto, "apply", cluster, CliRun.WithCluster(manifest));
            Assert.True(created.Exit == ExitCodes.Ok, created.Errors);
            var nlbArn = Service(created)["resources"]!["loadBalancer"]!["arn"]!.GetValue<string>();
            Assert.Equal("instance", (await ForwardedGroupAsync(elb, nlbArn)).TargetType);

            // instance -> ip: the new group is created and filled before port 80 forwards to it. Each apply is one
            // reconcile (the CLI reports a requeue while the new group waits for a healthy target); after every one
            // port 80 forwards to a group that has targets.
            Assert.Contains("nlb-target-type: ip", EchoWithIpTargets(), StringComparison.Ordinal);
            await File.WriteAllTextAsync(manifest, EchoWithIpTargets());
            var switched = false;
            var last = "";
            for (var attempt = 0; attempt < 4 && !switched; attempt++)
            {
                var run = await CliRun.RunAsync(_moto, "apply", cluster, CliRun.WithCluster(manifest));
                Assert.True(run.Exit == ExitCodes.Ok, run.Errors);
                last = Service(run)["plan"]!["reconcile"]!.ToJsonString() + "\n" + run.Errors;
                var forwarded = await ForwardedGroupAsync(elb, nlbArn);
                var health = await elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = forwarded.TargetGroupArn });
                Assert.NotEmpty(health.TargetHealthDescriptions ?? []);
                switched = forwarded.TargetType == "ip";
            }
            Assert.True(switched, "port 80 never moved to the ip target group:\n" + last);
            var final = await CliRun.RunAsync(_moto, "apply", cluster, CliRun.WithCluster(manifest));
            Assert.True(final.Exit == ExitCodes.Ok, final.Errors);
            Assert.Empty(CliRun.Mutations(Service(final)));
            // Only the Service's listener is left (no staging listener), and only the ip group.
            var listeners = (await elb.DescribeListenersAsync(new DescribeListenersRequest { LoadBalancerArn = nlbArn })).Listeners!;
            Assert.Equal([80], listeners.Select(static l => l.Port!.Value));
            var groups = Service(final)["resources"]!["targetGroups"]!.AsArray();
            Assert.Equal("ip", Assert.Single(groups)!["targetType"]!.GetValue<string>());

            // The instance group it replaced is gone.
            var left = new List<string>();
            await foreach (var tg in elb.DescribeTargetGroupsPaginatedAsync(new DescribeTargetGroupsRequest()))
            {
                var tags = (await elb.DescribeTagsAsync(new DescribeTagsRequest { ResourceArns = [tg.TargetGroupArn!] })).TagDescriptions![0].Tags ?? [];
                if (tags.Any(static t => t.Key == "elbv2.k8s.aws/cluster" && t.Value == cluster))
                    left.Add(tg.TargetGroupName + " " + tg.TargetType + " " + string.Join(",", tg.LoadBalancerArns ?? []));
            }
            Assert.True(left.Count == 1, string.Join("\n", left) + "\n" + final.Errors);

            var destroyed = await CliRun.RunAsync(_moto, "destroy", cluster, CliRun.WithCluster(manifest));
            Assert.True(destroyed.Exit == ExitCodes.Ok, destroyed.Errors);
            await CliRun.AssertNothingTaggedForAsync(_moto, cluster);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task<TargetGroup> ForwardedGroupAsync(ElasticLoadBalancingV2Client elb, string nlbArn)
    {
        var listener = Assert.Single((await elb.DescribeListenersAsync(new DescribeListenersRequest { LoadBalancerArn = nlbArn })).Listeners!, static l => l.Port == 80);
        var arn = Assert.Single(listener.DefaultActions!).TargetGroupArn ?? Assert.Single(listener.DefaultActions![0].ForwardConfig!.TargetGroups!).TargetGroupArn!;
        return Assert.Single((await elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { TargetGroupArns = [arn] })).TargetGroups!);
    }
}
