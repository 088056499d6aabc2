using k8s.Models;
using Serverless.Testing.FakeKubernetes;

namespace Serverless.Testing.Rbac;

/// <summary>
/// One call as RBAC sees it: a verb on a resource (<c>ingresses</c>, or <c>ingresses/status</c> for a subresource)
/// of an API group (<c>""</c> for core), in a namespace (null: cluster-scoped or all namespaces), of one object
/// (null: a collection).
/// </summary>
public sealed record RbacCall(string Verb, string ApiGroup, string Resource, string? Namespace, string? Name)
{
    /// <summary>
    /// The call a request to the fake API server was (its verb: GET item <c>get</c>, GET collection <c>list</c>,
    /// <c>?watch=true</c> <c>watch</c>, POST <c>create</c>, PATCH <c>patch</c>, PUT <c>update</c>, DELETE
    /// <c>delete</c>); null for discovery. A request to a resource the server does not serve throws: RBAC could not
    /// be checked for it.
    /// </summary>
    public static RbacCall? Of(FakeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Verb == "discovery")
            return null;
        var type = request.Resource ?? throw new InvalidOperationException($"{request}: not a resource the fake API server serves");
        var resource = request.Subresource is null ? type.Plural : type.Plural + "/" + request.Subresource;
        return new RbacCall(request.Verb, type.Group, resource, request.Namespace, request.Name);
    }

    /// <summary>The calls of <paramref name="requests"/>, discovery left out.</summary>
    public static IReadOnlyList<RbacCall> Of(IEnumerable<FakeRequest> requests) => [.. requests.Select(Of).OfType<RbacCall>()];

    /// <summary>The verb and resource only: <c>get /secrets</c>, <c>patch networking.k8s.io/ingresses/status</c>.</summary>
    public string Permission => $"{Verb} {ApiGroup}/{Resource}";

    /// <inheritdoc />
    public override string ToString() => Permission + (Namespace is null ? "" : $" in {Namespace}") + (Name is null ? "" : $" name {Name}");
}

/// <summary>
/// One permission a subject holds: a verb on a resource of an API group, in every namespace (<see cref="Namespace"/>
/// null: a ClusterRoleBinding) or one (a RoleBinding), on every object or one (<c>resourceNames</c>).
/// </summary>
public sealed record RbacGrant(string Verb, string ApiGroup, string Resource, string? Namespace, string? Name)
{
    /// <summary>The verb and resource only, as <see cref="RbacCall.Permission"/>.</summary>
    public string Permission => $"{Verb} {ApiGroup}/{Resource}";

    /// <summary>Whether this grant lets <paramref name="call"/> through (RBAC: a named grant never allows a collection call).</summary>
    public bool Allows(RbacCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        return Verb == call.Verb && ApiGroup == call.ApiGroup && Resource == call.Resource
            && (Namespace is null || Namespace == call.Namespace)
            && (Name is null || Name == call.Name);
    }

    /// <inheritdoc />
    public override string ToString() => Permission + (Namespace is null ? "" : $" in {Namespace}") + (Name is null ? "" : $" name {Name}");

