using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Model;

namespace Serverless.Deploy.Synthesizers;

/// <summary>
/// The load balancer. A scheme or type change replaces it: the old one is deleted first, then the new one created,
/// because an ALB target group can belong to one load balancer only (so the new one cannot forward to the groups while
/// the old one still uses them), and the DNS name changes anyway. A load balancer that is no longer desired is deleted
/// in <see cref="PostSynthesizeAsync"/>, after its listeners and target groups (the pending-deletion marker lives on it).
/// </summary>
internal sealed class LoadBalancerSynthesizer(DeployRun run) : ISynthesizer
{
    /// <summary>The attribute that keeps a load balancer from being deleted.</summary>
    public const string DeletionProtection = "deletion_protection.enabled";

    private DeployContext Ctx => run.Ctx;

    public async Task SynthesizeAsync(CancellationToken ct)
    {
        var desired = Ctx.Desired.LoadBalancer;
        if (desired is null)
            return;
        if (run.CurrentLoadBalancer is { } current)
        {
            Ctx.LoadBalancerArn = current.Arn;
            await UpdateAsync(desired, current, ct).ConfigureAwait(false);
            return;
        }

        var replaced = run.ObsoleteLoadBalancers.FirstOrDefault();
        foreach (var old in run.ObsoleteLoadBalancers)
        {
            if (Ctx.IsApply)
                await DeleteAsync(old, ct).ConfigureAwait(false);
            run.DeletedLoadBalancers.Add(old.Arn);
            if (old != replaced)
                Ctx.Record(new ResourceChange(ChangeAction.Delete, ResourceTypes.LoadBalancer, ResourceIds.LoadBalancer, old.Arn, []));
        }

        var securityGroups = desired.SecurityGroups.Select(Ctx.Resolve).ToList();
        var attributes = desired.Attributes.Where(a => AttributeDefaults.ForLoadBalancer(desired.Type).GetValueOrDefault(a.Key) != a.Value).ToList();
        var fields = new List<FieldChange>
        {
            new("name", replaced?.Resource.LoadBalancerName, desired.Name),
            new("scheme", replaced?.Resource.Scheme, desired.Scheme),
            new("type", replaced?.Resource.Type, desired.Type),
            new("ipAddressType", replaced?.Resource.IpAddressType, desired.IpAddressType),
            new("subnets", null, ElbMapping.Csv(desired.Subnets)),
            new("securityGroups", null, ElbMapping.Csv(securityGroups.Select(Ctx.ShowSecurityGroup))),
        };
        if (desired.SubnetMappings.Count > 0)
            fields.Add(new FieldChange("subnetMappings", null, SubnetMappings(desired.SubnetMappings)));
        if (desired.EnablePrefixForIpv6SourceNat is { } prefixNat)
            fields.Add(new FieldChange("enablePrefixForIpv6SourceNat", null, prefixNat));
        if (desired.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic is { } enforce && securityGroups.Count > 0)
            fields.Add(new FieldChange("enforceSecurityGroupInboundRulesOnPrivateLinkTraffic", null, enforce));
        fields.AddRange(attributes.Select(static a => new FieldChange("attribute " + a.Key, null, a.Value)));
        if (Ctx.IsApply)
        {
            var tags = new Dictionary<string, string>(desired.Tags, StringComparer.Ordinal);
            // Target groups still to be deleted are named on the new load balancer too (the old one is gone).
            foreach (var (key, value) in run.WantedMarker)
                tags[key] = value;
            var request = new CreateLoadBalancerRequest
            {
                Name = desired.Name,
                // One of the two: subnet mappings carry the per-subnet addresses (NLB).
                Subnets = desired.SubnetMappings.Count > 0 ? null : [.. desired.Subnets],
                SubnetMappings = desired.SubnetMappings.Count > 0 ? ElbSubnetMappings(desired.SubnetMappings) : null,
                EnablePrefixForIpv6SourceNat = desired.EnablePrefixForIpv6SourceNat,
                SecurityGroups = securityGroups.Count == 0 ? null : securityGroups,
                Scheme = desired.Scheme,
                Type = desired.Type,
                IpAddressType = desired.IpAddressType,
                CustomerOwnedIpv4Pool = desired.CustomerOwnedIpv4Pool,
                Tags = ElbMapping.Tags(tags),
            };
            var response = await Ctx.CallAsync("CreateLoadBalancer", ResourceTypes.LoadBalancer, ResourceIds.LoadBalancer, null, () => Ctx.Elb.CreateLoadBalancerAsync(request, ct)).ConfigureAwait(false);
            var created = response.LoadBalancers![0];
            Ctx.LoadBalancerArn = created.LoadBalancerArn!;
            run.CurrentLoadBalancer = new Tagged<LoadBalancer>(created, created.LoadBalancerArn!, tags);
            run.CreatedLoadBalancer = true;
            // CreateLoadBalancer has no PrivateLink enforcement field: SetSecurityGroups sets it (its default is on).
            if (desired.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic is { } privateLink && securityGroups.Count > 0 && privateLink != "on")
            {
                var arn = Ctx.LoadBalancerArn;
                await Ctx.CallAsync("SetSecurityGroups", ResourceTypes.LoadBalancer, ResourceIds.LoadBalancer, arn, () => Ctx.Elb.SetSecurityGroupsAsync(new SetSecurityGroupsRequest
                {
                    LoadBalancerArn = arn,
                    SecurityGroups = securityGroups,
                    EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic = privateLink,
                }, ct)).ConfigureAwait(false);
            }
            if (attributes.Count > 0)
            {
                await Ctx.CallAsync("ModifyLoadBalancerAttributes", ResourceTypes.LoadBalancer, ResourceIds.LoadBalancer, Ctx.LoadBalancerArn, () => Ctx.Elb.ModifyLoadBalancerAttributesAsync(new ModifyLoadBalancerAttributesRequest
                {
                    LoadBalancerArn = Ctx.LoadBalancerArn,
                    Attributes = [.. attributes.Select(static a => new LoadBalancerAttribute { Key = a.Key, Value = a.Value })],
                }, ct)).ConfigureAwait(false);
            }
        }
        else
        {
            Ctx.LoadBalancerArn = DeployContext.Placeholder(ResourceTypes.LoadBalancer, ResourceIds.LoadBalancer);
            run.CreatedLoadBalancer = true;
        }
        Ctx.Record(new ResourceChange(replaced is null ? ChangeAction.Create : ChangeAction.Replace, ResourceTypes.LoadBalancer, ResourceIds.LoadBalancer, replaced?.Arn, fields,
            replaced is null ? null : "scheme or type changed: the old load balancer is deleted first (a target group belongs to one load balancer), then the new one created"));
    }

