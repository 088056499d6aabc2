using k8s.Models;
using Serverless.Aws.Acm;
using Serverless.Aws.Core;
using Serverless.Aws.Ec2;
using Serverless.Aws.ElasticLoadBalancingV2;
using Serverless.Aws.Wafv2;
using Serverless.Ingress;
using Serverless.Local;
using Serverless.Model;
using Serverless.Reconcile;
using Serverless.Testing;

namespace Serverless.Cli.Tests;

[Collection(MotoCollection.Name)]
public sealed class AwsFactsLoaderTests(MotoFixture fixture)
{
    private readonly MotoServer _moto = fixture.Server;

    [Fact]
    public void Candidate_names_include_the_generated_ones_the_annotations_and_the_names_behind_status_hostnames()
    {
        var cluster = new ClusterSettings { ClusterName = "demo", VpcId = "vpc-0123456789abcdef0" };
        var group = StackId.Explicit("shop");
        V1Ingress Member(string? name, params string[] hostnames) => new()
        {
            Metadata = new V1ObjectMeta
            {
                Name = "web",
                NamespaceProperty = "shop",
                Annotations = name is null ? null : new Dictionary<string, string> { ["alb.ingress.kubernetes.io/load-balancer-name"] = name },
            },
            Status = new V1IngressStatus { LoadBalancer = new V1IngressLoadBalancerStatus { Ingress = [.. hostnames.Select(h => new V1IngressLoadBalancerIngress { Hostname = h })] } },
        };

        var names = AwsFactsLoader.CandidateLoadBalancerNames(cluster, group, [
            Member("shop-now", "shop-old-1234567890.us-west-2.elb.amazonaws.com"),
            Member(null, "internal-shop-private-99.us-west-2.elb.amazonaws.com", "shop.example.com", "nodash.elb.amazonaws.com"),
        ]);

        Assert.Contains("shop-now", names);
        Assert.Contains("shop-old", names);
        // An internal ALB's DNS name starts with "internal-"; a name that itself starts so is kept as a candidate too.
        Assert.Contains("shop-private", names);
        Assert.Contains("internal-shop-private", names);
        Assert.DoesNotContain(names, n => n.Contains("example", StringComparison.Ordinal) || n.StartsWith("nodash", StringComparison.Ordinal));
        Assert.Contains(Naming.LoadBalancerName("demo", group, "internet-facing"), names);
        Assert.Contains(Naming.LoadBalancerName("demo", group, "internal"), names);
        Assert.Equal(6, names.Count);
    }

    [Fact]
    public void The_name_behind_the_status_hostname_is_asked_first_then_the_annotation_then_the_generated_names()
    {
        var cluster = new ClusterSettings { ClusterName = "demo", VpcId = "vpc-0123456789abcdef0" };
        var group = StackId.Explicit("shop");
        var member = new V1Ingress
        {
            Metadata = new V1ObjectMeta { Name = "web", Annotations = new Dictionary<string, string> { ["alb.ingress.kubernetes.io/load-balancer-name"] = "shop-new" } },
            Status = new V1IngressStatus { LoadBalancer = new V1IngressLoadBalancerStatus { Ingress = [new V1IngressLoadBalancerIngress { Hostname = "internal-shop-old-99.us-west-2.elb.amazonaws.com" }] } },
        };

        var names = AwsFactsLoader.LikelyLoadBalancerNames(cluster, group, [member]);

        Assert.Equal(
            ["shop-old", "shop-new", Naming.LoadBalancerName("demo", group, "internet-facing"), Naming.LoadBalancerName("demo", group, "internal"), "internal-shop-old"],
            names);
        Assert.Equal(AwsFactsLoader.CandidateLoadBalancerNames(cluster, group, [member]).Order(), names.Order());
    }

