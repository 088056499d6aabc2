using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Web;

namespace Serverless.Testing;

/// <summary>What a <see cref="FaultRule"/> does to a matching request.</summary>
public enum FaultKind
{
    /// <summary>
    /// Answer HTTP 400 with the service's throttling error: <c>Throttling</c> (Query services), <c>RequestLimitExceeded</c>
    /// (EC2, in EC2's own error format) or <c>ThrottlingException</c> (JSON services).
    /// </summary>
    Throttle,

    /// <summary>Answer HTTP 500 <c>InternalFailure</c>.</summary>
    ServerError,

    /// <summary>Answer HTTP 503 <c>ServiceUnavailable</c>.</summary>
    ServiceUnavailable,

    /// <summary>Fail as a timed-out attempt would (the HTTP call is cancelled by a timeout).</summary>
    Timeout,

    /// <summary>Fail as a reset connection would (<see cref="HttpRequestException"/> over an <see cref="IOException"/>).</summary>
    ConnectionReset,

    /// <summary>Wait <see cref="FaultRule.Latency"/>, then send the request on unchanged.</summary>
    Latency,

    /// <summary>Send the request on, but answer with HTTP 500 after the service has applied it (a lost response).</summary>
    LoseResponse,
}

/// <summary>
/// One fault: requests of <see cref="Operation"/> (null: any) are hit by <see cref="Kind"/> — the first
/// <see cref="Times"/> matching ones, each with <see cref="Probability"/> — after skipping the first <see cref="Skip"/>.
/// </summary>
public sealed record FaultRule(string? Operation, FaultKind Kind)
{
    /// <summary>How many matching requests are hit at most. Default: all of them.</summary>
    public int Times { get; init; } = int.MaxValue;

    /// <summary>How many matching requests pass untouched before the rule starts hitting. Default 0.</summary>
    public int Skip { get; init; }

    /// <summary>The chance that a matching request is hit (drawn from the handler's seeded random). Default 1.</summary>
    public double Probability { get; init; } = 1.0;

    /// <summary>The delay of <see cref="FaultKind.Latency"/>.</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>Only operations for which this returns true match (in addition to <see cref="Operation"/>). Null: all.</summary>
    public Func<string, bool>? Filter { get; init; }

    internal int Seen;
    internal int Hits;
}

/// <summary>
/// "Crash after the k-th mutating call": shared by every handler of a test (ELBv2 and EC2 alike). Once
/// <see cref="MutatingCallsAllowed"/> mutating requests (anything but Describe*/Get*/List*) have gone through, every
/// further request fails with a non-retryable <c>InjectedCrash</c> error, as if the process had died there.
/// </summary>
public sealed class CrashSwitch
{
    private int _seen;

    /// <summary>Mutating calls that pass before the crash; null: never crash.</summary>
    public int? MutatingCallsAllowed { get; set; }

    /// <summary>Mutating requests seen so far (passed or not).</summary>
    public int MutatingCalls => Volatile.Read(ref _seen);

    /// <summary>True once a request was failed.</summary>
    public bool Crashed { get; private set; }

    /// <summary>True for an operation that changes state.</summary>
    public static bool IsMutating(string operation) =>
        !(operation.StartsWith("Describe", StringComparison.Ordinal) || operation.StartsWith("Get", StringComparison.Ordinal)
          || operation.StartsWith("List", StringComparison.Ordinal) || operation == "Unknown");

    internal bool ShouldFail(string operation)
    {
        lock (this)
        {
            if (MutatingCallsAllowed is { } allowed && (Crashed || (IsMutating(operation) && _seen >= allowed)))
            {
                Crashed = true;
                return true;
            }
            if (IsMutating(operation))
                _seen++;
            return false;
        }
    }

    /// <summary>Disarms the switch and forgets the count.</summary>
    public void Reset()
    {
        lock (this)
        {
            MutatingCallsAllowed = null;
            Crashed = false;
            _seen = 0;
        }
    }
}

/// <summary>
/// A delegating HTTP handler placed under an AWS client (<see cref="Serverless.Aws.Core.AwsClientOptions.HttpHandlerWrapper"/>)
/// that returns throttling, 5xx, timeouts, resets or latency for chosen operations, and records every attempt.
/// Understands the Query protocol (<c>Action=</c> form field, XML errors), EC2's variant of it (<c>Version=2016-11-15</c>,
/// <c>&lt;Response&gt;&lt;Errors&gt;</c> errors) and the JSON protocol (<c>X-Amz-Target</c> header, JSON errors with the
/// <c>x-amzn-query-error</c> header of Query-compatible services) so it serves ELBv2, Auto Scaling, EC2 and SQS alike.
/// </summary>
public sealed class FaultInjectionHandler : DelegatingHandler
{
    private const string Ec2ApiVersion = "2016-11-15";
    private readonly List<FaultRule> _rules = [];
    private readonly ConcurrentQueue<string> _attempts = new();
    private readonly Random _random;

    /// <summary>A handler over <paramref name="inner"/>; <paramref name="seed"/> makes probabilistic rules repeatable.</summary>
    public FaultInjectionHandler(HttpMessageHandler inner, int seed = 1)
        : base(inner)
    {
        _random = new Random(seed);
    }

    /// <summary>The crash switch consulted before every request; null: none.</summary>
    public CrashSwitch? Crash { get; set; }

    /// <summary>Every attempt seen, in order, by operation name (faulted or not).</summary>
    public IReadOnlyList<string> Attempts => [.. _attempts];

    /// <summary>How many attempts of <paramref name="operation"/> were seen.</summary>
    public int AttemptsOf(string operation) => _attempts.Count(a => a == operation);

