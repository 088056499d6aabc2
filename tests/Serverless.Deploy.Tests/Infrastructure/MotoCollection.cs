using Serverless.Testing;

namespace Serverless.Deploy.Tests.Infrastructure;

/// <summary>One moto_server for every deployer test; the tests run one at a time against it.</summary>
[CollectionDefinition(Name)]
public sealed class MotoCollection : ICollectionFixture<MotoFixture>
{
    public const string Name = "moto";
}

/// <summary>Starts moto once per test run and stops it at the end.</summary>
public sealed class MotoFixture : IDisposable
{
    public MotoServer Server { get; } = MotoServer.Start();

    public void Dispose() => Server.Dispose();
}
