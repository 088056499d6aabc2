using Serverless.Aws.Ec2;
using Serverless.Testing;
using Ec2 = Amazon.EC2.Model;

namespace Serverless.Bindings.Tests;

[Collection(MotoCollection.Name)]
public sealed class NetworkingTests(MotoFixture fixture) : BindingMotoTest(fixture)
{
    private async Task<(string GroupId, string PrivateIp)> InstanceAsync(string id)
    {
        using var ec2 = Ec2Sdk();
        var instance = (await ec2.DescribeInstancesAsync(new Ec2.DescribeInstancesRequest { InstanceIds = [id] })).Reservations[0].Instances[0];
        return (instance.NetworkInterfaces.OrderBy(static n => n.Attachment.DeviceIndex).First().Groups.Single().GroupId, instance.PrivateIpAddress);
    }

    private async Task<IReadOnlyList<Ec2.IpPermission>> IngressAsync(string groupId)
    {
        using var ec2 = Ec2Sdk();
        return (await ec2.DescribeSecurityGroupsAsync(new Ec2.DescribeSecurityGroupsRequest { GroupIds = [groupId] })).SecurityGroups[0].IpPermissions ?? [];
    }

    [Fact]
    public async Task An_instance_binding_authorizes_its_rules_on_the_nodes_primary_interface_group_once()
    {
        var (group, _) = await InstanceAsync(Instances[0]);
        var source = Manifests(
            Objects.BindingYaml("targetGroupName: bind-instance\nserviceRef: {name: shop, port: 80}\nnetworking:\n  ingress:\n    - from: [{ipBlock: {cidr: 10.1.0.0/16}}]\n      ports: [{port: 30080}]"),
            ServiceYaml("NodePort"), NodeYaml(Instances[0]));

        var run = await ReconcileAsync(source);

        Assert.True(run.Run.Result.IsDone, run.Run.Result.ToString());
        var rule = Assert.Single(await IngressAsync(group), static p => p.FromPort == 30080);
        Assert.Equal(("tcp", 30080), (rule.IpProtocol, rule.ToPort));
        var range = Assert.Single(rule.Ipv4Ranges);
        Assert.Equal(("10.1.0.0/16", BindingSecurityRules.Description), (range.CidrIp, range.Description));
        Assert.Contains(run.Run.Deploy!.Changes, c => c.ResourceId == group && c.Fields.Single().Field == "ingress tcp/30080 from 10.1.0.0/16");

        Log.Clear();
        var again = await ReconcileAsync(source);
        Assert.True(again.Run.Result.IsDone, again.Run.Result.ToString());
        Assert.DoesNotContain("AuthorizeSecurityGroupIngress", Log.Aws);
    }

    [Fact]
    public async Task An_ip_binding_authorizes_every_port_from_a_security_group_on_the_interface_holding_the_pod_ip()
    {
        var (group, ip) = await InstanceAsync(Instances[1]);
        using var ec2 = Ec2Sdk();
        var peer = (await ec2.CreateSecurityGroupAsync(new Ec2.CreateSecurityGroupRequest { GroupName = "lb", Description = "lb", VpcId = VpcId })).GroupId;
        var source = Manifests(
            Objects.BindingYaml($"targetGroupARN: {IpGroupArn}\nserviceRef: {{name: shop, port: 80}}\nnetworking:\n  ingress:\n    - from: [{{securityGroup: {{groupID: {peer}}}}}]\n      ports: [{{protocol: TCP}}]"),
            ServiceYaml(), SliceYaml((ip, true, false)), NodeYaml(Instances[0]), NodeYaml(Instances[1]));

        var run = await ReconcileAsync(source);

        Assert.True(run.Run.Result.IsDone, run.Run.Result.ToString());
        Assert.Equal([ip + ":8080"], await TargetsAsync(IpGroupArn));
        var rule = Assert.Single(await IngressAsync(group), p => p.UserIdGroupPairs?.Any(g => g.GroupId == peer) == true);
        Assert.Equal(("tcp", 0, 65535), (rule.IpProtocol, rule.FromPort, rule.ToPort));
        Assert.Equal(BindingSecurityRules.Description, rule.UserIdGroupPairs.Single().Description);
    }

    [Fact]
    public async Task A_pod_ip_no_node_interface_holds_fails_naming_the_binding_and_the_targets_are_still_registered()
    {
        var run = await ReconcileAsync(Manifests(
            Objects.BindingYaml($"targetGroupARN: {IpGroupArn}\nserviceRef: {{name: shop, port: 80}}\nnetworking:\n  ingress:\n    - from: [{{ipBlock: {{cidr: 10.1.0.0/16}}}}]\n      ports: [{{port: http}}]"),
            ServiceYaml(), SliceYaml(("10.0.1.200", true, false)), NodeYaml(Instances[0])));

        Assert.Equal(Deploy.ReconcileKind.Failed, run.Run.Result.Kind);
        Assert.Contains("TargetGroupBinding web/shop: spec.networking: no network interface of a node holds pod IP 10.0.1.200", run.Run.Result.Reason, StringComparison.Ordinal);
        Assert.Equal(["10.0.1.200:8080"], await TargetsAsync(IpGroupArn));
        Assert.DoesNotContain("AuthorizeSecurityGroupIngress", Log.Aws);
    }

    [Fact]
    public async Task Without_spec_networking_no_security_group_call_is_made()
    {
        var run = await ReconcileAsync(Manifests(Objects.BindingYaml("targetGroupName: bind-instance\nserviceRef: {name: shop, port: 80}"), ServiceYaml("NodePort"), NodeYaml(Instances[0])));

        Assert.True(run.Run.Result.IsDone, run.Run.Result.ToString());
        Assert.Equal([Instances[0] + ":30080"], await TargetsAsync(InstanceGroupArn));
        Assert.DoesNotContain(Log.Aws, static op => NetworkingOperations.Contains(op));
    }

