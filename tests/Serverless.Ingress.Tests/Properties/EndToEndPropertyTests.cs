using CsCheck;
using Serverless.Ingress.Tests.Front;
using Serverless.Model;

namespace Serverless.Ingress.Tests.Properties;

/// <summary>
/// Properties of the whole builder (front and back half together) over random groups whose annotations hold valid
/// values and garbage for every annotation the builder reads, on Ingresses and Services. The front-half properties
/// with a stand-in back half are in <c>Front/PropertyTests.cs</c>.
/// </summary>
public class EndToEndPropertyTests
{
    private const int Iterations = 400;

    [Fact]
    public void RandomGroups_NeverThrow_AndEveryProblemIsAReportedError()
    {
        RandomGroups.Any.Sample(group =>
        {
            // Anything but a stack (an exception of any kind, InvalidInputException included) fails the property.
            var stack = IngressGroupModelBuilder.Build(group.Snapshot());

            var members = stack.Ingresses.Where(static i => i.State != IngressState.Leaving).ToList();
            Assert.All(stack.Ingresses.SelectMany(static i => i.Errors), static e =>
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Object));
                Assert.False(string.IsNullOrWhiteSpace(e.Field));
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
            });
            Assert.All(members.Where(static i => i.State == IngressState.Frozen), static i => Assert.NotEmpty(i.Errors));
            Assert.All(members.Where(static i => i.State == IngressState.Active), static i => Assert.Empty(i.Errors));
            Assert.Equal(members.Count > 0 && members.All(static i => i.State == IngressState.Frozen), stack.AllMembersFrozen);
            Assert.Equal(members.Any(static i => i.State == IngressState.Active), stack.LoadBalancer is not null);
            Assert.All(stack.Rules, r => Assert.Equal(IngressState.Active, stack.Outcome(r.Owner).State));
        }, iter: Iterations);
    }

    [Fact]
    public void RandomGroups_TheSameSnapshotGivesByteIdenticalJson()
    {
        RandomGroups.Any.Sample(group =>
        {
            var snapshot = group.Snapshot();
            var first = StackJson.Serialize(IngressGroupModelBuilder.Build(snapshot));
            Assert.Equal(first, StackJson.Serialize(IngressGroupModelBuilder.Build(snapshot)));
            // A snapshot made anew from the same objects, too (nothing may hang on object identity).
            Assert.Equal(first, StackJson.Serialize(IngressGroupModelBuilder.Build(group.Snapshot())));
        }, iter: Iterations);
    }

    [Fact]
    public void RandomGroups_TheOrderOfObjectsInTheSnapshotDoesNotChangeTheJson()
    {
        RandomGroups.Any.Sample(group =>
        {
            var ordered = StackJson.Serialize(IngressGroupModelBuilder.Build(group.Snapshot()));
            var shuffled = StackJson.Serialize(IngressGroupModelBuilder.Build(group.Shuffled()));
            Assert.Equal(ordered, shuffled);
        }, iter: Iterations);
    }

    [Fact]
    public void RandomGroups_ReachEveryOutcome()
    {
        // The generator is only useful if random groups both serve and freeze: count what 400 samples give.
        var active = 0;
        var frozen = 0;
        var rules = 0;
        RandomGroups.Any.Sample(group =>
        {
            var stack = IngressGroupModelBuilder.Build(group.Snapshot());
            active += stack.Ingresses.Count(static i => i.State == IngressState.Active);
            frozen += stack.Ingresses.Count(static i => i.State == IngressState.Frozen);
            rules += stack.Rules.Count;
        }, iter: Iterations, threads: 1, seed: "0N0XIzNsQ0O2");
        Assert.True(active > 50, $"only {active} active members");
        Assert.True(frozen > 50, $"only {frozen} frozen members");
        // A member with one path to a missing Service is frozen whole (no rules), so rules are rarer than members.
        Assert.True(rules > 20, $"only {rules} rules");
    }
}
