using Serverless.Kubernetes.Writers;

namespace Serverless.Kubernetes.Tests;

public sealed class WriterTests
{
    [Fact]
    public async Task The_drain_mark_labels_the_node_once_keeps_its_other_labels_and_can_be_removed()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(FakeCluster.Node("n1", "i-0a"));
        var writer = new NodeDrainWriter(cluster.Api);
        cluster.Server.ClearRequests();

        Assert.True(await writer.MarkAsync("n1"));
        Assert.False(await writer.MarkAsync("n1"));
        Assert.False(await writer.MarkAsync("missing"));

        Assert.Equal(1, cluster.Server.CountRequests("patch", "nodes"));
        var labels = cluster.Server.Get("v1", "Node", null, "n1")!["metadata"]!["labels"]!;
        Assert.Equal("true", labels["node.kubernetes.io/exclude-from-external-load-balancers"]!.GetValue<string>());
        Assert.Equal("us-west-2a", labels["topology.kubernetes.io/zone"]!.GetValue<string>());

        Assert.True(await writer.UnmarkAsync("n1"));
        Assert.False(await writer.UnmarkAsync("n1"));
        Assert.Null(cluster.Server.Get("v1", "Node", null, "n1")!["metadata"]!["labels"]!["node.kubernetes.io/exclude-from-external-load-balancers"]);
    }

    [Fact]
    public async Task Status_is_patched_only_when_hostname_or_ports_differ()
    {
        await using var cluster = await FakeCluster.StartAsync();
        cluster.Seed(FakeCluster.IngressJson("web", "web-svc"));
        var writer = new IngressWriter(cluster.Api);
        var ingress = (await cluster.Api.GetIngressAsync("default", "web"))!;

        Assert.True(await writer.UpdateStatusAsync(ingress, "a.example.com", [443, 80]));
        ingress = (await cluster.Api.GetIngressAsync("default", "web"))!;
        Assert.False(await writer.UpdateStatusAsync(ingress, "a.example.com", [80, 443]));
        Assert.True(await writer.UpdateStatusAsync(ingress, "a.example.com", [80]));
        ingress = (await cluster.Api.GetIngressAsync("default", "web"))!;
        Assert.True(await writer.UpdateStatusAsync(ingress, "b.example.com", [80]));
        Assert.Equal(3, cluster.Server.Requests.Count(static r => r.Subresource == "status"));
    }
}
