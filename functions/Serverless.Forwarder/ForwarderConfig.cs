using System.Globalization;
using System.Net;

namespace Serverless.Forwarder;

/// <summary>The forwarder's settings, all from environment variables (see infra/forwarder/README.md).</summary>
public sealed record ForwarderConfig
{
    /// <summary><c>QUEUE_URL</c>: the SQS FIFO queue (required).</summary>
    public required string QueueUrl { get; init; }

    /// <summary><c>AWS_REGION</c>; null: the SDK's resolution.</summary>
    public string? Region { get; init; }

    /// <summary><c>CLUSTER_NAME</c>: only for logs and metrics labels.</summary>
    public string ClusterName { get; init; } = "";

    /// <summary>The API server URL: <c>KUBE_API_URL</c>, else <c>https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT</c>.</summary>
    public required Uri ApiServer { get; init; }

    /// <summary><c>KUBE_TOKEN_FILE</c>: bearer token file, re-read every minute (projected tokens rotate). Default: the service account's.</summary>
    public string? TokenFile { get; init; }

    /// <summary><c>KUBE_TOKEN</c>: a fixed bearer token (local runs).</summary>
    public string? Token { get; init; }

    /// <summary><c>KUBE_CA_FILE</c>: the CA bundle trusted for the API server. Default: the service account's.</summary>
    public string? CaFile { get; init; }

    /// <summary><c>WATCH_NAMESPACES</c>: comma-separated; unset or empty: all namespaces.</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    /// <summary><c>INGRESS_CLASS</c>: the class name this controller serves (default <c>alb</c>).</summary>
    public string IngressClass { get; init; } = "alb";

    /// <summary><c>DEBOUNCE_MS</c>: a key is sent this long after its first change, and never sooner than this after its last send.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary><c>MAX_PENDING_KEYS</c>: distinct keys buffered before the watch loops wait (backpressure).</summary>
    public int MaxPendingKeys { get; init; } = 20_000;

    /// <summary><c>SEND_CONCURRENCY</c>: SendMessageBatch calls in flight.</summary>
    public int SendConcurrency { get; init; } = 4;

    /// <summary><c>WATCH_IDLE_TIMEOUT_SECONDS</c>: a watch that sends nothing (not even a bookmark) this long is reconnected.</summary>
    public TimeSpan WatchIdleTimeout { get; init; } = TimeSpan.FromSeconds(150);

    /// <summary><c>WATCH_TIMEOUT_SECONDS</c>: server-side watch timeout asked for (the watch is resumed afterwards).</summary>
    public int WatchTimeoutSeconds { get; init; } = 600;

    /// <summary><c>LIST_PAGE_SIZE</c>: objects per list page.</summary>
    public int ListPageSize { get; init; } = 250;

    /// <summary><c>HTTP_PORT</c>: /healthz, /readyz, /metrics (0: a free port, for tests).</summary>
    public int HttpPort { get; init; } = 8080;

    /// <summary>
    /// <c>HTTP_ADDRESS</c>: the address the status endpoint binds. Null (unset): <c>[::]</c> dual-stack (IPv4 and IPv6
    /// probes), or <c>0.0.0.0</c> when the host has no IPv6.
    /// </summary>
    public IPAddress? HttpAddress { get; init; }

    /// <summary><c>HTTP_MAX_CONNECTIONS</c>: status connections served at once; more are closed at once (and counted).</summary>
    public int HttpMaxConnections { get; init; } = 16;

