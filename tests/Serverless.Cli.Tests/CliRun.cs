using System.Text.Json.Nodes;
using DescribeSecurityGroupsRequest = Amazon.EC2.Model.DescribeSecurityGroupsRequest;
using Filter = Amazon.EC2.Model.Filter;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Testing;

namespace Serverless.Cli.Tests;

/// <summary>One run of the CLI: its exit code, its JSON report (stdout) and its human text (stderr).</summary>
internal sealed record CliResult(int Exit, JsonObject Report, string Errors);

/// <summary>
/// Runs the CLI in-process against one moto used as an existing endpoint (<c>--aws-endpoint … --seed</c>, JSON output)
/// and checks what a cluster left behind.
/// </summary>
internal static class CliRun
{
    /// <summary><paramref name="command"/> on <paramref name="files"/> (<c>-f</c> arguments) for <paramref name="cluster"/>.</summary>
    public static async Task<CliResult> RunAsync(MotoServer moto, string command, string cluster, string[] files, params string[] extra)
    {
        var options = CliOptions.Parse([command, .. files, "--aws-endpoint", moto.Endpoint, "--seed", "--cluster-name", cluster, "--output", "json", .. extra], _ => null);
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var exit = await new Runner(options, output, errors).RunAsync(CancellationToken.None);
        var text = output.ToString();
        var report = text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!.AsObject();
        return new CliResult(exit, report, errors.ToString());
    }

    /// <summary>The <c>-f</c> arguments for <c>examples/cluster.yaml</c> and then <paramref name="paths"/>.</summary>
    public static string[] WithCluster(params string[] paths) =>
        ["-f", Path.Combine(RepoPaths.Root, "examples", "cluster.yaml"), .. paths.SelectMany(static p => new[] { "-f", p })];

    /// <summary>The changes of a group's plan that create, modify, replace or delete something.</summary>
    public static List<JsonNode> Mutations(JsonNode group) =>
        [.. (group["plan"]!["changes"]?.AsArray() ?? []).OfType<JsonNode>()
            .Where(c => c["action"]!.GetValue<string>() is "create" or "modify" or "replace" or "delete")];

    /// <summary>Asserts no load balancer, target group or security group carries <paramref name="cluster"/>'s tag.</summary>
    public static async Task AssertNothingTaggedForAsync(MotoServer moto, string cluster)
    {
        var options = moto.ClientOptions();
        using var elb = new ElasticLoadBalancingV2Client(options);
        var arns = new List<string>();
        await foreach (var lb in elb.DescribeLoadBalancersPaginatedAsync(new DescribeLoadBalancersRequest()))
            arns.Add(lb.LoadBalancerArn!);
        await foreach (var tg in elb.DescribeTargetGroupsPaginatedAsync(new DescribeTargetGroupsRequest()))
            arns.Add(tg.TargetGroupArn!);
        foreach (var batch in arns.Chunk(20))
        {
            var tags = await elb.DescribeTagsAsync(new DescribeTagsRequest { ResourceArns = [.. batch] });
            var ours = (tags.TagDescriptions ?? []).Where(d => (d.Tags ?? []).Any(t => t.Key == "elbv2.k8s.aws/cluster" && t.Value == cluster)).Select(d => d.ResourceArn);
            Assert.True(!ours.Any(), string.Join(", ", ours));
        }
        using var ec2 = Ec2Gateway.CreateSdkClient(options);
        var groups = await ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest
        {
            Filters = [new Filter("tag:elbv2.k8s.aws/cluster", [cluster])],
        });
        Assert.Empty(groups.SecurityGroups ?? []);
    }
}
