using Serverless.Testing;
using Serverless.Testing.Rbac;

namespace Serverless.Forwarder.Tests;

/// <summary>
/// The forwarder's RBAC (infra/forwarder/rbac.yaml, bound to its service account) against what it really calls: the
/// forwarder runs against the fake API server (initial list and watch of every kind, a watch that expires and
/// relists, paged lists), every request is recorded as an RBAC call (verb, API group, resource, namespace), and the
/// calls must be exactly what the ClusterRole grants — a call not granted fails, and so does a grant never used.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class RbacTests(MotoFixture moto)
{
    /// <summary>Every permission of the forwarder's service account, verb by verb.</summary>
    private static readonly string[] Granted =
    [
        "list /nodes", "list /services", "list discovery.k8s.io/endpointslices", "list elbv2.k8s.aws/ingressclassparams",
        "list networking.k8s.io/ingressclasses", "list networking.k8s.io/ingresses",
        "watch /nodes", "watch /services", "watch discovery.k8s.io/endpointslices", "watch elbv2.k8s.aws/ingressclassparams",
        "watch networking.k8s.io/ingressclasses", "watch networking.k8s.io/ingresses",
    ];

    private static IReadOnlyList<RbacGrant> Grants() =>
        RbacGrant.Of(TypedManifests.Load(RepoPaths.Combine("infra", "forwarder", "rbac.yaml")), "ServiceAccount", "alb-forwarder", "alb-forwarder");

    [Fact]
    public void The_service_account_gets_list_and_watch_of_the_watched_kinds_and_nothing_else()
    {
        Assert.Equal(Granted.Order(StringComparer.Ordinal), Grants().Select(static g => g.Permission).Order(StringComparer.Ordinal));
        Assert.All(Grants(), static g => Assert.Null(g.Namespace)); // every namespace: a ClusterRoleBinding
    }

    [Theory]
    [InlineData("")]
    [InlineData("default,team")]
    public async Task The_forwarder_calls_exactly_what_its_ClusterRole_grants(string watchNamespaces)
    {
        var namespaces = watchNamespaces.Split(',', StringSplitOptions.RemoveEmptyEntries);
        await using var h = await ForwarderHarness.CreateAsync(moto.Server);
        h.Api.Create(ForwarderHarness.IngressClass("alb"));
        h.Api.Create(ForwarderHarness.Ingress("default", "a", group: "shared"));
        h.Api.Create(ForwarderHarness.Ingress("team", "b", group: "shared"));
        h.Api.Create(ForwarderHarness.Service("default", "web"));
        h.Api.Create(ForwarderHarness.Service("team", "api"));
        h.Api.Create(ForwarderHarness.EndpointSlice("default", "web-abc", "web"));
        h.Api.Create(ForwarderHarness.Node("n1"));
        h.Api.Create(ForwarderHarness.Node("n2"));

        await h.StartAsync(c => c with { Namespaces = namespaces, ListPageSize = 1 });
        await h.DrainAsync();
        // A change while watching, then every watch expires (410): each kind is listed again and watched again.
        h.Api.Mutate("v1", "Service", "default", "web", static s => s["spec"]!["ports"]![0]!["port"] = 81);
        await h.DrainAsync();
        h.Api.CompactHistory();
        h.Api.ExpireWatches();
        string[] kinds = ["Ingress", "IngressClass", "IngressClassParams", "Service", "EndpointSlice", "Node"];
        await h.WaitUntilAsync(() => kinds.All(k => h.Host.Metrics.Relists(k) >= 2));
        await h.StopAsync();

        var calls = RbacCall.Of(h.Api.Requests);
        var (denied, unused) = RbacGrant.Compare(Grants(), calls);
        Assert.True(denied.Count == 0, "calls the ClusterRole does not grant: " + string.Join(", ", denied));
        Assert.True(unused.Count == 0, "grants the forwarder never uses: " + string.Join(", ", unused));
        // Namespaced reflectors call in their namespaces only (a ClusterRoleBinding covers them all).
        if (namespaces.Length > 0)
            Assert.All(calls.Where(static c => c.Resource is "ingresses" or "services" or "endpointslices"), c => Assert.Contains(c.Namespace, namespaces));
    }
}
