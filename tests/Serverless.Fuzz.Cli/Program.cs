using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Serverless.Fuzz.Cli;
using Serverless.Local;

// Mutation fuzz of serverless-alb: each case is an example manifest mutated 1-3 times (Mutator), run as a process
// against one moto_server (--aws-endpoint, seeded once per cluster name). Checks per run: the exit code is 0, 1 or 2;
// no stack trace on stdout or stderr; with --output json, stdout is exactly one JSON document. An apply case that
// plans clean (exit 0) must apply with exit 0 and destroy with exit 0. Failing cases are kept under the output folder.
//
//   dotnet run -c Release --project tests/Serverless.Fuzz.Cli -- [--plan 1000] [--apply 300] [--seed 1] [--out artifacts/fuzz]
var planCount = 1000;
var applyCount = 300;
var seed = 1;
var outDir = "artifacts/fuzz";
for (var i = 0; i < args.Length - 1; i++)
{
    switch (args[i])
    {
        case "--plan": planCount = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--apply": applyCount = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--out": outDir = args[++i]; break;
        default: throw new ArgumentException("unknown option " + args[i]);
    }
}

var root = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(root, "Serverless.sln")))
    root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("run from inside the repository");
var cli = Path.Combine(root, "functions/Serverless.Cli/bin/Release/net10.0/serverless-alb.dll");
if (!File.Exists(cli))
    throw new InvalidOperationException($"build the runner first: dotnet build functions/Serverless.Cli -c Release ({cli} is missing)");
var cluster = Path.Combine(root, "examples/cluster.yaml");
var seeds = Directory.GetFiles(Path.Combine(root, "examples"), "*.yaml", SearchOption.AllDirectories)
    .Where(f => f != cluster).Order(StringComparer.Ordinal).Select(f => (Name: Path.GetRelativePath(root, f), Text: File.ReadAllText(f))).ToList();
outDir = Path.GetFullPath(Path.Combine(root, outDir));
if (Directory.Exists(outDir))
    Directory.Delete(outDir, recursive: true);
Directory.CreateDirectory(outDir);
var work = Directory.CreateTempSubdirectory("serverless-fuzz-").FullName;

using var aws = EmbeddedAws.Start();
Console.WriteLine($"moto_server at {aws.Endpoint}; {seeds.Count} seed manifests; seed {seed}; plan {planCount}, apply {applyCount}");
var random = new Random(seed);
var mutator = new Mutator(random);
var stats = new Stats();
var clock = Stopwatch.StartNew();

// Plan: two processes at a time (the machine has two cores), all against the one moto.
var planCases = Enumerable.Range(0, planCount).Select(i => NewCase("plan", i)).ToList();
await Parallel.ForEachAsync(planCases, new ParallelOptions { MaxDegreeOfParallelism = 2 }, async (c, ct) =>
{
    var run = await RunAsync(["plan", "-f", cluster, "-f", c.File, "--aws-endpoint", aws.Endpoint, "--seed", "--cluster-name", "fuzz-plan", "--output", "json"], ct);
    stats.Record("plan", c, run, outDir);
});
Console.WriteLine($"plan: {planCount} cases in {clock.Elapsed.TotalSeconds:0} s");

// Apply then destroy, one at a time: each case its own cluster name, so a case never sees another's resources.
var applyClock = Stopwatch.StartNew();
for (var i = 0; i < applyCount; i++)
{
    var c = NewCase("apply", i);
    var name = "fuzz-" + i.ToString(CultureInfo.InvariantCulture);
    var plan = await RunAsync(["plan", "-f", cluster, "-f", c.File, "--aws-endpoint", aws.Endpoint, "--seed", "--cluster-name", name, "--output", "json"], CancellationToken.None);
    stats.Record("apply-plan", c, plan, outDir);
    var apply = await RunAsync(["apply", "-f", cluster, "-f", c.File, "--aws-endpoint", aws.Endpoint, "--seed", "--cluster-name", name, "--output", "json"], CancellationToken.None);
    stats.Record("apply", c, apply, outDir, expectZero: plan.ExitCode == 0);
    var destroy = await RunAsync(["destroy", "-f", cluster, "-f", c.File, "--aws-endpoint", aws.Endpoint, "--seed", "--cluster-name", name, "--output", "json"], CancellationToken.None);
    stats.Record("destroy", c, destroy, outDir, expectZero: plan.ExitCode == 0);
}
Console.WriteLine($"apply+destroy: {applyCount} cases in {applyClock.Elapsed.TotalSeconds:0} s");
stats.Print();
Directory.Delete(work, recursive: true);
return stats.Bad == 0 ? 0 : 1;

Case NewCase(string phase, int index)
{
    var source = seeds[random.Next(seeds.Count)];
    string yaml;
    List<string> steps;
    lock (random)
        (yaml, steps) = mutator.Mutate(source.Text);
    var file = Path.Combine(work, $"{phase}-{index:D4}.yaml");
    File.WriteAllText(file, yaml);
    return new Case(phase, index, source.Name, file, steps);
}

