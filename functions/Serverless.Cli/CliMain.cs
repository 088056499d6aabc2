using System.CommandLine;
using System.CommandLine.Help;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Serverless.Kubernetes.Manifests;
using Serverless.Model;

namespace Serverless.Cli;

/// <summary>
/// The entry of <c>serverless-alb</c> with its streams, environment and cancellation passed in: parses, shows help or
/// the version, runs, and maps every failure to an exit code and a message — with <c>--output json</c> also to the
/// one JSON document on stdout (<c>{"version":1,"command":…,"error":…,"exitCode":N}</c>).
/// </summary>
internal static class CliMain
{
    /// <summary>The message on stderr when the run was cancelled (Ctrl-C).</summary>
    public const string CancelledMessage = "cancelled";

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var json = WantsJson(args);
        var command = args.Count > 0 && args[0] is "plan" or "apply" or "destroy" ? args[0] : null;
        try
        {
            CliOptions.UnknownCommandCheck(args);
            if (args[0] == "help" && args.Count > 1)
                CliCommandLine.CheckHelpTopic(args[1]);
            var line = new CliCommandLine();
            var result = line.Root.Parse(args);
            if (result.Action is HelpAction || (result.Errors.Count == 0 && (result.Action is CliCommandLine.VersionAction || result.CommandResult.Command.Name is "help" or "version")))
                return result.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
            var options = CliOptions.From(line, result, environment);
            return await new Runner(options, stdout, stderr).RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            var hint = command is null ? "serverless-alb --help" : $"serverless-alb {command} --help";
            return Fail(ExitCodes.InvalidInput, e.Message, $"see '{hint}' for usage");
        }
        catch (ManifestException e)
        {
            return Fail(ExitCodes.InvalidInput, e.Message);
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && (e is OperationCanceledException || IsAwsFailure(e)))
        {
            // Ctrl-C: also a call that failed because the embedded moto_server got the same interrupt.
            if (json)
                stdout.WriteLine(ErrorJson(command, CancelledMessage, ExitCodes.Cancelled));
            stderr.WriteLine(CancelledMessage);
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            return Fail(ExitCodes.Failure, $"timed out: {e.Message}");
        }
        catch (Exception e) when (IsAwsFailure(e))
        {
            return Fail(ExitCodes.Failure, $"{e.GetType().Name}: {e.Message}");
        }

        int Fail(int exit, string message, string? hint = null)
        {
            stderr.WriteLine("error: " + message);
            if (hint is not null)
                stderr.WriteLine(hint);
            if (json)
                stdout.WriteLine(ErrorJson(command, message, exit));
            return exit;
        }
    }

    /// <summary>The JSON document of a run that ended before its report.</summary>
    internal static string ErrorJson(string? command, string error, int exit) => StackJson.Canonical(new JsonObject
    {
        ["version"] = 1,
        ["command"] = command,
        ["error"] = error,
        ["exitCode"] = exit,
    });

    /// <summary>Whether the arguments ask for JSON output (read before parsing, so that usage errors are JSON too).</summary>
    internal static bool WantsJson(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] is "--output=json" or "-o=json" or "--output:json" or "-o:json")
                return true;
            if (args[i] is "--output" or "-o" && i + 1 < args.Count && args[i + 1] == "json")
                return true;
        }
        return false;
    }

    private static bool IsAwsFailure(Exception e) =>
        e is AmazonServiceException or AmazonClientException or HttpRequestException or InvalidOperationException or TimeoutException or IOException;
}
