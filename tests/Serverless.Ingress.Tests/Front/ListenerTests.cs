using Serverless.Model;
using static Serverless.Ingress.Tests.Front.F;

namespace Serverless.Ingress.Tests.Front;

public class ListenerTests
{
    private static readonly (string, string) Shared = ("group.name", "shared");
    private static readonly (string, string) TwoPorts = ("listen-ports", "[{\"HTTP\":80},{\"HTTPS\":443}]");

    private static ActionSpec Fixed404 { get; } = new()
    {
        Type = "fixed-response",
        FixedResponse = new FixedResponseActionSpec { StatusCode = "404", ContentType = "text/plain" },
    };

    [Fact]
    public void WithoutListenPorts_TheListenerIsHttp80_WithAFixed404DefaultAction()
    {
        var listener = Assert.Single(Build(Snapshot(Group(), Ing("ns", "a", A(Shared)))).Listeners);
        Assert.Equal((80, "HTTP"), (listener.Port, listener.Protocol));
        Assert.Null(listener.SslPolicy);
        Assert.Empty(listener.Certificates);
        Assert.Equal([Fixed404], listener.DefaultActions);
        Assert.Equal("80", listener.Tags["ingress.k8s.aws/resource"]);
    }

    [Fact]
    public void WithCertificatesAndNoListenPorts_TheListenerIsHttps443_WithTheDefaultSslPolicy()
    {
        var listener = Assert.Single(Build(Snapshot(Group(), Ing("ns", "a", A(Shared, ("certificate-arn", "arn:c1,arn:c2"))))).Listeners);
        Assert.Equal((443, "HTTPS", "ELBSecurityPolicy-2016-08"), (listener.Port, listener.Protocol, listener.SslPolicy));
        Assert.Equal(["arn:c1", "arn:c2"], listener.Certificates);
    }

