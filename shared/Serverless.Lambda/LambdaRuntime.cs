using System.Diagnostics;

namespace Serverless.Lambda;

/// <summary>What the init step of a function receives: the process-wide logger, metrics and clock.</summary>
/// <param name="Logger">Structured JSON logs on stdout.</param>
/// <param name="Metrics">EMF metric lines on stdout.</param>
/// <param name="Time">The clock (tests inject a fake one).</param>
/// <param name="Environment">Reads a configuration variable (tests inject a dictionary).</param>
public sealed record LambdaContext(LambdaLogger Logger, EmfMetrics Metrics, TimeProvider Time, Func<string, string?> Environment)
{
    /// <summary>A required configuration variable; throws naming it when missing (an init error).</summary>
    public string Required(string name) =>
        Environment(name) is { Length: > 0 } value ? value : throw new InvalidOperationException($"environment variable {name} is required");

    /// <summary>An optional configuration variable, or <paramref name="fallback"/>.</summary>
    public string Optional(string name, string fallback) => Environment(name) is { Length: > 0 } value ? value : fallback;

    /// <summary>An optional number of seconds, or <paramref name="fallback"/>.</summary>
    public TimeSpan Seconds(string name, TimeSpan fallback) =>
        double.TryParse(Environment(name), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var s)
            ? TimeSpan.FromSeconds(s)
            : fallback;

    /// <summary>The context of a Lambda process: stdout logger at <c>LOG_LEVEL</c>, metrics under <c>AWS_LAMBDA_FUNCTION_NAME</c>.</summary>
    public static LambdaContext FromProcess()
    {
        var logger = LambdaLogger.FromEnvironment();
        var name = System.Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_NAME") ?? "local";
        return new LambdaContext(logger, new EmfMetrics(logger, name), TimeProvider.System, System.Environment.GetEnvironmentVariable);
    }
}

/// <summary>
/// The custom-runtime loop: init once (clients, configuration — an exception is posted to <c>init/error</c> and the
/// process exits 1), then forever: <c>next</c> → handler → <c>response</c>, or <c>error</c> for an exception. The only
/// place where an exception becomes an <c>/error</c> post. Each invocation runs in an <see cref="InvocationScope"/>
/// (request and trace ids on every log and metric line; <c>_X_AMZN_TRACE_ID</c> set for SDKs) with a cancellation
/// token that fires <see cref="DeadlineSafety"/> before Lambda's deadline, so the handler can still answer.
/// </summary>
public sealed class LambdaRuntime(RuntimeApiClient api, LambdaContext context)
{
    /// <summary>How long before the deadline the handler's token fires: time left to post a response.</summary>
    public TimeSpan DeadlineSafety { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Runs a function in this process against <c>AWS_LAMBDA_RUNTIME_API</c>; returns the process exit code.</summary>
    public static async Task<int> RunProcessAsync(Func<LambdaContext, ILambdaFunction> init)
    {
        var host = Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API");
        var context = LambdaContext.FromProcess();
        if (string.IsNullOrEmpty(host))
        {
            context.Logger.Log(LogLevel.Fatal, "AWS_LAMBDA_RUNTIME_API is not set: this program runs inside Lambda (or the local host)", null);
            return 2;
        }
        using var api = new RuntimeApiClient(host);
        return await new LambdaRuntime(api, context).RunAsync(init, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Initializes the function and serves invocations until <paramref name="stopping"/> fires (returns 0) or init
    /// fails (returns 1). Failures to talk to the Runtime API itself end the loop with an exception.
    /// </summary>
    public async Task<int> RunAsync(Func<LambdaContext, ILambdaFunction> init, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(init);
        var started = Stopwatch.GetTimestamp();
        ILambdaFunction function;
        try
        {
            function = init(context);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            context.Logger.Log(LogLevel.Fatal, "function initialization failed", ex);
            await api.InitErrorAsync(ex, stopping).ConfigureAwait(false);
            return 1;
        }
        context.Logger.Debug("function initialized", ("initMs", Stopwatch.GetElapsedTime(started)));

        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var invocation = await api.NextAsync(stopping).ConfigureAwait(false);
                await InvokeOnceAsync(function, invocation, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
        }
        return 0;
    }

    private async Task InvokeOnceAsync(ILambdaFunction function, LambdaInvocation invocation, CancellationToken stopping)
    {
        LambdaLogger.Enter(new InvocationScope(invocation.RequestId, invocation.TraceId));
        Environment.SetEnvironmentVariable("_X_AMZN_TRACE_ID", invocation.TraceId);
        try
        {
            using var deadline = new CancellationTokenSource(Budget(invocation), context.Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, stopping);
            byte[] response;
            try
            {
                response = await function.InvokeAsync(invocation, linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                context.Logger.Error("invocation failed", ex, ("deadlineReached", deadline.IsCancellationRequested));
                await api.ErrorAsync(invocation.RequestId, ex, stopping).ConfigureAwait(false);
                return;
            }
            await api.RespondAsync(invocation.RequestId, response, stopping).ConfigureAwait(false);
        }
        finally
        {
            LambdaLogger.Enter(null);
        }
    }

    private TimeSpan Budget(LambdaInvocation invocation)
    {
        var left = invocation.RemainingTime(context.Time) - DeadlineSafety;
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }
}
