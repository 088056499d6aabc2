using System.Globalization;
using k8s.Models;

namespace Serverless.Service;

/// <summary>
/// The <c>service.beta.kubernetes.io/aws-load-balancer-*</c> annotations on a Service that will not do what their author
/// expects: keys upstream never reads (typos, or the in-tree cloud provider's keys such as
/// <c>aws-load-balancer-connection-idle-timeout</c>), with the nearest key upstream reads; and the weighted forward
/// actions (<c>actions.&lt;PROTO&gt;-&lt;port&gt;</c>), read by upstream but not applied here. Upstream ignores all of
/// them without a word.
/// </summary>
public static class ServiceAnnotationWarnings
{
    private const string AwsPrefix = ServiceAnnotations.Prefix + "aws-load-balancer-";

    /// <summary>One line per annotation, sorted by key.</summary>
    public static IReadOnlyList<string> Of(V1Service service)
    {
        ArgumentNullException.ThrowIfNull(service);
        var warnings = new List<string>();
        foreach (var key in (service.Metadata?.Annotations?.Keys ?? []).Where(static k => k is not null).Order(StringComparer.Ordinal))
        {
            if (!key.StartsWith(ServiceAnnotations.Prefix, StringComparison.Ordinal))
                continue;
            var suffix = key[ServiceAnnotations.Prefix.Length..];
            if (suffix.StartsWith(ServiceAnnotations.ActionsPrefix, StringComparison.Ordinal))
            {
                warnings.Add($"annotation {key} (weighted forward to several target groups) is not applied by this controller yet: each listener forwards to this Service's own target group only");
                continue;
            }
            if (!key.StartsWith(AwsPrefix, StringComparison.Ordinal) || IsKnown(suffix))
                continue;
            var near = Suggest(suffix);
            warnings.Add(near is null
                ? $"annotation {key} is not read by the AWS Load Balancer Controller and is ignored"
                : $"annotation {key} is not read by the AWS Load Balancer Controller and is ignored (did you mean {ServiceAnnotations.Prefix}{near}?)");
        }
        return warnings;
    }

    private static bool IsKnown(string suffix)
    {
        if (ServiceAnnotations.Known.Contains(suffix, StringComparer.Ordinal))
            return true;
        if (suffix.StartsWith(ServiceAnnotations.ListenerAttributesPrefix, StringComparison.Ordinal) && suffix.Length > ServiceAnnotations.ListenerAttributesPrefix.Length)
            return true;
        var perPort = ServiceAnnotations.TargetGroupAttributes + ".";
        return suffix.StartsWith(perPort, StringComparison.Ordinal)
            && int.TryParse(suffix[perPort.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out _);
    }

    /// <summary>The known key nearest to <paramref name="suffix"/> (edit distance at most a third of its length, at most 4), or null.</summary>
    internal static string? Suggest(string suffix)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in ServiceAnnotations.Known.Order(StringComparer.Ordinal))
        {
            var distance = Serverless.Ingress.EditDistance.Between(suffix, candidate);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return bestDistance <= Math.Min(4, Math.Max(1, suffix.Length / 3)) ? best : null;
    }
}
