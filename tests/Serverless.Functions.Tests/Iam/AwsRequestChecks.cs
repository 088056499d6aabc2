using System.Text.RegularExpressions;

namespace Serverless.Functions.Tests.Iam;

/// <summary>
/// Turns recorded AWS requests into the authorizations AWS performs for them, per the Service Authorization
/// Reference (SAR): which action, against which resource ARN (one check per resource type the request involves),
/// with which condition keys in the context, and the implied checks — tags in an ELBv2 create are authorized as
/// <c>elasticloadbalancing:AddTags</c> with <c>elasticloadbalancing:CreateAction</c> on the new resource, tags in an
/// EC2 create as <c>ec2:CreateTags</c> with <c>ec2:CreateAction</c>, a WAFv2 (dis)association also as
/// <c>elasticloadbalancing:SetWebAcl</c>, the first load balancer as <c>iam:CreateServiceLinkedRole</c>.
/// An operation without a mapping is an error: a new call must be mapped (and so checked) before the test passes.
/// </summary>
public static partial class AwsRequestChecks
{
    private const string ClusterTag = "elbv2.k8s.aws/cluster";

    /// <summary>ELBv2 actions whose SAR row lists no condition key: IAM supplies no resource tags for them.</summary>
    private static readonly HashSet<string> ElbWithoutConditionKeys = new(StringComparer.Ordinal) { "SetRulePriorities", "SetWebAcl" };

    /// <summary>The one parameter naming the existing resource an ELBv2 operation is authorized on.</summary>
    private static readonly Dictionary<string, string> ElbResourceParameter = new(StringComparer.Ordinal)
    {
        ["ModifyLoadBalancerAttributes"] = "LoadBalancerArn",
        ["SetIpAddressType"] = "LoadBalancerArn",
        ["SetSecurityGroups"] = "LoadBalancerArn",
        ["SetSubnets"] = "LoadBalancerArn",
        ["DeleteLoadBalancer"] = "LoadBalancerArn",
        ["ModifyTargetGroup"] = "TargetGroupArn",
        ["ModifyTargetGroupAttributes"] = "TargetGroupArn",
        ["DeleteTargetGroup"] = "TargetGroupArn",
        ["RegisterTargets"] = "TargetGroupArn",
        ["DeregisterTargets"] = "TargetGroupArn",
        ["ModifyListener"] = "ListenerArn",
        ["ModifyListenerAttributes"] = "ListenerArn",
        ["AddListenerCertificates"] = "ListenerArn",
        ["RemoveListenerCertificates"] = "ListenerArn",
        ["DeleteListener"] = "ListenerArn",
        ["ModifyRule"] = "RuleArn",
        ["DeleteRule"] = "RuleArn",
    };

    private static readonly HashSet<string> Ec2OnSecurityGroup = new(StringComparer.Ordinal)
    {
        "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress", "DeleteSecurityGroup",
    };

    /// <summary>Every ELBv2 resource ARN a request's parameters name (for reading their tags before the call).</summary>
    public static IEnumerable<string> ElbArnsIn(IReadOnlyDictionary<string, string> parameters) =>
        parameters.Where(p => p.Key is "LoadBalancerArn" or "TargetGroupArn" or "ListenerArn" or "RuleArn"
                || ResourceArnsMember().IsMatch(p.Key) || RulePriorityArn().IsMatch(p.Key))
            .Select(p => p.Value).Distinct(StringComparer.Ordinal);

    /// <summary>Every EC2 resource ID a request's parameters name (GroupId, ResourceId.N).</summary>
    public static IEnumerable<string> Ec2IdsIn(IReadOnlyDictionary<string, string> parameters) =>
        parameters.Where(p => p.Key == "GroupId" || ResourceIdMember().IsMatch(p.Key)).Select(p => p.Value).Distinct(StringComparer.Ordinal);

    public static IEnumerable<IamCheck> For(RecordedAwsCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        return call.Service switch
        {
            "elasticloadbalancing" => Elb(call),
            "ec2" => Ec2(call),
            "wafv2" => Wafv2(call),
            "acm" => call.Operation switch
            {
                "ListCertificates" => [Check(call, "acm:ListCertificates", "*")],
                "DescribeCertificate" => [Check(call, "acm:DescribeCertificate", call.Parameters["CertificateArn"])],
                _ => throw Unmapped(call),
            },
            _ => throw Unmapped(call),
        };
    }

