using Serverless.Cli;
using Serverless.Kubernetes.Manifests;

CliOptions options;
try
{
    options = CliOptions.Parse(args, Environment.GetEnvironmentVariable);
}
catch (UsageException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    Console.Error.WriteLine(CliOptions.Usage);
    return ExitCodes.InvalidInput;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
try
{
    return await new Runner(options, Console.Out, Console.Error).RunAsync(cancel.Token).ConfigureAwait(false);
}
catch (ManifestException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    return ExitCodes.InvalidInput;
}
catch (Exception e) when (e is Amazon.Runtime.AmazonServiceException or HttpRequestException or InvalidOperationException or TimeoutException or IOException)
{
    Console.Error.WriteLine($"error: {e.GetType().Name}: {e.Message}");
    return ExitCodes.Failure;
}
