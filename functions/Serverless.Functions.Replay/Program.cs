using Serverless.Functions;
using Serverless.Lambda;

// The replay function: scheduled full drift check of every group, GC of orphaned stacks, DLQ redrive, relay forwarding.
// The lead replaces FunctionSeams.Unwired with the Kubernetes key source and the deployer's ClusterInventory.
return await LambdaRuntime.RunProcessAsync(context => FunctionFactory.Replay(context, FunctionSeams.Unwired));
