using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Serverless.Functions.Wiring;
using Serverless.Lambda;

namespace Serverless.Functions.Webhook;

/// <summary>Configuration of the readiness-gate webhook (environment variables in Lambda).</summary>
public sealed partial record ReadinessGateWebhookOptions
{
    /// <summary>The path after the token: <c>https://&lt;function url&gt;/&lt;token&gt;/mutate-v1-pod</c>.</summary>
    public const string MutatePath = "mutate-v1-pod";

    /// <summary>The environment variable holding the path token.</summary>
    public const string TokenVariable = "WEBHOOK_PATH_TOKEN";

    /// <summary>
    /// The secret first path segment (<c>WEBHOOK_PATH_TOKEN</c>): at least 32 characters of <c>[A-Za-z0-9_-]</c>.
    /// The Function URL is public (the API server cannot sign requests); a request without it gets 404.
    /// </summary>
    public required string PathToken { get; init; }

    /// <summary>The options from the environment; a missing or weak token is an init error that does not echo it.</summary>
    public static ReadinessGateWebhookOptions FromContext(LambdaContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var token = context.Required(TokenVariable);
        if (!TokenPattern().IsMatch(token))
            throw new InvalidOperationException($"environment variable {TokenVariable} must be at least 32 characters of A-Z, a-z, 0-9, '_' and '-' (it has {token.Length} characters, value not shown)");
        return new ReadinessGateWebhookOptions { PathToken = token };
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{32,}$")]
    private static partial Regex TokenPattern();
}

/// <summary>
/// The pod readiness-gate webhook (upstream's <c>mpod.elbv2.k8s.aws</c>) behind a Lambda Function URL: the event is a
/// Function URL request (payload format 2.0), its body an <c>admission.k8s.io/v1</c> AdmissionReview; the answer is
/// the Function URL response (<c>statusCode</c>, <c>headers</c>, <c>body</c>) carrying the AdmissionReview response.
/// Stateless and patch-only: a Pod CREATE gets the target-health gates of <see cref="ReadinessGates"/> as a JSON
/// Patch; everything else is allowed unchanged.
/// <list type="bullet">
/// <item>Wrong path (no or another token): 404, nothing read, the path not logged.</item>
/// <item>A body that is not an AdmissionReview (not base64 when flagged, not JSON, other apiVersion or kind, no
/// <c>request.uid</c>): 400 with a message naming the field and value. The API server never sends one; to it a 400 is
/// a failed call, which the configuration's <c>failurePolicy: Ignore</c> admits.</item>
/// <item>The cluster cannot be read (API error, timeout): allowed without a patch and with a warning naming the
/// problem, so a webhook problem never blocks pod creation (the pod then has no gate, as upstream with Ignore).</item>
/// </list>
/// </summary>
public sealed class ReadinessGateWebhookFunction(IReadinessGateCluster cluster, ReadinessGateWebhookOptions options, LambdaContext context) : ILambdaFunction
{
    private const string ReviewApiVersion = "admission.k8s.io/v1";

    // A duplicate property is a parse error (JsonObject would otherwise throw on first access, past the validation).
    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false };
    private readonly byte[] _expectedPath = Encoding.UTF8.GetBytes("/" + options.PathToken + "/" + ReadinessGateWebhookOptions.MutatePath);

    /// <summary>The deployed function: the cluster from the environment like the other functions (EKS token), read-only.</summary>
    public static ReadinessGateWebhookFunction Create(LambdaContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = ReadinessGateWebhookOptions.FromContext(context);
        var api = LiveSeams.Connect(context, context.Required("CLUSTER_NAME"), context.Environment("AWS_REGION"));
        return new ReadinessGateWebhookFunction(new KubernetesReadinessGateCluster(api), options, context);
    }

    /// <inheritdoc />
    public async Task<byte[]> InvokeAsync(LambdaInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var response = await HandleAsync(invocation.Payload, cancellationToken).ConfigureAwait(false);
        return Encoding.UTF8.GetBytes(response.ToJsonString());
    }

