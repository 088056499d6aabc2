using System.Diagnostics;
using System.Globalization;
using Serverless.Testing;

// For each function: start the AOT `bootstrap` against a fresh fake Runtime API with one invocation queued, measure
// process start → first response posted, read the process's peak resident set (VmHWM) and stop it. Repeated `runs`
// times; prints median and worst. The events need no AWS call (the seams are wired as deployed; the events are chosen to reach neither AWS nor the API server): this measures the runtime,
// init (client construction, configuration) and the first handler pass, not AWS latency.
var runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 7;
var root = RepoPaths.Root;
var cases = new (string Name, string Folder, string Event, Dictionary<string, string> Env)[]
{
    ("reconcile", "reconcile",
        // An empty batch: no key, so neither the API server nor AWS is called (both are wired, neither reachable).
        "{\"Records\":[]}",
        new() { ["QUEUE_URL"] = "https://sqs.us-east-1.amazonaws.com/123456789012/controller.fifo" }),
    ("replay", "replay",
        // An empty batch from the relay queue: the replay path that needs no API-server or AWS call.
        "{\"Records\":[]}",
        new() { ["QUEUE_URL"] = "https://sqs.us-east-1.amazonaws.com/123456789012/controller.fifo" }),
    ("instance-events", "instance-events",
        "{\"version\":\"0\",\"id\":\"1\",\"detail-type\":\"EC2 Instance State-change Notification\",\"source\":\"aws.ec2\",\"account\":\"123456789012\",\"time\":\"2026-11-23T12:00:00Z\",\"region\":\"us-east-1\",\"resources\":[],\"detail\":{\"instance-id\":\"i-1234567890abcdef0\",\"state\":\"running\"}}",
        new() { ["CLUSTER_NAME"] = "demo", ["DRAIN_CHECK_QUEUE_URL"] = "https://sqs.us-east-1.amazonaws.com/123456789012/drain" }),
};

Console.WriteLine($"runs per function: {runs}; machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}");
Console.WriteLine($"{"function",-16} {"binary",8} {"cold start median",18} {"worst",8} {"peak RSS median",16} {"worst",8}");
var failed = false;
foreach (var (name, folder, payload, env) in cases)
{
    var binary = Path.Combine(root, "artifacts", "aot", folder, "bootstrap");
    if (!File.Exists(binary))
    {
        Console.WriteLine($"{name,-16} missing {binary}: run tests/run-all.sh (or dotnet publish -r linux-x64) first");
        failed = true;
        continue;
    }
    var starts = new List<double>();
    var rss = new List<double>();
    for (var i = 0; i < runs; i++)
    {
        using var fake = FakeLambdaRuntimeApi.Start();
        var answer = fake.Invoke(payload, TimeSpan.FromSeconds(30), requestId: $"bench-{i}");
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["AWS_LAMBDA_RUNTIME_API"] = fake.HostAndPort;
        psi.Environment["AWS_LAMBDA_FUNCTION_NAME"] = name;
        psi.Environment["AWS_REGION"] = "us-east-1";
        psi.Environment["AWS_ACCESS_KEY_ID"] = "testing";
        psi.Environment["AWS_SECRET_ACCESS_KEY"] = "testing";
        psi.Environment["LOG_LEVEL"] = "WARN";
        // The wired seams as deployed: EKS bearer-token access to an API server (never reached by these events).
        psi.Environment["CLUSTER_NAME"] = "demo";
        psi.Environment["VPC_ID"] = "vpc-0123456789abcdef0";
        psi.Environment["CLUSTER_ENDPOINT"] = "https://127.0.0.1:9";
        foreach (var (key, value) in env)
            psi.Environment[key] = value;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var result = await answer.WaitAsync(TimeSpan.FromSeconds(30));
        var elapsed = clock.Elapsed.TotalMilliseconds;
        // The process now waits in `next`: its high-water mark is final for this invocation.
        var hwm = PeakRssKiB(process.Id);
        process.Kill();
        await process.WaitForExitAsync();
        if (result.IsError)
        {
            Console.WriteLine($"{name,-16} invocation error: {result.Body}");
            failed = true;
        }
        starts.Add(elapsed);
        rss.Add(hwm / 1024.0);
    }
    var size = new FileInfo(binary).Length / (1024.0 * 1024.0);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-16} {size,6:F1}MB {Median(starts),15:F1} ms {starts.Max(),5:F1} ms {Median(rss),13:F1} MB {rss.Max(),5:F1} MB"));
}
Console.WriteLine("goal: cold start < 100 ms, peak RSS < 64 MB");
return failed ? 1 : 0;

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

static long PeakRssKiB(int pid)
{
    foreach (var line in File.ReadLines($"/proc/{pid}/status"))
    {
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
    return 0;
}
