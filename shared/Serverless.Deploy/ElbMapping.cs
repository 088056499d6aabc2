using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Model;
using Action = Serverless.Aws.ElasticLoadBalancingV2.Model.Action;

namespace Serverless.Deploy;

/// <summary>
/// Desired model → ELBv2 request shapes, and a canonical text form of actions, conditions and transforms in which
/// what we send and what AWS reads back compare equal (AWS fills in defaults: redirect placeholders, forward weight 1,
/// action order). The same canonical form, with ARNs mapped to resource IDs, is what a plan shows.
/// </summary>
internal static class ElbMapping
{
    public static List<Tag> Tags(IReadOnlyDictionary<string, string> tags) =>
        [.. tags.OrderBy(static t => t.Key, StringComparer.Ordinal).Select(static t => new Tag { Key = t.Key, Value = t.Value })];

    public static Dictionary<string, string> TagMap(IEnumerable<Tag>? tags) =>
        (tags ?? []).Where(static t => t.Key is not null).GroupBy(static t => t.Key!, StringComparer.Ordinal)
            .ToDictionary(static g => g.Key, static g => g.Last().Value ?? string.Empty, StringComparer.Ordinal);

    public static List<Action> Actions(IReadOnlyList<ActionSpec> actions, Func<StringOrRef, string> resolve)
    {
        var result = new List<Action>(actions.Count);
        for (var i = 0; i < actions.Count; i++)
        {
            var spec = actions[i];
            var action = new Action { Type = spec.Type, Order = spec.Order ?? (actions.Count > 1 ? i + 1 : null) };
            switch (spec.Type)
            {
                case "forward" when spec.Forward is { } forward:
                    action.ForwardConfig = new ForwardActionConfig
                    {
                        TargetGroups = [.. forward.TargetGroups.Select(tg => new TargetGroupTuple { TargetGroupArn = resolve(tg.TargetGroupArn), Weight = tg.Weight })],
                        TargetGroupStickinessConfig = forward.StickinessEnabled
                            ? new TargetGroupStickinessConfig { Enabled = true, DurationSeconds = forward.StickinessDurationSeconds }
                            : null,
                    };
                    break;
                case "redirect" when spec.Redirect is { } r:
                    action.RedirectConfig = new RedirectActionConfig { Protocol = r.Protocol, Port = r.Port, Host = r.Host, Path = r.Path, Query = r.Query, StatusCode = r.StatusCode };
                    break;
                case "fixed-response" when spec.FixedResponse is { } f:
                    action.FixedResponseConfig = new FixedResponseActionConfig { StatusCode = f.StatusCode, ContentType = f.ContentType, MessageBody = f.MessageBody };
                    break;
                case "authenticate-oidc" when spec.AuthenticateOidc is { } o:
                    action.AuthenticateOidcConfig = new AuthenticateOidcActionConfig
                    {
                        Issuer = o.Issuer,
                        AuthorizationEndpoint = o.AuthorizationEndpoint,
                        TokenEndpoint = o.TokenEndpoint,
                        UserInfoEndpoint = o.UserInfoEndpoint,
                        ClientId = o.ClientId,
                        ClientSecret = o.ClientSecret,
                        AuthenticationRequestExtraParams = o.AuthenticationRequestExtraParams.Count == 0 ? null : new Dictionary<string, string>(o.AuthenticationRequestExtraParams, StringComparer.Ordinal),
                        OnUnauthenticatedRequest = o.OnUnauthenticatedRequest,
                        Scope = o.Scope,
                        SessionCookieName = o.SessionCookieName,
                        SessionTimeout = o.SessionTimeout,
                    };
                    break;
                case "authenticate-cognito" when spec.AuthenticateCognito is { } c:
                    action.AuthenticateCognitoConfig = new AuthenticateCognitoActionConfig
                    {
                        UserPoolArn = c.UserPoolArn,
                        UserPoolClientId = c.UserPoolClientId,
                        UserPoolDomain = c.UserPoolDomain,
                        AuthenticationRequestExtraParams = c.AuthenticationRequestExtraParams.Count == 0 ? null : new Dictionary<string, string>(c.AuthenticationRequestExtraParams, StringComparer.Ordinal),
                        OnUnauthenticatedRequest = c.OnUnauthenticatedRequest,
                        Scope = c.Scope,
                        SessionCookieName = c.SessionCookieName,
                        SessionTimeout = c.SessionTimeout,
                    };
                    break;
                case "jwt-validation" when spec.JwtValidation is { } jwt:
                    action.JwtValidationConfig = JwtValidation(jwt);
                    break;
                default:
                    throw new NotSupportedException($"action type {spec.Type} is not deployable (missing its configuration)");
            }
            result.Add(action);
        }
        return result;
    }