    private async Task UpdateAsync(LoadBalancerSpec desired, Tagged<LoadBalancer> current, CancellationToken ct)
    {
        var lb = current.Resource;
        var network = desired.Type == "network";
        var fields = new List<FieldChange>();
        var wantedGroups = desired.SecurityGroups.Select(Ctx.Resolve).Order(StringComparer.Ordinal).ToList();
        var haveGroups = (lb.SecurityGroups ?? []).Order(StringComparer.Ordinal).ToList();
        var groupsDrift = !wantedGroups.SequenceEqual(haveGroups, StringComparer.Ordinal);
        // PrivateLink enforcement rides on SetSecurityGroups (NLB with security groups); null leaves it as it is.
        var enforce = desired.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic;
        var enforceDrift = network && enforce is not null && wantedGroups.Count > 0 && (lb.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic ?? "on") != enforce;
        if (network && haveGroups.Count == 0 && wantedGroups.Count > 0)
        {
            // AWS cannot give security groups to an NLB created without them; replacing it would change its DNS name
            // and addresses behind the Service's back: a person decides (recreate the Service, or ask for no groups).
            groupsDrift = false;
            enforceDrift = false;
            Ctx.Record(new ResourceChange(ChangeAction.Blocked, ResourceTypes.LoadBalancer, ResourceIds.LoadBalancer, current.Arn,
                [new FieldChange("securityGroups", null, ElbMapping.Csv(wantedGroups.Select(Ctx.ShowSecurityGroup)))],
                "this Network Load Balancer was created without security groups and AWS cannot add any to it: delete and recreate it (or the Service) to use security groups"));
            Ctx.Defer(ReconcileResult.Failed(
                $"load balancer {lb.LoadBalancerName} ({current.Arn}) was created without security groups; AWS cannot add security groups {ElbMapping.Csv(wantedGroups.Select(Ctx.ShowSecurityGroup))} to it: recreate it to use them"));
        }
        if (groupsDrift)
            fields.Add(new FieldChange("securityGroups", ElbMapping.Csv(haveGroups.Select(Ctx.ShowSecurityGroup)), ElbMapping.Csv(wantedGroups.Select(Ctx.ShowSecurityGroup))));
        if (enforceDrift)
            fields.Add(new FieldChange("enforceSecurityGroupInboundRulesOnPrivateLinkTraffic", lb.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, enforce));
        var wantedSubnets = desired.Subnets.Order(StringComparer.Ordinal).ToList();
        var haveSubnets = (lb.AvailabilityZones ?? []).Select(static az => az.SubnetId ?? string.Empty).Order(StringComparer.Ordinal).ToList();
        // Compared as sets of subnet IDs, as upstream: the addresses of a subnet that stays cannot change in place.
        var subnetsDrift = !wantedSubnets.SequenceEqual(haveSubnets, StringComparer.Ordinal);
        if (subnetsDrift)
            fields.Add(new FieldChange("subnets", ElbMapping.Csv(haveSubnets), ElbMapping.Csv(wantedSubnets)));
        var ipDrift = (lb.IpAddressType ?? "ipv4") != desired.IpAddressType;
        if (ipDrift)
            fields.Add(new FieldChange("ipAddressType", lb.IpAddressType, desired.IpAddressType));
        var actualAttributes = run.Actual.LoadBalancerAttributes.GetValueOrDefault(current.Arn) ?? [];
        var (attributeChanges, unknown) = AttributeDefaults.Diff(desired.Attributes, actualAttributes, AttributeDefaults.ForLoadBalancer(desired.Type));
        foreach (var key in unknown)
            Ctx.Note($"load balancer: attribute {key} is not desired and has no known default: left as is");
        // Deletion protection is turned off only when the stack asks for false explicitly, never by going back to the
        // default: protection someone turned on (console, a removed annotation) stays until a person turns it off.
        if (!desired.Attributes.ContainsKey(DeletionProtection)
            && attributeChanges.RemoveAll(static c => c.Field == "attribute " + DeletionProtection && c.After == "false") > 0)
        {
            Ctx.Note($"load balancer: attribute {DeletionProtection}=true is not desired: kept (only an explicit {DeletionProtection}=false turns it off)");
        }
        fields.AddRange(attributeChanges);
        var (addTags, removeTags, tagChanges) = DeployTags.Diff(desired.Tags, current.Tags);
        fields.AddRange(tagChanges);
        if (fields.Count == 0)
            return;
        if (Ctx.IsApply)
        {
            var arn = current.Arn;
            const string type = ResourceTypes.LoadBalancer;
            const string id = ResourceIds.LoadBalancer;
            if (groupsDrift || enforceDrift)
            {
                await Ctx.CallAsync("SetSecurityGroups", type, id, arn, () => Ctx.Elb.SetSecurityGroupsAsync(new SetSecurityGroupsRequest
                {
                    LoadBalancerArn = arn,
                    SecurityGroups = wantedGroups,
                    EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic = network && wantedGroups.Count > 0 ? enforce : null,
                }, ct)).ConfigureAwait(false);
            }
            if (subnetsDrift)
            {
                var request = new SetSubnetsRequest { LoadBalancerArn = arn, EnablePrefixForIpv6SourceNat = network ? desired.EnablePrefixForIpv6SourceNat : null };
                if (desired.SubnetMappings.Count > 0)
                    request.SubnetMappings = ElbSubnetMappings(desired.SubnetMappings);
                else
                    request.Subnets = wantedSubnets;
                await Ctx.CallAsync("SetSubnets", type, id, arn, () => Ctx.Elb.SetSubnetsAsync(request, ct)).ConfigureAwait(false);
            }
            if (ipDrift)
                await Ctx.CallAsync("SetIpAddressType", type, id, arn, () => Ctx.Elb.SetIpAddressTypeAsync(new SetIpAddressTypeRequest { LoadBalancerArn = arn, IpAddressType = desired.IpAddressType }, ct)).ConfigureAwait(false);
            if (attributeChanges.Count > 0)
            {
                await Ctx.CallAsync("ModifyLoadBalancerAttributes", type, id, arn, () => Ctx.Elb.ModifyLoadBalancerAttributesAsync(new ModifyLoadBalancerAttributesRequest
                {
                    LoadBalancerArn = arn,
                    Attributes = [.. attributeChanges.Select(static c => new LoadBalancerAttribute { Key = c.Field["attribute ".Length..], Value = c.After })],
                }, ct)).ConfigureAwait(false);
            }
            await TargetGroupSynthesizer.TagsAsync(Ctx, type, id, arn, addTags, removeTags, ct).ConfigureAwait(false);
        }
        Ctx.Record(new ResourceChange(ChangeAction.Modify, ResourceTypes.LoadBalancer, ResourceIds.LoadBalancer, current.Arn, fields));
    }

