using System.Text;

namespace Serverless.Kubernetes.Manifests;

/// <summary>
/// One problem in a manifest, precise enough to fix without searching: the file, the document (1-based, counting
/// non-empty documents), the object, the line and column, the field and what is wrong. For example
/// <c>examples/echo.yaml document 3 (Ingress default/echo), line 27 col 21: spec.rules[0].http.paths[0].pathType: unknown value "Foo" (expected Exact, Prefix or ImplementationSpecific)</c>.
/// </summary>
/// <param name="Source">The file as the caller named it (or the text's source name).</param>
/// <param name="Document">The 1-based document index within the file, when the problem is inside one.</param>
/// <param name="Object">The object, e.g. <c>Ingress default/echo</c>, when known.</param>
/// <param name="Line">The 1-based line in the file, when known.</param>
/// <param name="Column">The 1-based column, when known.</param>
/// <param name="Field">The field path, e.g. <c>spec.rules[0].host</c>, when the problem is about one field.</param>
/// <param name="Message">What is wrong and what is expected.</param>
public sealed record ManifestError(
    string Source,
    int? Document,
    string? Object,
    int? Line,
    int? Column,
    string? Field,
    string Message)
{
    /// <summary>The one-line form.</summary>
    public override string ToString()
    {
        var text = new StringBuilder(Source);
        if (Document is { } document)
            text.Append(" document ").Append(document);
        if (Object is not null)
            text.Append(" (").Append(Object).Append(')');
        if (Line is { } line)
        {
            text.Append(Document is null && Object is null ? " " : ", ");
            text.Append("line ").Append(line);
            if (Column is { } column)
                text.Append(" col ").Append(column);
        }
        text.Append(": ");
        if (!string.IsNullOrEmpty(Field))
            text.Append(Field).Append(": ");
        text.Append(Message);
        return text.ToString();
    }
}

/// <summary>Raised by <see cref="ManifestSet.EnsureValid"/>: every error of a load, not just the first.</summary>
public sealed class ManifestException : Exception
{
    /// <summary>An exception listing <paramref name="errors"/>.</summary>
    public ManifestException(IReadOnlyList<ManifestError> errors)
        : base(Describe(errors ?? throw new ArgumentNullException(nameof(errors))))
    {
        Errors = errors;
    }

    /// <summary>Not for use: a manifest exception needs its errors.</summary>
    public ManifestException()
        : this([])
    {
    }

    /// <summary>Not for use: a manifest exception needs its errors.</summary>
    public ManifestException(string message)
        : base(message)
    {
        Errors = [];
    }

    /// <summary>Not for use: a manifest exception needs its errors.</summary>
    public ManifestException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    /// <summary>Every error, in file and document order.</summary>
    public IReadOnlyList<ManifestError> Errors { get; }

    private static string Describe(IReadOnlyList<ManifestError> errors) =>
        errors.Count switch
        {
            0 => "invalid manifests",
            1 => errors[0].ToString(),
            _ => $"{errors.Count} errors in manifests:\n" + string.Join('\n', errors.Select(static e => "  " + e)),
        };
}
