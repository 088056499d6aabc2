namespace Serverless.Service.Tests.Builder;

/// <summary>Upstream's annotation value syntax (<c>pkg/annotations/parser.go</c>).</summary>
public sealed class AnnotationParsingTests
{
    [Theory]
    [InlineData("a=b,c=d", "a=b;c=d")]
    [InlineData(" a = b , c = d ", "a=b;c=d")]
    [InlineData("tag=x\\,y,k=v", "k=v;tag=x,y")]
    [InlineData("a=b,", "a=b,")]
    [InlineData("a=", "a=")]
    [InlineData("a=b=c", "a=b=c")]
    [InlineData("", "")]
    public void Maps_parse_as_upstream(string raw, string expected)
    {
        var map = ServiceAnnotationReader.ParseMap(raw);

        Assert.NotNull(map);
        Assert.Equal(expected, string.Join(';', map.Select(static p => p.Key + "=" + p.Value)));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("=b")]
    [InlineData("a=b,c")]
    [InlineData("a=b, ,")]
    public void Malformed_maps_are_rejected(string raw) => Assert.Null(ServiceAnnotationReader.ParseMap(raw));

    [Theory]
    [InlineData("true", true)]
    [InlineData("T", true)]
    [InlineData("1", true)]
    [InlineData("FALSE", false)]
    [InlineData("f", false)]
    [InlineData("yes", null)]
    [InlineData(" true", null)]
    public void Bools_parse_as_go(string raw, bool? expected) => Assert.Equal(expected, ServiceAnnotationReader.ParseGoBool(raw));

    [Theory]
    [InlineData("10", 10)]
    [InlineData("+10", 10)]
    [InlineData("-3", -3)]
    [InlineData("2147483648", null)]
    [InlineData("1.0", null)]
    [InlineData(" 1", null)]
    [InlineData("1-", null)]
    public void Int32s_parse_as_go(string raw, int? expected) => Assert.Equal(expected, ServiceAnnotationReader.ParseGoInt32(raw));

    [Fact]
    public void Lists_drop_blanks() => Assert.Equal(["a", "b"], ServiceAnnotationReader.SplitList(" a,, b ,"));

    [Theory]
    [InlineData("aws-load-balancer-healthcheck-paht", "aws-load-balancer-healthcheck-path")]
    [InlineData("aws-load-balancer-sclheme", "aws-load-balancer-scheme")]
    [InlineData("aws-load-balancer-connection-draining-enabled", null)]
    public void Unknown_keys_get_the_nearest_known_key(string suffix, string? expected) =>
        Assert.Equal(expected, ServiceAnnotationWarnings.Suggest(suffix));
}
