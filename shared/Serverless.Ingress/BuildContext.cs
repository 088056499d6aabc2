using k8s.Models;
using Serverless.Model;

namespace Serverless.Ingress;

/// <summary>
/// An active member of the group being built: its Ingress, position, class parameters and annotation reader.
/// </summary>
/// <param name="Ingress">The Ingress.</param>
/// <param name="Order">Its <c>group.order</c> (default 0, range [-1000, 1000]).</param>
/// <param name="Params">The IngressClassParams of its class, when it has one.</param>
/// <param name="Annotations">Its ALB annotations, errors naming <c>Ingress ns/name</c>.</param>
public sealed record GroupMember(V1Ingress Ingress, int Order, IngressClassParams? Params, AnnotationReader Annotations)
{
    /// <summary><c>namespace/name</c>.</summary>
    public string Key => $"{Ingress.Metadata.NamespaceProperty}/{Ingress.Metadata.Name}";

    /// <summary>Namespace.</summary>
    public string Namespace => Ingress.Metadata.NamespaceProperty;

    /// <summary>Name.</summary>
    public string Name => Ingress.Metadata.Name;

    /// <summary><c>Ingress namespace/name</c>, the object named in errors.</summary>
    public string Description => "Ingress " + Key;
}

/// <summary>
/// Lookups over a <see cref="GroupSnapshot"/> shared by every part of a build, plus the tagging rules. Built once
/// per build; pure.
/// </summary>
public sealed class BuildContext
{
    private readonly Dictionary<string, V1Service> _services;
    private readonly ILookup<string, V1EndpointSlice> _slicesByService;
    private readonly Dictionary<string, V1Secret> _secrets;
    private readonly Dictionary<string, V1Pod> _pods;

    private readonly GroupReferences? _references;

    /// <summary>Indexes <paramref name="snapshot"/>.</summary>
    public BuildContext(GroupSnapshot snapshot)
        : this(snapshot, null)
    {
    }

