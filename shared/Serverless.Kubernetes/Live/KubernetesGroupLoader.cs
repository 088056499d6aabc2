using Serverless.Ingress;
using Serverless.Kubernetes.Api;
using Serverless.Kubernetes.Gates;
using Serverless.Kubernetes.Manifests;
using Serverless.Model;

namespace Serverless.Kubernetes.Live;

/// <summary>
/// Completes a group's snapshot once its Ingresses, classes and Nodes are known: the AWS facts, and which leaving
/// members are held (injected: the AWS side lives elsewhere). Called exactly once per load.
/// </summary>
public delegate Task<GroupSnapshot> SnapshotPreparation(GroupSnapshot snapshot, CancellationToken cancellationToken);

/// <summary>A group loaded from the API server: its snapshot, the stack built from it, and problems with objects that were left out.</summary>
/// <param name="Snapshot">The input of the builder, as <see cref="ManifestSet.ToSnapshot"/> makes it, completed by the preparation.</param>
/// <param name="Stack">The stack built from <paramref name="Snapshot"/> (the last round's build: nothing more was asked).</param>
/// <param name="Problems">Objects the API returned but the loader could not read (e.g. an IngressClassParams the CRD schema let through), each located.</param>
/// <param name="Rounds">How many times the builder was asked what it reads (see <see cref="KubernetesGroupLoader"/>).</param>
public sealed record LoadedGroup(GroupSnapshot Snapshot, Stack Stack, IReadOnlyList<ManifestError> Problems, int Rounds);

/// <summary>
/// Loads one group from a live API server into the same <see cref="GroupSnapshot"/> the manifest loader makes (the
/// objects go into a <see cref="ManifestSet"/>, IngressClassParams through the manifest parser, then
/// <see cref="ManifestSet.ToSnapshot"/>), with as few calls as the group allows.
/// </summary>
/// <remarks>
/// <para>
/// Always: one list of Ingresses in all namespaces (membership needs every Ingress: members, and Ingresses still
/// holding this group's finalizer), one list of IngressClasses, one list of IngressClassParams (404 when the CRD is
/// absent: none), and Namespaces only when an IngressClassParams has a <c>namespaceSelector</c> (its labels decide
/// membership; one list beats a get per namespace).
/// </para>
/// <para>
/// Nodes: one list, up front, so the snapshot's preparation (the AWS facts, which include the nodes' security groups)
/// runs once with everything it depends on. Then the builder itself says what else it reads
/// (<see cref="GroupReferences"/>): the loader builds, fetches what was asked and not yet fetched, and builds again
/// until nothing new is asked (usually three builds, which cost no call); the last build is the stack. Services: one
/// get each. EndpointSlices (only Services of ip targets): one list per namespace with a set selector
/// <c>kubernetes.io/service-name in (a,b,…)</c>, so neither one call per Service nor every slice of the namespace.
/// Secrets (OIDC <c>secretName</c>): one get each (a 403 freezes the member using it, see <see cref="GroupSnapshot.ForbiddenSecrets"/>).
/// Pods: one get each, only those of not-ready endpoints of ip target groups (a readiness gate may hold them back; see
/// <see cref="GroupSnapshot.Pods"/>), so a group whose endpoints are all ready reads no Pod.
/// </para>
/// </remarks>
public sealed class KubernetesGroupLoader
{
    /// <summary>The label tying an EndpointSlice to its Service.</summary>
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    private const int MaxRounds = 8;

    private readonly IKubernetesApi _api;
    private readonly ClusterSettings _cluster;

