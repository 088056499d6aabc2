using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s.Models;
using Serverless.Testing;
using Serverless.Testing.Rbac;

namespace Serverless.Functions.Tests;

/// <summary>
/// infra/crds/targetgroupbindings.yaml: parsed by kubectl (offline) and strictly into the typed CRD model, its structure
/// compatible with upstream's objects, and its validation run the way the API server runs it: the OpenAPI part (types,
/// required fields, enums, patterns, unknown fields) by a small structural-schema checker, the
/// <c>x-kubernetes-validations</c> rules by a CEL evaluator (rules naming <c>oldSelf</c> only on updates, as
/// transition rules).
/// </summary>
public sealed class TargetGroupBindingCrdTests
{
    private static readonly string CrdPath = RepoPaths.Combine("infra", "crds", "targetgroupbindings.yaml");

    /// <summary>The CRD as kubectl reads it (its YAML parser, no API server).</summary>
    private static readonly Lazy<JsonObject> Crd = new(() =>
    {
        var (exit, stdout, stderr) = RepoPaths.Run("kubectl", ["annotate", "--local", "-f", CrdPath, "-o", "json", "checked=true"]);
        Assert.True(exit == 0, stderr);
        return JsonNode.Parse(stdout)!.AsObject();
    });

    private static JsonObject Version(string name) =>
        Crd.Value["spec"]!["versions"]!.AsArray().Single(v => (string?)v!["name"] == name)!.AsObject();

