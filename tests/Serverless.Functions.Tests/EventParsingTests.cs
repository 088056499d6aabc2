using System.Text;
using System.Text.Json;
using Serverless.Lambda;
using Serverless.Lambda.Events;

namespace Serverless.Functions.Tests;

/// <summary>The EventBridge samples (AWS's documented shapes) read into instance events.</summary>
public sealed class EventParsingTests
{
    internal static string Sample(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Events", name));

    private static EventBridgeEvent Read(string name) =>
        JsonSerializer.Deserialize(Sample(name), LambdaJsonContext.Default.EventBridgeEvent)!;

    [Theory]
    [InlineData("spot-interruption.json", "spot-interruption")]
    [InlineData("rebalance-recommendation.json", "rebalance-recommendation")]
    [InlineData("state-change-shutting-down.json", "state-shutting-down")]
    [InlineData("terminate-lifecycle-action.json", "asg-termination")]
    public void Each_instance_event_names_its_instance_and_reason(string file, string reason)
    {
        var (e, ignored) = InstanceEventParser.Parse(Read(file));

        Assert.Null(ignored);
        Assert.Equal(["i-1234567890abcdef0"], e!.InstanceIds);
        Assert.Equal(reason, e.Reason);
    }

    [Fact]
    public void A_terminate_lifecycle_action_carries_group_hook_and_token()
    {
        var (e, _) = InstanceEventParser.Parse(Read("terminate-lifecycle-action.json"));

        Assert.Equal(new LifecycleAction("nodes", "drain", "87654321-4321-4321-4321-210987654321"), e!.Lifecycle);
    }

    [Fact]
    public void An_EC2_scheduled_change_health_event_names_every_affected_instance()
    {
        var (e, _) = InstanceEventParser.Parse(Read("health-scheduled-change.json"));

        Assert.Equal(["i-1234567890abcdef0", "i-0fedcba0987654321"], e!.InstanceIds);
        Assert.Null(e.Lifecycle);
    }

    [Fact]
    public void A_running_state_change_and_a_scheduled_event_are_ignored_with_a_reason()
    {
        Assert.Contains("not a leaving state", InstanceEventParser.Parse(Read("state-change-running.json")).Ignored, StringComparison.Ordinal);
        Assert.Contains("not an instance event", InstanceEventParser.Parse(Read("scheduled-event.json")).Ignored, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sniffer_tells_SQS_batches_EventBridge_envelopes_and_manual_payloads_apart()
    {
        Assert.Equal(EventKind.Sqs, EventSniffer.Kind(Encoding.UTF8.GetBytes(Sample("sqs-fifo-sample.json"))));
        Assert.Equal(EventKind.EventBridge, EventSniffer.Kind(Encoding.UTF8.GetBytes(Sample("scheduled-event.json"))));
        Assert.Equal(EventKind.Other, EventSniffer.Kind("{\"redriveDlq\":true}"u8.ToArray()));
    }
}