    [Fact]
    public void IngressClassParamsCertificates_CountAsCertificates()
    {
        var snapshot = Snapshot(Group(), Ing("ns", "a", A(Shared, ("certificate-arn", "arn:annotation")))) with
        {
            IngressClasses = [Class(paramsName: "p")],
            IngressClassParams = [new IngressClassParams { Name = "p", CertificateArns = ["arn:params"], SslPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06" }],
        };
        var listener = Assert.Single(Build(snapshot).Listeners);
        Assert.Equal((443, "HTTPS", "ELBSecurityPolicy-TLS13-1-2-2021-06"), (listener.Port, listener.Protocol, listener.SslPolicy));
        Assert.Equal(["arn:params"], listener.Certificates);
    }

    [Fact]
    public void ListenPorts_AreListenersSortedByPort()
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, ("listen-ports", "[{\"HTTPS\":8443},{\"HTTP\":80},{\"HTTP\":8080}]"), ("certificate-arn", "arn:c")))));
        Assert.Equal([(80, "HTTP"), (8080, "HTTP"), (8443, "HTTPS")], stack.Listeners.Select(static l => (l.Port, l.Protocol)));
    }

    [Theory]
    [InlineData("[{\"HTTP\":0}]", "listen port must be within [1, 65535]: 0")]
    [InlineData("[{\"HTTP\":65536}]", "listen port must be within [1, 65535]: 65536")]
    [InlineData("[{\"TCP\":80}]", "listen protocol must be within [HTTP, HTTPS]: TCP")]
    [InlineData("[]", "empty listen-ports configuration")]
    [InlineData("[{\"HTTP\":\"80\"}]", "failed to parse listen-ports configuration: the port of HTTP must be an integer")]
    [InlineData("{\"HTTP\":80}", "failed to parse listen-ports configuration: must be a JSON list like [{\"HTTP\":80},{\"HTTPS\":443}]")]
    public void InvalidListenPorts_FreezeTheIngress(string value, string message)
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "bad", A(Shared, ("listen-ports", value))), Ing("ns", "good", A(Shared))));
        var error = Assert.Single(stack.Outcome("ns/bad").Errors);
        Assert.Equal(("annotation alb.ingress.kubernetes.io/listen-ports", value, message), (error.Field, error.Value, error.Message));
        Assert.Single(stack.Listeners);
    }

    [Fact]
    public void MalformedListenPortsJson_FreezesTheIngress()
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "bad", A(Shared, ("listen-ports", "[{\"HTTP\":80")))));
        Assert.Contains("is not valid JSON", Assert.Single(stack.Outcome("ns/bad").Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HttpsWithoutAnyCertificateOrHostInTheGroup_FreezesTheMembersAskingForIt()
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, TwoPorts)), Ing("ns", "b", A(Shared))));
        var error = Assert.Single(stack.Outcome("ns/a").Errors);
        Assert.Equal("the HTTPS listener on port 443 has no certificate: set alb.ingress.kubernetes.io/certificate-arn, or give the Ingress a host (spec.tls[].hosts or spec.rules[].host) to discover an ACM certificate for",
            error.Message);
        Assert.Equal(IngressState.Active, stack.Outcome("ns/b").State);
        Assert.Equal([80], stack.Listeners.Select(static l => l.Port));
    }

    [Fact]
    public void HttpsCertificatesOfAnotherMemberOnTheSamePort_AreEnough_AndAreUnionedInGroupOrder()
    {
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared, TwoPorts)),
            Ing("ns", "b", A(Shared, ("certificate-arn", "arn:b1,arn:shared"))),
            Ing("ns", "c", A(Shared, ("certificate-arn", "arn:shared,arn:c1,arn:b1")))));
        Assert.All(stack.Ingresses, static i => Assert.Equal(IngressState.Active, i.State));
        var https = stack.Listeners.Single(static l => l.Port == 443);
        Assert.Equal(["arn:b1", "arn:shared", "arn:c1", "arn:b1"], https.Certificates);
    }

    [Fact]
    public void ConflictingProtocolsOnOnePort_FreezeTheLoser()
    {
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared, ("listen-ports", "[{\"HTTP\":8080}]"))),
            Ing("ns", "b", A(Shared, ("listen-ports", "[{\"HTTPS\":8080}]"), ("certificate-arn", "arn:c")))));
        var error = Assert.Single(stack.Outcome("ns/b").Errors);
        Assert.Contains("conflicts with Ingress ns/a, which sets annotation alb.ingress.kubernetes.io/listen-ports to \"HTTP:8080\" (listener port 8080)",
            error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SslPolicy_IsExclusivePerHttpsListener()
    {
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared, ("certificate-arn", "arn:c"), ("ssl-policy", "ELBSecurityPolicy-FS-1-2-2019-08"))),
            Ing("ns", "b", A(Shared, ("certificate-arn", "arn:c"))),
            Ing("ns", "c", A(Shared, ("certificate-arn", "arn:c"), ("ssl-policy", "ELBSecurityPolicy-2016-08")))));
        Assert.Equal("ELBSecurityPolicy-FS-1-2-2019-08", Assert.Single(stack.Listeners).SslPolicy);
        Assert.Equal([IngressState.Active, IngressState.Active, IngressState.Frozen], stack.Ingresses.Select(static i => i.State));
    }

    [Fact]
    public void SslRedirect_MakesEveryHttpListenerRedirect_WithNoRules()
    {
        var backends = new Dictionary<string, MemberRules> { ["ns/a"] = Rules("ns/a", 2, 80, 443) };
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared, TwoPorts, ("certificate-arn", "arn:c"), ("ssl-redirect", "443")), rules: true),
            Ing("ns", "b", A(Shared, ("listen-ports", "[{\"HTTP\":8080}]")))), backends);
        var redirect = new ActionSpec
        {
            Type = "redirect",
            Redirect = new RedirectActionSpec { Protocol = "HTTPS", Port = "443", StatusCode = "HTTP_301" },
        };
        Assert.Equal([redirect], stack.Listeners.Single(static l => l.Port == 80).DefaultActions);
        Assert.Equal([redirect], stack.Listeners.Single(static l => l.Port == 8080).DefaultActions);
        Assert.Equal([Fixed404], stack.Listeners.Single(static l => l.Port == 443).DefaultActions);
        Assert.All(stack.Rules, static r => Assert.Equal(443, r.Port));
        Assert.Equal(2, stack.Rules.Count);
    }

    [Fact]
    public void SslRedirectToAMissingOrNonHttpsListener_FreezesTheMembersSettingIt()
    {
        var missing = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, ("ssl-redirect", "443"))), Ing("ns", "b", A(Shared))));
        Assert.Equal("listener does not exist for SSLRedirect port: 443", Assert.Single(missing.Outcome("ns/a").Errors).Message);
        Assert.Equal(IngressState.Active, missing.Outcome("ns/b").State);

        var plain = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, ("ssl-redirect", "80")))));
        Assert.Equal("listener protocol non-SSL for SSLRedirect port: 80", Assert.Single(plain.Outcome("ns/a").Errors).Message);
    }

    [Fact]
    public void SslRedirectToAnHttpsListenerOfAnotherMember_IsValid()
    {
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared, ("ssl-redirect", "443"))),
            Ing("ns", "b", A(Shared, ("certificate-arn", "arn:c")))));
        Assert.All(stack.Ingresses, static i => Assert.Equal(IngressState.Active, i.State));
        Assert.Equal("redirect", stack.Listeners.Single(static l => l.Port == 80).DefaultActions[0].Type);
    }

    [Fact]
    public void ConflictingSslRedirectPorts_FreezeTheLoser()
    {
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared, TwoPorts, ("certificate-arn", "arn:c"), ("ssl-redirect", "443"))),
            Ing("ns", "b", A(Shared, ("ssl-redirect", "8443")))));
        Assert.Contains("ssl-redirect to \"443\"", stack.Outcome("ns/b").Errors(), StringComparison.Ordinal);
    }

    [Fact]
    public void ListenerAttributes_ComeFromTheAnnotationOfTheProtocolAndPort_AndIngressClassParamsWin()
    {
        var snapshot = Snapshot(Group(),
            Ing("ns", "a", A(Shared, ("listener-attributes.HTTP-80", "routing.http.response.server.enabled=false,routing.http.xff_header_processing.mode=append"),
                ("listener-attributes.HTTPS-80", "ignored=true"))),
            Ing("ns", "b", A(Shared), className: "with-params")) with
        {
            IngressClasses = [Class(), Class("with-params", paramsName: "p")],
            IngressClassParams = [new IngressClassParams
            {
                Name = "p",
                Listeners = [new ListenerParams { Protocol = "HTTP", Port = 80, ListenerAttributes = [new("routing.http.xff_header_processing.mode", "append")] }],
            }],
        };
        var stack = Build(snapshot);
        Assert.Equal(new Dictionary<string, string>
        {
            ["routing.http.response.server.enabled"] = "false",
            ["routing.http.xff_header_processing.mode"] = "append",
        }, Assert.Single(stack.Listeners).Attributes);
        Assert.All(stack.Ingresses, static i => Assert.Equal(IngressState.Active, i.State));
    }

    [Fact]
    public void ConflictingListenerAttribute_FreezesTheLoser()
    {
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared, ("listener-attributes.HTTP-80", "routing.http.response.server.enabled=false"))),
            Ing("ns", "b", A(Shared, ("listener-attributes.HTTP-80", "routing.http.response.server.enabled=true")))));
        Assert.Equal(IngressState.Frozen, stack.Outcome("ns/b").State);
    }

    [Fact]
    public void DefaultBackend_IsTheListenersDefaultAction()
    {
        var forward = new ActionSpec
        {
            Type = "forward",
            Forward = new ForwardActionSpec { TargetGroups = [new WeightedTargetGroup { TargetGroupArn = StringOrRef.To(ResourceRef.TargetGroupArn("ns/a-default-svc:80")) }] },
        };
        var backends = new Dictionary<string, MemberRules>
        {
            ["ns/a"] = new MemberRules { DefaultActionsByPort = new Dictionary<int, IReadOnlyList<ActionSpec>> { [80] = [forward] } },
        };
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared), defaultBackend: true)), backends);
        Assert.Equal([forward], Assert.Single(stack.Listeners).DefaultActions);
    }

    [Fact]
    public void TwoDefaultBackendsOnOneListener_FreezeTheLaterMember()
    {
        var backends = new Dictionary<string, MemberRules>
        {
            ["ns/a"] = new MemberRules(),
            ["ns/b"] = new MemberRules(),
            ["ns/c"] = new MemberRules(),
        };
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared), defaultBackend: true),
            Ing("ns", "b", A(Shared), defaultBackend: true),
            Ing("ns", "c", A(Shared, ("listen-ports", "[{\"HTTP\":8080}]")), defaultBackend: true)), backends);
        Assert.Equal([IngressState.Active, IngressState.Frozen, IngressState.Active], stack.Ingresses.Select(static i => i.State));
        var error = Assert.Single(stack.Outcome("ns/b").Errors);
        Assert.Equal("spec.defaultBackend", error.Field);
        Assert.Contains("conflicts with Ingress ns/a, which also sets spec.defaultBackend (listener port 80)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ListenerTags_AreTheTagsOfTheMembersOnThatPort()
    {
        var stack = Build(Snapshot(Group(),
            Ing("ns", "a", A(Shared, ("tags", "team=a"))),
            Ing("ns", "b", A(Shared, ("tags", "owner=b"), ("listen-ports", "[{\"HTTP\":8080}]")))));
        Assert.Equal("a", stack.Listeners[0].Tags["team"]);
        Assert.False(stack.Listeners[0].Tags.ContainsKey("owner"));
        Assert.Equal("b", stack.Listeners[1].Tags["owner"]);
        Assert.Equal("8080", stack.Listeners[1].Tags["ingress.k8s.aws/resource"]);
    }
}