    /// <summary>The subnet mappings of an NLB as a request carries them.</summary>
    private static List<SubnetMapping> ElbSubnetMappings(IReadOnlyList<SubnetMappingSpec> mappings) =>
        [.. mappings.Select(static m => new SubnetMapping
        {
            SubnetId = m.SubnetId,
            AllocationId = m.AllocationId,
            PrivateIPv4Address = m.PrivateIpv4Address,
            IPv6Address = m.Ipv6Address,
            SourceNatIpv6Prefix = m.SourceNatIpv6Prefix,
        })];

    /// <summary>Subnet mappings as a plan shows them: <c>subnet(eip=…,ipv4=…,ipv6=…,nat=…)</c>, comma-separated.</summary>
    public static string SubnetMappings(IReadOnlyList<SubnetMappingSpec> mappings) =>
        string.Join(",", mappings.Select(static m =>
        {
            var parts = new List<string>();
            if (m.AllocationId is not null)
                parts.Add("eip=" + m.AllocationId);
            if (m.PrivateIpv4Address is not null)
                parts.Add("ipv4=" + m.PrivateIpv4Address);
            if (m.Ipv6Address is not null)
                parts.Add("ipv6=" + m.Ipv6Address);
            if (m.SourceNatIpv6Prefix is not null)
                parts.Add("nat=" + m.SourceNatIpv6Prefix);
            return parts.Count == 0 ? m.SubnetId : $"{m.SubnetId}({string.Join(";", parts)})";
        }));

