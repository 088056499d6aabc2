using Serverless.Aws.Acm;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.Wafv2;
using Serverless.Deploy;
using Serverless.Ingress;
using Serverless.Kubernetes.Manifests;
using Serverless.Local;
using Serverless.Model;
using Serverless.Reconcile;
using Serverless.Testing;

namespace Serverless.Cli.Tests.Reconciles;

/// <summary>
/// The call budgets through the one reconciler the functions and the CLI use (<see cref="IngressGroupReconciler"/>:
/// facts once, their reads handed to the deploy, the deployer's memory kept by one container), on a group loaded from
/// manifests: an event-driven no-op, the same after the facts window, one ip endpoint added, and a full drift check.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class ReconcilerCallBudgetTests(MotoFixture fixture)
{
    private const string Cluster = "budget";

    [Fact]
    public async Task The_reconciler_keeps_no_ops_endpoint_changes_and_drift_checks_within_their_call_budgets()
    {
        var moto = fixture.Server;
        moto.Reset();
        var recorder = new AwsCallRecorder();
        var options = moto.ClientOptions(recorder);
        using var sdk = Ec2Gateway.CreateSdkClient(options);
        var sandbox = await Sandbox.SeedAsync(sdk, Cluster, "us-east-1", [new("node-a"), new("node-b")]);
        var set = ManifestLoader.LoadText(Manifests(sandbox), "group.yaml").EnsureValid();
        using var ec2 = Ec2Gateway.Create(options);
        using var elb = new ElasticLoadBalancingV2Client(options);
        using var waf = new Wafv2Client(options);
        using var acm = new AcmClient(options);
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var cluster = new ClusterSettings { ClusterName = Cluster, VpcId = sandbox.VpcId };
        var reconciler = new IngressGroupReconciler(
            new ManifestIngressGroupSource(set, cluster), cluster, new AwsFactsLoader(ec2, elb, acm, waf, TimeSpan.FromMinutes(5), clock), new StackDeployer(elb, ec2, waf, recorder));
        var group = StackId.Explicit("shop");
        async Task<(StackRun Run, long Calls, string Shown)> ReconcileAsync(ReconcileRequest request)
        {
            var before = recorder.Calls.Where(static c => !c.Key.StartsWith("SQS:", StringComparison.Ordinal)).ToDictionary(static c => c.Key, static c => c.Value);
            var run = await reconciler.ReconcileAsync(group, request);
            var calls = recorder.Calls.Select(c => (c.Key, Count: c.Value - before.GetValueOrDefault(c.Key))).Where(static c => c.Count > 0).ToList();
            return (run, calls.Sum(static c => c.Count), run.Result + ": " + string.Join(", ", calls.Select(static c => $"{c.Key} {c.Count}")));
        }

        var created = await ReconcileAsync(ReconcileRequest.Event);
        Assert.True(created.Run.Result.IsDone, created.Shown);
        await ReconcileAsync(ReconcileRequest.Event); // the load balancer turns active

        clock.Advance(TimeSpan.FromMinutes(1));
        var warm = await ReconcileAsync(ReconcileRequest.Event);
        Assert.True(warm.Run.Result.IsDone && warm.Calls <= 4, warm.Shown);

        clock.Advance(TimeSpan.FromMinutes(6));
        var cold = await ReconcileAsync(ReconcileRequest.Event);
        Assert.True(cold.Run.Result.IsDone && cold.Calls <= 6, cold.Shown);

        set.EndpointSlices.Single().Endpoints.Add(new k8s.Models.V1Endpoint { Addresses = ["10.0.0.12"], Conditions = new k8s.Models.V1EndpointConditions { Ready = true } });
        var added = await ReconcileAsync(ReconcileRequest.Event);
        Assert.True(added.Run.Result.IsDone && added.Calls <= 3, added.Shown);
        Assert.Contains("RegisterTargets", added.Shown, StringComparison.Ordinal);

        var drift = await ReconcileAsync(ReconcileRequest.DriftCheck);
        Assert.True(drift.Run.Result.IsDone && drift.Calls <= 34, drift.Shown);
        Assert.DoesNotContain(drift.Run.Deploy!.Changes, static c => c.IsMutation);
    }

    private static string Manifests(SandboxInfo sandbox) => $"""
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {"{"}name: alb{"}"}
        spec: {"{"}controller: ingress.k8s.aws/alb{"}"}
        ---
        apiVersion: v1
        kind: Node
        metadata: {"{"}name: {sandbox.Nodes[0].NodeName}{"}"}
        spec: {"{"}providerID: "{sandbox.Nodes[0].ProviderId}"{"}"}
        status: {"{"}conditions: [{"{"}type: Ready, status: "True"{"}"}]{"}"}
        ---
        apiVersion: v1
        kind: Node
        metadata: {"{"}name: {sandbox.Nodes[1].NodeName}{"}"}
        spec: {"{"}providerID: "{sandbox.Nodes[1].ProviderId}"{"}"}
        status: {"{"}conditions: [{"{"}type: Ready, status: "True"{"}"}]{"}"}
        ---
        apiVersion: v1
        kind: Service
        metadata: {"{"}name: api, namespace: default, uid: 6f1c5a52-0000-4000-8000-000000000001{"}"}
        spec: {"{"}type: NodePort, ports: [{"{"}name: http, port: 80, targetPort: 8080, nodePort: 30080, protocol: TCP{"}"}]{"}"}
        ---
        apiVersion: v1
        kind: Service
        metadata: {"{"}name: web, namespace: default, uid: 6f1c5a52-0000-4000-8000-000000000002{"}"}
        spec: {"{"}type: ClusterIP, ports: [{"{"}name: http, port: 80, targetPort: 8080, protocol: TCP{"}"}]{"}"}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {"{"}name: web-1, namespace: default, labels: {"{"}kubernetes.io/service-name: web{"}"}{"}"}
        addressType: IPv4
        ports: [{"{"}name: http, port: 8080, protocol: TCP{"}"}]
        endpoints:
        - {"{"}addresses: ["10.0.0.10"], conditions: {"{"}ready: true{"}"}{"}"}
        - {"{"}addresses: ["10.0.0.11"], conditions: {"{"}ready: true{"}"}{"}"}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: api
          namespace: default
          annotations: {"{"}alb.ingress.kubernetes.io/group.name: shop{"}"}
        spec:
          ingressClassName: alb
          rules: [{"{"}http: {"{"}paths: [{"{"}path: /api, pathType: Prefix, backend: {"{"}service: {"{"}name: api, port: {"{"}number: 80{"}"}{"}"}{"}"}{"}"}]{"}"}{"}"}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: web
          namespace: default
          annotations: {"{"}alb.ingress.kubernetes.io/group.name: shop, alb.ingress.kubernetes.io/target-type: ip{"}"}
        spec:
          ingressClassName: alb
          rules: [{"{"}http: {"{"}paths: [{"{"}path: /, pathType: Prefix, backend: {"{"}service: {"{"}name: web, port: {"{"}number: 80{"}"}{"}"}{"}"}{"}"}]{"}"}{"}"}]
        """;
}
