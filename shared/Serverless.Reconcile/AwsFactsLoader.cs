using System.Text.Json;
using k8s.Models;
using Serverless.Aws.Acm;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Aws.Wafv2;
using Serverless.Deploy;
using Serverless.Ingress;
using Serverless.Model;

namespace Serverless.Reconcile;

/// <summary>
/// Looks up the AWS facts the model builder needs for one group, scoped to the cluster's VPC and the group's own
/// names — never a region-wide scan: the VPC (CIDRs), its subnets and security groups (one call each), the node
/// instances' security groups (by instance id), the group's existing load balancer (by its deterministic names,
/// confirmed by the stack tag), target groups named in <c>actions.*</c>, and — only when a candidate member may need
/// certificate discovery (an HTTPS listen port and no <c>certificate-arn</c>) — the account's ISSUED ACM certificates,
/// and — only when a candidate member sets <c>wafv2-acl-name</c> without <c>wafv2-acl-arn</c> — the REGIONAL WAFv2
/// web ACLs (name → ARN).
/// </summary>
/// <remarks>
/// With <c>cacheFor</c> set (a Lambda container), the facts of a group are kept that long and reused by event-driven
/// reconciles of the same group with the same candidate names and nodes, so a no-op reconcile does not re-read the
/// VPC; a full drift check (<c>fresh</c>) always reads AWS. Facts change rarely (subnets, security groups, the LB's
/// subnets); a change is seen at the latest after the window or at the next replay.
/// </remarks>
public sealed class AwsFactsLoader(IEc2Gateway ec2, IElasticLoadBalancingV2Client elb, IAcmClient acm, IWafv2Client waf, TimeSpan cacheFor = default, TimeProvider? time = null) : IAwsFactsLoader, IServiceFactsLoader
{
    private const string ActionsPrefix = "alb.ingress.kubernetes.io/actions.";
    private const string LoadBalancerNameAnnotation = "alb.ingress.kubernetes.io/load-balancer-name";
    private const string ListenPortsAnnotation = "alb.ingress.kubernetes.io/listen-ports";
    private const string CertificateArnAnnotation = "alb.ingress.kubernetes.io/certificate-arn";
    private const string WebAclArnAnnotation = "alb.ingress.kubernetes.io/wafv2-acl-arn";
    private const string WebAclNameAnnotation = "alb.ingress.kubernetes.io/wafv2-acl-name";
    private const string ServiceLoadBalancerNameAnnotation = "service.beta.kubernetes.io/aws-load-balancer-name";
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, (ServiceAwsFacts Facts, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);

    /// <summary>
    /// The facts for <paramref name="group"/>, whose candidate members are <paramref name="ingresses"/>; from the cache
    /// when allowed and still valid, read from AWS when <paramref name="fresh"/> or not cached.
    /// </summary>
    /// <param name="cluster">The cluster.</param>
    /// <param name="group">The group.</param>
    /// <param name="ingresses">The group's candidate members.</param>
    /// <param name="nodes">The cluster's nodes.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <param name="fresh">True: read AWS even when cached (a full drift check).</param>
    /// <param name="read">
    /// Called when the facts were read from AWS by this call (not served from the cache), with what the deployer would
    /// otherwise read again: pass it as <see cref="DeployOptions.Known"/> of this reconcile's deploy.
    /// </param>
    public async Task<AwsFacts> LoadAsync(
        ClusterSettings cluster,
        StackId group,
        IReadOnlyList<V1Ingress> ingresses,
        IReadOnlyList<V1Node> nodes,
        CancellationToken cancellationToken = default,
        bool fresh = false,
        Action<KnownAwsReads>? read = null)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(ingresses);
        ArgumentNullException.ThrowIfNull(nodes);
        if (cacheFor <= TimeSpan.Zero)
            return (await ReadAsync(cluster, group, ingresses, nodes, read, cancellationToken).ConfigureAwait(false)).Aws;

