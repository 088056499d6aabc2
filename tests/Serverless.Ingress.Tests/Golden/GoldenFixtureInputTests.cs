using System.Text.RegularExpressions;

namespace Serverless.Ingress.Tests.Golden;

/// <summary>Checks on the golden fixtures themselves and on the harness, independent of the builder.</summary>
public sealed partial class GoldenFixtureInputTests
{
    [GeneratedRegex("^[0-9]{2}-[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex FolderName();

    [Theory]
    [MemberData(nameof(GoldenTests.Cases), MemberType = typeof(GoldenTests))]
    public void Input_loads_without_errors_and_says_what_it_shows(string name)
    {
        Assert.Matches(FolderName(), name);
        var text = File.ReadAllText(Path.Combine(GoldenCase.BuiltFixturesFolder, name, "input.yaml"));
        Assert.True(text.StartsWith('#'), $"{name}/input.yaml must start with a comment saying what it shows and what the outcome should be");

        var golden = GoldenCase.Load(name); // throws with every manifest error

        Assert.NotEmpty(golden.Snapshot.Ingresses);
        Assert.NotEmpty(golden.Snapshot.Aws.Subnets);
    }

    [Fact]
    public void There_are_enough_fixtures()
    {
        Assert.True(GoldenCase.All().Count >= 45, $"only {GoldenCase.All().Count} golden fixtures");
    }

    [Fact]
    public void Line_diff_shows_numbered_hunks_with_context()
    {
        var expected = string.Join('\n', Enumerable.Range(1, 20).Select(static i => $"line {i}")) + "\n";
        var actual = expected.Replace("line 5\n", "line five\n", StringComparison.Ordinal).Replace("line 18\n", string.Empty, StringComparison.Ordinal) + "line 21\n";

        var diff = LineDiff.Format(expected, actual, context: 2);

        Assert.Equal(
            """
            @@ expected line 3, actual line 3 @@
                  3     3 | line 3
                  4     4 | line 4
            -     5       | line 5
            +           5 | line five
                  6     6 | line 6
                  7     7 | line 7
            @@ expected line 16, actual line 16 @@
                 16    16 | line 16
                 17    17 | line 17
            -    18       | line 18
                 19    18 | line 19
                 20    19 | line 20
            +          20 | line 21

            """.Replace("\r", string.Empty, StringComparison.Ordinal),
            diff);
        Assert.Equal(string.Empty, LineDiff.Format(expected, expected));
    }

    [Fact]
    public void The_default_sandbox_has_three_public_and_three_private_subnets()
    {
        var aws = GoldenCase.Sandbox("prod", new AwsFacts());

        Assert.Equal(6, aws.Subnets.Count);
        Assert.Equal(3, aws.Subnets.Count(static s => s.Tags.ContainsKey("kubernetes.io/role/elb") && s.Tags["kubernetes.io/cluster/prod"] == "owned"));
        Assert.Equal(3, aws.Subnets.Count(static s => s.Tags.ContainsKey("kubernetes.io/role/internal-elb")));
        Assert.Equal(["us-east-1a", "us-east-1b", "us-east-1c"], aws.Subnets.Select(static s => s.AvailabilityZone).Distinct());
        Assert.Equal(["sg-0a1b2c3d4e5f60001"], aws.NodeSecurityGroupIds);
        Assert.Equal(["10.0.0.0/16"], aws.VpcCidrs);
    }
}
