using Serverless.Aws.Core;
using Serverless.Local;

namespace Serverless.Testing;

/// <summary>
/// A real <c>moto_server</c> (the AWS emulator in the machine image) on a free loopback port, started by the
/// tests themselves (through <see cref="EmbeddedAws"/>, the same launcher the CLI uses) and stopped when disposed
/// or when the test process exits. Never a hand-started service.
/// </summary>
public sealed class MotoServer : IDisposable
{
    private readonly EmbeddedAws _aws;

    private MotoServer(EmbeddedAws aws) => _aws = aws;

    /// <summary>The loopback port moto listens on.</summary>
    public int Port => _aws.Port;

    /// <summary>The endpoint URL every AWS client of a test points at.</summary>
    public string Endpoint => _aws.Endpoint;

    /// <summary>What moto printed so far (for failure messages).</summary>
    public string Log => _aws.Log;

    /// <summary>Starts <c>moto_server</c> on a free loopback port and waits until it answers.</summary>
    public static MotoServer Start(TimeSpan? timeout = null) => new(EmbeddedAws.Start(timeout));

    /// <summary>Forgets every resource in every service (moto's <c>POST /moto-api/reset</c>).</summary>
    public void Reset() => _aws.Reset();

    /// <summary>Client options pointing at this server with dummy credentials, no rate limits and fast retries.</summary>
    public AwsClientOptions ClientOptions(AwsCallRecorder? recorder = null, Func<HttpMessageHandler, HttpMessageHandler>? wrap = null) =>
        _aws.ClientOptions() with
        {
            CallRecorder = recorder ?? new AwsCallRecorder(),
            HttpHandlerWrapper = wrap,
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
            RetryMaxDelay = TimeSpan.FromMilliseconds(50),
        };

    /// <inheritdoc />
    public void Dispose() => _aws.Dispose();
}
