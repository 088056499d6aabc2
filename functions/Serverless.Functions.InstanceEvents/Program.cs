using Serverless.Functions;
using Serverless.Functions.Wiring;
using Serverless.Lambda;

// The instance-events function: EC2/ASG/Health events → mark node, deregister, complete the lifecycle action after draining.
// Seams wired to the Kubernetes API (EKS token) and the deployer, built once per container.
return await LambdaRuntime.RunProcessAsync(context =>
{
    var aws = FunctionFactory.ClientOptions(context);
    return FunctionFactory.InstanceEvents(context, LiveSeams.Create(context, aws), aws);
});