    /// <summary>Adds a rule; rules are tried in the order added and the first that hits wins.</summary>
    public FaultInjectionHandler Add(FaultRule rule)
    {
        lock (_rules)
            _rules.Add(rule);
        return this;
    }

    /// <summary>Removes every rule.</summary>
    public void Clear()
    {
        lock (_rules)
            _rules.Clear();
    }

    /// <summary>How many requests <paramref name="rule"/> has hit.</summary>
    public static int HitsOf(FaultRule rule) => Volatile.Read(ref rule.Hits);

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var (operation, protocol) = await IdentifyAsync(request, cancellationToken).ConfigureAwait(false);
        _attempts.Enqueue(operation);
        if (Crash?.ShouldFail(operation) == true)
            return Error(HttpStatusCode.BadRequest, "InjectedCrash", $"injected crash before {operation}", protocol);
        var rule = Pick(operation);
        switch (rule?.Kind)
        {
            case null:
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            case FaultKind.Latency:
                await Task.Delay(rule.Latency, cancellationToken).ConfigureAwait(false);
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            case FaultKind.Timeout:
                throw new TaskCanceledException($"injected timeout for {operation}", new TimeoutException($"injected timeout for {operation}"));
            case FaultKind.ConnectionReset:
                throw new HttpRequestException($"injected connection reset for {operation}", new IOException("Connection reset by peer"));
            case FaultKind.LoseResponse:
                using (await base.SendAsync(request, cancellationToken).ConfigureAwait(false))
                    return Error(HttpStatusCode.InternalServerError, "InternalFailure", $"injected lost response for {operation}", protocol);
            case FaultKind.Throttle:
                var throttling = protocol switch
                {
                    WireProtocol.Json => "ThrottlingException",
                    WireProtocol.Ec2 => "RequestLimitExceeded",
                    _ => "Throttling",
                };
                return Error(HttpStatusCode.BadRequest, throttling, "Rate exceeded", protocol);
            case FaultKind.ServerError:
                return Error(HttpStatusCode.InternalServerError, "InternalFailure", $"injected 500 for {operation}", protocol);
            case FaultKind.ServiceUnavailable:
                return Error(HttpStatusCode.ServiceUnavailable, "ServiceUnavailable", $"injected 503 for {operation}", protocol);
            default:
                throw new InvalidOperationException(rule.Kind.ToString());
        }
    }

    private FaultRule? Pick(string operation)
    {
        lock (_rules)
        {
            foreach (var rule in _rules)
            {
                if (rule.Operation is not null && rule.Operation != operation)
                    continue;
                if (rule.Filter is not null && !rule.Filter(operation))
                    continue;
                rule.Seen++;
                if (rule.Seen <= rule.Skip || rule.Hits >= rule.Times)
                    continue;
                if (rule.Probability < 1.0 && _random.NextDouble() >= rule.Probability)
                    continue;
                rule.Hits++;
                return rule;
            }
        }
        return null;
    }

    private static async Task<(string Operation, WireProtocol Protocol)> IdentifyAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Headers.TryGetValues("X-Amz-Target", out var targets))
        {
            var target = targets.First();
            return (target[(target.LastIndexOf('.') + 1)..], WireProtocol.Json);
        }
        if (request.Content is null)
            return ("Unknown", WireProtocol.Query);
        // Buffer the body so it can be read here and still be sent on.
        var bytes = await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var replacement = new ByteArrayContent(bytes);
        foreach (var header in request.Content.Headers)
            replacement.Headers.TryAddWithoutValidation(header.Key, header.Value);
        request.Content = replacement;
        var form = HttpUtility.ParseQueryString(Encoding.UTF8.GetString(bytes));
        return (form["Action"] ?? "Unknown", form["Version"] == Ec2ApiVersion ? WireProtocol.Ec2 : WireProtocol.Query);
    }

    private static HttpResponseMessage Error(HttpStatusCode status, string code, string message, WireProtocol protocol)
    {
        var response = new HttpResponseMessage(status);
        var fault = (int)status >= 500 ? "Receiver" : "Sender";
        if (protocol == WireProtocol.Json)
        {
            response.Content = new StringContent($"{{\"__type\":\"com.amazonaws.sqs#{code}\",\"message\":\"{message}\"}}", Encoding.UTF8, "application/x-amz-json-1.0");
            response.Headers.TryAddWithoutValidation("x-amzn-query-error", code + ";" + fault);
        }
        else if (protocol == WireProtocol.Ec2)
        {
            response.Content = new StringContent(
                $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>injected-fault</RequestID></Response>",
                Encoding.UTF8,
                "text/xml");
        }
        else
        {
            response.Content = new StringContent(
                $"<ErrorResponse><Error><Type>{fault}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>injected-fault</RequestId></ErrorResponse>",
                Encoding.UTF8,
                "text/xml");
        }
        response.Headers.TryAddWithoutValidation("x-amzn-RequestId", "injected-fault");
        return response;
    }
}

/// <summary>How a request is encoded, which decides how an injected error must look to be understood.</summary>
internal enum WireProtocol
{
    /// <summary>Query: form body, <c>&lt;ErrorResponse&gt;</c> errors (ELBv2, Auto Scaling).</summary>
    Query,

    /// <summary>EC2's Query variant: form body, <c>&lt;Response&gt;&lt;Errors&gt;</c> errors.</summary>
    Ec2,

    /// <summary>AWS JSON 1.0: <c>X-Amz-Target</c>, <c>{"__type": …}</c> errors (SQS).</summary>
    Json,
}
