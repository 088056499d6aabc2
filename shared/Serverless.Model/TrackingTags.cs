namespace Serverless.Model;

// Moved here from Serverless.Ingress so the deployer can recognise what we own without depending on the builder.
// Same namespace as every other model type: code that imports Serverless.Model (the builder does) keeps compiling.

/// <summary>The tags that mark what we own, as upstream writes them.</summary>
public static class TrackingTags
{
    /// <summary><c>elbv2.k8s.aws/cluster</c>: the cluster name, on every resource.</summary>
    public const string Cluster = "elbv2.k8s.aws/cluster";

    /// <summary><c>ingress.k8s.aws/stack</c>: the group ID, on every resource of the stack.</summary>
    public const string Stack = "ingress.k8s.aws/stack";

    /// <summary><c>ingress.k8s.aws/resource</c>: the resource ID within the stack.</summary>
    public const string Resource = "ingress.k8s.aws/resource";

    /// <summary><c>service.k8s.aws/stack</c>: the Service (<c>namespace/name</c>), on every resource of a Service stack.</summary>
    public const string ServiceStack = "service.k8s.aws/stack";

    /// <summary><c>service.k8s.aws/resource</c>: the resource ID within a Service stack.</summary>
    public const string ServiceResource = "service.k8s.aws/resource";

    /// <summary>The stack tag key of <paramref name="stack"/>'s kind.</summary>
    public static string StackKey(StackId stack) =>
        (stack ?? throw new ArgumentNullException(nameof(stack))).IsService ? ServiceStack : Stack;

    /// <summary>The resource tag key of <paramref name="stack"/>'s kind.</summary>
    public static string ResourceKey(StackId stack) =>
        (stack ?? throw new ArgumentNullException(nameof(stack))).IsService ? ServiceResource : Resource;

    /// <summary>The resource ID in <paramref name="tags"/>, under either kind's key.</summary>
    public static string? ResourceIdOf(IReadOnlyDictionary<string, string> tags) =>
        (tags ?? throw new ArgumentNullException(nameof(tags))).GetValueOrDefault(Resource) ?? tags.GetValueOrDefault(ServiceResource);

    /// <summary><c>elbv2.k8s.aws/resource</c>: <c>backend-sg</c> on the shared backend SG.</summary>
    public const string BackendResource = "elbv2.k8s.aws/resource";

    /// <summary>
    /// Ours, not upstream's: the Ingress (<c>namespace/name</c>) that owns a listener rule or target group, so the
    /// rules and target groups of an invalid member can be kept untouched. Unknown to upstream, harmless to it.
    /// </summary>
    public const string OwnerIngress = "serverless.elbv2.k8s.aws/ingress";

    /// <summary>Tag keys that are never reconciled (upstream's legacy keys and AWS's own).</summary>
    public static bool IsIgnored(string key) =>
        key.StartsWith("aws:", StringComparison.Ordinal)
        || key.StartsWith("kubernetes.io/cluster/", StringComparison.Ordinal)
        || key is "kubernetes.io/cluster-name" or "kubernetes.io/namespace" or "kubernetes.io/ingress-name"
            or "kubernetes.io/service-name" or "kubernetes.io/service-port" or "ingress.k8s.aws/cluster";

    /// <summary>The tracking tags of a stack resource.</summary>
    public static SortedDictionary<string, string> For(string clusterName, StackId stack, string resourceId) =>
        new(StringComparer.Ordinal)
        {
            [Cluster] = clusterName,
            [StackKey(stack)] = stack.ToString(),
            [ResourceKey(stack)] = resourceId,
        };

    /// <summary>
    /// The description of the node security group rules from the shared backend SG (upstream's value): shared by every
    /// stack of the cluster, so a stack only adds them, and the replay's cluster-wide sweep revokes the unneeded.
    /// </summary>
    public const string SharedNodeRuleDescription = "elbv2.k8s.aws/targetGroupBinding=shared";
}
