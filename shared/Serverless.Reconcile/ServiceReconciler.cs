using System.Diagnostics;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Deploy;
using Serverless.Ingress;
using Serverless.Ingress.Backend;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Gates;
using Serverless.Model;
using Serverless.Service;

namespace Serverless.Reconcile;

/// <summary>
/// The reconcile of one Service of type LoadBalancer (a Network Load Balancer stack), in upstream's order
/// (<c>service_controller.go</c>) and with the same result as an Ingress group's (<see cref="StackRun"/>):
/// <list type="number">
/// <item><b>load</b> the Service; a Service that is not ours and carries no finalizer of ours is left alone (no AWS read);</item>
/// <item><b>facts</b>: its EndpointSlices and the nodes (when it is ours), the AWS facts with its existing NLB;</item>
/// <item><b>build</b> the stack (pure);</item>
/// <item>active: <b>finalizer</b> <c>service.k8s.aws/resources</c> before anything is created, <b>deploy</b>,
/// <b>status</b> (<c>status.loadBalancer.ingress</c>: the lower-cased DNS name and every <c>spec.ports</c> entry), Event
/// <c>SuccessfullyReconciled</c> when this pass changed anything;</item>
/// <item>frozen (the build failed on an input): Warning <c>FailedBuildModel</c> naming the field and value, nothing changed;</item>
/// <item>leaving (not ours any more, or being deleted) with our finalizer: deploy the empty stack, empty the status,
/// remove the finalizer.</item>
/// </list>
/// Requeues and failures are values, as on the Ingress path: a requeue is quiet (the status is still written when
/// the Service shows no other address), a failed deploy is a <c>FailedDeployModel</c> Warning.
/// </summary>
public sealed class ServiceReconciler
{
    private const string Normal = "Normal";
    private const string Warning = "Warning";

    private readonly IServiceSource _source;
    private readonly ClusterSettings _cluster;
    private readonly IServiceFactsLoader _facts;
    private readonly IStackDeployer _deployer;
    private readonly Func<ServiceSnapshot, ServiceBuild> _build;
    private readonly string _loadBalancerClass;
    private readonly ILogger _logger;
    private readonly ITargetHealthReader? _targetHealth;
    private readonly TimeProvider _time;
    private readonly GateCadence _gates;

    /// <param name="source">The Service's objects and writes.</param>
    /// <param name="cluster">The cluster's settings.</param>
    /// <param name="facts">The AWS facts.</param>
    /// <param name="deployer">The deployer.</param>
    /// <param name="build">The Service model builder (pure).</param>
    /// <param name="logger">The log.</param>
    /// <param name="loadBalancerClass">Upstream's <c>--load-balancer-class</c>.</param>
    /// <param name="targetHealth">Reads target health for readiness gates (default: the deployer, when it can).</param>
    /// <param name="time">The clock of the readiness gates' cadence.</param>
    /// <param name="gates">The readiness gates' delays and bound.</param>
    public ServiceReconciler(
        IServiceSource source,
        ClusterSettings cluster,
        IServiceFactsLoader facts,
        IStackDeployer deployer,
        Func<ServiceSnapshot, ServiceBuild> build,
        ILogger? logger = null,
        string loadBalancerClass = ServiceSelection.DefaultLoadBalancerClass,
        ITargetHealthReader? targetHealth = null,
        TimeProvider? time = null,
        GateCadence? gates = null)
    {
        _targetHealth = targetHealth ?? deployer as ITargetHealthReader;
        _time = time ?? TimeProvider.System;
        _gates = gates ?? new GateCadence();
        _source = source ?? throw new ArgumentNullException(nameof(source));
        _cluster = cluster ?? throw new ArgumentNullException(nameof(cluster));
        _facts = facts ?? throw new ArgumentNullException(nameof(facts));
        _deployer = deployer ?? throw new ArgumentNullException(nameof(deployer));
        _build = build ?? throw new ArgumentNullException(nameof(build));
        _logger = logger ?? NullLogger.Instance;
        ArgumentException.ThrowIfNullOrEmpty(loadBalancerClass);
        _loadBalancerClass = loadBalancerClass;
    }

    /// <summary>Reconciles the Service stack <paramref name="stack"/>. Throws only on cancellation.</summary>
    public async Task<StackRun> ReconcileAsync(StackId stack, ReconcileRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(request);
        if (!stack.IsService)
            throw new ArgumentException($"{stack} is not a Service stack", nameof(stack));
        var run = new Run(this, stack, request);
        return await ReconcileSteps.GuardAsync($"Service {stack}", () => run.ExecuteAsync(cancellationToken), run.Finish).ConfigureAwait(false);
    }

