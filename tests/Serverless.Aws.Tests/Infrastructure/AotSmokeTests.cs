using Serverless.Testing;

namespace Serverless.Aws.Tests.Infrastructure;

[Collection(MotoCollection.Name)]
public sealed class AotSmokeTests(MotoFixture fixture) : MotoTest(fixture)
{
    /// <summary>
    /// The Native AOT build of tests/Serverless.AotSmoke (published by tests/run-all.sh before the tests; published
    /// here if missing) talks to moto through AWS_ENDPOINT_URL and the default credential chain.
    /// </summary>
    [Fact]
    public async Task Native_AOT_program_creates_describes_pages_and_maps_errors_against_moto()
    {
        var binary = RepoPaths.Combine("artifacts", "aot", "smoke", "Serverless.AotSmoke");
        if (IsStale(binary))
        {
            var publish = RepoPaths.Run(
                "dotnet",
                ["publish", RepoPaths.Combine("tests", "Serverless.AotSmoke", "Serverless.AotSmoke.csproj"), "-c", "Release", "-r", "linux-x64", "-o", Path.GetDirectoryName(binary)!],
                timeout: TimeSpan.FromMinutes(10));
            Assert.True(publish.ExitCode == 0, publish.Stdout + publish.Stderr);
        }
        var sandbox = await AwsSandbox.CreateAsync(Moto);
        await MotoAcm.ImportAsync(Moto, "aot-smoke.example", ["*.aot-smoke.example"]);

        var (exitCode, stdout, stderr) = RepoPaths.Run(
            binary,
            [sandbox.VpcId],
            new Dictionary<string, string>
            {
                ["AWS_ENDPOINT_URL"] = Moto.Endpoint,
                ["AWS_ACCESS_KEY_ID"] = "testing",
                ["AWS_SECRET_ACCESS_KEY"] = "testing",
                ["AWS_REGION"] = "us-east-1",
            });

        Assert.True(exitCode == 0, stdout + stderr);
        Assert.Contains("ok CreateTargetGroup", stdout, StringComparison.Ordinal);
        Assert.Contains("ok typed error", stdout, StringComparison.Ordinal);
        Assert.Contains("calls ELBv2:DescribeLoadBalancers=2", stdout, StringComparison.Ordinal);
        Assert.Contains("ok EC2 FindSubnets", stdout, StringComparison.Ordinal);
        Assert.Contains("ok EC2 typed error", stdout, StringComparison.Ordinal);
        Assert.Contains("ok SQS FIFO round trip", stdout, StringComparison.Ordinal);
        Assert.Contains("ok ACM issued certificates", stdout, StringComparison.Ordinal);
        Assert.Contains("ok ACM typed error", stdout, StringComparison.Ordinal);
        Assert.Contains("calls EC2:DescribeSubnets=2", stdout, StringComparison.Ordinal);
        Assert.Contains("calls SQS:SendMessageBatch=2", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("FAILED", stdout, StringComparison.Ordinal);
    }

    /// <summary>True when the binary is missing or older than any source it is built from.</summary>
    private static bool IsStale(string binary)
    {
        if (!File.Exists(binary))
            return true;
        var built = File.GetLastWriteTimeUtc(binary);
        return new[] { RepoPaths.Combine("tests", "Serverless.AotSmoke"), RepoPaths.Combine("shared", "Serverless.Aws") }
            .SelectMany(static dir => Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories))
            .Where(static file => !file.Contains("/obj/", StringComparison.Ordinal) && !file.Contains("/bin/", StringComparison.Ordinal))
            .Any(file => File.GetLastWriteTimeUtc(file) > built);
    }
}
