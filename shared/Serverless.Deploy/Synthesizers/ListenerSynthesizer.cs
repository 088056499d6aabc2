using System.Globalization;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Model;

namespace Serverless.Deploy.Synthesizers;

/// <summary>
/// Listeners, matched by port: protocol, SSL policy, default certificate, ALPN policy (NLB TLS) and default actions are modified in place,
/// extra certificates added and removed, attributes and tags reconciled both ways. Listeners without our tags are left
/// alone (a desired port they hold is reported as blocked). On an NLB, staging listeners (tagged
/// <see cref="DeployTags.StagingListener"/>) attach target groups a staged forward waits for; they go after the switch.
/// </summary>
internal sealed class ListenerSynthesizer(DeployRun run) : ISynthesizer
{
    private readonly List<Tagged<Listener>> _obsolete = [];

    private DeployContext Ctx => run.Ctx;

    public async Task SynthesizeAsync(CancellationToken ct)
    {
        var desired = Ctx.Desired.LoadBalancer is null ? [] : Ctx.Desired.Listeners;
        var ours = new List<ActualListener>();
        foreach (var listener in run.Actual.Listeners)
        {
            if (run.IsOurs(listener.Listener.Tags))
            {
                ours.Add(listener);
                continue;
            }
            Ctx.Record(new ResourceChange(ChangeAction.SkippedForeign, ResourceTypes.Listener, ResourceIds.Listener(listener.Port), listener.Listener.Arn, [], "listener without this stack's tags"));
        }
        var staging = ours.Where(static l => l.Listener.Tags.ContainsKey(DeployTags.StagingListener)).ToList();
        ours.RemoveAll(staging.Contains);
        var match = ResourceMatcher.Match(desired, ours, static d => ResourceIds.Listener(d.Port), static a => ResourceIds.Listener(a.Port));
        _obsolete.AddRange(match.OnlyActual.Select(static l => l.Listener));
        _obsolete.AddRange(run.ObsoleteListeners);
        foreach (var (d, a) in match.Matched)
        {
            Ctx.ListenerArns[d.Port] = a.Listener.Arn;
            await UpdateAsync(d, a, ct).ConfigureAwait(false);
        }
        foreach (var d in match.OnlyDesired)
        {
            var foreign = run.Actual.Listeners.FirstOrDefault(l => l.Port == d.Port);
            if (foreign is not null && staging.Contains(foreign))
            {
                // Our staging listener sits on the port now desired: it goes first (it only attaches a group for health).
                await DeleteAsync(foreign.Listener, ct).ConfigureAwait(false);
                staging.Remove(foreign);
                foreign = null;
            }
            if (foreign is not null)
            {
                Ctx.Record(new ResourceChange(ChangeAction.Blocked, ResourceTypes.Listener, ResourceIds.Listener(d.Port), foreign.Listener.Arn, [], "the port is held by a listener without this stack's tags"));
                Ctx.Defer(ReconcileResult.Failed($"port {d.Port} of the load balancer is held by a listener this stack does not own"));
                continue;
            }
            await CreateAsync(d, ct).ConfigureAwait(false);
        }
        await StageAsync(staging, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// NLB: keeps or creates one staging listener per target group a staged forward waits for — on a spare port, with
    /// the group's protocol (TLS with the desired listener's certificate and policy) — so that AWS health-checks the
    /// group; every other staging listener goes in <see cref="PostSynthesizeAsync"/>, after the switch.
    /// </summary>
    private async Task StageAsync(List<ActualListener> staging, CancellationToken ct)
    {
        var keep = new HashSet<ActualListener>();
        var taken = new HashSet<int>(run.Actual.Listeners.Select(static l => l.Port).Concat(Ctx.Desired.Listeners.Select(static l => l.Port)));
        foreach (var (tgArn, listener) in run.Staging.StagingListeners.OrderBy(static kv => kv.Value.Port))
        {
            var existing = staging.FirstOrDefault(l => ForwardsTo(l.Listener.Resource.DefaultActions, tgArn));
            if (existing is not null)
            {
                keep.Add(existing);
                continue;
            }
            var tgId = Ctx.TargetGroupArns.First(kv => kv.Value == tgArn).Key;
            var protocol = Ctx.Desired.TargetGroups.First(t => t.Id == tgId).Protocol;
            var port = Enumerable.Range(1024, 65535 - 1024 + 1).Reverse().First(p => !taken.Contains(p));
            taken.Add(port);
            var id = "staging-" + port.ToString(CultureInfo.InvariantCulture);
            var tags = TrackingTags.For(Ctx.Cluster, Ctx.Desired.Id, id);
            tags[DeployTags.StagingListener] = tgId;
            var tls = protocol == "TLS";
            var fields = new List<FieldChange>
            {
                new("protocol", null, protocol),
                new("defaultActions", null, "forward " + Ctx.Show(tgArn)),
            };
            string? arn = null;
            if (Ctx.IsApply)
            {
                var request = new CreateListenerRequest
                {
                    LoadBalancerArn = Ctx.LoadBalancerArn,
                    Port = port,
                    Protocol = protocol,
                    SslPolicy = tls ? listener.SslPolicy : null,
                    Certificates = tls ? [new Certificate { CertificateArn = listener.Certificates[0] }] : null,
                    DefaultActions = [new Aws.ElasticLoadBalancingV2.Model.Action { Type = "forward", TargetGroupArn = tgArn }],
                    Tags = ElbMapping.Tags(tags),
                };
                var response = await Ctx.CallAsync("CreateListener", ResourceTypes.Listener, id, null, () => Ctx.Elb.CreateListenerAsync(request, ct)).ConfigureAwait(false);
                arn = response.Listeners![0].ListenerArn;
            }
            Ctx.Record(new ResourceChange(ChangeAction.Create, ResourceTypes.Listener, id, arn, fields,
                $"staging listener: attaches {Ctx.Show(tgArn)} so that AWS health-checks it before listener {listener.Port} forwards to it; deleted once it does"));
        }
        _obsolete.AddRange(staging.Where(l => !keep.Contains(l)).Select(static l => l.Listener));
    }

    private static bool ForwardsTo(IReadOnlyList<Aws.ElasticLoadBalancingV2.Model.Action>? actions, string tgArn) =>
        (actions ?? []).Any(a => a.Type == "forward" && (a.TargetGroupArn == tgArn || (a.ForwardConfig?.TargetGroups ?? []).Any(t => t.TargetGroupArn == tgArn)));

    private async Task CreateAsync(ListenerSpec d, CancellationToken ct)
    {
        var id = ResourceIds.Listener(d.Port);
        var actions = ElbMapping.Actions(d.DefaultActions, Ctx.Resolve);
        var attributes = d.Attributes.Where(a => AttributeDefaults.ForListener(d.Protocol).GetValueOrDefault(a.Key) != a.Value).ToList();
        var fields = new List<FieldChange>
        {
            new("protocol", null, d.Protocol),
            new("defaultActions", null, ElbMapping.Canonical(actions, Ctx.Show)),
        };
        if (d.Certificates.Count > 0)
            fields.Add(new FieldChange("certificates", null, ElbMapping.Csv(d.Certificates)));
        if (d.SslPolicy is not null)
            fields.Add(new FieldChange("sslPolicy", null, d.SslPolicy));
        if (d.AlpnPolicy is not null)
            fields.Add(new FieldChange("alpnPolicy", null, d.AlpnPolicy));
        fields.AddRange(attributes.Select(static a => new FieldChange("attribute " + a.Key, null, a.Value)));
        string arn;
        if (Ctx.IsApply)
        {
            var request = new CreateListenerRequest
            {
                LoadBalancerArn = Ctx.LoadBalancerArn,
                Port = d.Port,
                Protocol = d.Protocol,
                SslPolicy = d.SslPolicy,
                Certificates = d.Certificates.Count == 0 ? null : [new Certificate { CertificateArn = d.Certificates[0] }],
                AlpnPolicy = d.AlpnPolicy is null ? null : [d.AlpnPolicy],
                DefaultActions = actions,
                Tags = ElbMapping.Tags(d.Tags),
            };
            var response = await Ctx.CallAsync("CreateListener", ResourceTypes.Listener, id, null, () => Ctx.Elb.CreateListenerAsync(request, ct)).ConfigureAwait(false);
            arn = response.Listeners![0].ListenerArn!;
            if (d.Certificates.Count > 1)
            {
                await Ctx.CallAsync("AddListenerCertificates", ResourceTypes.Listener, id, arn, () => Ctx.Elb.AddListenerCertificatesAsync(new AddListenerCertificatesRequest
                {
                    ListenerArn = arn,
                    Certificates = [.. d.Certificates.Skip(1).Select(static c => new Certificate { CertificateArn = c })],
                }, ct)).ConfigureAwait(false);
            }
            if (attributes.Count > 0)
            {
                await Ctx.CallAsync("ModifyListenerAttributes", ResourceTypes.Listener, id, arn, () => Ctx.Elb.ModifyListenerAttributesAsync(new ModifyListenerAttributesRequest
                {
                    ListenerArn = arn,
                    Attributes = [.. attributes.Select(static a => new ListenerAttribute { Key = a.Key, Value = a.Value })],
                }, ct)).ConfigureAwait(false);
            }
        }
        else
        {
            arn = DeployContext.Placeholder(ResourceTypes.Listener, id);
        }
        Ctx.ListenerArns[d.Port] = arn;
        Ctx.Record(new ResourceChange(ChangeAction.Create, ResourceTypes.Listener, id, null, fields));
    }

    private async Task UpdateAsync(ListenerSpec d, ActualListener a, CancellationToken ct)
    {
        var id = ResourceIds.Listener(d.Port);
        var arn = a.Listener.Arn;
        var listener = a.Listener.Resource;
        var fields = new List<FieldChange>();
        var modify = new ModifyListenerRequest { ListenerArn = arn };
        var modified = false;
        if (listener.Protocol != d.Protocol)
        {
            fields.Add(new FieldChange("protocol", listener.Protocol, d.Protocol));
            modify.Protocol = d.Protocol;
            modified = true;
        }
        if (d.SslPolicy is not null && listener.SslPolicy != d.SslPolicy)
        {
            fields.Add(new FieldChange("sslPolicy", listener.SslPolicy, d.SslPolicy));
            modify.SslPolicy = d.SslPolicy;
            modified = true;
        }
        var defaultCert = listener.Certificates?.FirstOrDefault()?.CertificateArn;
        if (d.Certificates.Count > 0 && defaultCert != d.Certificates[0])
        {
            fields.Add(new FieldChange("defaultCertificate", defaultCert, d.Certificates[0]));
            modify.Certificates = [new Certificate { CertificateArn = d.Certificates[0] }];
            modified = true;
        }
        var alpn = listener.AlpnPolicy?.FirstOrDefault();
        if (d.AlpnPolicy is not null && alpn != d.AlpnPolicy)
        {
            fields.Add(new FieldChange("alpnPolicy", alpn, d.AlpnPolicy));
            modify.AlpnPolicy = [d.AlpnPolicy];
            modified = true;
        }
        if (modify.Protocol is "HTTPS" or "TLS")
        {
            // A listener that becomes TLS (or HTTPS) needs its policy and default certificate in the same call.
            modify.SslPolicy ??= d.SslPolicy;
            if (d.Certificates.Count > 0)
                modify.Certificates ??= [new Certificate { CertificateArn = d.Certificates[0] }];
        }
        var actions = await run.Staging.ActionsAsync("listener " + id, ElbMapping.Actions(d.DefaultActions, Ctx.Resolve), listener.DefaultActions, ct, d).ConfigureAwait(false);
        if (ElbMapping.Canonical(actions, static x => x) != ElbMapping.Canonical(listener.DefaultActions, static x => x))
        {
            fields.Add(new FieldChange("defaultActions", ElbMapping.Canonical(listener.DefaultActions, Ctx.Show), ElbMapping.Canonical(actions, Ctx.Show)));
            modify.DefaultActions = actions;
            modified = true;
        }

        // Extra certificates (every one but the default): DescribeListenerCertificates lists them.
        var wantedExtra = d.Certificates.Skip(1).ToHashSet(StringComparer.Ordinal);
        var haveExtra = a.Certificates.Where(static c => c.IsDefault != true).Select(static c => c.CertificateArn!).ToHashSet(StringComparer.Ordinal);
        var addCerts = wantedExtra.Except(haveExtra).Order(StringComparer.Ordinal).ToList();
        var removeCerts = haveExtra.Except(wantedExtra).Where(c => c != (d.Certificates.FirstOrDefault() ?? defaultCert)).Order(StringComparer.Ordinal).ToList();
        fields.AddRange(addCerts.Select(static c => new FieldChange("certificate " + c, null, "present")));
        fields.AddRange(removeCerts.Select(static c => new FieldChange("certificate " + c, "present", null)));

        var (attributeChanges, unknown) = AttributeDefaults.Diff(d.Attributes, a.Attributes, AttributeDefaults.ForListener(d.Protocol));
        foreach (var key in unknown)
            Ctx.Note($"listener {d.Port}: attribute {key} is not desired and has no known default: left as is");
        fields.AddRange(attributeChanges);
        var (addTags, removeTags, tagChanges) = DeployTags.Diff(d.Tags, a.Listener.Tags);
        fields.AddRange(tagChanges);
        if (fields.Count == 0)
            return;
        if (Ctx.IsApply)
        {
            if (modified)
                await Ctx.CallAsync("ModifyListener", ResourceTypes.Listener, id, arn, () => Ctx.Elb.ModifyListenerAsync(modify, ct)).ConfigureAwait(false);
            if (addCerts.Count > 0)
                await Ctx.CallAsync("AddListenerCertificates", ResourceTypes.Listener, id, arn, () => Ctx.Elb.AddListenerCertificatesAsync(new AddListenerCertificatesRequest { ListenerArn = arn, Certificates = [.. addCerts.Select(static c => new Certificate { CertificateArn = c })] }, ct)).ConfigureAwait(false);
            if (removeCerts.Count > 0)
                await Ctx.CallAsync("RemoveListenerCertificates", ResourceTypes.Listener, id, arn, () => Ctx.Elb.RemoveListenerCertificatesAsync(new RemoveListenerCertificatesRequest { ListenerArn = arn, Certificates = [.. removeCerts.Select(static c => new Certificate { CertificateArn = c })] }, ct)).ConfigureAwait(false);
            if (attributeChanges.Count > 0)
            {
                await Ctx.CallAsync("ModifyListenerAttributes", ResourceTypes.Listener, id, arn, () => Ctx.Elb.ModifyListenerAttributesAsync(new ModifyListenerAttributesRequest
                {
                    ListenerArn = arn,
                    Attributes = [.. attributeChanges.Select(static c => new ListenerAttribute { Key = c.Field["attribute ".Length..], Value = c.After })],
                }, ct)).ConfigureAwait(false);
            }
            await TargetGroupSynthesizer.TagsAsync(Ctx, ResourceTypes.Listener, id, arn, addTags, removeTags, ct).ConfigureAwait(false);
        }
        Ctx.Record(new ResourceChange(ChangeAction.Modify, ResourceTypes.Listener, id, arn, fields));
    }

    public async Task PostSynthesizeAsync(CancellationToken ct)
    {
        foreach (var listener in _obsolete)
        {
            if (listener.Resource.LoadBalancerArn is { } lbArn && run.DeletedLoadBalancers.Contains(lbArn))
                continue; // went with its load balancer (replacement)
            await DeleteAsync(listener, ct).ConfigureAwait(false);
        }
    }

    private async Task DeleteAsync(Tagged<Listener> listener, CancellationToken ct)
    {
        var id = listener.ResourceId ?? (listener.Resource.Port ?? 0).ToString(CultureInfo.InvariantCulture);
        if (Ctx.IsApply)
        {
            try
            {
                await Ctx.CallAsync("DeleteListener", ResourceTypes.Listener, id, listener.Arn, () => Ctx.Elb.DeleteListenerAsync(new DeleteListenerRequest { ListenerArn = listener.Arn }, ct)).ConfigureAwait(false);
            }
            catch (ElasticLoadBalancingV2Exception ex) when (ex.IsListenerNotFound)
            {
                // already gone
            }
        }
        Ctx.Record(new ResourceChange(ChangeAction.Delete, ResourceTypes.Listener, id, listener.Arn, []));
    }

    /// <summary>Listeners deleted by this run (their rules go with them).</summary>
    public IReadOnlySet<string> Obsolete => _obsolete.Select(static l => l.Arn).ToHashSet(StringComparer.Ordinal);
}
