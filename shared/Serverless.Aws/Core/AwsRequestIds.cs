using System.Runtime.CompilerServices;

namespace Serverless.Aws.Core;

/// <summary>
/// Hands the AWS request id of a call to whoever started it, across layers whose results do not carry it (the EC2
/// gateway returns plain values). The caller opens a capture on its async flow; the layer that sees the response (or
/// the error) reports the id into it. Without an open capture a report does nothing.
/// </summary>
public static class AwsRequestIds
{
    private static readonly AsyncLocal<StrongBox<string?>?> Current = new();

    /// <summary>Opens a capture for the rest of this async flow (the calling method and what it awaits); read its <c>Value</c> afterwards.</summary>
    public static StrongBox<string?> Capture()
    {
        var box = new StrongBox<string?>();
        Current.Value = box;
        return box;
    }

    /// <summary>Reports the request id of a response or error to the open capture, if any (null and empty ids are ignored).</summary>
    public static void Report(string? requestId)
    {
        if (!string.IsNullOrEmpty(requestId) && Current.Value is { } box)
            box.Value = requestId;
    }
}
