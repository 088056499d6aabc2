using k8s.Models;
using Serverless.Model;
using static Serverless.Ingress.Tests.Front.F;

namespace Serverless.Ingress.Tests.Front;

/// <summary>ACM certificate discovery for HTTPS listeners of members without certificate-arn.</summary>
public class CertificateDiscoveryTests
{
    private static readonly (string, string) Shared = ("group.name", "shared");
    private static readonly (string, string) Https = ("listen-ports", "[{\"HTTPS\":443}]");

    private static CertificateFact Cert(string arn, params string[] domains) => new() { Arn = arn, Domains = domains };

    private static V1Ingress WithTls(V1Ingress ingress, params string[] hosts)
    {
        ingress.Spec.Tls = [new V1IngressTLS { Hosts = hosts }];
        return ingress;
    }

    private static Stack BuildWith(IReadOnlyList<CertificateFact> certificates, params V1Ingress[] ingresses)
    {
        var snapshot = Snapshot(Group(), ingresses);
        var noRules = ingresses.ToDictionary(static i => i.Metadata.NamespaceProperty + "/" + i.Metadata.Name, static _ => new MemberRules());
        return Build(snapshot with { Aws = snapshot.Aws with { Certificates = certificates } }, noRules);
    }

    [Theory]
    [InlineData("www.example.com", "www.example.com", true)]
    [InlineData("WWW.Example.com", "www.example.com", true)]
    [InlineData("*.example.com", "www.example.com", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "a.www.example.com", false)]
    [InlineData("*.example.com", "*.example.com", true)]
    [InlineData("example.com", "www.example.com", false)]
    [InlineData("*.www.example.com", "www.example.com", false)]
    public void A_name_covers_a_host_exactly_or_by_a_wildcard_one_label_deep(string domain, string host, bool expected) =>
        Assert.Equal(expected, CertificateDiscovery.Matches(domain, host));

    [Fact]
    public void An_exact_certificate_is_the_default_before_a_wildcard_whatever_the_arns()
    {
        var stack = BuildWith(
            [Cert("arn:a-wildcard", "*.example.com"), Cert("arn:z-exact", "shop.example.com"), Cert("arn:other", "other.org")],
            WithTls(Ing("ns", "a", A(Shared, Https)), "shop.example.com"));

        Assert.Equal(IngressState.Active, stack.Outcome("ns/a").State);
        var listener = Assert.Single(stack.Listeners);
        Assert.Equal((443, "HTTPS"), (listener.Port, listener.Protocol));
        Assert.Equal(["arn:z-exact", "arn:a-wildcard"], listener.Certificates);
    }

    [Fact]
    public void Every_host_adds_its_certificates_in_host_order_tls_hosts_first_each_once()
    {
        var ingress = WithTls(Ing("ns", "a", A(Shared, Https), rules: true), "b.example.com");
        var stack = BuildWith(
            [Cert("arn:1", "a.example.com"), Cert("arn:2", "b.example.com", "a.example.com"), Cert("arn:3", "*.example.com")],
            ingress);

        // The rule host a.example.com comes after the TLS host b.example.com.
        Assert.Equal(IngressState.Active, stack.Outcome("ns/a").State);
        var listener = Assert.Single(stack.Listeners);
        Assert.Equal(["arn:2", "arn:3", "arn:1"], listener.Certificates);
    }

    [Fact]
    public void A_host_no_certificate_covers_freezes_only_that_member_naming_field_and_host()
    {
        var stack = BuildWith(
            [Cert("arn:ok", "ok.example.com")],
            WithTls(Ing("ns", "good", A(Shared, Https)), "ok.example.com"),
            WithTls(Ing("ns", "bad", A(Shared, Https)), "ok.example.com", "deep.api.example.com"));

        Assert.Equal(IngressState.Active, stack.Outcome("ns/good").State);
        Assert.Equal(IngressState.Frozen, stack.Outcome("ns/bad").State);
        var error = Assert.Single(stack.Outcome("ns/bad").Errors);
        Assert.Equal(("Ingress ns/bad", "spec.tls[0].hosts[1]", "deep.api.example.com"), (error.Object, error.Field, error.Value));
        Assert.StartsWith("no certificate found for host: deep.api.example.com", error.Message, StringComparison.Ordinal);
        Assert.Equal(["arn:ok"], Assert.Single(stack.Listeners).Certificates);
    }

    [Fact]
    public void An_explicit_certificate_turns_discovery_off_for_that_member()
    {
        var stack = BuildWith(
            [Cert("arn:discovered", "shop.example.com")],
            WithTls(Ing("ns", "a", A(Shared, Https, ("certificate-arn", "arn:explicit"))), "shop.example.com", "nowhere.example.org"));

        Assert.Equal(IngressState.Active, stack.Outcome("ns/a").State);
        Assert.Equal(["arn:explicit"], Assert.Single(stack.Listeners).Certificates);
    }

    [Fact]
    public void Without_an_https_port_nothing_is_discovered_or_required()
    {
        var stack = BuildWith([], WithTls(Ing("ns", "a", A(Shared)), "shop.example.com"));

        Assert.Equal(IngressState.Active, stack.Outcome("ns/a").State);
        var listener = Assert.Single(stack.Listeners);
        Assert.Equal((80, "HTTP"), (listener.Port, listener.Protocol));
        Assert.Empty(listener.Certificates);
    }
}
