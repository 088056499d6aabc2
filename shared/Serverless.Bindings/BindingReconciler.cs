using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Deploy;
using Serverless.Ingress;
using Serverless.Kubernetes.Bindings;
using Serverless.Kubernetes.Gates;
using Serverless.Model;
using Serverless.Reconcile;

namespace Serverless.Bindings;

/// <summary>Upstream's TargetGroupBinding event reasons, plus ours.</summary>
public static class BindingEventReasons
{
    public const string SuccessfullyReconciled = "SuccessfullyReconciled";
    public const string FailedReconcile = "FailedReconcile";
    public const string BackendNotFound = "BackendNotFound";
    public const string FailedCleanup = "FailedCleanup";
    public const string FailedAddFinalizer = "FailedAddFinalizer";
    public const string FailedUpdateStatus = "FailedUpdateStatus";

    /// <summary>Ours: the target group belongs to an Ingress or Service stack of this cluster, which manages its targets.</summary>
    public const string OwnedByStack = "OwnedByStack";
}

/// <summary>
/// What the readiness-gate step needs from an ip binding's reconcile: the group, the desired targets with their
/// pods, the health read before any change, and what this pass registered (not yet described).
/// </summary>
public sealed record BindingGateInput(string TargetGroupArn, IReadOnlyList<DesiredTarget> Targets, IReadOnlyList<TargetHealthDescription> Health, IReadOnlyList<string> Registered);

/// <summary>One binding reconcile: the run every caller reads, and for an ip binding that deployed, the gate input.</summary>
public sealed record BindingRun(StackRun Run, BindingGateInput? Gate = null);

/// <summary>
/// The reconcile of one TargetGroupBinding, in upstream's order (<c>targetgroupbinding_controller.go</c>):
/// <list type="number">
/// <item>gone: nothing. Invalid spec: a Warning naming the field and value, nothing else (a deleting one just loses our finalizer);</item>
/// <item>find the target group (by ARN or name). A group tagged for one of this cluster's Ingress or Service stacks is
/// that stack's: nothing is done to AWS, no finalizer is added, one Normal <c>OwnedByStack</c> Event says which stack;
/// a deleting binding left by upstream loses <c>elbv2.k8s.aws/resources</c> without any deregistration;</item>
/// <item>deleting with our finalizer: deregister this binding's targets, then remove the finalizer (on failure:
/// <c>FailedCleanup</c> Event and condition <c>Ready=False</c>);</item>
/// <item>else: VPC and target type check, finalizer (before any AWS write), desired targets (pure), register then
/// deregister, <c>status.observedGeneration</c>, <c>SuccessfullyReconciled</c> (or <c>FailedReconcile</c> /
/// <c>BackendNotFound</c>).</item>
/// </list>
/// Results are values: only cancellation throws.
/// </summary>
public sealed class BindingReconciler
{
    /// <summary>The finalizer (upstream's, so a binding upstream left is released by us).</summary>
    public const string Finalizer = "elbv2.k8s.aws/resources";

    private const string Normal = "Normal";
    private const string Warning = "Warning";

    private readonly IBindingSource _source;
    private readonly ClusterSettings _cluster;
    private readonly BindingDeployer _deployer;
    private readonly ILogger _logger;

