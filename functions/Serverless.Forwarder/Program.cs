using System.Runtime.InteropServices;
using Amazon.Runtime;
using Amazon.RuntimeDependencies;
using Amazon.SecurityToken;
using Serverless.Aws.Core;
using Serverless.Aws.Sqs;
using Serverless.Forwarder;

// The in-cluster forwarder. Configuration: environment variables (infra/forwarder/README.md). Stops on SIGTERM or
// SIGINT after flushing pending keys. Exit code 0 after a clean stop, 1 on bad configuration.
ForwarderConfig config;
try
{
    config = ForwarderConfig.FromEnvironment();
}
catch (Exception e) when (e is InvalidOperationException or UriFormatException)
{
    new JsonLog().Error("bad configuration", ("error", e));
    return 1;
}

// IRSA under Native AOT: the SDK cannot load the STS client by reflection, so it is registered here.
GlobalRuntimeDependencyRegistry.Instance.RegisterSecurityTokenServiceClient(_ => new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials()));

var log = new JsonLog(config.LogLevel);
using var stop = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    log.Info("signal received", ("signal", context.Signal.ToString()));
    stop.Cancel();
}
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

using var sqs = SqsGateway.Create(new AwsClientOptions { Region = config.Region, RateLimits = ApiRateLimits.None });
ForwarderHost host;
try
{
    host = new ForwarderHost(config, sqs, log);
}
catch (InvalidOperationException e)
{
    log.Error("bad configuration", ("error", e));
    return 1;
}
using (host)
    await host.RunAsync(stop.Token);
return 0;
