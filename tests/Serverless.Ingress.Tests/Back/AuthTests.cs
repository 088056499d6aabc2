using k8s.Models;
using Serverless.Model;
using static Serverless.Ingress.Tests.Back.K;

namespace Serverless.Ingress.Tests.Back;

public sealed class AuthTests
{
    private const string OidcJson = """{"issuer":"https://idp.example.com","authorizationEndpoint":"https://idp.example.com/auth","tokenEndpoint":"https://idp.example.com/token","userInfoEndpoint":"https://idp.example.com/userinfo","secretName":"oidc"}""";
    private const string CognitoJson = """{"userPoolARN":"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc","userPoolClientID":"client-1","userPoolDomain":"auth.example.com","authenticationRequestExtraParams":{"display":"page"}}""";

    private readonly Scenario _scenario = new Scenario().With(Service(), Secret("oidc", ("clientID", "my-client\n"), ("clientSecret", "s3cret")));

    private static V1Ingress Oidc(params (string, string)[] more) =>
        Ing(Ann([("auth-type", "oidc"), ("auth-idp-oidc", OidcJson), .. more]), Path("/"));

    private IReadOnlyList<ActionSpec> Actions(V1Ingress ingress, ListenerPort listener) =>
        Assert.Single(_scenario.Build(ingress, listener).RulesByPort[listener.Port]).Actions;

    [Fact]
    public void OIDC_on_an_HTTPS_listener_authenticates_first_with_the_client_from_the_secret_and_upstream_defaults()
    {
        var actions = Actions(Oidc(), Scenario.Https443);

        Assert.Equal(["authenticate-oidc", "forward"], actions.Select(static a => a.Type));
        Assert.Equal([1, 2], actions.Select(static a => a.Order!.Value));
        Assert.Equal(
            new AuthenticateOidcActionSpec
            {
                Issuer = "https://idp.example.com",
                AuthorizationEndpoint = "https://idp.example.com/auth",
                TokenEndpoint = "https://idp.example.com/token",
                UserInfoEndpoint = "https://idp.example.com/userinfo",
                ClientId = "my-client",
                ClientSecret = "s3cret",
                AuthenticationRequestExtraParams = actions[0].AuthenticateOidc!.AuthenticationRequestExtraParams,
                OnUnauthenticatedRequest = "authenticate",
                Scope = "openid",
                SessionCookieName = "AWSELBAuthSessionCookie",
                SessionTimeout = 604800,
            },
            actions[0].AuthenticateOidc);
        Assert.Empty(actions[0].AuthenticateOidc!.AuthenticationRequestExtraParams);
    }

    [Fact]
    public void The_legacy_clientId_secret_key_is_accepted()
    {
        _scenario.Secrets.Clear();
        _scenario.With(Secret("oidc", ("clientId", "legacy-client"), ("clientSecret", "s")));

        Assert.Equal("legacy-client", Actions(Oidc(), Scenario.Https443)[0].AuthenticateOidc!.ClientId);
    }

    [Fact]
    public void Trailing_control_characters_of_the_client_secret_are_dropped_as_upstream_drops_them_and_inner_ones_kept()
    {
        _scenario.Secrets.Clear();
        _scenario.With(Secret("oidc", ("clientID", "id"), ("clientSecret", "s3 cr\tet\r\n\u0000")));

        Assert.Equal("s3 cr\tet", Actions(Oidc(), Scenario.Https443)[0].AuthenticateOidc!.ClientSecret);
    }

    [Fact]
    public void Trailing_spaces_of_the_client_secret_are_kept_as_upstream_keeps_them()
    {
        _scenario.Secrets.Clear();
        _scenario.With(Secret("oidc", ("clientID", "id"), ("clientSecret", "secret  ")));

        Assert.Equal("secret  ", Actions(Oidc(), Scenario.Https443)[0].AuthenticateOidc!.ClientSecret);
    }