async Task<Run> RunAsync(string[] arguments, CancellationToken ct)
{
    var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    psi.ArgumentList.Add(cli);
    foreach (var a in arguments)
        psi.ArgumentList.Add(a);
    psi.Environment["AWS_ACCESS_KEY_ID"] = "testing";
    psi.Environment["AWS_SECRET_ACCESS_KEY"] = "testing";
    psi.Environment["AWS_REGION"] = "us-east-1";
    using var process = Process.Start(psi)!;
    var stdout = process.StandardOutput.ReadToEndAsync(ct);
    var stderr = process.StandardError.ReadToEndAsync(ct);
    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
    timeout.CancelAfter(TimeSpan.FromMinutes(3));
    try
    {
        await process.WaitForExitAsync(timeout.Token);
    }
    catch (OperationCanceledException)
    {
        process.Kill(entireProcessTree: true);
        return new Run(-1, await stdout, await stderr + "\n(killed after 3 minutes)");
    }
    return new Run(process.ExitCode, await stdout, await stderr);
}

internal sealed record Case(string Phase, int Index, string Seed, string File, List<string> Steps);

internal sealed record Run(int ExitCode, string Stdout, string Stderr);

internal sealed partial class Stats
{
    private readonly object _gate = new();
    private readonly SortedDictionary<string, SortedDictionary<int, int>> _exits = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, int> _problems = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, int> _failures = new(StringComparer.Ordinal);

    public int Bad { get; private set; }

    public void Record(string phase, Case c, Run run, string outDir, bool expectZero = false)
    {
        var problems = new List<string>();
        if (run.ExitCode is not (0 or 1 or 2))
            problems.Add($"exit code {run.ExitCode}");
        if (StackTrace().IsMatch(run.Stdout) || StackTrace().IsMatch(run.Stderr))
            problems.Add("stack trace");
        if (!OneJsonDocument(run.Stdout))
            problems.Add("stdout is not one JSON document");
        if (expectZero && run.ExitCode != 0)
            problems.Add($"{phase} exit {run.ExitCode} after a clean plan");
        lock (_gate)
        {
            var byCode = _exits.TryGetValue(phase, out var d) ? d : _exits[phase] = new SortedDictionary<int, int>();
            byCode[run.ExitCode] = byCode.GetValueOrDefault(run.ExitCode) + 1;
            if (run.ExitCode == 2)
            {
                var line = FirstError(run.Stderr);
                _failures[$"{phase}: {line}"] = _failures.GetValueOrDefault($"{phase}: {line}") + 1;
            }
            foreach (var p in problems)
                _problems[$"{phase}: {p}"] = _problems.GetValueOrDefault($"{phase}: {p}") + 1;
            if (problems.Count > 0)
            {
                Bad++;
                var stem = Path.Combine(outDir, $"{phase}-{c.Index:D4}");
                File.Copy(c.File, stem + ".yaml", overwrite: true);
                File.WriteAllText(stem + ".txt",
                    $"seed manifest: {c.Seed}\nmutations: {string.Join("; ", c.Steps)}\nproblems: {string.Join("; ", problems)}\nexit: {run.ExitCode}\n--- stderr\n{run.Stderr}\n--- stdout\n{run.Stdout}");
            }
        }
    }

    public void Print()
    {
        Console.WriteLine("exit codes by phase:");
        foreach (var (phase, codes) in _exits)
            Console.WriteLine($"  {phase}: " + string.Join(", ", codes.Select(static kv => $"exit {kv.Key}: {kv.Value}")));
        Console.WriteLine(_problems.Count == 0 ? "problems: none" : "problems:");
        foreach (var (problem, count) in _problems)
            Console.WriteLine($"  {count} × {problem}");
        if (_failures.Count > 0)
            Console.WriteLine("exit 2 reasons (first error line):");
        foreach (var (failure, count) in _failures.OrderByDescending(static kv => kv.Value).Take(30))
            Console.WriteLine($"  {count} × {failure}");
        Console.WriteLine($"cases with a problem: {Bad}");
    }

    private static bool OneJsonDocument(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string FirstError(string stderr)
    {
        var line = stderr.Split('\n').FirstOrDefault(static l => l.Contains("error", StringComparison.OrdinalIgnoreCase) || l.Contains("failed", StringComparison.OrdinalIgnoreCase))
            ?? stderr.Split('\n').FirstOrDefault(static l => l.Length > 0) ?? "(no stderr)";
        line = Ids().Replace(line, "…");
        return line.Length > 200 ? line[..200] + "…" : line;
    }

    [GeneratedRegex(@"^\s+at [\w.<>`]+\(|Unhandled exception", RegexOptions.Multiline)]
    private static partial Regex StackTrace();

    [GeneratedRegex(@"(arn:aws:[^\s""]+|[a-z]+-[0-9a-f]{8,17}|k8s-[\w-]+)")]
    private static partial Regex Ids();
}
