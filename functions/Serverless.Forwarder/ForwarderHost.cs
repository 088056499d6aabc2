using System.Globalization;
using System.Net;
using Serverless.Aws.Sqs;

namespace Serverless.Forwarder;

/// <summary>
/// The whole forwarder: one <see cref="Reflector"/> per watched kind and namespace, the <see cref="KeyBuffer"/>,
/// the <see cref="QueueSender"/> and the <see cref="StatusEndpoint"/>. <see cref="RunAsync"/> returns after
/// its stop token fires and pending keys were flushed (or the flush time ran out).
/// </summary>
public sealed class ForwarderHost : IDisposable
{
    private readonly ForwarderConfig _config;
    private readonly ISqsGateway _sqs;
    private readonly JsonLog _log;
    private readonly KubernetesConnection _api;
    private readonly StatusEndpoint _status;
    private readonly TimeProvider _time;

    /// <summary>A forwarder; <paramref name="time"/> is the clock of its debounce, timeouts and backoff (default: the system's).</summary>
    public ForwarderHost(ForwarderConfig config, ISqsGateway sqs, JsonLog? log = null, HttpMessageHandler? kubernetesHandler = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _time = time ?? TimeProvider.System;
        _sqs = sqs;
        _log = log ?? new JsonLog(config.LogLevel);
        Metrics = new ForwarderMetrics();
        Mapper = new KeyMapper(config.IngressClass);
        Buffer = new KeyBuffer(config.Debounce, config.MaxPendingKeys, Metrics, _time);
        _api = new KubernetesConnection(config, kubernetesHandler, _time);
        Reflectors = [.. WatchTarget.All(config.Namespaces).Select(t => new Reflector(t, _api, Mapper, Buffer, config, Metrics, _log, _time))];
        _status = new StatusEndpoint(
            new StatusEndpointOptions { Address = config.HttpAddress, Port = config.HttpPort, MaxConnections = config.HttpMaxConnections, ReadTimeout = config.HttpReadTimeout },
            Metrics,
            _time);
        Metrics.Readiness = NotReadyReason;
        Metrics.ApiFailing = () => Reflectors.Max(static r => r.FailingFor ?? TimeSpan.Zero);
    }

    /// <summary>
    /// Why /readyz answers 503, or null: ready once every kind finished its first full sync, and unready again while
    /// some kind's list or watch has been failing for longer than <see cref="ForwarderConfig.ApiUnreachableTimeout"/>
    /// (ready again after its next successful list or watch).
    /// </summary>
    private string? NotReadyReason()
    {
        var unsynced = Reflectors.Where(static r => !r.Synced.IsCompletedSuccessfully).Select(static r => r.Target.Kind.ToString()).Distinct().ToList();
        if (unsynced.Count > 0)
            return "initial sync not finished: " + string.Join(", ", unsynced);
        var failing = Reflectors.Where(r => r.FailingFor > _config.ApiUnreachableTimeout).ToList();
        if (failing.Count == 0)
            return null;
        var longest = failing.Max(static r => r.FailingFor ?? TimeSpan.Zero);
        return string.Create(CultureInfo.InvariantCulture, $"API server unreachable or failing for {longest.TotalSeconds:0} s (more than {_config.ApiUnreachableTimeout.TotalSeconds:0} s): ")
            + string.Join(", ", failing.Select(static r => r.Target.Kind.ToString()).Distinct());
    }

    public ForwarderMetrics Metrics { get; }

    public KeyMapper Mapper { get; }

    public KeyBuffer Buffer { get; }

    public IReadOnlyList<Reflector> Reflectors { get; }

    /// <summary>The /healthz, /readyz, /metrics port.</summary>
    public int StatusPort => _status.Port;

    /// <summary>The status endpoint's address (<c>::</c> dual-stack by default, <c>0.0.0.0</c> without IPv6).</summary>
    public IPAddress StatusAddress => _status.Address;

    /// <summary>Completes after the first full sync of every kind.</summary>
    public Task Synced => Task.WhenAll(Reflectors.Select(static r => r.Synced));

    /// <summary>Runs until <paramref name="stop"/>, then flushes pending keys for at most <see cref="ForwarderConfig.ShutdownFlush"/>.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        _log.Info("forwarder starting", ("cluster", _config.ClusterName), ("apiServer", _config.ApiServer.ToString()), ("queue", _config.QueueUrl),
            ("namespaces", _config.Namespaces.Count == 0 ? "*" : string.Join(',', _config.Namespaces)), ("debounceMs", _config.Debounce.TotalMilliseconds),
            ("statusAddress", StatusAddress.ToString()), ("statusPort", StatusPort));
        using var senderStop = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        using var statusStop = new CancellationTokenSource();
        var status = _status.RunAsync(statusStop.Token);
        var sender = new QueueSender(_sqs, _config.QueueUrl, Buffer, Metrics, _log, _config.SendConcurrency, _time).RunAsync(senderStop.Token);
        var watches = Reflectors.Select(r => Task.Run(() => r.RunAsync(stop), CancellationToken.None)).ToArray();
        _ = CompactAfterInitialSyncAsync(stop);

        await Task.WhenAll(watches).ConfigureAwait(false);
        _log.Info("stopping: flushing pending keys", ("pending", Buffer.Count));
        Buffer.Drain();
        senderStop.CancelAfter(_config.ShutdownFlush);
        await sender.ConfigureAwait(false);
        if (!Buffer.IsIdle)
            _log.Error("shutdown flush timed out: keys not sent", ("pending", Buffer.Count));
        await statusStop.CancelAsync().ConfigureAwait(false);
        await status.ConfigureAwait(false);
        _log.Info("forwarder stopped", ("keysSent", Metrics.KeysSent));
    }

    /// <summary>
    /// After the first full sync and once its keys were sent: everything the sync allocated besides the index is garbage
    /// now, much of it promoted to gen2 while keys waited; one compacting collection returns it to the OS, so the
    /// pod's resident set is what the watch needs. A buffer that never empties (a busy cluster) waits at most
    /// <see cref="InitialSendWait"/>.
    /// </summary>
    private async Task CompactAfterInitialSyncAsync(CancellationToken stop)
    {
        try
        {
            await Synced.WaitAsync(stop).ConfigureAwait(false);
            _log.Info("initial sync finished", ("objects", Mapper.Count));
            var started = _time.GetTimestamp();
            while (!Buffer.IsIdle && _time.GetElapsedTime(started) < InitialSendWait)
                await Task.Delay(TimeSpan.FromMilliseconds(100), _time, stop).ConfigureAwait(false);
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
        catch (OperationCanceledException)
        {
            // stopped before the sync finished or its keys were sent
        }
    }

    /// <summary>How long the collection after the initial sync waits for the sync's keys to be sent.</summary>
    private static TimeSpan InitialSendWait { get; } = TimeSpan.FromSeconds(30);

    public void Dispose()
    {
        _status.Dispose();
        _api.Dispose();
    }
}
