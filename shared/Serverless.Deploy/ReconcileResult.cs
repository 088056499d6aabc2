namespace Serverless.Deploy;

/// <summary>What a reconcile asks of whoever runs it.</summary>
public enum ReconcileKind
{
    /// <summary>The stack matches what was asked: nothing more to do.</summary>
    Done,

    /// <summary>
    /// Expected and not an error (a resource still in use, a load balancer still provisioning, new targets not yet
    /// healthy): come back after the delay. Emits no Warning.
    /// </summary>
    RequeueAfter,

    /// <summary>A failure (an AWS error, a name taken by a foreign resource, an API server error): retried with backoff.</summary>
    Failed,
}

/// <summary>
/// The one result of every reconcile and deploy (controller-runtime's <c>Result</c>): the deployer returns it, the
/// stack reconcilers return it, the reconcile function turns it into a queue action. A requeue is this value, never
/// an exception or a string parsed back.
/// </summary>
/// <param name="Kind">Done, requeue after a delay, or failed.</param>
/// <param name="Delay">For <see cref="ReconcileKind.RequeueAfter"/>: how long to wait.</param>
/// <param name="Reason">Why, for a requeue or a failure.</param>
public sealed record ReconcileResult(ReconcileKind Kind, TimeSpan? Delay = null, string? Reason = null)
{
    /// <summary>Done.</summary>
    public static ReconcileResult Done { get; } = new(ReconcileKind.Done);

    /// <summary>Come back after <paramref name="delay"/>: expected, not an error.</summary>
    public static ReconcileResult RequeueAfter(string reason, TimeSpan delay) => new(ReconcileKind.RequeueAfter, delay, reason);

    /// <summary>Failed: retry with backoff.</summary>
    public static ReconcileResult Failed(string reason) => new(ReconcileKind.Failed, null, reason);

    /// <summary>True for <see cref="ReconcileKind.Done"/>.</summary>
    public bool IsDone => Kind == ReconcileKind.Done;

    /// <summary>
    /// The result of two reconciles taken together: a failure wins, then the requeue that comes back soonest, then done.
    /// </summary>
    public static ReconcileResult Worse(ReconcileResult a, ReconcileResult b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return (a.Kind, b.Kind) switch
        {
            (ReconcileKind.Failed, _) => a,
            (_, ReconcileKind.Failed) => b,
            (ReconcileKind.RequeueAfter, ReconcileKind.RequeueAfter) => a.Delay <= b.Delay ? a : b,
            (ReconcileKind.RequeueAfter, _) => a,
            _ => b,
        };
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        ReconcileKind.Done => "done",
        ReconcileKind.RequeueAfter => $"requeue after {Delay!.Value.TotalSeconds:0}s: {Reason}",
        _ => $"failed: {Reason}",
    };
}