    [Fact]
    public void A_manifest_secret_with_stringData_is_read_too()
    {
        _scenario.Secrets.Clear();
        _scenario.Secrets.Add(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "oidc", NamespaceProperty = "default" },
            StringData = new Dictionary<string, string> { ["clientID"] = "plain", ["clientSecret"] = "text" },
        });

        var oidc = Actions(Oidc(), Scenario.Https443)[0].AuthenticateOidc!;

        Assert.Equal(("plain", "text"), (oidc.ClientId, oidc.ClientSecret));
    }

    [Fact]
    public void A_missing_OIDC_secret_is_an_error_naming_the_oidc_annotation()
    {
        _scenario.Secrets.Clear();

        var error = _scenario.Fails(Oidc(), Scenario.Https443);

        Assert.Equal("Ingress default/web", error.Object);
        Assert.Equal("annotation alb.ingress.kubernetes.io/auth-idp-oidc", error.Field);
        Assert.Contains("Secret default/oidc", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("clientSecret", "no clientID key")]
    [InlineData("clientID", "no clientSecret key")]
    public void A_secret_without_the_client_id_or_secret_is_an_error(string onlyKey, string message)
    {
        _scenario.Secrets.Clear();
        _scenario.With(Secret("oidc", (onlyKey, "x")));

        Assert.Contains(message, _scenario.Fails(Oidc(), Scenario.Https443).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_HTTP_listener_gets_no_authentication_and_needs_no_secret()
    {
        _scenario.Secrets.Clear();

        var actions = Actions(Oidc(), Scenario.Http80);

        var forward = Assert.Single(actions);
        Assert.Equal("forward", forward.Type);
        Assert.Null(forward.Order);
    }

    [Fact]
    public void Cognito_with_custom_settings_authenticates_first()
    {
        var ingress = Ing(Ann(
            ("auth-type", "cognito"),
            ("auth-idp-cognito", CognitoJson),
            ("auth-on-unauthenticated-request", "deny"),
            ("auth-scope", "openid email"),
            ("auth-session-cookie", "my-cookie"),
            ("auth-session-timeout", "3600")), Path("/"));

        var actions = Actions(ingress, Scenario.Https443);

        Assert.Equal("authenticate-cognito", actions[0].Type);
        var cognito = actions[0].AuthenticateCognito!;
        Assert.Equal(
            ("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc", "client-1", "auth.example.com", "deny", "openid email", "my-cookie", 3600L),
            (cognito.UserPoolArn, cognito.UserPoolClientId, cognito.UserPoolDomain, cognito.OnUnauthenticatedRequest, cognito.Scope, cognito.SessionCookieName, cognito.SessionTimeout));
        Assert.Equal(new Dictionary<string, string> { ["display"] = "page" }, cognito.AuthenticationRequestExtraParams);
    }

    [Fact]
    public void Service_auth_annotations_override_the_Ingress_ones_for_a_single_service_backend()
    {
        _scenario.Services.Clear();
        _scenario.With(Service(annotations: Ann(("auth-type", "none"))), Service("private", uid: "u2", annotations: Ann(("auth-scope", "openid profile"))));
        var ingress = Ing(Ann(("auth-type", "oidc"), ("auth-idp-oidc", OidcJson)), Path("/public", "Exact", "api"), Path("/private", "Exact", "private"));

        var rules = _scenario.Build(ingress, Scenario.Https443).RulesByPort[443];

        Assert.Equal(["forward"], rules[0].Actions.Select(static a => a.Type));
        Assert.Equal(["authenticate-oidc", "forward"], rules[1].Actions.Select(static a => a.Type));
        Assert.Equal("openid profile", rules[1].Actions[0].AuthenticateOidc!.Scope);
    }

    [Fact]
    public void A_fixed_503_backend_still_authenticates_with_the_Ingress_settings()
    {
        var ingress = Ing(Ann(("auth-type", "oidc"), ("auth-idp-oidc", OidcJson)), Path("/", "Prefix", "no-action", "use-annotation"));

        var actions = Actions(ingress, Scenario.Https443);

        Assert.Equal(["authenticate-oidc", "fixed-response"], actions.Select(static a => a.Type));
    }

    [Fact]
    public void The_default_backend_authenticates_on_HTTPS_too()
    {
        var ingress = Ing([], Ann(("auth-type", "oidc"), ("auth-idp-oidc", OidcJson)), ServiceBackend("api", 80));

        var defaults = _scenario.Build(ingress, Scenario.Https443).DefaultActionsByPort[443];

        Assert.Equal(["authenticate-oidc", "forward"], defaults.Select(static a => a.Type));
    }

    [Fact]
    public void An_unknown_auth_type_is_an_error_even_on_an_HTTP_listener()
    {
        var error = _scenario.Fails(Ing(Ann(("auth-type", "saml")), Path("/")), Scenario.Http80);

        Assert.Equal("annotation alb.ingress.kubernetes.io/auth-type", error.Field);
        Assert.Equal("saml", error.Value);
    }

    [Fact]
    public void An_auth_setting_from_a_Service_is_reported_against_that_Service()
    {
        _scenario.Services.Clear();
        _scenario.With(Service(annotations: Ann(("auth-session-timeout", "forever"))));

        var error = _scenario.Fails(Ing(Path("/")));

        Assert.Equal("Service default/api", error.Object);
        Assert.Equal("annotation alb.ingress.kubernetes.io/auth-session-timeout", error.Field);
    }

    [Theory]
    [InlineData("auth-on-unauthenticated-request", "redirect")]
    [InlineData("auth-session-timeout", "0")]
    [InlineData("auth-session-timeout", "604801")]
    public void An_out_of_range_auth_setting_is_an_error(string suffix, string value)
    {
        var error = _scenario.Fails(Oidc((suffix, value)), Scenario.Https443);

        Assert.Equal("annotation alb.ingress.kubernetes.io/" + suffix, error.Field);
    }

    [Fact]
    public void OIDC_without_its_IdP_annotation_is_an_error_on_HTTPS()
    {
        var error = _scenario.Fails(Ing(Ann(("auth-type", "oidc")), Path("/")), Scenario.Https443);

        Assert.Equal("annotation alb.ingress.kubernetes.io/auth-idp-oidc", error.Field);
        Assert.Contains("is required", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"issuer":"https://idp","authorizationEndpoint":"a","tokenEndpoint":"t","userInfoEndpoint":"u"}""", "secretName: is required")]
    [InlineData("""{"issuer":1}""", "issuer: must be a string")]
    [InlineData("""["x"]""", "must be a JSON object")]
    public void An_invalid_OIDC_IdP_annotation_is_an_error(string json, string message)
    {
        var error = _scenario.Fails(Ing(Ann(("auth-type", "oidc"), ("auth-idp-oidc", json)), Path("/")), Scenario.Https443);

        Assert.Equal("annotation alb.ingress.kubernetes.io/auth-idp-oidc", error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cognito_without_a_user_pool_client_is_an_error()
    {
        var error = _scenario.Fails(Ing(Ann(("auth-type", "cognito"), ("auth-idp-cognito", """{"userPoolARN":"arn","userPoolDomain":"d"}""")), Path("/")), Scenario.Https443);

        Assert.Equal("annotation alb.ingress.kubernetes.io/auth-idp-cognito", error.Field);
        Assert.Contains("userPoolClientID: is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Jwt_validation_on_HTTPS_comes_first_carried_as_JSON_with_upstreams_key_spelling()
    {
        var ingress = Ing(Ann(("jwt-validation", """{"JwksEndpoint":"https://idp/jwks","issuer":"https://idp","additionalClaims":[{"format":"string-array","name":"roles","values":["admin"]}]}""")), Path("/"));

        var actions = Actions(ingress, Scenario.Https443);

        Assert.Equal(["jwt-validation", "forward"], actions.Select(static a => a.Type));
        Assert.Equal("""{"jwksEndpoint":"https://idp/jwks","issuer":"https://idp","additionalClaims":[{"format":"string-array","name":"roles","values":["admin"]}]}""", actions[0].JwtValidation);
        Assert.Single(Actions(ingress, Scenario.Http80));
    }

    [Fact]
    public void Jwt_validation_together_with_an_auth_type_is_an_error()
    {
        var ingress = Oidc(("jwt-validation", """{"jwksEndpoint":"https://idp/jwks","issuer":"https://idp"}"""));

        Assert.Equal("annotation alb.ingress.kubernetes.io/jwt-validation", _scenario.Fails(ingress, Scenario.Https443).Field);
    }

    [Theory]
    [InlineData("""{"issuer":"https://idp"}""", "jwksEndpoint: is required")]
    [InlineData("""{"jwksEndpoint":"j","issuer":"i","additionalClaims":[{"format":"csv","name":"x","values":[]}]}""", "additionalClaims[0].format")]
    public void An_invalid_jwt_validation_annotation_is_an_error(string json, string message)
    {
        var error = _scenario.Fails(Ing(Ann(("jwt-validation", json)), Path("/")), Scenario.Http80);

        Assert.Equal("annotation alb.ingress.kubernetes.io/jwt-validation", error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
