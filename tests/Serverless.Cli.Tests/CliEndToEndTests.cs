using System.Text.Json.Nodes;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Testing;

namespace Serverless.Cli.Tests;

/// <summary>
/// The runner on every example, against one moto used as an existing endpoint (<c>--aws-endpoint … --seed</c>), each
/// test with its own cluster name: apply, then plan shows nothing to do; an edit shows exactly that change; destroy
/// leaves none of the cluster's resources behind.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class CliEndToEndTests(MotoFixture fixture)
{
    private readonly MotoServer _moto = fixture.Server;

    public static TheoryData<string> Examples() => new(Directory.GetDirectories(Path.Combine(RepoPaths.Root, "examples")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Apply_then_plan_shows_no_changes_and_destroy_leaves_nothing(string example)
    {
        var cluster = "e2e-" + example;
        string[] files = ["-f", Path.Combine(RepoPaths.Root, "examples", "cluster.yaml"), "-f", Path.Combine(RepoPaths.Root, "examples", example)];

        var apply = await RunAsync("apply", cluster, files);
        Assert.True(apply.Exit == ExitCodes.Ok, apply.Errors);
        var groups = apply.Report["groups"]!.AsArray();
        Assert.NotEmpty(groups);
        foreach (var group in groups)
        {
            Assert.Equal("done", group!["plan"]!["reconcile"]!["kind"]!.GetValue<string>());
            if (group["kind"]?.GetValue<string>() == "targetgroupbinding")
            {
                // No load balancer of its own: targets registered into the group it names.
                Assert.NotEmpty(Mutations(group));
                continue;
            }
            var lb = group["resources"]!["loadBalancer"]!;
            Assert.EndsWith(".elb.amazonaws.com", lb["dnsName"]!.GetValue<string>(), StringComparison.Ordinal);
            if (group["kind"]?.GetValue<string>() == "service")
                Assert.NotEmpty(group["resources"]!["listeners"]!.AsArray()); // an NLB has listeners and no rules
            else
                Assert.NotEmpty(group["resources"]!["rules"]!.AsArray());
            Assert.All(group["resources"]!["targetGroups"]!.AsArray(), tg => Assert.NotEmpty(tg!["targets"]!.AsArray()));
            Assert.All(group["ingresses"]!.AsArray(), i => Assert.Equal(lb["dnsName"]!.GetValue<string>(), i!["status"]!["hostname"]!.GetValue<string>()));
        }

        var plan = await RunAsync("plan", cluster, files);
        Assert.True(plan.Exit == ExitCodes.Ok, plan.Errors);
        Assert.Equal(groups.Count, plan.Report["groups"]!.AsArray().Count);
        foreach (var group in plan.Report["groups"]!.AsArray())
        {
            var planned = Mutations(group!);
            Assert.True(planned.Count == 0, string.Join("\n", planned.Select(c => c!.ToJsonString())));
            Assert.Equal(0, group!["plan"]!["awsCalls"]!.AsObject().Where(c => IsMutating(c.Key)).Sum(c => c.Value!.GetValue<long>()));
        }
        Assert.Null(plan.Report["secondRun"]);

        var destroy = await RunAsync("destroy", cluster, files);
        Assert.True(destroy.Exit == ExitCodes.Ok, destroy.Errors);
        await AssertNothingTaggedForAsync(cluster);
    }

    [Fact]
    public async Task Verbose_prints_one_line_per_mutating_AWS_call_with_resource_changes_and_request_id()
    {
        const string cluster = "e2e-verbose";
        string[] files = ["-f", Path.Combine(RepoPaths.Root, "examples", "cluster.yaml"), "-f", Path.Combine(RepoPaths.Root, "examples", "echoserver")];

        var apply = await RunAsync("apply", cluster, files, "-v");
        Assert.True(apply.Exit == ExitCodes.Ok, apply.Errors);
        var lines = apply.Errors.Split('\n', StringSplitOptions.TrimEntries).Where(static l => l.StartsWith("aws call: ", StringComparison.Ordinal)).ToList();
        var mutating = apply.Report["groups"]![0]!["plan"]!["awsCalls"]!.AsObject()
            .Where(static c => Serverless.Deploy.DeployResult.IsMutatingOperation(c.Key)).Sum(static c => c.Value!.GetValue<long>());
        Assert.True(mutating > 0);
        Assert.True(lines.Count == mutating, apply.Errors);
        var create = Assert.Single(lines, static l => l.StartsWith("aws call: CreateLoadBalancer AWS::ElasticLoadBalancingV2::LoadBalancer ", StringComparison.Ordinal));
        Assert.Contains(" arn:aws:elasticloadbalancing:", create, StringComparison.Ordinal);
        Assert.Contains("scheme: (none) → internet-facing", create, StringComparison.Ordinal);
        Assert.All(lines, static l => Assert.Matches(@" request [^ (]+ \(\d+ ms, stack ", l));

        var quiet = await RunAsync("destroy", cluster, files);
        Assert.True(quiet.Exit == ExitCodes.Ok, quiet.Errors);
        Assert.DoesNotContain("aws call: ", quiet.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_edited_manifest_plans_exactly_the_edit()
    {
        const string cluster = "e2e-edit";
        var folder = Directory.CreateTempSubdirectory("cli-edit-");
        try
        {
            File.Copy(Path.Combine(RepoPaths.Root, "examples", "cluster.yaml"), Path.Combine(folder.FullName, "cluster.yaml"));
            var manifest = Path.Combine(folder.FullName, "echoserver.yaml");
            File.Copy(Path.Combine(RepoPaths.Root, "examples", "echoserver", "echoserver.yaml"), manifest);
            string[] files = ["-f", folder.FullName];
            Assert.Equal(ExitCodes.Ok, (await RunAsync("apply", cluster, files)).Exit);

            // One more path on the same backend: exactly one new rule, nothing else.
            var text = await File.ReadAllTextAsync(manifest);
            text = text.Replace(
                "          - path: /\n            pathType: Prefix\n",
                "          - path: /status\n            pathType: Exact\n            backend:\n              service:\n                name: echoserver\n                port:\n                  number: 80\n          - path: /\n            pathType: Prefix\n",
                StringComparison.Ordinal);
            await File.WriteAllTextAsync(manifest, text);

            var plan = await RunAsync("plan", cluster, files);
            var changes = Mutations(plan.Report["groups"]![0]!);
            Assert.True(changes.Count == 2, string.Join("\n", changes.Select(c => c.ToJsonString())));
            // The new rule takes priority 1 (Exact before Prefix) and the existing one moves to 2; nothing else.
            Assert.Equal("create", changes[0]["action"]!.GetValue<string>());
            Assert.Contains("path-pattern[/status]", changes[0]["fields"]!.ToJsonString(), StringComparison.Ordinal);
            Assert.Equal("modify", changes[1]["action"]!.GetValue<string>());
            // The moved rule keeps its conditions and actions: only its priority and its resource-id tag change.
            Assert.Equal(
                ["priority", "tag ingress.k8s.aws/resource"],
                changes[1]["fields"]!.AsArray().Select(f => f!["field"]!.GetValue<string>()));

            var apply = await RunAsync("apply", cluster, files);
            Assert.Equal(ExitCodes.Ok, apply.Exit);
            var rules = apply.Report["groups"]![0]!["resources"]!["rules"]!.AsArray();
            Assert.Equal([1, 2], rules.Select(r => r!["priority"]!.GetValue<int>()));
            Assert.Contains("/status", rules[0]!["conditions"]!.ToJsonString(), StringComparison.Ordinal);
            Assert.Equal(ExitCodes.Ok, (await RunAsync("destroy", cluster, files)).Exit);
            await AssertNothingTaggedForAsync(cluster);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_wafv2_acl_name_associates_the_regional_web_acl_of_that_name()
    {
        const string cluster = "e2e-wafname";
        var folder = Directory.CreateTempSubdirectory("cli-wafname-");
        try
        {
            await MotoWafv2.CreateWebAclAsync(_moto, "e2e-wafname-other");
            var acl = await MotoWafv2.CreateWebAclAsync(_moto, "e2e-wafname-prod");
            var (files, text, group) = await ApplyEchoserverAsync(cluster, folder, static text => text
                .Replace("    alb.ingress.kubernetes.io/scheme: internet-facing\n",
                    "    alb.ingress.kubernetes.io/scheme: internet-facing\n    alb.ingress.kubernetes.io/wafv2-acl-name: e2e-wafname-prod\n", StringComparison.Ordinal));
            Assert.Contains("wafv2-acl-name", text, StringComparison.Ordinal);

            // Read back from AWS: the load balancer is associated with the ACL of that name, not the other one.
            using var elb = new ElasticLoadBalancingV2Client(_moto.ClientOptions());
            var lbArn = await LoadBalancerArnAsync(elb, group);
            Assert.NotNull(lbArn);
            Assert.Equal(acl, await MotoWafv2.AssociatedAclAsync(_moto, lbArn));

            var plan = await RunAsync("plan", cluster, files);
            Assert.Empty(Mutations(Assert.Single(plan.Report["groups"]!.AsArray())!));

            // A name no web ACL has freezes the Ingress with an error naming the annotation and the name; the
            // association stays as it was.
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "echoserver.yaml"), text.Replace("e2e-wafname-prod", "e2e-wafname-missing", StringComparison.Ordinal));
            var unknown = await RunAsync("plan", cluster, files);
            var frozen = Assert.Single(unknown.Report["groups"]!.AsArray())!.ToJsonString();
            Assert.Contains("alb.ingress.kubernetes.io/wafv2-acl-name", frozen, StringComparison.Ordinal);
            Assert.Contains("e2e-wafname-missing", frozen, StringComparison.Ordinal);
            Assert.Equal(acl, await MotoWafv2.AssociatedAclAsync(_moto, lbArn));

            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "echoserver.yaml"), text);
            Assert.Equal(ExitCodes.Ok, (await RunAsync("destroy", cluster, files)).Exit);
            await AssertNothingTaggedForAsync(cluster);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task An_https_ingress_without_certificate_arn_gets_the_acm_certificate_of_its_tls_host()
    {
        const string cluster = "e2e-acm";
        var folder = Directory.CreateTempSubdirectory("cli-acm-");
        try
        {
            var wildcard = await MotoAcm.ImportAsync(_moto, "*.acm-discovery.example");
            var exact = await MotoAcm.ImportAsync(_moto, "echo.acm-discovery.example");
            await MotoAcm.ImportAsync(_moto, "unrelated.example.org");
            var (files, text, group) = await ApplyEchoserverAsync(cluster, folder, static text => text
                .Replace("    alb.ingress.kubernetes.io/scheme: internet-facing\n",
                    "    alb.ingress.kubernetes.io/scheme: internet-facing\n    alb.ingress.kubernetes.io/listen-ports: '[{\"HTTPS\": 443}]'\n", StringComparison.Ordinal)
                .Replace("  ingressClassName: alb\n", "  ingressClassName: alb\n  tls:\n    - hosts:\n        - echo.acm-discovery.example\n", StringComparison.Ordinal)
                .Replace("echoserver.example.com", "echo.acm-discovery.example", StringComparison.Ordinal));
            Assert.DoesNotContain("certificate-arn", text, StringComparison.Ordinal);

            // Read back from AWS: one HTTPS:443 listener whose default certificate is the exact match, the wildcard as SNI.
            using var elb = new ElasticLoadBalancingV2Client(_moto.ClientOptions());
            var lbArn = await LoadBalancerArnAsync(elb, group);
            var listener = Assert.Single((await elb.DescribeListenersAsync(new DescribeListenersRequest { LoadBalancerArn = lbArn })).Listeners!);
            Assert.Equal((443, "HTTPS"), (listener.Port, listener.Protocol));
            // moto's DescribeListeners lists every certificate of the listener, the default (set by CreateListener) first.
            Assert.Equal(exact, listener.Certificates![0].CertificateArn);
            var all = await elb.DescribeListenerCertificatesAsync(new DescribeListenerCertificatesRequest { ListenerArn = listener.ListenerArn });
            Assert.Equal(new[] { exact, wildcard }.Order(StringComparer.Ordinal), (all.Certificates ?? []).Select(c => c.CertificateArn).Distinct().Order(StringComparer.Ordinal));

            var plan = await RunAsync("plan", cluster, files);
            Assert.Empty(Mutations(Assert.Single(plan.Report["groups"]!.AsArray())!));
            Assert.Equal(ExitCodes.Ok, (await RunAsync("destroy", cluster, files)).Exit);
            await AssertNothingTaggedForAsync(cluster);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Invalid_manifests_exit_1_naming_file_and_field_and_change_nothing()
    {
        var file = Path.Combine(Path.GetTempPath(), $"cli-bad-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: bad\n  namespace: default\nspec:\n  rules: 7\n");
        try
        {
            var run = await RunAsync("apply", "e2e-bad", ["-f", file]);
            Assert.Equal(ExitCodes.InvalidInput, run.Exit);
            Assert.Contains(file, run.Errors, StringComparison.Ordinal);
            Assert.Contains("spec.rules", run.Errors, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData(new[] { "apply" }, "-f")]
    [InlineData(new[] { "deploy", "-f", "x" }, "unknown command")]
    [InlineData(new[] { "plan", "-f", "x", "--aws" }, "--vpc-id is required")]
    [InlineData(new[] { "plan", "-f", "x", "--aws", "--seed", "--vpc-id", "vpc-1" }, "never seeded")]
    [InlineData(new[] { "plan", "-f", "x", "--output", "yaml" }, "expected text or json")]
    [InlineData(new[] { "plan", "--kubeconfig", "k" }, "--kubeconfig needs --aws-endpoint or --aws")]
    [InlineData(new[] { "destroy", "--kubeconfig", "k", "--aws", "--vpc-id", "vpc-1" }, "delete the Ingresses")]
    public void Bad_command_lines_say_why(string[] args, string reason)
    {
        var error = Assert.Throws<UsageException>(() => CliOptions.Parse(args, _ => null));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Region_comes_from_the_environment_else_us_east_1()
    {
        Assert.Equal("eu-west-1", CliOptions.Parse(["plan", "-f", "x"], n => n == "AWS_REGION" ? "eu-west-1" : null).Region);
        Assert.Equal("us-east-1", CliOptions.Parse(["plan", "-f", "x"], _ => null).Region);
        Assert.Equal(AwsTarget.Embedded, CliOptions.Parse(["plan", "-f", "x"], _ => null).Target);
    }

    /// <summary>
    /// Applies the echoserver example, edited by <paramref name="edit"/>, from <paramref name="folder"/>; asserts the
    /// run succeeded with every Ingress active and returns the file arguments, the edited manifest and the group's report.
    /// </summary>
    private async Task<(string[] Files, string Text, JsonNode Group)> ApplyEchoserverAsync(string cluster, DirectoryInfo folder, Func<string, string> edit)
    {
        File.Copy(Path.Combine(RepoPaths.Root, "examples", "cluster.yaml"), Path.Combine(folder.FullName, "cluster.yaml"));
        var text = edit(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "examples", "echoserver", "echoserver.yaml")));
        await File.WriteAllTextAsync(Path.Combine(folder.FullName, "echoserver.yaml"), text);
        string[] files = ["-f", folder.FullName];

        var apply = await RunAsync("apply", cluster, files);

        Assert.True(apply.Exit == ExitCodes.Ok, apply.Errors);
        var group = Assert.Single(apply.Report["groups"]!.AsArray())!;
        Assert.All(group["ingresses"]!.AsArray(), i => Assert.Equal("active", i!["state"]!.GetValue<string>()));
        return (files, text, group);
    }

    /// <summary>The ARN of the load balancer whose DNS name the report of <paramref name="group"/> gives, read from AWS.</summary>
    private static async Task<string?> LoadBalancerArnAsync(ElasticLoadBalancingV2Client elb, JsonNode group)
    {
        var dnsName = group["resources"]!["loadBalancer"]!["dnsName"]!.GetValue<string>();
        await foreach (var lb in elb.DescribeLoadBalancersPaginatedAsync(new DescribeLoadBalancersRequest()))
        {
            if (lb.DNSName == dnsName)
                return lb.LoadBalancerArn;
        }
        return null;
    }

    private static List<JsonNode> Mutations(JsonNode group) => CliRun.Mutations(group);

    private static bool IsMutating(string operation) =>
        !operation.Split(':')[^1].StartsWith("Describe", StringComparison.Ordinal);

    private Task<CliResult> RunAsync(string command, string cluster, string[] files, params string[] extra) =>
        CliRun.RunAsync(_moto, command, cluster, files, extra);

    private Task AssertNothingTaggedForAsync(string cluster) => CliRun.AssertNothingTaggedForAsync(_moto, cluster);
}
