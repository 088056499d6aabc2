using System.Text.Json.Nodes;
using k8s;
using Serverless.Deploy;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Auth;
using Serverless.Model;
using Serverless.Testing;
using Serverless.Testing.FakeKubernetes;

namespace Serverless.Bindings.Tests;

/// <summary>The reconciler over a (fake) API server: what it writes to Kubernetes, and in which order with AWS.</summary>
[Collection(MotoCollection.Name)]
public sealed class LiveReconcilerTests(MotoFixture fixture) : BindingMotoTest(fixture), IAsyncLifetime
{
    private const string Tgb = "elbv2.k8s.aws/v1beta1";
    private FakeKubernetesApiServer _kube = null!;
    private KubernetesApi _api = null!;

    public async Task InitializeAsync()
    {
        _kube = await FakeKubernetesApiServer.StartAsync();
        _api = KubernetesConnection.Create(new KubernetesClientConfiguration { Host = _kube.Url }, Log.Handler("k8s"));
        _kube.Create("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"shop","namespace":"web"},"spec":{"type":"ClusterIP","ports":[{"name":"http","port":80,"targetPort":8080}]}}
            """);
        _kube.Create("""
            {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"shop-1","namespace":"web","labels":{"kubernetes.io/service-name":"shop"}},
             "addressType":"IPv4","ports":[{"name":"http","port":8080}],
             "endpoints":[{"addresses":["10.0.1.10"],"conditions":{"ready":true},"targetRef":{"kind":"Pod","name":"pod-a","namespace":"web"}},
                          {"addresses":["10.0.1.11"],"conditions":{"ready":false,"terminating":true},"targetRef":{"kind":"Pod","name":"pod-b","namespace":"web"}}]}
            """);
    }

    public async Task DisposeAsync()
    {
        _api.Dispose();
        await _kube.DisposeAsync();
    }

    private void CreateBinding(string arn, bool multiCluster = false, string name = "shop") => _kube.Create($$$$"""
        {"apiVersion":"{{{{Tgb}}}}","kind":"TargetGroupBinding","metadata":{"name":"{{{{name}}}}","namespace":"web"},
         "spec":{"targetGroupARN":"{{{{arn}}}}","targetType":"ip","serviceRef":{"name":"shop","port":80},"multiClusterTargetGroup":{{{{(multiCluster ? "true" : "false")}}}}}}
        """);

    private JsonObject? Binding(string name = "shop") => _kube.Get(Tgb, "TargetGroupBinding", "web", name);

    private Task<BindingRun> LiveAsync(string name = "shop") => ReconcileAsync(new LiveBindingSource(_api), name);

    private IReadOnlyList<JsonObject> Events() => _kube.List("v1", "Event", "web");

    [Fact]
    public async Task The_finalizer_and_the_ledger_are_written_before_any_target_is_registered_and_observed_generation_after()
    {
        CreateBinding(IpGroupArn, multiCluster: true);

        var run = await LiveAsync();

        Assert.True(run.Run.Result.IsDone, run.Run.Result.ToString());
        var entries = Log.Entries.ToList();
        int At(Func<string, bool> match) => entries.FindIndex(e => match(e));
        var finalizer = At(static e => e.StartsWith("k8s:PATCH", StringComparison.Ordinal) && e.Contains("/targetgroupbindings/shop ", StringComparison.Ordinal) && e.Contains("elbv2.k8s.aws/resources", StringComparison.Ordinal));
        var ledger = At(static e => e.StartsWith("k8s:PATCH", StringComparison.Ordinal) && e.Contains(BindingDeployer.LedgerAnnotation, StringComparison.Ordinal));
        var register = At(static e => e == "aws:RegisterTargets");
        var status = At(static e => e.StartsWith("k8s:PATCH", StringComparison.Ordinal) && e.Contains("/targetgroupbindings/shop/status", StringComparison.Ordinal));
        Assert.True(finalizer >= 0 && ledger > finalizer && register > ledger && status > register, string.Join("\n", entries));
        Assert.Equal(-1, entries.FindIndex(0, finalizer, static e => e is "aws:RegisterTargets" or "aws:DeregisterTargets"));

        var stored = Binding()!;
        Assert.Equal(["elbv2.k8s.aws/resources"], stored["metadata"]!["finalizers"]!.AsArray().Select(static f => f!.GetValue<string>()));
        Assert.Equal("10.0.1.10:8080", stored["metadata"]!["annotations"]![BindingDeployer.LedgerAnnotation]!.GetValue<string>());
        Assert.Equal(stored["metadata"]!["generation"]!.ToJsonString(), stored["status"]!["observedGeneration"]!.ToJsonString());
        Assert.Equal(["10.0.1.10:8080"], await TargetsAsync(IpGroupArn));
        var evt = Assert.Single(Events());
        Assert.Equal("SuccessfullyReconciled", evt["reason"]!.GetValue<string>());
        Assert.Equal("TargetGroupBinding", evt["involvedObject"]!["kind"]!.GetValue<string>());
        Assert.Equal(Tgb, evt["involvedObject"]!["apiVersion"]!.GetValue<string>());
        Assert.Equal("shop", evt["involvedObject"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Deleting_the_binding_deregisters_its_targets_and_removes_the_finalizer_so_it_goes()
    {
        CreateBinding(IpGroupArn);
        await LiveAsync();
        Assert.Equal(["10.0.1.10:8080"], await TargetsAsync(IpGroupArn));
        _kube.Delete(Tgb, "TargetGroupBinding", "web", "shop");
        Assert.NotNull(Binding()!["metadata"]!["deletionTimestamp"]);

        var run = await LiveAsync();

        Assert.True(run.Run.Result.IsDone, run.Run.Result.ToString());
        Assert.Empty(await TargetsAsync(IpGroupArn));
        Assert.Null(Binding());
        Assert.Equal(["web/shop"], run.Run.FinalizersRemoved);

        var gone = await LiveAsync();
        Assert.True(gone.Run.Result.IsDone);
        Assert.True(gone.Run.Quiet);
    }

    [Fact]
    public async Task A_failed_cleanup_keeps_the_finalizer_with_an_event_and_a_ready_false_condition()
    {
        CreateBinding(IpGroupArn);
        await LiveAsync();
        _kube.Delete(Tgb, "TargetGroupBinding", "web", "shop");
        Log.Fail = ("DeregisterTargets", "Throttling");

        var run = await LiveAsync();

        Assert.Equal(ReconcileKind.Failed, run.Run.Result.Kind);
        Assert.Contains("TargetGroupBinding web/shop", run.Run.Result.Reason, StringComparison.Ordinal);
        var stored = Binding()!;
        Assert.Equal(["elbv2.k8s.aws/resources"], stored["metadata"]!["finalizers"]!.AsArray().Select(static f => f!.GetValue<string>()));
        var condition = Assert.Single(stored["status"]!["conditions"]!.AsArray())!;
        Assert.Equal(("Ready", "False", "FailedCleanup"), (condition["type"]!.GetValue<string>(), condition["status"]!.GetValue<string>(), condition["reason"]!.GetValue<string>()));
        Assert.Contains(Events(), static e => e["reason"]!.GetValue<string>() == "FailedCleanup" && e["type"]!.GetValue<string>() == "Warning");

        Log.Fail = null;
        var retried = await LiveAsync();
        Assert.True(retried.Run.Result.IsDone, retried.Run.Result.ToString());
        Assert.Null(Binding());
        Assert.Empty(await TargetsAsync(IpGroupArn));
    }

    [Fact]
    public async Task A_binding_upstream_made_for_a_stack_of_ours_is_left_alone_and_released_on_deletion_without_deregistering()
    {
        var owned = CreateGroup("k8s-web-shop-0123456789", "ip", 8080, new Dictionary<string, string> { [TrackingTags.Cluster] = Cluster, [TrackingTags.ServiceStack] = "web/shop" });
        await RegisterByHandAsync(owned, "10.0.1.50", 8080);
        _kube.Create($$$$"""
            {"apiVersion":"{{{{Tgb}}}}","kind":"TargetGroupBinding","metadata":{"name":"k8s-web-shop-0123456789","namespace":"web","finalizers":["elbv2.k8s.aws/resources"],
              "labels":{"service.k8s.aws/stack-namespace":"web","service.k8s.aws/stack-name":"shop"}},
             "spec":{"targetGroupARN":"{{{{owned}}}}","targetType":"ip","serviceRef":{"name":"shop","port":80}}}
            """);

        var active = await LiveAsync("k8s-web-shop-0123456789");
        var again = await LiveAsync("k8s-web-shop-0123456789");

        Assert.True(active.Run.Result.IsDone, active.Run.Result.ToString());
        var evt = Assert.Single(Events());
        Assert.Equal(("Normal", "OwnedByStack"), (evt["type"]!.GetValue<string>(), evt["reason"]!.GetValue<string>()));
        Assert.Contains("Service web/shop", evt["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(again.Run.Quiet);
        Assert.Null(Binding("k8s-web-shop-0123456789")!["status"]?["observedGeneration"]);

        _kube.Delete(Tgb, "TargetGroupBinding", "web", "k8s-web-shop-0123456789");
        var released = await LiveAsync("k8s-web-shop-0123456789");

        Assert.True(released.Run.Result.IsDone, released.Run.Result.ToString());
        Assert.Null(Binding("k8s-web-shop-0123456789"));
        Assert.Equal(["10.0.1.50:8080"], await TargetsAsync(owned));
        Assert.DoesNotContain("RegisterTargets", Log.Aws);
        Assert.DoesNotContain("DeregisterTargets", Log.Aws);
    }

    [Fact]
    public async Task An_invalid_binding_from_the_api_gets_one_warning_naming_the_field_and_no_aws_call()
    {
        _kube.Create($$$$"""
            {"apiVersion":"{{{{Tgb}}}}","kind":"TargetGroupBinding","metadata":{"name":"shop","namespace":"web"},
             "spec":{"targetGroupARN":"{{{{IpGroupArn}}}}","targetType":"lambda","serviceRef":{"name":"shop","port":80}}}
            """);

        var run = await LiveAsync();
        var again = await LiveAsync();

        Assert.True(run.Run.Result.IsDone, run.Run.Result.ToString());
        var evt = Assert.Single(Events());
        Assert.Equal("FailedReconcile", evt["reason"]!.GetValue<string>());
        Assert.Contains("spec.targetType", evt["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("\"lambda\"", evt["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(Log.Aws);
        Assert.NotEmpty(run.Run.Problems);
        Assert.True(again.Run.Quiet);
    }

    [Fact]
    public async Task The_api_lists_bindings_in_every_namespace_or_one_and_a_stale_ledger_patch_is_retried()
    {
        CreateBinding(IpGroupArn);
        _kube.Create($$$$"""
            {"apiVersion":"{{{{Tgb}}}}","kind":"TargetGroupBinding","metadata":{"name":"other","namespace":"shop"},
             "spec":{"targetGroupName":"x","serviceRef":{"name":"shop","port":80}}}
            """);

        var all = await _api.ListTargetGroupBindingsJsonAsync();
        var web = await _api.ListTargetGroupBindingsJsonAsync("web");
        var missing = await _api.GetTargetGroupBindingJsonAsync("web", "nope");
        var source = new LiveBindingSource(_api);
        var stale = (await source.GetBindingAsync("web", "shop", default))!.Metadata;
        _kube.Mutate(Tgb, "TargetGroupBinding", "web", "shop", static o => o["metadata"]!.AsObject()["labels"] = new JsonObject { ["touched"] = "yes" });
        var (now, written) = await source.SetAnnotationAsync(stale, BindingDeployer.LedgerAnnotation, static old => old is null ? "a:1" : old + ",b:2", default);

        Assert.Equal(2, all.Count);
        Assert.All(all, static j => Assert.Contains("\"kind\":\"TargetGroupBinding\"", j, StringComparison.Ordinal));
        Assert.Equal("shop", TargetGroupBindingParserName(Assert.Single(web)));
        Assert.Null(missing);
        Assert.True(written);
        Assert.Equal("a:1", now!.Annotations[BindingDeployer.LedgerAnnotation]);
        Assert.Equal("yes", now.Labels["touched"]);
        Assert.Contains(_kube.Requests, static r => r.Verb == "get" && r.Name == "shop");
    }

    private static string TargetGroupBindingParserName(string json) => Kubernetes.Bindings.TargetGroupBindingParser.ReadMetadataJson(json)!.Name;
}
