using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using k8s.Models;
using Serverless.Aws.Acm;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Wafv2;
using Serverless.Bindings;
using Serverless.Deploy;
using Serverless.Ingress;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Auth;
using Serverless.Kubernetes.Bindings;
using Serverless.Kubernetes.Live;
using Serverless.Kubernetes.Manifests;
using Serverless.Local;
using Serverless.Model;
using Serverless.Reconcile;

namespace Serverless.Cli;

/// <summary>Exit codes of the runner.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int InvalidInput = 1;
    public const int Failure = 2;

    /// <summary>Cancelled (Ctrl-C): 128 + SIGINT, as shells report it.</summary>
    public const int Cancelled = 130;
}

/// <summary>
/// Runs plan / apply / destroy for manifests: loads them, prepares the AWS target (embedded moto seeded with a
/// sandbox, an existing endpoint, or a real account), reconciles every group they contain through the same
/// <see cref="IngressGroupReconciler"/> the Lambda functions use, reads back the resulting resources and reports.
/// </summary>
internal sealed class Runner(CliOptions options, TextWriter output, TextWriter errors)
{
    private const string CertificateAnnotation = "alb.ingress.kubernetes.io/certificate-arn";
    private const string ServiceCertificateAnnotation = "service.beta.kubernetes.io/aws-load-balancer-ssl-cert";

    /// <summary>A fixed deletion time for destroy: the builder is pure and only checks presence.</summary>
    private static readonly DateTime DestroyTime = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        if (options.Kubeconfig is not null)
            return await RunLiveAsync(cancellationToken).ConfigureAwait(false);

        var set = ManifestLoader.Load(options.Files);
        var problems = new JsonArray();
        foreach (var warning in set.Warnings)
        {
            errors.WriteLine("warning: " + warning);
            problems.Add((JsonNode)new JsonObject { ["severity"] = "warning", ["message"] = warning });
        }
        if (!set.IsValid)
        {
            foreach (var error in set.Errors)
            {
                errors.WriteLine("error: " + error);
                problems.Add(ProblemJson(new Problem(Severity.Error, error)));
            }
            errors.WriteLine($"{set.Errors.Count} error(s) in the manifests; nothing was reconciled");
            if (options.Json)
            {
                output.WriteLine(StackJson.Canonical(new JsonObject
                {
                    ["version"] = 1,
                    ["command"] = options.Command.ToString().ToLowerInvariant(),
                    ["problems"] = problems,
                    ["exitCode"] = ExitCodes.InvalidInput,
                }));
            }
            return ExitCodes.InvalidInput;
        }