    public KubernetesGroupLoader(IKubernetesApi api, ClusterSettings cluster)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(cluster);
        _api = api;
        _cluster = cluster;
    }

    /// <summary>
    /// Loads <paramref name="group"/>. <paramref name="prepare"/> (default: no AWS facts, nothing held) is called once,
    /// with the Ingresses, classes and Nodes, before the first build; every build uses what it returned.
    /// </summary>
    public async Task<LoadedGroup> LoadAsync(StackId group, SnapshotPreparation? prepare = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(group);
        var set = await LoadClassesAndIngressesAsync(cancellationToken).ConfigureAwait(false);
        // Nodes up front (one list), so the preparation sees them and the AWS facts (node security groups) are read once.
        set.NodeList.AddRange(await _api.ListNodesAsync(cancellationToken).ConfigureAwait(false));
        var prepared = set.ToSnapshot(group, _cluster, new AwsFacts());
        if (prepare is not null)
            prepared = await prepare(prepared, cancellationToken).ConfigureAwait(false);
        var fetchedServices = new HashSet<string>(StringComparer.Ordinal);
        var fetchedSlices = new HashSet<string>(StringComparer.Ordinal);
        var fetchedSecrets = new HashSet<string>(StringComparer.Ordinal);
        var fetchedPods = new HashSet<string>(StringComparer.Ordinal);
        var rounds = 0;
        while (true)
        {
            rounds++;
            var snapshot = set.ToSnapshot(group, _cluster, prepared.Aws) with { HeldLeavers = prepared.HeldLeavers };
            var references = new GroupReferences();
            var stack = IngressGroupModelBuilder.Build(snapshot, references);

            var services = references.Services.Where(fetchedServices.Add).ToList();
            var slices = references.EndpointSlicesOf.Where(fetchedSlices.Add).ToList();
            var secrets = references.Secrets.Where(fetchedSecrets.Add).ToList();
            var pods = references.Pods.Where(fetchedPods.Add).ToList();
            if ((services.Count == 0 && slices.Count == 0 && secrets.Count == 0 && pods.Count == 0) || rounds == MaxRounds)
                return new LoadedGroup(snapshot, stack, set.Errors, rounds);

            foreach (var service in await GetAllAsync(services, _api.GetServiceAsync, cancellationToken).ConfigureAwait(false))
                set.ServiceList.Add(service);
            set.PodList.AddRange(await GatedPodReader.GetAsync(_api, pods.Select(Split), cancellationToken).ConfigureAwait(false));
            await ReadSecretsAsync(_api, secrets, set, cancellationToken).ConfigureAwait(false);
            foreach (var byNamespace in slices.Select(Split).GroupBy(static k => k.Namespace, StringComparer.Ordinal))
            {
                var names = byNamespace.Select(static k => k.Name).Order(StringComparer.Ordinal).ToList();
                var selector = names.Count == 1 ? $"{ServiceNameLabel}={names[0]}" : $"{ServiceNameLabel} in ({string.Join(',', names)})";
                set.EndpointSliceList.AddRange(await _api.ListEndpointSlicesAsync(byNamespace.Key, selector, cancellationToken).ConfigureAwait(false));
            }
        }
    }

    /// <summary>
    /// The objects every group load starts from: every Ingress, IngressClass and IngressClassParams, and the
    /// Namespaces when a <c>namespaceSelector</c> needs their labels. Exposed for <see cref="GroupIndex"/>.
    /// </summary>
    internal async Task<ManifestSet> LoadClassesAndIngressesAsync(CancellationToken cancellationToken)
    {
        var set = new ManifestSet();
        var ingresses = _api.ListIngressesAsync(cancellationToken);
        var classes = _api.ListIngressClassesAsync(cancellationToken);
        var parameters = _api.ListIngressClassParamsJsonAsync(cancellationToken);
        set.IngressList.AddRange(await ingresses.ConfigureAwait(false));
        set.IngressClassList.AddRange(await classes.ConfigureAwait(false));
        ManifestLoader.LoadIngressClassParamsJson(set, await parameters.ConfigureAwait(false), "IngressClassParams from the API server");
        if (set.IngressClassParamsList.Any(static p => p.NamespaceSelector is not null))
            set.NamespaceList.AddRange(await _api.ListNamespacesAsync(cancellationToken).ConfigureAwait(false));
        return set;
    }

    /// <summary>
    /// Gets each Secret of <paramref name="keys"/> (<c>namespace/name</c>) into <paramref name="set"/>: one GET of that
    /// Secret, never a list (the controller's identity may read only the Secrets it is granted, per namespace). A 403 is
    /// recorded as forbidden (the member using it is frozen with the missing permission); a 404 leaves it absent.
    /// </summary>
    internal static async Task ReadSecretsAsync(IKubernetesApi api, IReadOnlyList<string> keys, ManifestSet set, CancellationToken cancellationToken)
    {
        var read = await Task.WhenAll(keys.Select(async key =>
        {
            var (ns, name) = Split(key);
            try
            {
                return (Key: key, Secret: await api.GetSecretAsync(ns, name, cancellationToken).ConfigureAwait(false), Forbidden: false);
            }
            catch (KubernetesApiException ex) when (ex.IsForbidden)
            {
                return (Key: key, Secret: (k8s.Models.V1Secret?)null, Forbidden: true);
            }
        })).ConfigureAwait(false);
        foreach (var (key, secret, forbidden) in read)
        {
            if (secret is not null)
                set.SecretList.Add(secret);
            if (forbidden)
                set.ForbiddenSecretSet.Add(key);
        }
    }

    private static async Task<IReadOnlyList<T>> GetAllAsync<T>(
        IReadOnlyList<string> keys,
        Func<string, string, CancellationToken, Task<T?>> get,
        CancellationToken cancellationToken)
        where T : class
    {
        var found = await Task.WhenAll(keys.Select(Split).Select(k => get(k.Namespace, k.Name, cancellationToken))).ConfigureAwait(false);
        return [.. found.OfType<T>()];
    }

    private static (string Namespace, string Name) Split(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return (key[..slash], key[(slash + 1)..]);
    }
}
