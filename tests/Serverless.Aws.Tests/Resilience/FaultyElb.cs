using Serverless.Aws.Core;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Testing;

namespace Serverless.Aws.Tests.Resilience;

/// <summary>
/// An ELBv2 client against moto with a <see cref="FaultInjectionHandler"/> under it. The handler is created when the
/// SDK builds the client's HTTP client (at the first request), so the rules are handed over up front.
/// </summary>
internal sealed class FaultyElb : IDisposable
{
    private readonly List<FaultInjectionHandler> _handlers = [];

    public FaultyElb(MotoServer moto, Func<AwsClientOptions, AwsClientOptions>? configure, params FaultRule[] rules)
    {
        Recorder = new AwsCallRecorder();
        var options = moto.ClientOptions(Recorder, inner =>
        {
            var handler = new FaultInjectionHandler(inner);
            foreach (var rule in rules)
                handler.Add(rule);
            lock (_handlers)
                _handlers.Add(handler);
            return handler;
        });
        Options = configure is null ? options : configure(options);
        Client = new ElasticLoadBalancingV2Client(Options);
    }

    public AwsClientOptions Options { get; }

    public ElasticLoadBalancingV2Client Client { get; }

    public AwsCallRecorder Recorder { get; }

    /// <summary>The one fault handler of the client (the SDK must build exactly one HTTP client per SDK client).</summary>
    public FaultInjectionHandler Handler
    {
        get
        {
            lock (_handlers)
                return Assert.Single(_handlers);
        }
    }

    /// <summary>How many HTTP handler chains the SDK built for this client so far.</summary>
    public int HandlerChainsBuilt
    {
        get
        {
            lock (_handlers)
                return _handlers.Count;
        }
    }

    public long CallsOf(string operation) => Recorder.CallsOf("ELBv2", operation);

    public long AttemptsOf(string operation) =>
        Recorder.Attempts.TryGetValue("ELBv2:" + operation, out var n) ? n : 0;

    public void Dispose() => Client.Dispose();
}
