using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using Serverless.Model;

namespace Serverless.Ingress.Backend;

/// <summary>The <c>auth-*</c> settings of one backend (upstream's <c>AuthConfig</c>).</summary>
/// <param name="Type"><c>none</c>, <c>oidc</c> or <c>cognito</c>.</param>
/// <param name="Reader">Where the settings were read (the Ingress, or the Service over the Ingress).</param>
/// <param name="OnUnauthenticatedRequest"><c>auth-on-unauthenticated-request</c>.</param>
/// <param name="Scope"><c>auth-scope</c>.</param>
/// <param name="SessionCookieName"><c>auth-session-cookie</c>.</param>
/// <param name="SessionTimeout"><c>auth-session-timeout</c>.</param>
/// <param name="Cognito"><c>auth-idp-cognito</c>, when set.</param>
/// <param name="Oidc"><c>auth-idp-oidc</c>, when set.</param>
/// <param name="JwtValidation">The Ingress's <c>jwt-validation</c>, normalized to compact JSON with upstream's key spelling; null when unset.</param>
internal sealed record AuthConfig(
    string Type,
    AnnotationReader Reader,
    string OnUnauthenticatedRequest,
    string Scope,
    string SessionCookieName,
    long SessionTimeout,
    JsonObject? Cognito,
    JsonObject? Oidc,
    string? JwtValidation);

/// <summary>
/// Authentication (upstream's <c>auth_config_builder.go</c> and <c>buildAuthAction</c>): <c>auth-type</c>
/// <c>none|oidc|cognito</c>, the IdP JSON, and the OIDC client credentials from a Secret of the Ingress namespace;
/// or the Ingress's <c>jwt-validation</c> (exclusive with an authentication type). Settings are read when a backend
/// is resolved (so a bad value is an error on any listener); the action exists only on HTTPS listeners.
/// </summary>
internal static class AuthBuilder
{
    public const string None = "none";
    public const string Oidc = "oidc";
    public const string Cognito = "cognito";

    private static readonly string[] Unauthenticated = ["authenticate", "allow", "deny"];

    /// <summary>ALB's maximum authentication session: 7 days.</summary>
    private const long MaxSessionTimeout = 604800;

    /// <summary>Reads the settings: <paramref name="reader"/> for <c>auth-*</c> (the Service over the Ingress when forwarding to one Service), <paramref name="ingress"/> for <c>jwt-validation</c>.</summary>
    public static AuthConfig Parse(AnnotationReader reader, AnnotationReader ingress)
    {
        var type = reader.String(Annotations.AuthType) ?? None;
        if (type is not (None or Oidc or Cognito))
            throw reader.Invalid(Annotations.AuthType, "unknown auth type: must be none, oidc or cognito");
        var onUnauthenticated = reader.String(Annotations.AuthOnUnauthenticatedRequest) ?? "authenticate";
        if (!Unauthenticated.Contains(onUnauthenticated, StringComparer.Ordinal))
            throw reader.Invalid(Annotations.AuthOnUnauthenticatedRequest, "must be authenticate, allow or deny");
        var timeout = reader.Int(Annotations.AuthSessionTimeout, 1, MaxSessionTimeout) ?? MaxSessionTimeout;
        return new AuthConfig(
            type,
            reader,
            onUnauthenticated,
            reader.String(Annotations.AuthScope) ?? "openid",
            reader.String(Annotations.AuthSessionCookie) ?? "AWSELBAuthSessionCookie",
            timeout,
            IdpObject(reader, Annotations.AuthIdpCognito),
            IdpObject(reader, Annotations.AuthIdpOidc),
            JwtValidation(ingress));
    }

    /// <summary>The authentication (or JWT validation) action of an HTTPS listener rule; null when there is none.</summary>
    public static ActionSpec? BuildAction(MemberBackend member, AuthConfig config)
    {
        if (config.JwtValidation is { } jwt)
        {
            return config.Type == None
                ? new ActionSpec { Type = "jwt-validation", JwtValidation = jwt }
                : throw member.Member.Annotations.Invalid(Annotations.JwtValidation,
                    $"cannot be combined with {Annotations.Prefix}{Annotations.AuthType}: {config.Type}; a rule has one pre-routing action");
        }
        return config.Type switch
        {
            Cognito => CognitoAction(config),
            Oidc => OidcAction(member, config),
            _ => null,
        };
    }