    private static IEnumerable<IamCheck> Elb(RecordedAwsCall call)
    {
        var op = call.Operation;
        var action = "elasticloadbalancing:" + op;
        if (op.StartsWith("Describe", StringComparison.Ordinal))
            return [Check(call, action, "*")];
        var requestTags = Tags(call.Parameters, "Tags.member.");
        switch (op)
        {
            case "CreateLoadBalancer":
            {
                var arn = Xml(call, "LoadBalancerArn");
                return
                [
                    Check(call, action, arn, RequestTagContext(requestTags)),
                    .. TagOnCreate(call, "elasticloadbalancing", arn, requestTags),
                    Check(call, "iam:CreateServiceLinkedRole",
                        $"arn:aws:iam::{TemplatePolicy.Account}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing",
                        new Dictionary<string, IReadOnlyList<string>> { ["iam:AWSServiceName"] = ["elasticloadbalancing.amazonaws.com"] }),
                ];
            }
            case "CreateTargetGroup":
            {
                var arn = Xml(call, "TargetGroupArn");
                return [Check(call, action, arn, RequestTagContext(requestTags)), .. TagOnCreate(call, "elasticloadbalancing", arn, requestTags)];
            }
            case "CreateListener":
            {
                // Authorized on the parent load balancer (SAR: loadbalancer/app), with its tags and the new listener's.
                var parent = call.Parameters["LoadBalancerArn"];
                return [Check(call, action, parent, Merge(ResourceTagContext(call, parent), RequestTagContext(requestTags))), .. TagOnCreate(call, "elasticloadbalancing", Xml(call, "ListenerArn"), requestTags)];
            }
            case "CreateRule":
            {
                // Authorized on the parent listener (SAR: listener/app), with its tags and the new rule's.
                var parent = call.Parameters["ListenerArn"];
                return [Check(call, action, parent, Merge(ResourceTagContext(call, parent), RequestTagContext(requestTags))), .. TagOnCreate(call, "elasticloadbalancing", Xml(call, "RuleArn"), requestTags)];
            }
            case "AddTags":
                return Members(call.Parameters, ResourceArnsMember())
                    .Select(arn => Check(call, action, arn, Merge(ResourceTagContext(call, arn), RequestTagContext(requestTags))));
            case "RemoveTags":
            {
                var keys = Members(call.Parameters, TagKeysMember()).ToList();
                return Members(call.Parameters, ResourceArnsMember())
                    .Select(arn => Check(call, action, arn, Merge(ResourceTagContext(call, arn), new() { ["aws:TagKeys"] = keys })));
            }
            case "SetRulePriorities":
                return call.Parameters.Where(p => RulePriorityArn().IsMatch(p.Key)).Select(p => Check(call, action, p.Value));
            default:
            {
                if (!ElbResourceParameter.TryGetValue(op, out var parameter))
                    throw Unmapped(call);
                var arn = call.Parameters[parameter];
                return [Check(call, action, arn, ElbWithoutConditionKeys.Contains(op) ? [] : ResourceTagContext(call, arn))];
            }
        }
    }

    private static IEnumerable<IamCheck> Ec2(RecordedAwsCall call)
    {
        var op = call.Operation;
        var action = "ec2:" + op;
        if (op.StartsWith("Describe", StringComparison.Ordinal))
            return [Check(call, action, "*")];
        if (op == "CreateSecurityGroup")
        {
            // Authorized on the new group (request tags) and on the VPC (its own tags; no request tags for it).
            var tags = Tags(call.Parameters, "TagSpecification.1.Tag.");
            var group = Ec2Arn("security-group/" + Xml(call, "groupId"));
            return
            [
                Check(call, action, group, RequestTagContext(tags)),
                Check(call, action, Ec2Arn("vpc/" + call.Parameters["VpcId"])),
                .. TagOnCreate(call, "ec2", group, tags),
            ];
        }
        if (Ec2OnSecurityGroup.Contains(op))
        {
            var id = call.Parameters["GroupId"];
            return [Check(call, action, Ec2Arn("security-group/" + id), ResourceTagContext(call, id))];
        }
        throw Unmapped(call);
    }

    private static IEnumerable<IamCheck> Wafv2(RecordedAwsCall call)
    {
        var action = "wafv2:" + call.Operation;
        return call.Operation switch
        {
            "ListWebACLs" => [Check(call, action, "*")],
            "GetWebACLForResource" => [Check(call, action, call.Parameters["ResourceArn"])],
            // Checked on the web ACL and on the load balancer, and ELB checks SetWebAcl on the caller.
            "AssociateWebACL" =>
            [
                Check(call, action, call.Parameters["WebACLArn"]),
                Check(call, action, call.Parameters["ResourceArn"]),
                Check(call, "elasticloadbalancing:SetWebAcl", "*"),
            ],
            "DisassociateWebACL" => [Check(call, action, call.Parameters["ResourceArn"]), Check(call, "elasticloadbalancing:SetWebAcl", "*")],
            _ => throw Unmapped(call),
        };
    }

