using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace Serverless.Testing;

/// <summary>What a function answered to one invocation.</summary>
/// <param name="RequestId">The invocation.</param>
/// <param name="IsError">True for <c>/error</c>, false for <c>/response</c>.</param>
/// <param name="Body">The posted body.</param>
/// <param name="ErrorType">The <c>Lambda-Runtime-Function-Error-Type</c> header of an error.</param>
/// <param name="At">When the post arrived.</param>
public sealed record RuntimeResult(string RequestId, bool IsError, string Body, string? ErrorType, DateTimeOffset At);

/// <summary>
/// A loopback fake of the Lambda Runtime API (no emulator exists here): hands out queued invocations on
/// <c>GET /2018-06-01/runtime/invocation/next</c> (blocking until one is queued, as Lambda does) and records the
/// <c>/response</c>, <c>/error</c> and <c>/init/error</c> posts. Used by the runtime loop tests and the cold-start benchmark.
/// </summary>
public sealed class FakeLambdaRuntimeApi : IDisposable
{
    private const string Prefix = "/2018-06-01/runtime/";
    private readonly HttpListener _listener = new();
    private readonly Channel<(string RequestId, string Body, DateTimeOffset Deadline, string? TraceId)> _pending = Channel.CreateUnbounded<(string, string, DateTimeOffset, string?)>();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<RuntimeResult>> _results = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<string> _initError = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();

    private FakeLambdaRuntimeApi(int port)
    {
        Port = port;
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    /// <summary>The loopback port.</summary>
    public int Port { get; }

    /// <summary>The value for <c>AWS_LAMBDA_RUNTIME_API</c>.</summary>
    public string HostAndPort => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>How many <c>next</c> calls arrived.</summary>
    public int NextCalls => Volatile.Read(ref _nextCalls);

    private int _nextCalls;

    /// <summary>Starts the fake on a free loopback port.</summary>
    public static FakeLambdaRuntimeApi Start()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new FakeLambdaRuntimeApi(port);
    }

    /// <summary>
    /// Queues an invocation whose deadline is <paramref name="timeLeft"/> from now on the wall clock, or
    /// <paramref name="deadline"/> exactly (for a runtime on a fake clock); the returned task completes with the function's answer.
    /// </summary>
    public Task<RuntimeResult> Invoke(string body, TimeSpan? timeLeft = null, string? requestId = null, string? traceId = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", DateTimeOffset? deadline = null)
    {
        requestId ??= Guid.NewGuid().ToString();
        var result = _results.GetOrAdd(requestId, static _ => new TaskCompletionSource<RuntimeResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        _pending.Writer.TryWrite((requestId, body, deadline ?? DateTimeOffset.UtcNow + (timeLeft ?? TimeSpan.FromMinutes(1)), traceId));
        return result.Task;
    }

    /// <summary>Completes with the body of the first <c>init/error</c> post.</summary>
    public Task<string> InitError => _initError.Task;

    /// <inheritdoc />
    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            var path = request.Url!.AbsolutePath;
            if (!path.StartsWith(Prefix, StringComparison.Ordinal))
            {
                response.StatusCode = 404;
                return;
            }
            var rest = path[Prefix.Length..];
            string body;
            using (var reader = new StreamReader(request.InputStream, Encoding.UTF8))
                body = await reader.ReadToEndAsync().ConfigureAwait(false);
            if (request.HttpMethod == "GET" && rest == "invocation/next")
            {
                Interlocked.Increment(ref _nextCalls);
                var (id, payload, deadline, trace) = await _pending.Reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                response.StatusCode = 200;
                response.Headers["Lambda-Runtime-Aws-Request-Id"] = id;
                response.Headers["Lambda-Runtime-Deadline-Ms"] = deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
                response.Headers["Lambda-Runtime-Invoked-Function-Arn"] = "arn:aws:lambda:us-east-1:123456789012:function:test";
                if (trace is not null)
                    response.Headers["Lambda-Runtime-Trace-Id"] = trace;
                var bytes = Encoding.UTF8.GetBytes(payload);
                response.ContentType = "application/json";
                await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
                return;
            }
            if (request.HttpMethod == "POST" && rest == "init/error")
            {
                _initError.TrySetResult(body);
                response.StatusCode = 202;
                return;
            }
            var parts = rest.Split('/');
            if (request.HttpMethod == "POST" && parts is ["invocation", var requestId, "response" or "error"])
            {
                var isError = parts[2] == "error";
                var tcs = _results.GetOrAdd(requestId, static _ => new TaskCompletionSource<RuntimeResult>(TaskCreationOptions.RunContinuationsAsynchronously));
                tcs.TrySetResult(new RuntimeResult(requestId, isError, body, request.Headers["Lambda-Runtime-Function-Error-Type"], DateTimeOffset.UtcNow));
                response.StatusCode = 202;
                return;
            }
            response.StatusCode = 404;
        }
        catch (OperationCanceledException)
        {
            response.StatusCode = 503;
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                // the client went away
            }
        }
    }
}
