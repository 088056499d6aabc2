using Amazon.EC2.Model;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Testing;

namespace Serverless.Cli.Tests;

/// <summary>
/// Groups whose load balancer has no target group (a redirect, a fixed response, no rules at all) apply, plan clean and
/// destroy through the CLI; reading them back does not fail although moto answers <c>TargetGroupNotFound</c> where
/// AWS answers an empty list. And one group's failure never stops the others: every group is reconciled and
/// reported, and the run exits with the worst code.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class LoadBalancersWithoutTargetGroupsTests(MotoFixture fixture)
{
    private static readonly string InvalidScheme =
        TestIngresses.Ingress("b-invalid", TestIngresses.NoRules).Replace("scheme: internet-facing", "scheme: public", StringComparison.Ordinal);

    private readonly MotoServer _moto = fixture.Server;

    public static TheoryData<string, string, string?> Cases() => new()
    {
        // case, the Ingress's body after its annotations, the one rule's action ("" when there is no rule)
        { "redirect", TestIngresses.RedirectOnly, "redirect" },
        { "fixed-response", TestIngresses.FixedResponseOnly, "fixed-response" },
        { "no-rules", TestIngresses.NoRules, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_load_balancer_without_target_groups_applies_plans_clean_and_destroys(string name, string body, string? ruleAction)
    {
        var cluster = "e2e-notg-" + name;
        var folder = Directory.CreateTempSubdirectory("cli-notg-");
        try
        {
            var manifest = Path.Combine(folder.FullName, "ingress.yaml");
            await File.WriteAllTextAsync(manifest, TestIngresses.Ingress(name, body));
            var files = CliRun.WithCluster(manifest);

            var apply = await CliRun.RunAsync(_moto, "apply", cluster, files);

            Assert.True(apply.Exit == ExitCodes.Ok, apply.Errors);
            var group = Assert.Single(apply.Report["groups"]!.AsArray())!;
            Assert.Equal("done", group["plan"]!["reconcile"]!["kind"]!.GetValue<string>());
            Assert.Null(group["readBackError"]);
            var resources = group["resources"]!;
            Assert.EndsWith(".elb.amazonaws.com", resources["loadBalancer"]!["dnsName"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(80, Assert.Single(resources["listeners"]!.AsArray())!["port"]!.GetValue<int>());
            Assert.Empty(resources["targetGroups"]?.AsArray() ?? []);
            var rules = resources["rules"]?.AsArray() ?? [];
            if (ruleAction is null)
            {
                Assert.Empty(rules);
                var fallback = Assert.Single(resources["listeners"]![0]!["defaultActions"]!.AsArray())!;
                Assert.Equal("fixed-response", fallback["type"]!.GetValue<string>());
            }
            else
            {
                Assert.Equal(ruleAction, Assert.Single(Assert.Single(rules)!["actions"]!.AsArray())!["type"]!.GetValue<string>());
            }

            var plan = await CliRun.RunAsync(_moto, "plan", cluster, files);
            Assert.True(plan.Exit == ExitCodes.Ok, plan.Errors);
            Assert.Empty(CliRun.Mutations(Assert.Single(plan.Report["groups"]!.AsArray())!));

            var destroy = await CliRun.RunAsync(_moto, "destroy", cluster, files);
            Assert.True(destroy.Exit == ExitCodes.Ok, destroy.Errors);
            await CliRun.AssertNothingTaggedForAsync(_moto, cluster);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_failing_group_does_not_stop_the_others_and_the_run_exits_with_the_worst_code()
    {
        const string cluster = "e2e-worst";
        const string taken = "e2e-worst-taken";
        var foreignArn = await CreateForeignLoadBalancerAsync(taken);
        var folder = Directory.CreateTempSubdirectory("cli-worst-");
        try
        {
            // Three groups, in this order: one whose load balancer name is held by a load balancer it does not own
            // (fails), one with an invalid scheme (invalid input), one valid.
            var manifest = Path.Combine(folder.FullName, "ingresses.yaml");
            await File.WriteAllTextAsync(manifest, string.Join("---\n",
                TestIngresses.Ingress("a-taken", TestIngresses.NoRules, $"alb.ingress.kubernetes.io/load-balancer-name: {taken}"),
                InvalidScheme,
                TestIngresses.Ingress("c-valid", TestIngresses.RedirectOnly)));
            var files = CliRun.WithCluster(manifest);

            var apply = await CliRun.RunAsync(_moto, "apply", cluster, files);

            Assert.True(apply.Exit == ExitCodes.Failure, apply.Errors);
            Assert.Equal(ExitCodes.Failure, apply.Report["exitCode"]!.GetValue<int>());
            var groups = apply.Report["groups"]!.AsArray().Select(g => g!).ToDictionary(g => g["group"]!.GetValue<string>(), StringComparer.Ordinal);
            Assert.Equal(["default/a-taken", "default/b-invalid", "default/c-valid"], groups.Keys.Order(StringComparer.Ordinal));
            Assert.Contains(taken, groups["default/a-taken"].ToJsonString(), StringComparison.Ordinal);
            Assert.Contains("is taken by a load balancer this stack does not own", apply.Errors, StringComparison.Ordinal);
            Assert.Contains("alb.ingress.kubernetes.io/scheme", groups["default/b-invalid"]["ingresses"]!.ToJsonString(), StringComparison.Ordinal);
            var valid = groups["default/c-valid"];
            Assert.Equal("done", valid["plan"]!["reconcile"]!["kind"]!.GetValue<string>());
            Assert.EndsWith(".elb.amazonaws.com", valid["resources"]!["loadBalancer"]!["dnsName"]!.GetValue<string>(), StringComparison.Ordinal);

            // Without the failing group, the worst is the invalid Ingress: exit 1, the valid group still in place.
            await File.WriteAllTextAsync(manifest, string.Join("---\n", InvalidScheme, TestIngresses.Ingress("c-valid", TestIngresses.RedirectOnly)));
            var plan = await CliRun.RunAsync(_moto, "plan", cluster, files);
            Assert.True(plan.Exit == ExitCodes.InvalidInput, plan.Errors);
            Assert.Empty(CliRun.Mutations(plan.Report["groups"]!.AsArray().Single(g => g!["group"]!.GetValue<string>() == "default/c-valid")!));
        }
        finally
        {
            folder.Delete(recursive: true);
            using var elb = new ElasticLoadBalancingV2Client(_moto.ClientOptions());
            await elb.DeleteLoadBalancerAsync(new DeleteLoadBalancerRequest { LoadBalancerArn = foreignArn });
        }
    }

    /// <summary>A load balancer named <paramref name="name"/> that no cluster owns (no tags), in a VPC of its own.</summary>
    private async Task<string> CreateForeignLoadBalancerAsync(string name)
    {
        var options = _moto.ClientOptions();
        using var ec2 = Ec2Gateway.CreateSdkClient(options);
        using var elb = new ElasticLoadBalancingV2Client(options);
        var vpc = (await ec2.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.99.0.0/16" })).Vpc.VpcId;
        var a = (await ec2.CreateSubnetAsync(new CreateSubnetRequest { VpcId = vpc, CidrBlock = "10.99.1.0/24", AvailabilityZone = "us-east-1a" })).Subnet.SubnetId;
        var b = (await ec2.CreateSubnetAsync(new CreateSubnetRequest { VpcId = vpc, CidrBlock = "10.99.2.0/24", AvailabilityZone = "us-east-1b" })).Subnet.SubnetId;
        return (await elb.CreateLoadBalancerAsync(new CreateLoadBalancerRequest { Name = name, Subnets = [a, b] })).LoadBalancers![0].LoadBalancerArn!;
    }
}
