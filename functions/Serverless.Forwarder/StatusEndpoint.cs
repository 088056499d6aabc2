using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Serverless.Forwarder;

/// <summary>
/// A minimal HTTP/1.1 server on a socket for the kubelet probes and Prometheus: <c>/healthz</c> (the process runs),
/// <c>/readyz</c> (200 after the first full sync), <c>/metrics</c>. One request per connection; anything else is 404.
/// </summary>
public sealed class StatusEndpoint : IDisposable
{
    private readonly TcpListener _listener;
    private readonly ForwarderMetrics _metrics;

    public StatusEndpoint(int port, ForwarderMetrics metrics)
    {
        _metrics = metrics;
        _listener = new TcpListener(IPAddress.Any, port);
        _listener.Start();
    }

    /// <summary>The port listened on (useful with port 0).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Accepts connections until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
                _ = ServeAsync(client, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public void Dispose() => _listener.Dispose();

    private async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII, false, 1024, leaveOpen: true);
                var requestLine = await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false) ?? "";
                while (!string.IsNullOrEmpty(await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false)))
                {
                    // headers are not needed
                }
                var parts = requestLine.Split(' ');
                var path = parts.Length > 1 ? parts[1].Split('?')[0] : "";
                var (status, contentType, body) = (parts[0], path) switch
                {
                    ("GET", "/healthz") => ("200 OK", "text/plain", "ok\n"),
                    ("GET", "/readyz") when _metrics.Ready() => ("200 OK", "text/plain", "ready\n"),
                    ("GET", "/readyz") => ("503 Service Unavailable", "text/plain", "initial sync not finished\n"),
                    ("GET", "/metrics") => ("200 OK", "text/plain; version=0.0.4", _metrics.Render()),
                    _ => ("404 Not Found", "text/plain", "not found\n"),
                };
                var payload = Encoding.UTF8.GetBytes(body);
                var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(head, timeout.Token).ConfigureAwait(false);
                await stream.WriteAsync(payload, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // the client went away or was too slow
            }
        }
    }
}
