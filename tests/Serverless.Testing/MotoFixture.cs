namespace Serverless.Testing;

/// <summary>
/// One moto_server shared by the tests of a collection: started on first use, stopped when the collection ends.
/// A test assembly declares the collection (<c>[CollectionDefinition] … : ICollectionFixture&lt;MotoFixture&gt;</c>).
/// </summary>
public sealed class MotoFixture : IDisposable
{
    /// <summary>The server.</summary>
    public MotoServer Server { get; } = MotoServer.Start();

    /// <inheritdoc />
    public void Dispose() => Server.Dispose();
}
