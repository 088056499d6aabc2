using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Serverless.Forwarder;

/// <summary>Where and how the <see cref="StatusEndpoint"/> listens.</summary>
public sealed record StatusEndpointOptions
{
    /// <summary>The address bound; null: <c>[::]</c> dual-stack, or <c>0.0.0.0</c> when the host has no IPv6.</summary>
    public IPAddress? Address { get; init; }

    /// <summary>The port (0: a free one).</summary>
    public int Port { get; init; }

    /// <summary>Connections served at once; one more is closed as soon as it is accepted.</summary>
    public int MaxConnections { get; init; } = 16;

    /// <summary>The request line and headers must arrive within this, and the answer must be taken within it again.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// A minimal HTTP/1.1 server on a socket for the kubelet probes and Prometheus: <c>/healthz</c> (the process runs),
/// <c>/readyz</c> (200 after the first full sync while the API server answers), <c>/metrics</c>. One request per
/// connection; anything else is 404. Exposure is bounded: at most <see cref="StatusEndpointOptions.MaxConnections"/>
/// connections at once (more are closed at once), a request line of at most <see cref="MaxRequestLine"/> bytes (else
/// 414), headers of at most <see cref="MaxRequestHead"/> bytes (else 431), and the whole request within
/// <see cref="StatusEndpointOptions.ReadTimeout"/> (else the connection is closed), so a slow client cannot hold a slot.
/// </summary>
public sealed class StatusEndpoint : IDisposable
{
    /// <summary>The longest request line accepted, without its line end.</summary>
    public const int MaxRequestLine = 1024;

    /// <summary>The longest request head (request line and headers) accepted.</summary>
    public const int MaxRequestHead = 8192;

    private readonly Socket _listener;
    private readonly ForwarderMetrics _metrics;
    private readonly StatusEndpointOptions _options;
    private readonly TimeProvider _time;
    private int _open;

    /// <summary>Binds and listens at once (a port in use fails here); <paramref name="time"/> runs the read timeout.</summary>
    public StatusEndpoint(StatusEndpointOptions options, ForwarderMetrics metrics, TimeProvider? time = null)
        : this(options, metrics, time, static family => new Socket(family, SocketType.Stream, ProtocolType.Tcp))
    {
    }

    internal StatusEndpoint(StatusEndpointOptions options, ForwarderMetrics metrics, TimeProvider? time, Func<AddressFamily, Socket> createSocket)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _metrics = metrics;
        _time = time ?? TimeProvider.System;
        _listener = Listen(options.Address, options.Port, createSocket);
    }

    /// <summary>The port listened on (useful with port 0).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    /// <summary>The address bound: <c>::</c> (dual-stack), <c>0.0.0.0</c> (no IPv6 on the host) or the configured one.</summary>
    public IPAddress Address => ((IPEndPoint)_listener.LocalEndPoint!).Address;

    /// <summary>Whether IPv4 clients reach an IPv6 listener (IPv6Only off).</summary>
    public bool DualStack => _listener.AddressFamily == AddressFamily.InterNetworkV6 && _listener.DualMode;

    /// <summary>Connections being served now.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    /// <summary>
    /// The listening socket: the configured address (<c>::</c> dual-stack), or by default <c>[::]</c> dual-stack and,
    /// when the host has no IPv6 (the family is not supported or its any-address cannot be bound), <c>0.0.0.0</c>.
    /// </summary>
    internal static Socket Listen(IPAddress? address, int port, Func<AddressFamily, Socket> createSocket)
    {
        if (address is not null)
        {
            try
            {
                return Bind(createSocket, address, port);
            }
            catch (SocketException e) when (e.SocketErrorCode != SocketError.AddressAlreadyInUse)
            {
                throw new InvalidOperationException($"HTTP_ADDRESS={address}: cannot listen on it ({e.SocketErrorCode}: {e.Message})", e);
            }
        }
        if (Socket.OSSupportsIPv6)
        {
            try
            {
                return Bind(createSocket, IPAddress.IPv6Any, port);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressFamilyNotSupported or SocketError.ProtocolFamilyNotSupported
                or SocketError.ProtocolNotSupported or SocketError.SocketNotSupported or SocketError.AddressNotAvailable or SocketError.OperationNotSupported)
            {
                // no IPv6 here: IPv4 only
            }
        }
        return Bind(createSocket, IPAddress.Any, port);
    }

