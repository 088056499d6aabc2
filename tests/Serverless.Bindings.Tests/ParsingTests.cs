using System.Text.Json;
using Serverless.Kubernetes.Bindings;
using Serverless.Kubernetes.Manifests;

namespace Serverless.Bindings.Tests;

public sealed class ParsingTests
{
    private const string Arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop/0123456789abcdef";

    private static string Binding(string spec, string name = "shop", string ns = "web") => $"""
        apiVersion: elbv2.k8s.aws/v1beta1
        kind: TargetGroupBinding
        metadata:
          name: {name}
          namespace: {ns}
        spec:
        {spec}
        """;

    private static ManifestError SingleError(string yaml)
    {
        var set = ManifestLoader.LoadText(yaml, "bindings.yaml");
        Assert.Empty(set.TargetGroupBindings);
        return Assert.Single(set.Errors);
    }

    [Fact]
    public void A_full_binding_is_read_with_every_field()
    {
        var set = ManifestLoader.LoadText(Binding($"""
              targetGroupARN: {Arn}
              targetType: instance
              serviceRef:
                name: shop
                port: 80
              nodeSelector:
                matchLabels:
                  pool: web
                matchExpressions:
                  - key: zone
                    operator: In
                    values: [a, b]
              ipAddressType: ipv4
              vpcID: vpc-0123456789abcdef0
              multiClusterTargetGroup: true
              networking:
                ingress:
                  - from:
                      - securityGroup:
                          groupID: sg-0123abcd
                      - ipBlock:
                          cidr: 10.1.0.0/16
                    ports:
                      - port: 8080
                      - protocol: UDP
                        port: dns
            """), "bindings.yaml");

        Assert.True(set.IsValid, string.Join("\n", set.Errors));
        var binding = Assert.Single(set.TargetGroupBindings);
        Assert.Equal("web/shop", binding.Key);
        Assert.Equal(Arn, binding.Spec.TargetGroupArn);
        Assert.Equal("instance", binding.Spec.TargetType);
        Assert.Equal(new ServiceReference("shop", PortReference.Of(80)), binding.Spec.ServiceRef);
        Assert.Equal("web", binding.Spec.NodeSelector!.MatchLabels["pool"]);
        Assert.Equal("In", Assert.Single(binding.Spec.NodeSelector.MatchExpressions).Operator);
        Assert.Equal("vpc-0123456789abcdef0", binding.Spec.VpcId);
        Assert.True(binding.Spec.MultiClusterTargetGroup);
        var rule = Assert.Single(binding.Spec.Networking!.Ingress);
        Assert.Equal([new BindingPeer("sg-0123abcd", null), new BindingPeer(null, "10.1.0.0/16")], rule.From);
        Assert.Equal([new BindingPort("TCP", PortReference.Of(8080)), new BindingPort("UDP", PortReference.Of("dns"))], rule.Ports);
    }

    [Fact]
    public void A_named_port_and_a_quoted_number_are_names_and_a_plain_number_is_a_number()
    {
        var named = ManifestLoader.LoadText(Binding("""
              targetGroupName: shop
              serviceRef:
                name: shop
                port: http
            """)).TargetGroupBindings.Single();
        var quoted = TargetGroupBindingParser.ParseJson("""
            {"apiVersion":"elbv2.k8s.aws/v1beta1","kind":"TargetGroupBinding","metadata":{"name":"b","namespace":"web"},
             "spec":{"targetGroupName":"shop","serviceRef":{"name":"shop","port":"8080"}}}
            """).Binding!;
        var number = TargetGroupBindingParser.ParseJson("""
            {"apiVersion":"elbv2.k8s.aws/v1beta1","kind":"TargetGroupBinding","metadata":{"name":"b","namespace":"web"},
             "spec":{"targetGroupName":"shop","serviceRef":{"name":"shop","port":8080}}}
            """).Binding!;

        Assert.Equal(PortReference.Of("http"), named.Spec.ServiceRef.Port);
        Assert.Null(named.Spec.TargetType);
        Assert.Equal(PortReference.Of("8080"), quoted.Spec.ServiceRef.Port);
        Assert.Equal(PortReference.Of(8080), number.Spec.ServiceRef.Port);
    }

