using Serverless.Cli;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl-C cancels the run (exit 130); a second one ends the process at once.
    if (cancel.IsCancellationRequested)
        return;
    e.Cancel = true;
    cancel.Cancel();
};
return await CliMain.RunAsync(args, Console.Out, Console.Error, Environment.GetEnvironmentVariable, cancel.Token).ConfigureAwait(false);
