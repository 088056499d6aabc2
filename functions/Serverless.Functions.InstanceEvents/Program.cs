using Serverless.Functions;
using Serverless.Lambda;

// The instance-events function: EC2/ASG/Health events → mark node, deregister, complete the lifecycle action after draining.
// The lead replaces FunctionSeams.Unwired with the Kubernetes node drain-mark writer.
return await LambdaRuntime.RunProcessAsync(context => FunctionFactory.InstanceEvents(context, FunctionSeams.Unwired));
