using System.Text;
using System.Text.Json.Nodes;
using k8s;
using Serverless.Functions.Webhook;
using Serverless.Kubernetes.Auth;
using Serverless.Lambda;
using Serverless.Testing;
using Serverless.Testing.FakeKubernetes;
using Serverless.Testing.Rbac;

namespace Serverless.Functions.Tests;

/// <summary>
/// The readiness-gate webhook end to end: a Function URL event carrying an AdmissionReview goes through the function's
/// handler, which reads TargetGroupBindings and Services from the fake API server; the JSON Patch it answers is
/// decoded and applied to the pod. Also the path token, malformed reviews, cluster failures, the runtime loop and the
/// webhook identity's RBAC.
/// </summary>
public sealed class ReadinessGateWebhookTests : IAsyncLifetime
{
    private const string Token = "s3cr3t-t0ken_0123456789abcdefghijklmnop";
    private const string Path = "/" + Token + "/mutate-v1-pod";
    private const string Gate = "target-health.elbv2.k8s.aws/web-tg";

    private FakeKubernetesApiServer _kube = null!;
    private Serverless.Kubernetes.Api.KubernetesApi _api = null!;
    private readonly CapturedOutput _output = new();

    public async Task InitializeAsync()
    {
        _kube = await FakeKubernetesApiServer.StartAsync();
        _api = KubernetesConnection.Create(new KubernetesClientConfiguration { Host = _kube.Url });
        _kube.Create("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"shop"},"spec":{"selector":{"app":"web"},"ports":[{"port":80,"targetPort":8080}]}}""");
        _kube.Create(Binding("web-tg", "web", "ip"));
    }

    public async Task DisposeAsync()
    {
        _api.Dispose();
        await _kube.DisposeAsync();
    }

    private ReadinessGateWebhookFunction Function() =>
        new(new KubernetesReadinessGateCluster(_api), new ReadinessGateWebhookOptions { PathToken = Token }, TestContext.Create(_output));

