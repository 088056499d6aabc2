using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Reflection;

namespace Serverless.Cli;

/// <summary>
/// The command line of <c>serverless-alb</c>: the commands plan, apply and destroy with their options, and help and
/// version. Parsing only; <see cref="CliOptions.From"/> checks the options against each other and
/// <see cref="CliMain"/> runs.
/// </summary>
internal sealed class CliCommandLine
{
    /// <summary>The width help text is wrapped at, whatever the terminal.</summary>
    public const int HelpWidth = 120;

    /// <summary>Every command name.</summary>
    public static readonly IReadOnlySet<string> Commands = new HashSet<string>(StringComparer.Ordinal) { "plan", "apply", "destroy", "help", "version" };

    private const string Description = """
        Plans, applies or destroys the AWS load balancers of Ingress manifests (or of a live cluster) through the
        reconcile code of the Lambda functions. Without --aws-endpoint or --aws, an embedded AWS (moto_server on
        loopback, stopped at exit) is started and seeded.
        Exit codes: 0 ok, 1 invalid input, 2 AWS or cluster failure, 130 cancelled.
        """;

    public CliCommandLine()
    {
        // Named as installed, not after the entry assembly (a RootCommand's name), which is a test host in tests.
        Root = new Command("serverless-alb", Description.ReplaceLineEndings(" ").Trim());
        var helpOption = new HelpOption();
        if (helpOption.Action is HelpAction helpAction)
            helpAction.MaxWidth = HelpWidth;
        Root.Options.Add(helpOption);
        Root.Options.Add(new VersionOption { Action = new VersionAction() });
        Command[] runs =
        [
            new("plan", "Show what apply would change; change nothing."),
            new("apply", "Create or update the load balancers of every Ingress group."),
            new("destroy", "Delete the load balancers of every Ingress group of the manifests."),
        ];
        foreach (var command in runs)
        {
            foreach (var option in (Option[])[Files, Kubeconfig, Context, AwsEndpoint, Seed, Aws, VpcId, ClusterName, Region, Output, Verbose])
                command.Options.Add(option);
            Root.Subcommands.Add(command);
        }
        var help = new Command("help", "Show help for serverless-alb or one of its commands.");
        help.Arguments.Add(HelpTopic);
        help.SetAction(ShowHelp);
        Root.Subcommands.Add(help);
        var version = new Command("version", "Show the version.");
        version.SetAction(static r => r.InvocationConfiguration.Output.WriteLine(Version));
        Root.Subcommands.Add(version);
    }

    /// <summary>The assembly's informational version.</summary>
    public static string Version =>
        typeof(CliCommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public Command Root { get; }

    public Option<string[]> Files { get; } = new("--filename", "-f")
    {
        Description = "manifest file or folder (repeatable); multi-document YAML",
        HelpName = "file|dir",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string> Kubeconfig { get; } = new("--kubeconfig")
    {
        Description = "load from a live cluster instead (and write status, finalizers, events there)",
        HelpName = "path",
    };

    public Option<string> Context { get; } = new("--context") { Description = "kubeconfig context (default: the current one)", HelpName = "name" };

    public Option<string> AwsEndpoint { get; } = new("--aws-endpoint")
    {
        Description = "an existing AWS endpoint (moto, LocalStack) used as a real account",
        HelpName = "url",
    };

    public Option<bool> Seed { get; } = new("--seed") { Description = "with --aws-endpoint and -f: seed the sandbox VPC, subnets, node instances there" };

    public Option<bool> Aws { get; } = new("--aws") { Description = "the real AWS account from the default credential chain" };

    public Option<string> VpcId { get; } = new("--vpc-id")
    {
        Description = "the cluster's VPC (required with --aws and --aws-endpoint unless --seed)",
        HelpName = "vpc-…",
    };

    public Option<string> ClusterName { get; } = new("--cluster-name") { Description = "default: demo", HelpName = "name" };

    public Option<string> Region { get; } = new("--region") { Description = "default: $AWS_REGION, else us-east-1", HelpName = "region" };

    public Option<string> Output { get; } = new("--output", "-o") { Description = "text (default) or json", HelpName = "text|json" };

    public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "every mutating AWS call on stderr: operation, resource, changes, request id" };

    private Argument<string?> HelpTopic { get; } = new("command") { Description = "plan, apply or destroy", Arity = ArgumentArity.ZeroOrOne };

    /// <summary>The help of <paramref name="topic"/> (a command, or the whole tool when null) .</summary>
    public string Help(string? topic)
    {
        using var text = new StringWriter();
        Root.Parse(topic is null ? ["--help"] : [topic, "--help"]).Invoke(new InvocationConfiguration { Output = text, Error = text });
        return text.ToString();
    }

    private int ShowHelp(ParseResult result)
    {
        var topic = result.GetValue(HelpTopic);
        CheckHelpTopic(topic);
        result.InvocationConfiguration.Output.Write(Help(topic));
        return ExitCodes.Ok;
    }

    /// <summary>Throws <see cref="UsageException"/> for a help topic that is not a command.</summary>
    public static void CheckHelpTopic(string? topic)
    {
        if (topic is not null && !Commands.Contains(topic))
            throw new UsageException($"help: unknown command '{topic}': expected plan, apply, destroy, help or version");
    }

    /// <summary><c>--version</c>: the informational version, not the entry assembly's (a test host's in tests).</summary>
    internal sealed class VersionAction : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(Version);
            return ExitCodes.Ok;
        }
    }
}
