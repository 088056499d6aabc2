using System.Globalization;
using System.Net;
using System.Xml;
using System.Xml.Linq;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.Runtime.Internal.Transform;

namespace Serverless.Aws.Core;

/// <summary>What the Query-protocol runtime needs to know about one service.</summary>
/// <param name="ServiceId">The model's <c>serviceId</c>, e.g. <c>Elastic Load Balancing v2</c>; drives <c>AWS_ENDPOINT_URL_*</c>.</param>
/// <param name="ShortName">The name used in call counts and logs, e.g. <c>ELBv2</c>.</param>
/// <param name="ApiVersion">The <c>Version</c> parameter, e.g. <c>2015-12-01</c>.</param>
/// <param name="EndpointPrefix">The endpoint host prefix and SigV4 service name, e.g. <c>elasticloadbalancing</c>.</param>
/// <param name="CreateException">Turns a parsed error response into the service's typed exception.</param>
public sealed record QueryServiceDescriptor(
    string ServiceId,
    string ShortName,
    string ApiVersion,
    string EndpointPrefix,
    Func<AwsErrorDetails, AmazonServiceException> CreateException);

/// <summary>An AWS error response as parsed from the wire.</summary>
/// <param name="Code">The AWS error code, e.g. <c>LoadBalancerNotFound</c>.</param>
/// <param name="Message">The service's message.</param>
/// <param name="Type">Sender or Receiver (<see cref="ErrorType"/>).</param>
/// <param name="RequestId">The request id AWS assigned (for support cases and logs).</param>
/// <param name="StatusCode">The HTTP status.</param>
/// <param name="InnerException">What the SDK caught (the HTTP error).</param>
public sealed record AwsErrorDetails(
    string Code,
    string Message,
    ErrorType Type,
    string RequestId,
    HttpStatusCode StatusCode,
    Exception? InnerException);

/// <summary>One operation of any wire protocol: its name, how its request is written and how its response is read.</summary>
public abstract class ServiceOperation<TRequest, TResponse>
    where TRequest : AmazonWebServiceRequest
    where TResponse : AmazonWebServiceResponse, new()
{
    private protected ServiceOperation(string name, IMarshaller<IRequest, AmazonWebServiceRequest> marshaller, ResponseUnmarshaller unmarshaller)
    {
        Name = name;
        Marshaller = marshaller;
        Unmarshaller = unmarshaller;
    }

    /// <summary>The operation's name (the Query <c>Action</c>, the JSON <c>X-Amz-Target</c> suffix).</summary>
    public string Name { get; }

    internal IMarshaller<IRequest, AmazonWebServiceRequest> Marshaller { get; }

    internal ResponseUnmarshaller Unmarshaller { get; }
}

/// <summary>One Query-protocol operation (form parameters in, XML out).</summary>
public sealed class QueryOperation<TRequest, TResponse> : ServiceOperation<TRequest, TResponse>
    where TRequest : AmazonWebServiceRequest
    where TResponse : AmazonWebServiceResponse, new()
{
    /// <summary>Creates the operation's marshaller and unmarshaller.</summary>
    public QueryOperation(
        QueryServiceDescriptor service,
        string name,
        Action<QueryParameters, TRequest> writeRequest,
        Action<XElement, TResponse> readResult)
        : base(
            name,
            new QueryRequestMarshaller<TRequest>(service, name, writeRequest),
            new QueryResponseUnmarshaller<TResponse>(service, name, readResult))
    {
    }
}

/// <summary>
/// The form parameters of one Query request. Lists are written <c>Name.member.N</c> (1-based); an empty list is
/// written as <c>Name=</c> so AWS sees "set to empty" rather than "not set"; maps as <c>Name.entry.N.key/value</c>.
/// </summary>
public sealed class QueryParameters(IDictionary<string, string> target)
{
    /// <summary>Sets a string parameter.</summary>
    public void Add(string name, string value) => target[name] = value;

    /// <summary>Sets an integer parameter.</summary>
    public void Add(string name, int value) => target[name] = value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Sets a long parameter.</summary>
    public void Add(string name, long value) => target[name] = value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Sets a boolean parameter (<c>true</c>/<c>false</c>).</summary>
    public void Add(string name, bool value) => target[name] = value ? "true" : "false";

    /// <summary>Sets a floating-point parameter (shortest round-trip form).</summary>
    public void Add(string name, double value) => target[name] = value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Sets a timestamp parameter (ISO 8601, UTC, milliseconds).</summary>
    public void Add(string name, DateTime value) =>
        target[name] = value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Writes a list of structures, each through <paramref name="write"/> under <c>name.member.N.</c>.</summary>
    public void AddList<T>(string name, List<T> items, Action<QueryParameters, string, T> write)
    {
        if (items.Count == 0)
        {
            target[name] = string.Empty;
            return;
        }
        for (var i = 0; i < items.Count; i++)
            write(this, name + ".member." + (i + 1).ToString(CultureInfo.InvariantCulture) + ".", items[i]);
    }

    /// <summary>Writes a list of strings as <c>name.member.N</c>.</summary>
    public void AddList(string name, List<string> items)
    {
        if (items.Count == 0)
        {
            target[name] = string.Empty;
            return;
        }
        for (var i = 0; i < items.Count; i++)
            target[name + ".member." + (i + 1).ToString(CultureInfo.InvariantCulture)] = items[i];
    }

