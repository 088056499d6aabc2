using System.Net;
using System.Net.Sockets;

namespace Serverless.Forwarder.Tests;

/// <summary>
/// /readyz against the fake API server: ready after the first sync, still ready through a short outage, 503 once the
/// API server has been unreachable (or answering errors) for longer than <see cref="ForwarderConfig.ApiUnreachableTimeout"/>
/// on the forwarder's clock, and ready again after the next successful list or watch.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class ReadinessTests(MotoFixture moto) : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private readonly HttpClient _http = new();
    private ForwarderHarness _h = null!;

    public async Task InitializeAsync()
    {
        _h = await ForwarderHarness.CreateAsync(moto.Server);
        _h.Api.Create(ForwarderHarness.IngressClass("alb"));
        _h.Api.Create(ForwarderHarness.Ingress("default", "a"));
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _h.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, string Body)> ReadyzAsync()
    {
        using var response = await _http.GetAsync(new Uri($"http://[::1]:{_h.Host.StatusPort}/readyz"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<string> MetricsAsync() => await _http.GetStringAsync(new Uri($"http://127.0.0.1:{_h.Host.StatusPort}/metrics"));

    /// <summary>The outage: every kind fails, readiness holds below the limit and turns 503 past it; then recovery.</summary>
    private async Task OutageAndRecoveryAsync(Action outage, Action recovery)
    {
        Assert.Equal((HttpStatusCode.OK, "ready\n"), await ReadyzAsync());
        Assert.All(_h.Host.Reflectors, static r => Assert.Null(r.FailingFor));

        // again while waiting: a connection being opened at the moment of the outage may slip through it once
        try
        {
            await _h.WaitUntilAsync(() =>
            {
                outage();
                return _h.Host.Reflectors.All(static r => r.FailingFor is not null);
            });
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException("not failing: " + string.Join(", ", _h.Host.Reflectors.Where(static r => r.FailingFor is null).Select(static r => r.Target.Kind)), e);
        }
        Assert.All(_h.Host.Reflectors, static r => Assert.True(r.FailingFor < Limit));
        Assert.Equal((HttpStatusCode.OK, "ready\n"), await ReadyzAsync());

        _h.Time.Advance(Limit + TimeSpan.FromSeconds(1));
        var (status, body) = await ReadyzAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.StartsWith("API server unreachable or failing for 6", body, StringComparison.Ordinal);
        Assert.Contains("(more than 60 s): ", body, StringComparison.Ordinal);
        foreach (var kind in new[] { "IngressClass", "IngressClassParams", "Node", "Ingress", "Service", "EndpointSlice" })
            Assert.Contains(kind, body, StringComparison.Ordinal);
        var metrics = await MetricsAsync();
        Assert.Contains("forwarder_ready 0\n", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("forwarder_api_failing_seconds 0\n", metrics, StringComparison.Ordinal);

        recovery();
        await _h.WaitUntilAsync(() => _h.Host.Metrics.Ready);
        Assert.Equal((HttpStatusCode.OK, "ready\n"), await ReadyzAsync());
        Assert.All(_h.Host.Reflectors, static r => Assert.Null(r.FailingFor));
        Assert.Contains("forwarder_api_failing_seconds 0\n", await MetricsAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readyz_turns_503_when_the_API_server_has_been_unreachable_longer_than_the_limit_and_ready_when_it_is_back()
    {
        using var network = new SwitchableNetwork();
        await _h.StartAsync(c => c with { ApiUnreachableTimeout = Limit }, kubernetesHandler: network.Handler);

        await OutageAndRecoveryAsync(network.GoAway, network.ComeBack);

        // changes flow again
        _h.Api.Create(ForwarderHarness.Ingress("default", "b"));
        Assert.Contains(await _h.NewMessagesAsync(), static m => m.Key == "ingress-group:default/b");
    }

    [Fact]
    public async Task Readyz_turns_503_when_the_API_server_has_answered_errors_longer_than_the_limit_and_ready_after_a_successful_watch()
    {
        await _h.StartAsync(c => c with { ApiUnreachableTimeout = Limit });

        await OutageAndRecoveryAsync(
            () =>
            {
                _h.Api.FailNext(int.MaxValue, 503);
                _h.Api.DropWatches();
            },
            _h.Api.ClearFailures);
    }

    [Fact]
    public void The_limit_defaults_to_60_seconds_and_comes_from_API_UNREACHABLE_SECONDS()
    {
        var env = new Dictionary<string, string> { ["QUEUE_URL"] = "https://sqs.eu-west-1.amazonaws.com/1/work.fifo", ["KUBE_API_URL"] = "https://10.100.0.1" };
        Assert.Equal(TimeSpan.FromSeconds(60), ForwarderConfig.FromEnvironment(env.GetValueOrDefault).ApiUnreachableTimeout);
        env["API_UNREACHABLE_SECONDS"] = "120";
        Assert.Equal(TimeSpan.FromSeconds(120), ForwarderConfig.FromEnvironment(env.GetValueOrDefault).ApiUnreachableTimeout);
        env["API_UNREACHABLE_SECONDS"] = "0";
        Assert.Contains("API_UNREACHABLE_SECONDS=0", Assert.Throws<InvalidOperationException>(() => ForwarderConfig.FromEnvironment(env.GetValueOrDefault)).Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The forwarder's network path to the API server: <see cref="GoAway"/> closes every open connection and refuses new
    /// ones (the server is gone), <see cref="ComeBack"/> lets them through again.
    /// </summary>
    private sealed class SwitchableNetwork : IDisposable
    {
        private readonly HashSet<Socket> _open = [];
        private readonly Lock _lock = new();
        private bool _reachable = true;

        public SwitchableNetwork()
        {
            Handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, cancellationToken) =>
                {
                    lock (_lock)
                    {
                        if (!_reachable)
                            throw new SocketException((int)SocketError.ConnectionRefused);
                    }
                    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    try
                    {
                        await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                    lock (_lock)
                    {
                        if (!_reachable)
                        {
                            socket.Dispose();
                            throw new SocketException((int)SocketError.ConnectionRefused);
                        }
                        _open.Add(socket);
                    }
                    return new NetworkStream(socket, ownsSocket: true);
                },
            };
        }

        public SocketsHttpHandler Handler { get; }

        public void GoAway()
        {
            Socket[] open;
            lock (_lock)
            {
                _reachable = false;
                open = [.. _open];
                _open.Clear();
            }
            foreach (var socket in open)
                socket.Dispose();
        }

        public void ComeBack()
        {
            lock (_lock)
                _reachable = true;
        }

        public void Dispose() => GoAway();
    }
}