    /// <summary>One Function URL request to its Function URL response.</summary>
    internal async Task<JsonObject> HandleAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        JsonObject request;
        try
        {
            request = JsonNode.Parse(payload.Span, documentOptions: Strict) as JsonObject ?? throw new JsonException("not a JSON object");
        }
        catch (JsonException ex)
        {
            return Http(400, $"the event is not a Function URL request (payload format 2.0): {ex.Message}");
        }
        var path = ReadinessGates.Text(request["rawPath"]) ?? "";
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(path), _expectedPath))
        {
            context.Logger.Warn("webhook request to an unknown path answered 404 (path not logged: it may hold a guess of the token)");
            return Http(404, "not found");
        }
        if (ReadinessGates.Text(request["requestContext"]?["http"]?["method"]) is { } method && method != "POST")
            return Http(405, $"method {method}: the webhook accepts POST only");

        var body = ReadinessGates.Text(request["body"]) ?? "";
        if (request["isBase64Encoded"] is JsonValue flag && flag.TryGetValue<bool>(out var encoded) && encoded)
        {
            try
            {
                body = Encoding.UTF8.GetString(Convert.FromBase64String(body));
            }
            catch (FormatException)
            {
                return Http(400, $"body: isBase64Encoded is true but the body is not base64 (starts with \"{Excerpt(body)}\")");
            }
        }
        var (review, problem) = ParseReview(body);
        if (review is null)
        {
            context.Logger.Warn("malformed AdmissionReview answered 400", ("problem", problem));
            return Http(400, problem!);
        }
        var answer = await ReviewAsync(review, cancellationToken).ConfigureAwait(false);
        var reviewResponse = new JsonObject
        {
            ["apiVersion"] = ReviewApiVersion,
            ["kind"] = "AdmissionReview",
            ["response"] = answer,
        };
        return Http(200, reviewResponse.ToJsonString(), "application/json");
    }

    /// <summary>The review's <c>request</c>, or why the body is not an <c>admission.k8s.io/v1</c> AdmissionReview.</summary>
    private static (JsonObject? Request, string? Problem) ParseReview(string body)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body, documentOptions: Strict);
        }
        catch (JsonException ex)
        {
            return (null, $"body: not JSON ({ex.Message})");
        }
        if (root is not JsonObject review)
            return (null, $"body: expected an AdmissionReview object, found {Excerpt(root?.ToJsonString() ?? "null")}");
        var apiVersion = ReadinessGates.Text(review["apiVersion"]);
        if (apiVersion != ReviewApiVersion)
            return (null, $"apiVersion \"{apiVersion}\": expected {ReviewApiVersion} (set admissionReviewVersions: [v1])");
        var kind = ReadinessGates.Text(review["kind"]);
        if (kind != "AdmissionReview")
            return (null, $"kind \"{kind}\": expected AdmissionReview");
        if (review["request"] is not JsonObject request)
            return (null, "request: missing (an AdmissionReview sent to a webhook carries request)");
        if (ReadinessGates.Text(request["uid"]) is not { Length: > 0 })
            return (null, $"request.uid: missing or empty (found {Excerpt(request["uid"]?.ToJsonString() ?? "nothing")})");
        return (request, null);
    }

    /// <summary>The AdmissionReview <c>response</c> for a well-formed <paramref name="request"/>: always allowed, maybe patched.</summary>
    private async Task<JsonObject> ReviewAsync(JsonObject request, CancellationToken cancellationToken)
    {
        var response = new JsonObject { ["uid"] = ReadinessGates.Text(request["uid"]), ["allowed"] = true };
        var kind = request["kind"];
        if (ReadinessGates.Text(kind?["group"]) is not (null or "") || ReadinessGates.Text(kind?["kind"]) != "Pod"
            || ReadinessGates.Text(request["operation"]) != "CREATE" || ReadinessGates.Text(request["subResource"]) is { Length: > 0 })
        {
            return response;
        }
        var ns = ReadinessGates.Text(request["namespace"]);
        if (request["object"] is not JsonObject pod || pod["spec"] is not JsonObject spec || string.IsNullOrEmpty(ns))
            return Warn(response, "readiness gates not injected: the Pod CREATE request has no namespace, object or object.spec");

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (pod["metadata"]?["labels"] is JsonObject podLabels)
        {
            foreach (var (key, value) in podLabels)
            {
                if (ReadinessGates.Text(value) is { } text)
                    labels[key] = text;
            }
        }
        var podName = ReadinessGates.Text(pod["metadata"]?["name"]) ?? ReadinessGates.Text(pod["metadata"]?["generateName"]) ?? "";
        IReadOnlyList<string> types;
        try
        {
            types = await ReadinessGates.ForPodAsync(cluster, ns, labels, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever went wrong (API error, missing RBAC, credentials for the EKS token, a timeout), the pod is admitted:
            // a webhook problem must not block pod creation. The log has the exception; the warning names the problem.
            context.Logger.Error("readiness gates not injected: the cluster could not be read", ex, ("namespace", ns), ("pod", podName));
            var why = ex is OperationCanceledException ? "the webhook ran out of time" : ex.Message;
            return Warn(response, $"readiness gates not injected into pod {ns}/{podName}: {why}");
        }
        var hadGates = spec["readinessGates"] is JsonArray;
        var gates = ReadinessGates.Inject(spec["readinessGates"] as JsonArray, types);
        if (gates is null)
            return response;
        var patch = ReadinessGates.Patch(hadGates, gates);
        response["patchType"] = "JSONPatch";
        response["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(patch.ToJsonString()));
        context.Logger.Info("readiness gates injected", ("namespace", ns), ("pod", podName), ("gates", string.Join(",", types)));
        return response;
    }

    private static JsonObject Warn(JsonObject response, string warning)
    {
        response["warnings"] = new JsonArray(warning);
        return response;
    }

    private static JsonObject Http(int status, string body, string contentType = "text/plain; charset=utf-8") => new()
    {
        ["statusCode"] = status,
        ["headers"] = new JsonObject { ["content-type"] = contentType },
        ["body"] = body,
        ["isBase64Encoded"] = false,
    };

    private static string Excerpt(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
