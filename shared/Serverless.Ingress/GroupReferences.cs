namespace Serverless.Ingress;

/// <summary>
/// What a build of one group looked up beyond its Ingresses and classes: the Services, EndpointSlices (by Service),
/// Secrets and Nodes its members use. Recorded by the builder itself (<see cref="IngressGroupModelBuilder.Build(GroupSnapshot, GroupReferences)"/>),
/// so a loader fetches exactly what the build reads, without a second reading of the annotations.
/// </summary>
/// <remarks>
/// A lookup of a missing object is recorded too: that is how a loader learns which Service to get. A build that
/// fails early (a member frozen before its backends are read) records less; once the loader supplies what was
/// asked, a new build may ask for more, so loaders repeat until nothing new is asked.
/// </remarks>
public sealed class GroupReferences
{
    private readonly SortedSet<string> _services = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _endpointSlices = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _secrets = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _pods = new(StringComparer.Ordinal);

    /// <summary>Services looked up, as <c>namespace/name</c>.</summary>
    public IReadOnlySet<string> Services => _services;

    /// <summary>Services whose EndpointSlices were read (ip targets), as <c>namespace/name</c>.</summary>
    public IReadOnlySet<string> EndpointSlicesOf => _endpointSlices;

    /// <summary>Secrets looked up (OIDC <c>secretName</c>), as <c>namespace/name</c>.</summary>
    public IReadOnlySet<string> Secrets => _secrets;

    /// <summary>Pods looked up (those of not-ready endpoints, which a readiness gate may hold back), as <c>namespace/name</c>.</summary>
    public IReadOnlySet<string> Pods => _pods;

    /// <summary>True when the Nodes were read (instance targets).</summary>
    public bool Nodes { get; private set; }

    internal void Service(string key) => _services.Add(key);

    internal void EndpointSlices(string key) => _endpointSlices.Add(key);

    internal void Secret(string key) => _secrets.Add(key);

    internal void Pod(string key) => _pods.Add(key);

    internal void ReadNodes() => Nodes = true;
}
