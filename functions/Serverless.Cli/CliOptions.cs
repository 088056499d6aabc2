using System.CommandLine;

namespace Serverless.Cli;

/// <summary>What the runner does.</summary>
internal enum CliCommand
{
    Plan,
    Apply,
    Destroy,
}

/// <summary>Where AWS is.</summary>
internal enum AwsTarget
{
    /// <summary>Start moto_server on loopback and seed a sandbox (the default).</summary>
    Embedded,

    /// <summary>An existing endpoint (moto, LocalStack) used as if it were a real account.</summary>
    Endpoint,

    /// <summary>The real account of the default credential chain.</summary>
    Real,
}

/// <summary>Parsed command line.</summary>
internal sealed record CliOptions
{
    public required CliCommand Command { get; init; }

    public IReadOnlyList<string> Files { get; init; } = [];

    public string? Kubeconfig { get; init; }

    public string? Context { get; init; }

    public AwsTarget Target { get; init; } = AwsTarget.Embedded;

    public string? AwsEndpoint { get; init; }

    public bool Seed { get; init; }

    public string? VpcId { get; init; }

    public string ClusterName { get; init; } = "demo";

    public string Region { get; init; } = "us-east-1";

    public bool Json { get; init; }

    /// <summary>Whether the deployer's per-call log goes to stderr.</summary>
    public bool Verbose { get; init; }

    /// <summary>Whether the sandbox is seeded (always for the embedded AWS).</summary>
    public bool Seeds => Target == AwsTarget.Embedded || Seed;

    /// <summary>
    /// Parses <paramref name="args"/> for plan, apply or destroy; throws <see cref="UsageException"/> with the reason
    /// (also for help and version, which run nothing).
    /// </summary>
    public static CliOptions Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(args);
        var line = new CliCommandLine();
        UnknownCommandCheck(args);
        return From(line, line.Root.Parse(args), environment);
    }

    /// <summary>Throws <see cref="UsageException"/> when the first argument is neither a command nor an option.</summary>
    internal static void UnknownCommandCheck(IReadOnlyList<string> args)
    {
        if (args.Count == 0)
            throw new UsageException("a command is required: plan, apply or destroy");
        if (!args[0].StartsWith('-') && !CliCommandLine.Commands.Contains(args[0]))
            throw new UsageException($"unknown command '{args[0]}': expected plan, apply or destroy (or help, version)");
    }

    /// <summary>
    /// The options of a parse of <paramref name="line"/>: its first parse error, else the checks across options, as
    /// <see cref="UsageException"/>.
    /// </summary>
    internal static CliOptions From(CliCommandLine line, ParseResult result, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(environment);
        if (result.Errors.Count > 0)
            throw new UsageException(result.Errors[0].Message);
        var command = result.CommandResult.Command.Name switch
        {
            "plan" => CliCommand.Plan,
            "apply" => CliCommand.Apply,
            "destroy" => CliCommand.Destroy,
            _ => throw new UsageException("a command is required: plan, apply or destroy"),
        };
        var files = result.GetValue(line.Files) ?? [];
        var kubeconfig = result.GetValue(line.Kubeconfig);
        var context = result.GetValue(line.Context);
        var endpoint = result.GetValue(line.AwsEndpoint);
        var vpcId = result.GetValue(line.VpcId);
        var output = result.GetValue(line.Output);
        var seed = result.GetValue(line.Seed);
        var real = result.GetValue(line.Aws);
        if (files.Length == 0 && kubeconfig is null)
            throw new UsageException("give manifests with -f <file|dir> or a cluster with --kubeconfig <path>");
        if (files.Length > 0 && kubeconfig is not null)
            throw new UsageException("-f and --kubeconfig are exclusive");
        if (context is not null && kubeconfig is null)
            throw new UsageException("--context needs --kubeconfig");
        if (real && endpoint is not null)
            throw new UsageException("--aws and --aws-endpoint are exclusive");
        if (seed && endpoint is null)
            throw new UsageException(real ? "--seed is not allowed with --aws: a real account is never seeded" : "--seed needs --aws-endpoint (the embedded AWS is always seeded)");
        if (seed && kubeconfig is not null)
            throw new UsageException("--seed works on manifests (-f), whose Nodes it maps to sandbox instances; with --kubeconfig the cluster's Nodes are the endpoint's instances already: give their VPC with --vpc-id instead");
        var target = real ? AwsTarget.Real : endpoint is not null ? AwsTarget.Endpoint : AwsTarget.Embedded;
        if (target != AwsTarget.Embedded && !seed && vpcId is null)
            throw new UsageException("--vpc-id is required with --aws and --aws-endpoint unless --seed");
        if (target == AwsTarget.Embedded && vpcId is not null)
            throw new UsageException("--vpc-id has no meaning for the embedded AWS (it seeds its own VPC)");
        if (kubeconfig is not null && target == AwsTarget.Embedded)
            throw new UsageException("--kubeconfig needs --aws-endpoint or --aws: the embedded sandbox's instances cannot stand in for a live cluster's nodes");
        if (kubeconfig is not null && command == CliCommand.Destroy)
            throw new UsageException("destroy works on manifests (-f); in a live cluster, delete the Ingresses and the reconcile deletes their resources");
        if (endpoint is not null && !Uri.TryCreate(endpoint, UriKind.Absolute, out _))
            throw new UsageException($"--aws-endpoint '{endpoint}' is not an absolute URL");
        if (output is not null and not ("text" or "json"))
            throw new UsageException($"--output '{output}': expected text or json");
        return new CliOptions
        {
            Command = command,
            Files = files,
            Kubeconfig = kubeconfig,
            Context = context,
            Target = target,
            AwsEndpoint = endpoint,
            Seed = seed,
            VpcId = vpcId,
            ClusterName = result.GetValue(line.ClusterName) ?? "demo",
            Region = result.GetValue(line.Region) ?? NonEmpty(environment("AWS_REGION")) ?? NonEmpty(environment("AWS_DEFAULT_REGION")) ?? "us-east-1",
            Json = output == "json",
            Verbose = result.GetValue(line.Verbose),
        };
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

/// <summary>A command line that cannot be run; exit code 1 with the usage.</summary>
internal sealed class UsageException(string message) : Exception(message)
{
    public UsageException()
        : this("invalid command line")
    {
    }

    public UsageException(string message, Exception inner)
        : this(message + ": " + inner.Message)
    {
    }
}
