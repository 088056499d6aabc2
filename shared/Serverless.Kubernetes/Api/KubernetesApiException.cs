using System.Net;

namespace Serverless.Kubernetes.Api;

/// <summary>A Kubernetes API call that failed, with its HTTP status (0 when no response came).</summary>
public sealed class KubernetesApiException : Exception
{
    public KubernetesApiException()
    {
    }

    public KubernetesApiException(string message)
        : base(message)
    {
    }

    public KubernetesApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KubernetesApiException(HttpStatusCode statusCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    /// <summary>The HTTP status of the response.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>409: a stale <c>resourceVersion</c> (or an object that already exists).</summary>
    public bool IsConflict => StatusCode == HttpStatusCode.Conflict;

    /// <summary>404.</summary>
    public bool IsNotFound => StatusCode == HttpStatusCode.NotFound;

    /// <summary>403: the controller's identity is not allowed this call (RBAC).</summary>
    public bool IsForbidden => StatusCode == HttpStatusCode.Forbidden;
}
