using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Serverless.Testing;

namespace Serverless.Cli.Tests;

/// <summary>
/// The conventions of the command line, through the entry <see cref="CliMain.RunAsync"/>: help and version on stdout
/// with exit 0, usage errors with the reason and a hint, one JSON document on stdout for every outcome of
/// <c>--output json</c>, Ctrl-C as exit 130 without a stack trace, and progress lines on stderr.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed partial class CliConventionsTests(MotoFixture fixture)
{
    private readonly MotoServer _moto = fixture.Server;

    [Theory]
    [InlineData(new[] { "--help" }, "serverless-alb [command] [options]")]
    [InlineData(new[] { "-h" }, "serverless-alb [command] [options]")]
    [InlineData(new[] { "help" }, "serverless-alb [command] [options]")]
    [InlineData(new[] { "help", "apply" }, "serverless-alb apply [options]")]
    [InlineData(new[] { "apply", "--help" }, "serverless-alb apply [options]")]
    [InlineData(new[] { "destroy", "-h" }, "serverless-alb destroy [options]")]
    [InlineData(new[] { "plan", "-f", "x", "--help" }, "serverless-alb plan [options]")]
    public async Task Help_prints_usage_on_stdout_and_exits_0(string[] args, string usage)
    {
        var run = await RunAsync(args);

        Assert.Equal(ExitCodes.Ok, run.Exit);
        Assert.Contains(usage, run.Stdout, StringComparison.Ordinal);
        Assert.Equal("", run.Stderr);
        if (args[0] is "apply" or "destroy" or "plan" || args.Length > 1)
            Assert.Contains("--aws-endpoint <url>", run.Stdout, StringComparison.Ordinal);
        else
            Assert.Contains("destroy", run.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--version")]
    [InlineData("version")]
    public async Task Version_prints_the_informational_version_and_exits_0(string arg)
    {
        var run = await RunAsync([arg]);

        Assert.Equal(ExitCodes.Ok, run.Exit);
        Assert.Equal(CliCommandLine.Version + Environment.NewLine, run.Stdout);
        Assert.Matches(@"^\d+\.\d+\.\d+", CliCommandLine.Version);
    }

    [Theory]
    [InlineData(new[] { "plan" }, "plan", "give manifests with -f")]
    [InlineData(new[] { "deploy", "-f", "x" }, null, "unknown command 'deploy'")]
    [InlineData(new[] { "apply", "-f", "x", "--seed" }, "apply", "--seed needs --aws-endpoint")]
    [InlineData(new[] { "apply", "-f", "x", "--no-such-option" }, "apply", "--no-such-option")]
    [InlineData(new[] { "help", "deploy" }, null, "unknown command 'deploy'")]
    public async Task Usage_errors_exit_1_with_the_reason_and_a_hint_and_as_json_one_document(string[] args, string? command, string reason)
    {
        var text = await RunAsync(args);
        Assert.Equal(ExitCodes.InvalidInput, text.Exit);
        Assert.Equal("", text.Stdout);
        Assert.Contains("error: ", text.Stderr, StringComparison.Ordinal);
        Assert.Contains(reason, text.Stderr, StringComparison.Ordinal);
        Assert.Contains("--help' for usage", text.Stderr, StringComparison.Ordinal);

        var json = await RunAsync([.. args, "--output", "json"]);
        Assert.Equal(ExitCodes.InvalidInput, json.Exit);
        var report = JsonNode.Parse(json.Stdout)!.AsObject();
        Assert.Equal(1, report["version"]!.GetValue<int>());
        Assert.Equal(command, report["command"]?.GetValue<string>());
        Assert.Contains(reason, report["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(ExitCodes.InvalidInput, report["exitCode"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_missing_manifest_as_json_is_one_document_with_exit_1()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"cli-missing-{Guid.NewGuid():N}.yaml");

        var run = await RunAsync(["plan", "-f", missing, "--output", "json"]);

        Assert.Equal(ExitCodes.InvalidInput, run.Exit);
        var report = JsonNode.Parse(run.Stdout)!.AsObject();
        Assert.Equal(ExitCodes.InvalidInput, report["exitCode"]!.GetValue<int>());
        Assert.Contains(missing, run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_aws_endpoint_as_json_is_one_document_with_exit_2()
    {
        var run = await RunAsync(["plan", .. CliRun.WithCluster(Path.Combine(RepoPaths.Root, "examples", "echoserver")),
            "--aws-endpoint", "http://127.0.0.1:9", "--seed", "--cluster-name", "conv-unreachable", "--output", "json"]);

        Assert.Equal(ExitCodes.Failure, run.Exit);
        var report = JsonNode.Parse(run.Stdout)!.AsObject();
        Assert.Equal(ExitCodes.Failure, report["exitCode"]!.GetValue<int>());
        Assert.Equal("plan", report["command"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(report["error"]?.GetValue<string>()), run.Stdout);
        Assert.DoesNotMatch(StackTraceLine(), run.Stderr);
    }

    [Fact]
    public async Task Seed_with_a_live_cluster_is_a_usage_error_not_a_crash()
    {
        var run = await RunAsync(["apply", "--kubeconfig", "k", "--aws-endpoint", _moto.Endpoint, "--seed"]);

        Assert.Equal(ExitCodes.InvalidInput, run.Exit);
        Assert.Contains("--seed works on manifests (-f)", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("--vpc-id", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotMatch(StackTraceLine(), run.Stderr);
    }

    [Fact]
    public async Task A_cancelled_run_exits_130_with_one_line_and_no_stack_trace()
    {
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();

        var run = await RunAsync(["apply", .. CliRun.WithCluster(Path.Combine(RepoPaths.Root, "examples", "echoserver")),
            "--aws-endpoint", _moto.Endpoint, "--seed", "--cluster-name", "conv-precancelled"], cancel.Token);

        Assert.Equal(ExitCodes.Cancelled, run.Exit);
        Assert.Equal(CliMain.CancelledMessage, run.Stderr.TrimEnd().Split('\n')[^1]);
        Assert.DoesNotMatch(StackTraceLine(), run.Stderr);
    }

    [Fact]
    public async Task Ctrl_c_once_a_group_deploys_on_the_embedded_aws_exits_130_and_json_stays_one_document()
    {
        using var cancel = new CancellationTokenSource();
        // Cancels as soon as the first group starts deploying: the run is well under way (embedded AWS started, seeded).
        using var stderr = new CancelOnLine("group ", cancel);
        using var stdout = new StringWriter();

        var exit = await CliMain.RunAsync(
            ["apply", .. CliRun.WithCluster(Path.Combine(RepoPaths.Root, "examples", "shop-group")), "--output", "json"],
            stdout, stderr, _ => null, cancel.Token);

        var errors = stderr.ToString();
        Assert.True(exit == ExitCodes.Cancelled, errors);
        Assert.Contains("starting the embedded AWS (moto_server)…", errors, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^group \S+: applying…$", errors);
        Assert.Equal(CliMain.CancelledMessage, errors.TrimEnd().Split('\n')[^1]);
        Assert.DoesNotMatch(StackTraceLine(), errors);
        var report = JsonNode.Parse(stdout.ToString())!.AsObject();
        Assert.Equal(ExitCodes.Cancelled, report["exitCode"]!.GetValue<int>());
        Assert.Equal("cancelled", report["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Each_group_says_on_stderr_when_it_starts()
    {
        var cluster = "conv-progress";
        string[] files = CliRun.WithCluster(Path.Combine(RepoPaths.Root, "examples", "echoserver"));
        var plan = await RunAsync(["plan", .. files, "--aws-endpoint", _moto.Endpoint, "--seed", "--cluster-name", cluster]);
        var destroy = await RunAsync(["destroy", .. files, "--aws-endpoint", _moto.Endpoint, "--seed", "--cluster-name", cluster]);

        Assert.Equal(ExitCodes.Ok, plan.Exit);
        Assert.Matches(@"(?m)^group \S+: planning…$", plan.Stderr);
        Assert.DoesNotContain("starting the embedded AWS", plan.Stderr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Ok, destroy.Exit);
        Assert.Matches(@"(?m)^group \S+: destroying…$", destroy.Stderr);
    }

    [Fact]
    public async Task Text_output_says_what_each_command_does_in_one_tense_and_names_each_thing_once()
    {
        var cluster = "conv-text";
        string[] files = CliRun.WithCluster(Path.Combine(RepoPaths.Root, "examples", "2048"));
        string[] target = ["--aws-endpoint", _moto.Endpoint, "--seed", "--cluster-name", cluster];

        var plan = await RunAsync(["plan", .. files, .. target]);
        var apply = await RunAsync(["apply", .. files, .. target]);
        var destroy = await RunAsync(["destroy", .. files, .. target]);

        Assert.Equal(ExitCodes.Ok, plan.Exit);
        Assert.Contains("== group game-2048/ingress-2048: plan\n", plan.Stdout, StringComparison.Ordinal);
        Assert.Contains("AWS resources to change: 6 to create, 2 to modify\n", plan.Stdout, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Ok, apply.Exit);
        Assert.Contains("== group game-2048/ingress-2048: apply\n", apply.Stdout, StringComparison.Ordinal);
        Assert.Contains("AWS resources changed: 6 created, 2 modified\n", apply.Stdout, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Ok, destroy.Exit);
        Assert.Contains("== group game-2048/ingress-2048: destroy\n", destroy.Stdout, StringComparison.Ordinal);
        Assert.Contains("AWS resources changed: 4 deleted\n", destroy.Stdout, StringComparison.Ordinal);
        Assert.Contains("Shared backend security group: deleted.", destroy.Stdout, StringComparison.Ordinal);
        foreach (var run in new[] { plan, apply, destroy })
        {
            var lines = run.Stdout.Split('\n');
            // One line per Ingress, the id of a change once (not "sg-1 (sg-1)"), and no mixed tense.
            Assert.Single(lines, static l => l.StartsWith("Ingress game-2048/ingress-2048", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, static l => DoubledId().IsMatch(l));
            Assert.DoesNotContain("Applied for", run.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("(apply)", destroy.Stdout, StringComparison.Ordinal);
        }
        Assert.Contains(apply.Stdout.Split('\n'), static l => l.StartsWith("  ~   SecurityGroupRules sg-", StringComparison.Ordinal));
        Assert.Contains("Ingress game-2048/ingress-2048: ok\n", apply.Stdout, StringComparison.Ordinal);
        Assert.Contains("Ingress game-2048/ingress-2048 (leaving): removed\n", destroy.Stdout, StringComparison.Ordinal);
        await CliRun.AssertNothingTaggedForAsync(_moto, cluster);
    }

    [Fact]
    public async Task Destroy_on_the_embedded_aws_says_that_nothing_persists_anyway()
    {
        var run = await RunAsync(["destroy", .. CliRun.WithCluster(Path.Combine(RepoPaths.Root, "examples", "2048"))]);

        Assert.Equal(ExitCodes.Ok, run.Exit);
        Assert.Contains("The embedded AWS starts empty and stops at exit: nothing persists anyway", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("starting the embedded AWS (moto_server)…", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("group game-2048/ingress-2048: destroying…", run.Stderr, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\b(\S+) \(\1\)")]
    private static partial Regex DoubledId();

    [Theory]
    [InlineData("serverless-alb --help", null)]
    [InlineData("serverless-alb apply --help", "apply")]
    public void The_readme_usage_blocks_are_the_help_output(string heading, string? command)
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "functions", "Serverless.Cli", "README.md")).ReplaceLineEndings("\n");
        var start = readme.IndexOf("```\n$ " + heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"README.md has no block starting with '$ {heading}'");
        var body = readme[(start + 6 + heading.Length + 1)..];
        body = body[..body.IndexOf("```", StringComparison.Ordinal)];

        Assert.Equal(Trimmed(new CliCommandLine().Help(command)), Trimmed(body));
    }

    [GeneratedRegex(@"(?m)^\s+at ")]
    private static partial Regex StackTraceLine();

    private static string Trimmed(string text) =>
        string.Join("\n", text.ReplaceLineEndings("\n").Split('\n').Select(static l => l.TrimEnd())).Trim('\n');

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CliMain.RunAsync(args, stdout, stderr, _ => null, cancellationToken);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A stderr that cancels <paramref name="cancel"/> when a line starting with <paramref name="prefix"/> is written.</summary>
    private sealed class CancelOnLine(string prefix, CancellationTokenSource cancel) : StringWriter(new StringBuilder(), System.Globalization.CultureInfo.InvariantCulture)
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.StartsWith(prefix, StringComparison.Ordinal) == true)
                cancel.Cancel();
        }
    }
}