        EmbeddedAws? embedded = null;
        try
        {
            string? endpoint = options.AwsEndpoint;
            if (options.Target == AwsTarget.Embedded)
            {
                errors.WriteLine("starting the embedded AWS (moto_server)…");
                embedded = EmbeddedAws.Start();
                endpoint = embedded.Endpoint;
            }
            var recorder = new AwsCallRecorder();
            var clientOptions = (endpoint is not null ? AwsClientOptions.ForEmulator(endpoint, options.Region) : new AwsClientOptions { Region = options.Region })
                with { CallRecorder = recorder };
            var report = new JsonObject
            {
                ["version"] = 1,
                ["command"] = options.Command.ToString().ToLowerInvariant(),
                ["aws"] = new JsonObject
                {
                    ["target"] = options.Target.ToString().ToLowerInvariant(),
                    ["endpoint"] = endpoint,
                    ["region"] = options.Region,
                    ["clusterName"] = options.ClusterName,
                },
            };
            Text($"AWS: {Describe(options.Target, endpoint)}, region {options.Region}, cluster {options.ClusterName}");
            if (options.Target == AwsTarget.Embedded && options.Command == CliCommand.Destroy)
                Text("The embedded AWS starts empty and stops at exit: nothing persists anyway, so this destroy has nothing to delete. To destroy load balancers that persist, give --aws-endpoint or --aws.");

            var vpcId = options.VpcId;
            if (options.Seeds)
                vpcId = await SeedAsync(set, clientOptions, endpoint!, report, cancellationToken).ConfigureAwait(false);
            ((JsonObject)report["aws"]!)["vpcId"] = vpcId;

            using var ec2 = Ec2Gateway.Create(clientOptions);
            using var elb = new ElasticLoadBalancingV2Client(clientOptions);
            using var waf = new Wafv2Client(clientOptions);
            using var acm = new AcmClient(clientOptions);
            var cluster = new ClusterSettings { ClusterName = options.ClusterName, VpcId = vpcId! };
            if (options.Seeds)
                await SeedBindingTargetGroupsAsync(set, elb, vpcId!, report, cancellationToken).ConfigureAwait(false);
            await AdoptLeftServicesAsync(set, cluster, elb, ec2, cancellationToken).ConfigureAwait(false);
            var groups = GroupsOf(set, cluster);
            groups.AddRange(ServiceStacksOf(set.Services));
            // Bindings register into target groups of their own: applied after the load balancers, destroyed before.
            var bindingStacks = BindingStacksOf(set.TargetGroupBindings.Select(static b => b.Metadata)).ToList();
            if (options.Command == CliCommand.Destroy)
                groups.InsertRange(0, bindingStacks);
            else
                groups.AddRange(bindingStacks);
            var review = ManifestReview.Review(set, options.Files, cluster);
            foreach (var problem in review)
            {
                errors.WriteLine(problem.ToString());
                problems.Add(ProblemJson(problem));
            }
            if (options.Command == CliCommand.Destroy)
                MarkDeleted(set, cluster);
            if (groups.Count == 0)
            {
                Text(set.Ingresses.Count == 0 && !set.Services.Any(static s => s.Spec?.Type == "LoadBalancer")
                    ? "Nothing to reconcile: the manifests hold no Ingress, no Service of type LoadBalancer and no TargetGroupBinding."
                    : "Nothing to reconcile: no Ingress of the manifests is in a group of this controller and no Service is ours (the errors, warnings and notes above say why).");
            }
            var reconciler = Reconcilers(new ManifestIngressGroupSource(set, cluster), new ManifestServiceSource(set), new ManifestBindingSource(set), cluster, ec2, elb, acm, waf, recorder);

            var (exit, results) = await ReconcileAllAsync(reconciler, groups, recorder, elb, cancellationToken).ConfigureAwait(false);
            if (review.Any(static p => p.Severity == Severity.Error))
                exit = Math.Max(exit, ExitCodes.InvalidInput);
            if (options.Command != CliCommand.Plan && options.Target == AwsTarget.Embedded && exit != ExitCodes.Failure)
            {
                // The embedded AWS is ours alone: once every group is applied, a second reconcile of every group
                // must find nothing to do (groups share the backend and node security groups, so this also shows
                // that one group's apply does not undo another's).
                var totalChanges = 0L;
                var totalMutating = 0L;
                var totalCalls = 0L;
                foreach (var group in groups)
                {
                    var again = await reconciler(group, ReconcileRequest.DriftCheck, cancellationToken).ConfigureAwait(false);
                    var mutations = again.Deploy?.Changes.Where(c => c.IsMutation).ToList() ?? [];
                    totalChanges += mutations.Count;
                    totalMutating += again.Deploy?.MutatingCalls ?? 0;
                    totalCalls += again.Deploy?.TotalCalls ?? 0;
                    if (mutations.Count > 0)
                        Text($"Second {options.Command.ToString().ToLowerInvariant()} of {group} changed:\n{PlanRenderer.RenderChanges(mutations).TrimEnd('\n')}");
                    if (again.Result.Kind == ReconcileKind.Failed)
                    {
                        Text($"Second {options.Command.ToString().ToLowerInvariant()} of {group} failed: {again.Result.Reason}");
                        exit = ExitCodes.Failure;
                    }
                }
                report["secondRun"] = new JsonObject { ["changes"] = totalChanges, ["mutatingCalls"] = totalMutating, ["awsCalls"] = totalCalls };
                var verb = options.Command == CliCommand.Destroy ? "destroy" : "apply";
                Text(totalChanges == 0 && totalMutating == 0
                    ? $"\nSecond {verb} of every group: nothing to change ({totalCalls} AWS calls, 0 mutating)."
                    : $"\nSecond {verb} of every group: {totalChanges} change(s), {totalMutating} mutating call(s): the {verb} did not converge.");
                if (totalChanges != 0 || totalMutating != 0)
                    exit = ExitCodes.Failure;
            }
            if (options.Command == CliCommand.Destroy && exit != ExitCodes.Failure)
            {
                // No stack deletes the cluster's shared backend SG; once no load balancer of the cluster is left, do.
                // Invalid input does not stop this: the collector keeps the group while any load balancer of the
                // cluster is left (an invalid Ingress's, say).
                var collected = await new BackendSecurityGroupCollector(ec2, new ClusterInventory(elb, ec2))
                    .CollectAsync(cluster.ClusterName, cluster.VpcId, cancellationToken).ConfigureAwait(false);
                report["backendSecurityGroup"] = collected.ToString().ToLowerInvariant();
                Text("Shared backend security group: " + collected switch
                {
                    BackendCollection.Absent => "none to delete.",
                    BackendCollection.Deleted => "deleted.",
                    BackendCollection.InUse => "kept: a load balancer of the cluster still uses it.",
                    BackendCollection.ReferencedByOthers => "kept, because security group rules this controller did not create reference it (only ours were revoked).",
                    _ => "AWS refused to delete it for now (a network interface still holds it); run destroy again later.",
                });
                if (collected == BackendCollection.RetryLater)
                    exit = ExitCodes.Failure;
            }
            cancellationToken.ThrowIfCancellationRequested();
            report["groups"] = results;
            report["problems"] = problems;
            report["awsCalls"] = Calls(recorder.Calls);
            report["exitCode"] = exit;
            Text($"Total AWS calls: {recorder.TotalCalls}. Exit code {exit}.");
            if (options.Target == AwsTarget.Embedded && options.Command == CliCommand.Apply)
                Text("The embedded AWS stops at exit: nothing applied here persists.");
            if (options.Json)
                output.WriteLine(StackJson.Canonical(report));
            return exit;
        }
        finally
        {
            embedded?.Dispose();
        }
    }

    /// <summary>
    /// <c>--kubeconfig</c>: every group of the live cluster through <see cref="IngressGroupReconciler"/> — a plan writes
    /// nothing anywhere; an apply writes finalizers, status and events to the cluster.
    /// </summary>
    private async Task<int> RunLiveAsync(CancellationToken cancellationToken)
    {
        var recorder = new AwsCallRecorder();
        var clientOptions = (options.AwsEndpoint is { } endpoint ? AwsClientOptions.ForEmulator(endpoint, options.Region) : new AwsClientOptions { Region = options.Region })
            with { CallRecorder = recorder };
        KubernetesApi api;
        try
        {
            api = KubernetesConnection.FromKubeconfig(options.Kubeconfig, options.Context);
        }
        catch (KubeconfigException e)
        {
            errors.WriteLine("error: " + e.Message);
            return ExitCodes.InvalidInput;
        }
        using var _ = api;
        using var ec2 = Ec2Gateway.Create(clientOptions);
        using var elb = new ElasticLoadBalancingV2Client(clientOptions);
        using var waf = new Wafv2Client(clientOptions);
        using var acm = new AcmClient(clientOptions);
        var cluster = new ClusterSettings { ClusterName = options.ClusterName, VpcId = options.VpcId! };
        var reconciler = Reconcilers(new LiveIngressGroupSource(api, cluster), new LiveServiceSource(api), new LiveBindingSource(api), cluster, ec2, elb, acm, waf, recorder);
        GroupIndex index;
        try
        {
            index = await GroupIndex.LoadAsync(api, cluster, null, cancellationToken).ConfigureAwait(false);
        }
        catch (KubernetesApiException e)
        {
            errors.WriteLine($"error: the cluster in {options.Kubeconfig}: {e.Message}");
            return ExitCodes.Failure;
        }
        IReadOnlyList<StackId> bindings;
        try
        {
            bindings = [.. BindingStacksOf((await api.ListTargetGroupBindingsJsonAsync(null, cancellationToken).ConfigureAwait(false))
                .Select(TargetGroupBindingParser.ReadMetadataJson).OfType<BindingMetadata>())];
        }
        catch (KubernetesApiException e)
        {
            errors.WriteLine($"error: the cluster in {options.Kubeconfig}: {e.Message}");
            return ExitCodes.Failure;
        }
        List<StackId> stacks = [.. index.Groups, .. ServiceStacksOf(index.Services), .. bindings];
        Text($"Cluster from {options.Kubeconfig}: {index.Groups.Count} group(s), {stacks.Count - index.Groups.Count - bindings.Count} Service(s) of ours, {bindings.Count} TargetGroupBinding(s); AWS {Describe(options.Target, options.AwsEndpoint)}, region {options.Region}");
        var (exit, results) = await ReconcileAllAsync(reconciler, stacks, recorder, elb, cancellationToken).ConfigureAwait(false);
        var report = new JsonObject
        {
            ["version"] = 1,
            ["command"] = options.Command.ToString().ToLowerInvariant(),
            ["aws"] = new JsonObject { ["target"] = options.Target.ToString().ToLowerInvariant(), ["endpoint"] = options.AwsEndpoint, ["region"] = options.Region, ["clusterName"] = options.ClusterName, ["vpcId"] = options.VpcId },
            ["groups"] = results,
            ["awsCalls"] = Calls(recorder.Calls),
            ["exitCode"] = exit,
        };
        cancellationToken.ThrowIfCancellationRequested();
        Text($"Total AWS calls: {recorder.TotalCalls}. Exit code {exit}.");
        if (options.Json)
            output.WriteLine(StackJson.Canonical(report));
        return exit;
    }

    /// <summary>
    /// Reconciles every group through the same <see cref="IngressGroupReconciler"/> the functions use (plan: nothing is
    /// written anywhere; apply: AWS, and finalizers, status and events on the source), reports each, and returns the
    /// worst exit code: one group's failure never stops the others.
    /// </summary>
    private async Task<(int Exit, JsonArray Results)> ReconcileAllAsync(
        StackReconcile reconciler, IReadOnlyList<StackId> groups, AwsCallRecorder recorder, ElasticLoadBalancingV2Client elb, CancellationToken cancellationToken)
    {
        var exit = ExitCodes.Ok;
        var results = new JsonArray();
        var request = new ReconcileRequest(options.Command == CliCommand.Plan ? DeployMode.Plan : DeployMode.Apply, FullDriftCheck: true);
        var verb = options.Command switch { CliCommand.Plan => "planning", CliCommand.Destroy => "destroying", _ => "applying" };
        foreach (var group in groups)
        {
            cancellationToken.ThrowIfCancellationRequested();
            errors.WriteLine($"{StackLabel(group)}: {verb}…");
            var before = recorder.TotalCalls;
            var run = await reconciler(group, request, cancellationToken).ConfigureAwait(false);
            if (group.IsBinding)
            {
                var (bindingJson, bindingExit) = ReportBinding(run);
                bindingJson["awsCallsIncludingFacts"] = recorder.TotalCalls - before;
                exit = Math.Max(exit, bindingExit);
                results.Add((JsonNode)bindingJson);
                continue;
            }
            if (run.Desired is null || run.Deploy is null)
            {
                Text($"\n== {StackLabel(group)}: {run.Result}");
                var failed = new JsonObject { ["group"] = group.ToString(), ["result"] = run.Result.ToString() };
                if (group.IsService)
                    failed["kind"] = "service";
                results.Add((JsonNode)failed);
                // A frozen Service (nothing deployed: its errors say why) is invalid input; one with nothing to do is fine.
                if (run.Result.Kind == ReconcileKind.Failed)
                    exit = ExitCodes.Failure;
                if (run.Errors.Any())
                {
                    exit = Math.Max(exit, ExitCodes.InvalidInput);
                    failed["errors"] = new JsonArray([.. run.Errors.Select(static e => (JsonNode?)new JsonObject { ["object"] = e.Object, ["field"] = e.Field, ["value"] = e.Value, ["message"] = e.Message })]);
                    foreach (var error in run.Errors)
                        errors.WriteLine("error: " + error);
                }
                continue;
            }
            var (groupJson, readBackFailed) = await ReportGroupAsync(run, elb, cancellationToken).ConfigureAwait(false);
            if (readBackFailed)
                exit = ExitCodes.Failure;
            groupJson["awsCallsIncludingFacts"] = recorder.TotalCalls - before;
            groupJson["result"] = run.Result.ToString();
            if (run.Warnings.Count > 0)
            {
                groupJson["warnings"] = new JsonArray([.. run.Warnings.Select(static w => (JsonNode?)new JsonObject { ["ingress"] = w.Ingress, ["message"] = w.Message })]);
                foreach (var warning in run.Warnings)
                    errors.WriteLine("warning: " + warning);
            }
            if (options.Kubeconfig is not null && run.Mode == DeployMode.Apply)
            {
                groupJson["kubernetes"] = new JsonObject
                {
                    ["finalizersAdded"] = new JsonArray([.. run.FinalizersAdded.Select(s => (JsonNode?)JsonValue.Create(s))]),
                    ["statusesUpdated"] = new JsonArray([.. run.StatusesUpdated.Select(s => (JsonNode?)JsonValue.Create(s))]),
                    ["finalizersRemoved"] = new JsonArray([.. run.FinalizersRemoved.Select(s => (JsonNode?)JsonValue.Create(s))]),
                    ["events"] = new JsonArray([.. run.Events.Select(e => (JsonNode?)new JsonObject { ["ingress"] = e.Ingress, ["type"] = e.Type, ["reason"] = e.Reason, ["message"] = e.Message })]),
                };
                foreach (var e in run.Events)
                    Text($"event {e.Type} {e.Reason} on {e.Ingress}: {e.Message}");
            }
            if (run.Errors.Any())
                exit = Math.Max(exit, ExitCodes.InvalidInput);
            if (run.Result.Kind == ReconcileKind.Failed)
                exit = ExitCodes.Failure;
            results.Add((JsonNode)groupJson);
        }
        return (exit, results);
    }

    /// <summary>One stack's reconcile: an Ingress group or a Service.</summary>
    private delegate Task<StackRun> StackReconcile(StackId stack, ReconcileRequest request, CancellationToken cancellationToken);

    /// <summary>The Ingress group and Service reconcilers the functions use, over one source each, sharing facts and deployer.</summary>
    private StackReconcile Reconcilers(
        IIngressGroupSource ingresses, IServiceSource services, IBindingSource bindingSource, ClusterSettings cluster,
        Ec2Gateway ec2, ElasticLoadBalancingV2Client elb, AcmClient acm, Wafv2Client waf, AwsCallRecorder recorder)
    {
        var facts = new AwsFactsLoader(ec2, elb, acm, waf);
        var deployer = new StackDeployer(elb, ec2, waf, recorder, CallLog.For(options, errors));
        var groups = new IngressGroupReconciler(ingresses, cluster, facts, deployer, CallLog.For(options, errors));
        var nlbs = new ServiceReconciler(services, cluster, facts, deployer, Serverless.Service.ServiceModelBuilder.Build, CallLog.For(options, errors));
        var bindings = new BindingReconciler(bindingSource, cluster, new BindingDeployer(elb, ec2, recorder, CallLog.For(options, errors)), CallLog.For(options, errors));
        return async (stack, request, ct) => stack.Kind switch
        {
            StackKind.Service => await nlbs.ReconcileAsync(stack, request, ct).ConfigureAwait(false),
            StackKind.TargetGroupBinding => (await bindings.ReconcileAsync(stack.Namespace!, stack.Name!, request, ct).ConfigureAwait(false)).Run,
            _ => await groups.ReconcileAsync(stack, request, ct).ConfigureAwait(false),
        };
    }

    /// <summary>The TargetGroupBindings to reconcile, sorted.</summary>
    internal static IEnumerable<StackId> BindingStacksOf(IEnumerable<BindingMetadata> bindings) =>
        bindings.Select(static b => StackId.Binding(b.Namespace, b.Name)).OrderBy(static s => s.ToString(), StringComparer.Ordinal);

    /// <summary>The Service stacks to reconcile: every Service that is ours or carries our finalizer, sorted.</summary>
    internal static IEnumerable<StackId> ServiceStacksOf(IEnumerable<V1Service> services) =>
        services.Where(static s => Serverless.Service.ServiceSelection.Concerns(s))
            .Select(static s => StackId.Service(s.Metadata.NamespaceProperty, s.Metadata.Name))
            .OrderBy(static s => s.ToString(), StringComparer.Ordinal);

    /// <summary>
    /// Manifests carry no finalizer: a Service of these manifests that is not ours (any more) but has a Service stack on
    /// AWS tagged for this cluster (an NLB an earlier apply made, before it turned ClusterIP, say) gets our finalizer in
    /// memory, so its reconcile deletes that stack as a cluster would. Read-only: one cluster-wide scan, only when such
    /// a Service exists.
    /// </summary>
    private static async Task AdoptLeftServicesAsync(ManifestSet set, ClusterSettings cluster, ElasticLoadBalancingV2Client elb, Ec2Gateway ec2, CancellationToken ct)
    {
        var others = set.Services.Where(static s => !Serverless.Service.ServiceSelection.Concerns(s)).ToList();
        if (others.Count == 0)
            return;
        var stacks = await new ClusterInventory(elb, ec2).FindStacksAsync(cluster.ClusterName, cluster.VpcId, ct).ConfigureAwait(false);
        var onAws = stacks.Where(static s => s.Kind == StackKind.Service).Select(static s => s.Stack).ToHashSet(StringComparer.Ordinal);
        foreach (var service in others.Where(s => onAws.Contains($"{s.Metadata.NamespaceProperty}/{s.Metadata.Name}")))
            service.Metadata.Finalizers = [.. service.Metadata.Finalizers ?? [], Serverless.Service.ServiceSelection.Finalizer];
    }

    private static string StackLabel(StackId stack) => stack.Kind switch
    {
        StackKind.Service => $"Service {stack}",
        StackKind.TargetGroupBinding => $"TargetGroupBinding {stack}",
        _ => $"group {stack}",
    };

    /// <summary>Every group the manifests' Ingresses belong to or still hold by finalizer, sorted.</summary>
    internal static List<StackId> GroupsOf(ManifestSet set, ClusterSettings cluster)
    {
        var groups = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var ingress in set.Ingresses)
        {
            foreach (var group in GroupKeys.ToReconcile(ingress, set.IngressClasses, set.IngressClassParams, set.Namespaces, cluster))
                groups.Add(group.ToString());
        }
        return [.. groups.Select(StackId.Parse)];
    }

    /// <summary>Destroy: every Ingress is being deleted and holds its group's finalizer, so each group builds empty.</summary>
    private static void MarkDeleted(ManifestSet set, ClusterSettings cluster)
    {
        foreach (var ingress in set.Ingresses)
        {
            var group = GroupKeys.Of(ingress, set.IngressClasses, set.IngressClassParams, set.Namespaces, cluster);
            var finalizers = ingress.Metadata.Finalizers ?? [];
            if (group is not null && !finalizers.Contains(GroupKeys.Finalizer(group)))
                finalizers = [.. finalizers, GroupKeys.Finalizer(group)];
            ingress.Metadata.Finalizers = finalizers;
            ingress.Metadata.DeletionTimestamp = DestroyTime;
        }
        // Every binding is being deleted and holds its finalizer, so each deregisters its targets.
        set.MarkTargetGroupBindingsDeleted(DestroyTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), BindingReconciler.Finalizer);
        // Every Service of ours is being deleted and holds our finalizer, so each builds empty.
        foreach (var service in set.Services.Where(static s => Serverless.Service.ServiceSelection.IsOurs(s)))
        {
            var finalizers = service.Metadata.Finalizers ?? [];
            if (!finalizers.Contains(Serverless.Service.ServiceSelection.Finalizer))
                service.Metadata.Finalizers = [.. finalizers, Serverless.Service.ServiceSelection.Finalizer];
            service.Metadata.DeletionTimestamp = DestroyTime;
        }
    }

    private async Task<string> SeedAsync(ManifestSet set, AwsClientOptions clientOptions, string endpoint, JsonObject report, CancellationToken ct)
    {
        using var sdk = Ec2Gateway.CreateSdkClient(clientOptions);
        var nodes = set.Nodes.Select(n => new SandboxNode(
            n.Metadata.Name,
            n.Metadata.Labels?.TryGetValue("topology.kubernetes.io/zone", out var zone) == true ? zone : null)).ToList();
        var sandbox = await Sandbox.SeedAsync(sdk, options.ClusterName, options.Region, nodes, ct).ConfigureAwait(false);
        var byName = sandbox.Nodes.ToDictionary(n => n.NodeName, StringComparer.Ordinal);
        var nodeMap = new JsonArray();
        Text($"Sandbox: {sandbox.VpcId} ({sandbox.VpcCidr}), subnets {string.Join(" ", sandbox.Subnets.Select(s => $"{s.SubnetId}({(s.Public ? "public" : "private")},{s.Zone})"))}, node SG {sandbox.NodeSecurityGroupId}");
        foreach (var node in set.Nodes.OrderBy(n => n.Metadata.Name, StringComparer.Ordinal))
        {
            var instance = byName[node.Metadata.Name];
            var before = node.Spec?.ProviderID;
            node.Spec ??= new V1NodeSpec();
            node.Spec.ProviderID = instance.ProviderId;
            nodeMap.Add((JsonNode)new JsonObject { ["node"] = node.Metadata.Name, ["instanceId"] = instance.InstanceId, ["providerID"] = instance.ProviderId, ["manifestProviderID"] = before });
            Text($"  node {node.Metadata.Name} → {instance.InstanceId} ({instance.Zone}){(before is null ? "" : $" instead of {before}")}");
        }

        var annotated = set.Ingresses.Select(static i => i.Metadata.Annotations)
            .Select(a => (Annotations: a, Key: CertificateAnnotation))
            .Concat(set.Services.Select(static s => (Annotations: s.Metadata.Annotations, Key: ServiceCertificateAnnotation)))
            .ToList();
        var arns = annotated
            .Select(a => a.Annotations?.TryGetValue(a.Key, out var value) == true ? value : null)
            .OfType<string>()
            .SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToList();
        using var http = new HttpClient();
        var certificates = await SandboxCertificates.EnsureAsync(http, endpoint, options.Region, arns, ct).ConfigureAwait(false);
        var certMap = new JsonArray();
        foreach (var (manifestArn, sandboxArn) in certificates.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            certMap.Add((JsonNode)new JsonObject { ["manifest"] = manifestArn, ["sandbox"] = sandboxArn });
            Text($"  certificate {manifestArn} → {sandboxArn}");
        }
        foreach (var (annotations, key) in annotated)
        {
            if (annotations?.TryGetValue(key, out var value) == true)
            {
                annotations[key] = string.Join(",",
                    value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(a => certificates.TryGetValue(a, out var mapped) ? mapped : a));
            }
        }
        report["sandbox"] = new JsonObject
        {
            ["vpcId"] = sandbox.VpcId,
            ["nodeSecurityGroupId"] = sandbox.NodeSecurityGroupId,
            ["subnets"] = new JsonArray([.. sandbox.Subnets.Select(s => (JsonNode?)new JsonObject { ["id"] = s.SubnetId, ["zone"] = s.Zone, ["public"] = s.Public })]),
            ["nodes"] = nodeMap,
            ["certificates"] = certMap,
        };
        return sandbox.VpcId;
    }

    /// <summary>
    /// The report of one TargetGroupBinding and its exit code: its target changes (plan JSON, as a group's), result,
    /// problems and events. An invalid binding, or one whose target group cannot be used (not found, another VPC,
    /// another target type), is invalid input; a failure while changing targets is a failure.
    /// </summary>
    private (JsonObject Report, int Exit) ReportBinding(StackRun run)
    {
        var label = StackLabel(run.Stack);
        var report = new JsonObject
        {
            ["group"] = run.Stack.ToString(),
            ["kind"] = "targetgroupbinding",
            ["result"] = run.Result.ToString(),
        };
        var exit = ExitCodes.Ok;
        if (run.Deploy is { } deploy)
        {
            report["plan"] = JsonNode.Parse(PlanRenderer.RenderJson(deploy));
            var changes = deploy.Changes.Where(static c => c.IsMutation).ToList();
            Text($"\n== {label}: {(changes.Count == 0 ? "no target changes" : $"{changes.Count} change(s)")}; {run.Result}");
            if (changes.Count > 0)
                Text(PlanRenderer.RenderChanges(changes).TrimEnd('\n'));
            if (run.Result.Kind == ReconcileKind.Failed)
                exit = ExitCodes.Failure;
        }
        else
        {
            Text($"\n== {label}: {run.Result}");
            if (run.Result.Kind == ReconcileKind.Failed)
            {
                exit = ExitCodes.InvalidInput;
                errors.WriteLine("error: " + run.Result.Reason);
            }
        }
        if (run.Problems.Count > 0)
        {
            exit = Math.Max(exit, ExitCodes.InvalidInput);
            report["errors"] = new JsonArray([.. run.Problems.Select(static e => (JsonNode?)new JsonObject { ["object"] = e.Object, ["field"] = e.Field, ["message"] = e.Message })]);
            foreach (var problem in run.Problems)
                errors.WriteLine("error: " + problem);
        }
        if (run.Events.Count > 0)
        {
            report["events"] = new JsonArray([.. run.Events.Select(static e => (JsonNode?)new JsonObject { ["type"] = e.Type, ["reason"] = e.Reason, ["message"] = e.Message })]);
            foreach (var e in run.Events.Where(static e => e.Type != "Normal" || e.Reason != BindingEventReasons.SuccessfullyReconciled))
                Text($"event {e.Type} {e.Reason} on {label}: {e.Message}");
        }
        return (report, exit);
    }

    /// <summary>
    /// The embedded AWS stands in for the account: each target group a TargetGroupBinding names (by name, or by the
    /// name inside its ARN) that does not exist there yet is created first, untagged and with defaults, as Terraform or
    /// another team would have made it, and a binding's ARN is pointed at the sandbox group of that name.
    /// </summary>
    private async Task SeedBindingTargetGroupsAsync(ManifestSet set, ElasticLoadBalancingV2Client elb, string vpcId, JsonObject report, CancellationToken ct)
    {
        var made = new Dictionary<string, string>(StringComparer.Ordinal);
        var arns = new Dictionary<string, string>(StringComparer.Ordinal);
        var seeded = new JsonArray();
        foreach (var binding in set.TargetGroupBindings)
        {
            var name = binding.Spec.TargetGroupName ?? NameInArn(binding.Spec.TargetGroupArn);
            if (name is null)
                continue; // the binding's own reconcile names what is wrong with it
            if (!made.TryGetValue(name, out var arn) && (await elb.TargetGroupsByNameAsync([name], ct).ConfigureAwait(false)).FirstOrDefault() is { TargetGroupArn: { } existing })
            {
                arn = existing; // made before (an earlier run, or by hand): used as it is
                made[name] = arn;
            }
            if (arn is null)
            {
                CreateTargetGroupResponse created;
                try
                {
                    created = await elb.CreateTargetGroupAsync(new CreateTargetGroupRequest
                    {
                        Name = name,
                        Protocol = "HTTP",
                        Port = 80,
                        VpcId = vpcId,
                        TargetType = binding.Spec.TargetType ?? "instance",
                        IpAddressType = binding.Spec.IpAddressType ?? "ipv4",
                    }, ct).ConfigureAwait(false);
                }
                catch (ElasticLoadBalancingV2Exception e)
                {
                    // Not a name AWS takes: nothing stands in for it, and the binding's reconcile says it is not found.
                    Text($"  target group {name}: not created in the sandbox ({e.Message})");
                    continue;
                }
                arn = created.TargetGroups![0].TargetGroupArn!;
                made[name] = arn;
                seeded.Add((JsonNode)new JsonObject { ["name"] = name, ["arn"] = arn, ["targetType"] = binding.Spec.TargetType ?? "instance" });
                Text($"  target group {name} (made outside Kubernetes, untagged) → {arn}");
            }
            if (binding.Spec.TargetGroupArn is { } manifestArn && manifestArn != arn)
                arns[manifestArn] = arn;
        }
        set.MapTargetGroupArns(arns);
        if (report["sandbox"] is JsonObject sandbox)
            sandbox["bindingTargetGroups"] = seeded;
    }

    /// <summary>The name inside a target group ARN (<c>…:targetgroup/&lt;name&gt;/&lt;id&gt;</c>), or null.</summary>
    internal static string? NameInArn(string? arn)
    {
        const string marker = ":targetgroup/";
        var at = arn?.IndexOf(marker, StringComparison.Ordinal) ?? -1;
        if (at < 0)
            return null;
        var rest = arn![(at + marker.Length)..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 ? rest[..slash] : null;
    }

    /// <summary>
    /// The report of one group; <c>ReadBackFailed</c> when its resources could not be read back from AWS (the group
    /// then reports the error in <c>readBackError</c> and the run goes on with the next group).
    /// </summary>
    private async Task<(JsonObject Report, bool ReadBackFailed)> ReportGroupAsync(StackRun run, ElasticLoadBalancingV2Client elb, CancellationToken ct)
    {
        var result = run.Deploy!;
        var stack = run.Desired!;
        Text(GroupText(run.Stack, result, stack).TrimEnd('\n'));

        var ingresses = new JsonArray();
        foreach (var ingress in stack.Ingresses)
        {
            var deployed = result.Ingresses.FirstOrDefault(i => i.Ingress == ingress.Key);
            ingresses.Add((JsonNode)new JsonObject
            {
                ["ingress"] = ingress.Key,
                ["state"] = ingress.State.ToString().ToLowerInvariant(),
                ["outcome"] = deployed?.Status.ToString().ToLowerInvariant(),
                ["reason"] = deployed?.Reason,
                ["status"] = result.DnsName is null || ingress.State != IngressState.Active ? null : new JsonObject
                {
                    ["hostname"] = result.DnsName,
                    ["ports"] = new JsonArray([.. result.ListenerPorts.Select(p => (JsonNode?)JsonValue.Create(p))]),
                },
                ["errors"] = new JsonArray([.. ingress.Errors.Select(e => (JsonNode?)new JsonObject
                {
                    ["object"] = e.Object,
                    ["field"] = e.Field,
                    ["value"] = e.Value,
                    ["message"] = e.Message,
                })]),
            });
        }
        var report = new JsonObject
        {
            ["group"] = run.Stack.ToString(),
            ["kind"] = run.Stack.IsService ? "service" : null,
            ["plan"] = JsonNode.Parse(PlanRenderer.RenderJson(result)),
            ["ingresses"] = ingresses,
        };
        if (options.Command == CliCommand.Plan && result.DnsName is null)
        {
            report["resources"] = new JsonObject();
            return (report, false);
        }
        try
        {
            report["resources"] = await StackReader.ReadAsync(elb, stack, ct).ConfigureAwait(false);
            return (report, false);
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException)
        {
            Text($"error: group {run.Stack}: reading its resources back from AWS failed: {e.GetType().Name}: {e.Message}");
            report["readBackError"] = $"{e.GetType().Name}: {e.Message}";
            return (report, true);
        }
    }

    /// <summary>
    /// A group's outcome for a person: what is to change (plan) or changed (apply, destroy) counted in AWS resources,
    /// each change, then each Ingress once with its state, outcome and errors.
    /// </summary>
    private string GroupText(StackId group, DeployResult result, Stack stack)
    {
        var text = new StringBuilder();
        var plan = result.Mode == DeployMode.Plan;
        text.Append(CultureInfo.InvariantCulture, $"\n== {StackLabel(group)}: {options.Command.ToString().ToLowerInvariant()}\n");
        var member = group.IsService ? "Service" : "Ingress";
        var counts = result.Changes.GroupBy(static c => c.Action).Select(g => (g.Key, Count: g.Count())).Where(static c => c.Count > 0).OrderBy(static c => c.Key).ToList();
        text.Append(counts.Count == 0
            ? $"AWS resources: {(plan ? "nothing to change" : "nothing changed")}\n"
            : $"AWS resources {(plan ? "to change" : "changed")}: {string.Join(", ", counts.Select(c => $"{c.Count} {ActionText(c.Key, plan)}"))}\n");
        text.Append(PlanRenderer.RenderOutcome(result));
        foreach (var ingress in stack.Ingresses)
        {
            var deployed = result.Ingresses.FirstOrDefault(i => i.Ingress == ingress.Key);
            var state = ingress.State.ToString().ToLowerInvariant();
            var status = deployed?.Status.ToString().ToLowerInvariant();
            // The state only when the outcome does not say it already; the reason without the Ingress's name again.
            var label = ingress.State == IngressState.Active || status == state || status is null ? "" : $" ({state})";
            var self = $"{member} {ingress.Key}: ";
            var reason = deployed?.Reason is { } r ? (r.StartsWith(self, StringComparison.Ordinal) ? r[self.Length..] : r) : null;
            text.Append(CultureInfo.InvariantCulture, $"{member} {ingress.Key}{label}: {status ?? state}{(reason is null ? "" : $" ({reason})")}\n");
            foreach (var error in ingress.Errors)
            {
                // The outcome's reason often is the error itself: print it once.
                if (deployed?.Reason?.Contains(error.ToString(), StringComparison.Ordinal) != true)
                    text.Append(CultureInfo.InvariantCulture, $"  error: {error}\n");
            }
        }
        text.Append(CultureInfo.InvariantCulture, $"AWS calls of the deployer: {result.TotalCalls} ({result.MutatingCalls} mutating)\n");
        if (options.Verbose)
        {
            foreach (var (operation, count) in result.AwsCalls)
                text.Append(CultureInfo.InvariantCulture, $"  {operation}: {count}\n");
        }
        return text.ToString();
    }

    private static string ActionText(ChangeAction action, bool plan) => action switch
    {
        ChangeAction.Create => plan ? "to create" : "created",
        ChangeAction.Modify => plan ? "to modify" : "modified",
        ChangeAction.Replace => plan ? "to replace" : "replaced",
        ChangeAction.Delete => plan ? "to delete" : "deleted",
        ChangeAction.Frozen => "frozen (an invalid Ingress's, kept as they are)",
        ChangeAction.SkippedForeign => "not ours (skipped)",
        _ => "blocked",
    };

    private static JsonObject ProblemJson(Problem problem) => new()
    {
        ["severity"] = problem.Severity.ToString().ToLowerInvariant(),
        ["file"] = problem.Where.Source,
        ["document"] = problem.Where.Document,
        ["line"] = problem.Where.Line,
        ["column"] = problem.Where.Column,
        ["object"] = problem.Where.Object,
        ["kind"] = problem.Kind,
        ["namespace"] = problem.Namespace,
        ["name"] = problem.Name,
        ["field"] = problem.Where.Field,
        ["message"] = problem.Where.Message,
    };

    private static JsonObject Calls(IReadOnlyDictionary<string, long> calls)
    {
        var result = new JsonObject();
        foreach (var (operation, count) in calls.OrderBy(c => c.Key, StringComparer.Ordinal))
            result[operation] = count;
        return result;
    }

    private static string Describe(AwsTarget target, string? endpoint) => target switch
    {
        AwsTarget.Embedded => $"embedded moto_server at {endpoint}",
        AwsTarget.Endpoint => $"endpoint {endpoint}",
        _ => "real account (default credential chain)",
    };

    /// <summary>Human text goes to stdout for text output, to stderr for JSON (so stdout stays one JSON document).</summary>
    private void Text(string line) => (options.Json ? errors : output).WriteLine(line);
}