        var key = string.Join('\n', [
            cluster.ClusterName, cluster.VpcId, group.ToString(), NeedsCertificateDiscovery(ingresses) ? "acm" : "-",
            NeedsWebAcls(ingresses) ? "wafv2" : "-",
            .. CandidateLoadBalancerNames(cluster, group, ingresses),
            .. nodes.Select(ProviderIds.InstanceId).OfType<string>().Order(StringComparer.Ordinal),
            .. ingresses.SelectMany(i => i.Metadata?.Annotations ?? new Dictionary<string, string>())
                .Where(a => a.Key.StartsWith(ActionsPrefix, StringComparison.Ordinal)).Select(a => a.Value).Order(StringComparer.Ordinal)]);
        var now = _time.GetUtcNow();
        lock (_cache)
        {
            if (!fresh && _cache.TryGetValue(key, out var hit) && hit.Until > now)
                return hit.Facts.Aws;
        }
        var facts = await ReadAsync(cluster, group, ingresses, nodes, read, cancellationToken).ConfigureAwait(false);
        Remember(key, facts, now);
        return facts.Aws;
    }

    /// <summary>
    /// The facts for the Service stack <paramref name="stack"/>: the same VPC, subnet, security group and node reads as
    /// a group's, and its existing NLB looked up by <see cref="ServiceLoadBalancerNames"/> only, confirmed by the
    /// <c>service.k8s.aws/stack</c> tag. Cached like a group's (see the remarks).
    /// </summary>
    public async Task<ServiceAwsFacts> LoadServiceAsync(
        ClusterSettings cluster,
        StackId stack,
        V1Service service,
        IReadOnlyList<V1Node> nodes,
        CancellationToken cancellationToken = default,
        bool fresh = false,
        Action<KnownAwsReads>? read = null)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(nodes);
        if (!stack.IsService)
            throw new ArgumentException($"{stack} is not a Service stack", nameof(stack));
        var names = LikelyServiceLoadBalancerNames(cluster, stack, service);
        if (cacheFor <= TimeSpan.Zero)
            return await ReadAsync(cluster, stack, names, [], nodes, read, cancellationToken).ConfigureAwait(false);
        var key = string.Join('\n', [
            "service", cluster.ClusterName, cluster.VpcId, stack.ToString(), .. names,
            .. nodes.Select(ProviderIds.InstanceId).OfType<string>().Order(StringComparer.Ordinal)]);
        var now = _time.GetUtcNow();
        lock (_cache)
        {
            if (!fresh && _cache.TryGetValue(key, out var hit) && hit.Until > now)
                return hit.Facts;
        }
        var facts = await ReadAsync(cluster, stack, names, [], nodes, read, cancellationToken).ConfigureAwait(false);
        Remember(key, facts, now);
        return facts;
    }

    private void Remember(string key, ServiceAwsFacts facts, DateTimeOffset now)
    {
        lock (_cache)
        {
            foreach (var expired in _cache.Where(e => e.Value.Until <= now).Select(e => e.Key).ToList())
                _cache.Remove(expired);
            _cache[key] = (facts, now + cacheFor);
        }
    }

    /// <summary>
    /// The names a Service's NLB can have: upstream's generated name for either scheme
    /// (<c>k8s-&lt;ns:8&gt;-&lt;name:8&gt;-&lt;hash:10&gt;</c>, hash of cluster name, Service UID and scheme), the
    /// <c>aws-load-balancer-name</c> annotation (at most 32 characters), and the names behind the status hostname.
    /// Discovery looks only at these; a name counts only when the NLB carries this cluster's and Service's tags.
    /// </summary>
    public static IReadOnlyList<string> ServiceLoadBalancerNames(ClusterSettings cluster, StackId stack, V1Service service) =>
        [.. LikelyServiceLoadBalancerNames(cluster, stack, service).Order(StringComparer.Ordinal)];

    /// <summary>The candidate names, most likely first: from the status hostname, the annotation, then generated.</summary>
    private static IReadOnlyList<string> LikelyServiceLoadBalancerNames(ClusterSettings cluster, StackId stack, V1Service service)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(service);
        var names = new List<string>();
        names.AddRange((service.Status?.LoadBalancer?.Ingress ?? []).SelectMany(static i => NamesFromHostname(i.Hostname)));
        if (service.Metadata?.Annotations?.TryGetValue(ServiceLoadBalancerNameAnnotation, out var annotated) == true && annotated.Length is > 0 and <= 32)
            names.Add(annotated);
        if (service.Metadata?.Uid is { Length: > 0 } uid)
        {
            foreach (var scheme in (string[])["internal", "internet-facing"])
            {
                var hash = Naming.Sha256Hex(cluster.ClusterName, uid, scheme);
                names.Add($"k8s-{Prefix(stack.Namespace!)}-{Prefix(stack.Name!)}-{hash[..10]}");
            }
        }
        return [.. names.Distinct(StringComparer.Ordinal)];

        static string Prefix(string value)
        {
            var sanitized = Naming.Sanitize(value);
            return sanitized.Length <= 8 ? sanitized : sanitized[..8];
        }
    }

    private Task<ServiceAwsFacts> ReadAsync(
        ClusterSettings cluster,
        StackId group,
        IReadOnlyList<V1Ingress> ingresses,
        IReadOnlyList<V1Node> nodes,
        Action<KnownAwsReads>? read,
        CancellationToken cancellationToken) =>
        ReadAsync(cluster, group, LikelyLoadBalancerNames(cluster, group, ingresses), ingresses, nodes, read, cancellationToken);

    private async Task<ServiceAwsFacts> ReadAsync(
        ClusterSettings cluster,
        StackId group,
        IReadOnlyList<string> likelyNames,
        IReadOnlyList<V1Ingress> ingresses,
        IReadOnlyList<V1Node> nodes,
        Action<KnownAwsReads>? read,
        CancellationToken cancellationToken)
    {
        var vpc = await ec2.DescribeVpcAsync(cluster.VpcId, cancellationToken).ConfigureAwait(false);
        var vpcFilter = new[] { Ec2Filter.VpcId(cluster.VpcId) };
        var subnets = await ec2.FindSubnetsAsync(vpcFilter, cancellationToken).ConfigureAwait(false);
        var groups = await ec2.FindSecurityGroupsAsync(vpcFilter, cancellationToken).ConfigureAwait(false);

        var backendName = Naming.BackendSecurityGroupName(cluster.ClusterName);
        var backend = groups.FirstOrDefault(g =>
            g.GroupName == backendName && g.Tags.TryGetValue(TrackingTags.Cluster, out var owner) && owner == cluster.ClusterName);
        var lookup = await ExistingLoadBalancerAsync(cluster, group, likelyNames, cancellationToken).ConfigureAwait(false);
        read?.Invoke(new KnownAwsReads
        {
            LoadBalancerNames = lookup.Names,
            LoadBalancers = lookup.Found,
            VpcId = cluster.VpcId,
            VpcSecurityGroups = groups,
        });

        var facts = new AwsFacts
        {
            VpcCidrs = [.. vpc.CidrBlocks, .. vpc.Ipv6CidrBlocks],
            Subnets = [.. subnets.Select(s => new SubnetFact
            {
                Id = s.SubnetId,
                AvailabilityZone = s.AvailabilityZone,
                CidrBlock = s.CidrBlock,
                HasIpv6 = s.Ipv6CidrBlocks.Count > 0,
                AvailableIpAddressCount = s.AvailableIpAddressCount,
                Tags = s.Tags,
            })],
            SecurityGroups = [.. groups.Select(g => new SecurityGroupFact { Id = g.GroupId, Name = g.GroupName, Tags = g.Tags })],
            BackendSecurityGroupId = backend?.GroupId,
            NodeSecurityGroupIds = await NodeSecurityGroupsAsync(cluster, nodes, groups, cancellationToken).ConfigureAwait(false),
            ExistingLoadBalancer = lookup.Existing,
            TargetGroupArnsByName = await NamedTargetGroupsAsync(ingresses, cancellationToken).ConfigureAwait(false),
            Certificates = NeedsCertificateDiscovery(ingresses) ? await IssuedCertificatesAsync(cancellationToken).ConfigureAwait(false) : [],
            WebAclArnsByName = NeedsWebAcls(ingresses)
                ? await RegionalWebAclsAsync(cancellationToken).ConfigureAwait(false)
                : new Dictionary<string, string>(),
            WebAclsListed = NeedsWebAcls(ingresses),
        };
        return new ServiceAwsFacts(
            facts,
            lookup.Existing is null ? null : [.. (lookup.LoadBalancer?.SecurityGroups ?? []).Order(StringComparer.Ordinal)],
            subnets.Where(static s => s.Ipv6CidrBlocks.Count > 0).ToDictionary(static s => s.SubnetId, static s => s.Ipv6CidrBlocks, StringComparer.Ordinal));
    }

    /// <summary>
    /// True when some Ingress may have its certificates discovered: it asks for an HTTPS listen port and names no
    /// <c>certificate-arn</c>. A superset of the builder's rule (which also counts IngressClassParams
    /// <c>certificateArn</c>), so the builder never lacks certificates it needs; an HTTPS port only comes from the
    /// <c>listen-ports</c> annotation when no certificate is named.
    /// </summary>
    public static bool NeedsCertificateDiscovery(IReadOnlyList<V1Ingress> ingresses)
    {
        ArgumentNullException.ThrowIfNull(ingresses);
        return ingresses.Any(static i =>
            i.Metadata?.Annotations is { } a
            && a.TryGetValue(ListenPortsAnnotation, out var ports) && ports.Contains("HTTPS", StringComparison.Ordinal)
            && (!a.TryGetValue(CertificateArnAnnotation, out var arns)
                || arns.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length == 0));
    }

    /// <summary>
    /// True when some Ingress names a WAFv2 web ACL: by <c>wafv2-acl-name</c> (resolved to its ARN) or by
    /// <c>wafv2-acl-arn</c> other than <c>none</c> (checked to exist, so a web ACL that is not there stops the Ingress
    /// before anything is written instead of failing the association after the rest of the group changed).
    /// </summary>
    public static bool NeedsWebAcls(IReadOnlyList<V1Ingress> ingresses)
    {
        ArgumentNullException.ThrowIfNull(ingresses);
        return ingresses.Any(static i =>
            i.Metadata?.Annotations is { } a
            && ((a.TryGetValue(WebAclNameAnnotation, out var name) && !string.IsNullOrWhiteSpace(name))
                || (a.TryGetValue(WebAclArnAnnotation, out var arn) && !string.IsNullOrWhiteSpace(arn) && arn.Trim() != "none")));
    }

    private async Task<IReadOnlyDictionary<string, string>> RegionalWebAclsAsync(CancellationToken ct)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await foreach (var acl in waf.ListWebACLsPaginatedAsync("REGIONAL", ct).ConfigureAwait(false))
        {
            if (acl is { Name: { } name, ARN: { } arn })
                result[name] = arn;
        }
        return result;
    }

    private async Task<IReadOnlyList<CertificateFact>> IssuedCertificatesAsync(CancellationToken ct) =>
        [.. (await AcmCertificateDiscovery.IssuedAsync(acm, ct).ConfigureAwait(false)).Select(static c => new CertificateFact { Arn = c.CertificateArn, Domains = c.Domains })];

    /// <summary>
    /// Upstream's rule for the security group that node rules go to: of an instance's primary ENI groups, the one
    /// tagged <c>kubernetes.io/cluster/&lt;name&gt;</c>; when none is tagged and it has exactly one group, that one.
    /// </summary>
    private async Task<IReadOnlyList<string>> NodeSecurityGroupsAsync(
        ClusterSettings cluster, IReadOnlyList<V1Node> nodes, IReadOnlyList<SecurityGroupInfo> vpcGroups, CancellationToken ct)
    {
        var instanceIds = nodes.Select(ProviderIds.InstanceId).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (instanceIds.Count == 0)
            return [];
        IReadOnlyList<InstanceInfo> instances;
        try
        {
            instances = await ec2.DescribeInstancesAsync(instanceIds, ct).ConfigureAwait(false);
        }
        catch (Amazon.EC2.AmazonEC2Exception ex) when (ex.ErrorCode == "InvalidInstanceID.NotFound")
        {
            // A node whose instance is gone: its targets are skipped by the builder's readiness rules anyway.
            return [];
        }
        var clusterTag = "kubernetes.io/cluster/" + cluster.ClusterName;
        var tagged = vpcGroups.Where(g => g.Tags.ContainsKey(clusterTag)).Select(g => g.GroupId).ToHashSet(StringComparer.Ordinal);
        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var instance in instances)
        {
            var primary = instance.NetworkInterfaces.FirstOrDefault(n => n.DeviceIndex == 0)?.SecurityGroupIds ?? instance.SecurityGroupIds;
            var candidates = primary.Where(tagged.Contains).ToList();
            if (candidates.Count == 1)
                result.Add(candidates[0]);
            else if (candidates.Count == 0 && primary.Count == 1)
                result.Add(primary[0]);
        }
        return [.. result];
    }

    /// <summary>
    /// The names the group's load balancer can have: the generated name for either scheme (a scheme change replaces
    /// the load balancer under the other name) and any <c>load-balancer-name</c> a candidate member sets. Discovery
    /// looks only at these — never a region scan — so a load balancer renamed away from an annotation value that no
    /// member still sets is left to the replay's cluster-wide garbage collection.
    /// </summary>
    public static IReadOnlyList<string> CandidateLoadBalancerNames(ClusterSettings cluster, StackId group, IReadOnlyList<V1Ingress> ingresses)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(ingresses);
        var names = new SortedSet<string>(StringComparer.Ordinal)
        {
            Naming.LoadBalancerName(cluster.ClusterName, group, "internet-facing"),
            Naming.LoadBalancerName(cluster.ClusterName, group, "internal"),
        };
        foreach (var ingress in ingresses)
        {
            if (ingress.Metadata?.Annotations?.TryGetValue(LoadBalancerNameAnnotation, out var name) == true && name.Length is > 0 and <= 32)
                names.Add(name);
            foreach (var status in ingress.Status?.LoadBalancer?.Ingress ?? [])
                names.UnionWith(NamesFromHostname(status.Hostname));
        }
        return [.. names];
    }

    /// <summary>
    /// The load balancer names an ALB DNS name in an Ingress status can stand for (<c>[internal-]&lt;name&gt;-&lt;id&gt;.&lt;region&gt;.elb.amazonaws.com</c>).
    /// They keep the load balancer the status points at discoverable after a <c>load-balancer-name</c> change or
    /// removal, so it is replaced rather than left running; a name only counts when the load balancer carries this
    /// cluster's and group's tags.
    /// </summary>
    internal static IEnumerable<string> NamesFromHostname(string? hostname)
    {
        if (string.IsNullOrEmpty(hostname) || !hostname.Contains(".elb.", StringComparison.OrdinalIgnoreCase))
            yield break;
        var label = hostname[..hostname.IndexOf('.', StringComparison.Ordinal)];
        var dash = label.LastIndexOf('-');
        if (dash <= 0)
            yield break;
        var name = label[..dash];
        if (name.Length <= 32)
            yield return name;
        const string internalPrefix = "internal-";
        if (name.StartsWith(internalPrefix, StringComparison.Ordinal) && name.Length > internalPrefix.Length)
            yield return name[internalPrefix.Length..];
    }

    /// <summary>
    /// The candidate names in the order the group's load balancer most likely has: the names behind the members'
    /// status hostnames (the load balancer the group runs on; an <c>internal-</c> prefix is the DNS name's, so the name
    /// without it comes first), the <c>load-balancer-name</c> annotations, then the generated names.
    /// </summary>
    public static IReadOnlyList<string> LikelyLoadBalancerNames(ClusterSettings cluster, StackId group, IReadOnlyList<V1Ingress> ingresses)
    {
        ArgumentNullException.ThrowIfNull(ingresses);
        var candidates = CandidateLoadBalancerNames(cluster, group, ingresses);
        var fromStatus = ingresses.SelectMany(static i => i.Status?.LoadBalancer?.Ingress ?? []).SelectMany(static s => NamesFromHostname(s.Hostname)).ToList();
        var annotated = ingresses.Select(static i => i.Metadata?.Annotations is { } a && a.TryGetValue(LoadBalancerNameAnnotation, out var n) ? n : null).OfType<string>();
        string[] generated = [Naming.LoadBalancerName(cluster.ClusterName, group, "internet-facing"), Naming.LoadBalancerName(cluster.ClusterName, group, "internal")];
        return [.. fromStatus.Where(static n => !n.StartsWith("internal-", StringComparison.Ordinal))
            .Concat(annotated).Concat(generated).Concat(fromStatus).Concat(candidates)
            .Where(candidates.Contains).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>
    /// The stack's load balancer: the candidate names one per call, most likely first (AWS fails a call naming an
    /// absent load balancer), until one carries this cluster's and stack's tags (<see cref="TrackingTags.StackKey"/> of its kind). Returns it, the names asked and what
    /// they found (with tags).
    /// </summary>
    private async Task<(ExistingLoadBalancerFact? Existing, LoadBalancer? LoadBalancer, List<string> Names, List<KnownLoadBalancer> Found)> ExistingLoadBalancerAsync(
        ClusterSettings cluster, StackId group, IReadOnlyList<string> likelyNames, CancellationToken ct)
    {
        var stack = group.ToString();
        var stackKey = TrackingTags.StackKey(group);
        var names = new List<string>();
        var found = new List<KnownLoadBalancer>();
        foreach (var name in likelyNames)
        {
            names.Add(name);
            var lb = await elb.LoadBalancerByNameAsync(name, ct).ConfigureAwait(false);
            if (lb is null)
                continue;
            var tags = await elb.DescribeTagsAsync(new DescribeTagsRequest { ResourceArns = [lb.LoadBalancerArn!] }, ct).ConfigureAwait(false);
            var lbTags = (tags.TagDescriptions?.FirstOrDefault(d => d.ResourceArn == lb.LoadBalancerArn)?.Tags ?? [])
                .Where(static t => t.Key is not null).ToDictionary(static t => t.Key!, static t => t.Value ?? string.Empty, StringComparer.Ordinal);
            found.Add(new KnownLoadBalancer(lb, lbTags));
            if (lbTags.GetValueOrDefault(TrackingTags.Cluster) == cluster.ClusterName && lbTags.GetValueOrDefault(stackKey) == stack)
            {
                var existing = new ExistingLoadBalancerFact
                {
                    Scheme = lb.Scheme ?? "internal",
                    SubnetIds = [.. (lb.AvailabilityZones ?? []).Select(z => z.SubnetId).OfType<string>().Order(StringComparer.Ordinal)],
                    DnsName = lb.DNSName,
                };
                return (existing, lb, names, found);
            }
        }
        return (null, null, names, found);
    }

    private async Task<IReadOnlyDictionary<string, string>> NamedTargetGroupsAsync(IReadOnlyList<V1Ingress> ingresses, CancellationToken ct)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var ingress in ingresses)
        {
            foreach (var (key, value) in ingress.Metadata?.Annotations ?? new Dictionary<string, string>())
            {
                if (key.StartsWith(ActionsPrefix, StringComparison.Ordinal))
                    CollectTargetGroupNames(value, names);
            }
        }
        if (names.Count == 0)
            return new Dictionary<string, string>();
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var tg in await elb.TargetGroupsByNameAsync(names, ct).ConfigureAwait(false))
            result[tg.TargetGroupName!] = tg.TargetGroupArn!;
        return result;
    }

    /// <summary>Every <c>targetGroupName</c> in an <c>actions.*</c> value; invalid JSON is the builder's error to report.</summary>
    private static void CollectTargetGroupNames(string json, SortedSet<string> names)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            Walk(document.RootElement);
        }
        catch (JsonException)
        {
            // reported by the builder with the Ingress, field and value
        }

        void Walk(JsonElement element)
        {
            if (element.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in element.EnumerateObject())
                {
                    if (property.NameEquals("targetGroupName") && property.Value.ValueKind == JsonValueKind.String
                        && property.Value.GetString() is { Length: > 0 and <= 32 } name)
                        names.Add(name);
                    else
                        Walk(property.Value);
                }
            }
            else if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in element.EnumerateArray())
                    Walk(item);
            }
        }
    }
}
