using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Serverless.Lambda;

/// <summary>Log levels, lowest first. Read from <c>LOG_LEVEL</c> (or Lambda's <c>AWS_LAMBDA_LOG_LEVEL</c>).</summary>
public enum LogLevel
{
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

/// <summary>The request and trace ids of the invocation being handled; stamped on every log and metric line.</summary>
/// <param name="RequestId">The Lambda request id.</param>
/// <param name="TraceId">The X-Ray trace id, or null.</param>
public sealed record InvocationScope(string RequestId, string? TraceId);

/// <summary>
/// Structured JSON logs, one object per line on stdout (CloudWatch Logs keeps each line as one event):
/// <c>{"timestamp":"…","level":"INFO","message":"…","requestId":"…","traceId":"…", …fields}</c>.
/// The invocation scope flows with the async context, so concurrent invocations of the local host log their own ids.
/// Thread-safe.
/// </summary>
public sealed class LambdaLogger
{
    private static readonly AsyncLocal<InvocationScope?> CurrentScope = new();
    private readonly TextWriter _output;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    public LambdaLogger(TextWriter output, LogLevel minimumLevel = LogLevel.Info, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        MinimumLevel = minimumLevel;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Lines below this level are dropped.</summary>
    public LogLevel MinimumLevel { get; }

    /// <summary>The scope of the invocation running on this async flow, or null outside one.</summary>
    public static InvocationScope? Scope => CurrentScope.Value;

    /// <summary>A logger on stdout at the level named by <c>LOG_LEVEL</c> / <c>AWS_LAMBDA_LOG_LEVEL</c> (default INFO).</summary>
    public static LambdaLogger FromEnvironment(TextWriter? output = null) =>
        new(output ?? Console.Out, ParseLevel(Environment.GetEnvironmentVariable("LOG_LEVEL") ?? Environment.GetEnvironmentVariable("AWS_LAMBDA_LOG_LEVEL")));

    /// <summary>The level for a name (case-insensitive; WARNING = WARN); INFO when null or unknown.</summary>
    public static LogLevel ParseLevel(string? name) => name?.Trim().ToUpperInvariant() switch
    {
        "TRACE" => LogLevel.Trace,
        "DEBUG" => LogLevel.Debug,
        "WARN" or "WARNING" => LogLevel.Warn,
        "ERROR" => LogLevel.Error,
        "FATAL" => LogLevel.Fatal,
        _ => LogLevel.Info,
    };

    /// <summary>Runs the rest of this async flow inside <paramref name="scope"/> (null: outside any invocation).</summary>
    public static void Enter(InvocationScope? scope) => CurrentScope.Value = scope;

    /// <summary>True when a line at <paramref name="level"/> would be written.</summary>
    public bool IsEnabled(LogLevel level) => level >= MinimumLevel;

    public void Debug(string message, params ReadOnlySpan<(string Name, object? Value)> fields) => Log(LogLevel.Debug, message, null, fields);

    public void Info(string message, params ReadOnlySpan<(string Name, object? Value)> fields) => Log(LogLevel.Info, message, null, fields);

    public void Warn(string message, params ReadOnlySpan<(string Name, object? Value)> fields) => Log(LogLevel.Warn, message, null, fields);

    public void Error(string message, Exception? exception, params ReadOnlySpan<(string Name, object? Value)> fields) => Log(LogLevel.Error, message, exception, fields);

    /// <summary>An <see cref="Microsoft.Extensions.Logging.ILogger"/> writing through this logger (for libraries that log with one, like the deployer).</summary>
    public Microsoft.Extensions.Logging.ILogger ForCategory(string category) => new LambdaLoggerAdapter(this, category);

    /// <summary>
    /// Writes one line when <paramref name="level"/> is enabled. Field values: strings, numbers, booleans, TimeSpans
    /// (milliseconds), lists of strings (arrays), lists of name/value string pairs (arrays of objects), anything else as its string.
    /// </summary>
    public void Log(LogLevel level, string message, Exception? exception, params ReadOnlySpan<(string Name, object? Value)> fields)
    {
        if (!IsEnabled(level))
            return;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("timestamp", _time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            writer.WriteString("level", level.ToString().ToUpperInvariant());
            writer.WriteString("message", message);
            WriteScope(writer);
            foreach (var (name, value) in fields)
                WriteValue(writer, name, value);
            if (exception is not null)
            {
                writer.WriteString("errorType", exception.GetType().FullName);
                writer.WriteString("errorMessage", exception.Message);
                writer.WriteString("stackTrace", exception.ToString());
            }
            writer.WriteEndObject();
        }
        WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    /// <summary>Writes a pre-formatted JSON line (metrics) with the same lock as log lines.</summary>
    internal void WriteLine(string line)
    {
        lock (_gate)
        {
            _output.WriteLine(line);
            _output.Flush();
        }
    }

    internal static void WriteScope(Utf8JsonWriter writer)
    {
        if (CurrentScope.Value is { } scope)
        {
            writer.WriteString("requestId", scope.RequestId);
            if (scope.TraceId is not null)
                writer.WriteString("traceId", scope.TraceId);
        }
    }

    internal static void WriteValue(Utf8JsonWriter writer, string name, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNull(name);
                break;
            case string s:
                writer.WriteString(name, s);
                break;
            case bool b:
                writer.WriteBoolean(name, b);
                break;
            case int i:
                writer.WriteNumber(name, i);
                break;
            case long l:
                writer.WriteNumber(name, l);
                break;
            case double d:
                writer.WriteNumber(name, d);
                break;
            case TimeSpan t:
                writer.WriteNumber(name, Math.Round(t.TotalMilliseconds, 1));
                break;
            case DateTimeOffset at:
                writer.WriteString(name, at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                break;
            case IEnumerable<IEnumerable<KeyValuePair<string, string?>>> objects:
                writer.WriteStartArray(name);
                foreach (var item in objects)
                {
                    writer.WriteStartObject();
                    foreach (var (key, text) in item)
                    {
                        if (text is null)
                            writer.WriteNull(key);
                        else
                            writer.WriteString(key, text);
                    }
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
                break;
            case IEnumerable<string> list:
                writer.WriteStartArray(name);
                foreach (var item in list)
                    writer.WriteStringValue(item);
                writer.WriteEndArray();
                break;
            default:
                writer.WriteString(name, Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}
