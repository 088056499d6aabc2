using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Serverless.Forwarder.Tests;

/// <summary>
/// The forwarder's response reader: list items and watch lines come out whole and in order however the body is
/// split into reads, and its buffer grows to the largest single item, not to the page.
/// </summary>
public sealed class JsonBodyReaderTests
{
    private static string Item(int i, int padding = 0) =>
        $$$"""{"metadata":{"name":"node-{{{i}}}","resourceVersion":"{{{i}}}"},"spec":{"pad":"{{{new string('x', padding)}}}","list":[1,{"a":[]}]}}""";

    private static async Task<List<string>> ReadItemsAsync(JsonBodyReader reader)
    {
        var items = new List<string>();
        while (await reader.ReadListItemAsync(CancellationToken.None) is { } item)
            items.Add(Encoding.UTF8.GetString(item.Span));
        return items;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task A_list_page_comes_out_item_by_item_through_a_buffer_the_size_of_one_item(int chunk)
    {
        var items = Enumerable.Range(0, 3_000).Select(i => Item(i)).ToList();
        var body = $$$"""{"kind":"NodeList","apiVersion":"v1","metadata":{"resourceVersion":"4711","continue":"next-page","remainingItemCount":3},"items":[{{{string.Join(",", items)}}}]}""";
        Assert.True(body.Length > 250_000);
        var reader = new JsonBodyReader(new ChunkedStream(body, chunk));

        Assert.Equal(items, await ReadItemsAsync(reader));

        Assert.Equal("4711", reader.ListResourceVersion);
        Assert.Equal("next-page", reader.ListContinue);
        Assert.Equal(16 * 1024, reader.BufferBytes); // 100-byte items: the 300 KB page never had to fit
        Assert.Null(await reader.ReadListItemAsync(CancellationToken.None));
    }

    [Fact]
    public async Task An_item_larger_than_the_buffer_grows_it_and_arrives_intact()
    {
        var items = new[] { Item(1), Item(2, padding: 100_000), Item(3) };
        var body = $$$"""{"items":[{{{string.Join(",", items)}}}],"metadata":{"resourceVersion":"9"}}""";
        var reader = new JsonBodyReader(new ChunkedStream(body, 1000));

        Assert.Equal(items, await ReadItemsAsync(reader));

        Assert.Equal("9", reader.ListResourceVersion); // metadata after the items is read too
        Assert.Null(reader.ListContinue);
        Assert.InRange(reader.BufferBytes, 100_000, 4 * 100_000);
    }

    [Theory]
    [InlineData("""{"kind":"List","metadata":{"resourceVersion":"1"},"items":[]}""")]
    [InlineData("""{"kind":"List","metadata":{"resourceVersion":"1"},"items":null}""")]
    [InlineData(""" { "metadata" : { "resourceVersion" : "1" , "continue" : "" } } """)]
    public async Task An_empty_list_has_no_items_but_its_metadata(string body)
    {
        var reader = new JsonBodyReader(new ChunkedStream(body, 3));

        Assert.Empty(await ReadItemsAsync(reader));
        Assert.Equal("1", reader.ListResourceVersion);
    }

    [Theory]
    [InlineData("""{"metadata":{},"items":[{"a":1},{"b":""")]
    [InlineData("""{"metadata":{},"items":[{"a":1}]""")]
    [InlineData("")]
    public async Task A_list_cut_short_is_an_error_after_the_items_that_were_whole(string body)
    {
        var reader = new JsonBodyReader(new ChunkedStream(body, 5));
        var read = new List<string>();

        await Assert.ThrowsAnyAsync<JsonException>(async () =>
        {
            while (await reader.ReadListItemAsync(CancellationToken.None) is { } item)
                read.Add(Encoding.UTF8.GetString(item.Span));
        });

        Assert.Equal(body.Contains("{\"a\":1}", StringComparison.Ordinal) ? ["{\"a\":1}"] : [], read);
    }

    [Fact]
    public async Task A_list_that_is_not_an_object_is_refused()
    {
        var reader = new JsonBodyReader(new ChunkedStream("""[{"a":1}]""", 4));

        await Assert.ThrowsAnyAsync<JsonException>(async () => await reader.ReadListItemAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(100_000)]
    public async Task Watch_lines_come_out_whole_however_the_stream_is_split(int chunk)
    {
        var events = Enumerable.Range(0, 500).Select(i => """{"type":"MODIFIED","object":""" + Item(i, padding: i * 37) + "}").ToList();
        var body = string.Join("\n", events.Take(250)) + "\n\n" + string.Join("\n", events.Skip(250)); // an empty line inside, no newline at the end
        var reader = new JsonBodyReader(new ChunkedStream(body, chunk));
        var lines = new List<string>();

        while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
            lines.Add(Encoding.UTF8.GetString(line.Span));

        Assert.Equal([.. events.Take(250), "", .. events.Skip(250)], lines);
        Assert.InRange(reader.BufferBytes, 16 * 1024, 4 * Encoding.UTF8.GetByteCount(events[^1]) + 16 * 1024);
    }

    [Fact]
    public async Task Multi_byte_characters_split_between_reads_are_kept()
    {
        var events = Enumerable.Range(0, 50).Select(i => """{"type":"ADDED","object":{"metadata":{"name":"ü-€-""" + i.ToString(CultureInfo.InvariantCulture) + """-😀"}}}""").ToList();
        var reader = new JsonBodyReader(new ChunkedStream(string.Join("\n", events) + "\n", 3));
        var lines = new List<string>();

        while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
            lines.Add(Encoding.UTF8.GetString(line.Span));

        Assert.Equal(events, lines);
    }

    /// <summary>A body that hands out at most <c>chunk</c> bytes per read, as a network stream may.</summary>
    private sealed class ChunkedStream(string text, int chunk) : Stream
    {
        private readonly byte[] _data = Encoding.UTF8.GetBytes(text);
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(Math.Min(chunk, buffer.Length), _data.Length - _position);
            _data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

        public override void Flush() => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
