using Serverless.Testing;

namespace Serverless.Cli.Tests;

/// <summary>One moto_server for the tests of this assembly; each test uses its own cluster name (its own sandbox VPC).</summary>
[CollectionDefinition(Name)]
public sealed class MotoCollection : ICollectionFixture<MotoFixture>
{
    public const string Name = "moto";
}