    [Fact]
    public async Task Reads_the_sandbox_VPC_with_a_bounded_number_of_calls()
    {
        var recorder = new AwsCallRecorder();
        var options = _moto.ClientOptions(recorder);
        using var sdk = Ec2Gateway.CreateSdkClient(_moto.ClientOptions());
        var sandbox = await Sandbox.SeedAsync(sdk, "facts", "us-east-1", [new("n1"), new("n2")]);
        using var ec2 = Ec2Gateway.Create(options);
        using var elb = new ElasticLoadBalancingV2Client(options);
        using var acm = new AcmClient(options);
        using var waf = new Wafv2Client(options);
        var nodes = sandbox.Nodes.Select(n => new V1Node
        {
            Metadata = new V1ObjectMeta { Name = n.NodeName },
            Spec = new V1NodeSpec { ProviderID = n.ProviderId },
        }).ToList();
        var cluster = new ClusterSettings { ClusterName = "facts", VpcId = sandbox.VpcId };

        var facts = await new AwsFactsLoader(ec2, elb, acm, waf).LoadAsync(cluster, StackId.Implicit("default", "echoserver"), [], nodes);

        Assert.Equal(["10.0.0.0/16"], facts.VpcCidrs);
        Assert.Equal(sandbox.Subnets.Select(s => s.SubnetId).Order(), facts.Subnets.Select(s => s.Id).Order());
        Assert.All(facts.Subnets.Where(s => sandbox.Subnets.Single(x => x.SubnetId == s.Id).Public), s => Assert.Equal("1", s.Tags["kubernetes.io/role/elb"]));
        Assert.Equal([sandbox.NodeSecurityGroupId], facts.NodeSecurityGroupIds);
        Assert.Null(facts.BackendSecurityGroupId);
        Assert.Null(facts.ExistingLoadBalancer);
        Assert.Contains(facts.SecurityGroups, g => g.Id == sandbox.NodeSecurityGroupId && g.Name == "facts-node");
        // VPC, subnets, security groups, instances; one DescribeLoadBalancers per candidate name (both missing; a call
        // naming both would fail on AWS and cost one more).
        Assert.Equal(4, recorder.Calls.Where(c => c.Key.StartsWith("EC2:", StringComparison.Ordinal)).Sum(c => c.Value));
        Assert.Equal(2, recorder.CallsOf("ELBv2", "DescribeLoadBalancers"));
        // No member asks for HTTPS without a certificate: ACM is not read.
        Assert.Empty(facts.Certificates);
        Assert.Equal(0, recorder.Calls.Where(c => c.Key.StartsWith("ACM:", StringComparison.Ordinal)).Sum(c => c.Value));
        // No member names a web ACL: WAF is not read.
        Assert.Empty(facts.WebAclArnsByName);
        Assert.Equal(0, recorder.Calls.Where(c => c.Key.StartsWith("WAFv2:", StringComparison.Ordinal)).Sum(c => c.Value));
    }

    [Theory]
    [InlineData("prod", null, true)]
    [InlineData(" ", null, false)]
    [InlineData("prod", "arn:aws:wafv2:us-east-1:1:regional/webacl/prod/x", true)]
    [InlineData(null, "arn:aws:wafv2:us-east-1:1:regional/webacl/prod/x", true)]
    [InlineData(null, "none", false)]
    [InlineData(null, null, false)]
    public void Web_acls_are_needed_when_a_member_names_one_by_name_or_arn(string? name, string? arn, bool expected) =>
        Assert.Equal(expected, AwsFactsLoader.NeedsWebAcls(WebAndPlain(("wafv2-acl-name", name), ("wafv2-acl-arn", arn))));

    [Fact]
    public async Task Reads_the_regional_web_acls_by_name_when_a_member_names_one()
    {
        var prod = await MotoWafv2.CreateWebAclAsync(_moto, "wafnames-prod");
        var other = await MotoWafv2.CreateWebAclAsync(_moto, "wafnames-other");

        var (facts, recorder) = await LoadOneIngressAsync("wafnames", "wafv2-acl-name", "wafnames-prod");

        Assert.Equal(prod, facts.WebAclArnsByName["wafnames-prod"]);
        Assert.Equal(other, facts.WebAclArnsByName["wafnames-other"]);
        Assert.Equal(1, recorder.CallsOf("WAFv2", "ListWebACLs"));
        Assert.Equal(0, recorder.Calls.Where(c => c.Key.StartsWith("ACM:", StringComparison.Ordinal)).Sum(c => c.Value));
    }