    /// <summary>
    /// Every grant the RBAC objects of <paramref name="manifests"/> give the subject (<c>Group</c>,
    /// <c>ServiceAccount</c> or <c>User</c> named <paramref name="name"/>, a service account in
    /// <paramref name="serviceAccountNamespace"/>): ClusterRoleBindings give their ClusterRole's rules in every
    /// namespace, RoleBindings give their Role's (or ClusterRole's) rules in their own namespace. A binding to a role
    /// the manifests do not hold, or a wildcard, throws: the grants could not be known exactly.
    /// </summary>
    public static IReadOnlyList<RbacGrant> Of(IEnumerable<object> manifests, string kind, string name, string? serviceAccountNamespace = null)
    {
        ArgumentNullException.ThrowIfNull(manifests);
        var objects = manifests.ToList();
        var clusterRoles = objects.OfType<V1ClusterRole>().ToDictionary(static r => r.Metadata.Name, StringComparer.Ordinal);
        var roles = objects.OfType<V1Role>().ToDictionary(static r => r.Metadata.NamespaceProperty + "/" + r.Metadata.Name, StringComparer.Ordinal);
        bool Binds(IList<Rbacv1Subject>? subjects) => subjects?.Any(s =>
            s.Kind == kind && s.Name == name && (kind != "ServiceAccount" || s.NamespaceProperty == serviceAccountNamespace)) == true;

        var grants = new List<RbacGrant>();
        foreach (var binding in objects.OfType<V1ClusterRoleBinding>().Where(b => Binds(b.Subjects)))
        {
            if (binding.RoleRef.Kind != "ClusterRole" || !clusterRoles.TryGetValue(binding.RoleRef.Name, out var role))
                throw new InvalidOperationException($"ClusterRoleBinding {binding.Metadata.Name}: {binding.RoleRef.Kind} {binding.RoleRef.Name} is not in the manifests");
            grants.AddRange(Expand(role.Rules, null, "ClusterRole " + role.Metadata.Name));
        }
        foreach (var binding in objects.OfType<V1RoleBinding>().Where(b => Binds(b.Subjects)))
        {
            var ns = binding.Metadata.NamespaceProperty ?? throw new InvalidOperationException($"RoleBinding {binding.Metadata.Name} has no namespace");
            var rules = binding.RoleRef.Kind switch
            {
                "Role" when roles.TryGetValue(ns + "/" + binding.RoleRef.Name, out var role) => role.Rules,
                "ClusterRole" when clusterRoles.TryGetValue(binding.RoleRef.Name, out var role) => role.Rules,
                _ => throw new InvalidOperationException($"RoleBinding {ns}/{binding.Metadata.Name}: {binding.RoleRef.Kind} {binding.RoleRef.Name} is not in the manifests"),
            };
            grants.AddRange(Expand(rules, ns, $"RoleBinding {ns}/{binding.Metadata.Name}"));
        }
        return [.. grants.Distinct()];
    }

    /// <summary>
    /// The calls no grant allows, and the grants no call used: both empty when the manifests give exactly what the
    /// calls need.
    /// </summary>
    public static (IReadOnlyList<RbacCall> Denied, IReadOnlyList<RbacGrant> Unused) Compare(IReadOnlyList<RbacGrant> grants, IEnumerable<RbacCall> calls)
    {
        ArgumentNullException.ThrowIfNull(grants);
        ArgumentNullException.ThrowIfNull(calls);
        var distinct = calls.Distinct().ToList();
        return (
            [.. distinct.Where(c => !grants.Any(g => g.Allows(c))).OrderBy(static c => c.ToString(), StringComparer.Ordinal)],
            [.. grants.Where(g => !distinct.Any(g.Allows)).OrderBy(static g => g.ToString(), StringComparer.Ordinal)]);
    }

    private static IEnumerable<RbacGrant> Expand(IList<V1PolicyRule>? rules, string? ns, string source)
    {
        foreach (var rule in rules ?? [])
        {
            if (rule.NonResourceURLs is { Count: > 0 })
                throw new InvalidOperationException($"{source}: nonResourceURLs are not expected");
            var all = (rule.ApiGroups ?? []).Concat(rule.Resources ?? []).Concat(rule.Verbs ?? []).Concat(rule.ResourceNames ?? []);
            if (all.Any(static v => v.Contains('*', StringComparison.Ordinal)))
                throw new InvalidOperationException($"{source}: a wildcard grants more than any test can enumerate");
            foreach (var group in rule.ApiGroups ?? [])
            {
                foreach (var resource in rule.Resources ?? [])
                {
                    foreach (var verb in rule.Verbs ?? [])
                    {
                        if (rule.ResourceNames is { Count: > 0 } names)
                        {
                            foreach (var name in names)
                                yield return new RbacGrant(verb, group, resource, ns, name);
                        }
                        else
                        {
                            yield return new RbacGrant(verb, group, resource, ns, null);
                        }
                    }
                }
            }
        }
    }
}
