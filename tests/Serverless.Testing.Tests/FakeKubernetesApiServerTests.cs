using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Serverless.Testing.FakeKubernetes;

namespace Serverless.Testing.Tests;

public sealed class FakeKubernetesApiServerTests : IAsyncLifetime
{
    private const string Ingresses = "/apis/networking.k8s.io/v1/namespaces/default/ingresses";
    private FakeKubernetesApiServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeKubernetesApiServer.StartAsync(new FakeKubernetesOptions { BookmarkInterval = TimeSpan.FromMilliseconds(200) });
        _http = new HttpClient { BaseAddress = new Uri(_server.Url), Timeout = TimeSpan.FromSeconds(20) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private static string Ingress(string name, string? rv = null, string finalizers = "[]") =>
        "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"default\",\"labels\":{\"app\":\"" + name
        + "\"},\"finalizers\":" + finalizers + (rv is null ? "" : ",\"resourceVersion\":\"" + rv + "\"") + "},\"spec\":{\"ingressClassName\":\"alb\"}}";

    private async Task<(HttpStatusCode Code, JsonObject Body)> SendAsync(HttpMethod method, string path, string? body = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue(contentType));
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    [Fact]
    public async Task Create_get_list_and_the_cluster_wide_resource_version_increase_together()
    {
        var (created, a) = await SendAsync(HttpMethod.Post, Ingresses, Ingress("a"));
        var (_, b) = await SendAsync(HttpMethod.Post, Ingresses, Ingress("b"));
        var (duplicate, status) = await SendAsync(HttpMethod.Post, Ingresses, Ingress("a"));
        _server.Create("""{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}""");

        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Equal(HttpStatusCode.Conflict, duplicate);
        Assert.Equal("AlreadyExists", status["reason"]!.GetValue<string>());
        Assert.True(long.Parse(b["metadata"]!["resourceVersion"]!.GetValue<string>()) > long.Parse(a["metadata"]!["resourceVersion"]!.GetValue<string>()));
        var (_, list) = await SendAsync(HttpMethod.Get, Ingresses + "?labelSelector=app%3Db");
        Assert.Equal("IngressList", list["kind"]!.GetValue<string>());
        Assert.Equal(_server.ResourceVersion.ToString(), list["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal("b", Assert.Single(list["items"]!.AsArray())!["metadata"]!["name"]!.GetValue<string>());
        var (_, all) = await SendAsync(HttpMethod.Get, "/apis/networking.k8s.io/v1/ingresses");
        Assert.Equal(2, all["items"]!.AsArray().Count);
        var (found, node) = await SendAsync(HttpMethod.Get, "/api/v1/nodes/n1");
        Assert.Equal(HttpStatusCode.OK, found);
        Assert.Equal("Node", node["kind"]!.GetValue<string>());
        var (missing, _) = await SendAsync(HttpMethod.Get, "/api/v1/nodes/n2");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Equal(2, _server.CountRequests("list", "ingresses"));
    }

    [Fact]
    public async Task Update_with_a_stale_resource_version_conflicts_and_status_is_a_separate_subresource()
    {
        var (_, created) = await SendAsync(HttpMethod.Post, Ingresses, Ingress("a"));
        var rv = created["metadata"]!["resourceVersion"]!.GetValue<string>();

        var withStatus = JsonNode.Parse(Ingress("a", rv))!.AsObject();
        withStatus["spec"]!["ingressClassName"] = "other";
        withStatus["status"] = JsonNode.Parse("""{"loadBalancer":{"ingress":[{"hostname":"x"}]}}""");
        var (ok, updated) = await SendAsync(HttpMethod.Put, Ingresses + "/a", withStatus.ToJsonString());
        var (conflict, status) = await SendAsync(HttpMethod.Put, Ingresses + "/a", Ingress("a", rv));
        var (statusOk, afterStatus) = await SendAsync(HttpMethod.Put, Ingresses + "/a/status", withStatus.ToJsonString().Replace($"\"{rv}\"", "\"\"", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Null(updated["status"]); // the main resource ignores status
        Assert.Equal(HttpStatusCode.Conflict, conflict);
        Assert.Equal(409, status["code"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, statusOk);
        Assert.Equal("x", afterStatus["status"]!["loadBalancer"]!["ingress"]![0]!["hostname"]!.GetValue<string>());
    }

    [Fact]
    public async Task Merge_and_JSON_patches_apply_and_a_patch_with_a_stale_resource_version_conflicts()
    {
        await SendAsync(HttpMethod.Post, Ingresses, Ingress("a"));

        var (_, merged) = await SendAsync(HttpMethod.Patch, Ingresses + "/a", """{"metadata":{"labels":{"app":null,"tier":"web"}}}""", "application/merge-patch+json");
        var (_, patched) = await SendAsync(HttpMethod.Patch, Ingresses + "/a", """[{"op":"add","path":"/metadata/finalizers/-","value":"ingress.k8s.aws/resources"}]""", "application/json-patch+json");
        var (_, strategic) = await SendAsync(HttpMethod.Patch, Ingresses + "/a/status", """{"status":{"loadBalancer":{"ingress":[{"hostname":"h"}]}}}""", "application/strategic-merge-patch+json");
        var (conflict, _) = await SendAsync(HttpMethod.Patch, Ingresses + "/a", """{"metadata":{"resourceVersion":"1"}}""", "application/merge-patch+json");

        Assert.Null(merged["metadata"]!["labels"]!["app"]);
        Assert.Equal("web", merged["metadata"]!["labels"]!["tier"]!.GetValue<string>());
        Assert.Equal("ingress.k8s.aws/resources", patched["metadata"]!["finalizers"]![0]!.GetValue<string>());
        Assert.Equal("h", strategic["status"]!["loadBalancer"]!["ingress"]![0]!["hostname"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, conflict);
    }

    [Fact]
    public async Task Delete_with_finalizers_only_marks_the_object_until_the_last_finalizer_goes()
    {
        await SendAsync(HttpMethod.Post, Ingresses, Ingress("a", finalizers: """["ingress.k8s.aws/resources"]"""));

        var (_, marked) = await SendAsync(HttpMethod.Delete, Ingresses + "/a");
        var (stillThere, _) = await SendAsync(HttpMethod.Get, Ingresses + "/a");
        await SendAsync(HttpMethod.Patch, Ingresses + "/a", """{"metadata":{"finalizers":null}}""", "application/merge-patch+json");
        var (gone, _) = await SendAsync(HttpMethod.Get, Ingresses + "/a");

        Assert.NotNull(marked["metadata"]!["deletionTimestamp"]);
        Assert.Equal(HttpStatusCode.OK, stillThere);
        Assert.Equal(HttpStatusCode.NotFound, gone);
    }

    [Fact]
    public async Task Events_are_created_in_both_event_APIs()
    {
        var (core, _) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/events", """{"metadata":{"generateName":"a."},"reason":"SuccessfullyReconciled","message":"ok","involvedObject":{"kind":"Ingress","name":"a"}}""");
        var (events, created) = await SendAsync(HttpMethod.Post, "/apis/events.k8s.io/v1/namespaces/default/events", """{"metadata":{"name":"a.1"},"reason":"Failed","note":"x","regarding":{"kind":"Ingress","name":"a"}}""");

        Assert.Equal(HttpStatusCode.Created, core);
        Assert.Equal(HttpStatusCode.Created, events);
        Assert.Equal("events.k8s.io/v1", created["apiVersion"]!.GetValue<string>());
        Assert.Single(_server.List("v1", "Event", "default"));
    }

    [Fact]
    public async Task A_missing_CRD_answers_404_and_discovery_lists_served_resources()
    {
        _server.UnregisterResource("elbv2.k8s.aws", "v1beta1", "ingressclassparams");

        var (missing, _) = await SendAsync(HttpMethod.Get, "/apis/elbv2.k8s.aws/v1beta1/ingressclassparams");
        var (_, discovery) = await SendAsync(HttpMethod.Get, "/apis/networking.k8s.io/v1");

        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Contains(discovery["resources"]!.AsArray(), r => r!["name"]!.GetValue<string>() == "ingresses");
    }

    [Fact]
    public async Task Watch_streams_history_after_the_given_version_then_live_events_and_bookmarks()
    {
        var a = _server.Create(Ingress("a"));
        var from = a["metadata"]!["resourceVersion"]!.GetValue<string>();
        _server.Create(Ingress("b"));

        using var stream = await OpenWatchAsync($"{Ingresses}?watch=true&resourceVersion={from}&allowWatchBookmarks=true");
        _server.Mutate("networking.k8s.io/v1", "Ingress", "default", "a", o => o["spec"]!["ingressClassName"] = "other");
        _server.Delete("networking.k8s.io/v1", "Ingress", "default", "b");

        Assert.Equal(("ADDED", "b"), await NextEventAsync(stream));
        Assert.Equal(("MODIFIED", "a"), await NextEventAsync(stream));
        Assert.Equal(("DELETED", "b"), await NextEventAsync(stream));
        var (type, _) = await NextEventAsync(stream);
        Assert.Equal("BOOKMARK", type);
    }

    [Fact]
    public async Task Watch_from_a_compacted_version_gets_an_ERROR_event_with_410()
    {
        var a = _server.Create(Ingress("a"));
        _server.Create(Ingress("b"));
        _server.CompactHistory();

        using var stream = await OpenWatchAsync($"{Ingresses}?watch=true&resourceVersion={a["metadata"]!["resourceVersion"]}");
        var line = JsonNode.Parse((await stream.ReadLineAsync())!)!;

        Assert.Equal("ERROR", line["type"]!.GetValue<string>());
        Assert.Equal(410, line["object"]!["code"]!.GetValue<int>());
        Assert.Equal("Expired", line["object"]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Hooks_drop_stall_and_expire_open_watches_and_inject_failures()
    {
        using (var dropped = await OpenWatchAsync($"{Ingresses}?watch=true"))
        {
            await _server.WaitForWatchesAsync(1);
            Assert.Equal(1, _server.DropWatches());
            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                if (await dropped.ReadLineAsync() is null)
                    throw new IOException("ended");
            });
        }

        using (var stalled = await OpenWatchAsync($"{Ingresses}?watch=true&allowWatchBookmarks=true"))
        {
            await _server.WaitForWatchesAsync(1);
            _server.StallWatches();
            _server.Create(Ingress("a"));
            var read = stalled.ReadLineAsync();
            Assert.NotSame(read, await Task.WhenAny(read, Task.Delay(700)));
            _server.DropWatches();
        }

        using (var expired = await OpenWatchAsync($"{Ingresses}?watch=true&resourceVersion={_server.ResourceVersion}"))
        {
            await _server.WaitForWatchesAsync(1);
            _server.ExpireWatches();
            Assert.Equal(410, JsonNode.Parse((await expired.ReadLineAsync())!)!["object"]!["code"]!.GetValue<int>());
            Assert.Null(await expired.ReadLineAsync());
        }

        _server.FailNext(2, 500, r => r.Verb == "list");
        Assert.Equal(HttpStatusCode.InternalServerError, (await SendAsync(HttpMethod.Get, Ingresses)).Code);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, Ingresses + "/a")).Code);
        Assert.Equal(HttpStatusCode.InternalServerError, (await SendAsync(HttpMethod.Get, Ingresses)).Code);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, Ingresses)).Code);
        Assert.Equal(3, _server.CountRequests("list", "ingresses"));
        Assert.Equal(3, _server.CountRequests("watch"));
    }

    [Fact]
    public async Task Forbid_answers_403_with_the_RBAC_message_for_that_call_only_and_the_request_is_still_recorded()
    {
        _server.Create("""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"oidc","namespace":"team"}}""");
        _server.Create("""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"other","namespace":"team"}}""");
        _server.Forbid("get", "", "secrets", "team", "oidc", user: "arn:aws:sts::123456789012:assumed-role/lambda/fn");

        var (code, body) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/team/secrets/oidc");

        Assert.Equal(HttpStatusCode.Forbidden, code);
        Assert.Equal("Forbidden", body["reason"]!.GetValue<string>());
        Assert.Equal(
            "secrets \"oidc\" is forbidden: User \"arn:aws:sts::123456789012:assumed-role/lambda/fn\" cannot get resource \"secrets\" in API group \"\" in the namespace \"team\"",
            body["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "/api/v1/namespaces/team/secrets/other")).Code);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "/api/v1/namespaces/team/secrets")).Code); // list is another verb
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Get, "/api/v1/namespaces/team/secrets/oidc")).Code); // for good, not once
        var recorded = _server.Requests.Where(static r => r.Plural == "secrets").Select(static r => (r.Verb, r.Resource!.Group, r.Namespace, r.Name)).ToList();
        Assert.Equal([("get", "", "team", "oidc"), ("get", "", "team", "other"), ("list", "", "team", null), ("get", "", "team", "oidc")], recorded);
    }

    private async Task<StreamReader> OpenWatchAsync(string path)
    {
        var response = await _http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new StreamReader(await response.Content.ReadAsStreamAsync());
    }

    private static async Task<(string Type, string? Name)> NextEventAsync(StreamReader stream)
    {
        var line = JsonNode.Parse((await stream.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(5)))!)!;
        return (line["type"]!.GetValue<string>(), line["object"]!["metadata"]!["name"]?.GetValue<string>());
    }
}
