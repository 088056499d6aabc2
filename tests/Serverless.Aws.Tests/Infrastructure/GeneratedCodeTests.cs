using Serverless.Testing;

namespace Serverless.Aws.Tests.Infrastructure;

public sealed class GeneratedCodeTests
{
    [Fact]
    public void Committed_ELBv2_and_AutoScaling_clients_equal_what_the_generator_produces_from_the_service_models()
    {
        var (exitCode, stdout, stderr) = RepoPaths.Run(
            "python3",
            [RepoPaths.Combine("shared", "Serverless.Aws", "Generator", "generate.py"), "--check"]);

        Assert.True(exitCode == 0, $"generated code is stale or the generator failed:\n{stdout}\n{stderr}");
    }
}