    private static Socket Bind(Func<AddressFamily, Socket> createSocket, IPAddress address, int port)
    {
        var socket = createSocket(address.AddressFamily);
        try
        {
            if (address.Equals(IPAddress.IPv6Any))
                socket.DualMode = true;
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(64);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Accepts connections until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    // a connection aborted before it was accepted, or no descriptor left: go on after a pause
                    await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (Interlocked.Increment(ref _open) > _options.MaxConnections)
                {
                    Interlocked.Decrement(ref _open);
                    _metrics.StatusRefused("connections");
                    Reset(client);
                    continue;
                }
                _ = ServeAsync(client, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>Closes with a reset, so nothing of the connection stays behind.</summary>
    private static void Reset(Socket client)
    {
        try
        {
            client.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
            // the client is gone already
        }
        client.Dispose();
    }

    private async Task ServeAsync(Socket client, CancellationToken cancellationToken)
    {
        try
        {
            // A timeout is counted inside ServeOnAsync, before these usings close the socket: whoever sees the close sees the count.
            using var stream = new NetworkStream(client, ownsSocket: true);
            using var deadline = new ClockTimeout(_time, cancellationToken);
            await ServeOnAsync(client, stream, deadline, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the client went away, or the endpoint stops
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    private async Task ServeOnAsync(Socket client, NetworkStream stream, ClockTimeout deadline, CancellationToken cancellationToken)
    {
        try
        {
            deadline.CancelAfter(_options.ReadTimeout);
            var (requestLine, refusal) = await ReadHeadAsync(stream, deadline.Token).ConfigureAwait(false);
            if (requestLine is null && refusal is null)
                return; // closed before a whole request
            var (status, contentType, body) = refusal ?? Answer(requestLine!);
            var payload = Encoding.UTF8.GetBytes(body);
            var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n");
            deadline.CancelAfter(_options.ReadTimeout);
            await stream.WriteAsync(head, deadline.Token).ConfigureAwait(false);
            await stream.WriteAsync(payload, deadline.Token).ConfigureAwait(false);
            if (refusal is not null)
            {
                // The client may still be sending: stop reading it, but let it read the answer before the close.
                client.Shutdown(SocketShutdown.Send);
                await DiscardAsync(stream, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _metrics.StatusRefused("timeout");
            throw;
        }
    }

    private (string Status, string ContentType, string Body) Answer(string requestLine)
    {
        var parts = requestLine.Split(' ');
        var path = parts.Length > 1 ? parts[1].Split('?')[0] : "";
        return (parts[0], path) switch
        {
            ("GET", "/healthz") => ("200 OK", "text/plain", "ok\n"),
            ("GET", "/readyz") => _metrics.Readiness() is { } reason ? ("503 Service Unavailable", "text/plain", reason + "\n") : ("200 OK", "text/plain", "ready\n"),
            ("GET", "/metrics") => ("200 OK", "text/plain; version=0.0.4", _metrics.Render()),
            _ => ("404 Not Found", "text/plain", "not found\n"),
        };
    }

    /// <summary>
    /// Reads the request head (up to the empty line): the request line, or a refusal when a limit is passed; both null
    /// when the client closed first.
    /// </summary>
    private async Task<(string? RequestLine, (string, string, string)? Refusal)> ReadHeadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxRequestHead];
        var length = 0;
        var lineEnd = -1;
        while (true)
        {
            if (lineEnd < 0)
            {
                lineEnd = Array.IndexOf(buffer, (byte)'\n', 0, length);
                var end = lineEnd >= 0 ? lineEnd : length;
                var lineLength = end > 0 && buffer[end - 1] == '\r' ? end - 1 : end;
                if (lineLength > MaxRequestLine)
                {
                    _metrics.StatusRefused("request_line");
                    return (null, ("414 URI Too Long", "text/plain", $"request line longer than {MaxRequestLine} bytes\n"));
                }
            }
            if (lineEnd >= 0 && EndOfHead(buffer.AsSpan(0, length)))
                return (Encoding.ASCII.GetString(buffer, 0, lineEnd).TrimEnd('\r'), null);
            if (length == buffer.Length)
            {
                _metrics.StatusRefused("headers");
                return (null, ("431 Request Header Fields Too Large", "text/plain", $"request head longer than {MaxRequestHead} bytes\n"));
            }
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
                return (null, null);
            length += read;
        }
    }

    /// <summary>Whether the head is complete: an empty line (CRLF CRLF, or bare LF LF) was received.</summary>
    private static bool EndOfHead(ReadOnlySpan<byte> head) => head.IndexOf("\r\n\r\n"u8) >= 0 || head.IndexOf("\n\n"u8) >= 0;

    /// <summary>Reads and drops what the client still sends, until it closes or the deadline passes (at most 64 KiB).</summary>
    private static async Task DiscardAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var scratch = new byte[4096];
        try
        {
            for (var total = 0; total < 65536;)
            {
                var read = await stream.ReadAsync(scratch, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                    return;
                total += read;
            }
        }
        catch (OperationCanceledException)
        {
            // the answer was sent; the client keeps the connection open for nothing
        }
    }
}
