using Serverless.Model;

namespace Serverless.Service.Tests.Golden;

/// <summary>
/// Golden tests of the Service model builder: every <c>Golden/Fixtures/&lt;case&gt;/input.yaml</c> is built; the stack
/// serialized with <see cref="StackJson"/> must equal <c>expected-stack.json</c>, and the warnings (one a line)
/// <c>expected-warnings.txt</c> (absent when there are none). <c>UPDATE_GOLDEN=1</c> writes the files instead; review
/// every generated file against the comment at the top of its input.yaml.
/// </summary>
public sealed class ServiceGoldenTests
{
    private const string UpdateVariable = "UPDATE_GOLDEN";

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var name in ServiceGoldenCase.All())
            data.Add(name);
        return data;
    }

    private static bool Updating => Environment.GetEnvironmentVariable(UpdateVariable) is "1" or "true";

    [Fact]
    public void There_are_at_least_thirty_cases() => Assert.True(ServiceGoldenCase.All().Count >= 30, $"{ServiceGoldenCase.All().Count} cases");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Builds_the_expected_stack(string name)
    {
        var golden = ServiceGoldenCase.Load(name);
        var build = ServiceModelBuilder.Build(golden.Snapshot);
        var stack = StackJson.Serialize(build.Stack);
        var warnings = string.Concat(build.Warnings.Select(static w => w + "\n"));

        Compare(name, "expected-stack.json", stack);
        Compare(name, "expected-warnings.txt", warnings);
    }

    [Fact]
    public void Every_input_says_what_it_shows()
    {
        foreach (var name in ServiceGoldenCase.All())
        {
            var first = File.ReadLines(Path.Combine(ServiceGoldenCase.BuiltFixturesFolder, name, "input.yaml")).First();
            Assert.True(first.StartsWith("# ", StringComparison.Ordinal), $"{name}/input.yaml must start with a comment saying what it shows");
        }
    }

    private static void Compare(string name, string file, string actual)
    {
        var sourceFile = Path.Combine(ServiceGoldenCase.SourceFixturesFolder, name, file);
        if (Updating)
        {
            if (actual.Length == 0)
                File.Delete(sourceFile);
            else
                File.WriteAllText(sourceFile, actual);
            return;
        }
        var builtFile = Path.Combine(ServiceGoldenCase.BuiltFixturesFolder, name, file);
        var expected = File.Exists(builtFile) ? File.ReadAllText(builtFile).ReplaceLineEndings("\n") : string.Empty;
        Assert.True(expected == actual,
            $"{name}: {file} differs (regenerate with {UpdateVariable}=1 and review the diff in git).\n--- expected\n{expected}\n+++ actual\n{actual}");
    }
}