    private static ActionSpec CognitoAction(AuthConfig config)
    {
        var reader = config.Reader;
        var idp = config.Cognito ?? throw reader.Invalid(Annotations.AuthIdpCognito,
            $"is required with {Annotations.Prefix}{Annotations.AuthType}: cognito");
        try
        {
            return new ActionSpec
            {
                Type = "authenticate-cognito",
                AuthenticateCognito = new AuthenticateCognitoActionSpec
                {
                    UserPoolArn = RequiredString(idp, "userPoolARN"),
                    UserPoolClientId = RequiredString(idp, "userPoolClientID"),
                    UserPoolDomain = RequiredString(idp, "userPoolDomain"),
                    AuthenticationRequestExtraParams = GoJson.OptionalStringMap(idp, "authenticationRequestExtraParams", string.Empty) ?? new SortedDictionary<string, string>(StringComparer.Ordinal),
                    OnUnauthenticatedRequest = config.OnUnauthenticatedRequest,
                    Scope = config.Scope,
                    SessionCookieName = config.SessionCookieName,
                    SessionTimeout = config.SessionTimeout,
                },
            };
        }
        catch (JsonShapeException ex)
        {
            throw reader.Invalid(Annotations.AuthIdpCognito, ex.Describe());
        }
    }

    private static ActionSpec OidcAction(MemberBackend member, AuthConfig config)
    {
        var reader = config.Reader;
        var idp = config.Oidc ?? throw reader.Invalid(Annotations.AuthIdpOidc,
            $"is required with {Annotations.Prefix}{Annotations.AuthType}: oidc");
        string issuer, authorization, token, userInfo, secretName;
        IReadOnlyDictionary<string, string> extra;
        try
        {
            issuer = RequiredString(idp, "issuer");
            authorization = RequiredString(idp, "authorizationEndpoint");
            token = RequiredString(idp, "tokenEndpoint");
            userInfo = RequiredString(idp, "userInfoEndpoint");
            secretName = RequiredString(idp, "secretName");
            extra = GoJson.OptionalStringMap(idp, "authenticationRequestExtraParams", string.Empty) ?? new SortedDictionary<string, string>(StringComparer.Ordinal);
        }
        catch (JsonShapeException ex)
        {
            throw reader.Invalid(Annotations.AuthIdpOidc, ex.Describe());
        }

        // The Secret lives in the Ingress namespace, whichever object carried the annotation (as upstream).
        var ns = member.Member.Namespace;
        if (AwsLimits.DnsSubdomain(secretName) is { } nameProblem)
            throw reader.Invalid(Annotations.AuthIdpOidc, $"secretName \"{secretName}\" {nameProblem}");
        var secret = member.Context.Secret(ns, secretName)
            ?? throw reader.Invalid(Annotations.AuthIdpOidc, member.Context.IsSecretForbidden(ns, secretName)
                ? $"Secret {ns}/{secretName} (secretName, for {member.Member.Description}) cannot be read: 403 Forbidden, the controller may not get secrets in namespace {ns}; " +
                  $"grant get on it with a Role and RoleBinding in {ns} for the controller's group (infra/eks-access/secret-reader.yaml)"
                : $"Secret {ns}/{secretName} (secretName) does not exist");
        var clientId = SecretValue(secret, "clientID") ?? SecretValue(secret, "clientId")
            ?? throw reader.Invalid(Annotations.AuthIdpOidc, $"Secret {ns}/{secretName} has no clientID key (nor the legacy clientId)");
        var clientSecret = SecretValue(secret, "clientSecret")
            ?? throw reader.Invalid(Annotations.AuthIdpOidc, $"Secret {ns}/{secretName} has no clientSecret key");

        return new ActionSpec
        {
            Type = "authenticate-oidc",
            AuthenticateOidc = new AuthenticateOidcActionSpec
            {
                Issuer = issuer,
                AuthorizationEndpoint = authorization,
                TokenEndpoint = token,
                UserInfoEndpoint = userInfo,
                ClientId = clientId.TrimEnd(),
                // As upstream: trailing control characters (the newline of a Secret made with `echo`) are not part of it.
                ClientSecret = TrimEndControl(clientSecret),
                AuthenticationRequestExtraParams = extra,
                OnUnauthenticatedRequest = config.OnUnauthenticatedRequest,
                Scope = config.Scope,
                SessionCookieName = config.SessionCookieName,
                SessionTimeout = config.SessionTimeout,
            },
        };
    }

