using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Serverless.Forwarder;

/// <summary>Structured logs: one JSON object per line on stdout (<c>time</c>, <c>level</c>, <c>msg</c>, then fields).</summary>
public sealed class JsonLog
{
    private static readonly string[] Levels = ["debug", "info", "warn", "error"];
    private readonly object _lock = new();
    private readonly TextWriter _out;
    private readonly int _minimum;

    public JsonLog(string level = "info", TextWriter? output = null)
    {
        _out = output ?? Console.Out;
        _minimum = Math.Max(0, Array.IndexOf(Levels, level.ToLowerInvariant()));
    }

    /// <summary>A logger that writes nothing.</summary>
    public static JsonLog None { get; } = new("error", TextWriter.Null);

    public void Debug(string message, params ReadOnlySpan<(string Name, object? Value)> fields) => Write(0, message, fields);

    public void Info(string message, params ReadOnlySpan<(string Name, object? Value)> fields) => Write(1, message, fields);

    public void Warn(string message, params ReadOnlySpan<(string Name, object? Value)> fields) => Write(2, message, fields);

    public void Error(string message, params ReadOnlySpan<(string Name, object? Value)> fields) => Write(3, message, fields);

    private void Write(int level, string message, ReadOnlySpan<(string Name, object? Value)> fields)
    {
        if (level < _minimum)
            return;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("time", DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("level", Levels[level]);
            json.WriteString("msg", message);
            foreach (var (name, value) in fields)
            {
                switch (value)
                {
                    case null:
                        json.WriteNull(name);
                        break;
                    case int or long or double:
                        json.WriteNumber(name, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                        break;
                    case bool b:
                        json.WriteBoolean(name, b);
                        break;
                    case Exception e:
                        json.WriteString(name, e.GetType().Name + ": " + e.Message);
                        break;
                    default:
                        json.WriteString(name, Convert.ToString(value, CultureInfo.InvariantCulture));
                        break;
                }
            }
            json.WriteEndObject();
        }
        var line = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        lock (_lock)
        {
            _out.WriteLine(line);
            _out.Flush();
        }
    }
}
