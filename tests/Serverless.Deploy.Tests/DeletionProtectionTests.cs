using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Deploy.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Deploy.Tests;

/// <summary>The deployer never turns deletion protection off by itself; only an explicit <c>false</c> in the stack does.</summary>
[Collection(MotoCollection.Name)]
public sealed class DeletionProtectionTests(MotoFixture fixture) : DeployTest(fixture)
{
    private async Task<string> ProtectionAsync(string name)
    {
        var lb = (await Inspect.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { Names = [name] })).LoadBalancers!.Single();
        var attributes = await Inspect.DescribeLoadBalancerAttributesAsync(new DescribeLoadBalancerAttributesRequest { LoadBalancerArn = lb.LoadBalancerArn });
        return attributes.Attributes!.Single(static a => a.Key == "deletion_protection.enabled").Value!;
    }

    [Fact]
    public async Task Protection_no_longer_desired_stays_on_and_is_noted_and_an_explicit_false_turns_it_off()
    {
        var shape = GroupShape.Reference(backends: 1) with { LoadBalancerAttributes = new SortedDictionary<string, string> { ["deletion_protection.enabled"] = "true" } };
        var name = Build(shape).LoadBalancer!.Name;
        AssertDone(await ApplyAsync(Build(shape)));

        var dropped = await ApplyAsync(Build(shape with { LoadBalancerAttributes = new SortedDictionary<string, string>() }), full: true);

        AssertDone(dropped);
        Assert.Equal("true", await ProtectionAsync(name));
        Assert.Contains(dropped.Notes, static n => n.Contains("deletion_protection.enabled=true is not desired: kept", StringComparison.Ordinal));

        AssertDone(await ApplyAsync(Build(shape with { LoadBalancerAttributes = new SortedDictionary<string, string> { ["deletion_protection.enabled"] = "false" } }), full: true));
        Assert.Equal("false", await ProtectionAsync(name));
    }
}
