using Serverless.Deploy;
using Serverless.Ingress;
using Serverless.Kubernetes.Manifests;
using Serverless.Model;

namespace Serverless.Reconcile;

/// <summary>How a stack is reconciled.</summary>
/// <param name="Mode">Plan (no write anywhere: neither AWS nor Kubernetes) or apply.</param>
/// <param name="FullDriftCheck">Compare every resource with AWS and re-read the facts (the scheduled replay, the CLI); false lets an event-driven reconcile trust its checkpoints.</param>
public sealed record ReconcileRequest(DeployMode Mode = DeployMode.Apply, bool FullDriftCheck = false)
{
    /// <summary>
    /// The replay's garbage collection approved deleting the stack of this group if it has no member left (no Ingress
    /// of the group, none holding its finalizer). Without it such a stack is kept; the reconcile still checks that its
    /// load balancer has been absent long enough (<see cref="IngressReconcilerOptions.OrphanMinAbsence"/>).
    /// </summary>
    public bool CollectOrphan { get; init; }

    /// <summary>The replay's approved deletion of an orphaned stack (a drift check that may delete it).</summary>
    public static ReconcileRequest Collect { get; } = new(DeployMode.Apply, FullDriftCheck: true) { CollectOrphan = true };

    /// <summary>An event-driven apply.</summary>
    public static ReconcileRequest Event { get; } = new();

    /// <summary>An apply that compares everything (replay).</summary>
    public static ReconcileRequest DriftCheck { get; } = new(DeployMode.Apply, FullDriftCheck: true);
}

/// <summary>Upstream's event reasons (<c>pkg/k8s/events.go</c>), the same for Ingresses and Services.</summary>
public static class IngressEventReasons
{
    public const string SuccessfullyReconciled = "SuccessfullyReconciled";
    public const string FailedBuildModel = "FailedBuildModel";
    public const string FailedDeployModel = "FailedDeployModel";
    public const string FailedAddFinalizer = "FailedAddFinalizer";
    public const string FailedRemoveFinalizer = "FailedRemoveFinalizer";
    public const string FailedUpdateStatus = "FailedUpdateStatus";

    /// <summary>A Service's <c>status.loadBalancer</c> could not be emptied after its NLB was deleted (upstream's Service reason).</summary>
    public const string FailedCleanupStatus = "FailedCleanupStatus";

    /// <summary>Ours, not upstream's: an ALB annotation that is ignored or not applied (see <c>AnnotationWarnings</c>).</summary>
    public const string IgnoredAnnotation = "IgnoredAnnotation";

    /// <summary>Ours, not upstream's: the deploy went on past a bound it waits for (e.g. new targets that never became healthy).</summary>
    public const string DeployWarning = "DeployWarning";

    /// <summary>Ours, not upstream's: the built stack will not do what its author probably expects (see <c>StackWarnings</c>).</summary>
    public const string BuildWarning = "BuildWarning";

    /// <summary>Ours, not upstream's: a Pod has not passed its readiness gate within the bound (see <c>GateCadence</c>).</summary>
    public const string ReadinessGatePending = "ReadinessGatePending";

    /// <summary>Ours, not upstream's: a readiness gate condition could not be written or its target health read.</summary>
    public const string FailedReadinessGate = "FailedReadinessGate";
}

/// <summary>
/// One Event the reconcile emitted (or tried to: <see cref="Error"/> says why it was not written); <see cref="Ingress"/>
/// is the object's <c>namespace/name</c> (the Service's for a Service stack).
/// </summary>
public sealed record IngressEvent(string Ingress, string Type, string Reason, string Message, string? Error = null);

/// <summary>How long one phase of a reconcile took.</summary>
public sealed record PhaseTiming(string Phase, TimeSpan Duration);

/// <summary>
/// What one reconcile of one stack did — the one result every caller reads (functions, CLI, local host): the
/// <see cref="Result"/> for the queue, the stack and the deployer's changes for reports, the Kubernetes writes, and
/// each phase's time.
/// </summary>
public sealed record StackRun
{
    /// <summary>The stack (an Ingress group or a Service).</summary>
    public required StackId Stack { get; init; }

    /// <summary>Done, requeue after a delay, or failed.</summary>
    public required ReconcileResult Result { get; init; }

    /// <summary>Plan or apply.</summary>
    public required DeployMode Mode { get; init; }

    /// <summary>The built stack (null when the load or build failed).</summary>
    public Stack? Desired { get; init; }

    /// <summary>What the deployer planned or did (null when it did not run).</summary>
    public DeployResult? Deploy { get; init; }

    /// <summary>Objects the loader could not read, each located.</summary>
    public IReadOnlyList<ManifestError> Problems { get; init; } = [];

    /// <summary>Ingresses (<c>namespace/name</c>) that got the group finalizer.</summary>
    public IReadOnlyList<string> FinalizersAdded { get; init; } = [];

    /// <summary>Ingresses whose status was written.</summary>
    public IReadOnlyList<string> StatusesUpdated { get; init; } = [];

    /// <summary>Ingresses that lost the group finalizer.</summary>
    public IReadOnlyList<string> FinalizersRemoved { get; init; } = [];

    /// <summary>Events, in order.</summary>
    public IReadOnlyList<IngressEvent> Events { get; init; } = [];

    /// <summary>What the built stack will not do as its author probably expects (a shadowed rule, an ip target group without endpoints, nodes left out of instance targets).</summary>
    public IReadOnlyList<StackWarning> Warnings { get; init; } = [];

    /// <summary>Leaving members held in this group until the group they move to serves them.</summary>
    public IReadOnlyList<string> Held { get; init; } = [];

    /// <summary>Each phase's duration, in order.</summary>
    public IReadOnlyList<PhaseTiming> Phases { get; init; } = [];

    /// <summary>Every build error of every member, in member order.</summary>
    public IEnumerable<BuildError> Errors => Desired?.Ingresses.SelectMany(static i => i.Errors) ?? [];

    /// <summary>True when the reconcile wrote nothing to Kubernetes (events included) and changed nothing on AWS.</summary>
    public bool Quiet => FinalizersAdded.Count == 0 && StatusesUpdated.Count == 0 && FinalizersRemoved.Count == 0
        && Events.Count == 0 && Deploy?.Changes.Any(static c => c.IsMutation) != true;
}
