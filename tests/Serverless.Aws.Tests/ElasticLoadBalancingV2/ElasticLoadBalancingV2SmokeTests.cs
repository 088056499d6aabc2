using Serverless.Testing;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Tests.Infrastructure;

namespace Serverless.Aws.Tests.ElasticLoadBalancingV2;

[Collection(MotoCollection.Name)]
public sealed class ElasticLoadBalancingV2SmokeTests(MotoFixture fixture) : MotoTest(fixture)
{
    [Fact]
    public async Task Describing_a_missing_load_balancer_by_name_raises_the_typed_LoadBalancerNotFound_error()
    {
        using var elb = new ElasticLoadBalancingV2Client(Moto.ClientOptions());

        var error = await Assert.ThrowsAsync<ElasticLoadBalancingV2Exception>(
            () => elb.DescribeLoadBalancersAsync(new DescribeLoadBalancersRequest { Names = ["missing"] }));

        Assert.True(error.IsLoadBalancerNotFound);
        Assert.Equal("LoadBalancerNotFound", error.ErrorCode);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, error.StatusCode);
        Assert.False(string.IsNullOrEmpty(error.RequestId));
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }
}
