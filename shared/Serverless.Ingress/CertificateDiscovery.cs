using Serverless.Model;

namespace Serverless.Ingress;

/// <summary>
/// Upstream's ACM certificate discovery (<c>pkg/certs/cert_discovery.go</c>) for a member with an HTTPS listen port
/// and no explicit certificate: every host of the Ingress must be covered by an <c>ISSUED</c> certificate, whose domain
/// name or a SAN equals the host or is a wildcard one label deep (<c>*.a.b</c> covers <c>x.a.b</c>, not <c>a.b</c> nor
/// <c>y.x.a.b</c>); every matching certificate is added to the listener.
/// </summary>
/// <remarks>
/// Order (upstream's is a sorted set of ARNs, so its default certificate is whichever ARN sorts first): hosts in
/// <c>spec.tls[].hosts</c> order, then <c>spec.rules[].host</c> order; for each host, certificates naming it exactly
/// before wildcard ones, then by ARN; each certificate once. The first is the member's default certificate — the
/// best match of its first TLS host — and it does not change when an unrelated certificate is issued.
/// A host no certificate covers is an error naming the Ingress, the field and the host; the member is frozen
/// (upstream fails the group).
/// </remarks>
internal static class CertificateDiscovery
{
    /// <summary>The discovered certificates (null when the member has no host) and one error per uncovered host.</summary>
    public static (Setting<IReadOnlyList<string>>? Certificates, List<BuildError> Errors) Discover(GroupMember member, IReadOnlyList<CertificateFact> certificates)
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(certificates);
        var errors = new List<BuildError>();
        var found = new List<string>();
        var hosts = Hosts(member);
        foreach (var (host, field) in hosts)
        {
            var matches = certificates
                .Select(c => (c.Arn, Rank: Rank(c, host)))
                .Where(static m => m.Rank > 0)
                .OrderBy(static m => m.Rank)
                .ThenBy(static m => m.Arn, StringComparer.Ordinal)
                .Select(static m => m.Arn)
                .ToList();
            if (matches.Count == 0)
            {
                errors.Add(new BuildError(member.Description, field, host,
                    $"no certificate found for host: {host} (no ISSUED ACM certificate's domain name or SAN covers it; issue or import one, or set alb.ingress.kubernetes.io/certificate-arn)"));
                continue;
            }
            foreach (var arn in matches.Where(arn => !found.Contains(arn, StringComparer.Ordinal)))
                found.Add(arn);
        }
        if (found.Count == 0)
            return (null, errors);
        var display = string.Join(',', found);
        var from = "ACM certificate discovery for hosts " + string.Join(", ", hosts.Select(static h => h.Host));
        return (new Setting<IReadOnlyList<string>>(found, from, display), errors);
    }

    /// <summary>True when the ACM name <paramref name="domain"/> covers <paramref name="host"/> (upstream's <c>domainMatchesHost</c>, ignoring case).</summary>
    public static bool Matches(string domain, string host)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(host);
        if (!domain.StartsWith("*.", StringComparison.Ordinal))
            return string.Equals(domain, host, StringComparison.OrdinalIgnoreCase);
        var dot = host.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && string.Equals(domain[1..], host[dot..], StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>1 when a name of <paramref name="certificate"/> equals the host, 2 when only a wildcard covers it, 0 when none does.</summary>
    private static int Rank(CertificateFact certificate, string host)
    {
        if (certificate.Domains.Any(d => string.Equals(d, host, StringComparison.OrdinalIgnoreCase)))
            return 1;
        return certificate.Domains.Any(d => Matches(d, host)) ? 2 : 0;
    }

    /// <summary>The member's hosts, each once (ignoring case) with where it was first written: TLS hosts, then rule hosts.</summary>
    private static List<(string Host, string Field)> Hosts(GroupMember member)
    {
        var hosts = new List<(string Host, string Field)>();
        void Add(string? host, string field)
        {
            if (!string.IsNullOrEmpty(host) && !hosts.Exists(h => string.Equals(h.Host, host, StringComparison.OrdinalIgnoreCase)))
                hosts.Add((host, field));
        }

        var tls = member.Ingress.Spec?.Tls ?? [];
        for (var i = 0; i < tls.Count; i++)
        {
            var tlsHosts = tls[i].Hosts ?? [];
            for (var j = 0; j < tlsHosts.Count; j++)
                Add(tlsHosts[j], $"spec.tls[{i}].hosts[{j}]");
        }
        var rules = member.Ingress.Spec?.Rules ?? [];
        for (var i = 0; i < rules.Count; i++)
            Add(rules[i].Host, $"spec.rules[{i}].host");
        return hosts;
    }
}
