using System.Diagnostics;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Deploy;
using Serverless.Ingress;
using Serverless.Kubernetes;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Gates;
using Serverless.Kubernetes.Live;
using Serverless.Model;

namespace Serverless.Reconcile;

/// <summary>How the Ingress group reconcile behaves; defaults suit the Lambda functions.</summary>
public sealed record IngressReconcilerOptions
{
    /// <summary>
    /// How soon a group that holds a member moving to another group looks again whether that group serves it now
    /// (the other group's status write is not an event this group sees).
    /// </summary>
    public TimeSpan HoldRecheckDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a group without members must have been absent (the <see cref="DeployTags.AbsentSince"/> tag on its load
    /// balancer) before an approved garbage collection (<see cref="ReconcileRequest.CollectOrphan"/>) deletes its stack.
    /// </summary>
    public TimeSpan OrphanMinAbsence { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>The clock that ages the absent-since tag and the readiness gates' waits.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>How often and how long the reconcile comes back while a gated Pod's target is not healthy.</summary>
    public GateCadence ReadinessGates { get; init; } = new();

    /// <summary>Reads target health for readiness gates (default: the deployer, when it can).</summary>
    public ITargetHealthReader? TargetHealth { get; init; }
}

/// <summary>
/// The reconcile of one Ingress group — the one place the functions, the local host and the CLI go through. It reads
/// top to bottom, upstream's order (<c>group_controller.go</c>), each phase timed in the log:
/// <list type="number">
/// <item><b>load</b> the group's objects (live cluster or manifests);</item>
/// <item><b>facts</b>: read the AWS facts once, and decide which leaving members are held;</item>
/// <item><b>build</b> the stack once (pure);</item>
/// <item><b>finalizers</b> on every member that must carry one, before anything is created on AWS;</item>
/// <item><b>deploy</b>;</item>
/// <item><b>status</b>: the load balancer's address on the members;</item>
/// <item><b>release</b>: the finalizers of the members that left, once their resources are gone;</item>
/// <item><b>events</b>.</item>
/// </list>
/// The result is a value (<see cref="ReconcileResult"/>): a requeue is expected and quiet — no Warning Event, status
/// still written; only real failures produce <c>FailedDeployModel</c>-style Warnings naming the Ingress, field and value.
/// </summary>
/// <remarks>
/// <para>
/// <b>Moving between groups without a gap.</b> A member that leaves this group for another group of this controller
/// keeps its rules here (held: built as a frozen member, see <see cref="GroupSnapshot.HeldLeavers"/>) for as long as its
/// status still shows this group's load balancer. The group it joins writes its own address to the status only once
/// its deploy is done (its rules and healthy targets exist); this group then releases the member at its next
/// reconcile, which it requeues for while it holds one.
/// </para>
/// <para>
/// <b>Status on a requeue.</b> A member whose status is empty or already shows this load balancer gets the address on
/// a requeue too (nothing else serves it); a member whose status shows another load balancer keeps it until this
/// group's deploy is done, so clients following the status never move to a load balancer that does not serve them yet.
/// </para>
/// </remarks>
public sealed partial class IngressGroupReconciler
{
    private const string Normal = "Normal";
    private const string Warning = "Warning";

    private readonly IIngressGroupSource _source;
    private readonly ClusterSettings _cluster;
    private readonly IAwsFactsLoader _facts;
    private readonly IStackDeployer _deployer;
    private readonly IngressReconcilerOptions _options;
    private readonly ILogger _logger;

    public IngressGroupReconciler(
        IIngressGroupSource source,
        ClusterSettings cluster,
        IAwsFactsLoader facts,
        IStackDeployer deployer,
        ILogger? logger = null,
        IngressReconcilerOptions? options = null)
    {
        _source = source ?? throw new ArgumentNullException(nameof(source));
        _cluster = cluster ?? throw new ArgumentNullException(nameof(cluster));
        _facts = facts ?? throw new ArgumentNullException(nameof(facts));
        _deployer = deployer ?? throw new ArgumentNullException(nameof(deployer));
        _logger = logger ?? NullLogger.Instance;
        _options = options ?? new IngressReconcilerOptions();
    }

    /// <summary>Reconciles <paramref name="group"/>. Throws only on cancellation.</summary>
    public async Task<StackRun> ReconcileAsync(StackId group, ReconcileRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(request);
        var run = new Run(this, group, request);
        return await ReconcileSteps.GuardAsync($"group {group}", () => run.ExecuteAsync(cancellationToken), run.Finish).ConfigureAwait(false);
    }

    /// <summary>The Ingresses the group's reconcile concerns: its members and those still holding its finalizer.</summary>
    public static IReadOnlyList<V1Ingress> Candidates(GroupSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return [.. snapshot.Ingresses.Where(i => GroupKeys.ToReconcile(i, snapshot.IngressClasses, snapshot.IngressClassParams, snapshot.Namespaces, snapshot.Cluster).Contains(snapshot.Group))];
    }

    /// <summary>
    /// Leaving members to hold: they carry this group's finalizer, are not being deleted, are members of another group
    /// of this controller now, and their status still shows this group's load balancer (<paramref name="dnsName"/>).
    /// </summary>
    public static IReadOnlySet<string> HeldLeavers(GroupSnapshot snapshot, string? dnsName)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var held = new HashSet<string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(dnsName))
            return held;
        var finalizer = GroupKeys.Finalizer(snapshot.Group);
        foreach (var ingress in snapshot.Ingresses)
        {
            if (ingress.Metadata?.DeletionTimestamp is not null || ingress.Metadata?.Finalizers?.Contains(finalizer) != true)
                continue;
            var now = GroupKeys.Of(ingress, snapshot.IngressClasses, snapshot.IngressClassParams, snapshot.Namespaces, snapshot.Cluster);
            if (now is null || now == snapshot.Group)
                continue;
            if (StatusHostnames(ingress).Contains(dnsName, StringComparer.OrdinalIgnoreCase))
                held.Add(Key(ingress));
        }
        return held;
    }