    /// <summary>Writes a string map as <c>name.entry.N.key</c> / <c>name.entry.N.value</c>, in key order.</summary>
    public void AddMap(string name, Dictionary<string, string> map)
    {
        if (map.Count == 0)
        {
            target[name] = string.Empty;
            return;
        }
        var i = 0;
        foreach (var (key, value) in map.OrderBy(static kv => kv.Key, StringComparer.Ordinal))
        {
            i++;
            var prefix = name + ".entry." + i.ToString(CultureInfo.InvariantCulture);
            target[prefix + ".key"] = key;
            target[prefix + ".value"] = value;
        }
    }
}

/// <summary>Readers for the XML of Query-protocol responses.</summary>
public static class QueryXml
{
    /// <summary>Element text.</summary>
    public static string ReadString(XElement e) => e.Value;

    /// <summary>Element text as an integer.</summary>
    public static int ReadInt(XElement e) => int.Parse(e.Value, NumberStyles.Integer, CultureInfo.InvariantCulture);

    /// <summary>Element text as a long.</summary>
    public static long ReadLong(XElement e) => long.Parse(e.Value, NumberStyles.Integer, CultureInfo.InvariantCulture);

    /// <summary>Element text as a double.</summary>
    public static double ReadDouble(XElement e) => double.Parse(e.Value, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>Element text as a boolean (<c>true</c>/<c>false</c>, any case).</summary>
    public static bool ReadBool(XElement e) => bool.Parse(e.Value.Trim());

    /// <summary>ISO 8601 timestamp with any fraction of a second (AWS sends milliseconds, moto microseconds), as UTC.</summary>
    public static DateTime ReadTimestamp(XElement e) =>
        DateTime.Parse(e.Value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    /// <summary>The <c>member</c> children of a list element, each read by <paramref name="read"/>.</summary>
    public static List<T> ReadList<T>(XElement e, Func<XElement, T> read)
    {
        var list = new List<T>();
        foreach (var item in e.Elements())
        {
            if (item.Name.LocalName == "member")
                list.Add(read(item));
        }
        return list;
    }

    /// <summary>The <c>entry</c> children (<c>key</c>/<c>value</c>) of a map element.</summary>
    public static Dictionary<string, string> ReadMap(XElement e)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in e.Elements())
        {
            if (entry.Name.LocalName != "entry")
                continue;
            string? key = null, value = null;
            foreach (var part in entry.Elements())
            {
                if (part.Name.LocalName == "key")
                    key = part.Value;
                else if (part.Name.LocalName == "value")
                    value = part.Value;
            }
            if (key is not null)
                map[key] = value ?? string.Empty;
        }
        return map;
    }
}

internal sealed class QueryRequestMarshaller<TRequest>(
    QueryServiceDescriptor service,
    string action,
    Action<QueryParameters, TRequest> write) : IMarshaller<IRequest, AmazonWebServiceRequest>
    where TRequest : AmazonWebServiceRequest
{
    public IRequest Marshall(AmazonWebServiceRequest input)
    {
        var request = new DefaultRequest(input, service.ServiceId) { HttpMethod = "POST" };
        request.Parameters.Add("Action", action);
        request.Parameters.Add("Version", service.ApiVersion);
        write(new QueryParameters(request.Parameters), (TRequest)input);
        return request;
    }
}

internal sealed class QueryResponseUnmarshaller<TResponse>(
    QueryServiceDescriptor service,
    string action,
    Action<XElement, TResponse> readResult) : XmlResponseUnmarshaller
    where TResponse : AmazonWebServiceResponse, new()
{
    private readonly string _resultName = action + "Result";

    public override AmazonWebServiceResponse Unmarshall(XmlUnmarshallerContext input)
    {
        var response = new TResponse();
        XDocument document;
        try
        {
            document = XDocument.Load(input.Stream);
        }
        catch (XmlException ex)
        {
            throw new AmazonUnmarshallingException(string.Empty, string.Empty, $"{service.ShortName} {action}: the response is not XML", ex, HttpStatusCode.OK);
        }
        foreach (var child in document.Root?.Elements() ?? [])
        {
            if (child.Name.LocalName == _resultName)
            {
                readResult(child, response);
            }
            else if (child.Name.LocalName == "ResponseMetadata")
            {
                var requestId = child.Elements().FirstOrDefault(static e => e.Name.LocalName == "RequestId")?.Value;
                response.ResponseMetadata = new ResponseMetadata { RequestId = requestId };
            }
        }
        return response;
    }

    public override AmazonServiceException UnmarshallException(XmlUnmarshallerContext input, Exception innerException, HttpStatusCode statusCode)
    {
        ErrorResponse? error = null;
        try
        {
            error = XmlErrorResponseUnmarshaller.GetInstance().Unmarshall(input);
        }
        catch (XmlException)
        {
            // A non-XML error body (a proxy's HTML page, a bare 5xx): keep the status, name the code after it.
        }
        var code = string.IsNullOrEmpty(error?.Code)
            ? ((int)statusCode >= 500 ? "InternalFailure" : "HttpStatus" + ((int)statusCode).ToString(CultureInfo.InvariantCulture))
            : error.Code;
        var message = string.IsNullOrEmpty(error?.Message) ? $"{action} failed with HTTP {(int)statusCode}" : error.Message;
        var type = error?.Type ?? ((int)statusCode >= 500 ? ErrorType.Receiver : ErrorType.Sender);
        return service.CreateException(new AwsErrorDetails(code, message, type, error?.RequestId ?? string.Empty, statusCode, innerException));
    }
}