    /// <summary>What the builder decided for the Service: its single outcome's state, or the stack's shape when it has none.</summary>
    public static IngressState StateOf(Stack stack)
    {
        ArgumentNullException.ThrowIfNull(stack);
        if (stack.Ingresses is [var only, ..])
            return only.State;
        if (stack.AllMembersFrozen)
            return IngressState.Frozen;
        return stack.LoadBalancer is null ? IngressState.Leaving : IngressState.Active;
    }

    private sealed class Run(ServiceReconciler owner, StackId stack, ReconcileRequest request)
    {
        private readonly RunRecord _record = new();
        private readonly string _key = stack.ToString();
        private V1Service? _service;
        private Stack? _stack;
        private DeployResult? _deploy;
        private IReadOnlyList<V1EndpointSlice> _slices = [];
        private IReadOnlyList<V1Pod> _pods = [];

        private IServiceSource Source => owner._source;

        public async Task<StackRun> ExecuteAsync(CancellationToken ct)
        {
            // 1. Load.
            _service = await _record.Timed("load", () => Source.GetServiceAsync(stack, ct)).ConfigureAwait(false);
            if (_service is null)
            {
                // Gone: with our finalizer it could not be; without it nothing of it is ours to clean up from here
                // (an NLB left behind is the replay's garbage collection's).
                ServiceLog.Skipped(owner._logger, _key, "the Service does not exist");
                return Finish(ReconcileResult.Done);
            }
            var ours = ServiceSelection.IsOurs(_service, owner._loadBalancerClass);
            if (!ours && !ServiceSelection.HasFinalizer(_service))
            {
                ServiceLog.Skipped(owner._logger, _key, "the Service is not ours and carries no finalizer of ours");
                return Finish(ReconcileResult.Done);
            }

            // 2. Facts: targets only for a Service that is ours (a leaving one needs none), then AWS.
            IReadOnlyList<V1EndpointSlice> slices = [];
            IReadOnlyList<V1Node> nodes = [];
            if (ours)
                (slices, nodes) = await _record.Timed("targets", () => Source.LoadTargetsAsync(_service, ct)).ConfigureAwait(false);
            // Pods only behind not-ready endpoints (a readiness gate may hold them back): none read when all are ready.
            if (TargetBuilder.NotReadyPods(slices).Count > 0)
                _pods = await _record.Timed("pods", () => Source.LoadGatedPodsAsync(slices, ct)).ConfigureAwait(false);
            _slices = slices;
            KnownAwsReads? known = null;
            var aws = await _record.Timed("facts", () => owner._facts.LoadServiceAsync(owner._cluster, stack, _service, nodes, ct, fresh: request.FullDriftCheck, read: r => known = r))
                .ConfigureAwait(false);

            // 3. Build.
            ServiceBuild build;
            var at = Stopwatch.GetTimestamp();
            try
            {
                build = owner._build(new ServiceSnapshot
                {
                    Stack = stack,
                    Cluster = owner._cluster,
                    LoadBalancerClass = owner._loadBalancerClass,
                    Aws = aws.Aws,
                    ExistingLoadBalancerSecurityGroups = aws.ExistingLoadBalancerSecurityGroups,
                    SubnetIpv6Cidrs = aws.SubnetIpv6Cidrs,
                    Service = _service,
                    EndpointSlices = slices,
                    Nodes = nodes,
                    Pods = _pods,
                });
            }
            catch (Exception ex) when (ex is InvalidInputException or InvalidOperationException or ArgumentException)
            {
                _record.Phase("build", Stopwatch.GetElapsedTime(at));
                return Finish(ReconcileResult.Failed($"Service {stack}: failed build model due to {ex.Message}"));
            }
            _record.Phase("build", Stopwatch.GetElapsedTime(at));
            var names = AwsFactsLoader.ServiceLoadBalancerNames(owner._cluster, stack, _service);
            _stack = build.Stack with
            {
                // The deployer finds the NLB only by these names (a scheme change, or a Service leaving whose stack has
                // no load balancer spec any more, still finds the old one).
                KnownLoadBalancerNames = [.. names.Union(build.Stack.KnownLoadBalancerNames, StringComparer.Ordinal).Union(build.Stack.LoadBalancer is { } lb ? [lb.Name] : [], StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            };
            var state = StateOf(_stack);
            var options = new DeployOptions
            {
                Mode = request.Mode,
                FullDriftCheck = request.FullDriftCheck,
                ClusterName = owner._cluster.ClusterName,
                VpcId = owner._cluster.VpcId,
                Known = known,
            };

            if (request.Mode != DeployMode.Apply)
            {
                if (state == IngressState.Frozen)
                    return Finish(ReconcileResult.Done);
                _deploy = await _record.Timed("deploy", () => owner._deployer.DeployAsync(_stack, options, ct)).ConfigureAwait(false);
                return Finish(_deploy.Reconcile);
            }

            await _record.Timed("warnings", () => WarningsAsync(build.Warnings, ct)).ConfigureAwait(false);
            return state switch
            {
                IngressState.Frozen => await FrozenAsync(ct).ConfigureAwait(false),
                IngressState.Leaving => await LeaveAsync(options, ct).ConfigureAwait(false),
                _ => await ActivateAsync(options, ct).ConfigureAwait(false),
            };
        }

        // Frozen: nothing is deployed or written but the Warning; a retry would build the same, so the key is done
        // (the Service's next change brings a new one).
        private async Task<StackRun> FrozenAsync(CancellationToken ct)
        {
            var errors = _stack!.Ingresses.SelectMany(static o => o.Errors).Select(static e => e.ToString()).ToList();
            var message = "Failed build model due to " + (errors.Count > 0 ? string.Join("; ", errors) : "an invalid Service");
            await EmitAsync(Warning, IngressEventReasons.FailedBuildModel, message, ct).ConfigureAwait(false);
            return Finish(ReconcileResult.Done);
        }

        private async Task<StackRun> ActivateAsync(DeployOptions options, CancellationToken ct)
        {
            // Finalizer first: no AWS resource may exist for a Service that could vanish without us.
            var failed = await _record.Timed("finalizer", () => WriteAsync(IngressEventReasons.FailedAddFinalizer, "Failed add finalizer", async service =>
            {
                var (now, written) = await Source.AddFinalizerAsync(service, ServiceSelection.Finalizer, ct).ConfigureAwait(false);
                if (now is not null)
                    _service = now;
                if (written)
                    _record.FinalizersAdded.Add(_key);
            }, ct)).ConfigureAwait(false);
            if (failed is not null)
                return Finish(ReconcileResult.Failed(failed));

            _deploy = await _record.Timed("deploy", () => owner._deployer.DeployAsync(_stack!, options, ct)).ConfigureAwait(false);
            var deployed = _deploy.Reconcile;
            if (deployed.Kind == ReconcileKind.Failed)
            {
                await EmitAsync(Warning, IngressEventReasons.FailedDeployModel, "Failed deploy model due to " + deployed.Reason, ct).ConfigureAwait(false);
                return Finish(deployed);
            }

            // Status, also on a requeue unless the Service shows another address (it is served there until this deploy is done).
            string? statusFailure = null;
            if (_deploy.DnsName is { Length: > 0 } dns)
            {
                var hostname = dns.ToLowerInvariant();
                var elsewhere = (_service!.Status?.LoadBalancer?.Ingress ?? []).Any(i => !string.Equals(i.Hostname, hostname, StringComparison.OrdinalIgnoreCase));
                if (deployed.IsDone || !elsewhere)
                {
                    statusFailure = await _record.Timed("status", () => WriteAsync(IngressEventReasons.FailedUpdateStatus, "Failed update status", async service =>
                    {
                        if (await Source.UpdateStatusAsync(service, hostname, ct).ConfigureAwait(false))
                            _record.StatusesUpdated.Add(_key);
                    }, ct)).ConfigureAwait(false);
                }
            }

            foreach (var warning in _deploy.Warnings)
                await EmitAsync(Warning, IngressEventReasons.DeployWarning, warning, ct).ConfigureAwait(false);
            var changed = _deploy.Changes.Any(static c => c.IsMutation) || _record.FinalizersAdded.Count > 0 || _record.StatusesUpdated.Count > 0;
            if (deployed.IsDone && statusFailure is null && changed)
                await EmitAsync(Normal, IngressEventReasons.SuccessfullyReconciled, "Successfully reconciled", ct).ConfigureAwait(false);
            var result = statusFailure is null ? deployed : ReconcileResult.Failed(statusFailure);
            return Finish(ReconcileResult.Worse(result, await _record.Timed("gates", () => GatesAsync(ct)).ConfigureAwait(false)));
        }

        // Readiness gates of the Pods behind the Service's ip targets; Done when none is gated (no call made).
        private async Task<ReconcileResult> GatesAsync(CancellationToken ct)
        {
            if (_pods.Count == 0 || owner._targetHealth is null)
                return ReconcileResult.Done;
            try
            {
                var gates = await StackReadinessGates.RunAsync(_stack!, _deploy!, _slices, _pods, owner._targetHealth, Source.PodConditions,
                    owner._time.GetUtcNow(), owner._gates, owner._logger, ct).ConfigureAwait(false);
                foreach (var (_, message) in gates.OverBound)
                {
                    var (written, failure) = await Source.RecordWarningOnceAsync(_service!, IngressEventReasons.ReadinessGatePending, message, ct).ConfigureAwait(false);
                    if (written || failure is not null)
                        _record.Events.Add(new IngressEvent(_key, Warning, IngressEventReasons.ReadinessGatePending, message, failure?.Message));
                }
                return gates.Result;
            }
            catch (Exception ex) when (ex is KubernetesApiException or Amazon.Runtime.AmazonServiceException)
            {
                var message = "Failed readiness gates due to " + ex.Message;
                await EmitAsync(Warning, IngressEventReasons.FailedReadinessGate, message, ct).ConfigureAwait(false);
                return ReconcileResult.Failed($"Service {_key}: {message}");
            }
        }

        private async Task<StackRun> LeaveAsync(DeployOptions options, CancellationToken ct)
        {
            _deploy = await _record.Timed("deploy", () => owner._deployer.DeployAsync(_stack!, options, ct)).ConfigureAwait(false);
            var deployed = _deploy.Reconcile;
            if (deployed.Kind == ReconcileKind.Failed)
            {
                await EmitAsync(Warning, IngressEventReasons.FailedDeployModel, "Failed deploy model due to " + deployed.Reason, ct).ConfigureAwait(false);
                return Finish(deployed);
            }
            if (!deployed.IsDone)
                return Finish(deployed); // the resources are not gone yet: the finalizer stays until they are

            var statusFailure = await _record.Timed("status", () => WriteAsync(IngressEventReasons.FailedCleanupStatus, "Failed cleanup status", async service =>
            {
                if (await Source.ClearStatusAsync(service, ct).ConfigureAwait(false))
                    _record.StatusesUpdated.Add(_key);
            }, ct)).ConfigureAwait(false);
            if (statusFailure is not null)
                return Finish(ReconcileResult.Failed(statusFailure));
            var releaseFailure = await _record.Timed("release", () => WriteAsync(IngressEventReasons.FailedRemoveFinalizer, "Failed remove finalizer", async service =>
            {
                var (_, written) = await Source.RemoveFinalizerAsync(service, ServiceSelection.Finalizer, ct).ConfigureAwait(false);
                if (written)
                    _record.FinalizersRemoved.Add(_key);
            }, ct)).ConfigureAwait(false);
            return Finish(releaseFailure is null ? deployed : ReconcileResult.Failed(releaseFailure));
        }

        private async Task<string?> WarningsAsync(IReadOnlyList<string> warnings, CancellationToken ct)
        {
            // Each once while its Event lives, as the Ingress path's build warnings.
            foreach (var warning in warnings)
            {
                var (written, failure) = await Source.RecordWarningOnceAsync(_service!, IngressEventReasons.BuildWarning, warning, ct).ConfigureAwait(false);
                if (written || failure is not null)
                    _record.Events.Add(new IngressEvent(_key, Warning, IngressEventReasons.BuildWarning, warning, failure?.Message));
            }
            return null;
        }

        /// <summary>One write to the Service; a refusal of the API server becomes a Warning on it and the returned reason.</summary>
        private async Task<string?> WriteAsync(string reason, string failure, Func<V1Service, Task> write, CancellationToken ct)
        {
            try
            {
                await write(_service!).ConfigureAwait(false);
                return null;
            }
            catch (KubernetesApiException ex)
            {
                var message = failure + " due to " + ex.Message;
                await EmitAsync(Warning, reason, message, ct).ConfigureAwait(false);
                return $"Service {_key}: {message}";
            }
        }

        private async Task EmitAsync(string type, string reason, string message, CancellationToken ct)
        {
            var failure = await Source.RecordEventAsync(_service!, type, reason, message, ct).ConfigureAwait(false);
            _record.Events.Add(new IngressEvent(_key, type, reason, message, failure?.Message));
        }

        public StackRun Finish(ReconcileResult result)
        {
            ServiceLog.Finished(owner._logger, _key, request.Mode.ToString(), request.FullDriftCheck, result.Kind.ToString(), result.Reason, _record.PhasesText);
            return _record.ToRun(stack, result, request.Mode) with { Desired = _stack, Deploy = _deploy };
        }
    }
}

/// <summary>Structured logs of the Service reconcile (source-generated, AOT-safe).</summary>
internal static partial class ServiceLog
{
    [LoggerMessage(EventId = 111, EventName = "ServiceSkipped", Level = LogLevel.Debug, Message = "reconcile Service {Stack}: nothing to do: {Reason}")]
    public static partial void Skipped(ILogger logger, string stack, string reason);

    [LoggerMessage(EventId = 112, EventName = "ServiceReconciled", Level = LogLevel.Information, Message = "reconcile Service {Stack} ({Mode}, full drift check {FullDriftCheck}): {Result} {Reason}; phases {Phases}")]
    public static partial void Finished(ILogger logger, string stack, string mode, bool fullDriftCheck, string result, string? reason, string phases);
}
