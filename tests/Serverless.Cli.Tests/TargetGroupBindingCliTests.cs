using System.Collections;
using System.Globalization;
using System.Text.Json.Nodes;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Local;
using Serverless.Testing;
using Serverless.Testing.FakeKubernetes;

namespace Serverless.Cli.Tests;

/// <summary>
/// TargetGroupBindings through the CLI against moto: target groups made outside Kubernetes (untagged, with their own
/// attributes and tags) get exactly the Service's ready endpoints (ip) or eligible nodes (instance); the group itself
/// is never changed; a binding without <c>multiClusterTargetGroup</c> owns the group's targets (a stale one is
/// removed, as upstream), one with it never touches another registrant's targets; removing a binding deregisters its
/// targets and leaves the group.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class TargetGroupBindingCliTests(MotoFixture fixture)
{
    private readonly MotoServer _moto = fixture.Server;

    private static readonly string Example = Path.Combine(RepoPaths.Root, "examples", "target-group-binding", "bindings.yaml");

    /// <summary>The nodes of <c>examples/cluster.yaml</c> and their zones.</summary>
    private static readonly SandboxNode[] ExampleNodes =
    [
        new("ip-10-0-10-11.ec2.internal", "us-east-1a"),
        new("ip-10-0-11-12.ec2.internal", "us-east-1b"),
        new("ip-10-0-12-13.ec2.internal", "us-east-1c"),
    ];

    [Fact]
    public async Task Bindings_to_foreign_groups_register_exactly_ready_endpoints_and_selected_nodes_leave_the_groups_identical_and_destroy_deregisters()
    {
        const string cluster = "cli-tgb";
        // The example's bindings, naming groups of their own: target group names are the account's and Region's, and
        // the every-example test binds the example's names in another VPC on the same moto.
        var folder = Directory.CreateTempSubdirectory("cli-tgb-");
        var example = Path.Combine(folder.FullName, "bindings.yaml");
        await File.WriteAllTextAsync(example, (await File.ReadAllTextAsync(Example))
            .Replace("payments-api", "cli-tgb-api", StringComparison.Ordinal).Replace("payments-web", "cli-tgb-web", StringComparison.Ordinal));
        using var sdk = Ec2Gateway.CreateSdkClient(_moto.ClientOptions());
        var sandbox = await Sandbox.SeedAsync(sdk, cluster, "us-east-1", ExampleNodes);
        using var elb = new ElasticLoadBalancingV2Client(_moto.ClientOptions());
        // Made by "Terraform": untagged for any cluster, its own health check, attributes and tags.
        var api = await ForeignGroupAsync(elb, "cli-tgb-api", "ip", 8080, sandbox.VpcId);
        var web = await ForeignGroupAsync(elb, "cli-tgb-web", "instance", 30480, sandbox.VpcId);
        // A target registered by hand, not an endpoint of the Service: the binding owns the group, so it goes.
        await elb.RegisterTargetsAsync(new RegisterTargetsRequest { TargetGroupArn = api, Targets = [new TargetDescription { Id = "10.0.99.9", Port = 8080 }] });
        var apiBefore = await DescribeGroupAsync(elb, api);
        var webBefore = await DescribeGroupAsync(elb, web);

        var applied = await CliRun.RunAsync(_moto, "apply", cluster, CliRun.WithCluster(example));

        Assert.True(applied.Exit == ExitCodes.Ok, applied.Errors);
        Assert.Equal(["payments/api-tg", "payments/web-tg"], Bindings(applied).Select(static b => b["group"]!.GetValue<string>()));
        // ip by name: the two ready endpoints on the container port; not the unready one, not the terminating one.
        Assert.Equal(["10.0.10.41:8080", "10.0.11.42:8080"], await TargetsAsync(elb, api));
        // instance by ARN (the manifest's ARN names the group cli-tgb-web): the nodes its selector picks (zones a and
        // b), on the NodePort.
        var byZone = sandbox.Nodes.ToDictionary(static n => n.Zone, static n => n.InstanceId);
        Assert.Equal(new[] { byZone["us-east-1a"] + ":30480", byZone["us-east-1b"] + ":30480" }.Order(StringComparer.Ordinal), await TargetsAsync(elb, web));
        Assert.Equal(apiBefore, await DescribeGroupAsync(elb, api));
        Assert.Equal(webBefore, await DescribeGroupAsync(elb, web));
        AssertOnlyTargetCallsMutate(applied);

        var again = await CliRun.RunAsync(_moto, "apply", cluster, CliRun.WithCluster(example));
        Assert.True(again.Exit == ExitCodes.Ok, again.Errors);
        Assert.All(Bindings(again), static b => Assert.Empty(CliRun.Mutations(b)));

        var destroyed = await CliRun.RunAsync(_moto, "destroy", cluster, CliRun.WithCluster(example));

        Assert.True(destroyed.Exit == ExitCodes.Ok, destroyed.Errors);
        Assert.Empty(await TargetsAsync(elb, api));
        Assert.Empty(await TargetsAsync(elb, web));
        Assert.Equal(apiBefore, await DescribeGroupAsync(elb, api));
        Assert.Equal(webBefore, await DescribeGroupAsync(elb, web));
        AssertOnlyTargetCallsMutate(destroyed);
        folder.Delete(recursive: true);
    }

    [Fact]
    public async Task A_multi_cluster_binding_never_touches_another_registrants_targets_and_deregisters_only_its_own()
    {
        const string cluster = "cli-tgb-mc";
        using var sdk = Ec2Gateway.CreateSdkClient(_moto.ClientOptions());
        var sandbox = await Sandbox.SeedAsync(sdk, cluster, "us-east-1", [new("node-a")]);
        using var elb = new ElasticLoadBalancingV2Client(_moto.ClientOptions());
        var shared = await ForeignGroupAsync(elb, "shared-checkout", "ip", 8080, sandbox.VpcId);
        // Another cluster's pod, registered by that cluster.
        await elb.RegisterTargetsAsync(new RegisterTargetsRequest { TargetGroupArn = shared, Targets = [new TargetDescription { Id = "10.0.50.5", Port = 8080 }] });
        var before = await DescribeGroupAsync(elb, shared);

        await using var kube = await FakeKubernetesApiServer.StartAsync();
        kube.Create("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"checkout","namespace":"shop"},"spec":{"type":"ClusterIP","ports":[{"name":"http","port":80,"targetPort":8080,"protocol":"TCP"}]}}""");
        kube.Create(Slice(["10.0.10.21", "10.0.10.22"]));
        kube.Create("""
            {"apiVersion":"elbv2.k8s.aws/v1beta1","kind":"TargetGroupBinding","metadata":{"name":"checkout","namespace":"shop"},
             "spec":{"serviceRef":{"name":"checkout","port":80},"targetGroupName":"shared-checkout","targetType":"ip","multiClusterTargetGroup":true}}
            """);
        var kubeconfig = await KubeconfigAsync(kube.Url);
        try
        {
            string[] live = ["--kubeconfig", kubeconfig, "--aws-endpoint", _moto.Endpoint, "--vpc-id", sandbox.VpcId, "--cluster-name", cluster, "--output", "json"];

            var first = await RunAsync(["apply", .. live]);
            Assert.True(first.Exit == ExitCodes.Ok, first.Errors);
            Assert.Equal(["10.0.10.21:8080", "10.0.10.22:8080", "10.0.50.5:8080"], await TargetsAsync(elb, shared));
            var binding = kube.Get("elbv2.k8s.aws/v1beta1", "TargetGroupBinding", "shop", "checkout")!;
            Assert.Equal("10.0.10.21:8080,10.0.10.22:8080", binding["metadata"]!["annotations"]!["serverless.elbv2.k8s.aws/registered-targets"]!.GetValue<string>());
            Assert.Equal("elbv2.k8s.aws/resources", binding["metadata"]!["finalizers"]![0]!.GetValue<string>());

            // One of our pods goes: only it is deregistered; the other cluster's target stays.
            kube.Mutate("discovery.k8s.io/v1", "EndpointSlice", "shop", "checkout-abc", s => s["endpoints"] = Slice(["10.0.10.22"])["endpoints"]!.DeepClone());
            var second = await RunAsync(["apply", .. live]);
            Assert.True(second.Exit == ExitCodes.Ok, second.Errors);
            Assert.Equal(["10.0.10.22:8080", "10.0.50.5:8080"], await TargetsAsync(elb, shared));

            // The binding is deleted: our target goes, theirs stays, the group stays as it was, the binding is released.
            kube.Delete("elbv2.k8s.aws/v1beta1", "TargetGroupBinding", "shop", "checkout");
            var removed = await RunAsync(["apply", .. live]);
            Assert.True(removed.Exit == ExitCodes.Ok, removed.Errors);
            Assert.Equal(["10.0.50.5:8080"], await TargetsAsync(elb, shared));
            Assert.Null(kube.Get("elbv2.k8s.aws/v1beta1", "TargetGroupBinding", "shop", "checkout"));
            Assert.Equal(before, await DescribeGroupAsync(elb, shared));
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }

    private static List<JsonObject> Bindings(CliResult run) =>
        [.. run.Report["groups"]!.AsArray().OfType<JsonObject>().Where(static g => g["kind"]?.GetValue<string>() == "targetgroupbinding")];

    /// <summary>Every mutating AWS call of the run is a target registration or deregistration (besides the sandbox's own creates).</summary>
    private static void AssertOnlyTargetCallsMutate(CliResult run)
    {
        var calls = run.Report["awsCalls"]!.AsObject().Select(static c => c.Key).ToList();
        foreach (var call in calls)
        {
            var operation = call.Split('.').Last();
            Assert.False(operation is "ModifyTargetGroup" or "ModifyTargetGroupAttributes" or "AddTags" or "RemoveTags" or "DeleteTargetGroup",
                $"the run called {call}: {string.Join(", ", calls)}");
        }
    }

    private static async Task<string> ForeignGroupAsync(ElasticLoadBalancingV2Client elb, string name, string targetType, int port, string vpcId)
    {
        var arn = (await elb.CreateTargetGroupAsync(new CreateTargetGroupRequest
        {
            Name = name,
            Protocol = "HTTP",
            Port = port,
            VpcId = vpcId,
            TargetType = targetType,
            HealthCheckPath = "/ready",
            HealthCheckIntervalSeconds = 17,
            Tags = [new Tag { Key = "owner", Value = "terraform" }, new Tag { Key = "cost-center", Value = "42" }],
        })).TargetGroups![0].TargetGroupArn!;
        await elb.ModifyTargetGroupAttributesAsync(new ModifyTargetGroupAttributesRequest
        {
            TargetGroupArn = arn,
            Attributes = [new TargetGroupAttribute { Key = "deregistration_delay.timeout_seconds", Value = "42" }],
        });
        return arn;
    }

    /// <summary>The group as AWS describes it, its attributes and its tags, every field rendered.</summary>
    private static async Task<string> DescribeGroupAsync(ElasticLoadBalancingV2Client elb, string arn)
    {
        var group = (await elb.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { TargetGroupArns = [arn] })).TargetGroups!.Single();
        var attributes = (await elb.DescribeTargetGroupAttributesAsync(new DescribeTargetGroupAttributesRequest { TargetGroupArn = arn })).Attributes ?? [];
        var tags = (await elb.DescribeTagsAsync(new DescribeTagsRequest { ResourceArns = [arn] })).TagDescriptions!.Single().Tags ?? [];
        return Render(group) + "\n" + Render(attributes.OrderBy(static a => a.Key, StringComparer.Ordinal).ToList()) + "\n" + Render(tags.OrderBy(static t => t.Key, StringComparer.Ordinal).ToList());
    }

    private static string Render(object? value) => value switch
    {
        null => "null",
        string s => "\"" + s + "\"",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IEnumerable items => "[" + string.Join(",", items.Cast<object?>().Select(Render)) + "]",
        _ => "{" + string.Join(",", value.GetType().GetProperties().Where(static p => p.GetIndexParameters().Length == 0)
            .OrderBy(static p => p.Name, StringComparer.Ordinal).Select(p => p.Name + "=" + Render(p.GetValue(value)))) + "}",
    };

    /// <summary>The group's targets that are not draining, as <c>id:port</c>, sorted.</summary>
    private static async Task<List<string>> TargetsAsync(ElasticLoadBalancingV2Client elb, string arn)
    {
        var health = await elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = arn });
        return [.. (health.TargetHealthDescriptions ?? [])
            .Where(static d => d.TargetHealth?.State != "draining")
            .Select(static d => d.Target!.Id + ":" + d.Target.Port?.ToString(CultureInfo.InvariantCulture))
            .Order(StringComparer.Ordinal)];
    }

    private static JsonObject Slice(string[] addresses) => new()
    {
        ["apiVersion"] = "discovery.k8s.io/v1",
        ["kind"] = "EndpointSlice",
        ["metadata"] = new JsonObject { ["name"] = "checkout-abc", ["namespace"] = "shop", ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = "checkout" } },
        ["addressType"] = "IPv4",
        ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = 8080, ["protocol"] = "TCP" }),
        ["endpoints"] = new JsonArray([.. addresses.Select(static a => (JsonNode)new JsonObject
        {
            ["addresses"] = new JsonArray(a),
            ["conditions"] = new JsonObject { ["ready"] = true },
        })]),
    };

    private static async Task<string> KubeconfigAsync(string server)
    {
        var path = Path.Combine(Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(path, string.Join('\n',
            "apiVersion: v1", "kind: Config",
            "clusters:", "- name: fake", "  cluster:", "    server: " + server,
            "users:", "- name: tester", "  user:", "    token: t0ken",
            "contexts:", "- name: fake", "  context:", "    cluster: fake", "    user: tester",
            "current-context: fake"));
        return path;
    }

    private static async Task<CliResult> RunAsync(string[] args)
    {
        var options = CliOptions.Parse(args, _ => null);
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var exit = await new Runner(options, output, errors).RunAsync(CancellationToken.None);
        var text = output.ToString();
        return new CliResult(exit, text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!.AsObject(), errors.ToString());
    }
}
