using Serverless.Deploy.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Deploy.Tests;

/// <summary>A moto of its own for the Service stack crash loop (it runs beside the other loops).</summary>
[CollectionDefinition(Name)]
public sealed class NlbCrashMotoCollection : ICollectionFixture<MotoFixture>
{
    public const string Name = "moto-crash-nlb";
}

/// <summary>Service stacks (NLB): stopped after any mutating call, the next runs finish with the state of a clean apply.</summary>
[Collection(NlbCrashMotoCollection.Name)]
public sealed class NlbCrashSafetyTests(MotoFixture fixture) : CrashSafetyTest(fixture)
{
    [Fact]
    public Task An_nlb_update_finishes_after_a_crash_after_any_mutating_call()
    {
        var start = new ServiceShape { Ports = [new ServicePort(80, "TCP", "ip"), new ServicePort(443, "TLS", "instance", NodePort: 31443)] };
        // A target type replaced, a TCP_UDP port added, a health check changed, attributes set on each level.
        var target = start with
        {
            Icmp = true,
            LoadBalancerAttributes = new SortedDictionary<string, string> { ["load_balancing.cross_zone.enabled"] = "true" },
            Ports =
            [
                start.Ports[0] with { TargetType = "instance", NodePort = 31080, ListenerAttributes = new SortedDictionary<string, string> { ["tcp.idle_timeout.seconds"] = "600" } },
                start.Ports[1] with { HealthProtocol = "HTTP", HealthPath = "/ready", HealthCodes = "200", TargetGroupAttributes = new SortedDictionary<string, string> { ["proxy_protocol_v2.enabled"] = "true" } },
                new ServicePort(53, "TCP_UDP", "instance", NodePort: 31053),
            ],
        };
        return CrashAfterEveryCallAsync(() => ServiceStacks.Build(World, start), () => ServiceStacks.Build(World, target));
    }
}
