using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Serverless.Lambda;

namespace Serverless.Functions.Tests;

/// <summary>The <see cref="ILogger"/> adapter over the Lambda JSON logger.</summary>
public sealed partial class LoggerAdapterTests
{
    private static readonly DateTimeOffset Noon = DateTimeOffset.Parse("2026-11-23T12:00:00Z", CultureInfo.InvariantCulture);

    private sealed class Pair(string field, string? before, string? after) : IReadOnlyList<KeyValuePair<string, string?>>
    {
        private readonly KeyValuePair<string, string?>[] _items = [new("field", field), new("before", before), new("after", after)];

        public int Count => _items.Length;

        public KeyValuePair<string, string?> this[int index] => _items[index];

        public IEnumerator<KeyValuePair<string, string?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, string?>>)_items).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"{_items[0].Value}: {_items[1].Value ?? "(none)"} → {_items[2].Value ?? "(none)"}";
    }

    [LoggerMessage(EventId = 7, EventName = "Sample", Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "{Operation} on {ResourceId} [{Changes}] request {AwsRequestId} took {ElapsedMs} ms")]
    private static partial void Sample(ILogger logger, string operation, string resourceId, IReadOnlyList<Pair> changes, string? awsRequestId, long elapsedMs);

    [LoggerMessage(EventId = 8, Level = Microsoft.Extensions.Logging.LogLevel.Debug, Message = "detail {Message}")]
    private static partial void Detail(ILogger logger, string message);

    [LoggerMessage(EventId = 9, Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "failed {Operation}")]
    private static partial void Failed(ILogger logger, Exception error, string operation);

    [Fact]
    public void An_entry_is_one_JSON_line_with_level_message_category_event_and_every_named_value_as_a_field()
    {
        var output = new CapturedOutput();
        var logger = new LambdaLogger(output, Lambda.LogLevel.Info, new ManualTime(Noon)).ForCategory("Serverless.Deploy");
        LambdaLogger.Enter(new InvocationScope("lambda-req-1", null));
        try
        {
            Sample(logger, "ModifyListener", "listener:443", [new Pair("port", "80", "443"), new Pair("certificate c1", null, "present")], "aws-req-9", 12);
        }
        finally
        {
            LambdaLogger.Enter(null);
        }

        var line = Assert.Single(output.Lines);
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal("2026-11-23T12:00:00.000Z", root.GetProperty("timestamp").GetString());
        Assert.Equal("INFO", root.GetProperty("level").GetString());
        Assert.Equal("ModifyListener on listener:443 [port: 80 → 443, certificate c1: (none) → present] request aws-req-9 took 12 ms", root.GetProperty("message").GetString());
        Assert.Equal("lambda-req-1", root.GetProperty("requestId").GetString());
        Assert.Equal("Serverless.Deploy", root.GetProperty("category").GetString());
        Assert.Equal("Sample", root.GetProperty("event").GetString());
        Assert.Equal("ModifyListener", root.GetProperty("operation").GetString());
        Assert.Equal("listener:443", root.GetProperty("resourceId").GetString());
        Assert.Equal("aws-req-9", root.GetProperty("awsRequestId").GetString());
        Assert.Equal(12, root.GetProperty("elapsedMs").GetInt64());
        var changes = root.GetProperty("changes").EnumerateArray().ToList();
        Assert.Equal(2, changes.Count);
        Assert.Equal("port", changes[0].GetProperty("field").GetString());
        Assert.Equal("80", changes[0].GetProperty("before").GetString());
        Assert.Equal("443", changes[0].GetProperty("after").GetString());
        Assert.Equal(JsonValueKind.Null, changes[1].GetProperty("before").ValueKind);
        Assert.False(root.TryGetProperty("{OriginalFormat}", out _));
    }

    [Fact]
    public void Entries_below_the_minimum_level_are_dropped_and_exceptions_and_reserved_names_are_kept_apart()
    {
        var output = new CapturedOutput();
        var logger = new LambdaLogger(output, Lambda.LogLevel.Info).ForCategory("test");

        Assert.False(logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug));
        Assert.True(logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Warning));
        Assert.False(logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.None));
        Detail(logger, "hidden");
        Failed(logger, new InvalidOperationException("boom"), "DeleteRule");

        using var json = JsonDocument.Parse(Assert.Single(output.Lines));
        Assert.Equal("WARN", json.RootElement.GetProperty("level").GetString());
        Assert.Equal("failed DeleteRule", json.RootElement.GetProperty("message").GetString());
        Assert.Equal("boom", json.RootElement.GetProperty("errorMessage").GetString());
        Assert.Equal("DeleteRule", json.RootElement.GetProperty("operation").GetString());

        var debug = new CapturedOutput();
        Detail(new LambdaLogger(debug, Lambda.LogLevel.Debug).ForCategory("test"), "shown");
        using var detail = JsonDocument.Parse(Assert.Single(debug.Lines));
        Assert.Equal("DEBUG", detail.RootElement.GetProperty("level").GetString());
        Assert.Equal("detail shown", detail.RootElement.GetProperty("message").GetString());
        Assert.Equal("shown", detail.RootElement.GetProperty("field.message").GetString()); // not the line's own "message"
    }
}