    /// <summary>Indexes <paramref name="snapshot"/>; every lookup is recorded in <paramref name="references"/> when given.</summary>
    public BuildContext(GroupSnapshot snapshot, GroupReferences? references)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Snapshot = snapshot;
        _references = references;
        _services = snapshot.Services
            .GroupBy(static s => $"{s.Metadata.NamespaceProperty}/{s.Metadata.Name}", StringComparer.Ordinal)
            .ToDictionary(static g => g.Key, static g => g.First(), StringComparer.Ordinal);
        _slicesByService = snapshot.EndpointSlices.ToLookup(
            static s => $"{s.Metadata.NamespaceProperty}/{(s.Metadata.Labels?.TryGetValue("kubernetes.io/service-name", out var n) == true ? n : string.Empty)}",
            StringComparer.Ordinal);
        _secrets = snapshot.Secrets
            .GroupBy(static s => $"{s.Metadata.NamespaceProperty}/{s.Metadata.Name}", StringComparer.Ordinal)
            .ToDictionary(static g => g.Key, static g => g.First(), StringComparer.Ordinal);
        _pods = snapshot.Pods
            .Where(static p => p?.Metadata is not null)
            .GroupBy(static p => $"{p.Metadata.NamespaceProperty}/{p.Metadata.Name}", StringComparer.Ordinal)
            .ToDictionary(static g => g.Key, static g => g.First(), StringComparer.Ordinal);
    }

    /// <summary>The snapshot.</summary>
    public GroupSnapshot Snapshot { get; }

    /// <summary>The cluster settings.</summary>
    public ClusterSettings Cluster => Snapshot.Cluster;

    /// <summary>The stack being built.</summary>
    public StackId Stack => Snapshot.Group;

    /// <summary>A Service by namespace and name, or null.</summary>
    public V1Service? Service(string ns, string name)
    {
        var key = $"{ns}/{name}";
        _references?.Service(key);
        return _services.GetValueOrDefault(key);
    }

    /// <summary>The EndpointSlices of a Service (possibly none).</summary>
    public IEnumerable<V1EndpointSlice> EndpointSlices(string ns, string serviceName)
    {
        var key = $"{ns}/{serviceName}";
        _references?.EndpointSlices(key);
        return _slicesByService[key];
    }

    /// <summary>A Secret by namespace and name, or null.</summary>
    public V1Secret? Secret(string ns, string name)
    {
        var key = $"{ns}/{name}";
        _references?.Secret(key);
        return _secrets.GetValueOrDefault(key);
    }

    /// <summary>A Pod by namespace and name, or null (only the Pods of not-ready endpoints are ever in a snapshot).</summary>
    public V1Pod? Pod(string ns, string name)
    {
        var key = $"{ns}/{name}";
        _references?.Pod(key);
        return _pods.GetValueOrDefault(key);
    }

    /// <summary>True when the API server refused to show Secret <paramref name="ns"/>/<paramref name="name"/> (see <see cref="GroupSnapshot.ForbiddenSecrets"/>).</summary>
    public bool IsSecretForbidden(string ns, string name) => Snapshot.ForbiddenSecrets.Contains($"{ns}/{name}");

    /// <summary>Every Node (instance targets).</summary>
    public IReadOnlyList<V1Node> Nodes
    {
        get
        {
            _references?.ReadNodes();
            return Snapshot.Nodes;
        }
    }

    /// <summary>
    /// The tags of a stack resource: <c>--default-tags</c> win over <paramref name="userTags"/> (upstream's
    /// precedence), and the tracking tags win over both.
    /// </summary>
    public SortedDictionary<string, string> Tags(string resourceId, IReadOnlyDictionary<string, string>? userTags = null, string? owner = null)
    {
        var tags = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in userTags ?? new Dictionary<string, string>())
            tags[key] = value;
        foreach (var (key, value) in Cluster.DefaultTags)
            tags[key] = value;
        foreach (var (key, value) in TrackingTags.For(Cluster.ClusterName, Stack, resourceId))
            tags[key] = value;
        if (owner is not null)
            tags[TrackingTags.OwnerIngress] = owner;
        return tags;
    }
}

/// <summary>A listener as the back half of the build sees it: the port a member's rules attach to, and its protocol.</summary>
public sealed record ListenerPort(int Port, string Protocol);

/// <summary>
/// One rule before priorities are assigned: what one Ingress path (or default backend) produces on one listener.
/// </summary>
/// <param name="Conditions">Conditions.</param>
/// <param name="Actions">Actions (authentication first on HTTPS, routing last).</param>
/// <param name="Transforms">Transforms.</param>
/// <param name="Owner">The Ingress (<c>namespace/name</c>) whose path produced it.</param>
public sealed record RuleDraft(
    IReadOnlyList<ConditionSpec> Conditions,
    IReadOnlyList<ActionSpec> Actions,
    IReadOnlyList<TransformSpec> Transforms,
    string Owner);

/// <summary>What the back half of the build produces for one valid member.</summary>
public sealed record MemberRules
{
    /// <summary>Rule drafts per listener port, in the member's order (paths sorted as upstream sorts them).</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<RuleDraft>> RulesByPort { get; init; } = new Dictionary<int, IReadOnlyList<RuleDraft>>();

    /// <summary>The actions of <c>spec.defaultBackend</c> per port, when the member has one.</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<ActionSpec>> DefaultActionsByPort { get; init; } = new Dictionary<int, IReadOnlyList<ActionSpec>>();

    /// <summary>The member's target groups (deduplicated by ID).</summary>
    public IReadOnlyList<TargetGroupSpec> TargetGroups { get; init; } = [];

    /// <summary>The targets of those target groups.</summary>
    public IReadOnlyList<TargetSetSpec> TargetSets { get; init; } = [];

    /// <summary>The ports on nodes/pods the backend SG must reach (target ports, and health-check ports that are not the traffic port).</summary>
    public IReadOnlyList<int> TargetPorts { get; init; } = [];
}
