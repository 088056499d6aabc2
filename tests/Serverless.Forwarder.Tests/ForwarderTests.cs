using System.Text.Json.Nodes;
using Serverless.Messages;

namespace Serverless.Forwarder.Tests;

[Collection(MotoCollection.Name)]
public sealed class ForwarderTests(MotoFixture moto) : IAsyncLifetime
{
    private ForwarderHarness _h = null!;

    public async Task InitializeAsync() => _h = await ForwarderHarness.CreateAsync(moto.Server);

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private void SeedWorld()
    {
        _h.Api.Create(ForwarderHarness.IngressClass("alb"));
        _h.Api.Create(ForwarderHarness.Ingress("default", "a", group: "shared"));
        _h.Api.Create(ForwarderHarness.Ingress("team", "b", group: "shared"));
        _h.Api.Create(ForwarderHarness.Ingress("default", "c"));
        _h.Api.Create(ForwarderHarness.Ingress("default", "nginx", className: "nginx"));
        _h.Api.Create(ForwarderHarness.Service("default", "web"));
        _h.Api.Create(ForwarderHarness.Service("default", "api"));
        _h.Api.Create(ForwarderHarness.EndpointSlice("default", "web-abc", "web"));
        _h.Api.Create(ForwarderHarness.EndpointSlice("default", "api-abc", "api"));
        _h.Api.Create(ForwarderHarness.Node("n1"));
        _h.Api.Create(ForwarderHarness.Node("n2"));
    }

