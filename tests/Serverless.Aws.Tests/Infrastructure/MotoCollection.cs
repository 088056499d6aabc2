using Serverless.Testing;

namespace Serverless.Aws.Tests.Infrastructure;

/// <summary>One moto_server for every test of this assembly that talks to AWS; such tests run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class MotoCollection : ICollectionFixture<MotoFixture>
{
    public const string Name = "moto";
}
