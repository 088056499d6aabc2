using System.Net;
using System.Text;
using System.Text.Json;
using Serverless.Aws.Core;
using Serverless.Aws.Tests.Infrastructure;
using Serverless.Aws.Wafv2;
using Serverless.Aws.Wafv2.Model;
using Serverless.Testing;

namespace Serverless.Aws.Tests.Wafv2;

/// <summary>Our WAFv2 client (AWS JSON 1.1 on AWSSDK.Core's pipeline) against moto.</summary>
[Collection(MotoCollection.Name)]
public sealed class Wafv2ClientTests(MotoFixture fixture) : MotoTest(fixture)
{
    private const string LbArn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188";

    [Fact]
    public async Task A_load_balancer_without_an_association_has_no_web_acl()
    {
        var recorder = new AwsCallRecorder();
        using var waf = new Wafv2Client(Moto.ClientOptions(recorder));

        var response = await waf.GetWebACLForResourceAsync(new GetWebACLForResourceRequest { ResourceArn = LbArn });

        Assert.Null(response.WebACL);
        Assert.Equal(1, recorder.CallsOf("WAFv2", "GetWebACLForResource"));
    }

    [Fact]
    public async Task Associate_then_get_then_disassociate_round_trips()
    {
        var aclArn = await MotoWafv2.CreateWebAclAsync(Moto, "prod-web");
        using var waf = new Wafv2Client(Moto.ClientOptions());

        await waf.AssociateWebACLAsync(new AssociateWebACLRequest { WebACLArn = aclArn, ResourceArn = LbArn });
        var associated = await waf.GetWebACLForResourceAsync(new GetWebACLForResourceRequest { ResourceArn = LbArn });
        await waf.DisassociateWebACLAsync(new DisassociateWebACLRequest { ResourceArn = LbArn });
        var after = await waf.GetWebACLForResourceAsync(new GetWebACLForResourceRequest { ResourceArn = LbArn });

        Assert.Equal(aclArn, associated.WebACL?.ARN);
        Assert.Equal("prod-web", associated.WebACL?.Name);
        Assert.False(string.IsNullOrEmpty(associated.WebACL?.Id));
        Assert.Null(after.WebACL);
        Assert.Null(await MotoWafv2.AssociatedAclAsync(Moto, LbArn));
    }

    [Fact]
    public async Task Associating_an_unknown_web_acl_raises_WAFNonexistentItemException()
    {
        var unknown = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/missing/a1b2c3d4-5678-90ab-cdef-1234567890ab";
        using var waf = new Wafv2Client(Moto.ClientOptions());

        var error = await Assert.ThrowsAsync<Wafv2Exception>(() => waf.AssociateWebACLAsync(new AssociateWebACLRequest { WebACLArn = unknown, ResourceArn = LbArn }));

        Assert.True(error.IsNonexistentItem, error.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.False(string.IsNullOrEmpty(error.Message));
    }

    [Fact]
    public async Task ListWebACLs_pages_through_every_regional_acl()
    {
        var arns = new List<string>();
        for (var i = 0; i < 3; i++)
            arns.Add(await MotoWafv2.CreateWebAclAsync(Moto, $"acl-{i}"));
        using var waf = new Wafv2Client(Moto.ClientOptions());

        var listed = new List<WebACL>();
        await foreach (var acl in waf.ListWebACLsPaginatedAsync("REGIONAL"))
            listed.Add(acl);

        Assert.Equal(arns.Order(), listed.Select(static a => a.ARN!).Order());
        Assert.Equal(["acl-0", "acl-1", "acl-2"], listed.Select(static a => a.Name!).Order());
    }

    [Fact]
    public async Task Requests_use_the_json_protocol_and_are_signed_for_wafv2()
    {
        CannedResponseHandler? handler = null;
        var options = Moto.ClientOptions(wrap: inner => handler = new CannedResponseHandler(inner, static _ => null));
        using var waf = new Wafv2Client(options);

        await waf.DisassociateWebACLAsync(new DisassociateWebACLRequest { ResourceArn = LbArn });

        var request = Assert.Single(handler!.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("AWSWAF_20190729.DisassociateWebACL", request.Headers["X-Amz-Target"]);
        Assert.StartsWith("application/x-amz-json-1.1", request.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Contains("/us-east-1/wafv2/aws4_request", request.Headers["Authorization"], StringComparison.Ordinal);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal(LbArn, body.RootElement.GetProperty("ResourceArn").GetString());
        Assert.Single(body.RootElement.EnumerateObject());
    }

    [Theory]
    [InlineData("{\"__type\":\"com.amazonaws.wafv2#AccessDeniedException\",\"Message\":\"not allowed\"}", null, "AccessDeniedException", "not allowed")]
    [InlineData("{\"__type\":\"WAFUnavailableEntityException\",\"message\":\"try later\"}", null, "WAFUnavailableEntityException", "try later")]
    [InlineData("{}", "WAFInvalidParameterException:http://internal.amazon.com/", "WAFInvalidParameterException", "AssociateWebACL failed with HTTP 400")]
    [InlineData("<html>bad gateway</html>", null, "HttpStatus400", "AssociateWebACL failed with HTTP 400")]
    public async Task Error_bodies_map_to_the_code_and_message(string body, string? errorTypeHeader, string code, string message)
    {
        var options = Moto.ClientOptions(wrap: inner => new CannedResponseHandler(inner, _ =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.BadRequest) { Content = new StringContent(body, Encoding.UTF8, "application/x-amz-json-1.1") };
            response.Headers.TryAddWithoutValidation("x-amzn-RequestId", "req-1");
            if (errorTypeHeader is not null)
                response.Headers.TryAddWithoutValidation("x-amzn-ErrorType", errorTypeHeader);
            return response;
        }));
        using var waf = new Wafv2Client(options);

        var error = await Assert.ThrowsAsync<Wafv2Exception>(() => waf.AssociateWebACLAsync(new AssociateWebACLRequest { WebACLArn = "arn:x", ResourceArn = LbArn }));

        Assert.Equal(code, error.ErrorCode);
        Assert.Equal(message, error.Message);
        Assert.Equal("req-1", error.RequestId);
    }

    [Fact]
    public async Task An_internal_error_is_retried_and_counted_as_one_call()
    {
        var recorder = new AwsCallRecorder();
        var failures = 1;
        var options = Moto.ClientOptions(recorder, inner => new CannedResponseHandler(inner, _ =>
            Interlocked.Decrement(ref failures) >= 0
                ? new HttpResponseMessage(HttpStatusCode.InternalServerError) { Content = new StringContent("{\"__type\":\"WAFInternalErrorException\",\"message\":\"oops\"}") }
                : null));
        using var waf = new Wafv2Client(options);

        var response = await waf.GetWebACLForResourceAsync(new GetWebACLForResourceRequest { ResourceArn = LbArn });

        Assert.Null(response.WebACL);
        Assert.Equal(1, recorder.CallsOf("WAFv2", "GetWebACLForResource"));
        Assert.Equal(2, recorder.Attempts["WAFv2:GetWebACLForResource"]);
    }
}
