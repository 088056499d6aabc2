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
    public const string Usage = """
        usage: serverless-alb <plan|apply|destroy> (-f <file|dir>... | --kubeconfig <path> [--context <name>])
                              [--aws-endpoint <url> [--seed] | --aws] [--vpc-id <vpc-…>]
                              [--cluster-name <name>] [--region <region>] [--output text|json] [-v]

          -f, --filename      manifest file or folder (repeatable); multi-document YAML
          --kubeconfig        load from a live cluster instead (and write status, finalizers, events there)
          --context           kubeconfig context (default: the current one)
          --aws-endpoint      an existing AWS endpoint (moto, LocalStack) used as a real account
          --seed              with --aws-endpoint: seed the sandbox VPC, subnets, node instances there
          --aws               the real AWS account from the default credential chain
          --vpc-id            the cluster's VPC (required with --aws and --aws-endpoint unless --seed)
          --cluster-name      default: demo
          --region            default: $AWS_REGION, else us-east-1
          --output            text (default) or json
          -v, --verbose       every mutating AWS call on stderr: operation, resource, changes, request id

        Without --aws-endpoint or --aws, an embedded AWS (moto_server on loopback) is started and seeded.
        Exit codes: 0 ok, 1 invalid input, 2 AWS or cluster failure.
        """;

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

    /// <summary>Parses <paramref name="args"/>; throws <see cref="UsageException"/> with the reason.</summary>
    public static CliOptions Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        if (args.Count == 0)
            throw new UsageException("a command is required: plan, apply or destroy");
        var command = args[0] switch
        {
            "plan" => CliCommand.Plan,
            "apply" => CliCommand.Apply,
            "destroy" => CliCommand.Destroy,
            _ => throw new UsageException($"unknown command '{args[0]}': expected plan, apply or destroy"),
        };
        var files = new List<string>();
        string? kubeconfig = null, context = null, endpoint = null, vpcId = null, output = null;
        string? cluster = null, region = null;
        bool seed = false, real = false, verbose = false;
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            string Value()
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new UsageException($"option {arg} needs a value");
                return args[++i];
            }
            switch (arg)
            {
                case "-f" or "--filename": files.Add(Value()); break;
                case "--kubeconfig": kubeconfig = Value(); break;
                case "--context": context = Value(); break;
                case "--aws-endpoint": endpoint = Value(); break;
                case "--seed": seed = true; break;
                case "--aws": real = true; break;
                case "--vpc-id": vpcId = Value(); break;
                case "--cluster-name": cluster = Value(); break;
                case "--region": region = Value(); break;
                case "--output" or "-o": output = Value(); break;
                case "-v" or "--verbose": verbose = true; break;
                default: throw new UsageException($"unknown option '{arg}'");
            }
        }
        if (files.Count == 0 && kubeconfig is null)
            throw new UsageException("give manifests with -f <file|dir> or a cluster with --kubeconfig <path>");
        if (files.Count > 0 && kubeconfig is not null)
            throw new UsageException("-f and --kubeconfig are exclusive");
        if (context is not null && kubeconfig is null)
            throw new UsageException("--context needs --kubeconfig");
        if (real && endpoint is not null)
            throw new UsageException("--aws and --aws-endpoint are exclusive");
        if (seed && endpoint is null)
            throw new UsageException(real ? "--seed is not allowed with --aws: a real account is never seeded" : "--seed needs --aws-endpoint (the embedded AWS is always seeded)");
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
            ClusterName = cluster ?? "demo",
            Region = region ?? NonEmpty(environment("AWS_REGION")) ?? NonEmpty(environment("AWS_DEFAULT_REGION")) ?? "us-east-1",
            Json = output == "json",
            Verbose = verbose,
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