    // The builder's normalized jwt-validation JSON: {jwksEndpoint, issuer, additionalClaims: [{format, name, values}]}.
    private static JwtValidationActionConfig JwtValidation(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        var claims = (node["additionalClaims"] as JsonArray ?? []).OfType<JsonObject>().Select(static c => new JwtValidationActionAdditionalClaim
        {
            Format = c["format"]?.GetValue<string>(),
            Name = c["name"]?.GetValue<string>(),
            Values = [.. (c["values"] as JsonArray ?? []).Select(static v => v!.GetValue<string>())],
        }).ToList();
        return new JwtValidationActionConfig
        {
            JwksEndpoint = node["jwksEndpoint"]?.GetValue<string>(),
            Issuer = node["issuer"]?.GetValue<string>(),
            AdditionalClaims = claims.Count == 0 ? null : claims,
        };
    }

    public static List<RuleCondition> Conditions(IReadOnlyList<ConditionSpec> conditions) =>
        [.. conditions.Select(static c =>
        {
            var condition = new RuleCondition { Field = c.Field };
            switch (c.Field)
            {
                case "host-header":
                    condition.HostHeaderConfig = new HostHeaderConditionConfig { Values = c.Values?.ToList(), RegexValues = c.RegexValues?.ToList() };
                    break;
                case "path-pattern":
                    condition.PathPatternConfig = new PathPatternConditionConfig { Values = c.Values?.ToList(), RegexValues = c.RegexValues?.ToList() };
                    break;
                case "http-header":
                    condition.HttpHeaderConfig = new HttpHeaderConditionConfig { HttpHeaderName = c.HttpHeaderName, Values = c.Values?.ToList(), RegexValues = c.RegexValues?.ToList() };
                    break;
                case "http-request-method":
                    condition.HttpRequestMethodConfig = new HttpRequestMethodConditionConfig { Values = c.Values?.ToList() };
                    break;
                case "query-string":
                    condition.QueryStringConfig = new QueryStringConditionConfig { Values = [.. (c.QueryStrings ?? []).Select(static q => new QueryStringKeyValuePair { Key = q.Key, Value = q.Value })] };
                    break;
                case "source-ip":
                    condition.SourceIpConfig = new SourceIpConditionConfig { Values = c.Values?.ToList() };
                    break;
                default:
                    condition.Values = c.Values?.ToList();
                    break;
            }
            return condition;
        })];

    public static List<RuleTransform> Transforms(IReadOnlyList<TransformSpec> transforms) =>
        [.. transforms.Select(static t =>
        {
            var rewrites = t.Rewrites.Select(static r => new RewriteConfig { Regex = r.Regex, Replace = r.Replace }).ToList();
            return t.Type == "host-header-rewrite"
                ? new RuleTransform { Type = t.Type, HostHeaderRewriteConfig = new HostHeaderRewriteConfig { Rewrites = rewrites } }
                : new RuleTransform { Type = t.Type, UrlRewriteConfig = new UrlRewriteConfig { Rewrites = rewrites } };
        })];

    /// <summary>Canonical text of actions; <paramref name="arn"/> maps target group ARNs (identity to compare, resource IDs to show).</summary>
    public static string Canonical(IReadOnlyList<Action>? actions, Func<string, string> arn)
    {
        var ordered = (actions ?? []).Select(static (a, i) => (a, order: a.Order ?? i + 1)).OrderBy(static x => x.order).Select(static x => x.a);
        return string.Join("; ", ordered.Select(a => CanonicalAction(a, arn)));
    }