    [Theory]
    [InlineData("[{\"HTTPS\":443}]", null, true)]
    [InlineData("[{\"HTTP\":80},{\"HTTPS\":443}]", "", true)]
    [InlineData("[{\"HTTPS\":443}]", " , ", true)]
    [InlineData("[{\"HTTPS\":443}]", "arn:aws:acm:us-east-1:1:certificate/x", false)]
    [InlineData("[{\"HTTP\":80}]", null, false)]
    [InlineData(null, null, false)]
    public void Certificates_are_needed_only_for_an_https_port_without_certificate_arn(string? listenPorts, string? certificateArn, bool expected) =>
        Assert.Equal(expected, AwsFactsLoader.NeedsCertificateDiscovery(WebAndPlain(("listen-ports", listenPorts), ("certificate-arn", certificateArn))));

    /// <summary>An Ingress "web" with the given annotations (those with a null value left out) and one "plain" without any.</summary>
    private static V1Ingress[] WebAndPlain(params (string Suffix, string? Value)[] annotations)
    {
        var map = annotations.Where(static a => a.Value is not null).ToDictionary(static a => "alb.ingress.kubernetes.io/" + a.Suffix, static a => a.Value!);
        return [new() { Metadata = new V1ObjectMeta { Name = "web", Annotations = map } }, new() { Metadata = new V1ObjectMeta { Name = "plain" } }];
    }

    /// <summary>Loads the facts of group default/shop, whose one Ingress carries one annotation, in a fresh sandbox VPC.</summary>
    private async Task<(AwsFacts Facts, AwsCallRecorder Recorder)> LoadOneIngressAsync(string clusterName, string suffix, string value)
    {
        var recorder = new AwsCallRecorder();
        var options = _moto.ClientOptions(recorder);
        using var sdk = Ec2Gateway.CreateSdkClient(_moto.ClientOptions());
        var sandbox = await Sandbox.SeedAsync(sdk, clusterName, "us-east-1", [new("n1")]);
        using var ec2 = Ec2Gateway.Create(options);
        using var elb = new ElasticLoadBalancingV2Client(options);
        using var acm = new AcmClient(options);
        using var waf = new Wafv2Client(options);
        var ingress = new V1Ingress
        {
            Metadata = new V1ObjectMeta
            {
                Name = "shop",
                NamespaceProperty = "default",
                Annotations = new Dictionary<string, string> { ["alb.ingress.kubernetes.io/" + suffix] = value },
            },
        };
        var cluster = new ClusterSettings { ClusterName = clusterName, VpcId = sandbox.VpcId };
        var facts = await new AwsFactsLoader(ec2, elb, acm, waf).LoadAsync(cluster, StackId.Implicit("default", "shop"), [ingress], []);
        return (facts, recorder);
    }

    [Fact]
    public async Task Reads_issued_certificates_with_their_names_when_a_member_needs_discovery()
    {
        var issued = await MotoAcm.ImportAsync(_moto, "shop.certs.example", ["*.shop.certs.example"]);
        var pending = await MotoAcm.RequestAsync(_moto, "pending.certs.example");

        var (facts, recorder) = await LoadOneIngressAsync("certs", "listen-ports", "[{\"HTTPS\":443}]");

        var certificate = Assert.Single(facts.Certificates, c => c.Arn == issued);
        Assert.Equal(["shop.certs.example", "*.shop.certs.example"], certificate.Domains);
        Assert.DoesNotContain(facts.Certificates, c => c.Arn == pending);
        Assert.Equal(1, recorder.CallsOf("ACM", "ListCertificates"));
    }
}
