using k8s.Models;
using Serverless.Aws.Ec2;
using Serverless.Ingress.Backend;
using Serverless.Kubernetes.Bindings;
using Serverless.Model;

namespace Serverless.Bindings;

/// <summary>
/// The security group rules of <c>spec.networking</c> (pure): one rule per <c>from</c> peer and port, described
/// <see cref="Description"/> (upstream's label, so rules upstream added are adopted). A port without a number opens
/// every port of its protocol; a named port is the port of the binding's targets (ip targets serve the Service port's
/// container port).
/// </summary>
public static class BindingSecurityRules
{
    /// <summary>The description of every rule a binding adds.</summary>
    public const string Description = TrackingTags.SharedNodeRuleDescription;

    /// <summary>The rules <paramref name="binding"/> declares for targets on <paramref name="targetPorts"/>.</summary>
    public static IReadOnlyList<IngressRule> Rules(TargetGroupBinding binding, IReadOnlyCollection<int> targetPorts)
    {
        ArgumentNullException.ThrowIfNull(binding);
        ArgumentNullException.ThrowIfNull(targetPorts);
        var rules = new List<IngressRule>();
        foreach (var rule in binding.Spec.Networking?.Ingress ?? [])
        {
            foreach (var port in rule.Ports)
            {
                var protocol = port.Protocol.ToLowerInvariant();
                IEnumerable<(int From, int To)> ranges = port.Port switch
                {
                    null => [(0, 65535)],
                    { Number: { } number } => [(number, number)],
                    _ => targetPorts.Distinct().Order().Select(static p => (p, p)),
                };
                foreach (var (from, to) in ranges)
                {
                    foreach (var peer in rule.From)
                    {
                        var cidr = peer.Cidr;
                        var v6 = cidr?.Contains(':', StringComparison.Ordinal) == true;
                        rules.Add(IngressRule.Normalize(new IngressRule(protocol, from, to,
                            CidrIpv4: v6 ? null : cidr, CidrIpv6: v6 ? cidr : null, SourceSecurityGroupId: peer.SecurityGroupId, Description: Description)));
                    }
                }
            }
        }
        return [.. rules.Distinct()];
    }

    /// <summary>
    /// The instance IDs to look the targets' network interfaces up on: the instance targets themselves, or, for ip
    /// targets, every node's instance (a pod IP is a secondary address of one of its interfaces).
    /// </summary>
    public static IReadOnlyList<string> Instances(string targetType, IReadOnlyList<DesiredTarget> targets, IReadOnlyList<V1Node> nodes) =>
        targetType == "instance"
            ? [.. targets.Select(static t => t.Target.Id).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]
            : [.. nodes.Select(TargetBuilder.InstanceId).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>
    /// The security groups of the targets' network interfaces: an instance target's primary interface, an ip target's
    /// interface holding its address. Each value is the interface's groups (one must be chosen when there are several).
    /// An ip target no interface holds is an error.
    /// </summary>
    public static (IReadOnlyList<(string Interface, IReadOnlyList<string> Groups)> Interfaces, string? Error) TargetInterfaces(
        TargetGroupBinding binding, string targetType, IReadOnlyList<DesiredTarget> targets, IReadOnlyList<InstanceInfo> instances)
    {
        ArgumentNullException.ThrowIfNull(binding);
        var found = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var target in targets)
        {
            InstanceNetworkInterfaceInfo? eni;
            if (targetType == "instance")
            {
                eni = instances.FirstOrDefault(i => i.InstanceId == target.Target.Id)?.NetworkInterfaces.OrderBy(static n => n.DeviceIndex ?? int.MaxValue).FirstOrDefault();
                if (eni is null)
                    return ([], $"{binding.Description}: spec.networking: instance {target.Target.Id} has no network interface");
            }
            else
            {
                eni = instances.SelectMany(static i => i.NetworkInterfaces).FirstOrDefault(n => n.PrivateIpAddresses.Contains(target.Target.Id) || n.PrivateIpAddress == target.Target.Id);
                if (eni is null)
                    return ([], $"{binding.Description}: spec.networking: no network interface of a node holds pod IP {target.Target.Id}");
            }
            found[eni.NetworkInterfaceId] = eni.SecurityGroupIds;
        }
        return ([.. found.OrderBy(static f => f.Key, StringComparer.Ordinal).Select(static f => (f.Key, f.Value))], null);
    }
}
