using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Serverless.Lambda;
using Serverless.Testing;

namespace Serverless.Functions.Tests;

/// <summary>The custom runtime loop against a loopback fake of the Lambda Runtime API.</summary>
public sealed class RuntimeLoopTests
{
    private sealed class DelegateFunction(Func<LambdaInvocation, CancellationToken, Task<byte[]>> handler) : ILambdaFunction
    {
        public Task<byte[]> InvokeAsync(LambdaInvocation invocation, CancellationToken cancellationToken) => handler(invocation, cancellationToken);
    }

    private static async Task<(Task<int> Loop, CancellationTokenSource Stop)> StartAsync(FakeLambdaRuntimeApi fake, CapturedOutput output, Func<LambdaContext, ILambdaFunction> init, TimeProvider? time = null)
    {
        var api = new RuntimeApiClient(fake.HostAndPort);
        var stop = new CancellationTokenSource();
        var loop = Task.Run(() => new LambdaRuntime(api, TestContext.Create(output, time)) { DeadlineSafety = TimeSpan.FromMilliseconds(100) }.RunAsync(init, stop.Token));
        await Task.Yield();
        return (loop, stop);
    }

    [Fact]
    public async Task A_successful_invocation_posts_the_handler_response_and_logs_with_request_and_trace_ids()
    {
        using var fake = FakeLambdaRuntimeApi.Start();
        var output = new CapturedOutput();
        string? traceEnv = null;
        var (loop, stop) = await StartAsync(fake, output, ctx => new DelegateFunction((inv, _) =>
        {
            traceEnv ??= Environment.GetEnvironmentVariable("_X_AMZN_TRACE_ID");
            ctx.Logger.Info("handling", ("size", inv.Payload.Length));
            return Task.FromResult(Encoding.UTF8.GetBytes("{\"echo\":" + Encoding.UTF8.GetString(inv.Payload.Span) + "}"));
        }));

        var result = await fake.Invoke("{\"a\":1}", requestId: "req-1", traceId: "Root=1-abc;Sampled=1").WaitAsync(TimeSpan.FromSeconds(10));
        var second = await fake.Invoke("{\"b\":2}", requestId: "req-2").WaitAsync(TimeSpan.FromSeconds(10));
        await stop.CancelAsync();

        Assert.False(result.IsError);
        Assert.Equal("{\"echo\":{\"a\":1}}", result.Body);
        Assert.False(second.IsError);
        Assert.Equal("Root=1-abc;Sampled=1", traceEnv);
        var line = output.Lines.Single(l => l.Contains("\"handling\"", StringComparison.Ordinal) && l.Contains("req-1", StringComparison.Ordinal));
        using var json = JsonDocument.Parse(line);
        Assert.Equal("INFO", json.RootElement.GetProperty("level").GetString());
        Assert.Equal("req-1", json.RootElement.GetProperty("requestId").GetString());
        Assert.Equal("Root=1-abc;Sampled=1", json.RootElement.GetProperty("traceId").GetString());
        Assert.Equal(7, json.RootElement.GetProperty("size").GetInt32());
        Assert.Equal(0, await loop.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_handler_exception_is_posted_as_the_invocation_error_and_the_loop_goes_on()
    {
        using var fake = FakeLambdaRuntimeApi.Start();
        var output = new CapturedOutput();
        var calls = 0;
        var (loop, stop) = await StartAsync(fake, output, _ => new DelegateFunction((_, _) =>
            ++calls == 1 ? throw new InvalidOperationException("boom") : Task.FromResult("{}"u8.ToArray())));

        var failed = await fake.Invoke("{}").WaitAsync(TimeSpan.FromSeconds(10));
        var next = await fake.Invoke("{}").WaitAsync(TimeSpan.FromSeconds(10));
        await stop.CancelAsync();

        Assert.True(failed.IsError);
        Assert.Equal("Function.Unhandled", failed.ErrorType);
        using var error = JsonDocument.Parse(failed.Body);
        Assert.Equal("boom", error.RootElement.GetProperty("errorMessage").GetString());
        Assert.Equal("InvalidOperationException", error.RootElement.GetProperty("errorType").GetString());
        Assert.Equal(JsonValueKind.Array, error.RootElement.GetProperty("stackTrace").ValueKind);
        Assert.False(next.IsError);
        Assert.Contains(output.Lines, l => l.Contains("\"level\":\"ERROR\"", StringComparison.Ordinal) && l.Contains("boom", StringComparison.Ordinal) && l.Contains(failed.RequestId, StringComparison.Ordinal));
        Assert.Equal(0, await loop.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task An_init_failure_is_posted_to_init_error_and_the_loop_exits_1_without_asking_for_work()
    {
        using var fake = FakeLambdaRuntimeApi.Start();
        var output = new CapturedOutput();
        var (loop, stop) = await StartAsync(fake, output, _ => throw new InvalidOperationException("environment variable QUEUE_URL is required"));

        var exit = await loop.WaitAsync(TimeSpan.FromSeconds(10));
        var body = await fake.InitError.WaitAsync(TimeSpan.FromSeconds(10));
        stop.Dispose();

        Assert.Equal(1, exit);
        Assert.Contains("QUEUE_URL is required", body, StringComparison.Ordinal);
        Assert.Equal(0, fake.NextCalls);
        Assert.Contains(output.Lines, l => l.Contains("\"level\":\"FATAL\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_deadline_header_becomes_a_cancellation_token_that_fires_at_the_safety_margin_mid_batch_while_the_response_still_gets_out()
    {
        using var fake = FakeLambdaRuntimeApi.Start();
        var output = new CapturedOutput();
        var start = DateTimeOffset.Parse("2026-11-23T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var time = new FakeTimeProvider(start);
        var items = Channel.CreateUnbounded<int>();
        var threeDone = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (loop, stop) = await StartAsync(fake, output, _ => new DelegateFunction(async (inv, token) =>
        {
            // A batch of items that arrive one by one: the token stops it part way, and the handler still answers.
            var done = 0;
            try
            {
                while (true)
                {
                    await items.Reader.ReadAsync(token);
                    if (++done == 3)
                        threeDone.TrySetResult(token);
                }
            }
            catch (OperationCanceledException)
            {
                // the deadline token fired: stop and answer with what is done
            }
            return Encoding.UTF8.GetBytes("{\"done\":" + done + "}");
        }), time);

        var pending = fake.Invoke("{}", deadline: start + TimeSpan.FromSeconds(3));
        for (var i = 0; i < 3; i++)
            await items.Writer.WriteAsync(i);
        var token = await threeDone.Task.WaitAsync(TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromMilliseconds(2_899)); // 1 ms before deadline − safety (100 ms)
        var early = token.IsCancellationRequested;
        time.Advance(TimeSpan.FromMilliseconds(1));
        var fired = token.IsCancellationRequested;
        var result = await pending.WaitAsync(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();

        Assert.False(early);
        Assert.True(fired);
        Assert.False(result.IsError);
        using var json = JsonDocument.Parse(result.Body);
        Assert.Equal(3, json.RootElement.GetProperty("done").GetInt32());
        Assert.Equal(0, await loop.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