    private static IEnumerable<string> StatusHostnames(V1Ingress ingress) =>
        ingress.Status?.LoadBalancer?.Ingress?.Select(static i => i.Hostname).OfType<string>() ?? [];

    private static string Key(V1Ingress ingress) => $"{ingress.Metadata.NamespaceProperty}/{ingress.Metadata.Name}";

    /// <summary>One reconcile's state, so each phase reads as one step.</summary>
    private sealed class Run(IngressGroupReconciler owner, StackId group, ReconcileRequest request)
    {
        private readonly RunRecord _record = new() { OnPhase = (name, duration) => ReconcileLog.Phase(owner._logger, group.ToString(), name, duration.TotalMilliseconds) };
        private readonly Dictionary<string, V1Ingress> _ingresses = new(StringComparer.Ordinal);
        private LoadedGroup? _loaded;
        private Stack? _stack;
        private DeployResult? _deploy;
        private IReadOnlySet<string> _held = new HashSet<string>();
        private IReadOnlyList<StackWarning> _warnings = [];

        private IIngressGroupSource Source => owner._source;

        private bool IsApply => request.Mode == DeployMode.Apply;

        public async Task<StackRun> ExecuteAsync(CancellationToken ct)
        {
            // 1-3. Load, facts (once, inside the load: they need the Ingresses and Nodes), build (once).
            var started = Stopwatch.GetTimestamp();
            TimeSpan factsTime = default;
            // What the facts loader read from AWS in this reconcile (null when its cache answered): the deployer
            // does not read it again. Nothing changes AWS between the facts and the deploy of one reconcile.
            KnownAwsReads? known = null;
            // The Ingresses are listed once, before the preparation: every later round has the same candidates.
            IReadOnlyList<V1Ingress> candidates = [];
            async Task<GroupSnapshot> Prepare(GroupSnapshot snapshot, CancellationToken token)
            {
                var at = Stopwatch.GetTimestamp();
                candidates = Candidates(snapshot);
                var aws = await owner._facts.LoadAsync(owner._cluster, group, candidates, snapshot.Nodes, token, fresh: request.FullDriftCheck, read: r => known = r).ConfigureAwait(false);
                var prepared = snapshot with { Aws = aws };
                factsTime = Stopwatch.GetElapsedTime(at);
                return prepared with { HeldLeavers = HeldLeavers(prepared, aws.ExistingLoadBalancer?.DnsName) };
            }
            try
            {
                _loaded = await Source.LoadAsync(group, Prepare, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidInputException or InvalidOperationException or ArgumentException)
            {
                // The builder isolates invalid members; an exception here is a bug or an input it cannot place.
                _record.Phase("load+build", Stopwatch.GetElapsedTime(started));
                return Finish(ReconcileResult.Failed($"group {group}: failed build model due to {ex.Message}"));
            }
            var loadAndBuild = Stopwatch.GetElapsedTime(started);
            _record.Phase("facts", factsTime);
            _record.Phase("load+build", loadAndBuild - factsTime);
            _held = _loaded.Snapshot.HeldLeavers;
            foreach (var ingress in _loaded.Snapshot.Ingresses)
                _ingresses.TryAdd(Key(ingress), ingress);
            IReadOnlyList<string> names = AwsFactsLoader.CandidateLoadBalancerNames(owner._cluster, group, candidates);
            _stack = _loaded.Stack with
            {
                // The deployer finds the load balancer only by these names (a scheme change, or a group being deleted
                // whose stack has no load balancer spec any more, still finds the old one).
                KnownLoadBalancerNames = [.. names.Union(_loaded.Stack.LoadBalancer is { } lb ? [lb.Name] : [], StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            };
            // A group without members (no Ingress of it, none holding its finalizer): its stack goes only when the
            // replay's garbage collection approved it; a member's deletion (it holds the finalizer) is not this case.
            if (candidates.Count == 0 && MemberlessRefusal(known) is { } refusal)
            {
                ReconcileLog.MemberlessKept(owner._logger, group.ToString(), refusal);
                return Finish(ReconcileResult.Done);
            }
            var options = new DeployOptions
            {
                IngressClass = IngressClassRecord.Of(_loaded.Snapshot),
                Mode = request.Mode,
                FullDriftCheck = request.FullDriftCheck,
                ClusterName = owner._cluster.ClusterName,
                VpcId = owner._cluster.VpcId,
                Known = known,
                AwaitServing = MovingIn(_stack, _loaded.Snapshot.Aws.ExistingLoadBalancer?.DnsName),
            };

            _warnings = StackWarnings.Of(_loaded.Snapshot, _stack);
            if (!IsApply)
            {
                _deploy = await _record.Timed("deploy", () => owner._deployer.DeployAsync(_stack, options, ct)).ConfigureAwait(false);
                return Finish(_deploy.Reconcile);
            }

            var outcomes = _stack.Ingresses.Where(o => _ingresses.ContainsKey(o.Key)).ToList();
            await _record.Timed("warnings", () => WarningsAsync(ct)).ConfigureAwait(false);

            // 4. Finalizers first: no AWS resource may exist for an Ingress that could vanish without us.
            var finalizerFailure = await _record.Timed("finalizers", () => AddFinalizersAsync(outcomes, ct)).ConfigureAwait(false);
            if (finalizerFailure is not null)
                return Finish(finalizerFailure);

            // 5. Deploy.
            _deploy = await _record.Timed("deploy", () => owner._deployer.DeployAsync(_stack, options, ct)).ConfigureAwait(false);
            var deployed = _deploy.Reconcile;
            if (deployed.Kind == ReconcileKind.Failed)
            {
                var message = "Failed deploy model due to " + deployed.Reason;
                foreach (var outcome in outcomes.Where(static o => o.State == IngressState.Active))
                    await EmitAsync(_ingresses[outcome.Key], Warning, IngressEventReasons.FailedDeployModel, message, ct).ConfigureAwait(false);
                await EmitFrozenAsync(outcomes, ct).ConfigureAwait(false);
                return Finish(deployed);
            }

            // 6. Status (also on a requeue; see the remarks), 7. release the members that left, once their resources are gone.
            var statusFailure = await _record.Timed("status", () => WriteStatusAsync(outcomes, deployed.IsDone, ct)).ConfigureAwait(false);
            string? releaseFailure = null;
            if (deployed.IsDone)
                releaseFailure = await _record.Timed("release", () => ReleaseAsync(outcomes, ct)).ConfigureAwait(false);

            // 8. Events: each frozen member its own errors, the deployer's warnings, success when this pass changed anything.
            await _record.Timed("events", async () =>
            {
                await EmitFrozenAsync(outcomes, ct).ConfigureAwait(false);
                foreach (var warning in _deploy.Warnings)
                {
                    foreach (var outcome in outcomes.Where(static o => o.State == IngressState.Active))
                        await EmitAsync(_ingresses[outcome.Key], Warning, IngressEventReasons.DeployWarning, warning, ct).ConfigureAwait(false);
                }
                var changed = _deploy.Changes.Any(static c => c.IsMutation) || _record.FinalizersAdded.Count > 0 || _record.StatusesUpdated.Count > 0 || _record.FinalizersRemoved.Count > 0;
                if (deployed.IsDone && statusFailure is null && releaseFailure is null && changed)
                {
                    foreach (var outcome in outcomes.Where(static o => o.State == IngressState.Active))
                        await EmitAsync(_ingresses[outcome.Key], Normal, IngressEventReasons.SuccessfullyReconciled, "Successfully reconciled", ct).ConfigureAwait(false);
                }
                return true;
            }).ConfigureAwait(false);

            var result = deployed;
            if ((statusFailure ?? releaseFailure) is { } failure)
                result = ReconcileResult.Failed(failure);
            result = ReconcileResult.Worse(result, await _record.Timed("gates", () => GatesAsync(ct)).ConfigureAwait(false));
            if (_held.Count > 0)
            {
                result = ReconcileResult.Worse(result, ReconcileResult.RequeueAfter(
                    $"holding {string.Join(", ", _held.Order(StringComparer.Ordinal))} until the group it moves to serves it", owner._options.HoldRecheckDelay));
            }
            return Finish(result);
        }

        // Readiness gates of the Pods behind the group's ip targets; Done when none is gated (no call made).
        private async Task<ReconcileResult> GatesAsync(CancellationToken ct)
        {
            var health = owner._options.TargetHealth ?? owner._deployer as ITargetHealthReader;
            if (_loaded!.Snapshot.Pods.Count == 0 || health is null)
                return ReconcileResult.Done;
            try
            {
                var gates = await StackReadinessGates.RunAsync(_stack!, _deploy!, _loaded.Snapshot.EndpointSlices, _loaded.Snapshot.Pods, health, Source.PodConditions,
                    owner._options.Time.GetUtcNow(), owner._options.ReadinessGates, owner._logger, ct).ConfigureAwait(false);
                foreach (var (key, message) in gates.OverBound)
                {
                    if (!_ingresses.TryGetValue(key, out var ingress))
                        continue;
                    var (written, failure) = await Source.RecordWarningOnceAsync(ingress, IngressEventReasons.ReadinessGatePending, message, ct).ConfigureAwait(false);
                    if (written || failure is not null)
                        _record.Events.Add(new IngressEvent(key, Warning, IngressEventReasons.ReadinessGatePending, message, failure?.Message));
                }
                return gates.Result;
            }
            catch (Exception ex) when (ex is KubernetesApiException or Amazon.Runtime.AmazonServiceException)
            {
                var message = "Failed readiness gates due to " + ex.Message;
                foreach (var ingress in _stack!.Ingresses.Where(static o => o.State == IngressState.Active).Select(o => _ingresses.GetValueOrDefault(o.Key)).OfType<V1Ingress>())
                    await EmitAsync(ingress, Warning, IngressEventReasons.FailedReadinessGate, message, ct).ConfigureAwait(false);
                return ReconcileResult.Failed($"group {group}: {message}");
            }
        }

        /// <summary>
        /// Why the stack of this memberless group is kept, or null when the deletion was approved: the request comes
        /// from the replay's garbage collection and every load balancer of the stack found by name carries the
        /// absent-since tag, at least <see cref="IngressReconcilerOptions.OrphanMinAbsence"/> old.
        /// </summary>
        private string? MemberlessRefusal(KnownAwsReads? known)
        {
            if (!request.CollectOrphan)
                return "no member left; only the replay's garbage collection deletes such a stack";
            if (known is null)
                return "the load balancers were not read in this reconcile";
            var now = owner._options.Time.GetUtcNow();
            var minimum = owner._options.OrphanMinAbsence;
            foreach (var lb in known.LoadBalancers.Where(l => DeployTags.IsOurs(l.Tags, owner._cluster.ClusterName, group.ToString())))
            {
                var name = lb.LoadBalancer.LoadBalancerName;
                if (DeployTags.ParseTime(lb.Tags.GetValueOrDefault(DeployTags.AbsentSince)) is not { } since)
                    return $"load balancer {name} carries no readable {DeployTags.AbsentSince} tag";
                if (now - since < minimum)
                    return $"load balancer {name} is absent since {DeployTags.FormatTime(since)}, less than {minimum.TotalMinutes:0.#} minutes ago";
            }
            return null;
        }

        /// <summary>
        /// Active members whose status shows another load balancer: their clients move here when this reconcile writes
        /// the address, so the deploy must first serve them (healthy targets).
        /// </summary>
        private HashSet<string> MovingIn(Stack stack, string? dnsName)
        {
            var moving = new HashSet<string>(StringComparer.Ordinal);
            foreach (var outcome in stack.Ingresses.Where(static o => o.State == IngressState.Active))
            {
                if (_ingresses.TryGetValue(outcome.Key, out var ingress)
                    && StatusHostnames(ingress).Any(h => !string.Equals(h, dnsName, StringComparison.OrdinalIgnoreCase)))
                {
                    moving.Add(outcome.Key);
                }
            }
            return moving;
        }

        public StackRun Finish(ReconcileResult result)
        {
            var run = _record.ToRun(group, result, request.Mode) with
            {
                Desired = _stack,
                Deploy = _deploy,
                Problems = _loaded?.Problems ?? [],
                Warnings = _warnings,
                Held = [.. _held.Order(StringComparer.Ordinal)],
            };
            ReconcileLog.Finished(owner._logger, group.ToString(), request.Mode.ToString(), request.FullDriftCheck, result.Kind.ToString(), result.Reason, _record.PhasesText);
            return run;
        }


        private async Task<bool> WarningsAsync(CancellationToken ct)
        {
            // Each once while its Event lives, like the annotation warnings below.
            foreach (var warning in _warnings)
            {
                if (!_ingresses.TryGetValue(warning.Ingress, out var member))
                    continue;
                var (written, failure) = await Source.RecordWarningOnceAsync(member, IngressEventReasons.BuildWarning, warning.Message, ct).ConfigureAwait(false);
                if (written || failure is not null)
                    _record.Events.Add(new IngressEvent(warning.Ingress, Warning, IngressEventReasons.BuildWarning, warning.Message, failure?.Message));
            }

            // One Warning per annotation and Ingress while the Event lives (a stable Event name), not one per reconcile.
            foreach (var member in _ingresses.Values.Where(i => GroupKeys.Of(i, _loaded!.Snapshot.IngressClasses, _loaded.Snapshot.IngressClassParams, _loaded.Snapshot.Namespaces, _loaded.Snapshot.Cluster) == group))
            {
                var messages = AnnotationWarnings.Of(member).Select(static w => w.ToString())
                    .Concat(BackendServices(member).SelectMany(static s => AnnotationWarnings.OfService(s)
                        .Select(w => $"Service {s.Metadata.NamespaceProperty}/{s.Metadata.Name}: {w}")));
                foreach (var message in messages)
                {
                    var (written, failure) = await Source.RecordWarningOnceAsync(member, IngressEventReasons.IgnoredAnnotation, message, ct).ConfigureAwait(false);
                    if (written || failure is not null)
                        _record.Events.Add(new IngressEvent(Key(member), Warning, IngressEventReasons.IgnoredAnnotation, message, failure?.Message));
                }
            }
            return true;
        }

        // The loaded Services that the member's backends name (default backend and rule paths), each once.
        private IEnumerable<V1Service> BackendServices(V1Ingress member)
        {
            var ns = member.Metadata.NamespaceProperty;
            var names = new SortedSet<string>(StringComparer.Ordinal);
            if (member.Spec?.DefaultBackend?.Service?.Name is { } defaultName)
                names.Add(defaultName);
            foreach (var rule in member.Spec?.Rules ?? [])
            {
                foreach (var path in rule?.Http?.Paths ?? [])
                {
                    if (path?.Backend?.Service?.Name is { } name)
                        names.Add(name);
                }
            }
            return _loaded!.Snapshot.Services.Where(s => s.Metadata.NamespaceProperty == ns && names.Contains(s.Metadata.Name));
        }

        private async Task<ReconcileResult?> AddFinalizersAsync(List<IngressOutcome> outcomes, CancellationToken ct)
        {
            foreach (var outcome in outcomes.Where(static o => o.Finalizer is not null))
            {
                var failed = await WriteAsync(outcome.Key, IngressEventReasons.FailedAddFinalizer, "Failed add finalizer", async ingress =>
                {
                    var (now, written) = await Source.AddFinalizerAsync(ingress, outcome.Finalizer!, ct).ConfigureAwait(false);
                    if (now is not null)
                        _ingresses[outcome.Key] = now;
                    if (written)
                        _record.FinalizersAdded.Add(outcome.Key);
                }, ct).ConfigureAwait(false);
                if (failed is not null)
                    return ReconcileResult.Failed(failed);
            }
            return null;
        }

        private async Task<string?> WriteStatusAsync(List<IngressOutcome> outcomes, bool done, CancellationToken ct)
        {
            if (_deploy!.DnsName is not { Length: > 0 } dns)
                return null;
            var hostname = dns.ToLowerInvariant();
            var ports = _stack!.Listeners.Select(static l => l.Port).ToList();
            string? failed = null;
            foreach (var outcome in outcomes.Where(static o => o.State == IngressState.Active))
            {
                if (!done && StatusHostnames(_ingresses[outcome.Key]).Any(h => !string.Equals(h, hostname, StringComparison.OrdinalIgnoreCase)))
                    continue; // served elsewhere until this deploy is done
                // Every member gets its status even when an earlier one failed; the first failure is the result.
                var failure = await WriteAsync(outcome.Key, IngressEventReasons.FailedUpdateStatus, "Failed update status", async ingress =>
                {
                    if (await Source.UpdateStatusAsync(ingress, hostname, ports, ct).ConfigureAwait(false))
                        _record.StatusesUpdated.Add(outcome.Key);
                }, ct).ConfigureAwait(false);
                failed ??= failure;
            }
            return failed;
        }

        private async Task<string?> ReleaseAsync(List<IngressOutcome> outcomes, CancellationToken ct)
        {
            var finalizer = GroupKeys.Finalizer(group);
            string? failed = null;
            foreach (var outcome in outcomes.Where(static o => o.State == IngressState.Leaving))
            {
                var failure = await WriteAsync(outcome.Key, IngressEventReasons.FailedRemoveFinalizer, "Failed remove finalizer", async ingress =>
                {
                    var (_, written) = await Source.RemoveFinalizerAsync(ingress, finalizer, ct).ConfigureAwait(false);
                    if (written)
                        _record.FinalizersRemoved.Add(outcome.Key);
                }, ct).ConfigureAwait(false);
                failed ??= failure;
            }
            return failed;
        }

        /// <summary>One write to an Ingress; a refusal of the API server becomes a Warning on it and the returned reason.</summary>
        private async Task<string?> WriteAsync(string key, string reason, string failure, Func<V1Ingress, Task> write, CancellationToken ct)
        {
            var ingress = _ingresses[key];
            try
            {
                await write(ingress).ConfigureAwait(false);
                return null;
            }
            catch (KubernetesApiException ex)
            {
                var message = failure + " due to " + ex.Message;
                await EmitAsync(ingress, Warning, reason, message, ct).ConfigureAwait(false);
                return $"{key}: {message}";
            }
        }

        private async Task EmitFrozenAsync(List<IngressOutcome> outcomes, CancellationToken ct)
        {
            // A held member is not in error: it waits for the group it moves to.
            foreach (var outcome in outcomes.Where(o => o.State == IngressState.Frozen && !_held.Contains(o.Key)))
            {
                var message = "Failed build model due to " + string.Join("; ", outcome.Errors.Select(static e => e.ToString()));
                await EmitAsync(_ingresses[outcome.Key], Warning, IngressEventReasons.FailedBuildModel, message, ct).ConfigureAwait(false);
            }
        }

        private async Task EmitAsync(V1Ingress ingress, string type, string reason, string message, CancellationToken ct)
        {
            var failure = await Source.RecordEventAsync(ingress, type, reason, message, ct).ConfigureAwait(false);
            _record.Events.Add(new IngressEvent(Key(ingress), type, reason, message, failure?.Message));
        }
    }
}

/// <summary>Structured logs of the reconcile (source-generated, AOT-safe).</summary>
internal static partial class ReconcileLog
{
    [LoggerMessage(EventId = 101, EventName = "ReconcilePhase", Level = LogLevel.Debug, Message = "reconcile {Stack}: phase {Phase} took {DurationMs} ms")]
    public static partial void Phase(ILogger logger, string stack, string phase, double durationMs);

    [LoggerMessage(EventId = 103, EventName = "MemberlessStackKept", Level = LogLevel.Information, Message = "reconcile {Stack}: the group has no member; its stack is kept: {Reason}")]
    public static partial void MemberlessKept(ILogger logger, string stack, string reason);

    [LoggerMessage(EventId = 102, EventName = "Reconciled", Level = LogLevel.Information, Message = "reconcile {Stack} ({Mode}, full drift check {FullDriftCheck}): {Result} {Reason}; phases {Phases}")]
    public static partial void Finished(ILogger logger, string stack, string mode, bool fullDriftCheck, string result, string? reason, string phases);
}
