using Amazon.EC2.Model;
using Serverless.Aws.Ec2;

namespace Serverless.Aws.Tests.Ec2;

public sealed class IngressRuleTests
{
    [Theory]
    [InlineData("6", "tcp")]
    [InlineData("TCP", "tcp")]
    [InlineData("17", "udp")]
    [InlineData("1", "icmp")]
    [InlineData("58", "icmpv6")]
    [InlineData("-1", "-1")]
    [InlineData("all", "-1")]
    [InlineData("", "-1")]
    [InlineData(null, "-1")]
    [InlineData("50", "50")]
    public void Protocol_numbers_and_spellings_normalize_to_one_form(string? protocol, string expected) =>
        Assert.Equal(expected, IngressRule.NormalizeProtocol(protocol));

    [Fact]
    public void Normalizing_drops_ports_of_all_traffic_rules_lowercases_IPv6_and_nulls_an_empty_description()
    {
        var rule = IngressRule.Normalize(new IngressRule("ALL", 0, 65535, CidrIpv6: "2001:DB8::/32", Description: ""));

        Assert.Equal(new IngressRule("-1", null, null, CidrIpv6: "2001:db8::/32"), rule);
    }

    [Fact]
    public void A_rule_needs_exactly_one_source()
    {
        Assert.Throws<ArgumentException>(() => IngressRule.Normalize(new IngressRule("tcp", 443, 443)));
        Assert.Throws<ArgumentException>(() => IngressRule.Normalize(new IngressRule("tcp", 443, 443, CidrIpv4: "0.0.0.0/0", CidrIpv6: "::/0")));
    }

    [Fact]
    public void An_SDK_permission_with_several_sources_splits_into_one_rule_per_source_and_round_trips()
    {
        var permission = new IpPermission
        {
            IpProtocol = "6",
            FromPort = 443,
            ToPort = 443,
            Ipv4Ranges = [new IpRange { CidrIp = "10.0.0.0/8", Description = "vpc" }, new IpRange { CidrIp = "192.168.0.0/16" }],
            Ipv6Ranges = [new Ipv6Range { CidrIpv6 = "::/0" }],
            PrefixListIds = [new PrefixListId { Id = "pl-1234", Description = "corp" }],
            UserIdGroupPairs = [new UserIdGroupPair { GroupId = "sg-1234", UserId = "123456789012" }],
        };

        var rules = Ec2Gateway.ToRules(permission).ToList();

        Assert.Equal(
            [
                new IngressRule("tcp", 443, 443, CidrIpv4: "10.0.0.0/8", Description: "vpc"),
                new IngressRule("tcp", 443, 443, CidrIpv4: "192.168.0.0/16"),
                new IngressRule("tcp", 443, 443, CidrIpv6: "::/0"),
                new IngressRule("tcp", 443, 443, PrefixListId: "pl-1234", Description: "corp"),
                new IngressRule("tcp", 443, 443, SourceSecurityGroupId: "sg-1234"),
            ],
            rules);
        Assert.All(rules, r => Assert.Equal(r, Assert.Single(Ec2Gateway.ToRules(Ec2Gateway.ToPermission(r)))));
        Assert.Equal(new IngressRule("tcp", 443, 443, CidrIpv4: "10.0.0.0/8"), rules[0].WithoutDescription());
    }

    [Fact]
    public void An_all_traffic_rule_is_sent_without_ports()
    {
        var permission = Ec2Gateway.ToPermission(new IngressRule("-1", 0, 65535, CidrIpv4: "10.0.0.0/8"));

        Assert.Equal("-1", permission.IpProtocol);
        Assert.Null(permission.FromPort);
        Assert.Null(permission.ToPort);
    }
}