    /// <summary><c>HTTP_READ_TIMEOUT_SECONDS</c>: a status request must arrive whole (request line and headers) within this.</summary>
    public TimeSpan HttpReadTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <c>API_UNREACHABLE_SECONDS</c>: /readyz answers 503 once a kind's list or watch has failed (unreachable, timed
    /// out, or an error answer) for longer than this without a success in between.
    /// </summary>
    public TimeSpan ApiUnreachableTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary><c>SHUTDOWN_FLUSH_SECONDS</c>: how long SIGTERM waits for pending keys to be sent.</summary>
    public TimeSpan ShutdownFlush { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary><c>LOG_LEVEL</c>: debug, info (default), warn, error.</summary>
    public string LogLevel { get; init; } = "info";

    /// <summary>Builds the settings from environment variables; throws <see cref="InvalidOperationException"/> naming a bad one.</summary>
    public static ForwarderConfig FromEnvironment(Func<string, string?>? lookup = null)
    {
        lookup ??= Environment.GetEnvironmentVariable;
        string? Get(string name) => lookup(name) is { Length: > 0 } value ? value.Trim() : null;
        int Int(string name, int fallback, int min) =>
            Get(name) is not { } text ? fallback
            : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min ? v
            : throw new InvalidOperationException($"{name}={text}: expected an integer >= {min}");

        IPAddress? Address(string name) =>
            Get(name) is not { } text ? null
            : IPAddress.TryParse(text.TrimStart('[').TrimEnd(']'), out var address) ? address
            : throw new InvalidOperationException($"{name}={text}: expected an IP address (e.g. :: or 0.0.0.0)");

        const string ServiceAccount = "/var/run/secrets/kubernetes.io/serviceaccount/";
        var url = Get("KUBE_API_URL");
        if (url is null)
        {
            var host = Get("KUBERNETES_SERVICE_HOST") ?? throw new InvalidOperationException("KUBE_API_URL or KUBERNETES_SERVICE_HOST must be set");
            var port = Get("KUBERNETES_SERVICE_PORT") ?? "443";
            url = $"https://{(host.Contains(':', StringComparison.Ordinal) ? "[" + host + "]" : host)}:{port}";
        }
        var token = Get("KUBE_TOKEN");
        return new ForwarderConfig
        {
            QueueUrl = Get("QUEUE_URL") ?? throw new InvalidOperationException("QUEUE_URL must be set"),
            Region = Get("AWS_REGION") ?? Get("AWS_DEFAULT_REGION"),
            ClusterName = Get("CLUSTER_NAME") ?? "",
            ApiServer = new Uri(url.TrimEnd('/')),
            Token = token,
            TokenFile = Get("KUBE_TOKEN_FILE") ?? (token is null && File.Exists(ServiceAccount + "token") ? ServiceAccount + "token" : null),
            CaFile = Get("KUBE_CA_FILE") ?? (File.Exists(ServiceAccount + "ca.crt") ? ServiceAccount + "ca.crt" : null),
            Namespaces = [.. (Get("WATCH_NAMESPACES") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
            IngressClass = Get("INGRESS_CLASS") ?? "alb",
            Debounce = TimeSpan.FromMilliseconds(Int("DEBOUNCE_MS", 300, 0)),
            MaxPendingKeys = Int("MAX_PENDING_KEYS", 20_000, 10),
            SendConcurrency = Int("SEND_CONCURRENCY", 4, 1),
            WatchIdleTimeout = TimeSpan.FromSeconds(Int("WATCH_IDLE_TIMEOUT_SECONDS", 150, 1)),
            WatchTimeoutSeconds = Int("WATCH_TIMEOUT_SECONDS", 600, 1),
            ListPageSize = Int("LIST_PAGE_SIZE", 250, 1),
            HttpPort = Int("HTTP_PORT", 8080, 0),
            HttpAddress = Address("HTTP_ADDRESS"),
            HttpMaxConnections = Int("HTTP_MAX_CONNECTIONS", 16, 1),
            HttpReadTimeout = TimeSpan.FromSeconds(Int("HTTP_READ_TIMEOUT_SECONDS", 5, 1)),
            ApiUnreachableTimeout = TimeSpan.FromSeconds(Int("API_UNREACHABLE_SECONDS", 60, 1)),
            ShutdownFlush = TimeSpan.FromSeconds(Int("SHUTDOWN_FLUSH_SECONDS", 20, 0)),
            LogLevel = Get("LOG_LEVEL") ?? "info",
        };
    }
}
