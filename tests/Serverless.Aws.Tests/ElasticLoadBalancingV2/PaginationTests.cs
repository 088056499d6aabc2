using Serverless.Testing;
using Serverless.Aws.Core;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Tests.Infrastructure;

namespace Serverless.Aws.Tests.ElasticLoadBalancingV2;

/// <summary>
/// The generated paginators follow <c>NextMarker</c> until it is absent.
/// </summary>
/// <remarks>
/// What moto 5.2 really pages (checked against its source and by these tests): <c>DescribeLoadBalancers</c> and
/// <c>DescribeRules</c> honour <c>PageSize</c> and <c>Marker</c>. <c>DescribeListeners</c>,
/// <c>DescribeTargetGroups</c>, <c>DescribeListenerCertificates</c>, <c>DescribeSSLPolicies</c> and
/// <c>DescribeAccountLimits</c> ignore both and answer everything in one page without a marker, so their paginators
/// can only be shown to stop after one page here (AWS pages all of them).
/// </remarks>
[Collection(MotoCollection.Name)]
public sealed class PaginationTests(MotoFixture fixture) : MotoTest(fixture)
{
    private const int PageLimit = 50;

    /// <remarks>
    /// AWS lists rules in priority order with the default rule last; moto lists them in creation order. The rules are
    /// created in ascending priority so the expected order holds for both.
    /// </remarks>
    [Fact]
    public async Task Paging_seven_rules_two_at_a_time_makes_four_calls_and_returns_every_rule_once_in_priority_order()
    {
        var recorder = new AwsCallRecorder();
        using var bed = await ElbTestBed.CreateAsync(Moto, Moto.ClientOptions(recorder));
        var lb = await bed.CreateAlbAsync("web");
        var tg = await bed.CreateTargetGroupAsync("web-tg");
        var listener = await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!);
        int[] priorities = [3, 5, 8, 13, 21, 34, 55];
        var created = new List<string>();
        foreach (var priority in priorities)
            created.Add((await bed.CreatePathRuleAsync(listener.ListenerArn!, priority, $"/p{priority}/*", tg.TargetGroupArn!)).RuleArn!);
        recorder.Reset();

        var rules = await CollectAsync(bed.Elb.DescribeRulesPaginatedAsync(new DescribeRulesRequest { ListenerArn = listener.ListenerArn, PageSize = 2 }));

        // Seven rules plus the default rule: 2 + 2 + 2 + 2.
        Assert.Equal(4, recorder.CallsOf("ELBv2", "DescribeRules"));
        Assert.Equal(8, rules.Count);
        Assert.Equal(rules.Count, rules.Select(static r => r.RuleArn).Distinct().Count());
        Assert.Equal([.. priorities.Select(static p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)), "default"], rules.Select(static r => r.Priority));
        Assert.Equal(created, rules.Where(static r => r.IsDefault == false).Select(static r => r.RuleArn!));
        Assert.True(rules[^1].IsDefault);
        Assert.Equal([$"/p3/*"], rules[0].Conditions![0].PathPatternConfig!.Values);
    }

    [Fact]
    public async Task Enumerating_the_same_paged_request_twice_returns_every_load_balancer_both_times()
    {
        var recorder = new AwsCallRecorder();
        using var bed = await ElbTestBed.CreateAsync(Moto, Moto.ClientOptions(recorder));
        foreach (var name in new[] { "alpha", "bravo", "charlie" })
            await bed.CreateAlbAsync(name);
        var request = new DescribeLoadBalancersRequest { PageSize = 1 };

        var first = await CollectAsync(bed.Elb.DescribeLoadBalancersPaginatedAsync(request));
        var second = await CollectAsync(bed.Elb.DescribeLoadBalancersPaginatedAsync(request));

        Assert.Equal(3, first.Count);
        Assert.Equal(first.Select(static b => b.LoadBalancerArn), second.Select(static b => b.LoadBalancerArn));
        Assert.Null(request.Marker);
        Assert.Equal(6, recorder.CallsOf("ELBv2", "DescribeLoadBalancers"));
    }

    [Fact]
    public async Task Paging_three_load_balancers_one_at_a_time_makes_three_calls_and_returns_each_once()
    {
        var recorder = new AwsCallRecorder();
        using var bed = await ElbTestBed.CreateAsync(Moto, Moto.ClientOptions(recorder));
        var arns = new List<string>();
        foreach (var name in new[] { "alpha", "bravo", "charlie" })
            arns.Add((await bed.CreateAlbAsync(name)).LoadBalancerArn!);
        recorder.Reset();

        var balancers = await CollectAsync(bed.Elb.DescribeLoadBalancersPaginatedAsync(new DescribeLoadBalancersRequest { PageSize = 1 }));

        Assert.Equal(3, recorder.CallsOf("ELBv2", "DescribeLoadBalancers"));
        Assert.Equal(arns.Order(), balancers.Select(static b => b.LoadBalancerArn!).Order());
        Assert.Equal(["alpha", "bravo", "charlie"], balancers.Select(static b => b.LoadBalancerName!).Order());
    }

    [Fact]
    public async Task An_answer_without_a_next_marker_stops_the_listener_and_target_group_paginators_after_one_call()
    {
        var recorder = new AwsCallRecorder();
        using var bed = await ElbTestBed.CreateAsync(Moto, Moto.ClientOptions(recorder));
        var lb = await bed.CreateAlbAsync("web");
        await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!, 80);
        await bed.CreateHttpListenerAsync(lb.LoadBalancerArn!, 8080);
        await bed.CreateTargetGroupAsync("one");
        await bed.CreateTargetGroupAsync("two");
        recorder.Reset();

        var listeners = await CollectAsync(bed.Elb.DescribeListenersPaginatedAsync(new DescribeListenersRequest { LoadBalancerArn = lb.LoadBalancerArn }));
        var groups = await CollectAsync(bed.Elb.DescribeTargetGroupsPaginatedAsync(new DescribeTargetGroupsRequest()));

        // The default page size (AWS: 400) holds everything, so the answer carries no NextMarker on AWS or moto.
        Assert.Equal(2, listeners.Count);
        Assert.Equal(["one", "two"], groups.Select(static g => g.TargetGroupName!).Order());
        Assert.Equal(1, recorder.CallsOf("ELBv2", "DescribeListeners"));
        Assert.Equal(1, recorder.CallsOf("ELBv2", "DescribeTargetGroups"));
    }

    private static async Task<List<T>> CollectAsync<T>(IAsyncEnumerable<T> source)
    {
        // Bounded: a marker that never reached the service would otherwise page forever.
        var items = new List<T>();
        await foreach (var item in source)
        {
            items.Add(item);
            Assert.True(items.Count <= PageLimit, "the paginator did not stop");
        }
        return items;
    }
}
