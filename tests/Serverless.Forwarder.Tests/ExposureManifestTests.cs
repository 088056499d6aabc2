using System.Text.RegularExpressions;
using k8s.Models;
using Serverless.Testing;
using YamlDotNet.RepresentationModel;

namespace Serverless.Forwarder.Tests;

/// <summary>
/// What ties infra/forwarder together and to the SAM template: the IRSA trust names the forwarder's ServiceAccount
/// by default, the Deployment applies without drift (no empty environment values), the NetworkPolicy opens only the
/// status port in and DNS and HTTPS out, and the image's base is pinned by a required digest.
/// </summary>
public sealed partial class ExposureManifestTests
{
    private static List<object> Objects => ManifestTests.Objects.Value;

    private static V1Deployment Deployment => Assert.Single(Objects.OfType<V1Deployment>());

    private static V1Container Container => Assert.Single(Deployment.Spec.Template.Spec.Containers);

    private static YamlMappingNode Map(YamlNode node, string key) => (YamlMappingNode)((YamlMappingNode)node).Children[new YamlScalarNode(key)];

    private static string Scalar(YamlNode node, string key) => ((YamlScalarNode)((YamlMappingNode)node).Children[new YamlScalarNode(key)]).Value!;

    [Fact]
    public void The_templates_IRSA_defaults_name_the_forwarders_namespace_and_service_account()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(RepoPaths.Combine("template.yaml"))));
        var template = stream.Documents[0].RootNode;
        var parameters = Map(template, "Parameters");
        var account = Assert.Single(Objects.OfType<V1ServiceAccount>());
        var ns = Assert.Single(Objects.OfType<V1Namespace>());

        Assert.Equal(ns.Metadata.Name, Scalar(Map(parameters, "ForwarderNamespace"), "Default"));
        Assert.Equal(account.Metadata.NamespaceProperty, Scalar(Map(parameters, "ForwarderNamespace"), "Default"));
        Assert.Equal(account.Metadata.Name, Scalar(Map(parameters, "ForwarderServiceAccount"), "Default"));
        Assert.Equal(account.Metadata.Name, Deployment.Spec.Template.Spec.ServiceAccountName);
        Assert.Equal(account.Metadata.NamespaceProperty, Deployment.Metadata.NamespaceProperty);
        // the role's trust condition is built from exactly these two parameters
        var trust = Scalar(Map(Map(Map(template, "Resources"), "ForwarderRole"), "Properties"), "AssumeRolePolicyDocument");
        Assert.Contains("\"${ForwarderOidcProviderUrl}:sub\": \"system:serviceaccount:${ForwarderNamespace}:${ForwarderServiceAccount}\"", trust, StringComparison.Ordinal);
    }

    [Fact]
    public void The_Deployment_sets_no_environment_variable_to_an_empty_value()
    {
        var env = Container.Env;

        Assert.NotEmpty(env);
        Assert.All(env, static e => Assert.True(!string.IsNullOrEmpty(e.Value) || e.ValueFrom is not null, $"env {e.Name} has an empty value: the API server drops it, so every apply reports a change; leave it out"));
        Assert.Equal(env.Count, env.Select(static e => e.Name).Distinct().Count());
        // what an absent variable means is what an empty one meant
        var required = new Dictionary<string, string> { ["QUEUE_URL"] = "https://sqs.eu-west-1.amazonaws.com/1/work.fifo", ["KUBE_API_URL"] = "https://10.100.0.1" };
        var empty = new Dictionary<string, string>(required) { ["WATCH_NAMESPACES"] = "", ["HTTP_ADDRESS"] = "", ["INGRESS_CLASS"] = "" };
        var unset = ForwarderConfig.FromEnvironment(required.GetValueOrDefault);
        var blank = ForwarderConfig.FromEnvironment(empty.GetValueOrDefault);
        Assert.Empty(unset.Namespaces);
        Assert.Equal(unset.Namespaces, blank.Namespaces);
        Assert.Equal((unset.HttpAddress, unset.IngressClass), (blank.HttpAddress, blank.IngressClass));
    }

    [Fact]
    public void The_status_port_is_the_same_in_the_container_its_environment_its_probes_the_scrape_annotation_and_the_NetworkPolicy()
    {
        var port = Assert.Single(Container.Ports);
        var policy = Assert.Single(Objects.OfType<V1NetworkPolicy>());

        Assert.Equal("http", port.Name);
        Assert.Equal(port.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), Assert.Single(Container.Env, static e => e.Name == "HTTP_PORT").Value);
        Assert.Equal("http", Container.LivenessProbe.HttpGet.Port.Value);
        Assert.Equal("http", Container.ReadinessProbe.HttpGet.Port.Value);
        Assert.Equal(port.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), Deployment.Spec.Template.Metadata.Annotations["prometheus.io/port"]);
        var ingress = Assert.Single(policy.Spec.Ingress);
        var allowed = Assert.Single(ingress.Ports);
        Assert.Equal(("TCP", port.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture)), (allowed.Protocol, allowed.Port.Value));
    }

    [Fact]
    public void The_NetworkPolicy_selects_the_forwarder_and_allows_out_only_DNS_to_kube_dns_and_HTTPS()
    {
        var policy = Assert.Single(Objects.OfType<V1NetworkPolicy>());
        var spec = policy.Spec;

        Assert.Equal(Deployment.Metadata.NamespaceProperty, policy.Metadata.NamespaceProperty);
        Assert.Equal(Deployment.Spec.Template.Metadata.Labels, spec.PodSelector.MatchLabels);
        Assert.Equal(["Ingress", "Egress"], spec.PolicyTypes);
        Assert.All(spec.Egress, static rule => Assert.NotEmpty(rule.Ports)); // no rule opens every port
        Assert.All(spec.Egress, static rule => Assert.NotEmpty(rule.To)); // nor every destination without saying so

        var dns = Assert.Single(spec.Egress, static r => r.Ports.Any(static p => p.Port.Value == "53"));
        Assert.Equal(["TCP/53", "UDP/53"], dns.Ports.Select(static p => p.Protocol + "/" + p.Port.Value).Order(StringComparer.Ordinal));
        var kubeDns = Assert.Single(dns.To);
        Assert.Equal("kube-system", kubeDns.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
        Assert.Equal("kube-dns", kubeDns.PodSelector.MatchLabels["k8s-app"]);

        var https = Assert.Single(spec.Egress, static r => !r.Ports.Any(static p => p.Port.Value == "53"));
        Assert.Equal(["TCP/443"], https.Ports.Select(static p => p.Protocol + "/" + p.Port.Value));
        Assert.Equal(["0.0.0.0/0", "::/0"], https.To.Select(static t => t.IpBlock.Cidr));
        Assert.All(https.To, static t => Assert.Null(t.PodSelector));
    }

    [Fact]
    public void The_image_base_is_pinned_by_a_digest_that_the_build_requires()
    {
        var lines = File.ReadAllLines(RepoPaths.Combine("infra", "forwarder", "Containerfile")).Where(static l => !l.TrimStart().StartsWith('#')).ToList();

        var from = Assert.Single(lines, static l => l.StartsWith("FROM ", StringComparison.Ordinal));
        Assert.Matches(@"^FROM \S+@\$\{BASE_DIGEST:\?\}$", from); // unset or empty: the build stops at FROM
        Assert.Contains("ARG BASE_DIGEST", lines); // declared without a default
        Assert.DoesNotContain(lines, static l => l.StartsWith("ARG BASE_DIGEST=", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, static l => Sha256().IsMatch(l)); // no digest is written down here
        // the Deployment runs the project's own image, set at apply time
        Assert.Equal("${FORWARDER_IMAGE}", Container.Image);
    }

    [GeneratedRegex("sha256:[0-9a-f]{64}")]
    private static partial Regex Sha256();
}
