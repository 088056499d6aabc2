namespace Serverless.Forwarder;

/// <summary>
/// A cancellation that fires when its parent token does or when a timeout on the given clock runs out (a linked
/// token source has no clock of its own: its timeouts always run on the system timer).
/// </summary>
internal sealed class ClockTimeout : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly CancellationTokenRegistration _parent;

    public ClockTimeout(TimeProvider time, CancellationToken parent)
    {
        _source = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        _parent = parent.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), _source);
    }

    public CancellationToken Token => _source.Token;

    /// <summary>(Re)starts the timeout: it fires <paramref name="delay"/> from now on the clock.</summary>
    public void CancelAfter(TimeSpan delay) => _source.CancelAfter(delay);

    public void Dispose()
    {
        _parent.Dispose();
        _source.Dispose();
    }
}
