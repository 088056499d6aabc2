using Serverless.Kubernetes.Manifests;

namespace Serverless.Ingress.Tests.Manifests;

/// <summary>IngressClassParams <c>spec.PrefixListsIDs</c>: the legacy spelling upstream's CRD still has.</summary>
public sealed class LegacyPrefixListsTests
{
    private const string Head = """
        apiVersion: elbv2.k8s.aws/v1beta1
        kind: IngressClassParams
        metadata:
          name: p
        spec:

        """;

    [Fact]
    public void The_legacy_key_is_read_apart_from_prefixListsIDs()
    {
        var set = ManifestLoader.LoadText(Head + "  PrefixListsIDs: [pl-00000001, pl-00000002]\n", "p.yaml");

        Assert.Empty(set.Errors);
        var parameters = Assert.Single(set.IngressClassParams);
        Assert.Equal(["pl-00000001", "pl-00000002"], parameters.LegacyPrefixListIds);
        Assert.Null(parameters.PrefixListIds);
    }

    [Fact]
    public void Both_spellings_together_are_rejected_as_upstreams_CRD_does()
    {
        var set = ManifestLoader.LoadText(Head + "  prefixListsIDs: [pl-00000001]\n  PrefixListsIDs: [pl-00000002]\n", "p.yaml");

        var error = Assert.Single(set.Errors).ToString();
        Assert.Contains("p.yaml", error, StringComparison.Ordinal);
        Assert.Contains("spec.PrefixListsIDs", error, StringComparison.Ordinal);
        Assert.Contains("cannot specify both 'prefixListsIDs' and 'PrefixListsIDs' fields", error, StringComparison.Ordinal);
    }
}
