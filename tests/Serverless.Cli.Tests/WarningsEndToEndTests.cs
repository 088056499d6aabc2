using Serverless.Testing;

namespace Serverless.Cli.Tests;

/// <summary>
/// What a user needs to see about manifests that apply but will not behave as written, through the CLI against moto:
/// annotations on a backend Service that do nothing, a rule shadowed by an identical one, an ip target group without a
/// ready endpoint, and a node left out of instance targets; and IngressClassParams' legacy <c>PrefixListsIDs</c> key
/// read as upstream reads it.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class WarningsEndToEndTests(MotoFixture fixture)
{
    private readonly MotoServer _moto = fixture.Server;

    [Fact]
    public async Task Plan_warns_about_Service_annotations_a_shadowed_rule_an_empty_ip_target_group_and_a_NotReady_node()
    {
        var echo = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "examples", "echoserver", "echoserver.yaml"));
        // The Service carries an Ingress-only key and a typo; a second Ingress repeats the first one's host and path
        // (later in the group); a ClusterIP Service with ip targets has no ready endpoint; the third node is NotReady.
        var text = echo
            .Replace("  name: echoserver\n  namespace: echoserver\nspec:\n  type: NodePort\n",
                "  name: echoserver\n  namespace: echoserver\n  annotations:\n    alb.ingress.kubernetes.io/scheme: internal\n    alb.ingress.kubernetes.io/healtcheck-path: /health\nspec:\n  type: NodePort\n",
                StringComparison.Ordinal)
            .Replace("    alb.ingress.kubernetes.io/tags: Environment=dev,Team=test\n",
                "    alb.ingress.kubernetes.io/tags: Environment=dev,Team=test\n    alb.ingress.kubernetes.io/group.name: echo\n",
                StringComparison.Ordinal);
        Assert.NotEqual(echo, text);
        var copy = """
            ---
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: echoserver-copy
              namespace: echoserver
              annotations:
                alb.ingress.kubernetes.io/group.name: echo
                alb.ingress.kubernetes.io/group.order: "5"
            spec:
              ingressClassName: alb
              rules:
                - host: echoserver.example.com
                  http:
                    paths:
                      - path: /
                        pathType: Prefix
                        backend: {service: {name: echoserver, port: {number: 80}}}
                - host: pods.example.com
                  http:
                    paths:
                      - path: /
                        pathType: Prefix
                        backend: {service: {name: pods, port: {number: 80}}}
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: pods
              namespace: echoserver
              annotations:
                alb.ingress.kubernetes.io/target-type: ip
            spec:
              type: ClusterIP
              ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]
            """;
        // The last node of the file (ip-10-0-12-13) becomes NotReady.
        var cluster = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "examples", "cluster.yaml"));
        var lastReady = cluster.LastIndexOf("status: \"True\"", StringComparison.Ordinal);
        cluster = cluster[..lastReady] + "status: \"False\"" + cluster[(lastReady + "status: \"True\"".Length)..];

        var folder = Directory.CreateTempSubdirectory("cli-warnings-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "cluster.yaml"), cluster);
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "echoserver.yaml"), text + copy);

            var (exit, report, errors) = await CliRun.RunAsync(_moto, "plan", "e2e-warnings", ["-f", folder.FullName]);

            Assert.True(exit == ExitCodes.Ok, $"exit {exit}\n{errors}");
            Assert.Contains("metadata.annotations[\"alb.ingress.kubernetes.io/scheme\"]: is read only from an Ingress (or its IngressClassParams), not from a Service", errors, StringComparison.Ordinal);
            Assert.Contains("alb.ingress.kubernetes.io/healtcheck-path\"]: is not an AWS Load Balancer Controller annotation and is ignored (did you mean alb.ingress.kubernetes.io/healthcheck-path?)", errors, StringComparison.Ordinal);
            var group = Assert.Single(report["groups"]!.AsArray())!;
            var warnings = group["warnings"]!.AsArray().Select(static w => (w!["ingress"]!.GetValue<string>(), w["message"]!.GetValue<string>())).ToList();
            Assert.Contains(warnings, static w => w.Item1 == "echoserver/echoserver-copy"
                && w.Item2.Contains("is shadowed by a rule of Ingress echoserver/echoserver with the same conditions", StringComparison.Ordinal));
            Assert.Contains(warnings, static w => w.Item1 == "echoserver/echoserver-copy"
                && w.Item2.Contains("(Service echoserver/pods:80, target type ip) has no ready endpoint", StringComparison.Ordinal));
            Assert.Contains(warnings, static w => w.Item2 == "Node ip-10-0-12-13.ec2.internal is not an instance target: it is not Ready (condition Ready is False)");
            Assert.Contains("warning: Ingress echoserver/echoserver-copy: the rule at priority", errors, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task IngressClassParams_with_the_legacy_PrefixListsIDs_key_applies_and_the_frontend_group_allows_the_prefix_list()
    {
        var cluster = (await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "examples", "cluster.yaml")))
            .Replace("spec:\n  controller: ingress.k8s.aws/alb\n",
                "spec:\n  controller: ingress.k8s.aws/alb\n  parameters:\n    apiGroup: elbv2.k8s.aws\n    kind: IngressClassParams\n    name: corp\n---\napiVersion: elbv2.k8s.aws/v1beta1\nkind: IngressClassParams\nmetadata:\n  name: corp\nspec:\n  PrefixListsIDs: [pl-0123abcd]\n",
                StringComparison.Ordinal);
        Assert.Contains("PrefixListsIDs", cluster, StringComparison.Ordinal);
        var folder = Directory.CreateTempSubdirectory("cli-prefix-lists-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "cluster.yaml"), cluster);
            File.Copy(Path.Combine(RepoPaths.Root, "examples", "echoserver", "echoserver.yaml"), Path.Combine(folder.FullName, "echoserver.yaml"));

            var (exit, report, errors) = await CliRun.RunAsync(_moto, "plan", "e2e-prefix-lists", ["-f", folder.FullName]);

            Assert.True(exit == ExitCodes.Ok, $"exit {exit}\n{errors}");
            var plan = Assert.Single(report["groups"]!.AsArray())!["plan"]!.ToJsonString();
            Assert.Contains("pl-0123abcd", plan, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