    private static JsonObject SpecSchema(string version) => Version(version)["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!.AsObject();

    private const string IpBinding = """
        {"serviceRef":{"name":"web","port":80},"targetGroupARN":"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef","targetType":"ip"}
        """;

    private const string InstanceBinding = """
        {"serviceRef":{"name":"web","port":"http"},"targetGroupName":"web","targetType":"instance"}
        """;

    [Fact]
    public void Kubectl_and_the_strict_typed_reader_parse_it_and_it_is_the_namespaced_elbv2_kind_with_v1beta1_stored()
    {
        var typed = Assert.Single(TypedManifests.Load(CrdPath).OfType<V1CustomResourceDefinition>());
        var crd = Crd.Value;

        Assert.Equal("targetgroupbindings.elbv2.k8s.aws", typed.Metadata.Name);
        Assert.Equal("elbv2.k8s.aws", typed.Spec.Group);
        Assert.Equal("Namespaced", typed.Spec.Scope);
        Assert.Equal(("TargetGroupBinding", "TargetGroupBindingList", "targetgroupbindings", "targetgroupbinding"),
            (typed.Spec.Names.Kind, typed.Spec.Names.ListKind, typed.Spec.Names.Plural, typed.Spec.Names.Singular));
        Assert.Equal(["v1alpha1 served", "v1beta1 served storage"],
            typed.Spec.Versions.Select(v => v.Name + (v.Served ? " served" : "") + (v.Storage ? " storage" : "")).Order(StringComparer.Ordinal));
        Assert.All(typed.Spec.Versions, v => Assert.NotNull(v.Subresources?.Status));
        Assert.Equal("true", (string?)crd["metadata"]!["annotations"]!["checked"]);
    }

    [Theory]
    [InlineData("v1beta1")]
    [InlineData("v1alpha1")]
    public void Printer_columns_are_upstreams(string version)
    {
        var columns = Version(version)["additionalPrinterColumns"]!.AsArray()
            .Select(c => $"{c!["name"]} {c["type"]} {c["jsonPath"]} {(int?)c["priority"] ?? 0}");

        Assert.Equal(
            [
                "SERVICE-NAME string .spec.serviceRef.name 0", "SERVICE-PORT string .spec.serviceRef.port 0", "TARGET-TYPE string .spec.targetType 0",
                "ARN string .spec.targetGroupARN 1", "NAME string .spec.targetGroupName 2", "AGE date .metadata.creationTimestamp 0",
            ],
            columns);
    }

    [Fact]
    public void The_v1beta1_spec_has_every_upstream_field_with_its_type_and_enums()
    {
        var spec = SpecSchema("v1beta1");
        var fields = spec["properties"]!.AsObject().ToDictionary(p => p.Key, p => Type(p.Value!.AsObject()), StringComparer.Ordinal);

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["targetGroupARN"] = "string", ["targetGroupName"] = "string", ["targetType"] = "string", ["targetGroupProtocol"] = "string",
                ["serviceRef"] = "object", ["networking"] = "object", ["nodeSelector"] = "object", ["ipAddressType"] = "string", ["vpcID"] = "string",
                ["multiClusterTargetGroup"] = "boolean", ["iamRoleArnToAssume"] = "string", ["assumeRoleExternalId"] = "string",
            }.OrderBy(p => p.Key, StringComparer.Ordinal),
            fields.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(["serviceRef"], Strings(spec["required"]));
        Assert.Equal(["instance", "ip"], Strings(spec["properties"]!["targetType"]!["enum"]));
        Assert.Equal(["ipv4", "ipv6"], Strings(spec["properties"]!["ipAddressType"]!["enum"]));
        Assert.Equal(["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "QUIC", "TCP_QUIC"], Strings(spec["properties"]!["targetGroupProtocol"]!["enum"]));
        Assert.Equal("int-or-string", Type(spec["properties"]!["serviceRef"]!["properties"]!["port"]!.AsObject()));
        Assert.Equal("atomic", (string?)spec["properties"]!["nodeSelector"]!["x-kubernetes-map-type"]);
        // v1alpha1 is the subset upstream serves (no nodeSelector, ipAddressType, vpcID, targetGroupProtocol).
        Assert.Equal(
            ["assumeRoleExternalId", "iamRoleArnToAssume", "multiClusterTargetGroup", "networking", "serviceRef", "targetGroupARN", "targetGroupName", "targetType"],
            SpecSchema("v1alpha1")["properties"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Objects_as_upstream_wrote_them_are_valid_in_full()
    {
        // Every field set, as upstream's mutating webhook left a binding (ARN resolved, type, protocol, IP type, VPC defaulted).
        var full = Json("""
            {"serviceRef":{"name":"web","port":"http"},"targetGroupARN":"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef",
             "targetGroupName":"web","targetType":"instance","targetGroupProtocol":"HTTP","ipAddressType":"ipv4","vpcID":"vpc-0123456789abcdef0",
             "multiClusterTargetGroup":true,
             "nodeSelector":{"matchLabels":{"pool":"web"},"matchExpressions":[{"key":"zone","operator":"In","values":["a","b"]}]},
             "networking":{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/16"}},{"securityGroup":{"groupID":"sg-0123456789abcdef0"}}],
                                        "ports":[{"protocol":"TCP","port":8080},{"port":"http"},{}]}]}}
            """);
        var status = Json("""
            {"observedGeneration":3,"conditions":[{"type":"Ready","status":"False","reason":"FailedCleanup","message":"x","lastTransitionTime":"2026-01-01T00:00:00Z","observedGeneration":3}]}
            """);
        var alpha = Json("""{"serviceRef":{"name":"web","port":80},"targetGroupARN":"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef","targetType":"ip","iamRoleArnToAssume":"arn:aws:iam::210987654321:role/tg","assumeRoleExternalId":"x"}""");

        Assert.Empty(Validate("v1beta1", full));
        Assert.Empty(SchemaErrors(Version("v1beta1")["schema"]!["openAPIV3Schema"]!["properties"]!["status"]!.AsObject(), status, "status"));
        Assert.Empty(Validate("v1alpha1", alpha));
        Assert.Empty(Validate("v1beta1", alpha)); // the same object read as v1beta1
    }

    /// <summary>Creates: the OpenAPI checks and the rules without <c>oldSelf</c>.</summary>
    [Theory]
    [InlineData("", "")]
    [InlineData("""{"targetGroupARN":null,"targetGroupName":"web"}""", "")]
    [InlineData("""{"targetGroupARN":null}""", "spec.targetGroupARN or spec.targetGroupName must be set")]
    [InlineData("""{"targetGroupARN":"","targetGroupName":""}""", "spec.targetGroupARN or spec.targetGroupName must be set")]
    [InlineData("""{"targetType":null}""", "")]
    [InlineData("""{"nodeSelector":{"matchLabels":{"a":"b"}}}""", "spec.nodeSelector cannot be set when spec.targetType is ip")]
    [InlineData("""{"nodeSelector":{}}""", "spec.nodeSelector cannot be set when spec.targetType is ip")]
    [InlineData("""{"targetType":"instance","nodeSelector":{"matchLabels":{"a":"b"}}}""", "")]
    [InlineData("""{"targetType":null,"nodeSelector":{"matchLabels":{"a":"b"}}}""", "")]
    [InlineData("""{"iamRoleArnToAssume":"arn:aws:iam::210987654321:role/tg"}""", "")]
    [InlineData("""{"targetType":"instance","iamRoleArnToAssume":"arn:aws:iam::210987654321:role/tg"}""", "spec.iamRoleArnToAssume cannot be used with spec.targetType instance")]
    [InlineData("""{"targetType":"instance","iamRoleArnToAssume":""}""", "")]
    [InlineData("""{"targetGroupProtocol":"QUIC"}""", "")]
    [InlineData("""{"targetType":"instance","targetGroupProtocol":"TCP_QUIC"}""", "spec.targetGroupProtocol QUIC and TCP_QUIC are not supported with spec.targetType instance")]
    [InlineData("""{"targetType":"instance","targetGroupProtocol":"TCP"}""", "")]
    [InlineData("""{"vpcID":"vpc-0123abcd"}""", "")]
    [InlineData("""{"vpcID":"vpc-0123456789abcdef0"}""", "")]
    [InlineData("""{"vpcID":"vpc-0123456789abcdef0123456789abcdef"}""", "")]
    [InlineData("""{"vpcID":"vpc-123"}""", "spec.vpcID: does not match ^vpc-([0-9a-f]{8}|[0-9a-f]{17}|[0-9a-f]{32})$")]
    [InlineData("""{"vpcID":"vpc-0123456789ABCDEF0"}""", "spec.vpcID: does not match ^vpc-([0-9a-f]{8}|[0-9a-f]{17}|[0-9a-f]{32})$")]
    [InlineData("""{"vpcID":"vpc-0123abcd "}""", "spec.vpcID: does not match ^vpc-([0-9a-f]{8}|[0-9a-f]{17}|[0-9a-f]{32})$")]
    [InlineData("""{"targetType":"pod"}""", "spec.targetType: \"pod\" is not one of instance, ip")]
    [InlineData("""{"ipAddressType":"dualstack"}""", "spec.ipAddressType: \"dualstack\" is not one of ipv4, ipv6")]
    [InlineData("""{"targetGroupProtocol":"GENEVE"}""", "spec.targetGroupProtocol: \"GENEVE\" is not one of HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP, QUIC, TCP_QUIC")]
    [InlineData("""{"networking":{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8"}}],"ports":[{"protocol":"SCTP"}]}]}}""", "spec.networking.ingress[0].ports[0].protocol: \"SCTP\" is not one of TCP, UDP")]
    [InlineData("""{"networking":{"ingress":[{"from":[]}]}}""", "spec.networking.ingress[0]: ports is required")]
    [InlineData("""{"serviceRef":null}""", "spec: serviceRef is required")]
    [InlineData("""{"serviceRef":{"name":"web"}}""", "spec.serviceRef: port is required")]
    [InlineData("""{"serviceRef":{"name":"web","port":true}}""", "spec.serviceRef.port: expected an integer or a string")]
    [InlineData("""{"targetGroupArn":"arn:x"}""", "spec.targetGroupArn: unknown field")]
    [InlineData("""{"multiClusterTargetGroup":"yes"}""", "spec.multiClusterTargetGroup: expected boolean")]
    public void A_create_is_checked_as_upstreams_validator_checks_it(string change, string expected)
    {
        var spec = Merge(Json(IpBinding), change);

        Assert.Equal(expected.Length == 0 ? [] : [expected], Validate("v1beta1", spec));
    }

    /// <summary>Updates: every rule, the transition rules with the stored object as <c>oldSelf</c>.</summary>
    [Theory]
    [InlineData(IpBinding, """{"serviceRef":{"name":"web","port":8080},"multiClusterTargetGroup":true}""", "")]
    [InlineData(IpBinding, """{"targetGroupARN":"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/other/0123456789abcdef"}""", "spec.targetGroupARN is immutable once set")]
    [InlineData(IpBinding, """{"targetGroupARN":null,"targetGroupName":"web"}""", "spec.targetGroupARN is immutable once set")]
    [InlineData(IpBinding, """{"targetType":"instance"}""", "spec.targetType is immutable once set")]
    [InlineData(IpBinding, """{"targetType":null}""", "spec.targetType is immutable once set")]
    [InlineData(InstanceBinding, """{"targetGroupARN":"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"}""", "")]
    [InlineData(InstanceBinding, """{"targetGroupName":"renamed"}""", "")]
    [InlineData("""{"serviceRef":{"name":"web","port":80},"targetGroupName":"web"}""", """{"targetType":"ip","ipAddressType":"ipv6","vpcID":"vpc-0123abcd"}""", "")]
    [InlineData("""{"serviceRef":{"name":"web","port":80},"targetGroupName":"web","ipAddressType":"ipv4"}""", """{"ipAddressType":"ipv6"}""", "spec.ipAddressType is immutable once set")]
    [InlineData("""{"serviceRef":{"name":"web","port":80},"targetGroupName":"web","vpcID":"vpc-0123abcd"}""", """{"vpcID":"vpc-0123abce"}""", "spec.vpcID is immutable once set")]
    [InlineData("""{"serviceRef":{"name":"web","port":80},"targetGroupName":"web","vpcID":"vpc-0123abcd"}""", """{"vpcID":null}""", "spec.vpcID is immutable once set")]
    [InlineData(InstanceBinding, """{"nodeSelector":{"matchLabels":{"pool":"web"}}}""", "")]
    public void An_update_keeps_what_is_immutable(string stored, string change, string expected)
    {
        var old = Json(stored);
        var spec = Merge(Json(stored), change);

        Assert.Equal(expected.Length == 0 ? [] : [expected], Validate("v1beta1", spec, old));
    }

    [Fact]
    public void The_v1alpha1_rules_are_the_v1beta1_rules_for_its_fields_and_are_enforced_too()
    {
        var beta = Rules("v1beta1").Select(r => r.Rule).ToList();
        var alpha = Rules("v1alpha1");

        Assert.All(alpha, r => Assert.Contains(r.Rule, beta));
        Assert.Equal(["spec.targetGroupARN is immutable once set"],
            Validate("v1alpha1", Merge(Json(IpBinding), """{"targetGroupARN":"arn:x"}"""), Json(IpBinding)));
        Assert.Equal(["spec.targetGroupARN or spec.targetGroupName must be set"], Validate("v1alpha1", Json("""{"serviceRef":{"name":"web","port":80}}""")));
        Assert.Equal(["spec.vpcID: unknown field"], Validate("v1alpha1", Merge(Json(IpBinding), """{"vpcID":"vpc-0123abcd"}""")));
    }

    [Fact]
    public void Every_rule_has_a_message_naming_its_field_and_the_transition_rules_guard_optional_fields_with_has()
    {
        foreach (var version in new[] { "v1beta1", "v1alpha1" })
        {
            foreach (var (rule, message) in Rules(version))
            {
                Assert.StartsWith("spec.", message, StringComparison.Ordinal);
                // A transition rule reads oldSelf.<field> only after checking has(oldSelf.<field>): a field absent from the
                // stored object is no error.
                foreach (Match m in Regex.Matches(rule, @"oldSelf\.(\w+)"))
                    Assert.Contains($"has(oldSelf.{m.Groups[1].Value})", rule, StringComparison.Ordinal);
                foreach (Match m in Regex.Matches(rule, @"(?<!old)self\.(\w+)"))
                    Assert.Contains($"has(self.{m.Groups[1].Value})", rule, StringComparison.Ordinal);
            }
        }
    }

    // ---------------------------------------------------------------- the API server's checks, offline

    /// <summary>What the API server would answer for <paramref name="spec"/> (an update when <paramref name="old"/> is set): schema errors, then failed rules' messages.</summary>
    private static List<string> Validate(string version, JsonObject spec, JsonObject? old = null)
    {
        var errors = SchemaErrors(SpecSchema(version), spec, "spec");
        if (errors.Count > 0)
            return errors;
        var env = new Cel.CelEnvironment(null, null);
        foreach (var (rule, message) in Rules(version))
        {
            var transition = rule.Contains("oldSelf", StringComparison.Ordinal);
            if (transition && old is null)
                continue;
            var variables = new Dictionary<string, object?> { ["self"] = Clr(spec) };
            if (transition)
                variables["oldSelf"] = Clr(old);
            var result = env.Program(PresenceHas(rule), variables!);
            if (result is not bool passed)
                throw new InvalidOperationException($"rule {rule} evaluated to {result ?? "null"}, not a bool");
            if (!passed)
                errors.Add(message);
        }
        return errors;
    }

    /// <summary>
    /// The rule with <c>has(x.f)</c> written as <c>'f' in x</c>. On a CRD object the API server's <c>has()</c> tests
    /// whether the field is present (<c>nodeSelector: {}</c> and <c>vpcID: ""</c> are present); this evaluator's
    /// <c>has()</c> follows protobuf and answers false for an empty map, list or string. Key membership is presence in
    /// both, so the rewritten rule means on this evaluator what the rule means on the API server.
    /// </summary>
    private static string PresenceHas(string rule) => Regex.Replace(rule, @"has\((\w+)\.(\w+)\)", "('$2' in $1)");

    private static List<(string Rule, string Message)> Rules(string version) =>
        [.. SpecSchema(version)["x-kubernetes-validations"]!.AsArray().Select(r => ((string)r!["rule"]!, (string)r["message"]!))];

    /// <summary>A structural schema's checks: types, int-or-string, required, enum, pattern, lengths, and fields the schema does not know (pruned).</summary>
    private static List<string> SchemaErrors(JsonObject schema, JsonNode? value, string path)
    {
        var errors = new List<string>();
        Check(schema, value, path, errors);
        return errors;
    }

    private static void Check(JsonObject schema, JsonNode? value, string path, List<string> errors)
    {
        switch (Type(schema))
        {
            case "int-or-string":
                if (value is not JsonValue v || !(v.TryGetValue<long>(out _) || v.TryGetValue<string>(out _)))
                    errors.Add($"{path}: expected an integer or a string");
                return;
            case "object" when value is JsonObject o:
                foreach (var required in Strings(schema["required"]).Where(r => o[r] is null))
                    errors.Add($"{path}: {required} is required");
                foreach (var (key, child) in o)
                {
                    if (child is null)
                        continue;
                    var childPath = $"{path}.{key}";
                    if (schema["properties"]?[key] is JsonObject property)
                        Check(property, child, childPath, errors);
                    else if (schema["additionalProperties"] is JsonObject additional)
                        Check(additional, child, childPath, errors);
                    else if (schema["properties"] is not null)
                        errors.Add($"{childPath}: unknown field");
                }
                return;
            case "array" when value is JsonArray a:
                for (var i = 0; i < a.Count; i++)
                    Check(schema["items"]!.AsObject(), a[i], $"{path}[{i}]", errors);
                return;
            case "string" when value is JsonValue sv && sv.TryGetValue<string>(out var s):
                if (schema["enum"] is JsonArray values && !Strings(values).Contains(s))
                    errors.Add($"{path}: \"{s}\" is not one of {string.Join(", ", Strings(values))}");
                if (schema["pattern"] is JsonValue pattern && !Regex.IsMatch(s, (string)pattern!))
                    errors.Add($"{path}: does not match {pattern}");
                if ((int?)schema["maxLength"] is { } max && s.Length > max)
                    errors.Add($"{path}: longer than {max}");
                if ((int?)schema["minLength"] is { } min && s.Length < min)
                    errors.Add($"{path}: shorter than {min}");
                return;
            case "integer" when value is JsonValue iv && iv.TryGetValue<long>(out _):
            case "boolean" when value is JsonValue bv && bv.TryGetValue<bool>(out _):
                return;
            default:
                errors.Add($"{path}: expected {Type(schema)}");
                return;
        }
    }

    private static string Type(JsonObject schema) =>
        (bool?)schema["x-kubernetes-int-or-string"] == true ? "int-or-string" : (string?)schema["type"] ?? "any";

    /// <summary>JSON as the CEL evaluator's values: maps, lists, strings, integers, booleans.</summary>
    private static object? Clr(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => Clr(p.Value)),
        JsonArray a => a.Select(Clr).ToList(),
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v => v.GetValue<double>(),
        _ => throw new InvalidOperationException($"unexpected JSON node {node.ToJsonString()}"),
    };

    private static JsonObject Json(string json) => JsonNode.Parse(json)!.AsObject();

    /// <summary>A JSON merge patch (a null removes the field).</summary>
    private static JsonObject Merge(JsonObject target, string patch)
    {
        if (patch.Length == 0)
            return target;
        foreach (var (key, value) in Json(patch).ToList())
        {
            if (value is null)
                target.Remove(key);
            else
                target[key] = value.DeepClone();
        }
        return target;
    }

    private static List<string> Strings(JsonNode? node) => node is JsonArray a ? [.. a.Select(n => (string)n!)] : [];
}