    private static string[] Keys(IEnumerable<Received> messages) => [.. messages.Select(static m => m.Key).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Initial_list_sends_one_key_per_object_with_the_key_group_id_and_a_dedup_id_and_then_is_ready()
    {
        SeedWorld();
        await _h.StartAsync();

        var messages = await _h.DrainAsync();

        Assert.Equal(
            ["ingress-group:default/c", "ingress-group:shared", "node:n1", "node:n2", "service:default/api", "service:default/web"],
            Keys(messages));
        foreach (var m in messages)
        {
            Assert.Equal(m.Message.Key.MessageGroupId, m.GroupId);
            Assert.Matches("^[0-9a-f]{64}$", m.DedupId);
            Assert.Equal(QueueMessageOrigin.Forwarder, m.Message.Origin);
            Assert.NotNull(m.Message.ResourceVersion);
            Assert.NotNull(m.Message.ObservedAt);
        }
        using var http = new HttpClient();
        Assert.Equal("ready\n", await http.GetStringAsync($"http://127.0.0.1:{_h.Host.StatusPort}/readyz"));
        Assert.Equal("ok\n", await http.GetStringAsync($"http://127.0.0.1:{_h.Host.StatusPort}/healthz"));
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{_h.Host.StatusPort}/metrics");
        Assert.Contains("forwarder_keys_sent_total 6", metrics, StringComparison.Ordinal);
        Assert.Contains("forwarder_watch_events_total{kind=\"Node\",type=\"LISTED\"} 2", metrics, StringComparison.Ordinal);
        Assert.Contains("forwarder_queue_lag_seconds_count 6", metrics, StringComparison.Ordinal);
        // IngressClassParams is served by the fake: listed (empty) and watched like the rest
        Assert.Equal(1, _h.Api.CountRequests("list", "ingressclassparams"));
    }

    [Fact]
    public async Task Updates_send_their_key_but_node_heartbeats_and_ingress_status_writes_send_nothing()
    {
        SeedWorld();
        await _h.StartAsync();
        await _h.DrainAsync();

        for (var i = 0; i < 5; i++)
        {
            _h.Api.Mutate("v1", "Node", null, "n1", n =>
            {
                n["status"]!["conditions"]![0]!["lastHeartbeatTime"] = $"2026-01-01T00:00:0{i}Z";
                n["status"]!["allocatable"]!["cpu"] = (2 + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
                n["status"]!["images"] = new JsonArray(JsonValue.Create("img" + i));
            }, status: true);
        }
        _h.Api.Mutate("networking.k8s.io/v1", "Ingress", "default", "c", i => i["status"] = JsonNode.Parse("""{"loadBalancer":{"ingress":[{"hostname":"k8s-x.elb.amazonaws.com"}]}}"""), status: true);
        Assert.Empty(await _h.NewMessagesAsync());

        _h.Api.Mutate("v1", "Node", null, "n2", n => n["spec"]!["taints"] = JsonNode.Parse("""[{"key":"drain","effect":"NoSchedule"}]"""));
        _h.Api.Mutate("v1", "Node", null, "n1", n => n["status"]!["conditions"]![0]!["status"] = "False", status: true);
        _h.Api.Mutate("v1", "Service", "default", "web", s => s["spec"]!["ports"]![0]!["port"] = 81);
        _h.Api.Mutate("discovery.k8s.io/v1", "EndpointSlice", "default", "api-abc", s => s["endpoints"]![0]!["addresses"]![0] = "10.0.0.9");
        _h.Api.Mutate("networking.k8s.io/v1", "Ingress", "team", "b", i => i["spec"]!["rules"]![0]!["host"] = "b.example.com");
        _h.Api.Delete("v1", "Node", null, "n1");

        Assert.Equal(["ingress-group:shared", "node:n1", "node:n2", "service:default/api", "service:default/web"], Keys(await _h.NewMessagesAsync()));
    }

    [Fact]
    public async Task A_Service_with_our_finalizer_sends_its_key_when_deleted_or_its_finalizer_goes_but_not_for_its_status()
    {
        SeedWorld();
        var nlb = ForwarderHarness.Service("default", "nlb");
        nlb["spec"]!["type"] = "LoadBalancer";
        nlb["spec"]!["loadBalancerClass"] = "service.k8s.aws/nlb";
        nlb["metadata"]!["finalizers"] = new JsonArray("service.k8s.aws/resources");
        _h.Api.Create(nlb);
        var other = ForwarderHarness.Service("default", "other");
        other["metadata"]!["finalizers"] = new JsonArray("example.com/keep");
        _h.Api.Create(other);
        await _h.StartAsync();
        Assert.Contains("service:default/nlb", Keys(await _h.DrainAsync()));

        // The reconcile's own status write: nothing.
        _h.Api.Mutate("v1", "Service", "default", "nlb", s => s["status"] = JsonNode.Parse("""{"loadBalancer":{"ingress":[{"hostname":"k8s-default-nlb-0123456789.elb.us-east-1.amazonaws.com"}]}}"""), status: true);
        Assert.Empty(await _h.NewMessagesAsync());

        // kubectl delete: only deletionTimestamp is set while our finalizer holds the Service.
        _h.Api.Delete("v1", "Service", "default", "nlb");
        Assert.Equal(["service:default/nlb"], Keys(await _h.NewMessagesAsync()));

        // Another controller's finalizer on a Service that is not ours: its deletion mark sends nothing new.
        _h.Api.Delete("v1", "Service", "default", "other");
        Assert.Empty(await _h.NewMessagesAsync());
    }

    [Fact]
    public async Task A_TargetGroupBinding_sends_its_key_for_spec_finalizer_and_deletion_changes_but_not_for_status_or_annotation_writes()
    {
        SeedWorld();
        var binding = JsonNode.Parse("""
            {"apiVersion":"elbv2.k8s.aws/v1beta1","kind":"TargetGroupBinding","metadata":{"name":"web-tg","namespace":"default"},
             "spec":{"serviceRef":{"name":"web","port":80},"targetGroupName":"web-shared","targetType":"ip"}}
            """)!.AsObject();
        _h.Api.Create(binding);
        await _h.StartAsync();
        Assert.Contains("tgb:default/web-tg", Keys(await _h.DrainAsync()));

        // The reconcile's own writes: status.observedGeneration and its ledger annotation send nothing.
        _h.Api.Mutate("elbv2.k8s.aws/v1beta1", "TargetGroupBinding", "default", "web-tg", b => b["status"] = JsonNode.Parse("""{"observedGeneration":1}"""), status: true);
        _h.Api.Mutate("elbv2.k8s.aws/v1beta1", "TargetGroupBinding", "default", "web-tg", b => b["metadata"]!["annotations"] = JsonNode.Parse("""{"serverless.elbv2.k8s.aws/registered-targets":"10.0.0.1:80"}"""));
        Assert.Empty(await _h.NewMessagesAsync());

        // Its finalizer, then a spec change, then kubectl delete (only deletionTimestamp while the finalizer holds it).
        _h.Api.Mutate("elbv2.k8s.aws/v1beta1", "TargetGroupBinding", "default", "web-tg", b => b["metadata"]!["finalizers"] = new JsonArray("elbv2.k8s.aws/resources"));
        Assert.Equal(["tgb:default/web-tg"], Keys(await _h.NewMessagesAsync()));
        _h.Api.Mutate("elbv2.k8s.aws/v1beta1", "TargetGroupBinding", "default", "web-tg", b => b["spec"]!["serviceRef"]!["port"] = 8080);
        Assert.Equal(["tgb:default/web-tg"], Keys(await _h.NewMessagesAsync()));
        _h.Api.Delete("elbv2.k8s.aws/v1beta1", "TargetGroupBinding", "default", "web-tg");
        Assert.Equal(["tgb:default/web-tg"], Keys(await _h.NewMessagesAsync()));
    }

    [Fact]
    public async Task A_missing_TargetGroupBinding_CRD_is_skipped_and_the_forwarder_still_becomes_ready()
    {
        _h.Api.UnregisterResource("elbv2.k8s.aws", "v1beta1", "targetgroupbindings");
        SeedWorld();
        await _h.StartAsync();

        Assert.Equal(6, (await _h.DrainAsync()).Count);
        Assert.Equal(0, _h.Api.CountRequests("watch", "targetgroupbindings"));
    }

    [Fact]
    public async Task A_410_Gone_mid_watch_relists_and_no_change_made_while_disconnected_is_lost()
    {
        SeedWorld();
        await _h.StartAsync();
        await _h.DrainAsync();
        var listsBefore = _h.Api.CountRequests("list", "services");

        _h.Api.StallWatches(); // the forwarder stops hearing anything
        _h.Api.Mutate("v1", "Service", "default", "web", s => s["spec"]!["ports"]![0]!["port"] = 81);
        _h.Api.Delete("v1", "Service", "default", "api");
        _h.Api.Create(ForwarderHarness.Service("default", "new"));
        _h.Api.CompactHistory();
        _h.Api.ExpireWatches(); // every watch ends with an ERROR 410 event
        _h.Api.DropWatches();

        var keys = Keys(await _h.NewMessagesAsync());

        Assert.Contains("service:default/web", keys);
        Assert.Contains("service:default/api", keys); // deleted while not watching: found by the relist
        Assert.Contains("service:default/new", keys);
        Assert.True(_h.Api.CountRequests("list", "services") > listsBefore);
        Assert.True(_h.Host.Metrics.Relists("Service") >= 2);
    }

    /// <summary>Runs the clock until every kind was listed again and watches again after that list (its keys are in the buffer then).</summary>
    private async Task RelistedAsync(IReadOnlyDictionary<string, int> watchesBefore)
    {
        string[] kinds = ["Ingress", "IngressClass", "IngressClassParams", "Service", "EndpointSlice", "Node"];
        await _h.WaitUntilAsync(() =>
            kinds.All(k => _h.Host.Metrics.Relists(k) >= 2)
            && watchesBefore.All(w => _h.Api.CountRequests("watch", w.Key) > w.Value));
    }

    private Dictionary<string, int> WatchCounts() =>
        new[] { "ingresses", "ingressclasses", "ingressclassparams", "services", "endpointslices", "nodes" }
            .ToDictionary(static p => p, p => _h.Api.CountRequests("watch", p));

    [Fact]
    public async Task A_410_Gone_relist_of_unchanged_objects_sends_nothing()
    {
        SeedWorld();
        await _h.StartAsync();
        Assert.Equal(6, (await _h.DrainAsync()).Count); // the first sync sends every key once
        var watches = WatchCounts();

        _h.Api.CompactHistory();
        _h.Api.ExpireWatches(); // every watch ends with an ERROR 410 event: every kind relists
        await RelistedAsync(watches);

        Assert.Empty(await _h.NewMessagesAsync());
        Assert.Equal(6, _h.Host.Metrics.KeysSent);
    }

    [Fact]
    public async Task After_a_410_Gone_relist_only_objects_changed_or_deleted_while_not_watching_are_sent()
    {
        SeedWorld();
        await _h.StartAsync();
        await _h.DrainAsync();
        var watches = WatchCounts();

        _h.Api.StallWatches(); // the forwarder stops hearing anything
        _h.Api.Mutate("v1", "Service", "default", "web", s => s["spec"]!["ports"]![0]!["port"] = 81);
        _h.Api.Mutate("v1", "Node", null, "n2", n => n["status"]!["conditions"]![0]!["lastHeartbeatTime"] = "2026-01-01T00:05:00Z", status: true); // heartbeat only
        _h.Api.Mutate("discovery.k8s.io/v1", "EndpointSlice", "default", "api-abc", s => s["endpoints"]![0]!["addresses"]![0] = "10.0.0.9");
        _h.Api.Delete("v1", "Node", null, "n1");
        _h.Api.CompactHistory();
        _h.Api.ExpireWatches();
        _h.Api.DropWatches(); // the reconnect from the old version gets 410 too
        await RelistedAsync(watches);

        var messages = await _h.NewMessagesAsync();
        Assert.Equal(["node:n1", "service:default/api", "service:default/web"], Keys(messages));
        Assert.All(messages, m => Assert.NotNull(m.Message.ResourceVersion));
    }

    [Fact]
    public async Task A_watch_resumed_with_a_compacted_version_gets_410_and_relists()
    {
        SeedWorld();
        await _h.StartAsync();
        await _h.DrainAsync();
        var nodeLists = _h.Api.CountRequests("list", "nodes");

        _h.Api.FailNext(1000, 500, static r => r.Verb == "watch"); // reconnects fail until compaction happened
        _h.Api.DropWatches();
        _h.Api.Create(ForwarderHarness.Node("n3"));
        _h.Api.CompactHistory();
        _h.Api.ClearFailures();

        Assert.Contains("node:n3", Keys(await _h.NewMessagesAsync()));
        Assert.True(_h.Api.CountRequests("list", "nodes") > nodeLists);
    }

    [Fact]
    public async Task A_dropped_connection_resumes_from_the_last_resource_version_without_relisting()
    {
        SeedWorld();
        await _h.StartAsync();
        await _h.DrainAsync();
        _h.Api.Mutate("v1", "Service", "default", "web", s => s["spec"]!["ports"]![0]!["port"] = 81);
        Assert.Equal(["service:default/web"], Keys(await _h.NewMessagesAsync()));
        var seen = _h.Api.ResourceVersion;
        var lists = _h.Api.CountRequests("list");
        _h.Api.ClearRequests();

        _h.Api.DropWatches();
        _h.Api.Mutate("v1", "Service", "default", "api", s => s["spec"]!["ports"]![0]!["port"] = 82);

        Assert.Equal(["service:default/api"], Keys(await _h.NewMessagesAsync()));
        Assert.Equal(0, _h.Api.CountRequests("list"));
        var resumed = _h.Api.Requests.Where(static r => r.Verb == "watch" && r.Plural == "services").ToList();
        Assert.NotEmpty(resumed);
        Assert.All(resumed, r => Assert.True(long.Parse(r.QueryValue("resourceVersion")!, System.Globalization.CultureInfo.InvariantCulture) >= seen - 1));
        Assert.All(resumed, r => Assert.Equal("true", r.QueryValue("allowWatchBookmarks")));
        Assert.True(lists > 0);
    }

    [Fact]
    public async Task A_stalled_watch_is_reconnected_after_the_idle_timeout_and_its_changes_arrive()
    {
        SeedWorld();
        await _h.StartAsync(c => c with { WatchIdleTimeout = TimeSpan.FromSeconds(1) });
        await _h.DrainAsync();

        _h.Api.StallWatches();
        _h.Api.Mutate("v1", "Service", "default", "web", s => s["spec"]!["ports"]![0]!["port"] = 81);

        Assert.Equal(["service:default/web"], Keys(await _h.NewMessagesAsync()));
        Assert.True(_h.Host.Metrics.WatchRestarts("Service") >= 1);
    }

    [Fact]
    public async Task An_Ingress_moving_between_groups_or_classes_or_being_deleted_sends_every_group_involved()
    {
        SeedWorld();
        await _h.StartAsync();
        await _h.DrainAsync();

        _h.Api.Mutate("networking.k8s.io/v1", "Ingress", "default", "c", i => i["metadata"]!["annotations"]!["alb.ingress.kubernetes.io/group.name"] = "other");
        Assert.Equal(["ingress-group:default/c", "ingress-group:other"], Keys(await _h.NewMessagesAsync()));

        _h.Api.Mutate("networking.k8s.io/v1", "Ingress", "default", "a", i => i["spec"]!["ingressClassName"] = "nginx");
        Assert.Equal(["ingress-group:shared"], Keys(await _h.NewMessagesAsync()));

        _h.Api.Mutate("networking.k8s.io/v1", "Ingress", "default", "nginx", i => i["metadata"]!["finalizers"] = new JsonArray("group.ingress.k8s.aws/legacy"));
        Assert.Equal(["ingress-group:legacy"], Keys(await _h.NewMessagesAsync()));

        _h.Api.Mutate("networking.k8s.io/v1", "Ingress", "team", "b", i => i["metadata"]!["finalizers"] = new JsonArray("group.ingress.k8s.aws/shared"));
        await _h.NewMessagesAsync();
        _h.Api.Delete("networking.k8s.io/v1", "Ingress", "team", "b"); // marked for deletion (finalizer)
        Assert.Equal(["ingress-group:shared"], Keys(await _h.NewMessagesAsync()));
        _h.Api.Mutate("networking.k8s.io/v1", "Ingress", "team", "b", i => i["metadata"]!["finalizers"] = new JsonArray()); // gone
        Assert.Equal(["ingress-group:shared"], Keys(await _h.NewMessagesAsync()));
    }

    [Fact]
    public async Task IngressClass_and_IngressClassParams_changes_send_the_groups_of_their_Ingresses()
    {
        SeedWorld();
        _h.Api.Create("""{"apiVersion":"elbv2.k8s.aws/v1beta1","kind":"IngressClassParams","metadata":{"name":"p"},"spec":{"scheme":"internal"}}""");
        _h.Api.Mutate("networking.k8s.io/v1", "IngressClass", null, "alb", c => c["spec"]!["parameters"] = JsonNode.Parse("""{"apiGroup":"elbv2.k8s.aws","kind":"IngressClassParams","name":"p"}"""));
        await _h.StartAsync();
        await _h.DrainAsync();

        _h.Api.Mutate("elbv2.k8s.aws/v1beta1", "IngressClassParams", null, "p", p => p["spec"]!["scheme"] = "internet-facing");
        Assert.Equal(["ingress-group:default/c", "ingress-group:shared"], Keys(await _h.NewMessagesAsync()));
    }

    [Fact]
    public async Task A_missing_IngressClassParams_CRD_is_skipped_and_the_forwarder_still_becomes_ready()
    {
        _h.Api.UnregisterResource("elbv2.k8s.aws", "v1beta1", "ingressclassparams");
        SeedWorld();
        await _h.StartAsync();

        Assert.Equal(6, (await _h.DrainAsync()).Count);
        Assert.Equal(0, _h.Api.CountRequests("watch", "ingressclassparams"));
    }

    [Fact]
    public async Task Changes_inside_the_debounce_window_become_one_message()
    {
        SeedWorld();
        await _h.StartAsync(c => c with { Debounce = TimeSpan.FromMilliseconds(600) });
        await _h.DrainAsync();

        for (var i = 0; i < 10; i++)
            _h.Api.Mutate("discovery.k8s.io/v1", "EndpointSlice", "default", "web-abc", s => s["endpoints"]![0]!["addresses"]![0] = $"10.0.1.{i}");
        _h.Api.Mutate("v1", "Service", "default", "web", s => s["spec"]!["ports"]![0]!["port"] = 81);

        var messages = await _h.NewMessagesAsync();
        Assert.Equal(["service:default/web"], Keys(messages));
        Assert.Equal(_h.Api.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), messages[0].Message.ResourceVersion);
    }

    [Fact]
    public async Task Failed_calls_and_rejected_entries_are_retried_until_SQS_takes_them()
    {
        SeedWorld();
        _h.Recording.FailNextCalls(2);
        var reject = true;
        _h.Recording.RejectEntry = key => reject && key.StartsWith("node:", StringComparison.Ordinal);
        await _h.StartAsync();
        await _h.WaitUntilAsync(() => _h.Host.Metrics.SendFailures >= 4); // the failed calls, then node keys rejected and retried
        reject = false;

        var keys = Keys(await _h.DrainAsync());

        Assert.Equal(["ingress-group:default/c", "ingress-group:shared", "node:n1", "node:n2", "service:default/api", "service:default/web"], keys);
        Assert.True(_h.Host.Metrics.SendFailures >= 4);
    }

    [Fact]
    public async Task Stopping_flushes_keys_still_inside_their_debounce_window()
    {
        SeedWorld();
        await _h.StartAsync(c => c with { Debounce = TimeSpan.FromSeconds(30) });
        await _h.StopAsync(); // SIGTERM path: the 30 s debounce is not waited for

        Assert.Equal(6, (await _h.DrainAsync()).Count);
    }

    [Fact]
    public async Task A_full_buffer_holds_the_watch_loop_back_without_dropping_keys()
    {
        for (var i = 0; i < 300; i++)
            _h.Api.Create(ForwarderHarness.Node($"node-{i:D3}"));
        await _h.StartAsync(c => c with { MaxPendingKeys = 10, Debounce = TimeSpan.FromMilliseconds(20) }, waitForSync: false); // the sync needs the buffer to drain

        var keys = Keys(await _h.DrainAsync());

        Assert.Equal(300, keys.Length);
        Assert.Equal(300, keys.Distinct().Count());
    }

    [Fact]
    public void Configuration_comes_from_the_environment_and_names_a_bad_value()
    {
        var env = new Dictionary<string, string>
        {
            ["QUEUE_URL"] = "https://sqs.eu-west-1.amazonaws.com/1/work.fifo",
            ["KUBERNETES_SERVICE_HOST"] = "10.100.0.1",
            ["KUBERNETES_SERVICE_PORT"] = "443",
            ["WATCH_NAMESPACES"] = "a, b",
            ["DEBOUNCE_MS"] = "250",
            ["AWS_REGION"] = "eu-west-1",
        };

        var config = ForwarderConfig.FromEnvironment(env.GetValueOrDefault);

        Assert.Equal(new Uri("https://10.100.0.1:443"), config.ApiServer);
        Assert.Equal(["a", "b"], config.Namespaces);
        Assert.Equal(TimeSpan.FromMilliseconds(250), config.Debounce);
        Assert.Equal("eu-west-1", config.Region);
        Assert.Equal("alb", config.IngressClass);
        env["DEBOUNCE_MS"] = "soon";
        Assert.Contains("DEBOUNCE_MS=soon", Assert.Throws<InvalidOperationException>(() => ForwarderConfig.FromEnvironment(env.GetValueOrDefault)).Message, StringComparison.Ordinal);
        env.Remove("QUEUE_URL");
        Assert.Contains("QUEUE_URL", Assert.Throws<InvalidOperationException>(() => ForwarderConfig.FromEnvironment(env.GetValueOrDefault)).Message, StringComparison.Ordinal);
    }
}