    [Fact]
    public async Task A_pod_selected_by_the_Service_of_an_ip_binding_gets_its_gate_as_a_JSON_patch()
    {
        var pod = Pod(new JsonObject { ["app"] = "web", ["tier"] = "front" });

        var (status, response) = await ReviewAsync(Review(pod));

        Assert.Equal(200, status);
        Assert.Equal("admission.k8s.io/v1", (string?)response["apiVersion"]);
        Assert.Equal("AdmissionReview", (string?)response["kind"]);
        Assert.Equal("705ab4f5-6393-11e8-b7cc-42010a800002", (string?)response["response"]!["uid"]);
        Assert.True((bool)response["response"]!["allowed"]!);
        Assert.Equal("JSONPatch", (string?)response["response"]!["patchType"]);
        var patch = Patch(response);
        Assert.Equal("add", (string?)patch[0]!["op"]); // the pod had no readinessGates
        Assert.Equal([Gate], Gates(JsonPatching.JsonPatch(pod.DeepClone(), patch)!));
        Assert.Contains(_output.Lines, l => l.Contains("readiness gates injected", StringComparison.Ordinal) && l.Contains(Gate, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_matching_ip_binding_adds_one_gate_and_instance_bindings_none()
    {
        _kube.Create(Binding("web-tg-2", "web", "ip"));
        _kube.Create(Binding("web-nodes", "web", "instance"));
        _kube.Create(Binding("untyped", "web", null));
        var pod = Pod(new JsonObject { ["app"] = "web" });

        var (_, response) = await ReviewAsync(Review(pod));

        Assert.Equal([Gate, "target-health.elbv2.k8s.aws/web-tg-2"], Gates(JsonPatching.JsonPatch(pod.DeepClone(), Patch(response))!).Order(StringComparer.Ordinal));
    }

    public static TheoryData<string, string> Untouched => new()
    {
        { "labels do not match the selector", """{"app":"api"}""" },
        { "only part of the selector matches", """{"tier":"front"}""" },
        { "no labels", "{}" },
    };

    [Theory]
    [MemberData(nameof(Untouched))]
    public async Task A_pod_the_Service_does_not_select_is_allowed_unchanged(string why, string labels)
    {
        var (status, response) = await ReviewAsync(Review(Pod(JsonNode.Parse(labels)!.AsObject())));

        Assert.Equal(200, status);
        AssertAllowedWithoutPatch(response, why);
    }

    [Theory]
    [InlineData("instance binding")]
    [InlineData("no binding")]
    [InlineData("binding in another namespace")]
    [InlineData("Service missing")]
    [InlineData("Service without selector")]
    [InlineData("CRD not installed")]
    public async Task A_namespace_without_a_usable_ip_binding_leaves_the_pod_unchanged(string setup)
    {
        _kube.Delete("elbv2.k8s.aws/v1beta1", "TargetGroupBinding", "shop", "web-tg");
        switch (setup)
        {
            case "instance binding":
                _kube.Create(Binding("web-nodes", "web", "instance"));
                break;
            case "binding in another namespace":
                _kube.Create("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"other"},"spec":{"selector":{"app":"web"}}}""");
                _kube.Create(Binding("web-tg", "web", "ip", "other"));
                break;
            case "Service missing":
                _kube.Create(Binding("web-tg", "gone", "ip"));
                break;
            case "Service without selector":
                _kube.Create("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"external","namespace":"shop"},"spec":{"ports":[{"port":80}]}}""");
                _kube.Create(Binding("web-tg", "external", "ip"));
                break;
            case "CRD not installed":
                _kube.UnregisterResource("elbv2.k8s.aws", "v1beta1", "targetgroupbindings");
                break;
        }

        var (status, response) = await ReviewAsync(Review(Pod(new JsonObject { ["app"] = "web" })));

        Assert.Equal(200, status);
        AssertAllowedWithoutPatch(response, setup);
        Assert.Null(response["response"]!["warnings"]);
    }

    [Fact]
    public async Task A_gate_the_pod_already_has_is_not_added_again()
    {
        var pod = Pod(new JsonObject { ["app"] = "web" });
        pod["spec"]!["readinessGates"] = new JsonArray(new JsonObject { ["conditionType"] = Gate });

        var (_, response) = await ReviewAsync(Review(pod));
        AssertAllowedWithoutPatch(response, "gate already there");

        // With a second binding only its gate is added; the existing one and the user's own gate stay once each.
        _kube.Create(Binding("web-tg-2", "web", "ip"));
        pod["spec"]!["readinessGates"]!.AsArray().Add(new JsonObject { ["conditionType"] = "example.com/warm" });
        (_, response) = await ReviewAsync(Review(pod));
        var patch = Patch(response);
        Assert.Equal("replace", (string?)patch[0]!["op"]);
        Assert.Equal([Gate, "example.com/warm", "target-health.elbv2.k8s.aws/web-tg-2"], Gates(JsonPatching.JsonPatch(pod.DeepClone(), patch)!));
    }

    [Fact]
    public async Task Legacy_gates_are_dropped_when_a_gate_applies_and_kept_otherwise()
    {
        var legacy = new JsonArray(
            new JsonObject { ["conditionType"] = "target-health.alb.ingress.k8s.aws/web_80_shop" },
            new JsonObject { ["conditionType"] = "example.com/warm" });
        var matching = Pod(new JsonObject { ["app"] = "web" });
        matching["spec"]!["readinessGates"] = legacy.DeepClone();
        var other = Pod(new JsonObject { ["app"] = "api" });
        other["spec"]!["readinessGates"] = legacy.DeepClone();

        var (_, replaced) = await ReviewAsync(Review(matching));
        var (_, untouched) = await ReviewAsync(Review(other));

        Assert.Equal(["example.com/warm", Gate], Gates(JsonPatching.JsonPatch(matching.DeepClone(), Patch(replaced))!));
        AssertAllowedWithoutPatch(untouched, "no binding applies");
    }

    [Theory]
    [InlineData("UPDATE", "Pod", "")]
    [InlineData("DELETE", "Pod", "")]
    [InlineData("CREATE", "Deployment", "apps")]
    [InlineData("CREATE", "Pod", "metrics.k8s.io")]
    public async Task Anything_but_a_Pod_CREATE_is_allowed_unchanged_without_reading_the_cluster(string operation, string kind, string group)
    {
        var review = Review(Pod(new JsonObject { ["app"] = "web" }));
        review["request"]!["operation"] = operation;
        review["request"]!["kind"] = new JsonObject { ["group"] = group, ["version"] = "v1", ["kind"] = kind };
        _kube.ClearRequests();

        var (_, response) = await ReviewAsync(review);

        AssertAllowedWithoutPatch(response, $"{operation} {kind}");
        Assert.Empty(RbacCall.Of(_kube.Requests));
    }

    [Fact]
    public async Task A_base64_encoded_body_is_decoded()
    {
        var pod = Pod(new JsonObject { ["app"] = "web" });
        var body = Convert.ToBase64String(Encoding.UTF8.GetBytes(Review(pod).ToJsonString()));

        var (status, response) = await InvokeAsync(Event(Path, body, base64: true));

        Assert.Equal(200, status);
        Assert.Equal([Gate], Gates(JsonPatching.JsonPatch(pod.DeepClone(), Patch(JsonNode.Parse(response)!.AsObject()))!));
    }

    public static TheoryData<string, bool, string> Malformed => new()
    {
        { "not json {", false, "body: not JSON" },
        { "[1,2]", false, "body: expected an AdmissionReview object, found [1,2]" },
        { """{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u"}}""", false, "apiVersion \"admission.k8s.io/v1beta1\": expected admission.k8s.io/v1" },
        { """{"kind":"AdmissionReview","request":{"uid":"u"}}""", false, "apiVersion \"\": expected admission.k8s.io/v1" },
        { """{"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{"uid":"u"}}""", false, "kind \"Pod\": expected AdmissionReview" },
        { """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}""", false, "request: missing" },
        { """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}""", false, "request.uid: missing or empty (found nothing)" },
        { """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":42}}""", false, "request.uid: missing or empty (found 42)" },
        { """{"apiVersion":"admission.k8s.io/v1","apiVersion":"v1","kind":"AdmissionReview","request":{"uid":"u"}}""", false, "body: not JSON" },
        { """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","uid":"v"}}""", false, "body: not JSON" },
        { "%%% not base64 %%%", true, "body: isBase64Encoded is true but the body is not base64 (starts with \"%%% not base64 %%%\")" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_malformed_review_gets_400_naming_the_field_and_value(string body, bool base64, string message)
    {
        var (status, response) = await InvokeAsync(Event(Path, body, base64));

        Assert.Equal(400, status);
        Assert.StartsWith(message, response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_event_that_is_not_a_Function_URL_request_gets_400()
    {
        var answer = JsonNode.Parse(await Function().InvokeAsync(TestContext.Invocation("not json"), CancellationToken.None))!;

        Assert.Equal(400, (int)answer["statusCode"]!);
        Assert.StartsWith("the event is not a Function URL request", (string?)answer["body"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/mutate-v1-pod")]
    [InlineData("/")]
    [InlineData("")]
    [InlineData("/s3cr3t-t0ken_0123456789abcdefghijklmnoq/mutate-v1-pod")]
    [InlineData("/" + Token + "/mutate-v1-pod/")]
    [InlineData("/" + Token + "/validate")]
    [InlineData("/" + Token)]
    public async Task Without_the_token_in_the_path_the_answer_is_404_and_nothing_is_read(string path)
    {
        _kube.ClearRequests();

        var (status, body) = await InvokeAsync(Event(path, Review(Pod(new JsonObject { ["app"] = "web" })).ToJsonString()));

        Assert.Equal(404, status);
        Assert.Equal("not found", body);
        Assert.Empty(RbacCall.Of(_kube.Requests));
        Assert.DoesNotContain(_output.Lines, l => l.Contains(Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Only_POST_is_accepted()
    {
        var request = Event(Path, Review(Pod(new JsonObject { ["app"] = "web" })).ToJsonString());
        request["requestContext"]!["http"]!["method"] = "GET";

        var (status, body) = await InvokeAsync(request);

        Assert.Equal(405, status);
        Assert.Equal("method GET: the webhook accepts POST only", body);
    }

    [Theory]
    [InlineData(500, "list", "targetgroupbindings")]
    [InlineData(403, "list", "targetgroupbindings")]
    [InlineData(500, "get", "services")]
    public async Task When_the_cluster_cannot_be_read_the_pod_is_allowed_without_a_gate_and_with_a_warning(int code, string verb, string plural)
    {
        _kube.FailNext(1, code, r => r.Verb == verb && r.Plural == plural);

        var (status, response) = await ReviewAsync(Review(Pod(new JsonObject { ["app"] = "web" })));

        Assert.Equal(200, status);
        AssertAllowedWithoutPatch(response, $"{verb} {plural} failed");
        var warning = Assert.Single(response["response"]!["warnings"]!.AsArray());
        Assert.StartsWith("readiness gates not injected into pod shop/web-", (string?)warning, StringComparison.Ordinal);
        Assert.Contains(code.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Any_other_failure_while_reading_the_cluster_allows_the_pod_with_a_warning()
    {
        var function = new ReadinessGateWebhookFunction(new BrokenCluster(), new ReadinessGateWebhookOptions { PathToken = Token }, TestContext.Create(_output));
        var answer = JsonNode.Parse(await function.InvokeAsync(
            TestContext.Invocation(Event(Path, Review(Pod(new JsonObject { ["app"] = "web" })).ToJsonString()).ToJsonString()), CancellationToken.None))!;

        Assert.Equal(200, (int)answer["statusCode"]!);
        var review = JsonNode.Parse((string)answer["body"]!)!.AsObject();
        AssertAllowedWithoutPatch(review, "credentials failed");
        Assert.Equal("readiness gates not injected into pod shop/web-7d4b9c-: no AWS credentials for the EKS token", (string?)review["response"]!["warnings"]![0]);
    }

    [Fact]
    public async Task Bindings_of_one_Service_read_it_once()
    {
        _kube.Create(Binding("web-tg-2", "web", "ip"));
        _kube.ClearRequests();

        var (_, response) = await ReviewAsync(Review(Pod(new JsonObject { ["app"] = "web" })));

        Assert.Equal(2, Gates(JsonPatching.JsonPatch(Pod(new JsonObject { ["app"] = "web" }), Patch(response))!).Count);
        Assert.Equal(1, _kube.CountRequests("get", "services"));
        Assert.Equal(1, _kube.CountRequests("list", "targetgroupbindings"));
    }

    private sealed class BrokenCluster : IReadinessGateCluster
    {
        public Task<IReadOnlyList<JsonObject>> ListTargetGroupBindingsAsync(string ns, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("no AWS credentials for the EKS token");

        public Task<k8s.Models.V1Service?> GetServiceAsync(string ns, string name, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("not reached");
    }

    [Fact]
    public async Task A_pod_CREATE_without_an_object_is_allowed_with_a_warning()
    {
        var review = Review(Pod(new JsonObject { ["app"] = "web" }));
        review["request"]!.AsObject().Remove("object");

        var (_, response) = await ReviewAsync(review);

        AssertAllowedWithoutPatch(response, "no object");
        Assert.Contains("no namespace, object or object.spec", (string?)response["response"]!["warnings"]![0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_deployed_function_answers_through_the_runtime_loop_with_its_identity_reading_only_what_its_RBAC_grants()
    {
        var kubeconfig = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"webhook-{Guid.NewGuid():N}.kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
              - name: fake
                cluster:
                  server: "{_kube.Url}"
            users:
              - name: webhook
                user:
                  token: t
            contexts:
              - name: fake
                context:
                  cluster: fake
                  user: webhook
            current-context: fake
            """);
        try
        {
            using var runtime = FakeLambdaRuntimeApi.Start();
            using var stop = new CancellationTokenSource();
            var environment = new Dictionary<string, string> { ["KUBECONFIG"] = kubeconfig, ["CLUSTER_NAME"] = "demo", [ReadinessGateWebhookOptions.TokenVariable] = Token };
            var loop = Task.Run(() => new LambdaRuntime(new RuntimeApiClient(runtime.HostAndPort), TestContext.Create(_output, environment: environment))
                .RunAsync(ReadinessGateWebhookFunction.Create, stop.Token));
            var pod = Pod(new JsonObject { ["app"] = "web" });
            _kube.ClearRequests();

            var result = await runtime.Invoke(Event(Path, Review(pod).ToJsonString()).ToJsonString()).WaitAsync(TimeSpan.FromSeconds(30));
            await stop.CancelAsync();

            Assert.False(result.IsError, result.Body);
            var answer = JsonNode.Parse(result.Body)!;
            Assert.Equal(200, (int)answer["statusCode"]!);
            Assert.Equal("application/json", (string?)answer["headers"]!["content-type"]);
            var review = JsonNode.Parse((string)answer["body"]!)!.AsObject();
            Assert.Equal([Gate], Gates(JsonPatching.JsonPatch(pod.DeepClone(), Patch(review))!));
            Assert.Equal(0, await loop.WaitAsync(TimeSpan.FromSeconds(10)));

            var grants = RbacGrant.Of(TypedManifests.Load(RepoPaths.Combine("infra", "eks-access", "webhook-rbac.yaml")), "Group", "serverless-lbc-webhook");
            Assert.Equal(["get /services", "list elbv2.k8s.aws/targetgroupbindings"], grants.Select(g => g.ToString()).Order(StringComparer.Ordinal));
            var (denied, unused) = RbacGrant.Compare(grants, RbacCall.Of(_kube.Requests));
            Assert.True(denied.Count == 0, "calls webhook-rbac.yaml does not grant: " + string.Join(", ", denied));
            Assert.True(unused.Count == 0, "grants the webhook never uses: " + string.Join(", ", unused));
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }

    [Theory]
    [InlineData(null, "environment variable WEBHOOK_PATH_TOKEN is required")]
    [InlineData("short", "environment variable WEBHOOK_PATH_TOKEN must be at least 32 characters of A-Z, a-z, 0-9, '_' and '-' (it has 5 characters, value not shown)")]
    [InlineData("this token has spaces and is long enough", "environment variable WEBHOOK_PATH_TOKEN must be at least 32 characters of A-Z, a-z, 0-9, '_' and '-' (it has 40 characters, value not shown)")]
    public void A_missing_or_weak_token_fails_the_init_without_echoing_it(string? token, string message)
    {
        var environment = new Dictionary<string, string>();
        if (token is not null)
            environment[ReadinessGateWebhookOptions.TokenVariable] = token;

        var ex = Assert.Throws<InvalidOperationException>(() => ReadinessGateWebhookOptions.FromContext(TestContext.Create(_output, environment: environment)));

        Assert.Equal(message, ex.Message);
    }

    // ---------------------------------------------------------------- helpers

    private async Task<(int Status, JsonObject Review)> ReviewAsync(JsonObject review)
    {
        var (status, body) = await InvokeAsync(Event(Path, review.ToJsonString()));
        Assert.True(status == 200, body);
        return (status, JsonNode.Parse(body)!.AsObject());
    }

    private async Task<(int Status, string Body)> InvokeAsync(JsonObject functionUrlEvent)
    {
        var bytes = await Function().InvokeAsync(TestContext.Invocation(functionUrlEvent.ToJsonString()), CancellationToken.None);
        var answer = JsonNode.Parse(bytes)!;
        Assert.False((bool)answer["isBase64Encoded"]!);
        return ((int)answer["statusCode"]!, (string)answer["body"]!);
    }

    /// <summary>A Function URL request (payload format 2.0) as Lambda hands it to the function.</summary>
    private static JsonObject Event(string rawPath, string body, bool base64 = false) => new()
    {
        ["version"] = "2.0",
        ["routeKey"] = "$default",
        ["rawPath"] = rawPath,
        ["rawQueryString"] = "timeout=10s",
        ["headers"] = new JsonObject { ["content-type"] = "application/json", ["host"] = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws" },
        ["requestContext"] = new JsonObject
        {
            ["domainName"] = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws",
            ["http"] = new JsonObject { ["method"] = "POST", ["path"] = rawPath, ["protocol"] = "HTTP/1.1", ["sourceIp"] = "203.0.113.7" },
        },
        ["body"] = body,
        ["isBase64Encoded"] = base64,
    };

    /// <summary>An AdmissionReview for a Pod CREATE in namespace shop, as the API server sends it.</summary>
    private static JsonObject Review(JsonObject pod) => new()
    {
        ["apiVersion"] = "admission.k8s.io/v1",
        ["kind"] = "AdmissionReview",
        ["request"] = new JsonObject
        {
            ["uid"] = "705ab4f5-6393-11e8-b7cc-42010a800002",
            ["kind"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["kind"] = "Pod" },
            ["resource"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["resource"] = "pods" },
            ["requestKind"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["kind"] = "Pod" },
            ["namespace"] = "shop",
            ["operation"] = "CREATE",
            ["userInfo"] = new JsonObject { ["username"] = "system:serviceaccount:kube-system:replicaset-controller" },
            ["object"] = pod.DeepClone(),
            ["dryRun"] = false,
            ["options"] = new JsonObject { ["apiVersion"] = "meta.k8s.io/v1", ["kind"] = "CreateOptions" },
        },
    };

    /// <summary>A pod from a ReplicaSet (generateName, no name or namespace yet, as at admission).</summary>
    private static JsonObject Pod(JsonObject labels) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["generateName"] = "web-7d4b9c-", ["labels"] = labels },
        ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "web", ["image"] = "nginx" }) },
    };

    private static string Binding(string name, string service, string? targetType, string ns = "shop")
    {
        var spec = new JsonObject
        {
            ["serviceRef"] = new JsonObject { ["name"] = service, ["port"] = 80 },
            ["targetGroupARN"] = $"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/{name}/0123456789abcdef",
        };
        if (targetType is not null)
            spec["targetType"] = targetType;
        return new JsonObject
        {
            ["apiVersion"] = "elbv2.k8s.aws/v1beta1",
            ["kind"] = "TargetGroupBinding",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["spec"] = spec,
        }.ToJsonString();
    }

    private static void AssertAllowedWithoutPatch(JsonObject review, string why)
    {
        var response = review["response"]!;
        Assert.True((bool)response["allowed"]!, why);
        Assert.True(response["patch"] is null && response["patchType"] is null, $"{why}: unexpected patch {response.ToJsonString()}");
    }

    /// <summary>The response's JSON Patch, decoded from base64.</summary>
    private static JsonArray Patch(JsonObject review)
    {
        var response = review["response"]!;
        Assert.Equal("JSONPatch", (string?)response["patchType"]);
        return JsonNode.Parse(Convert.FromBase64String((string)response["patch"]!))!.AsArray();
    }

    private static List<string> Gates(JsonNode pod) =>
        [.. pod["spec"]!["readinessGates"]!.AsArray().Select(g => (string)g!["conditionType"]!)];
}
