using k8s.Models;
using Serverless.Model;

namespace Serverless.Ingress.Backend;

/// <summary>
/// The back half of a build for one member: rules, default actions, target groups and targets. Holds what is
/// shared by every path of the member (the target groups built so far, so each is built once).
/// </summary>
internal sealed class MemberBackend
{
    private readonly SortedDictionary<string, TargetGroupSpec> _targetGroups = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, TargetSetSpec> _targetSets = new(StringComparer.Ordinal);
    private readonly SortedSet<int> _targetPorts = [];

    public MemberBackend(BuildContext context, GroupMember member)
    {
        Context = context;
        Member = member;
    }

    public BuildContext Context { get; }

    public GroupMember Member { get; }

    /// <summary>Errors about the member's own fields.</summary>
    public InvalidInputException Invalid(string field, string? value, string message) =>
        new(new BuildError(Member.Description, field, value, message));

    /// <summary>A Service of the member's namespace, or null.</summary>
    public V1Service? Service(string name) => Context.Service(Member.Namespace, name);

    /// <summary>The target group with this ID, if built already.</summary>
    public bool HasTargetGroup(string id) => _targetGroups.ContainsKey(id);

    /// <summary>Records a target group, its targets and the ports the backend SG must open for it.</summary>
    public void AddTargetGroup(TargetGroupSpec targetGroup, TargetSetSpec targets, IEnumerable<int> ports)
    {
        _targetGroups[targetGroup.Id] = targetGroup;
        _targetSets[targets.TargetGroupId] = targets;
        foreach (var port in ports)
            _targetPorts.Add(port);
    }

    public MemberRules Build(IReadOnlyList<ListenerPort> ports)
    {
        var rules = new Dictionary<int, IReadOnlyList<RuleDraft>>();
        var defaults = new Dictionary<int, IReadOnlyList<ActionSpec>>();
        if (ports.Count > 0)
        {
            var builder = new RuleBuilder(this);
            var paths = builder.ResolvePaths();
            var defaultBackend = builder.ResolveDefaultBackend();
            foreach (var listener in ports)
            {
                rules[listener.Port] = builder.BuildRules(paths, listener);
                if (defaultBackend is not null)
                    defaults[listener.Port] = ActionBuilder.BuildActions(this, defaultBackend, listener);
            }
        }
        return new MemberRules
        {
            RulesByPort = rules,
            DefaultActionsByPort = defaults,
            TargetGroups = [.. _targetGroups.Values],
            TargetSets = [.. _targetSets.Values],
            TargetPorts = [.. _targetPorts],
        };
    }
}
