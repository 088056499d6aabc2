using System.Net;
using System.Text;
using System.Web;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Serverless.Testing.Continuity;

/// <summary>One mutating call that went through the proxy and succeeded: its operation and the resource it names.</summary>
public sealed record ProxiedCall(int Sequence, string Operation, string Resource)
{
    /// <inheritdoc />
    public override string ToString() => $"#{Sequence} {Operation} {Resource}";
}

/// <summary>
/// Simulated target health, for what moto cannot do: moto reports every registered target <c>healthy</c> at once (a
/// target group no rule uses included, where AWS says <c>unused</c>), so a wait for health would never wait. While
/// <see cref="HoldNewTargets"/> is on, every target registered through the proxy is reported <c>initial</c> (reason
/// <c>Elb.RegistrationInProgress</c>) until the test releases it — in the proxy's <c>DescribeTargetHealth</c> answers and
/// in what the <see cref="ContinuityChecker"/> reads. No clock is involved: health changes only when the test says so.
/// </summary>
public sealed class TargetHealthSimulation
{
    private readonly object _lock = new();
    private readonly HashSet<(string TargetGroupArn, string Id, int Port)> _held = [];

    /// <summary>When true, targets registered from now on are reported <c>initial</c> until released.</summary>
    public bool HoldNewTargets { get; set; }

    /// <summary>How many targets are held.</summary>
    public int HeldCount
    {
        get
        {
            lock (_lock)
                return _held.Count;
        }
    }

    /// <summary>Reports every held target <c>healthy</c> from now on.</summary>
    public void ReleaseAll()
    {
        lock (_lock)
            _held.Clear();
    }

    /// <summary>The state to report for a target that moto reports as <paramref name="motoState"/>.</summary>
    public string StateOf(string targetGroupArn, string id, int port, string motoState)
    {
        lock (_lock)
            return motoState == "healthy" && _held.Contains((targetGroupArn, id, port)) ? "initial" : motoState;
    }

    internal void Registered(string targetGroupArn, IEnumerable<(string Id, int Port)> targets)
    {
        if (!HoldNewTargets)
            return;
        lock (_lock)
        {
            foreach (var (id, port) in targets)
                _held.Add((targetGroupArn, id, port));
        }
    }
}

