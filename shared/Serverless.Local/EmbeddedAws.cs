using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Serverless.Aws.Core;

namespace Serverless.Local;

/// <summary>
/// The embedded AWS: a real <c>moto_server</c> (the AWS emulator in the machine image) started as a child process
/// on a free loopback port, stopped when disposed or when this process exits. Nothing is downloaded.
/// </summary>
public sealed class EmbeddedAws : IDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private EmbeddedAws(Process process, int port)
    {
        _process = process;
        Port = port;
        Endpoint = $"http://127.0.0.1:{port}";
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
    }

    /// <summary>The loopback port moto listens on.</summary>
    public int Port { get; }

    /// <summary>The endpoint URL every AWS client points at.</summary>
    public string Endpoint { get; }

    /// <summary>What moto printed so far (for failure messages).</summary>
    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    /// <summary>Starts <c>moto_server</c> on a free loopback port and waits until it answers.</summary>
    public static EmbeddedAws Start(TimeSpan? timeout = null)
    {
        var port = FreePort();
        var psi = new ProcessStartInfo("moto_server", $"-H 127.0.0.1 -p {port}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("moto_server did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("moto_server is not on PATH; the machine image provides it (moto 5.x)", ex);
        }
        var server = new EmbeddedAws(process, port);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        server.WaitUntilReady(timeout ?? TimeSpan.FromSeconds(60));
        return server;
    }

    /// <summary>Forgets every resource in every service (moto's <c>POST /moto-api/reset</c>).</summary>
    public void Reset()
    {
        using var response = Http.PostAsync(Endpoint + "/moto-api/reset", null).GetAwaiter().GetResult();
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Client options pointing at this server with dummy credentials and no client-side rate limits.</summary>
    public AwsClientOptions ClientOptions(string region = "us-east-1") => AwsClientOptions.ForEmulator(Endpoint, region);

    /// <inheritdoc />
    public void Dispose() => Stop();

    private void Stop()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
        {
            if (_log.Length < 200_000)
                _log.AppendLine(line);
        }
    }

    private void WaitUntilReady(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"moto_server exited with {_process.ExitCode}:\n{Log}");
            try
            {
                using var response = Http.GetAsync(Endpoint + "/moto-api/data.json").GetAwaiter().GetResult();
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            Thread.Sleep(100);
        }
        Stop();
        throw new TimeoutException($"moto_server did not answer on port {Port} within {timeout}:\n{Log}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
