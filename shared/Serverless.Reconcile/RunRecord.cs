using Serverless.Deploy;
using Serverless.Model;

namespace Serverless.Reconcile;

/// <summary>
/// What one reconcile did on the cluster side (finalizers, statuses, Events) and how long its phases took: the parts of
/// a <see cref="StackRun"/> every reconciler (Ingress group, Service, TargetGroupBinding) records the same way.
/// </summary>
public sealed class RunRecord
{
    /// <summary>Events written (or that could not be).</summary>
    public List<IngressEvent> Events { get; } = [];

    /// <summary>Objects that got our finalizer.</summary>
    public List<string> FinalizersAdded { get; } = [];

    /// <summary>Objects whose status was written.</summary>
    public List<string> StatusesUpdated { get; } = [];

    /// <summary>Objects that lost our finalizer.</summary>
    public List<string> FinalizersRemoved { get; } = [];

    /// <summary>Phase timings in order.</summary>
    public List<PhaseTiming> Phases { get; } = [];

    /// <summary>Called with each phase as it is recorded (a reconciler's own log line).</summary>
    public Action<string, TimeSpan>? OnPhase { get; init; }

    /// <summary>The phases as one log field: <c>load=1.2ms deploy=30ms</c>.</summary>
    public string PhasesText => string.Join(" ", Phases.Select(static p => $"{p.Phase}={p.Duration.TotalMilliseconds:0.#}ms"));

    /// <summary>Records a phase.</summary>
    public void Phase(string name, TimeSpan duration)
    {
        Phases.Add(new PhaseTiming(name, duration));
        OnPhase?.Invoke(name, duration);
    }

    /// <summary>Runs <paramref name="step"/> as phase <paramref name="name"/>.</summary>
    public Task<T> Timed<T>(string name, Func<Task<T>> step) => ReconcileSteps.TimedAsync(name, step, Phase);

    /// <summary>The run of <paramref name="stack"/> with what was recorded (callers add the rest with <c>with</c>).</summary>
    public StackRun ToRun(StackId stack, ReconcileResult result, DeployMode mode) => new()
    {
        Stack = stack,
        Result = result,
        Mode = mode,
        FinalizersAdded = FinalizersAdded,
        StatusesUpdated = StatusesUpdated,
        FinalizersRemoved = FinalizersRemoved,
        Events = Events,
        Phases = Phases,
    };
}
