using Serverless.Model;

namespace Serverless.Service.Tests.Builder;

/// <summary>Every invalid annotation value freezes the Service: nothing is deployed or deleted, and the error names the annotation and the value.</summary>
public sealed class ErrorTests
{
    public static TheoryData<string, string, string, string> InvalidAnnotations() => new()
    {
        // annotation suffix, invalid value, other annotations ("k=v;k=v"), part of the message
        { "aws-load-balancer-scheme", "public", "", "unknown scheme: public" },
        { "aws-load-balancer-internal", "0.0.0.0/0", "", "failed to parse bool annotation" },
        { "aws-load-balancer-ip-address-type", "ipv6", "", "unknown IPAddressType: ipv6" },
        { "aws-load-balancer-name", "a-load-balancer-name-of-33-chars!", "", "cannot be longer than 32 characters" },
        { "aws-load-balancer-subnets", "subnet-0missing", "", "couldn't find all subnets" },
        { "aws-load-balancer-subnets", "private-a,subnet-0private4", "", "couldn't find all subnets" },
        { "aws-load-balancer-eip-allocations", "eipalloc-1,eipalloc-2,eipalloc-3", "", "EIP allocations can only be set for internet facing load balancers" },
        { "aws-load-balancer-eip-allocations", "eipalloc-1", "aws-load-balancer-scheme=internet-facing", "count of EIP allocations (1) and subnets (3) must match" },
        { "aws-load-balancer-private-ipv4-addresses", "192.168.100.5", "", "count of private IPv4 addresses (1) and subnets (3) must match" },
        { "aws-load-balancer-private-ipv4-addresses", "a,b,c", "", "private IPv4 addresses must be valid IP address: a" },
        { "aws-load-balancer-private-ipv4-addresses", "::1,::2,::3", "", "must be valid IPv4 address: ::1" },
        { "aws-load-balancer-private-ipv4-addresses", "192.168.100.5,192.168.100.6,192.168.170.5", "", "expect one private IPv4 address configured for subnet: subnet-0private1" },
        { "aws-load-balancer-private-ipv4-addresses", "1.1.1.1,2.2.2.2,3.3.3.3", "aws-load-balancer-scheme=internet-facing", "private IPv4 addresses can only be set for internal load balancers" },
        { "aws-load-balancer-ipv6-addresses", "::1,::2,::3", "", "IPv6 addresses can only be set for dualstack load balancers" },
        { "aws-load-balancer-ipv6-addresses", "2600::1,2600::2,2600::3", "aws-load-balancer-ip-address-type=dualstack", "expect one IPv6 address configured for subnet" },
        { "aws-load-balancer-enable-prefix-for-ipv6-source-nat", "maybe", "", "Invalid enable-prefix-for-ipv6-source-nat value: maybe" },
        { "aws-load-balancer-enable-prefix-for-ipv6-source-nat", "on", "", "only applicable to Network Load Balancers using Dualstack" },
        { "aws-load-balancer-source-nat-ipv6-prefixes", "auto_assigned", "", "can only be set for Network Load Balancers using Dualstack" },
        { "aws-load-balancer-source-nat-ipv6-prefixes", "auto_assigned", "aws-load-balancer-ip-address-type=dualstack", "only applicable if enable-prefix-for-ipv6-source-nat annotation is set to on" },
        { "aws-load-balancer-source-nat-ipv6-prefixes", "auto_assigned,10.0.0.0/8,auto_assigned", "aws-load-balancer-ip-address-type=dualstack;aws-load-balancer-enable-prefix-for-ipv6-source-nat=on", "Invalid value in source-nat-ipv6-prefixes: 10.0.0.0/8" },
        { "aws-load-balancer-attributes", "deletion_protection.enabled", "", "failed to parse stringMap annotation" },
        { "aws-load-balancer-attributes", "dns_record.client_routing_policy=nearest", "", "invalid dns_record.client_routing_policy" },
        { "aws-load-balancer-access-log-enabled", "yes", "", "failed to parse bool annotation" },
        { "aws-load-balancer-cross-zone-load-balancing-enabled", "on", "", "failed to parse bool annotation" },
        { "aws-load-balancer-minimum-load-balancer-capacity", "Units=100", "", "invalid key to set the capacity: Units" },
        { "aws-load-balancer-minimum-load-balancer-capacity", "CapacityUnits=lots", "", "invalid value to set the capacity: lots" },
        { "aws-load-balancer-additional-resource-tags", "team", "", "failed to parse stringMap annotation" },
        { "aws-load-balancer-additional-resource-tags", "owner=me", "", "external managed tag key owner cannot be specified on Service" },
        { "aws-load-balancer-security-groups", "sg-0missing", "", "couldn't find all security groups" },
        { "aws-load-balancer-disable-nlb-sg", "maybe", "", "failed to parse bool annotation" },
        { "aws-load-balancer-manage-backend-security-group-rules", "maybe", "aws-load-balancer-security-groups=sg-0node", "failed to parse bool annotation" },
        { "aws-load-balancer-inbound-sg-rules-on-private-link-traffic", "yes", "", "value must be one of [on, off]" },
        { "load-balancer-source-ranges", "10.0.0.0/33", "", "is not a CIDR" },
        { "load-balancer-source-ranges", "2001:db8::/32", "", "unsupported v6 cidr 2001:db8::/32 when lb is not dualstack" },
        { "aws-load-balancer-ssl-ports", "443,https", "aws-load-balancer-ssl-cert=arn:aws:acm:us-west-2:1:certificate/x", "Unused port in ssl-ports annotation [443 https]" },
        { "aws-load-balancer-alpn-policy", "HTTP3Only", "aws-load-balancer-ssl-cert=arn:aws:acm:us-west-2:1:certificate/x", "invalid ALPN policy HTTP3Only" },
        { "aws-load-balancer-quic-enabled-ports", "80", "", "Unsupported QUIC upgrade for protocol TCP" },
        { "aws-load-balancer-healthcheck-protocol", "udp", "", "unsupported health check protocol udp" },
        { "aws-load-balancer-healthcheck-port", "metrics", "", "unable to find port metrics on service default/echo" },
        { "aws-load-balancer-healthcheck-port", "70000", "", "between 1 and 65535" },
        { "aws-load-balancer-healthcheck-interval", "ten", "", "failed to parse int32 annotation" },
        { "aws-load-balancer-healthcheck-timeout", "5s", "", "failed to parse int32 annotation" },
        { "aws-load-balancer-healthcheck-healthy-threshold", "3.0", "", "failed to parse int32 annotation" },
        { "aws-load-balancer-healthcheck-unhealthy-threshold", "99999999999", "", "failed to parse int32 annotation" },
        { "aws-load-balancer-target-group-attributes", "preserve_client_ip.enabled=maybe", "", "failed to parse attribute preserve_client_ip.enabled=maybe" },
        { "aws-load-balancer-target-group-attributes.80", "=x", "", "failed to parse stringMap annotation" },
        { "aws-load-balancer-proxy-protocol", "true", "", "only value currently supported is *" },
        { "aws-load-balancer-proxy-protocol-per-target-group", "80,https", "", "invalid port number in proxy-protocol-per-target-group: https" },
        { "aws-load-balancer-listener-attributes.TCP-80", "tcp.idle_timeout.seconds", "", "failed to parse stringMap annotation" },
        { "aws-load-balancer-multi-cluster-target-group", "maybe", "", "failed to parse bool annotation" },
        { "aws-load-balancer-target-node-labels", "edge", "service.beta.kubernetes.io/aws-load-balancer-type=external;aws-load-balancer-nlb-target-type=instance", "failed to parse stringMap annotation" },
    };

