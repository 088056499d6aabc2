using Serverless.Testing;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Tests.Infrastructure;

namespace Serverless.Aws.Tests.ElasticLoadBalancingV2;

[Collection(MotoCollection.Name)]
public sealed class TagRoundTripTests(MotoFixture fixture) : MotoTest(fixture)
{
    [Fact]
    public async Task Tags_added_to_a_load_balancer_target_group_listener_and_rule_in_one_call_are_described_and_removed_per_resource()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web", ElbTestBed.Tags(("created-with", "lb")));
        var tg = await bed.CreateTargetGroupAsync("web-tg");
        var listener = await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!);
        var rule = await bed.CreatePathRuleAsync(listener.ListenerArn!, 1, "/a/*", tg.TargetGroupArn!);
        List<string> arns = [lb.LoadBalancerArn!, tg.TargetGroupArn!, listener.ListenerArn!, rule.RuleArn!];

        await bed.Elb.AddTagsAsync(new AddTagsRequest
        {
            ResourceArns = arns,
            Tags = ElbTestBed.Tags(("elbv2.k8s.aws/cluster", "prod"), ("ingress.k8s.aws/stack", "default/web"), ("temporary", "yes")),
        });
        var afterAdd = await DescribeAsync(bed, arns);
        await bed.Elb.RemoveTagsAsync(new RemoveTagsRequest { ResourceArns = arns, TagKeys = ["temporary"] });
        var afterRemove = await DescribeAsync(bed, arns);

        var common = new Dictionary<string, string>
        {
            ["elbv2.k8s.aws/cluster"] = "prod",
            ["ingress.k8s.aws/stack"] = "default/web",
        };
        Assert.Equal(arns.Order(), afterAdd.Keys.Order());
        Assert.Equal(new Dictionary<string, string>(common) { ["temporary"] = "yes", ["created-with"] = "lb" }, afterAdd[lb.LoadBalancerArn!]);
        foreach (var arn in arns.Skip(1))
            Assert.Equal(new Dictionary<string, string>(common) { ["temporary"] = "yes" }, afterAdd[arn]);
        Assert.Equal(new Dictionary<string, string>(common) { ["created-with"] = "lb" }, afterRemove[lb.LoadBalancerArn!]);
        foreach (var arn in arns.Skip(1))
            Assert.Equal(common, afterRemove[arn]);
    }

    [Fact]
    public async Task Describing_tags_of_twenty_resources_in_one_call_returns_one_description_per_resource()
    {
        using var bed = await ElbTestBed.CreateAsync(Moto);
        var lb = await bed.CreateAlbAsync("web", ElbTestBed.Tags(("name", "web")));
        var listener = await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!);
        var arns = new List<string> { lb.LoadBalancerArn!, listener.ListenerArn! };
        for (var i = 0; arns.Count < 20; i++)
            arns.Add((await bed.CreateTargetGroupAsync($"tg-{i}", tags: ElbTestBed.Tags(("name", $"tg-{i}")))).TargetGroupArn!);

        var tags = await DescribeAsync(bed, arns);

        Assert.Equal(20, tags.Count);
        Assert.Equal(arns.Order(), tags.Keys.Order());
        Assert.Equal(new Dictionary<string, string> { ["name"] = "web" }, tags[lb.LoadBalancerArn!]);
        Assert.Empty(tags[listener.ListenerArn!]);
        for (var i = 0; i < 18; i++)
            Assert.Equal(new Dictionary<string, string> { ["name"] = $"tg-{i}" }, tags[arns[i + 2]]);
    }

    private static async Task<Dictionary<string, Dictionary<string, string>>> DescribeAsync(ElbTestBed bed, List<string> arns)
    {
        var response = await bed.Elb.DescribeTagsAsync(new DescribeTagsRequest { ResourceArns = arns });
        return response.TagDescriptions!.ToDictionary(static d => d.ResourceArn!, static d => ElbTestBed.TagMap(d.Tags), StringComparer.Ordinal);
    }
}
