using k8s.Models;
using Serverless.Ingress;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Writers;
using Serverless.Model;

namespace Serverless.Kubernetes.Live;

/// <summary>What deploying a stack did.</summary>
/// <param name="LoadBalancerDnsName">The load balancer's DNS name; null when the stack has none (deleted, or all members frozen).</param>
/// <param name="Changed">True when anything on AWS was created, changed or deleted.</param>
/// <param name="Warnings">What a person should look at although the deploy finished: one Warning Event each on the active members.</param>
public sealed record DeployOutcome(string? LoadBalancerDnsName, bool Changed, IReadOnlyList<string>? Warnings = null);

/// <summary>Deploys a stack to AWS (injected: the deployer lives elsewhere). Throws on failure.</summary>
public delegate Task<DeployOutcome> StackDeploy(Stack stack, CancellationToken cancellationToken);

/// <summary>Upstream's Ingress event reasons (<c>pkg/k8s/events.go</c>).</summary>
public static class IngressEventReasons
{
    public const string SuccessfullyReconciled = "SuccessfullyReconciled";
    public const string FailedBuildModel = "FailedBuildModel";
    public const string FailedDeployModel = "FailedDeployModel";
    public const string FailedAddFinalizer = "FailedAddFinalizer";
    public const string FailedRemoveFinalizer = "FailedRemoveFinalizer";
    public const string FailedUpdateStatus = "FailedUpdateStatus";

    /// <summary>Ours, not upstream's: an ALB annotation that is ignored or not applied (see <see cref="AnnotationWarnings"/>).</summary>
    public const string IgnoredAnnotation = "IgnoredAnnotation";

    /// <summary>Ours: the deploy finished but something needs a person (e.g. traffic switched to a target group without a healthy target).</summary>
    public const string DeployWarning = "DeployWarning";
}

/// <summary>One Event the reconcile emitted (or tried to: <see cref="Error"/> says why it was not written).</summary>
public sealed record IngressEvent(string Ingress, string Type, string Reason, string Message, string? Error = null);

/// <summary>The outcome of one group reconcile.</summary>
public sealed record GroupReconcileResult
{
    /// <summary>The group.</summary>
    public required StackId Group { get; init; }

    /// <summary>True when every step succeeded (frozen members do not make it fail: they are reported per Ingress).</summary>
    public required bool Succeeded { get; init; }

    /// <summary>Why it failed; the caller retries with backoff.</summary>
    public string? Error { get; init; }

    /// <summary>The built stack, when the build ran.</summary>
    public Stack? Stack { get; init; }

    /// <summary>What the deploy did, when it ran.</summary>
    public DeployOutcome? Deploy { get; init; }

    /// <summary>Ingresses (<c>namespace/name</c>) that got the group finalizer.</summary>
    public IReadOnlyList<string> FinalizersAdded { get; init; } = [];

    /// <summary>Ingresses whose status was written.</summary>
    public IReadOnlyList<string> StatusesUpdated { get; init; } = [];

    /// <summary>Ingresses that lost the group finalizer.</summary>
    public IReadOnlyList<string> FinalizersRemoved { get; init; } = [];

    /// <summary>Events, in order.</summary>
    public IReadOnlyList<IngressEvent> Events { get; init; } = [];

    /// <summary>True when the reconcile wrote nothing to Kubernetes (events included) and changed nothing on AWS.</summary>
    public bool Quiet => FinalizersAdded.Count == 0 && StatusesUpdated.Count == 0 && FinalizersRemoved.Count == 0
        && Events.Count == 0 && Deploy?.Changed != true;
}

/// <summary>
/// One group reconcile, upstream's order (<c>group_controller.go</c>) with per-Ingress outcomes: load the group
/// (<see cref="KubernetesGroupLoader"/>), build, add the group finalizer to every member that must carry it
/// <b>before</b> deploying, deploy, write the address to each active member's status, remove the finalizer from
/// Ingresses that left the group only <b>after</b> the deploy deleted their resources, and emit Events.
/// </summary>
/// <remarks>
/// Events are per Ingress: a frozen (invalid) member gets <c>FailedBuildModel</c> with its own errors and the others
/// are not blamed; a finalizer or status failure is reported on the Ingress it concerns. A deploy failure cannot be
/// pinned on one Ingress and is reported on every active member, as upstream. Unlike upstream, which records
/// <c>SuccessfullyReconciled</c> on every pass, a pass that changed nothing (no AWS change, no Kubernetes write)
/// writes no Event either, so an idle resync costs no write; warnings are always written.
/// </remarks>
public sealed class GroupReconciler
{
    private const string Normal = "Normal";
    private const string Warning = "Warning";

