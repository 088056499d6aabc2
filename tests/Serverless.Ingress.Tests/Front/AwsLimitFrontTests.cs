using Serverless.Model;
using static Serverless.Ingress.Tests.Front.F;

namespace Serverless.Ingress.Tests.Front;

/// <summary>Load balancer and listener values ELBv2 or EC2 would reject freeze the Ingress that set them, before any AWS call.</summary>
public class AwsLimitFrontTests
{
    private static readonly (string, string) Shared = ("group.name", "shared");

    [Theory]
    [InlineData("-web", "load balancer name cannot begin or end with a hyphen")]
    [InlineData("web-", "load balancer name cannot begin or end with a hyphen")]
    [InlineData("internal-web", "load balancer name cannot begin with \"internal-\"")]
    [InlineData("web_alb", "load balancer name can contain only ASCII letters, digits and hyphens")]
    [InlineData("web.alb", "load balancer name can contain only ASCII letters, digits and hyphens")]
    [InlineData("", "load balancer name cannot be empty")]
    [InlineData("a23456789012345678901234567890123", "load balancer name cannot be longer than 32 characters")]
    public void Load_balancer_names_ELBv2_rejects_freeze_the_Ingress(string name, string message)
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, ("load-balancer-name", name)))));

        var error = Assert.Single(stack.Outcome("ns/a").Errors);
        Assert.Equal(("Ingress ns/a", "annotation alb.ingress.kubernetes.io/load-balancer-name", name, message), (error.Object, error.Field, error.Value, error.Message));
        Assert.True(stack.AllMembersFrozen);
    }

    [Fact]
    public void A_load_balancer_name_of_32_letters_digits_and_inner_hyphens_is_used()
    {
        const string Name = "a-2345678901234567890123456789-2";
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, ("load-balancer-name", Name)))));

        Assert.Equal(Name, stack.LoadBalancer!.Name);
    }

    [Fact]
    public void An_IngressClassParams_load_balancer_name_is_checked_too_and_blamed_on_the_params()
    {
        var snapshot = Snapshot(Group(), Ing("ns", "a", A(Shared))) with
        {
            IngressClasses = [Class(paramsName: "p")],
            IngressClassParams = [new IngressClassParams { Name = "p", LoadBalancerName = "internal-shop" }],
        };

        var error = Assert.Single(Build(snapshot).Outcome("ns/a").Errors);

        Assert.Equal(("IngressClassParams p", "spec.loadBalancerName", "internal-shop"), (error.Object, error.Field, error.Value));
    }

    [Theory]
    [InlineData("pl-0123abcd", null)]
    [InlineData("pl-0123abcd, pl-ffff", null)]
    [InlineData("pl-", "\"pl-\" is not a prefix list ID (pl- followed by hexadecimal digits)")]
    [InlineData("pl-0123ABCD", "\"pl-0123ABCD\" is not a prefix list ID (pl- followed by hexadecimal digits)")]
    [InlineData("pl-0123abcd,sg-0123abcd", "\"sg-0123abcd\" is not a prefix list ID (pl- followed by hexadecimal digits)")]
    [InlineData("corp-office", "\"corp-office\" is not a prefix list ID (pl- followed by hexadecimal digits)")]
    public void Security_group_prefix_lists_are_prefix_list_IDs(string value, string? message)
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, ("security-group-prefix-lists", value)))));

        if (message is null)
        {
            Assert.Empty(stack.Outcome("ns/a").Errors);
            Assert.False(stack.AllMembersFrozen);
            return;
        }
        var error = Assert.Single(stack.Outcome("ns/a").Errors);
        Assert.Equal(("annotation alb.ingress.kubernetes.io/security-group-prefix-lists", value, message), (error.Field, error.Value, error.Message));
    }

    [Theory]
    [InlineData("idle_timeout.timeout_seconds=0", "must be an integer within 1-4000")]
    [InlineData("idle_timeout.timeout_seconds=4001", "must be an integer within 1-4000")]
    [InlineData("deletion_protection.enabled=yes", "must be true or false")]
    [InlineData("routing.http.desync_mitigation_mode=lenient", "must be one of: monitor, defensive, strictest")]
    [InlineData("client_keep_alive.seconds=59", "must be an integer within 60-604800")]
    public void Load_balancer_attribute_values_ELBv2_rejects_freeze_the_Ingress(string attributes, string message)
    {
        var stack = Build(Snapshot(Group(), Ing("ns", "a", A(Shared, ("load-balancer-attributes", attributes)))));

        var error = Assert.Single(stack.Outcome("ns/a").Errors);
        Assert.Equal(("annotation alb.ingress.kubernetes.io/load-balancer-attributes", attributes, $"attribute {attributes}: {message}"), (error.Field, error.Value, error.Message));
    }

    [Fact]
    public void An_IngressClassParams_attribute_value_ELBv2_rejects_is_blamed_on_the_params()
    {
        var snapshot = Snapshot(Group(), Ing("ns", "a", A(Shared))) with
        {
            IngressClasses = [Class(paramsName: "p")],
            IngressClassParams = [new IngressClassParams { Name = "p", LoadBalancerAttributes = [new("idle_timeout.timeout_seconds", "9000")] }],
        };

        var error = Assert.Single(Build(snapshot).Outcome("ns/a").Errors);

        Assert.Equal(("IngressClassParams p", "spec.loadBalancerAttributes", "idle_timeout.timeout_seconds=9000"), (error.Object, error.Field, error.Value));
    }

    [Fact]
    public void Legacy_PrefixListsIDs_of_IngressClassParams_are_used_when_prefixListsIDs_is_not_set()
    {
        var legacy = Build(ParamsSnapshot(new IngressClassParams { Name = "p", LegacyPrefixListIds = ["pl-00000001"] }));
        var both = Build(ParamsSnapshot(new IngressClassParams { Name = "p", PrefixListIds = ["pl-00000002"], LegacyPrefixListIds = ["pl-00000001"] }));

        Assert.Contains("pl-00000001", PrefixLists(legacy));
        Assert.Contains("pl-00000002", PrefixLists(both));
        Assert.DoesNotContain("pl-00000001", PrefixLists(both));
    }

    [Fact]
    public void A_legacy_PrefixListsIDs_entry_that_is_not_a_prefix_list_is_blamed_on_that_field()
    {
        var stack = Build(ParamsSnapshot(new IngressClassParams { Name = "p", LegacyPrefixListIds = ["pl-zz"] }));

        var error = Assert.Single(stack.Outcome("ns/a").Errors);
        Assert.Equal(("IngressClassParams p", "spec.PrefixListsIDs", "pl-zz"), (error.Object, error.Field, error.Value));
    }

    [Fact]
    public void An_IPv6_service_behind_an_ipv4_load_balancer_freezes_its_Ingress_with_upstreams_error_and_the_group_goes_on()
    {
        var stack = IngressGroupModelBuilder.Build(Ipv6Snapshot(ipAddressType: null));

        var error = Assert.Single(stack.Outcome("ns/a").Errors);
        Assert.Equal(("Ingress ns/a", "backend Service ns/svc spec.ipFamilies", "IPv6"), (error.Object, error.Field, error.Value));
        Assert.StartsWith("unsupported IPv6 configuration, lb not dual-stack", error.Message, StringComparison.Ordinal);
        Assert.Equal(IngressState.Active, stack.Outcome("ns/b").State);
        Assert.False(stack.AllMembersFrozen);
        Assert.DoesNotContain(stack.TargetGroups, static t => t.IpAddressType == "ipv6");
    }

    [Theory]
    [InlineData("dualstack")]
    [InlineData("dualstack-without-public-ipv4")]
    public void An_IPv6_service_behind_a_dual_stack_load_balancer_gets_an_ipv6_target_group(string ipAddressType)
    {
        var stack = IngressGroupModelBuilder.Build(Ipv6Snapshot(ipAddressType));

        Assert.Empty(stack.Outcome("ns/a").Errors);
        var tg = Assert.Single(stack.TargetGroups);
        Assert.Equal(("ipv6", "ip"), (tg.IpAddressType, tg.TargetType));
    }

    private static GroupSnapshot Ipv6Snapshot(string? ipAddressType)
    {
        var annotations = ipAddressType is null ? A(Shared, ("target-type", "ip")) : A(Shared, ("target-type", "ip"), ("ip-address-type", ipAddressType));
        return Snapshot(Group(), Ing("ns", "a", annotations, rules: true), Ing("ns", "b", A(Shared))) with
        {
            Aws = Facts with { Subnets = [.. Facts.Subnets.Select(static s => s with { HasIpv6 = true })] },
            Services =
            [
                new k8s.Models.V1Service
                {
                    Metadata = new k8s.Models.V1ObjectMeta { Name = "svc", NamespaceProperty = "ns", Uid = "uid-svc" },
                    Spec = new k8s.Models.V1ServiceSpec
                    {
                        Type = "ClusterIP",
                        IpFamilies = ["IPv6"],
                        Ports = [new k8s.Models.V1ServicePort { Name = "http", Port = 80, TargetPort = 8080 }],
                    },
                },
            ],
        };
    }

    private static GroupSnapshot ParamsSnapshot(IngressClassParams parameters) => Snapshot(Group(), Ing("ns", "a", A(Shared))) with
    {
        IngressClasses = [Class(paramsName: "p")],
        IngressClassParams = [parameters],
    };

    private static List<string> PrefixLists(Stack stack) =>
        [.. stack.ManagedSecurityGroup!.Ingress.Select(static r => r.PrefixListId).OfType<string>()];
}
