using System.Text.Json.Nodes;
using DescribeSecurityGroupsRequest = Amazon.EC2.Model.DescribeSecurityGroupsRequest;
using Filter = Amazon.EC2.Model.Filter;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Testing;

namespace Serverless.Cli.Tests;

/// <summary>Runs of the CLI against one moto, and what a cluster left behind in it.</summary>
internal static class CliRuns
{
    /// <summary>Runs <paramref name="command"/> on <paramref name="files"/> against <paramref name="moto"/> (seeded, JSON output).</summary>
    public static async Task<(int Exit, JsonObject Report, string Errors)> RunAsync(MotoServer moto, string command, string cluster, string[] files, params string[] extra)
    {
        var options = CliOptions.Parse([command, .. files, "--aws-endpoint", moto.Endpoint, "--seed", "--cluster-name", cluster, "--output", "json", .. extra], _ => null);
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var exit = await new Runner(options, output, errors).RunAsync(CancellationToken.None);
        var text = output.ToString();
        return (exit, text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!.AsObject(), errors.ToString());
    }

    /// <summary>Asserts that no load balancer, target group or security group tagged for <paramref name="cluster"/> exists.</summary>
    public static async Task AssertNothingTaggedForAsync(MotoServer moto, string cluster)
    {
        var options = moto.ClientOptions();
        using var elb = new ElasticLoadBalancingV2Client(options);
        var arns = new List<string>();
        await foreach (var lb in elb.DescribeLoadBalancersPaginatedAsync(new DescribeLoadBalancersRequest()))
            arns.Add(lb.LoadBalancerArn!);
        await foreach (var tg in elb.DescribeTargetGroupsPaginatedAsync(new DescribeTargetGroupsRequest()))
            arns.Add(tg.TargetGroupArn!);
        var ours = new List<string>();
        foreach (var batch in arns.Chunk(20))
        {
            var tags = await elb.DescribeTagsAsync(new DescribeTagsRequest { ResourceArns = [.. batch] });
            ours.AddRange((tags.TagDescriptions ?? []).Where(d => (d.Tags ?? []).Any(t => t.Key == "elbv2.k8s.aws/cluster" && t.Value == cluster)).Select(d => d.ResourceArn!));
        }
        Assert.Empty(ours);
        using var ec2 = Ec2Gateway.CreateSdkClient(options);
        var groups = await ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { Filters = [new Filter("tag:elbv2.k8s.aws/cluster", [cluster])] });
        Assert.Empty(groups.SecurityGroups ?? []);
    }
}
