using k8s.Models;
using Serverless.Ingress;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Manifests;
using Serverless.Model;

namespace Serverless.Kubernetes.Live;

/// <summary>
/// Which groups an event on a Service, Secret or Node must reconcile: built by asking the builder what each group
/// reads (<see cref="GroupReferences"/>), so it follows the builder exactly (backends, <c>actions.*</c> forwards,
/// auth annotations, target types). Node events matter to every group with instance targets.
/// </summary>
public sealed class GroupIndex
{
    private static readonly IReadOnlyList<StackId> None = [];

    private readonly Dictionary<string, List<StackId>> _byService;
    private readonly Dictionary<string, List<StackId>> _bySecret;
    private readonly Dictionary<string, List<StackId>> _byEndpointSlicesOf;

    private GroupIndex(
        IReadOnlyList<StackId> groups,
        Dictionary<string, List<StackId>> byService,
        Dictionary<string, List<StackId>> bySecret,
        Dictionary<string, List<StackId>> byEndpointSlicesOf,
        IReadOnlyList<StackId> instanceGroups)
    {
        Groups = groups;
        _byService = byService;
        _bySecret = bySecret;
        _byEndpointSlicesOf = byEndpointSlicesOf;
        InstanceTargetGroups = instanceGroups;
    }

    /// <summary>Every Service the index was built from (a live index: every Service of the cluster).</summary>
    public IReadOnlyList<V1Service> Services => _everything?.Services ?? [];

    /// <summary>Every group: each Ingress's current group and the groups its finalizers still hold, ordered by key.</summary>
    public IReadOnlyList<StackId> Groups { get; }

    /// <summary>Objects the API returned but the loader could not read (the index may miss groups because of them).</summary>
    public IReadOnlyList<ManifestError> Problems { get; private init; } = [];

    private GroupSnapshot? _everything;

    /// <summary>
    /// Why the class configuration recorded on a stack (<see cref="IngressClassRecord"/>) no longer selects this
    /// controller in this cluster, or null when it still does.
    /// </summary>
    public string? ClassProblem(string? record) =>
        _everything is { } all ? IngressClassRecord.Problem(record, all.IngressClasses, all.IngressClassParams, all.Cluster) : "the IngressClasses were not read";

    /// <summary>The groups with instance targets (they read the Nodes).</summary>
    public IReadOnlyList<StackId> InstanceTargetGroups { get; }

    /// <summary>Service <c>namespace/name</c> to the groups that reference it.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<StackId>> ServiceGroups =>
        _byService.ToDictionary(static p => p.Key, static p => (IReadOnlyList<StackId>)p.Value, StringComparer.Ordinal);

    /// <summary>The groups referencing Service <paramref name="ns"/>/<paramref name="name"/>.</summary>
    public IReadOnlyList<StackId> ForService(string ns, string name) => _byService.GetValueOrDefault($"{ns}/{name}") ?? None;

    /// <summary>The groups whose ip targets come from the EndpointSlices of Service <paramref name="ns"/>/<paramref name="serviceName"/>.</summary>
    public IReadOnlyList<StackId> ForEndpointSlicesOf(string ns, string serviceName) => _byEndpointSlicesOf.GetValueOrDefault($"{ns}/{serviceName}") ?? None;

    /// <summary>The groups using Secret <paramref name="ns"/>/<paramref name="name"/> (OIDC).</summary>
    public IReadOnlyList<StackId> ForSecret(string ns, string name) => _bySecret.GetValueOrDefault($"{ns}/{name}") ?? None;

    /// <summary>The groups a change to Node <paramref name="name"/> may affect: every group with instance targets (eligibility and readiness decide, per node).</summary>
    public IReadOnlyList<StackId> ForNode(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return InstanceTargetGroups;
    }

    /// <summary>
    /// The index over <paramref name="everything"/>: a snapshot holding every Ingress, class, Service and Node of the
    /// cluster (its <see cref="GroupSnapshot.Group"/> is ignored). Pure.
    /// </summary>
    public static GroupIndex Build(GroupSnapshot everything)
    {
        ArgumentNullException.ThrowIfNull(everything);
        var groups = new SortedDictionary<string, StackId>(StringComparer.Ordinal);
        foreach (var ingress in everything.Ingresses)
        {
            foreach (var group in GroupKeys.ToReconcile(ingress, everything.IngressClasses, everything.IngressClassParams, everything.Namespaces, everything.Cluster))
                groups.TryAdd(group.ToString(), group);
        }
        var byService = new Dictionary<string, List<StackId>>(StringComparer.Ordinal);
        var bySecret = new Dictionary<string, List<StackId>>(StringComparer.Ordinal);
        var bySlices = new Dictionary<string, List<StackId>>(StringComparer.Ordinal);
        var instance = new List<StackId>();
        foreach (var group in groups.Values)
        {
            var references = new GroupReferences();
            IngressGroupModelBuilder.Build(everything with { Group = group }, references);
            Add(byService, references.Services, group);
            Add(bySecret, references.Secrets, group);
            Add(bySlices, references.EndpointSlicesOf, group);
            if (references.Nodes)
                instance.Add(group);
        }
        return new GroupIndex([.. groups.Values], byService, bySecret, bySlices, instance) { _everything = everything };
    }

    /// <summary>
    /// The index of a live cluster: every Ingress, IngressClass, IngressClassParams (Namespaces when a selector needs
    /// them), Service and Node, one list each, then a get of each Secret the builds name (a member whose OIDC Secret
    /// is missing stops before its targets, so the index is built again with them). EndpointSlices are not read: the
    /// builder names them without their contents.
    /// </summary>
    public static async Task<GroupIndex> LoadAsync(IKubernetesApi api, ClusterSettings cluster, AwsFacts? aws = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(cluster);
        var set = await new KubernetesGroupLoader(api, cluster).LoadClassesAndIngressesAsync(cancellationToken).ConfigureAwait(false);
        var services = api.ListServicesAsync(cancellationToken);
        var nodes = api.ListNodesAsync(cancellationToken);
        set.ServiceList.AddRange(await services.ConfigureAwait(false));
        set.NodeList.AddRange(await nodes.ConfigureAwait(false));
        var fetched = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var index = Build(set.ToSnapshot(StackId.Explicit("-"), cluster, aws ?? new AwsFacts()));
            var secrets = index._bySecret.Keys.Where(fetched.Add).ToList();
            if (secrets.Count == 0)
                return new GroupIndex(index.Groups, index._byService, index._bySecret, index._byEndpointSlicesOf, index.InstanceTargetGroups) { _everything = index._everything, Problems = set.Errors };
            await KubernetesGroupLoader.ReadSecretsAsync(api, secrets, set, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void Add(Dictionary<string, List<StackId>> index, IEnumerable<string> keys, StackId group)
    {
        foreach (var key in keys)
        {
            if (!index.TryGetValue(key, out var list))
                index[key] = list = [];
            list.Add(group);
        }
    }
}
