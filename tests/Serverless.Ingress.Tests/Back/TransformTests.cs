using Serverless.Model;
using static Serverless.Ingress.Tests.Back.K;

namespace Serverless.Ingress.Tests.Back;

public sealed class TransformTests
{
    private readonly Scenario _scenario = new Scenario().With(Service());

    [Fact]
    public void Url_and_host_header_rewrites_of_the_backend_service_are_carried_in_order()
    {
        var ingress = Ing(Ann(("transforms.api", """
            [
              {"type":"url-rewrite","urlRewriteConfig":{"rewrites":[{"regex":"^/api/(.*)$","replace":"/$1"}]}},
              {"type":"host-header-rewrite","hostHeaderRewriteConfig":{"rewrites":[{"regex":"^old\\.example\\.com$","replace":"new.example.com"}]}}
            ]
            """)), Path("/api"));

        var transforms = Assert.Single(_scenario.Build(ingress).Rules80()).Transforms;

        Assert.Equal(["url-rewrite", "host-header-rewrite"], transforms.Select(static t => t.Type));
        Assert.Equal([new RewriteSpec("^/api/(.*)$", "/$1")], transforms[0].Rewrites);
        Assert.Equal([new RewriteSpec("^old\\.example\\.com$", "new.example.com")], transforms[1].Rewrites);
    }

    [Fact]
    public void A_rule_without_transforms_has_none()
    {
        Assert.Empty(Assert.Single(_scenario.Build(Ing(Ann(("transforms.other", "[]")), Path("/"))).Rules80()).Transforms);
    }

    [Theory]
    [InlineData("""[{"type":"path-rewrite"}]""", "unknown transform type")]
    [InlineData("""[{"type":"url-rewrite"}]""", "urlRewriteConfig: is required")]
    [InlineData("""[{"type":"url-rewrite","urlRewriteConfig":{"rewrites":[]}}]""", "rewrites: cannot be empty")]
    [InlineData("""[{"type":"host-header-rewrite","hostHeaderRewriteConfig":{}}]""", "rewrites: cannot be empty")]
    [InlineData("""{"type":"url-rewrite"}""", "must be a JSON array")]
    public void An_invalid_transforms_annotation_is_an_error_naming_it(string json, string message)
    {
        var error = _scenario.Fails(Ing(Ann(("transforms.api", json)), Path("/")));

        Assert.Equal("annotation alb.ingress.kubernetes.io/transforms.api", error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
