using Serverless.Functions;
using Serverless.Lambda;

// The reconcile function: SQS FIFO batches of keys → IKeyReconciler → partial-batch response.
// The lead replaces FunctionSeams.Unwired with the real GroupReconciler once the kube and deployer branches land.
return await LambdaRuntime.RunProcessAsync(context => FunctionFactory.Reconcile(context, FunctionSeams.Unwired));
