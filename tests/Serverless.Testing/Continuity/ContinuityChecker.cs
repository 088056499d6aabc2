using System.Text;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;

namespace Serverless.Testing.Continuity;

/// <summary>A probe served before the change and after it but not right after <see cref="Call"/>.</summary>
public sealed record ContinuityGap(ProxiedCall Call, Probe Probe, string Detail)
{
    /// <inheritdoc />
    public override string ToString() => $"after {Call}: {Probe} not served ({Detail})";
}

/// <summary>What a <see cref="ContinuityChecker"/> saw between <see cref="ContinuityChecker.BeginAsync"/> and <see cref="ContinuityChecker.EndAsync"/>.</summary>
public sealed record ContinuityReport(
    IReadOnlyList<Probe> Probes,
    IReadOnlyDictionary<Probe, ProbeOutcome> Before,
    IReadOnlyList<(ProxiedCall Call, IReadOnlyDictionary<Probe, ProbeOutcome> Outcomes)> Steps,
    IReadOnlyDictionary<Probe, ProbeOutcome> After,
    IReadOnlyList<ContinuityGap> Gaps,
    int MaxRulesOnAListener)
{
    /// <summary>Probes served both before and after: the ones a gap can be about.</summary>
    public IReadOnlyList<Probe> Continuous => [.. Probes.Where(p => Before[p].Served && After[p].Served)];

    /// <inheritdoc />
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{Gaps.Count} gap(s) over {Steps.Count} mutating call(s), {Continuous.Count} of {Probes.Count} probe(s) served before and after, at most {MaxRulesOnAListener} rule(s) on a listener");
        foreach (var gap in Gaps)
            sb.AppendLine("  GAP " + gap);
        foreach (var probe in Probes)
            sb.AppendLine($"  {probe}: before {(Before[probe].Served ? "served" : "not served")} ({Before[probe].Detail}); after {(After[probe].Served ? "served" : "not served")} ({After[probe].Detail})");
        foreach (var (call, outcomes) in Steps)
            sb.AppendLine($"  {call}: {outcomes.Count(static o => o.Value.Served)} served");
        return sb.ToString();
    }
}

/// <summary>
/// The continuity check: once armed (<see cref="BeginAsync"/>), after every mutating call that goes through the
/// <see cref="ContinuityProxy"/> it reads the state straight from moto — the watched load balancers, their listeners and
/// rules, the health of every target group a forward names (through <see cref="TargetHealthSimulation"/>) — and
/// evaluates every probe with <see cref="AlbRouting"/>. <see cref="EndAsync"/> reads the state once more and reports a
/// <see cref="ContinuityGap"/> for every probe served before and after that was not served after some call in between
/// (a change may span several deploys: a requeue and the run that finishes it).
/// </summary>
public sealed class ContinuityChecker : IDisposable
{
    private readonly ContinuityProxy _proxy;
    private readonly ElasticLoadBalancingV2Client _elb;
    private readonly IReadOnlyList<string> _loadBalancerNames;
    private readonly List<(ProxiedCall, IReadOnlyDictionary<Probe, ProbeOutcome>)> _steps = [];
    private IReadOnlyDictionary<Probe, ProbeOutcome>? _before;
    private int _maxRules;

    /// <summary>A checker of <paramref name="probes"/> against the load balancers named <paramref name="loadBalancerNames"/>.</summary>
    public ContinuityChecker(ContinuityProxy proxy, MotoServer moto, IEnumerable<string> loadBalancerNames, IEnumerable<Probe> probes)
    {
        ArgumentNullException.ThrowIfNull(moto);
        _proxy = proxy ?? throw new ArgumentNullException(nameof(proxy));
        _elb = new ElasticLoadBalancingV2Client(moto.ClientOptions());
        _loadBalancerNames = [.. loadBalancerNames];
        Probes = [.. probes];
    }

    /// <summary>The probes.</summary>
    public IReadOnlyList<Probe> Probes { get; }

