using Serverless.Functions;
using Serverless.Functions.Wiring;
using Serverless.Lambda;

// The reconcile function: SQS FIFO batches of keys → IKeyReconciler → partial-batch response.
// Seams wired to the Kubernetes API (EKS token) and the deployer, built once per container.
return await LambdaRuntime.RunProcessAsync(context =>
{
    var aws = FunctionFactory.ClientOptions(context);
    return FunctionFactory.Reconcile(context, LiveSeams.Create(context, aws), aws);
});
