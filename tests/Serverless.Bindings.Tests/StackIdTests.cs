using Serverless.Model;

namespace Serverless.Bindings.Tests;

public sealed class StackIdTests
{
    [Fact]
    public void A_binding_stack_is_namespace_slash_name_of_its_own_kind()
    {
        var id = StackId.ParseBinding("web/shop");

        Assert.Equal(StackId.Binding("web", "shop"), id);
        Assert.Equal(StackKind.TargetGroupBinding, id.Kind);
        Assert.True(id.IsBinding);
        Assert.False(id.IsService);
        Assert.Equal("web/shop", id.ToString());
        Assert.NotEqual(StackId.Service("web", "shop"), id);
    }

    [Theory]
    [InlineData("shop")]
    [InlineData("/shop")]
    [InlineData("web/")]
    public void A_binding_key_without_namespace_and_name_is_a_format_error(string value)
    {
        var error = Assert.Throws<FormatException>(() => StackId.ParseBinding(value));

        Assert.Equal($"a TargetGroupBinding is namespace/name, not {value}", error.Message);
    }
}