    [Fact]
    public void Neither_arn_nor_name_is_an_error_naming_the_binding_and_the_field()
    {
        var error = SingleError(Binding("""
              serviceRef:
                name: shop
                port: 80
            """));

        Assert.Equal("TargetGroupBinding web/shop", error.Object);
        Assert.Equal("spec.targetGroupARN", error.Field);
        Assert.Contains("targetGroupARN or targetGroupName is required", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("targetType: lambda", "spec.targetType", "\"lambda\"")]
    [InlineData("vpcID: vpc-123", "spec.vpcID", "\"vpc-123\"")]
    [InlineData("vpcID: vpc-0123456789abcdefg", "spec.vpcID", "\"vpc-0123456789abcdefg\"")]
    [InlineData("ipAddressType: dualstack", "spec.ipAddressType", "\"dualstack\"")]
    [InlineData("targetGroupARN: not-an-arn", "spec.targetGroupARN", "\"not-an-arn\"")]
    [InlineData("iamRoleArnToAssume: arn:aws:iam::1:role/x", "spec.iamRoleArnToAssume", "another account")]
    [InlineData("targetGroupPort: 80", "spec.targetGroupPort", "unknown field")]
    public void A_bad_field_is_an_error_naming_the_binding_the_field_and_the_value(string line, string field, string value)
    {
        var error = SingleError(Binding($"""
              targetGroupName: shop
              {line}
              serviceRef:
                name: shop
                port: 80
            """));

        Assert.Equal("TargetGroupBinding web/shop", error.Object);
        Assert.Equal(field, error.Field);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
        Assert.Contains("TargetGroupBinding web/shop", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_selector_with_ip_targets_is_an_error()
    {
        var error = SingleError(Binding("""
              targetGroupName: shop
              targetType: ip
              nodeSelector:
                matchLabels:
                  pool: web
              serviceRef:
                name: shop
                port: 80
            """));

        Assert.Equal("spec.nodeSelector", error.Field);
        Assert.Contains("targetType is ip", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("port: 0", "spec.serviceRef.port", "out of range")]
    [InlineData("port: 70000", "spec.serviceRef.port", "out of range")]
    [InlineData("port: [80]", "spec.serviceRef.port", "expected a port number or name")]
    public void A_bad_service_port_is_an_error(string port, string field, string message)
    {
        var error = SingleError(Binding($"""
              targetGroupName: shop
              serviceRef:
                name: shop
                {port}
            """));

        Assert.Equal(field, error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_peer_with_both_or_neither_source_is_an_error()
    {
        var set = ManifestLoader.LoadText(Binding("""
              targetGroupName: shop
              serviceRef:
                name: shop
                port: 80
              networking:
                ingress:
                  - from:
                      - securityGroup:
                          groupID: sg-0123abcd
                        ipBlock:
                          cidr: 10.0.0.0/8
                      - {}
                    ports:
                      - port: 80
            """));

        Assert.Equal(2, set.Errors.Count);
        Assert.All(set.Errors, e => Assert.Contains("exactly one of securityGroup or ipBlock", e.Message, StringComparison.Ordinal));
        Assert.Equal(["spec.networking.ingress[0].from[0]", "spec.networking.ingress[0].from[1]"], set.Errors.Select(static e => e.Field));
    }

    [Fact]
    public void Api_json_is_read_with_metadata_status_and_server_fields_and_a_bad_one_never_throws()
    {
        var parsed = TargetGroupBindingParser.ParseJson("""
            {"apiVersion":"elbv2.k8s.aws/v1beta1","kind":"TargetGroupBinding",
             "metadata":{"name":"b","namespace":"web","uid":"u-1","resourceVersion":"1042","generation":3,
               "finalizers":["elbv2.k8s.aws/resources"],"annotations":{"a":"1"},"labels":{"l":"2"},
               "deletionTimestamp":"2026-01-01T00:00:00Z","managedFields":[{"manager":"kubectl"}]},
             "spec":{"targetGroupARN":"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop/0123456789abcdef","targetType":"ip","serviceRef":{"name":"shop","port":80}},
             "status":{"observedGeneration":2,"conditions":[{"type":"Ready","status":"False","reason":"FailedCleanup","message":"m","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}
            """);
        var broken = TargetGroupBindingParser.ParseJson("""{"apiVersion":"elbv2.k8s.aws/v1beta1","kind":"TargetGroupBinding","metadata":{"name":"b","namespace":"web"},"spec":{"targetType":"ip"}}""");
        var garbage = TargetGroupBindingParser.ParseJson("{not json");

        var binding = Assert.IsType<TargetGroupBinding>(parsed.Binding);
        Assert.Equal(3, binding.Metadata.Generation);
        Assert.Equal("1042", binding.Metadata.ResourceVersion);
        Assert.True(binding.Metadata.IsDeleting);
        Assert.Equal(["elbv2.k8s.aws/resources"], binding.Metadata.Finalizers);
        Assert.Equal(2, binding.Status.ObservedGeneration);
        Assert.Equal("FailedCleanup", Assert.Single(binding.Status.Conditions).Reason);
        Assert.Null(broken.Binding);
        Assert.Equal(["spec.serviceRef", "spec.targetGroupARN"], broken.Errors.Select(static e => e.Field).Order(StringComparer.Ordinal));
        Assert.All(broken.Errors, e => Assert.Equal("TargetGroupBinding web/b", e.Object));
        Assert.Null(garbage.Binding);
        Assert.NotEmpty(garbage.Errors);
        Assert.Null(TargetGroupBindingParser.ReadMetadataJson("{not json"));
        Assert.Equal("1042", TargetGroupBindingParser.ReadMetadataJson("""{"metadata":{"name":"b","namespace":"web","resourceVersion":"1042"},"spec":{}}""")!.ResourceVersion);
    }

    [Fact]
    public void The_source_generated_json_context_writes_the_binding_and_reads_it_back()
    {
        var binding = ManifestLoader.LoadText(Binding($"""
              targetGroupARN: {Arn}
              targetType: ip
              serviceRef:
                name: shop
                port: http
            """)).TargetGroupBindings.Single();

        var json = JsonSerializer.Serialize(binding, TargetGroupBindingJson.Default.TargetGroupBinding);
        var back = JsonSerializer.Deserialize(json, TargetGroupBindingJson.Default.TargetGroupBinding)!;

        Assert.Contains("\"targetGroupArn\":\"" + Arn + "\"", json, StringComparison.Ordinal);
        Assert.Equal(binding.Spec.ServiceRef, back.Spec.ServiceRef);
        Assert.Equal(binding.Spec.TargetGroupArn, back.Spec.TargetGroupArn);
        Assert.Equal(binding.Key, back.Key);
    }
}
