using k8s.Models;
using Serverless.Testing;
using Serverless.Testing.Rbac;

namespace Serverless.Forwarder.Tests;

/// <summary>
/// Every manifest in infra/forwarder/ read into KubernetesClient's typed models with the project's strict YAML
/// converter (an unknown or mistyped field fails), then the RBAC and pod security settings asserted.
/// </summary>
public sealed class ManifestTests
{
    /// <summary>Every object of every manifest, typed.</summary>
    internal static readonly Lazy<List<object>> Objects = new(Load);

    private static List<object> Load()
    {
        var files = Directory.GetFiles(RepoPaths.Combine("infra", "forwarder"), "*.yaml").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["deployment.yaml", "namespace.yaml", "networkpolicy.yaml", "rbac.yaml", "serviceaccount.yaml"], files.Select(Path.GetFileName));
        return [.. files.SelectMany(static f => TypedManifests.Load(f))];
    }

    [Fact]
    public void Every_manifest_loads_strictly_into_typed_objects()
    {
        Assert.Equal(6, Objects.Value.Count);
    }

    [Fact]
    public void The_ClusterRole_grants_only_list_and_watch_on_exactly_the_watched_kinds_and_is_bound_to_the_service_account()
    {
        var role = Assert.Single(Objects.Value.OfType<V1ClusterRole>());
        Assert.All(role.Rules, r => Assert.Equal(["list", "watch"], r.Verbs));
        Assert.All(role.Rules, r => Assert.Null(r.ResourceNames));
        var granted = role.Rules.SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.Select(res => g + "/" + res))).Order(StringComparer.Ordinal);
        Assert.Equal(
            ["/nodes", "/services", "discovery.k8s.io/endpointslices", "elbv2.k8s.aws/ingressclassparams", "networking.k8s.io/ingressclasses", "networking.k8s.io/ingresses"],
            granted);
        // the same set the forwarder watches
        var watched = WatchTarget.All([]).Select(static t => t.ApiPrefix.Replace("/api/v1", "", StringComparison.Ordinal).Replace("/apis/", "", StringComparison.Ordinal).Split('/')[0] + "/" + t.Plural).Order(StringComparer.Ordinal);
        Assert.Equal(granted, watched);

        var binding = Assert.Single(Objects.Value.OfType<V1ClusterRoleBinding>());
        Assert.Equal(("ClusterRole", "alb-forwarder"), (binding.RoleRef.Kind, binding.RoleRef.Name));
        var subject = Assert.Single(binding.Subjects);
        var account = Assert.Single(Objects.Value.OfType<V1ServiceAccount>());
        Assert.Equal(("ServiceAccount", account.Metadata.Name, account.Metadata.NamespaceProperty), (subject.Kind, subject.Name, subject.NamespaceProperty));
        Assert.Equal("${FORWARDER_ROLE_ARN}", account.Metadata.Annotations["eks.amazonaws.com/role-arn"]);
    }

    [Fact]
    public void The_Deployment_runs_one_hardened_replica_with_probes_and_small_resources()
    {
        var deployment = Assert.Single(Objects.Value.OfType<V1Deployment>());
        var pod = deployment.Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);

        Assert.Equal(1, deployment.Spec.Replicas);
        Assert.Equal("alb-forwarder", pod.ServiceAccountName);
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
        Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
        Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
        Assert.Equal(["ALL"], container.SecurityContext.Capabilities.Drop);
        Assert.Null(container.SecurityContext.Capabilities.Add);
        Assert.Equal("/healthz", container.LivenessProbe.HttpGet.Path);
        Assert.Equal("/readyz", container.ReadinessProbe.HttpGet.Path);
        Assert.True(container.Resources.Limits["memory"].ToInt64() <= 128L * 1024 * 1024);
        Assert.True(container.Resources.Requests["cpu"].ToDecimal() <= 0.1m);
        Assert.Contains(container.Env, e => e.Name == "QUEUE_URL");
        Assert.True(pod.TerminationGracePeriodSeconds > 20); // longer than the flush on SIGTERM
    }
}
