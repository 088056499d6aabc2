using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Model;
using Action = Serverless.Aws.ElasticLoadBalancingV2.Model.Action;

namespace Serverless.Deploy.Tests;

/// <summary>
/// The jwt-validation action (moto has no such action type, so this maps without AWS): the builder's normalized
/// annotation JSON becomes a JwtValidationConfig, and what AWS reads back compares equal whatever the claim order.
/// </summary>
public sealed class ElbMappingTests
{
    private const string Jwt = """{"jwksEndpoint":"https://issuer.example.com/.well-known/jwks.json","issuer":"https://issuer.example.com","additionalClaims":[{"format":"string-array","name":"scope","values":["read","write"]},{"format":"single-string","name":"aud","values":["shop"]}]}""";

    [Fact]
    public void A_jwt_validation_action_carries_endpoint_issuer_and_claims_and_compares_equal_to_AWS_in_any_claim_order()
    {
        var actions = ElbMapping.Actions([new ActionSpec { Type = "jwt-validation", Order = 1, JwtValidation = Jwt }], static r => r.Value!);

        var config = Assert.Single(actions).JwtValidationConfig!;
        Assert.Equal("https://issuer.example.com/.well-known/jwks.json", config.JwksEndpoint);
        Assert.Equal("https://issuer.example.com", config.Issuer);
        Assert.Equal([("scope", "string-array", "read,write"), ("aud", "single-string", "shop")],
            config.AdditionalClaims!.Select(static c => (c.Name!, c.Format!, string.Join(",", c.Values!))));

        var fromAws = new Action
        {
            Type = "jwt-validation",
            Order = 1,
            JwtValidationConfig = new JwtValidationActionConfig
            {
                JwksEndpoint = config.JwksEndpoint,
                Issuer = config.Issuer,
                AdditionalClaims = [.. config.AdditionalClaims!.AsEnumerable().Reverse()],
            },
        };
        Assert.Equal(ElbMapping.Canonical(actions, static a => a), ElbMapping.Canonical([fromAws], static a => a));
        var otherIssuer = new Action { Type = "jwt-validation", Order = 1, JwtValidationConfig = new JwtValidationActionConfig { JwksEndpoint = config.JwksEndpoint, Issuer = "https://evil.example.com", AdditionalClaims = config.AdditionalClaims } };
        Assert.NotEqual(ElbMapping.Canonical(actions, static a => a), ElbMapping.Canonical([otherIssuer], static a => a));
    }

    [Fact]
    public void Without_claims_the_config_has_none()
    {
        var actions = ElbMapping.Actions([new ActionSpec { Type = "jwt-validation", JwtValidation = """{"jwksEndpoint":"https://i/jwks","issuer":"https://i"}""" }], static r => r.Value!);

        Assert.Null(Assert.Single(actions).JwtValidationConfig!.AdditionalClaims);
    }
}