    public async Task PostSynthesizeAsync(CancellationToken ct)
    {
        foreach (var old in run.ObsoleteLoadBalancers.Where(lb => !run.DeletedLoadBalancers.Contains(lb.Arn)).ToList())
        {
            if (Ctx.IsApply)
                await DeleteAsync(old, ct).ConfigureAwait(false);
            run.DeletedLoadBalancers.Add(old.Arn);
            Ctx.Record(new ResourceChange(ChangeAction.Delete, ResourceTypes.LoadBalancer, ResourceIds.LoadBalancer, old.Arn, [new FieldChange("name", old.Resource.LoadBalancerName, null)]));
        }
    }

    private async Task DeleteAsync(Tagged<LoadBalancer> lb, CancellationToken ct)
    {
        try
        {
            await Ctx.CallAsync("DeleteLoadBalancer", ResourceTypes.LoadBalancer, ResourceIds.LoadBalancer, lb.Arn, () => Ctx.Elb.DeleteLoadBalancerAsync(new DeleteLoadBalancerRequest { LoadBalancerArn = lb.Arn }, ct)).ConfigureAwait(false);
        }
        catch (ElasticLoadBalancingV2Exception ex) when (ex.IsLoadBalancerNotFound)
        {
            // already gone
        }
    }
}
