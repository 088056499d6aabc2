using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Serverless.Testing.FakeKubernetes;

namespace Serverless.Testing.Tests;

public sealed class StrategicMergePatchTests : IAsyncLifetime
{
    private const string Pods = "/api/v1/namespaces/default/pods";
    private const string StrategicMerge = "application/strategic-merge-patch+json";
    private FakeKubernetesApiServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeKubernetesApiServer.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_server.Url), Timeout = TimeSpan.FromSeconds(20) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public void Conditions_merge_by_type_so_other_conditions_stay_and_null_fields_are_removed()
    {
        var pod = JsonNode.Parse("""
            {"status":{"conditions":[
              {"type":"Ready","status":"False"},
              {"type":"target-health.elbv2.k8s.aws/tg","status":"False","reason":"Elb.RegistrationInProgress","message":"m"},
              {"type":"ContainersReady","status":"True"}]}}
            """);
        var patch = JsonNode.Parse("""{"status":{"conditions":[{"type":"target-health.elbv2.k8s.aws/tg","status":"True","reason":null,"message":null}]}}""");

        var conditions = JsonPatching.StrategicMergePatch(pod, patch)!["status"]!["conditions"]!.AsArray();

        Assert.Equal(["Ready", "target-health.elbv2.k8s.aws/tg", "ContainersReady"], conditions.Select(static c => c!["type"]!.GetValue<string>()));
        Assert.Equal("""{"type":"target-health.elbv2.k8s.aws/tg","status":"True"}""", conditions[1]!.ToJsonString());
    }

    [Fact]
    public void A_new_condition_type_is_appended_and_a_patch_delete_directive_removes_one()
    {
        var pod = JsonNode.Parse("""{"status":{"conditions":[{"type":"Ready","status":"True"},{"type":"Old","status":"True"}]}}""");
        var patch = JsonNode.Parse("""{"status":{"conditions":[{"type":"New","status":"False"},{"type":"Old","$patch":"delete"}]}}""");

        var conditions = JsonPatching.StrategicMergePatch(pod, patch)!["status"]!["conditions"]!.AsArray();

        Assert.Equal(["Ready", "New"], conditions.Select(static c => c!["type"]!.GetValue<string>()));
    }

    [Fact]
    public void A_list_without_a_merge_key_is_replaced_whole_as_in_a_merge_patch()
    {
        var target = JsonNode.Parse("""{"metadata":{"finalizers":["a","b"]}}""");
        var patch = JsonNode.Parse("""{"metadata":{"finalizers":["c"]}}""");

        Assert.Equal("""{"metadata":{"finalizers":["c"]}}""", JsonPatching.StrategicMergePatch(target, patch)!.ToJsonString());
    }

    [Fact]
    public async Task A_pod_status_patch_keeps_kubelet_conditions_and_a_uid_precondition_that_does_not_match_conflicts()
    {
        _server.Create("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default"},
             "status":{"conditions":[{"type":"Ready","status":"False"},{"type":"ContainersReady","status":"True"}]}}
            """);
        var uid = _server.Get("v1", "Pod", "default", "p")!["metadata"]!["uid"]!.GetValue<string>();

        var (ok, patched) = await PatchAsync(Pods + "/p/status",
            "{\"metadata\":{\"uid\":\"" + uid + "\"},\"status\":{\"conditions\":[{\"type\":\"target-health.elbv2.k8s.aws/tg\",\"status\":\"False\",\"reason\":\"Elb.RegistrationInProgress\"}]}}");
        var (stale, status) = await PatchAsync(Pods + "/p/status",
            """{"metadata":{"uid":"00000000-0000-0000-0000-000000000000"},"status":{"conditions":[{"type":"target-health.elbv2.k8s.aws/tg","status":"True"}]}}""");

        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal(["Ready", "ContainersReady", "target-health.elbv2.k8s.aws/tg"],
            patched["status"]!["conditions"]!.AsArray().Select(static c => c!["type"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Conflict, stale);
        Assert.Contains("Precondition failed: UID", status["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var stored = _server.Get("v1", "Pod", "default", "p")!["status"]!["conditions"]!.AsArray();
        Assert.Equal("False", stored[2]!["status"]!.GetValue<string>());
    }

    private async Task<(HttpStatusCode Code, JsonObject Body)> PatchAsync(string path, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, path) { Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue(StrategicMerge)) };
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }
}
