using System.Web;

namespace Serverless.Testing.FakeKubernetes;

/// <summary>One request the fake API server received, recorded before any injected failure is applied.</summary>
/// <param name="Method">HTTP method.</param>
/// <param name="Verb">Kubernetes verb: <c>get</c>, <c>list</c>, <c>watch</c>, <c>create</c>, <c>update</c>, <c>patch</c>, <c>delete</c>, <c>deletecollection</c>, or <c>discovery</c> / <c>other</c>.</param>
/// <param name="Path">URL path.</param>
/// <param name="Query">Raw query string including the leading <c>?</c>, or empty.</param>
/// <param name="Resource">The resource type addressed, if any.</param>
/// <param name="Namespace">The namespace in the path, if any.</param>
/// <param name="Name">The object name in the path, if any.</param>
/// <param name="Subresource">The subresource (<c>status</c>), if any.</param>
/// <param name="ContentType">The request's content type (patch type), if any.</param>
public sealed record FakeRequest(
    string Method,
    string Verb,
    string Path,
    string Query,
    FakeResourceType? Resource,
    string? Namespace,
    string? Name,
    string? Subresource,
    string? ContentType)
{
    /// <summary>The plural of the addressed resource, or null.</summary>
    public string? Plural => Resource?.Plural;

    /// <summary>A query parameter's value, or null.</summary>
    public string? QueryValue(string name) => HttpUtility.ParseQueryString(Query)[name];

    /// <inheritdoc />
    public override string ToString() => $"{Verb} {Method} {Path}{Query}";
}

/// <summary>An API error (a Kubernetes <c>Status</c> with a code and reason); thrown by the fake's direct methods too.</summary>
public sealed class FakeApiException : Exception
{
    public FakeApiException()
    {
        Reason = "InternalError";
    }

    public FakeApiException(string message)
        : base(message)
    {
        Reason = "InternalError";
    }

    public FakeApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = "InternalError";
    }

    public FakeApiException(int code, string reason, string message)
        : base(message)
    {
        Code = code;
        Reason = reason;
    }

    /// <summary>HTTP status code (404, 409, 410, 422, 500...).</summary>
    public int Code { get; } = 500;

    /// <summary>Kubernetes reason (<c>NotFound</c>, <c>Conflict</c>, <c>AlreadyExists</c>, <c>Expired</c>...).</summary>
    public string Reason { get; }
}