    /// <summary>Tags in a create request: the service's tagging action on the new resource, with its CreateAction key.</summary>
    private static IEnumerable<IamCheck> TagOnCreate(RecordedAwsCall call, string service, string arn, IReadOnlyDictionary<string, string> tags)
    {
        if (tags.Count == 0)
            yield break;
        var context = RequestTagContext(tags);
        context[service + ":CreateAction"] = [call.Operation];
        yield return Check(call, service == "ec2" ? "ec2:CreateTags" : "elasticloadbalancing:AddTags", arn, context);
    }

    public static string Ec2Arn(string resource) => $"arn:aws:ec2:{TemplatePolicy.Region}:{TemplatePolicy.Account}:{resource}";

    public static Dictionary<string, IReadOnlyList<string>> RequestTagContext(IReadOnlyDictionary<string, string> tags)
    {
        var context = tags.ToDictionary(t => "aws:RequestTag/" + t.Key, t => (IReadOnlyList<string>)[t.Value], StringComparer.Ordinal);
        if (tags.Count > 0)
            context["aws:TagKeys"] = [.. tags.Keys];
        return context;
    }

    public static Dictionary<string, IReadOnlyList<string>> ResourceTagContext(IReadOnlyDictionary<string, string> tags) =>
        tags.ToDictionary(t => "aws:ResourceTag/" + t.Key, t => (IReadOnlyList<string>)[t.Value], StringComparer.Ordinal);

    private static Dictionary<string, IReadOnlyList<string>> ResourceTagContext(RecordedAwsCall call, string resource) =>
        ResourceTagContext(call.TagsBefore.TryGetValue(resource, out var tags) ? tags
            : throw new InvalidOperationException($"{call}: the tags of {resource} were not read before the call"));

    private static Dictionary<string, IReadOnlyList<string>> Merge(Dictionary<string, IReadOnlyList<string>> a, Dictionary<string, IReadOnlyList<string>> b)
    {
        foreach (var (key, value) in b)
            a[key] = value;
        return a;
    }

    private static IamCheck Check(RecordedAwsCall call, string action, string resource, Dictionary<string, IReadOnlyList<string>>? context = null) =>
        new(action, resource, context ?? [], call.ToString());

    private static Dictionary<string, string> Tags(IReadOnlyDictionary<string, string> parameters, string prefix)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; parameters.TryGetValue($"{prefix}{i}.Key", out var key); i++)
            tags[key] = parameters.GetValueOrDefault($"{prefix}{i}.Value") ?? "";
        return tags;
    }

    private static IEnumerable<string> Members(IReadOnlyDictionary<string, string> parameters, Regex member) =>
        parameters.Where(p => member.IsMatch(p.Key)).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value);

    private static string Xml(RecordedAwsCall call, string element)
    {
        var match = Regex.Match(call.Response, $"<{element}>([^<]+)</{element}>");
        return match.Success ? match.Groups[1].Value : throw new InvalidOperationException($"{call}: no {element} in the response: {call.Response}");
    }

    private static InvalidOperationException Unmapped(RecordedAwsCall call) =>
        new($"{call} has no authorization mapping: add its resource types and condition keys from the Service Authorization Reference ({string.Join(", ", call.Parameters.Keys)})");

    /// <summary>A tag set with our cluster tag (for hand-written cases).</summary>
    public static Dictionary<string, string> Owned(string cluster, params (string Key, string Value)[] more)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal) { [ClusterTag] = cluster };
        foreach (var (key, value) in more)
            tags[key] = value;
        return tags;
    }

    [GeneratedRegex(@"^ResourceArns\.member\.\d+$")]
    private static partial Regex ResourceArnsMember();

    [GeneratedRegex(@"^TagKeys\.member\.\d+$")]
    private static partial Regex TagKeysMember();

    [GeneratedRegex(@"^RulePriorities\.member\.\d+\.RuleArn$")]
    private static partial Regex RulePriorityArn();

    [GeneratedRegex(@"^ResourceId\.\d+$")]
    private static partial Regex ResourceIdMember();
}