    /// <param name="source">The binding's objects and writes.</param>
    /// <param name="cluster">The cluster's settings (name, VPC).</param>
    /// <param name="deployer">The binding deployer.</param>
    /// <param name="logger">The log.</param>
    public BindingReconciler(IBindingSource source, ClusterSettings cluster, BindingDeployer deployer, ILogger? logger = null)
    {
        _source = source ?? throw new ArgumentNullException(nameof(source));
        _cluster = cluster ?? throw new ArgumentNullException(nameof(cluster));
        _deployer = deployer ?? throw new ArgumentNullException(nameof(deployer));
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Targets per Register/DeregisterTargets call.</summary>
    public int TargetBatchSize { get; init; } = 200;

    /// <summary>How often and how long the reconcile comes back while a gated Pod's target is not healthy.</summary>
    public GateCadence GateCadence { get; init; } = new();

    /// <summary>The clock of gate waits (condition transition times).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// Admits ip endpoints that are not ready (see <see cref="BindingTargetsInput.AdmitNotReady"/>); null: only ready ones.
    /// </summary>
    public Func<k8s.Models.V1Endpoint, bool>? AdmitNotReady { get; init; }

    /// <summary>Reconciles binding <paramref name="ns"/>/<paramref name="name"/>. Throws only on cancellation.</summary>
    public async Task<BindingRun> ReconcileAsync(string ns, string name, ReconcileRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(ns);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(request);
        var run = new Run(this, StackId.Binding(ns, name), request);
        var stackRun = await ReconcileSteps.GuardAsync($"TargetGroupBinding {ns}/{name}", () => run.ExecuteAsync(cancellationToken), run.Finish).ConfigureAwait(false);
        return new BindingRun(stackRun, run.Gate);
    }

    private sealed class Run(BindingReconciler owner, StackId stack, ReconcileRequest request)
    {
        private readonly RunRecord _record = new();
        private readonly string _key = stack.ToString();
        private IReadOnlyList<Kubernetes.Manifests.ManifestError> _problems = [];
        private BindingMetadata? _meta;
        private DeployResult? _deploy;

        public BindingGateInput? Gate { get; private set; }

        private IReadOnlyList<k8s.Models.V1Pod> _gated = [];

        private IBindingSource Source => owner._source;

        private bool Apply => request.Mode == DeployMode.Apply;

        public async Task<StackRun> ExecuteAsync(CancellationToken ct)
        {
            var read = await _record.Timed("load", () => Source.GetBindingAsync(stack.Namespace!, stack.Name!, ct)).ConfigureAwait(false);
            if (read is null)
                return Finish(ReconcileResult.Done);
            _meta = read.Metadata;
            var ours = _meta.Finalizers.Contains(Finalizer);
            if (_meta.IsDeleting && !ours)
                return Finish(ReconcileResult.Done);
            if (read.Binding is not { } binding)
                return await InvalidAsync(read, ct).ConfigureAwait(false);

            var lookup = await _record.Timed("target group", () => owner._deployer.FindTargetGroupAsync(binding, ct)).ConfigureAwait(false);
            if (lookup.TargetGroup is not { } group)
            {
                if (_meta.IsDeleting && lookup.NotFound)
                    return await ReleaseAsync(ct).ConfigureAwait(false); // the group is gone: nothing is registered anywhere
                return _meta.IsDeleting
                    ? await CleanupFailedAsync(binding, lookup.Error!, ct).ConfigureAwait(false)
                    : await FailAsync(BindingEventReasons.FailedReconcile, lookup.Error!, ct).ConfigureAwait(false);
            }

            // Migration: a group of one of our stacks is that stack's (upstream made one binding per stack target group).
            if (group.OwningStack(owner._cluster.ClusterName) is { } owningStack)
            {
                if (_meta.IsDeleting)
                    return await ReleaseAsync(ct).ConfigureAwait(false);
                await EmitAsync(Normal, BindingEventReasons.OwnedByStack,
                    $"target group {group.Arn} belongs to {owningStack} of cluster {owner._cluster.ClusterName}, which registers its targets; this binding changes nothing", once: true, ct).ConfigureAwait(false);
                return Finish(ReconcileResult.Done);
            }

            var options = new BindingDeployOptions { Mode = request.Mode, ClusterVpcId = owner._cluster.VpcId, TargetBatchSize = owner.TargetBatchSize };
            if (_meta.IsDeleting)
                return await DestroyAsync(binding, group, options, ct).ConfigureAwait(false);

            if (BindingDeployer.Mismatch(binding, group, owner._cluster.VpcId) is { } mismatch)
                return await FailAsync(BindingEventReasons.FailedReconcile, mismatch, ct).ConfigureAwait(false);

            // Finalizer first: no target may be registered for a binding that could vanish without us.
            if (Apply)
            {
                var failed = await _record.Timed("finalizer", () => WriteAsync(BindingEventReasons.FailedAddFinalizer, "Failed add finalizer", async () =>
                {
                    var (now, written) = await Source.ChangeFinalizerAsync(_meta, Finalizer, add: true, ct).ConfigureAwait(false);
                    if (now is not null)
                        _meta = now;
                    if (written)
                        _record.FinalizersAdded.Add(_key);
                }, ct)).ConfigureAwait(false);
                if (failed is not null)
                    return Finish(ReconcileResult.Failed(failed));
            }

            var targetType = binding.Spec.TargetType ?? group.TargetType;
            var family = binding.Spec.IpAddressType ?? group.IpAddressType;
            var input = await _record.Timed("targets", () => LoadTargetsAsync(binding, group, targetType, family, ct)).ConfigureAwait(false);
            var desired = BindingTargets.Compute(input);
            if (desired.Outcome == BindingTargetsOutcome.Invalid)
                return await FailAsync(BindingEventReasons.FailedReconcile, desired.Reason!, ct).ConfigureAwait(false);

            var rules = await RulesAsync(ct).ConfigureAwait(false);
            var deployed = await _record.Timed("deploy", () => owner._deployer.DeployAsync(binding with { Metadata = _meta }, group, desired.Targets, _meta.Annotations.GetValueOrDefault(BindingDeployer.LedgerAnnotation), WriteLedgerAsync, options, ct,
                new BindingNetworkInput(targetType, input.Nodes, owner._cluster.ClusterName, rules))).ConfigureAwait(false);
            _deploy = deployed.Deploy;
            if (targetType == "ip")
                Gate = new BindingGateInput(group.Arn, desired.Targets, deployed.Health, deployed.Registered);
            if (_deploy.Reconcile.Kind == ReconcileKind.Failed)
                return await FailAsync(BindingEventReasons.FailedReconcile, _deploy.Reconcile.Reason!, ct).ConfigureAwait(false);
            if (!Apply)
                return Finish(_deploy.Reconcile);

            if (desired.Outcome == BindingTargetsOutcome.BackendNotFound)
                await EmitAsync(Warning, BindingEventReasons.BackendNotFound, desired.Reason!, once: true, ct).ConfigureAwait(false);

            var statusFailure = await _record.Timed("status", () => WriteAsync(BindingEventReasons.FailedUpdateStatus, "Failed update status", async () =>
            {
                if (await Source.UpdateObservedGenerationAsync(binding with { Metadata = _meta }, ct).ConfigureAwait(false))
                    _record.StatusesUpdated.Add(_key);
            }, ct)).ConfigureAwait(false);
            if (statusFailure is not null)
                return Finish(ReconcileResult.Failed(statusFailure));
            var changed = _deploy.Changes.Any(static c => c.IsMutation) || _record.FinalizersAdded.Count > 0 || _record.StatusesUpdated.Count > 0;
            if (changed && desired.Outcome == BindingTargetsOutcome.Targets)
                await EmitAsync(Normal, BindingEventReasons.SuccessfullyReconciled, "Successfully reconciled", once: false, ct).ConfigureAwait(false);
            var gates = _gated.Count > 0 && Gate is { } gate
                ? await _record.Timed("readiness gates", () => ReadinessGatesAsync(gate, ct)).ConfigureAwait(false)
                : ReconcileResult.Done;
            return Finish(ReconcileResult.Worse(_deploy.Reconcile, gates));
        }

        /// <summary>
        /// The readiness gate of this binding on its gated Pods (upstream's <c>target-health.elbv2.k8s.aws/&lt;binding&gt;</c>):
        /// True once the Pod's target is healthy, False with AWS's reason while not; a requeue while any is waiting
        /// (within the bound); past the bound one Warning names the Pod, its target and AWS's reason.
        /// </summary>
        private async Task<ReconcileResult> ReadinessGatesAsync(BindingGateInput gate, CancellationToken ct)
        {
            var decision = ReadinessGateDecider.Decide(new GateInput
            {
                ConditionType = GateCondition,
                TargetGroup = gate.TargetGroupArn,
                Targets = [.. gate.Targets.Where(static t => t.Pod is not null).Select(static t => new PodTarget(t.Pod!.Namespace, t.Pod.Name, t.Target))],
                Pods = _gated,
                Health = StackReadinessGates.Observed(gate.Health),
                RegisteredNow = gate.Registered.Select(TargetKey.Parse).OfType<TargetKey>().ToHashSet(),
                Now = owner.Time.GetUtcNow(),
                Cadence = owner.GateCadence,
            });
            var writes = await PodConditionWriter.WriteAllAsync(Source.PodConditions, decision, ct).ConfigureAwait(false);
            foreach (var pending in decision.OverBound)
            {
                await EmitAsync(Warning, IngressEventReasons.ReadinessGatePending, pending.Describe(GateCondition) + string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"; the reconcile stopped coming back for it after {owner.GateCadence.Bound.TotalMinutes:0.#} minutes (the scheduled replay still checks)"), once: true, ct).ConfigureAwait(false);
            }
            var result = ReconcileResult.Done;
            if (writes.Conflicts.Count > 0)
                result = ReconcileResult.RequeueAfter($"readiness gate {GateCondition}: Pod {string.Join(", ", writes.Conflicts)} changed while its condition was written", owner.GateCadence.FirstDelay);
            if (decision.RequeueAfter is { } delay)
            {
                var waiting = decision.Pending.Where(static p => !p.OverBound).Select(static p => $"{p.Namespace}/{p.Name}");
                result = ReconcileResult.Worse(result, ReconcileResult.RequeueAfter($"readiness gate {GateCondition}: waiting for {string.Join(", ", waiting)} to be healthy in target group {gate.TargetGroupArn}", delay));
            }
            return result;
        }

        private string GateCondition => Ingress.Backend.PodReadinessGates.ConditionType(stack.Name!);

        private async Task<BindingTargetsInput> LoadTargetsAsync(TargetGroupBinding binding, BindingTargetGroup group, string targetType, string family, CancellationToken ct)
        {
            var service = await Source.GetServiceAsync(binding.Metadata.Namespace, binding.Spec.ServiceRef.Name, ct).ConfigureAwait(false);
            IReadOnlyList<k8s.Models.V1EndpointSlice> slices = [];
            IReadOnlyList<k8s.Models.V1Node> nodes = [];
            IReadOnlyList<string> cidrs = [];
            IReadOnlyList<k8s.Models.V1Pod> pods = [];
            if (service is not null && targetType == "ip")
            {
                slices = await Source.ListEndpointSlicesAsync(binding.Metadata.Namespace, binding.Spec.ServiceRef.Name, ct).ConfigureAwait(false);
                if (group.VpcId is { Length: > 0 } vpc)
                    cidrs = await owner._deployer.VpcCidrsAsync(vpc, ct).ConfigureAwait(false);
                // Pods only behind not-ready endpoints: one held back by this binding's gate is registered (its node must be Ready).
                var notReady = Ingress.Backend.TargetBuilder.NotReadyPods(slices);
                if (notReady.Count > 0)
                {
                    pods = await Source.GetPodsAsync(notReady, ct).ConfigureAwait(false);
                    _gated = [.. pods.Where(p => Ingress.Backend.PodReadinessGates.HasGate(p, GateCondition))];
                    if (_gated.Count > 0)
                        nodes = await Source.ListNodesAsync(ct).ConfigureAwait(false);
                }
            }
            // Instance targets are nodes; ip targets with spec.networking need them to find the pods' interfaces.
            if (service is not null && (targetType == "instance" || binding.Spec.Networking is not null))
                nodes = await Source.ListNodesAsync(ct).ConfigureAwait(false);
            return new BindingTargetsInput
            {
                Binding = binding,
                TargetType = targetType,
                IpAddressType = family,
                Service = service,
                EndpointSlices = slices,
                Nodes = nodes,
                VpcCidrs = cidrs,
                AdmitNotReady = owner.AdmitNotReady,
                Pods = pods,
            };
        }

        private async Task<StackRun> DestroyAsync(TargetGroupBinding binding, BindingTargetGroup group, BindingDeployOptions options, CancellationToken ct)
        {
            var rules = await RulesAsync(ct).ConfigureAwait(false);
            var destroyed = await _record.Timed("deploy", () => owner._deployer.DestroyAsync(binding with { Metadata = _meta! }, group, _meta!.Annotations.GetValueOrDefault(BindingDeployer.LedgerAnnotation), WriteLedgerAsync, options, ct,
                new BindingNetworkInput(binding.Spec.TargetType ?? group.TargetType, [], owner._cluster.ClusterName, rules))).ConfigureAwait(false);
            _deploy = destroyed.Deploy;
            if (_deploy.Reconcile.Kind == ReconcileKind.Failed)
                return await CleanupFailedAsync(binding, _deploy.Reconcile.Reason!, ct).ConfigureAwait(false);
            if (!Apply)
                return Finish(_deploy.Reconcile);
            return await ReleaseAsync(ct).ConfigureAwait(false);
        }

        // Removes our finalizer (a deleting binding then goes).
        private async Task<StackRun> ReleaseAsync(CancellationToken ct)
        {
            if (!Apply)
                return Finish(ReconcileResult.Done);
            var failure = await _record.Timed("release", () => WriteAsync(BindingEventReasons.FailedCleanup, "Failed remove finalizer", async () =>
            {
                var (_, written) = await Source.ChangeFinalizerAsync(_meta!, Finalizer, add: false, ct).ConfigureAwait(false);
                if (written)
                    _record.FinalizersRemoved.Add(_key);
            }, ct)).ConfigureAwait(false);
            return Finish(failure is null ? ReconcileResult.Done : ReconcileResult.Failed(failure));
        }

        private async Task<StackRun> CleanupFailedAsync(TargetGroupBinding binding, string reason, CancellationToken ct)
        {
            if (!Apply)
                return Finish(ReconcileResult.Failed(reason));
            await EmitAsync(Warning, BindingEventReasons.FailedCleanup, reason, once: false, ct).ConfigureAwait(false);
            try
            {
                if (await Source.SetConditionAsync(_meta!, binding.Status, "Ready", "False", BindingEventReasons.FailedCleanup, reason, ct).ConfigureAwait(false))
                    _record.StatusesUpdated.Add(_key);
            }
            catch (Kubernetes.Api.KubernetesApiException ex)
            {
                return Finish(ReconcileResult.Failed($"{reason}; and the status could not be written: {ex.Message}"));
            }
            return Finish(ReconcileResult.Failed(reason));
        }

        // An invalid spec: said once per problem set; a deleting binding only loses our finalizer (what it named cannot be known).
        private async Task<StackRun> InvalidAsync(BindingObject read, CancellationToken ct)
        {
            _problems = read.Errors;
            var message = $"TargetGroupBinding {_key} is invalid: " + string.Join("; ", read.Errors.Select(static e => (e.Field is null ? string.Empty : e.Field + ": ") + e.Message));
            if (!Apply)
                return Finish(ReconcileResult.Failed(message));
            if (_meta!.IsDeleting)
            {
                await EmitAsync(Warning, BindingEventReasons.FailedCleanup, message + "; its targets were not deregistered", once: true, ct).ConfigureAwait(false);
                return await ReleaseAsync(ct).ConfigureAwait(false);
            }
            await EmitAsync(Warning, BindingEventReasons.FailedReconcile, message, once: true, ct).ConfigureAwait(false);
            // A retry reads the same spec: done until the binding changes.
            return Finish(ReconcileResult.Done);
        }

        private async Task<StackRun> FailAsync(string reason, string message, CancellationToken ct)
        {
            if (Apply)
                await EmitAsync(Warning, reason, message, once: false, ct).ConfigureAwait(false);
            return Finish(ReconcileResult.Failed(message));
        }

        /// <summary>
        /// The binding's rules ledger; with entries in it, the rule shapes every other live binding declares (one list
        /// of the bindings, only then).
        /// </summary>
        private async Task<BindingRulesInput> RulesAsync(CancellationToken ct)
        {
            var ledger = _meta!.Annotations.GetValueOrDefault(BindingDeployer.RulesLedgerAnnotation);
            IReadOnlySet<string> elsewhere = new HashSet<string>();
            if (!string.IsNullOrEmpty(ledger))
            {
                var others = (await Source.ListBindingsAsync(null, ct).ConfigureAwait(false))
                    .Where(o => o.Binding is not null && !o.Metadata.IsDeleting && $"{o.Metadata.Namespace}/{o.Metadata.Name}" != _key)
                    .Select(static o => o.Binding!);
                elsewhere = BindingDeployer.DeclaredShapes(others);
            }
            return new BindingRulesInput(ledger, WriteRulesLedgerAsync, elsewhere);
        }

        private async Task WriteRulesLedgerAsync(Func<string?, string?> compute, CancellationToken ct)
        {
            var (now, _) = await Source.SetAnnotationAsync(_meta!, BindingDeployer.RulesLedgerAnnotation, compute, ct).ConfigureAwait(false);
            if (now is not null)
                _meta = now;
        }

        private async Task WriteLedgerAsync(Func<string?, string?> compute, CancellationToken ct)
        {
            var (now, _) = await Source.SetAnnotationAsync(_meta!, BindingDeployer.LedgerAnnotation, compute, ct).ConfigureAwait(false);
            if (now is not null)
                _meta = now;
        }

        /// <summary>One write to the binding; a refusal of the API server becomes a Warning on it and the returned reason.</summary>
        private async Task<string?> WriteAsync(string reason, string failure, Func<Task> write, CancellationToken ct)
        {
            try
            {
                await write().ConfigureAwait(false);
                return null;
            }
            catch (Kubernetes.Api.KubernetesApiException ex)
            {
                var message = failure + " due to " + ex.Message;
                await EmitAsync(Warning, reason, message, once: false, ct).ConfigureAwait(false);
                return $"TargetGroupBinding {_key}: {message}";
            }
        }

        private async Task EmitAsync(string type, string reason, string message, bool once, CancellationToken ct)
        {
            var (written, failure) = await Source.RecordEventAsync(_meta!, type, reason, message, once, ct).ConfigureAwait(false);
            if (written || failure is not null)
                _record.Events.Add(new IngressEvent(_key, type, reason, message, failure?.Message));
        }

        public StackRun Finish(ReconcileResult result)
        {
            BindingLog.Finished(owner._logger, _key, request.Mode.ToString(), result.Kind.ToString(), result.Reason, _record.PhasesText);
            return _record.ToRun(stack, result, request.Mode) with { Deploy = _deploy, Problems = _problems };
        }
    }
}

internal static partial class BindingLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "TargetGroupBinding {Binding} {Mode}: {Result} {Reason} ({Phases})")]
    public static partial void Finished(ILogger logger, string binding, string mode, string result, string? reason, string phases);
}
