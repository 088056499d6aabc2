using Serverless.Testing;

namespace Serverless.Aws.Tests.Infrastructure;

/// <summary>One moto_server for every test of this assembly that talks to AWS; such tests run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class MotoCollection : ICollectionFixture<MotoFixture>
{
    public const string Name = "moto";
}

/// <summary>
/// Base of every moto test: resets moto before the test (so each test starts from an empty account) and hands out
/// clients pointed at it. Derived classes must carry <c>[Collection(MotoCollection.Name)]</c>.
/// </summary>
public abstract class MotoTest
{
    protected MotoTest(MotoFixture fixture)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        Moto = fixture.Server;
        Moto.Reset();
    }

    protected MotoServer Moto { get; }
}
