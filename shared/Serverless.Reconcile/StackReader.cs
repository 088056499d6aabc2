using System.Globalization;
using System.Text.Json.Nodes;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.ElasticLoadBalancingV2.Model;
using Serverless.Model;

namespace Serverless.Reconcile;

/// <summary>
/// Reads back what a stack has on AWS — load balancer, listeners, rules with priorities, conditions and actions,
/// target groups with health check and registered targets — as a JSON tree for the runner's output. Reads only the
/// stack's own resources: the load balancer by its names, the rest by ARN.
/// </summary>
public static class StackReader
{
    /// <summary>The resources of <paramref name="stack"/> on AWS; an empty object when it has no load balancer.</summary>
    public static async Task<JsonObject> ReadAsync(IElasticLoadBalancingV2Client elb, Stack stack, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(elb);
        ArgumentNullException.ThrowIfNull(stack);
        var result = new JsonObject();
        var names = stack.KnownLoadBalancerNames.Concat(stack.LoadBalancer is { } spec ? [spec.Name] : []).Distinct(StringComparer.Ordinal).ToList();
        var lb = (await elb.LoadBalancersByNameAsync(names, cancellationToken).ConfigureAwait(false))
            .OrderBy(l => l.LoadBalancerName == stack.LoadBalancer?.Name ? 0 : 1).FirstOrDefault();

        // The stack's target groups by their names, and (below) the load balancer's: each described once.
        var byArn = new SortedDictionary<string, TargetGroup>(StringComparer.Ordinal);
        foreach (var tg in await elb.TargetGroupsByNameAsync([.. stack.TargetGroups.Select(t => t.Name)], cancellationToken).ConfigureAwait(false))
            byArn[tg.TargetGroupArn!] = tg;

        if (lb is not null)
        {
            result["loadBalancer"] = new JsonObject
            {
                ["name"] = lb.LoadBalancerName,
                ["arn"] = lb.LoadBalancerArn,
                ["dnsName"] = lb.DNSName,
                ["scheme"] = lb.Scheme,
                ["ipAddressType"] = lb.IpAddressType,
                ["subnets"] = Strings((lb.AvailabilityZones ?? []).Select(z => z.SubnetId).OfType<string>().Order(StringComparer.Ordinal)),
                ["securityGroups"] = Strings((lb.SecurityGroups ?? []).Order(StringComparer.Ordinal)),
            };
            foreach (var tg in await elb.TargetGroupsOfLoadBalancerAsync(lb.LoadBalancerArn!, cancellationToken).ConfigureAwait(false))
                byArn[tg.TargetGroupArn!] = tg;
        }

        var targetGroups = byArn.Values.ToList();
        var tgNames = byArn.ToDictionary(static kv => kv.Key, static kv => kv.Value.TargetGroupName!, StringComparer.Ordinal);

        if (lb is not null)
        {
            var listeners = new JsonArray();
            var rules = new JsonArray();
            var described = new List<Listener>();
            await foreach (var listener in elb.DescribeListenersPaginatedAsync(new DescribeListenersRequest { LoadBalancerArn = lb.LoadBalancerArn }, cancellationToken).ConfigureAwait(false))
                described.Add(listener);
            foreach (var listener in described.OrderBy(l => l.Port))
            {
                listeners.Add((JsonNode)new JsonObject
                {
                    ["port"] = listener.Port,
                    ["protocol"] = listener.Protocol,
                    ["sslPolicy"] = listener.SslPolicy,
                    ["certificates"] = Strings((listener.Certificates ?? []).Select(c => c.CertificateArn).OfType<string>()),
                    ["defaultActions"] = Actions(listener.DefaultActions, tgNames),
                });
                var listenerRules = new List<Rule>();
                await foreach (var rule in elb.DescribeRulesPaginatedAsync(new DescribeRulesRequest { ListenerArn = listener.ListenerArn }, cancellationToken).ConfigureAwait(false))
                {
                    if (rule.IsDefault != true)
                        listenerRules.Add(rule);
                }
                foreach (var rule in listenerRules.OrderBy(r => int.Parse(r.Priority ?? "0", CultureInfo.InvariantCulture)))
                {
                    rules.Add((JsonNode)new JsonObject
                    {
                        ["listenerPort"] = listener.Port,
                        ["priority"] = int.Parse(rule.Priority ?? "0", CultureInfo.InvariantCulture),
                        ["conditions"] = Conditions(rule.Conditions),
                        ["actions"] = Actions(rule.Actions, tgNames),
                    });
                }
            }
            result["listeners"] = listeners;
            result["rules"] = rules;
        }

        var groups = new JsonArray();
        foreach (var tg in targetGroups.OrderBy(t => t.TargetGroupName, StringComparer.Ordinal))
        {
            var health = await elb.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = tg.TargetGroupArn }, cancellationToken).ConfigureAwait(false);
            var targets = new JsonArray();
            foreach (var target in (health.TargetHealthDescriptions ?? []).OrderBy(t => t.Target?.Id, StringComparer.Ordinal).ThenBy(t => t.Target?.Port))
            {
                targets.Add((JsonNode)new JsonObject
                {
                    ["id"] = target.Target?.Id,
                    ["port"] = target.Target?.Port,
                    ["state"] = target.TargetHealth?.State,
                });
            }
            groups.Add((JsonNode)new JsonObject
            {
                ["name"] = tg.TargetGroupName,
                ["arn"] = tg.TargetGroupArn,
                ["targetType"] = tg.TargetType,
                ["protocol"] = tg.Protocol,
                ["protocolVersion"] = tg.ProtocolVersion,
                ["port"] = tg.Port,
                ["healthCheck"] = new JsonObject
                {
                    ["protocol"] = tg.HealthCheckProtocol,
                    ["port"] = tg.HealthCheckPort,
                    ["path"] = tg.HealthCheckPath,
                    ["intervalSeconds"] = tg.HealthCheckIntervalSeconds,
                    ["timeoutSeconds"] = tg.HealthCheckTimeoutSeconds,
                    ["healthyThresholdCount"] = tg.HealthyThresholdCount,
                    ["unhealthyThresholdCount"] = tg.UnhealthyThresholdCount,
                    ["matcher"] = tg.Matcher?.HttpCode ?? tg.Matcher?.GrpcCode,
                },
                ["targets"] = targets,
            });
        }
        result["targetGroups"] = groups;
        return result;
    }

    private static JsonArray Strings(IEnumerable<string> values) => [.. values.Select(v => (JsonNode?)JsonValue.Create(v))];

    private static JsonArray Conditions(List<RuleCondition>? conditions)
    {
        var result = new JsonArray();
        foreach (var c in conditions ?? [])
        {
            IEnumerable<string> values = c.Field switch
            {
                "host-header" => c.HostHeaderConfig?.Values ?? c.Values ?? [],
                "path-pattern" => c.PathPatternConfig?.Values ?? c.Values ?? [],
                "http-request-method" => c.HttpRequestMethodConfig?.Values ?? [],
                "source-ip" => c.SourceIpConfig?.Values ?? [],
                "http-header" => (c.HttpHeaderConfig?.Values ?? []).Select(v => $"{c.HttpHeaderConfig!.HttpHeaderName}: {v}"),
                "query-string" => (c.QueryStringConfig?.Values ?? []).Select(v => v.Key is null ? v.Value ?? "" : $"{v.Key}={v.Value}"),
                _ => c.Values ?? [],
            };
            var regex = c.PathPatternConfig?.RegexValues ?? c.HostHeaderConfig?.RegexValues ?? c.RegexValues;
            var node = new JsonObject { ["field"] = c.Field, ["values"] = Strings(values) };
            if (regex is { Count: > 0 })
                node["regexValues"] = Strings(regex);
            result.Add((JsonNode)node);
        }
        return result;
    }

    private static JsonArray Actions(List<Aws.ElasticLoadBalancingV2.Model.Action>? actions, Dictionary<string, string> tgNames)
    {
        var result = new JsonArray();
        foreach (var a in (actions ?? []).OrderBy(a => a.Order ?? 1))
        {
            var node = new JsonObject { ["type"] = a.Type };
            string Name(string? arn) => arn is not null && tgNames.TryGetValue(arn, out var name) ? name : arn ?? "";
            switch (a.Type)
            {
                case "forward":
                    var tuples = a.ForwardConfig?.TargetGroups is { Count: > 0 } list
                        ? list
                        : [new TargetGroupTuple { TargetGroupArn = a.TargetGroupArn, Weight = 1 }];
                    node["targetGroups"] = new JsonArray([.. tuples.Select(t => (JsonNode?)new JsonObject { ["name"] = Name(t.TargetGroupArn), ["weight"] = t.Weight })]);
                    if (a.ForwardConfig?.TargetGroupStickinessConfig is { Enabled: true } sticky)
                        node["stickinessDurationSeconds"] = sticky.DurationSeconds;
                    break;
                case "redirect":
                    var r = a.RedirectConfig;
                    node["redirect"] = $"{r?.Protocol}://{r?.Host}:{r?.Port}{r?.Path}?{r?.Query} {r?.StatusCode}";
                    break;
                case "fixed-response":
                    node["statusCode"] = a.FixedResponseConfig?.StatusCode;
                    node["contentType"] = a.FixedResponseConfig?.ContentType;
                    node["messageBody"] = a.FixedResponseConfig?.MessageBody;
                    break;
                case "authenticate-oidc":
                    node["issuer"] = a.AuthenticateOidcConfig?.Issuer;
                    break;
                case "authenticate-cognito":
                    node["userPoolArn"] = a.AuthenticateCognitoConfig?.UserPoolArn;
                    break;
            }
            result.Add((JsonNode)node);
        }
        return result;
    }
}
