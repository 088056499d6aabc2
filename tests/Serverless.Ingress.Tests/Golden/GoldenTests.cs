using Serverless.Model;

namespace Serverless.Ingress.Tests.Golden;

/// <summary>
/// Golden tests of the Ingress model builder: every <c>Golden/Fixtures/&lt;case&gt;/input.yaml</c> is built and
/// serialized with <see cref="StackJson"/>, and must equal <c>expected-stack.json</c> byte for byte. With
/// <c>UPDATE_GOLDEN=1</c> the expected files are written instead (see README.md).
/// </summary>
public sealed class GoldenTests
{
    private const string UpdateVariable = "UPDATE_GOLDEN";

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var name in GoldenCase.All())
            data.Add(name);
        return data;
    }

    private static bool Updating => Environment.GetEnvironmentVariable(UpdateVariable) is "1" or "true";

    [Theory]
    [MemberData(nameof(Cases))]
    public void Builds_the_expected_stack(string name)
    {
        var golden = GoldenCase.Load(name);

        var actual = StackJson.Serialize(IngressGroupModelBuilder.Build(golden.Snapshot));

        var sourceFile = Path.Combine(GoldenCase.SourceFixturesFolder, name, "expected-stack.json");
        if (Updating)
        {
            File.WriteAllText(sourceFile, actual);
            return;
        }
        var builtFile = Path.Combine(GoldenCase.BuiltFixturesFolder, name, "expected-stack.json");
        var expectedFile = File.Exists(sourceFile) ? sourceFile : builtFile;
        Assert.True(
            File.Exists(expectedFile),
            $"{name} has no expected-stack.json. Read the comment at the top of its input.yaml, then create the file with\n" +
            $"  {UpdateVariable}=1 dotnet test tests/Serverless.Ingress.Tests -c Release --filter \"FullyQualifiedName~Golden&DisplayName~{name}\"\n" +
            "and review the generated JSON against that comment before committing it.");
        var expected = File.ReadAllText(expectedFile).ReplaceLineEndings("\n");
        if (expected == actual)
            return;
        Assert.Fail(
            $"{name}: the built stack differs from expected-stack.json (- expected, + actual; line numbers expected | actual):\n" +
            LineDiff.Format(expected, actual) +
            $"If the change is intended, regenerate with {UpdateVariable}=1 and review the diff in git.");
    }
}