    private static string CanonicalAction(Action a, Func<string, string> arn)
    {
        var sb = new StringBuilder(a.Type);
        switch (a.Type)
        {
            case "forward":
                var groups = a.ForwardConfig?.TargetGroups is { Count: > 0 } tuples
                    ? tuples.Select(t => (Arn: t.TargetGroupArn ?? string.Empty, Weight: t.Weight ?? 1)).ToList()
                    : [(Arn: a.TargetGroupArn ?? string.Empty, Weight: 1)];
                // A single target group's weight means nothing; AWS reports 1 whatever was sent.
                sb.Append(' ').Append(string.Join(", ", groups.Select(g => groups.Count == 1 ? arn(g.Arn) : $"{arn(g.Arn)}*{g.Weight}")));
                var sticky = a.ForwardConfig?.TargetGroupStickinessConfig;
                if (sticky?.Enabled == true)
                    sb.Append(CultureInfo.InvariantCulture, $" sticky={sticky.DurationSeconds ?? 3600}s");
                break;
            case "redirect":
                var r = a.RedirectConfig ?? new RedirectActionConfig();
                sb.Append(CultureInfo.InvariantCulture, $" {r.StatusCode} {r.Protocol ?? "#{protocol}"}://{r.Host ?? "#{host}"}:{r.Port ?? "#{port}"}{r.Path ?? "/#{path}"}?{r.Query ?? "#{query}"}");
                break;
            case "fixed-response":
                var f = a.FixedResponseConfig ?? new FixedResponseActionConfig();
                sb.Append(CultureInfo.InvariantCulture, $" {f.StatusCode} {f.ContentType ?? "-"} \"{f.MessageBody ?? string.Empty}\"");
                break;
            case "authenticate-oidc":
                var o = a.AuthenticateOidcConfig ?? new AuthenticateOidcActionConfig();
                // The client secret is never read back from AWS: not compared.
                sb.Append(CultureInfo.InvariantCulture, $" issuer={o.Issuer} authz={o.AuthorizationEndpoint} token={o.TokenEndpoint} userinfo={o.UserInfoEndpoint} client={o.ClientId} scope={o.Scope ?? "openid"} cookie={o.SessionCookieName ?? "AWSELBAuthSessionCookie"} timeout={o.SessionTimeout ?? 604800} unauth={o.OnUnauthenticatedRequest ?? "authenticate"}{Params(o.AuthenticationRequestExtraParams)}");
                break;
            case "jwt-validation":
                var j = a.JwtValidationConfig ?? new JwtValidationActionConfig();
                sb.Append(CultureInfo.InvariantCulture, $" jwks={j.JwksEndpoint} issuer={j.Issuer}");
                foreach (var claim in (j.AdditionalClaims ?? []).OrderBy(static c => c.Name, StringComparer.Ordinal).ThenBy(static c => c.Format, StringComparer.Ordinal))
                    sb.Append(CultureInfo.InvariantCulture, $" claim({claim.Format}) {claim.Name}=[{string.Join(",", claim.Values ?? [])}]");
                break;
            case "authenticate-cognito":
                var c = a.AuthenticateCognitoConfig ?? new AuthenticateCognitoActionConfig();
                sb.Append(CultureInfo.InvariantCulture, $" pool={c.UserPoolArn} client={c.UserPoolClientId} domain={c.UserPoolDomain} scope={c.Scope ?? "openid"} cookie={c.SessionCookieName ?? "AWSELBAuthSessionCookie"} timeout={c.SessionTimeout ?? 604800} unauth={c.OnUnauthenticatedRequest ?? "authenticate"}{Params(c.AuthenticationRequestExtraParams)}");
                break;
        }
        return sb.ToString();
    }

    private static string Params(Dictionary<string, string>? p) =>
        p is null || p.Count == 0 ? string.Empty : " params{" + string.Join(",", p.OrderBy(static kv => kv.Key, StringComparer.Ordinal).Select(static kv => kv.Key + "=" + kv.Value)) + "}";

    /// <summary>Canonical text of conditions (order-insensitive, as AWS evaluates them).</summary>
    public static string Canonical(IReadOnlyList<RuleCondition>? conditions) =>
        string.Join(" && ", (conditions ?? []).Select(CanonicalCondition).Order(StringComparer.Ordinal));

    private static string CanonicalCondition(RuleCondition c)
    {
        static string List(IEnumerable<string>? values) => "[" + string.Join(",", values ?? []) + "]";
        (List<string>? values, List<string>? regex, string? header) = c.Field switch
        {
            "host-header" => (c.HostHeaderConfig?.Values ?? c.Values, c.HostHeaderConfig?.RegexValues ?? c.RegexValues, null),
            "path-pattern" => (c.PathPatternConfig?.Values ?? c.Values, c.PathPatternConfig?.RegexValues ?? c.RegexValues, null),
            "http-header" => (c.HttpHeaderConfig?.Values, c.HttpHeaderConfig?.RegexValues, c.HttpHeaderConfig?.HttpHeaderName),
            "http-request-method" => (c.HttpRequestMethodConfig?.Values ?? c.Values, null, null),
            "source-ip" => (c.SourceIpConfig?.Values ?? c.Values, null, null),
            "query-string" => (c.QueryStringConfig?.Values?.Select(static q => (q.Key ?? "*") + "=" + q.Value).ToList(), null, null),
            _ => (c.Values, c.RegexValues, null),
        };
        var text = c.Field + (header is null ? string.Empty : "(" + header + ")") + List(values);
        if (regex is { Count: > 0 })
            text += "~" + List(regex);
        return text;
    }

    /// <summary>Canonical text of transforms.</summary>
    public static string Canonical(IReadOnlyList<RuleTransform>? transforms) =>
        string.Join("; ", (transforms ?? []).Select(static t =>
            t.Type + "[" + string.Join(",", ((t.HostHeaderRewriteConfig?.Rewrites ?? t.UrlRewriteConfig?.Rewrites) ?? []).Select(static r => r.Regex + "=>" + r.Replace)) + "]"));

    public static string Csv(IEnumerable<string> values) => string.Join(",", values);
}
