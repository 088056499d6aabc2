using System.Text.Json.Nodes;
using k8s.Models;
using Serverless.Kubernetes.Manifests;
using Serverless.Testing;

namespace Serverless.Cli.Tests;

/// <summary>
/// Nothing in the manifests is passed over in silence: an Ingress that is in no group (invalid group name, its
/// IngressClass not among the manifests, no class at all, another controller's class) and an object of a kind not
/// handled yet (a Service asking for an NLB, a TargetGroupBinding) is an error, a warning or a note naming the file,
/// the object and the field, on stderr and in the one JSON document; errors make the exit code 1 and the valid groups
/// are reconciled all the same.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class ManifestProblemsTests(MotoFixture fixture)
{
    private static readonly string ValidIngress = TestIngresses.Ingress("valid", TestIngresses.RedirectOnly);

    private readonly MotoServer _moto = fixture.Server;

    [Fact]
    public async Task An_invalid_group_name_is_an_error_naming_the_ingress_and_the_other_groups_are_applied()
    {
        const string cluster = "e2e-badgroup";
        var folder = Directory.CreateTempSubdirectory("cli-badgroup-");
        try
        {
            var manifest = Path.Combine(folder.FullName, "ingresses.yaml");
            await File.WriteAllTextAsync(manifest, ValidIngress + "---\n" + """
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata:
                  name: shop
                  namespace: default
                  annotations:
                    alb.ingress.kubernetes.io/group.name: Shop_Team
                spec:
                  ingressClassName: alb
                """ + "\n");
            var files = CliRun.WithCluster(manifest);

            var apply = await CliRun.RunAsync(_moto, "apply", cluster, files);

            Assert.True(apply.Exit == ExitCodes.InvalidInput, apply.Errors);
            var problem = Assert.Single(Problems(apply, "error"));
            AssertNames(problem, manifest, "Ingress", "default", "shop");
            Assert.Equal("annotation alb.ingress.kubernetes.io/group.name", problem["field"]!.GetValue<string>());
            var line = File.ReadAllLines(manifest).ToList().FindIndex(static l => l.Contains("group.name", StringComparison.Ordinal)) + 1;
            Assert.Equal(line, problem["line"]!.GetValue<int>());
            Assert.Contains("\"Shop_Team\"", problem["message"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Contains("lower case alphanumeric", problem["message"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Contains($"error: {manifest} document 2 (Ingress default/shop), line {line} ", apply.Errors, StringComparison.Ordinal);
            // The valid group is applied all the same.
            var group = Assert.Single(apply.Report["groups"]!.AsArray())!;
            Assert.Equal("default/valid", group["group"]!.GetValue<string>());
            Assert.EndsWith(".elb.amazonaws.com", group["resources"]!["loadBalancer"]!["dnsName"]!.GetValue<string>(), StringComparison.Ordinal);

            var destroy = await CliRun.RunAsync(_moto, "destroy", cluster, files);
            Assert.True(destroy.Exit == ExitCodes.InvalidInput, destroy.Errors);
            await CliRun.AssertNothingTaggedForAsync(_moto, cluster);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task An_ingress_class_missing_from_the_manifests_is_an_error_that_names_the_file_defining_it()
    {
        var example = Path.Combine(RepoPaths.Root, "examples", "2048");

        var plan = await CliRun.RunAsync(_moto, "plan", "e2e-noclass", ["-f", example]);

        Assert.True(plan.Exit == ExitCodes.InvalidInput, plan.Errors);
        Assert.Equal(ExitCodes.InvalidInput, plan.Report["exitCode"]!.GetValue<int>());
        Assert.Empty(plan.Report["groups"]?.AsArray() ?? []);
        var problem = Assert.Single(Problems(plan, "error"));
        AssertNames(problem, Path.Combine(example, "game-2048.yaml"), "Ingress", "game-2048", "ingress-2048");
        Assert.Equal("spec.ingressClassName", problem["field"]!.GetValue<string>());
        var message = problem["message"]!.GetValue<string>();
        Assert.Contains("IngressClass alb is not in the given manifests", message, StringComparison.Ordinal);
        Assert.Contains($"add -f {Path.Combine(RepoPaths.Root, "examples", "cluster.yaml")}, which defines it", message, StringComparison.Ordinal);
        Assert.Contains("Nothing to reconcile", plan.Errors, StringComparison.Ordinal);
        Assert.DoesNotContain("No Ingress of this controller's class", plan.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ingress_class_defined_nowhere_near_says_to_add_the_file_that_defines_it()
    {
        var folder = Directory.CreateTempSubdirectory("cli-noclass-");
        try
        {
            var manifest = Path.Combine(folder.FullName, "ingress.yaml");
            await File.WriteAllTextAsync(manifest, ValidIngress.Replace("ingressClassName: alb", "ingressClassName: edge", StringComparison.Ordinal));

            var plan = await CliRun.RunAsync(_moto, "plan", "e2e-noclass-near", CliRun.WithCluster(manifest));

            Assert.True(plan.Exit == ExitCodes.InvalidInput, plan.Errors);
            var problem = Assert.Single(Problems(plan, "error"));
            AssertNames(problem, manifest, "Ingress", "default", "valid");
            Assert.Contains("IngressClass edge is not in the given manifests", problem["message"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Contains("add the file that defines IngressClass edge with another -f", problem["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Services_asking_for_an_nlb_this_controller_does_not_take_are_warned()
    {
        var folder = Directory.CreateTempSubdirectory("cli-nlb-");
        try
        {
            var manifest = Path.Combine(folder.FullName, "objects.yaml");
            await File.WriteAllTextAsync(manifest, ValidIngress + "---\n" + """
                apiVersion: v1
                kind: Service
                metadata:
                  name: by-webhook
                  namespace: shop
                spec:
                  type: LoadBalancer
                  ports:
                    - port: 80
                ---
                apiVersion: v1
                kind: Service
                metadata:
                  name: elsewhere
                  namespace: shop
                spec:
                  type: LoadBalancer
                  loadBalancerClass: example.com/lb
                  ports:
                    - port: 80
                """ + "\n");

            var plan = await CliRun.RunAsync(_moto, "plan", "e2e-nlb", CliRun.WithCluster(manifest));

            Assert.True(plan.Exit == ExitCodes.Ok, plan.Errors);
            Assert.Single(plan.Report["groups"]!.AsArray());
            var warnings = Problems(plan, "warning");
            Assert.Single(warnings);
            AssertNames(warnings[0], manifest, "Service", "shop", "by-webhook");
            Assert.Equal("spec.type", warnings[0]["field"]!.GetValue<string>());
            Assert.Contains("this controller reconciles only a Service with spec.loadBalancerClass: service.k8s.aws/nlb", warnings[0]["message"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Contains("warning: " + manifest + " document 2 (Service shop/by-webhook)", plan.Errors, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task An_ingress_without_class_is_a_warning_and_one_of_another_controller_a_note()
    {
        var folder = Directory.CreateTempSubdirectory("cli-otherclass-");
        try
        {
            var manifest = Path.Combine(folder.FullName, "ingresses.yaml");
            await File.WriteAllTextAsync(manifest, """
                apiVersion: networking.k8s.io/v1
                kind: IngressClass
                metadata:
                  name: nginx
                spec:
                  controller: k8s.io/ingress-nginx
                ---
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata:
                  name: classless
                  namespace: default
                spec:
                  defaultBackend:
                    service:
                      name: web
                      port:
                        number: 80
                ---
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata:
                  name: theirs
                  namespace: default
                spec:
                  ingressClassName: nginx
                  defaultBackend:
                    service:
                      name: web
                      port:
                        number: 80
                """ + "\n");

            var plan = await CliRun.RunAsync(_moto, "plan", "e2e-otherclass", CliRun.WithCluster(manifest));

            Assert.True(plan.Exit == ExitCodes.Ok, plan.Errors);
            Assert.Empty(plan.Report["groups"]?.AsArray() ?? []);
            var warning = Assert.Single(Problems(plan, "warning"));
            AssertNames(warning, manifest, "Ingress", "default", "classless");
            Assert.Contains("set spec.ingressClassName", warning["message"]!.GetValue<string>(), StringComparison.Ordinal);
            var note = Assert.Single(Problems(plan, "note"));
            AssertNames(note, manifest, "Ingress", "default", "theirs");
            Assert.Contains("k8s.io/ingress-nginx", note["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Invalid_manifests_still_print_one_json_document_with_the_errors()
    {
        var folder = Directory.CreateTempSubdirectory("cli-invalid-");
        try
        {
            var manifest = Path.Combine(folder.FullName, "bad.yaml");
            await File.WriteAllTextAsync(manifest, "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: bad\n  namespace: default\nspec:\n  rules: 7\n");

            var run = await CliRun.RunAsync(_moto, "apply", "e2e-invalid-json", ["-f", manifest]);

            Assert.Equal(ExitCodes.InvalidInput, run.Exit);
            Assert.Equal(ExitCodes.InvalidInput, run.Report["exitCode"]!.GetValue<int>());
            var problem = Assert.Single(Problems(run, "error"));
            Assert.Equal(manifest, problem["file"]!.GetValue<string>());
            Assert.Equal("spec.rules", problem["field"]!.GetValue<string>());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>Upstream's rules for which Services become NLBs (<c>IsServiceSupported</c> and its Service webhook).</summary>
    [Theory]
    [InlineData("LoadBalancer", "service.k8s.aws/nlb", null, null, "spec.loadBalancerClass")]
    [InlineData("LoadBalancer", "example.com/lb", "nlb-ip", null, null)]
    [InlineData("LoadBalancer", null, null, null, "spec.type")]
    [InlineData("LoadBalancer", null, "nlb", null, "spec.type")]
    [InlineData("NodePort", null, "nlb-ip", null, "annotation service.beta.kubernetes.io/aws-load-balancer-type")]
    [InlineData("NodePort", null, "external", "ip", "annotation service.beta.kubernetes.io/aws-load-balancer-type")]
    [InlineData("NodePort", null, "external", "instance", "annotation service.beta.kubernetes.io/aws-load-balancer-type")]
    [InlineData("NodePort", null, "external", null, null)]
    [InlineData("NodePort", null, "nlb", null, null)]
    [InlineData("ClusterIP", null, null, null, null)]
    public void A_service_asks_for_an_nlb_by_upstreams_rules(string type, string? loadBalancerClass, string? lbType, string? targetType, string? field)
    {
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        if (lbType is not null)
            annotations["service.beta.kubernetes.io/aws-load-balancer-type"] = lbType;
        if (targetType is not null)
            annotations["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"] = targetType;
        var service = new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "svc", NamespaceProperty = "default", Annotations = annotations },
            Spec = new V1ServiceSpec { Type = type, LoadBalancerClass = loadBalancerClass },
        };

        Assert.Equal(field, ManifestReview.NetworkLoadBalancerRequest(service)?.Field);
    }

    [Fact]
    public void Review_of_a_manifest_set_finds_nothing_in_the_examples()
    {
        var set = ManifestLoader.Load(Path.Combine(RepoPaths.Root, "examples"));
        Assert.True(set.IsValid);
        var problems = ManifestReview.Review(set, [Path.Combine(RepoPaths.Root, "examples")], new Serverless.Ingress.ClusterSettings { ClusterName = "demo", VpcId = "vpc-1" });
        Assert.Empty(problems);
    }

    private static List<JsonNode> Problems(CliResult run, string severity) =>
        [.. (run.Report["problems"]?.AsArray() ?? []).OfType<JsonNode>().Where(p => p["severity"]!.GetValue<string>() == severity)];

    private static void AssertNames(JsonNode problem, string file, string kind, string ns, string name)
    {
        Assert.Equal(file, problem["file"]!.GetValue<string>());
        Assert.Equal(kind, problem["kind"]!.GetValue<string>());
        Assert.Equal(ns, problem["namespace"]!.GetValue<string>());
        Assert.Equal(name, problem["name"]!.GetValue<string>());
        Assert.Equal($"{kind} {ns}/{name}", problem["object"]!.GetValue<string>());
    }
}
