using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using MsLogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Serverless.Lambda;

/// <summary>
/// An <see cref="ILogger"/> over the <see cref="LambdaLogger"/>: one JSON line per entry with the level, the formatted
/// message, the category, the event and every named value of the entry as a field (camelCase; a list of name/value
/// pairs becomes an object). No reflection: the values come from the entry's state as name/value pairs, which
/// source-generated <c>[LoggerMessage]</c> methods provide. Scopes are not kept.
/// </summary>
public sealed class LambdaLoggerAdapter(LambdaLogger logger, string category) : ILogger
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "timestamp", "level", "message", "requestId", "traceId", "errorType", "errorMessage", "stackTrace", "category", "event",
    };

    /// <summary>The logger lines go to.</summary>
    public LambdaLogger Logger { get; } = logger ?? throw new ArgumentNullException(nameof(logger));

    /// <inheritdoc />
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <inheritdoc />
    public bool IsEnabled(MsLogLevel logLevel) => Map(logLevel) is { } level && Logger.IsEnabled(level);

    /// <inheritdoc />
    public void Log<TState>(MsLogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (Map(logLevel) is not { } level || !Logger.IsEnabled(level))
            return;
        var fields = new List<(string Name, object? Value)> { ("category", category) };
        if (eventId.Id != 0 || eventId.Name is not null)
            fields.Add(("event", eventId.Name ?? eventId.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (state is IEnumerable<KeyValuePair<string, object?>> values)
        {
            foreach (var (name, value) in values)
            {
                if (name == "{OriginalFormat}")
                    continue;
                var field = CamelCase(name);
                fields.Add((Reserved.Contains(field) ? "field." + field : field, value));
            }
        }
        Logger.Log(level, formatter(state, exception), exception, CollectionsMarshal.AsSpan(fields));
    }

    /// <summary>The Lambda level of a Microsoft.Extensions.Logging level; null for <c>None</c>.</summary>
    public static LogLevel? Map(MsLogLevel level) => level switch
    {
        MsLogLevel.Trace => LogLevel.Trace,
        MsLogLevel.Debug => LogLevel.Debug,
        MsLogLevel.Information => LogLevel.Info,
        MsLogLevel.Warning => LogLevel.Warn,
        MsLogLevel.Error => LogLevel.Error,
        MsLogLevel.Critical => LogLevel.Fatal,
        _ => null,
    };

    private static string CamelCase(string name) =>
        name.Length == 0 || char.IsLower(name[0]) ? name : string.Concat(char.ToLowerInvariant(name[0]).ToString(), name.AsSpan(1));
}
