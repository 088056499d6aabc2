using Serverless.Testing;

namespace Serverless.Cli.Tests;

/// <summary>
/// The echoserver example with one value AWS would reject (or a backend that cannot be built): apply exits 1, names
/// the Ingress, the field and the value, and creates nothing in AWS (no load balancer, target group or security group
/// of the cluster exists afterwards).
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class InvalidValueEndToEndTests(MotoFixture fixture)
{
    private const string SchemeLine = "    alb.ingress.kubernetes.io/scheme: internet-facing\n";

    private readonly MotoServer _moto = fixture.Server;

    public static TheoryData<string, string, string[]> Cases() => new()
    {
        { "success-codes", Annotation("success-codes: 300-299"), ["alb.ingress.kubernetes.io/success-codes", "300-299", "starts above its end"] },
        { "grpc-success-codes", Annotation("backend-protocol-version: GRPC\n    alb.ingress.kubernetes.io/success-codes: \"200\""), ["alb.ingress.kubernetes.io/success-codes", "gRPC status codes within 0-99"] },
        { "load-balancer-name", Annotation("load-balancer-name: internal-echo"), ["alb.ingress.kubernetes.io/load-balancer-name", "internal-echo", "cannot begin with"] },
        { "healthcheck-path", Annotation("healthcheck-path: healthz"), ["alb.ingress.kubernetes.io/healthcheck-path", "healthz", "must start with /"] },
        { "prefix-lists", Annotation("security-group-prefix-lists: pl-0123abcd,corp"), ["alb.ingress.kubernetes.io/security-group-prefix-lists", "is not a prefix list ID"] },
        { "health-check-timing", Annotation("healthcheck-timeout-seconds: \"20\""), ["alb.ingress.kubernetes.io/healthcheck-timeout-seconds", "must be smaller than the interval (15s)"] },
        { "target-group-attribute", Annotation("target-group-attributes: stickiness.type=source_ip"), ["alb.ingress.kubernetes.io/target-group-attributes", "stickiness.type=source_ip", "must be one of: lb_cookie, app_cookie"] },
        { "load-balancer-attribute", Annotation("load-balancer-attributes: idle_timeout.timeout_seconds=5000"), ["alb.ingress.kubernetes.io/load-balancer-attributes", "must be an integer within 1-4000"] },
        { "service-name", Backend("echo_server"), ["backend.service.name", "echo_server", "is not a valid Service name"] },
        { "missing-web-acl", Annotation("wafv2-acl-arn: arn:aws:wafv2:us-east-1:123456789012:regional/webacl/absent/0a1b2c3d"), ["alb.ingress.kubernetes.io/wafv2-acl-arn", "regional/webacl/absent/0a1b2c3d", "no REGIONAL web ACL with this ARN exists"] },
        { "missing-service", Backend("echoserver-v2"), ["backend.service.name", "Service echoserver/echoserver-v2 does not exist"] },
        { "ipv6-service", Ipv6Service, ["backend Service echoserver/echoserver spec.ipFamilies", "unsupported IPv6 configuration, lb not dual-stack"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Apply_exits_1_naming_the_Ingress_field_and_value_and_creates_nothing(string name, string edit, string[] expected)
    {
        var cluster = "e2e-invalid-" + name;
        var folder = Directory.CreateTempSubdirectory("cli-invalid-");
        try
        {
            File.Copy(Path.Combine(RepoPaths.Root, "examples", "cluster.yaml"), Path.Combine(folder.FullName, "cluster.yaml"));
            var original = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "examples", "echoserver", "echoserver.yaml"));
            var text = Edit(original, edit);
            Assert.NotEqual(original, text);
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "echoserver.yaml"), text);

            var (exit, report, errors) = await CliRun.RunAsync(_moto, "apply", cluster, ["-f", folder.FullName]);

            Assert.True(exit == ExitCodes.InvalidInput, $"exit {exit}\n{errors}");
            var ingress = Assert.Single(Assert.Single(report["groups"]!.AsArray())!["ingresses"]!.AsArray())!;
            Assert.Equal(("echoserver/echoserver", "frozen"), (ingress["ingress"]!.GetValue<string>(), ingress["state"]!.GetValue<string>()));
            Assert.Contains("Ingress echoserver/echoserver", ingress["errors"]!.ToJsonString(), StringComparison.Ordinal);
            var reported = ingress["errors"]!.ToJsonString();
            foreach (var part in expected)
                Assert.Contains(part, reported, StringComparison.Ordinal);
            await CliRun.AssertNothingTaggedForAsync(_moto, cluster);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static string Annotation(string line) => "annotation:alb.ingress.kubernetes.io/" + line;

    private static string Backend(string service) => "backend:" + service;

    private const string Ipv6Service = "ipv6";

    /// <summary>Applies one edit to the echoserver manifest: an Ingress annotation, a backend Service name, or an IPv6-only Service with ip targets.</summary>
    private static string Edit(string text, string edit)
    {
        if (edit.StartsWith("annotation:", StringComparison.Ordinal))
            return text.Replace(SchemeLine, SchemeLine + "    " + edit["annotation:".Length..] + "\n", StringComparison.Ordinal);
        if (edit.StartsWith("backend:", StringComparison.Ordinal))
            return text.Replace("                name: echoserver\n", "                name: " + edit["backend:".Length..] + "\n", StringComparison.Ordinal);
        return text
            .Replace("  type: NodePort\n", "  type: NodePort\n  ipFamilies: [IPv6]\n", StringComparison.Ordinal)
            .Replace(SchemeLine, SchemeLine + "    alb.ingress.kubernetes.io/target-type: ip\n", StringComparison.Ordinal);
    }
}