    private readonly KubernetesGroupLoader _loader;
    private readonly IngressWriter _writer;
    private readonly StackDeploy _deploy;
    private readonly AwsFactsSource? _awsFacts;

    public GroupReconciler(IKubernetesApi api, ClusterSettings cluster, StackDeploy deploy, AwsFactsSource? awsFacts = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(deploy);
        _loader = new KubernetesGroupLoader(api, cluster);
        _writer = new IngressWriter(api, time);
        _deploy = deploy;
        _awsFacts = awsFacts;
    }

    /// <summary>Reconciles <paramref name="group"/>. Throws only for a failed load (nothing was done) or cancellation.</summary>
    public async Task<GroupReconcileResult> ReconcileAsync(StackId group, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(group);
        var loaded = await _loader.LoadAsync(group, _awsFacts, cancellationToken).ConfigureAwait(false);
        var snapshot = loaded.Snapshot;
        var ingresses = snapshot.Ingresses.ToDictionary(static i => Key(i), StringComparer.Ordinal);
        var events = new List<IngressEvent>();
        var added = new List<string>();
        var statuses = new List<string>();
        var removed = new List<string>();
        GroupReconcileResult Result(bool ok, string? error, Stack? stack, DeployOutcome? deploy) => new()
        {
            Group = group,
            Succeeded = ok,
            Error = error,
            Stack = stack,
            Deploy = deploy,
            FinalizersAdded = added,
            StatusesUpdated = statuses,
            FinalizersRemoved = removed,
            Events = events,
        };
        async Task Emit(V1Ingress ingress, string type, string reason, string message)
        {
            var failure = await _writer.RecordEventAsync(ingress, type, reason, message, cancellationToken).ConfigureAwait(false);
            events.Add(new IngressEvent(Key(ingress), type, reason, message, failure?.Message));
        }

        // 0. Annotations that will not do what their author expects: one Warning per annotation and Ingress while the
        //    Event lives (a stable Event name), not one per reconcile.
        foreach (var member in CurrentMembers(snapshot))
        {
            foreach (var warning in AnnotationWarnings.Of(member))
            {
                var message = warning.ToString();
                var (written, failure) = await _writer.RecordWarningOnceAsync(member, IngressEventReasons.IgnoredAnnotation, message, cancellationToken).ConfigureAwait(false);
                if (written || failure is not null)
                    events.Add(new IngressEvent(Key(member), Warning, IngressEventReasons.IgnoredAnnotation, message, failure?.Message));
            }
        }

        // 1. Build. The builder isolates invalid members; an exception here is a bug or an input it cannot place.
        Stack stack;
        try
        {
            stack = IngressGroupModelBuilder.Build(snapshot);
        }
        catch (Exception ex) when (ex is InvalidInputException or InvalidOperationException or ArgumentException)
        {
            var message = "Failed build model due to " + ex.Message;
            foreach (var member in CurrentMembers(snapshot))
                await Emit(member, Warning, IngressEventReasons.FailedBuildModel, message).ConfigureAwait(false);
            return Result(false, message, null, null);
        }
        var outcomes = stack.Ingresses.Where(o => ingresses.ContainsKey(o.Key)).ToList();

        // 2. Finalizers first: no AWS resource may exist for an Ingress that could vanish without us.
        var finalizer = GroupKeys.Finalizer(group);
        foreach (var outcome in outcomes.Where(static o => o.Finalizer is not null))
        {
            var ingress = ingresses[outcome.Key];
            try
            {
                var (now, written) = await _writer.AddFinalizerAsync(ingress, outcome.Finalizer!, cancellationToken).ConfigureAwait(false);
                if (now is not null)
                    ingresses[outcome.Key] = now;
                if (written)
                    added.Add(outcome.Key);
            }
            catch (KubernetesApiException ex)
            {
                var message = "Failed add finalizer due to " + ex.Message;
                await Emit(ingress, Warning, IngressEventReasons.FailedAddFinalizer, message).ConfigureAwait(false);
                return Result(false, $"{outcome.Key}: {message}", stack, null);
            }
        }

        // 3. Deploy.
        DeployOutcome deployed;
        try
        {
            deployed = await _deploy(stack, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var message = "Failed deploy model due to " + ex.Message;
            foreach (var outcome in outcomes.Where(static o => o.State == IngressState.Active))
                await Emit(ingresses[outcome.Key], Warning, IngressEventReasons.FailedDeployModel, message).ConfigureAwait(false);
            await EmitFrozen(outcomes, ingresses, Emit).ConfigureAwait(false);
            return Result(false, message, stack, null);
        }

        // 4. Status of the active members.
        string? failed = null;
        if (deployed.LoadBalancerDnsName is { Length: > 0 } dns)
        {
            var hostname = dns.ToLowerInvariant();
            var ports = stack.Listeners.Select(static l => l.Port).ToList();
            foreach (var outcome in outcomes.Where(static o => o.State == IngressState.Active))
            {
                try
                {
                    if (await _writer.UpdateStatusAsync(ingresses[outcome.Key], hostname, ports, cancellationToken).ConfigureAwait(false))
                        statuses.Add(outcome.Key);
                }
                catch (KubernetesApiException ex)
                {
                    var message = "Failed update status due to " + ex.Message;
                    await Emit(ingresses[outcome.Key], Warning, IngressEventReasons.FailedUpdateStatus, message).ConfigureAwait(false);
                    failed ??= $"{outcome.Key}: {message}";
                }
            }
        }

        // 5. Finalizers of the Ingresses that left: their resources are gone now.
        foreach (var outcome in outcomes.Where(static o => o.State == IngressState.Leaving))
        {
            var ingress = ingresses[outcome.Key];
            try
            {
                var (_, written) = await _writer.RemoveFinalizerAsync(ingress, finalizer, cancellationToken).ConfigureAwait(false);
                if (written)
                    removed.Add(outcome.Key);
            }
            catch (KubernetesApiException ex)
            {
                var message = "Failed remove finalizer due to " + ex.Message;
                await Emit(ingress, Warning, IngressEventReasons.FailedRemoveFinalizer, message).ConfigureAwait(false);
                failed ??= $"{outcome.Key}: {message}";
            }
        }

        // 6. Events: each frozen member its own errors; the active ones success, when this pass changed anything.
        await EmitFrozen(outcomes, ingresses, Emit).ConfigureAwait(false);
        foreach (var warning in deployed.Warnings ?? [])
        {
            foreach (var outcome in outcomes.Where(static o => o.State == IngressState.Active))
                await Emit(ingresses[outcome.Key], Warning, IngressEventReasons.DeployWarning, warning).ConfigureAwait(false);
        }
        var changed = deployed.Changed || added.Count > 0 || statuses.Count > 0 || removed.Count > 0;
        if (failed is null && changed)
        {
            foreach (var outcome in outcomes.Where(static o => o.State == IngressState.Active))
                await Emit(ingresses[outcome.Key], Normal, IngressEventReasons.SuccessfullyReconciled, "Successfully reconciled").ConfigureAwait(false);
        }
        return Result(failed is null, failed, stack, deployed);
    }

    private static async Task EmitFrozen(List<IngressOutcome> outcomes, Dictionary<string, V1Ingress> ingresses, Func<V1Ingress, string, string, string, Task> emit)
    {
        foreach (var outcome in outcomes.Where(static o => o.State == IngressState.Frozen))
        {
            var message = "Failed build model due to " + string.Join("; ", outcome.Errors.Select(static e => e.ToString()));
            await emit(ingresses[outcome.Key], Warning, IngressEventReasons.FailedBuildModel, message).ConfigureAwait(false);
        }
    }

    private static IEnumerable<V1Ingress> CurrentMembers(GroupSnapshot snapshot) =>
        snapshot.Ingresses.Where(i => GroupKeys.Of(i, snapshot.IngressClasses, snapshot.IngressClassParams, snapshot.Namespaces, snapshot.Cluster) == snapshot.Group);

    private static string Key(V1Ingress ingress) => $"{ingress.Metadata.NamespaceProperty}/{ingress.Metadata.Name}";
}