/// <summary>
/// A loopback HTTP proxy in front of moto: AWS clients that should be watched point at <see cref="Url"/>; every request
/// is sent on to moto unchanged. After a mutating call (any operation but Describe*/Get*/List*) has succeeded on moto,
/// and before its answer goes back to the client, <see cref="AfterMutation"/> runs — the client cannot make its next
/// call before the observer has seen the state this call left. <c>DescribeTargetHealth</c> answers pass through
/// <see cref="Health"/>.
/// </summary>
public sealed class ContinuityProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _moto;
    private readonly SemaphoreSlim _serial = new(1, 1);
    private int _sequence;

    private ContinuityProxy(WebApplication app, string motoEndpoint)
    {
        _app = app;
        _moto = new HttpClient { BaseAddress = new Uri(motoEndpoint.TrimEnd('/') + "/") };
    }

    /// <summary>The proxy's base URL (loopback, a free port).</summary>
    public string Url { get; private set; } = "";

    /// <summary>Simulated target health.</summary>
    public TargetHealthSimulation Health { get; } = new();

    /// <summary>Runs after each successful mutating call, before the client gets the answer. Null: nothing runs.</summary>
    public Func<ProxiedCall, Task>? AfterMutation { get; set; }

    /// <summary>Every successful mutating call so far.</summary>
    public List<ProxiedCall> Calls { get; } = [];

    /// <summary>Starts a proxy in front of <paramref name="motoEndpoint"/>.</summary>
    public static async Task<ContinuityProxy> StartAsync(string motoEndpoint)
    {
        ArgumentNullException.ThrowIfNull(motoEndpoint);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var proxy = new ContinuityProxy(app, motoEndpoint);
        app.Run(proxy.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        proxy.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return proxy;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _moto.Dispose();
        _serial.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        var body = buffer.ToArray();
        var target = context.Request.Headers["X-Amz-Target"].ToString();
        var form = target.Length == 0 ? HttpUtility.ParseQueryString(Encoding.UTF8.GetString(body)) : [];
        var operation = target.Length > 0 ? target[(target.LastIndexOf('.') + 1)..] : form["Action"] ?? "Unknown";
        var mutating = CrashSwitch.IsMutating(operation);

        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), context.Request.Path.ToString().TrimStart('/') + context.Request.QueryString);
        request.Content = new ByteArrayContent(body);
        foreach (var header in context.Request.Headers)
        {
            if (header.Key.Equals("Host", StringComparison.OrdinalIgnoreCase) || header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                continue;
            if (!request.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray()))
                request.Content.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray());
        }

        // Mutations one at a time, so the observer sees each call's own state.
        if (mutating)
            await _serial.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        try
        {
            using var response = await _moto.SendAsync(request, context.RequestAborted).ConfigureAwait(false);
            var answer = await response.Content.ReadAsByteArrayAsync(context.RequestAborted).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                if (operation == "RegisterTargets")
                    Health.Registered(form["TargetGroupArn"] ?? string.Empty, Targets(form));
                if (operation == "DescribeTargetHealth")
                    answer = Encoding.UTF8.GetBytes(RewriteHealth(Encoding.UTF8.GetString(answer), form["TargetGroupArn"] ?? string.Empty));
                if (mutating)
                {
                    var call = new ProxiedCall(Interlocked.Increment(ref _sequence), operation, Resource(form));
                    lock (Calls)
                        Calls.Add(call);
                    if (AfterMutation is { } observer)
                        await observer(call).ConfigureAwait(false);
                }
            }
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var header in response.Headers.Concat(response.Content.Headers))
            {
                if (header.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) || header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    continue;
                context.Response.Headers[header.Key] = header.Value.ToArray();
            }
            context.Response.ContentLength = answer.Length;
            await context.Response.Body.WriteAsync(answer, context.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            if (mutating)
                _serial.Release();
        }
    }

    private static IEnumerable<(string Id, int Port)> Targets(System.Collections.Specialized.NameValueCollection form)
    {
        for (var i = 1; form[$"Targets.member.{i}.Id"] is { } id; i++)
            yield return (id, int.TryParse(form[$"Targets.member.{i}.Port"], out var port) ? port : 0);
    }

    private string RewriteHealth(string xml, string targetGroupArn)
    {
        var doc = XDocument.Parse(xml);
        foreach (var member in doc.Descendants().Where(static e => e.Name.LocalName == "member"))
        {
            var target = member.Elements().FirstOrDefault(static e => e.Name.LocalName == "Target");
            var health = member.Elements().FirstOrDefault(static e => e.Name.LocalName == "TargetHealth");
            var state = health?.Elements().FirstOrDefault(static e => e.Name.LocalName == "State");
            if (target is null || state is null)
                continue;
            var id = target.Elements().FirstOrDefault(static e => e.Name.LocalName == "Id")?.Value ?? string.Empty;
            var port = int.TryParse(target.Elements().FirstOrDefault(static e => e.Name.LocalName == "Port")?.Value, out var p) ? p : 0;
            var reported = Health.StateOf(targetGroupArn, id, port, state.Value);
            if (reported != state.Value)
            {
                state.Value = reported;
                health!.Add(new XElement(state.Name.Namespace + "Reason", "Elb.RegistrationInProgress"));
            }
        }
        return doc.Declaration + doc.ToString(SaveOptions.DisableFormatting);
    }

    /// <summary>The resource a call names, shortened (an ARN's resource part, a name or an ID).</summary>
    private static string Resource(System.Collections.Specialized.NameValueCollection form)
    {
        string[] keys = ["RuleArn", "ListenerArn", "TargetGroupArn", "LoadBalancerArn", "RulePriorities.member.1.RuleArn", "ResourceArns.member.1", "ResourceArn", "Name", "GroupId", "GroupName"];
        foreach (var key in keys)
        {
            if (form[key] is { Length: > 0 } value)
            {
                var colon = value.StartsWith("arn:", StringComparison.Ordinal) ? value.Split(':') : null;
                return colon is { Length: >= 6 } ? string.Join(':', colon[5..]) : value;
            }
        }
        return "-";
    }
}