    [Theory]
    [MemberData(nameof(InvalidAnnotations))]
    public void An_invalid_annotation_freezes_the_service_naming_field_and_value(string suffix, string value, string others, string message)
    {
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in others.Split(';', StringSplitOptions.RemoveEmptyEntries))
            annotations[pair[..pair.IndexOf('=', StringComparison.Ordinal)]] = pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..];
        annotations[suffix] = value;
        var service = ServiceFixtures.Service(annotations, ServiceFixtures.Port(80, nodePort: 30080));
        var cluster = new Ingress.ClusterSettings { ClusterName = "my-cluster", VpcId = "vpc-0example", BackendSecurityGroupId = "sg-backend", ExternalManagedTags = ["owner"] };

        var build = ServiceModelBuilder.Build(ServiceFixtures.Snapshot(service, cluster));

        var stack = build.Stack;
        Assert.True(stack.AllMembersFrozen);
        Assert.Null(stack.LoadBalancer);
        var outcome = Assert.Single(stack.Ingresses);
        Assert.Equal(IngressState.Frozen, outcome.State);
        Assert.Equal(ServiceSelection.Finalizer, outcome.Finalizer);
        var error = Assert.Single(outcome.Errors, e => e.Message.Contains(message, StringComparison.Ordinal));
        Assert.Equal("Service default/echo", error.Object);
        Assert.Equal("annotation " + ServiceAnnotations.Prefix + suffix, error.Field);
        Assert.Contains(value, error.Value ?? string.Empty, StringComparison.Ordinal);
        Assert.NotEmpty(stack.KnownLoadBalancerNames);
    }
}
