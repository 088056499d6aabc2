using Serverless.Functions;
using Serverless.Functions.Wiring;
using Serverless.Lambda;

// The replay function: scheduled full drift check of every group, GC of orphaned stacks, DLQ redrive, relay forwarding.
// Seams wired to the Kubernetes API (EKS token) and the deployer, built once per container.
return await LambdaRuntime.RunProcessAsync(context =>
{
    var aws = FunctionFactory.ClientOptions(context);
    return FunctionFactory.Replay(context, LiveSeams.Create(context, aws), aws);
});