    private static string TrimEndControl(string value)
    {
        var end = value.Length;
        while (end > 0 && char.IsControl(value[end - 1]))
            end--;
        return value[..end];
    }

    /// <summary>A Secret key's value: <c>data</c> (base64 on the wire, bytes here), or <c>stringData</c> of a manifest, which wins as the API server would make it.</summary>
    private static string? SecretValue(V1Secret secret, string key)
    {
        if (secret.StringData?.TryGetValue(key, out var text) == true && text is not null)
            return text;
        if (secret.Data?.TryGetValue(key, out var bytes) == true && bytes is not null)
            return Encoding.UTF8.GetString(bytes);
        return null;
    }

    private static JsonObject? IdpObject(AnnotationReader reader, string suffix)
    {
        var json = reader.Json(suffix);
        if (json is null)
            return null;
        try
        {
            return GoJson.Object(json, string.Empty);
        }
        catch (JsonShapeException ex)
        {
            throw reader.Invalid(suffix, ex.Describe());
        }
    }

    /// <summary>
    /// <c>jwt-validation</c>: <c>{jwksEndpoint, issuer, additionalClaims: [{format, name, values}]}</c>, checked and
    /// rewritten with upstream's key spelling so the carried text does not depend on how the annotation was written.
    /// </summary>
    private static string? JwtValidation(AnnotationReader ingress)
    {
        var json = ingress.Json(Annotations.JwtValidation);
        if (json is null)
            return null;
        try
        {
            var obj = GoJson.Object(json, string.Empty);
            var normalized = new JsonObject
            {
                ["jwksEndpoint"] = RequiredString(obj, "jwksEndpoint"),
                ["issuer"] = RequiredString(obj, "issuer"),
            };
            if (GoJson.Field(obj, "additionalClaims") is { } claimsNode)
            {
                var claims = new JsonArray();
                var array = GoJson.Array(claimsNode, "additionalClaims");
                for (var i = 0; i < array.Count; i++)
                {
                    var at = $"additionalClaims[{i}]";
                    var claim = GoJson.Object(array[i], at);
                    var format = GoJson.String(claim, "format", at);
                    if (format is not ("single-string" or "string-array" or "space-separated-values"))
                        throw new JsonShapeException(at + ".format", $"\"{format}\" must be single-string, string-array or space-separated-values");
                    var name = GoJson.String(claim, "name", at);
                    if (name.Length == 0)
                        throw new JsonShapeException(at + ".name", "is required");
                    var values = GoJson.OptionalStringList(claim, "values", at) ?? [];
                    claims.Add((JsonNode)new JsonObject
                    {
                        ["format"] = format,
                        ["name"] = name,
                        ["values"] = new JsonArray([.. values.Select(static v => (JsonNode?)JsonValue.Create(v))]),
                    });
                }
                if (claims.Count > 0)
                    normalized["additionalClaims"] = claims;
            }
            return normalized.ToJsonString();
        }
        catch (JsonShapeException ex)
        {
            throw ingress.Invalid(Annotations.JwtValidation, ex.Describe());
        }
    }

    private static string RequiredString(JsonObject obj, string name)
    {
        var value = GoJson.String(obj, name, string.Empty);
        return value.Length > 0 ? value : throw new JsonShapeException(name, "is required");
    }
}
