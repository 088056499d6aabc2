using Amazon.Runtime;
using Amazon.Runtime.Internal;

namespace Serverless.Aws.Core;

/// <summary>
/// Pipeline handlers that count calls and attempts and take rate-limit tokens. Installed by
/// <see cref="AwsPipeline.Install"/> around the SDK's retry handler: the call counter outside it (one count per
/// logical call), the attempt counter and rate limiter inside it (every retry pays a token).
/// </summary>
internal sealed class CallCountingHandler(string service, AwsCallRecorder recorder) : PipelineHandler
{
    public override void InvokeSync(IExecutionContext executionContext)
    {
        recorder.RecordCall(service, AwsPipeline.OperationName(executionContext));
        base.InvokeSync(executionContext);
    }

    public override Task<T> InvokeAsync<T>(IExecutionContext executionContext)
    {
        recorder.RecordCall(service, AwsPipeline.OperationName(executionContext));
        return base.InvokeAsync<T>(executionContext);
    }
}

/// <inheritdoc cref="CallCountingHandler"/>
internal sealed class AttemptBudgetHandler(string service, AwsCallRecorder recorder, OperationRateLimiter? limiter) : PipelineHandler
{
    public override void InvokeSync(IExecutionContext executionContext)
    {
        var operation = AwsPipeline.OperationName(executionContext);
        recorder.RecordAttempt(service, operation);
        limiter?.AcquireAsync(ApiRateLimits.Classify(operation), executionContext.RequestContext.CancellationToken)
            .AsTask().GetAwaiter().GetResult();
        base.InvokeSync(executionContext);
    }

    public override async Task<T> InvokeAsync<T>(IExecutionContext executionContext)
    {
        var operation = AwsPipeline.OperationName(executionContext);
        recorder.RecordAttempt(service, operation);
        if (limiter is not null)
            await limiter.AcquireAsync(ApiRateLimits.Classify(operation), executionContext.RequestContext.CancellationToken).ConfigureAwait(false);
        return await base.InvokeAsync<T>(executionContext).ConfigureAwait(false);
    }
}

/// <summary>Installs our retry policy, counters and rate limiter into an SDK client's pipeline.</summary>
internal static class AwsPipeline
{
    public static void Install(RuntimePipeline pipeline, IClientConfig config, string service, AwsClientOptions options, OperationRateLimiter? limiter)
    {
        pipeline.ReplaceHandler<RetryHandler>(new RetryHandler(new BackoffRetryPolicy(config, options.RetryBaseDelay, options.RetryMaxDelay, options.RetryJitter)));
        pipeline.AddHandlerBefore<RetryHandler>(new CallCountingHandler(service, options.CallRecorder));
        pipeline.AddHandlerAfter<RetryHandler>(new AttemptBudgetHandler(service, options.CallRecorder, limiter));
    }

    /// <summary>"DescribeLoadBalancersRequest" → "DescribeLoadBalancers".</summary>
    public static string OperationName(IExecutionContext executionContext)
    {
        var name = executionContext.RequestContext.RequestName ?? "Unknown";
        return name.EndsWith("Request", StringComparison.Ordinal) ? name[..^"Request".Length] : name;
    }
}