    [Fact]
    public void A_named_port_opens_the_targets_port_and_an_absent_one_every_port()
    {
        var binding = Objects.Binding("targetGroupName: x\nserviceRef: {name: shop, port: 80}\nnetworking:\n  ingress:\n    - from: [{ipBlock: {cidr: 10.1.0.0/16}}, {ipBlock: {cidr: \"fd00::/8\"}}]\n      ports: [{port: http}, {protocol: UDP}]");

        var rules = BindingSecurityRules.Rules(binding, [8080, 8080]);

        Assert.Equal(
            [
                new IngressRule("tcp", 8080, 8080, CidrIpv4: "10.1.0.0/16", Description: BindingSecurityRules.Description),
                new IngressRule("tcp", 8080, 8080, CidrIpv6: "fd00::/8", Description: BindingSecurityRules.Description),
                new IngressRule("udp", 0, 65535, CidrIpv4: "10.1.0.0/16", Description: BindingSecurityRules.Description),
                new IngressRule("udp", 0, 65535, CidrIpv6: "fd00::/8", Description: BindingSecurityRules.Description),
            ],
            rules);
    }

    [Fact]
    public async Task Rules_the_binding_created_are_revoked_when_no_longer_declared_and_on_deletion_and_a_rule_that_was_there_before_never_is()
    {
        var (group, _) = await InstanceAsync(Instances[1]);
        using (var ec2 = Ec2Sdk())
        {
            // There before the binding asked for it (a person's, or upstream's): never revoked by the binding.
            await ec2.AuthorizeSecurityGroupIngressAsync(new Ec2.AuthorizeSecurityGroupIngressRequest
            {
                GroupId = group,
                IpPermissions = [new Ec2.IpPermission { IpProtocol = "tcp", FromPort = 30080, ToPort = 30080, Ipv4Ranges = [new Ec2.IpRange { CidrIp = "10.9.0.0/16" }] }],
            });
        }
        static string Spec(string cidrs) =>
            "targetGroupName: bind-instance\nserviceRef: {name: shop, port: 80}\nnetworking:\n  ingress:\n    - from: [" + cidrs + "]\n      ports: [{port: 30080}]";
        static string WithLedger(string yaml, string? ledger) => ledger is null ? yaml
            : yaml.Replace("metadata:\n", "metadata:\n  annotations:\n    " + BindingDeployer.RulesLedgerAnnotation + ": \"" + ledger + "\"\n", StringComparison.Ordinal);
        async Task<string?> LedgerAsync(ManifestBindingSource source) =>
            (await source.GetBindingAsync("web", "shop", CancellationToken.None))!.Metadata.Annotations.GetValueOrDefault(BindingDeployer.RulesLedgerAnnotation);
        async Task<string[]> CidrsAsync() =>
            [.. (await IngressAsync(group)).Where(static p => p.FromPort == 30080).SelectMany(static p => p.Ipv4Ranges.Select(static r => r.CidrIp)).Order(StringComparer.Ordinal)];

        var first = Manifests(Objects.BindingYaml(Spec("{ipBlock: {cidr: 10.1.0.0/16}}, {ipBlock: {cidr: 10.9.0.0/16}}")), ServiceYaml("NodePort"), NodeYaml(Instances[1]));
        var created = await ReconcileAsync(first);
        Assert.True(created.Run.Result.IsDone, created.Run.Result.ToString());
        Assert.Equal(["10.1.0.0/16", "10.9.0.0/16"], await CidrsAsync());
        // Only the rule it created is in its ledger.
        Assert.Equal($"{group}|tcp|30080|30080|10.1.0.0/16", await LedgerAsync(first));

        // The binding now declares another source and not the others: its own old rule goes, the one it found stays.
        var second = Manifests(WithLedger(Objects.BindingYaml(Spec("{ipBlock: {cidr: 10.2.0.0/16}}")), await LedgerAsync(first)), ServiceYaml("NodePort"), NodeYaml(Instances[1]));
        Log.Clear();
        var changed = await ReconcileAsync(second);
        Assert.True(changed.Run.Result.IsDone, changed.Run.Result.ToString());
        Assert.Equal(["10.2.0.0/16", "10.9.0.0/16"], await CidrsAsync());
        Assert.Equal($"{group}|tcp|30080|30080|10.2.0.0/16", await LedgerAsync(second));
        // Authorized before revoked.
        Assert.True(Log.Aws.ToList().IndexOf("AuthorizeSecurityGroupIngress") < Log.Aws.ToList().IndexOf("RevokeSecurityGroupIngress"), string.Join(", ", Log.Aws));

        // Deleted: what it created goes with its targets; the rule it found stays.
        var deleting = Manifests(
            WithLedger(Objects.BindingYaml(Spec("{ipBlock: {cidr: 10.2.0.0/16}}")), await LedgerAsync(second))
                .Replace("metadata:\n", "metadata:\n  deletionTimestamp: \"2026-12-05T08:00:00Z\"\n  finalizers: [elbv2.k8s.aws/resources]\n", StringComparison.Ordinal),
            ServiceYaml("NodePort"), NodeYaml(Instances[1]));
        var deleted = await ReconcileAsync(deleting);
        Assert.True(deleted.Run.Result.IsDone, deleted.Run.Result.ToString());
        Assert.Equal(["10.9.0.0/16"], await CidrsAsync());
    }
}
