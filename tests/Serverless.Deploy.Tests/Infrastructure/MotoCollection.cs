using Serverless.Testing;

namespace Serverless.Deploy.Tests.Infrastructure;

/// <summary>One moto_server for every deployer test; the tests run one at a time against it.</summary>
[CollectionDefinition(Name)]
public sealed class MotoCollection : ICollectionFixture<MotoFixture>
{
    public const string Name = "moto";
}

/// <summary>
/// A second moto_server for the long crash-safety loops, so they run in parallel with the other deployer tests (xunit
/// runs collections in parallel; moto serves one request at a time).
/// </summary>
[CollectionDefinition(Name)]
public sealed class CrashMotoCollection : ICollectionFixture<MotoFixture>
{
    public const string Name = "moto-crash";
}

/// <summary>A third moto_server, for the second crash-safety loop.</summary>
[CollectionDefinition(Name)]
public sealed class UpdateCrashMotoCollection : ICollectionFixture<MotoFixture>
{
    public const string Name = "moto-crash-update";
}