    /// <summary>Evaluates the probes now (the state before the change) and starts watching the proxy.</summary>
    public async Task BeginAsync()
    {
        _before = await EvaluateAsync().ConfigureAwait(false);
        _steps.Clear();
        _maxRules = 0;
        _proxy.AfterMutation = async call =>
        {
            var state = await ReadAsync().ConfigureAwait(false);
            var outcomes = Probes.ToDictionary(static p => p, p => AlbRouting.Evaluate(state, p));
            lock (_steps)
            {
                _steps.Add((call, outcomes));
                _maxRules = Math.Max(_maxRules, state.Listeners.Select(static l => l.Rules.Count(static r => r.IsDefault != true)).DefaultIfEmpty(0).Max());
            }
        };
    }

    /// <summary>Stops watching, evaluates the state after the change and computes the gaps.</summary>
    public async Task<ContinuityReport> EndAsync()
    {
        if (_before is null)
            throw new InvalidOperationException("BeginAsync was not called");
        _proxy.AfterMutation = null;
        var after = await EvaluateAsync().ConfigureAwait(false);
        var gaps = new List<ContinuityGap>();
        foreach (var (call, outcomes) in _steps)
        {
            foreach (var probe in Probes)
            {
                if (_before[probe].Served && after[probe].Served && !outcomes[probe].Served)
                    gaps.Add(new ContinuityGap(call, probe, outcomes[probe].Detail));
            }
        }
        return new ContinuityReport(Probes, _before, [.. _steps], after, gaps, _maxRules);
    }

    /// <summary>Every probe's outcome in the state moto holds now.</summary>
    public async Task<IReadOnlyDictionary<Probe, ProbeOutcome>> EvaluateAsync()
    {
        var state = await ReadAsync().ConfigureAwait(false);
        return Probes.ToDictionary(static p => p, p => AlbRouting.Evaluate(state, p));
    }

    /// <summary>The routing state of the watched load balancers, read from moto (never through the proxy).</summary>
    public async Task<RoutingState> ReadAsync()
    {
        var listeners = new List<RoutedListener>();
        var groups = new HashSet<string>(StringComparer.Ordinal);
        var lbs = new List<LoadBalancer>();
        await foreach (var lb in _elb.DescribeLoadBalancersPaginatedAsync(new DescribeLoadBalancersRequest()).ConfigureAwait(false))
        {
            if (_loadBalancerNames.Contains(lb.LoadBalancerName ?? string.Empty, StringComparer.Ordinal))
                lbs.Add(lb);
        }
        foreach (var lb in lbs)
        {
            var described = await _elb.DescribeListenersAsync(new DescribeListenersRequest { LoadBalancerArn = lb.LoadBalancerArn }).ConfigureAwait(false);
            foreach (var listener in described.Listeners ?? [])
            {
                var rules = new List<Rule>();
                await foreach (var rule in _elb.DescribeRulesPaginatedAsync(new DescribeRulesRequest { ListenerArn = listener.ListenerArn }).ConfigureAwait(false))
                    rules.Add(rule);
                listeners.Add(new RoutedListener(lb.LoadBalancerName!, listener.Port ?? 0, rules));
                foreach (var action in rules.SelectMany(static r => r.Actions ?? []))
                {
                    if (action.TargetGroupArn is { } single)
                        groups.Add(single);
                    foreach (var tuple in action.ForwardConfig?.TargetGroups ?? [])
                        groups.Add(tuple.TargetGroupArn!);
                }
            }
        }
        var states = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var arn in groups)
        {
            try
            {
                var health = await _elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = arn }).ConfigureAwait(false);
                states[arn] = [.. (health.TargetHealthDescriptions ?? []).Select(d => _proxy.Health.StateOf(arn, d.Target?.Id ?? string.Empty, d.Target?.Port ?? 0, d.TargetHealth?.State ?? "unavailable"))];
            }
            catch (ElasticLoadBalancingV2Exception ex) when (ex.IsTargetGroupNotFound)
            {
                states[arn] = [];
            }
        }
        return new RoutingState(listeners, states);
    }

    /// <inheritdoc />
    public void Dispose() => _elb.Dispose();
}
