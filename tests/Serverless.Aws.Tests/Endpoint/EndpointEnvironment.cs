namespace Serverless.Aws.Tests.Endpoint;

/// <summary>
/// Clears every endpoint-override variable the tests touch (<c>AWS_ENDPOINT_URL</c>,
/// <c>AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2</c>, <c>AWS_ENDPOINT_URL_AUTO_SCALING</c>), sets those given through
/// the indexer, and puts back the values from before on dispose.
/// </summary>
internal sealed class EndpointEnvironment : IDisposable
{
    private static readonly string[] Names = ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", "AWS_ENDPOINT_URL_AUTO_SCALING"];
    private readonly Dictionary<string, string?> _saved = [];

    public EndpointEnvironment()
    {
        try
        {
            foreach (var name in Names)
            {
                _saved[name] = Environment.GetEnvironmentVariable(name);
                Environment.SetEnvironmentVariable(name, null);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string? this[string name]
    {
        get => Environment.GetEnvironmentVariable(name);
        set
        {
            if (!_saved.ContainsKey(name))
                throw new ArgumentException($"{name} is not one of the variables this scope restores", nameof(name));
            Environment.SetEnvironmentVariable(name, value);
        }
    }

    public void Dispose()
    {
        foreach (var (name, value) in _saved)
            Environment.SetEnvironmentVariable(name, value);
    }
}
