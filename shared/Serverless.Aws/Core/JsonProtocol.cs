using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.Runtime.Internal.Transform;

namespace Serverless.Aws.Core;

/// <summary>
/// One AWS JSON 1.1 operation (WAFv2): a POST to <c>/</c> with <c>X-Amz-Target: &lt;targetPrefix&gt;.&lt;name&gt;</c>
/// and <c>Content-Type: application/x-amz-json-1.1</c>; the body is written and read by the service's
/// System.Text.Json source-generated context (no reflection: Native AOT).
/// </summary>
public sealed class JsonOperation<TRequest, TResponse> : ServiceOperation<TRequest, TResponse>
    where TRequest : AmazonWebServiceRequest
    where TResponse : AmazonWebServiceResponse, new()
{
    /// <summary>Creates the operation's marshaller and unmarshaller.</summary>
    /// <param name="service">The service (its exception factory and short name).</param>
    /// <param name="targetPrefix">The <c>X-Amz-Target</c> prefix, e.g. <c>AWSWAF_20190729</c>.</param>
    /// <param name="name">The operation, e.g. <c>AssociateWebACL</c>.</param>
    /// <param name="writeRequest">The request body as UTF-8 JSON.</param>
    /// <param name="readResponse">Reads a successful response body (UTF-8 JSON, <c>{}</c> when empty) into the response.</param>
    public JsonOperation(
        QueryServiceDescriptor service,
        string targetPrefix,
        string name,
        Func<TRequest, byte[]> writeRequest,
        Action<byte[], TResponse> readResponse)
        : base(
            name,
            new JsonRequestMarshaller<TRequest>(service, targetPrefix + "." + name, writeRequest),
            new JsonOperationUnmarshaller<TResponse>(service, name, readResponse))
    {
    }
}

/// <summary>Request and response bodies of AWS JSON operations, through a source-generated type (Native AOT).</summary>
public static class JsonBody
{
    /// <summary><paramref name="body"/> as UTF-8 JSON.</summary>
    public static byte[] Write<T>(T body, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(body, type);

    /// <summary>A response body; a JSON <c>null</c> is an error.</summary>
    public static T Read<T>(byte[] body, JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(body, type) ?? throw new JsonException("the response body is null");
}

internal sealed class JsonRequestMarshaller<TRequest>(
    QueryServiceDescriptor service,
    string target,
    Func<TRequest, byte[]> write) : IMarshaller<IRequest, AmazonWebServiceRequest>
    where TRequest : AmazonWebServiceRequest
{
    public IRequest Marshall(AmazonWebServiceRequest input)
    {
        var request = new DefaultRequest(input, service.ServiceId) { HttpMethod = "POST", ResourcePath = "/" };
        request.Headers["X-Amz-Target"] = target;
        request.Headers["Content-Type"] = "application/x-amz-json-1.1";
        request.Content = write((TRequest)input);
        return request;
    }
}

internal sealed class JsonOperationUnmarshaller<TResponse>(
    QueryServiceDescriptor service,
    string name,
    Action<byte[], TResponse> read) : JsonResponseUnmarshaller
    where TResponse : AmazonWebServiceResponse, new()
{
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    public override AmazonWebServiceResponse Unmarshall(JsonUnmarshallerContext input)
    {
        var body = ReadAll(input.Stream);
        var response = new TResponse();
        try
        {
            read(body.Length == 0 ? EmptyObject : body, response);
        }
        catch (JsonException ex)
        {
            throw new AmazonUnmarshallingException(string.Empty, string.Empty, $"{service.ShortName} {name}: the response is not the expected JSON", ex, HttpStatusCode.OK);
        }
        response.ResponseMetadata = new ResponseMetadata { RequestId = input.ResponseData?.GetHeaderValue("x-amzn-RequestId") ?? string.Empty };
        return response;
    }

    public override AmazonServiceException UnmarshallException(JsonUnmarshallerContext input, Exception innerException, HttpStatusCode statusCode)
    {
        var error = JsonErrors.Parse(ReadAll(input.Stream), input.ResponseData?.GetHeaderValue("x-amzn-ErrorType"));
        var code = error.Code ?? ((int)statusCode >= 500 ? "InternalFailure" : "HttpStatus" + ((int)statusCode).ToString(CultureInfo.InvariantCulture));
        var message = string.IsNullOrEmpty(error.Message) ? $"{name} failed with HTTP {(int)statusCode}" : error.Message;
        var type = (int)statusCode >= 500 ? ErrorType.Receiver : ErrorType.Sender;
        var requestId = input.ResponseData?.GetHeaderValue("x-amzn-RequestId") ?? string.Empty;
        return service.CreateException(new AwsErrorDetails(code, message, type, requestId, statusCode, innerException));
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}

/// <summary>Reads AWS JSON error responses (<c>{"__type": "...#Code", "message": "..."}</c>).</summary>
internal static class JsonErrors
{
    /// <summary>
    /// The error code and message of a JSON error body. The code is <c>__type</c> (namespace before <c>#</c> dropped),
    /// else the <c>x-amzn-ErrorType</c> header (anything after <c>:</c> dropped); null when neither names one.
    /// A body that is not JSON (a proxy's HTML page) yields no message.
    /// </summary>
    public static (string? Code, string? Message) Parse(byte[] body, string? errorTypeHeader)
    {
        JsonErrorBody? parsed = null;
        try
        {
            if (body.Length > 0)
                parsed = JsonSerializer.Deserialize(body, CoreJsonContext.Default.JsonErrorBody);
        }
        catch (JsonException)
        {
            // not JSON: the status decides
        }
        var code = Strip(parsed?.Type, '#', takeAfter: true) ?? Strip(errorTypeHeader, ':', takeAfter: false);
        return (code, parsed?.LowerMessage ?? parsed?.Message);

        static string? Strip(string? value, char separator, bool takeAfter)
        {
            if (string.IsNullOrWhiteSpace(value))
                return null;
            var at = value.IndexOf(separator, StringComparison.Ordinal);
            var result = at < 0 ? value : takeAfter ? value[(at + 1)..] : value[..at];
            return result.Trim() is { Length: > 0 } trimmed ? trimmed : null;
        }
    }
}

internal sealed record JsonErrorBody
{
    [JsonPropertyName("__type")]
    public string? Type { get; init; }

    [JsonPropertyName("message")]
    public string? LowerMessage { get; init; }

    [JsonPropertyName("Message")]
    public string? Message { get; init; }
}

[JsonSerializable(typeof(JsonErrorBody))]
internal sealed partial class CoreJsonContext : JsonSerializerContext;
