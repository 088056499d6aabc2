using Serverless.Aws.Core;
using Serverless.Aws.Sqs;
using Serverless.Functions;
using Serverless.Functions.Wiring;
using Serverless.Lambda;
using Serverless.LocalHost;

// Usage: Serverless.LocalHost --endpoint http://127.0.0.1:5000 --queue-url URL [--dlq-url URL] [--cluster NAME]
//        [--vpc-id VPC] [--kubeconfig PATH [--context NAME]] [--drain-queue-url URL] [--events DIR]
//        [--replay-seconds N] [--seconds N] [--lifecycle-hook-name NAMES]
// Runs the functions against an emulator (moto) the way Lambda would. With --kubeconfig and --vpc-id the seams are
// the deployed ones (Kubernetes API + deployer); without, the unwired stand-ins (every key retried, nothing marked).
// --replay-sender-id: the SenderId trusted with full drift checks (default: moto's fixed SenderId).
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i + 1 < args.Length; i += 2)
    options[args[i].TrimStart('-')] = args[i + 1];
if (!options.TryGetValue("endpoint", out var endpoint) || !options.TryGetValue("queue-url", out var queueUrl))
{
    Console.Error.WriteLine("usage: Serverless.LocalHost --endpoint URL --queue-url URL [--dlq-url URL] [--cluster NAME] [--drain-queue-url URL] [--events DIR] [--replay-seconds N] [--seconds N] [--lifecycle-hook-name NAMES]");
    return 2;
}
var environment = new Dictionary<string, string>(StringComparer.Ordinal)
{
    ["QUEUE_URL"] = queueUrl,
    ["DLQ_URL"] = options.GetValueOrDefault("dlq-url", ""),
    ["CLUSTER_NAME"] = options.GetValueOrDefault("cluster", "local"),
    ["DRAIN_CHECK_QUEUE_URL"] = options.GetValueOrDefault("drain-queue-url", queueUrl),
    ["REPLAY_INTERVAL_SECONDS"] = options.GetValueOrDefault("replay-seconds", "600"),
    ["VPC_ID"] = options.GetValueOrDefault("vpc-id", ""),
    ["KUBECONFIG"] = options.GetValueOrDefault("kubeconfig", ""),
    ["KUBE_CONTEXT"] = options.GetValueOrDefault("context", ""),
    // The lifecycle hooks whose actions instance-events handles (comma-separated; empty: none).
    ["LIFECYCLE_HOOK_NAME"] = options.GetValueOrDefault("lifecycle-hook-name", ""),
    // Who may ask for a full drift check: on AWS the replay function's SenderId (role id:function name). An emulator
    // such as moto gives every message one fixed SenderId, so locally the replay cannot be told from other senders.
    ["REPLAY_SENDER_ID"] = options.GetValueOrDefault("replay-sender-id", MotoSenderId),
};
var logger = LambdaLogger.FromEnvironment();
var context = new LambdaContext(logger, new EmfMetrics(logger, "local"), TimeProvider.System, name => environment.GetValueOrDefault(name) ?? Environment.GetEnvironmentVariable(name));
var aws = AwsClientOptions.ForEmulator(endpoint);
var seams = options.ContainsKey("kubeconfig") && options.ContainsKey("vpc-id") ? LiveSeams.Create(context, aws) : FunctionSeams.Unwired;
using var sqs = SqsGateway.Create(aws);
var host = new LocalFunctionHost(
    FunctionFactory.Reconcile(context, seams, aws),
    FunctionFactory.Replay(context, seams, aws),
    FunctionFactory.InstanceEvents(context, seams, aws),
    sqs,
    queueUrl,
    context);
using var stop = options.TryGetValue("seconds", out var seconds) ? new CancellationTokenSource(TimeSpan.FromSeconds(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture))) : new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
await host.RunAsync(options.TryGetValue("replay-seconds", out var replay) ? TimeSpan.FromSeconds(double.Parse(replay, System.Globalization.CultureInfo.InvariantCulture)) : null, options.GetValueOrDefault("events"), stop.Token);
return 0;

internal static partial class Program
{
    /// <summary>The SenderId moto puts on every message it stores.</summary>
    private const string MotoSenderId = "AIDAIT2UOQQY3AUEKVGXU";
}
