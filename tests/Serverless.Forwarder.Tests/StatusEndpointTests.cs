using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace Serverless.Forwarder.Tests;

/// <summary>
/// The status endpoint on real loopback sockets: dual-stack by default (IPv6 and IPv4 probes), IPv4 when the host
/// has no IPv6, and its limits — connections at once, request line and head length, and the read timeout on a clock
/// the tests move.
/// </summary>
public sealed class StatusEndpointTests : IDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);
    private readonly FakeTimeProvider _time = new();
    private readonly ForwarderMetrics _metrics = new() { Readiness = static () => null };
    private readonly CancellationTokenSource _stop = new();
    private StatusEndpoint? _endpoint;
    private Task? _run;

    private StatusEndpoint Start(StatusEndpointOptions? options = null, Func<AddressFamily, Socket>? createSocket = null)
    {
        options ??= new StatusEndpointOptions { ReadTimeout = ReadTimeout };
        _endpoint = createSocket is null ? new StatusEndpoint(options, _metrics, _time) : new StatusEndpoint(options, _metrics, _time, createSocket);
        _run = _endpoint.RunAsync(_stop.Token);
        return _endpoint;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _endpoint?.Dispose();
        _run?.Wait(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    /// <summary>Sends <paramref name="request"/> on a new connection and reads the answer until the server closes.</summary>
    private static async Task<string> RequestAsync(IPAddress address, int port, string request)
    {
        using var client = new TcpClient(address.AddressFamily);
        await client.ConnectAsync(address, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        return await ReadToEndAsync(stream);
    }

    private static async Task<string> ReadToEndAsync(NetworkStream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var answer = new MemoryStream();
        await stream.CopyToAsync(answer, timeout.Token);
        return Encoding.ASCII.GetString(answer.ToArray());
    }

    private static string Get(string path) => $"GET {path} HTTP/1.1\r\nHost: forwarder\r\nUser-Agent: kube-probe/1.33\r\n\r\n";

    private async Task WaitForOpenConnectionsAsync(int count)
    {
        for (var i = 0; i < 500 && _endpoint!.OpenConnections != count; i++)
            await Task.Delay(10);
        Assert.Equal(count, _endpoint!.OpenConnections);
    }

    /// <summary>Whether the server closed (or reset) the connection; waits up to <paramref name="wait"/> for it.</summary>
    private static bool ClosedByServer(TcpClient client, TimeSpan wait)
    {
        try
        {
            return client.Client.Poll((int)wait.TotalMicroseconds, SelectMode.SelectRead) && client.Client.Receive(new byte[1]) == 0;
        }
        catch (SocketException)
        {
            return true; // reset
        }
    }

    [Fact]
    public async Task By_default_it_listens_dual_stack_so_IPv6_and_IPv4_probes_both_get_answers()
    {
        var endpoint = Start();

        Assert.Equal(IPAddress.IPv6Any, endpoint.Address);
        Assert.True(endpoint.DualStack);
        var overIPv6 = await RequestAsync(IPAddress.IPv6Loopback, endpoint.Port, Get("/healthz"));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", overIPv6, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nok\n", overIPv6, StringComparison.Ordinal);
        var overIPv4 = await RequestAsync(IPAddress.Loopback, endpoint.Port, Get("/readyz"));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", overIPv4, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nready\n", overIPv4, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_IPv6_on_the_host_it_falls_back_to_IPv4_any()
    {
        var endpoint = Start(createSocket: static family => family == AddressFamily.InterNetworkV6
            ? throw new SocketException((int)SocketError.AddressFamilyNotSupported)
            : new Socket(family, SocketType.Stream, ProtocolType.Tcp));

        Assert.Equal(IPAddress.Any, endpoint.Address);
        Assert.False(endpoint.DualStack);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await RequestAsync(IPAddress.Loopback, endpoint.Port, Get("/healthz")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_configured_address_is_bound_as_given_and_one_that_cannot_be_bound_is_a_configuration_error_naming_it()
    {
        var endpoint = Start(new StatusEndpointOptions { Address = IPAddress.Loopback });

        Assert.Equal(IPAddress.Loopback, endpoint.Address);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await RequestAsync(IPAddress.Loopback, endpoint.Port, Get("/healthz")), StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<SocketException>(() => RequestAsync(IPAddress.IPv6Loopback, endpoint.Port, Get("/healthz")));
        // TEST-NET-1 is not an address of this host
        var error = Assert.Throws<InvalidOperationException>(() => new StatusEndpoint(new StatusEndpointOptions { Address = IPAddress.Parse("192.0.2.7") }, _metrics, _time));
        Assert.Contains("HTTP_ADDRESS=192.0.2.7", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readyz_answers_503_with_the_reason_while_not_ready()
    {
        var reason = "initial sync not finished: Ingress";
        _metrics.Readiness = () => reason;
        var endpoint = Start();

        var answer = await RequestAsync(IPAddress.Loopback, endpoint.Port, Get("/readyz"));

        Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", answer, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\ninitial sync not finished: Ingress\n", answer, StringComparison.Ordinal);
        Assert.Contains("forwarder_ready 0\n", _metrics.Render(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connections_over_the_cap_are_closed_at_once_and_counted_and_the_cap_frees_up_when_they_end()
    {
        var endpoint = Start(new StatusEndpointOptions { MaxConnections = 2, ReadTimeout = ReadTimeout });
        using var first = new TcpClient(AddressFamily.InterNetworkV6);
        using var second = new TcpClient(AddressFamily.InterNetworkV6);
        await first.ConnectAsync(IPAddress.IPv6Loopback, endpoint.Port);
        await second.ConnectAsync(IPAddress.IPv6Loopback, endpoint.Port);
        await WaitForOpenConnectionsAsync(2);

        using (var third = new TcpClient(AddressFamily.InterNetwork))
        {
            try
            {
                await third.ConnectAsync(IPAddress.Loopback, endpoint.Port);
                Assert.True(ClosedByServer(third, TimeSpan.FromSeconds(10)), "the connection over the cap was not closed");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                // reset so fast that the connect already saw it
            }
        }
        Assert.Equal(1, _metrics.StatusRefusals("connections"));
        Assert.Equal(2, endpoint.OpenConnections);
        Assert.Contains("forwarder_status_refused_total{reason=\"connections\"} 1\n", _metrics.Render(), StringComparison.Ordinal);

        // the two held connections still get their answers; then a new one is served again
        await first.GetStream().WriteAsync(Encoding.ASCII.GetBytes(Get("/healthz")));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await ReadToEndAsync(first.GetStream()), StringComparison.Ordinal);
        second.Close();
        await WaitForOpenConnectionsAsync(0);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await RequestAsync(IPAddress.Loopback, endpoint.Port, Get("/healthz")), StringComparison.Ordinal);
        Assert.Equal(1, _metrics.StatusRefusals("connections"));
    }

    [Fact]
    public async Task A_request_line_longer_than_1_KiB_gets_414_and_one_of_exactly_1_KiB_is_served()
    {
        var endpoint = Start();
        static string Line(int length) => "GET /" + new string('a', length - "GET / HTTP/1.1".Length) + " HTTP/1.1";
        Assert.Equal(StatusEndpoint.MaxRequestLine, Line(StatusEndpoint.MaxRequestLine).Length);

        var longest = await RequestAsync(IPAddress.Loopback, endpoint.Port, Line(StatusEndpoint.MaxRequestLine) + "\r\nHost: forwarder\r\n\r\n");
        var tooLong = await RequestAsync(IPAddress.Loopback, endpoint.Port, Line(StatusEndpoint.MaxRequestLine + 1) + "\r\nHost: forwarder\r\n\r\n");
        // a line end that never comes: refused once the 1 KiB are passed, without waiting for the rest
        var endless = await RequestAsync(IPAddress.Loopback, endpoint.Port, "GET /" + new string('a', 4000));

        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", longest, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 414 URI Too Long\r\n", tooLong, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 414 URI Too Long\r\n", endless, StringComparison.Ordinal);
        Assert.Equal(2, _metrics.StatusRefusals("request_line"));
        await WaitForOpenConnectionsAsync(0);
    }

    [Fact]
    public async Task A_request_head_longer_than_8_KiB_gets_431()
    {
        var endpoint = Start();
        var headers = string.Concat(Enumerable.Range(0, 200).Select(static i => string.Create(CultureInfo.InvariantCulture, $"X-Filler-{i}: {new string('b', 40)}\r\n")));

        var answer = await RequestAsync(IPAddress.Loopback, endpoint.Port, "GET /healthz HTTP/1.1\r\n" + headers + "\r\n");

        Assert.True(headers.Length > StatusEndpoint.MaxRequestHead);
        Assert.StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n", answer, StringComparison.Ordinal);
        Assert.Equal(1, _metrics.StatusRefusals("headers"));
    }

    [Fact]
    public async Task A_slow_client_trickling_bytes_is_dropped_at_the_read_timeout_and_frees_its_slot()
    {
        var endpoint = Start(new StatusEndpointOptions { MaxConnections = 1, ReadTimeout = ReadTimeout });
        using var slow = new TcpClient(AddressFamily.InterNetworkV6);
        await slow.ConnectAsync(IPAddress.IPv6Loopback, endpoint.Port);
        await WaitForOpenConnectionsAsync(1);
        var stream = slow.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /healthz HTTP/1.1\r\nX-Slow: "));

        // one more byte every (fake) second: each arrives well within any per-read timeout, the whole head never does
        var elapsed = TimeSpan.Zero;
        var dropped = false;
        while (!dropped && elapsed < ReadTimeout * 3)
        {
            try
            {
                await stream.WriteAsync("a"u8.ToArray());
            }
            catch (IOException)
            {
                dropped = true;
                break;
            }
            _time.Advance(TimeSpan.FromSeconds(1));
            elapsed += TimeSpan.FromSeconds(1);
            dropped = ClosedByServer(slow, TimeSpan.FromMilliseconds(200));
        }

        Assert.True(dropped, "the slow client was not dropped");
        Assert.InRange(elapsed, ReadTimeout, ReadTimeout + TimeSpan.FromSeconds(2));
        Assert.Equal(1, _metrics.StatusRefusals("timeout"));
        await WaitForOpenConnectionsAsync(0);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await RequestAsync(IPAddress.Loopback, endpoint.Port, Get("/healthz")), StringComparison.Ordinal);
    }
}
