using System.Globalization;
using k8s.Models;
using Serverless.Model;

namespace Serverless.Ingress;

/// <summary>
/// One member of the group in group order. <see cref="Errors"/> is non-empty when the member is invalid before
/// anything else is looked at (its class configuration broke while it holds our finalizer, or its
/// <c>group.order</c> is invalid): it is frozen from the start.
/// </summary>
internal sealed record Candidate(GroupMember Member, int Index, IReadOnlyList<BuildError> Errors);

/// <summary>An Ingress leaving the group; <see cref="Error"/> says why when the reason is a mistake of its own (an invalid group name).</summary>
internal sealed record Leaver(V1Ingress Ingress, BuildError? Error);

/// <summary>The members of a group, in group order, and the Ingresses leaving it.</summary>
internal sealed record Membership(IReadOnlyList<Candidate> Members, IReadOnlyList<Leaver> Leaving);

/// <summary>
/// Upstream's group loader (<c>group_loader.go Load</c>) over a snapshot: members are the managed Ingresses of the
/// group that are not being deleted, ordered by <c>group.order</c> then <c>namespace/name</c>; Ingresses that hold the
/// group's finalizer but are no longer members (deleted, moved to another group or class, invalid group name) leave.
/// </summary>
/// <remarks>
/// Two deliberate differences, both so one Ingress never blocks its group: an Ingress holding the finalizer whose
/// class configuration became invalid (upstream: the whole group fails to load) stays a member, frozen with the
/// error; a member with an invalid <c>group.order</c> (upstream: the whole group fails) is frozen, placed at order 0.
/// </remarks>
internal static class GroupMembership
{
    public static Membership Load(GroupSnapshot snapshot, ClassIndex index)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(index);
        var group = snapshot.Group;
        var members = new List<(GroupMember Member, List<BuildError> Errors)>();
        var leaving = new List<Leaver>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var ingress in snapshot.Ingresses
            .Where(static i => i.Metadata?.Name is not null)
            .OrderBy(Key, StringComparer.Ordinal))
        {
            if (!seen.Add(Key(ingress)))
                continue;
            var holdsFinalizer = GroupKeys.HoldsFinalizer(ingress, group);
            if (ingress.Metadata.DeletionTimestamp is not null)
            {
                if (holdsFinalizer)
                    leaving.Add(new Leaver(ingress, null));
                continue;
            }
            var verdict = ClassSelection.Classify(ingress, index, snapshot.Cluster);
            switch (verdict.Verdict)
            {
                case ClassVerdict.NotOurs:
                    if (holdsFinalizer)
                        leaving.Add(new Leaver(ingress, null));
                    continue;
                case ClassVerdict.Invalid:
                    // Upstream fails the whole group here (issue #2731: an accidental class edit must not delete the
                    // Ingress's rules). We keep the Ingress as a frozen member instead: its rules stay, the rest builds.
                    if (holdsFinalizer)
                        members.Add((NewMember(ingress, null), [verdict.Error!]));
                    continue;
            }
            var (memberGroup, groupError) = GroupNames.Of(ingress, verdict.Params);
            if (groupError is not null || memberGroup != group)
            {
                // An invalid group name means leaving the group (upstream PR #1676); so does naming another group.
                // The invalid name is reported on the leaving Ingress, so its owner learns why its rules went away.
                if (holdsFinalizer && groupError is null && snapshot.HeldLeavers.Contains(Key(ingress)))
                {
                    // Moving to another group that has not deployed it yet: it stays here, frozen, until that group has.
                    members.Add((NewMember(ingress, verdict.Params), [Held(ingress, memberGroup!)]));
                    continue;
                }
                if (holdsFinalizer)
                    leaving.Add(new Leaver(ingress, groupError));
                continue;
            }
            members.Add((NewMember(ingress, verdict.Params), []));
        }

        // group.order: parsed here, because it decides the order of everything else.
        var ordered = members
            .Select(static m =>
            {
                var order = 0;
                try
                {
                    order = (int)(m.Member.Annotations.Int(Annotations.GroupOrder, GroupNames.MinOrder, GroupNames.MaxOrder) ?? 0);
                }
                catch (InvalidInputException ex)
                {
                    m.Errors.Add(ex.Error);
                }
                return (Member: m.Member with { Order = order }, m.Errors);
            })
            .OrderBy(static m => m.Member.Order)
            .ThenBy(static m => m.Member.Key, StringComparer.Ordinal)
            .Select(static (m, i) => new Candidate(m.Member, i, m.Errors))
            .ToList();
        return new Membership(ordered, leaving);
    }

    /// <summary>The reason a member moving to <paramref name="group"/> is held in this group.</summary>
    public static BuildError Held(V1Ingress ingress, StackId group)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        ArgumentNullException.ThrowIfNull(group);
        return new BuildError("Ingress " + Key(ingress), "group", group.ToString(),
            "moving to another group: its rules stay in this group until that group has deployed it and written its address to the Ingress status");
    }

    /// <summary>A member with order 0 (set once parsed).</summary>
    public static GroupMember NewMember(V1Ingress ingress, IngressClassParams? classParams)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        var description = "Ingress " + Key(ingress);
        return new GroupMember(ingress, 0, classParams, new AnnotationReader(description, ingress.Metadata.Annotations));
    }

    public static string Key(V1Ingress ingress) =>
        string.Create(CultureInfo.InvariantCulture, $"{ingress.Metadata.NamespaceProperty}/{ingress.Metadata.Name}");
}
