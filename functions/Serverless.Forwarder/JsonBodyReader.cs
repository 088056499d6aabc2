using System.Text.Json;

namespace Serverless.Forwarder;

/// <summary>
/// Reads an API server response body through one buffer that only ever holds (and grows to) the largest single
/// value it must hand out: one line of a watch stream, or one object of a list's <c>items</c>. A list page is never
/// held whole, so memory does not grow with the page size or with the size of the cluster.
/// </summary>
internal sealed class JsonBodyReader(Stream body)
{
    /// <summary>A single line or list item larger than this is refused (the API server's own request limit is ~3 MB).</summary>
    internal const int MaxValueBytes = 64 * 1024 * 1024;

    private const int InitialBufferBytes = 16 * 1024;

    private byte[] _buffer = new byte[InitialBufferBytes];
    private int _start; // first byte not handed out yet
    private int _end; // end of the bytes read
    private int _scanned; // bytes before this were searched for a newline already
    private bool _eof;
    private JsonReaderState _json;
    private ListPart _part;

    private enum ListPart
    {
        /// <summary>Before the list's opening brace.</summary>
        Start,

        /// <summary>Among the list's own fields (kind, metadata, items, ...).</summary>
        Fields,

        /// <summary>Inside the items array.</summary>
        Items,

        /// <summary>After the list's closing brace.</summary>
        Done,
    }

    /// <summary>The list's <c>metadata.resourceVersion</c>, once read.</summary>
    public string? ListResourceVersion { get; private set; }

    /// <summary>The list's <c>metadata.continue</c>, once read.</summary>
    public string? ListContinue { get; private set; }

    /// <summary>The buffer's size now (it grows to the largest value read).</summary>
    internal int BufferBytes => _buffer.Length;

    /// <summary>
    /// The next line (without its newline; a last line without one too), or null at the end of the stream. The bytes
    /// are valid until the next call.
    /// </summary>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = _buffer.AsSpan(_scanned, _end - _scanned).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = _buffer.AsMemory(_start, _scanned + newline - _start);
                _start = _scanned = _scanned + newline + 1;
                return line;
            }
            _scanned = _end;
            if (_eof)
            {
                if (_start == _end)
                    return null;
                var last = _buffer.AsMemory(_start, _end - _start);
                _start = _end;
                return last;
            }
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The next element of a list response's <c>items</c> (its raw JSON, valid until the next call), or null after the
    /// list's closing brace. <see cref="ListResourceVersion"/> and <see cref="ListContinue"/> are set when the list's
    /// metadata has been passed (the API server sends it before the items).
    /// </summary>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadListItemAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            switch (ScanList(out var item))
            {
                case ScanResult.Item:
                    return item;
                case ScanResult.End:
                    return null;
                default:
                    if (_eof)
                        throw new JsonException("the list response ended before its closing brace");
                    await FillAsync(cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

    private enum ScanResult
    {
        Item,
        End,
        NeedMore,
    }

    /// <summary>Advances through the buffered bytes to the next item; a step that needs bytes not read yet is undone.</summary>
    private ScanResult ScanList(out ReadOnlyMemory<byte> item)
    {
        item = default;
        if (_part == ListPart.Done)
            return ScanResult.End;
        var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), _eof, _json);
        while (true)
        {
            var before = reader;
            if (!reader.Read())
                return Suspend(before);
            switch (_part)
            {
                case ListPart.Start:
                    if (reader.TokenType != JsonTokenType.StartObject)
                        throw new JsonException("a list response must be a JSON object");
                    _part = ListPart.Fields;
                    break;
                case ListPart.Fields when reader.TokenType == JsonTokenType.EndObject:
                    _part = ListPart.Done;
                    Consume(reader);
                    return ScanResult.End;
                case ListPart.Fields when reader.ValueTextEquals("items"u8):
                    if (!reader.Read())
                        return Suspend(before);
                    if (reader.TokenType == JsonTokenType.StartArray)
                        _part = ListPart.Items;
                    else if (reader.TokenType != JsonTokenType.Null)
                        throw new JsonException("a list's items must be an array");
                    break;
                case ListPart.Fields when reader.ValueTextEquals("metadata"u8):
                    {
                        if (!reader.Read())
                            return Suspend(before);
                        var start = (int)reader.TokenStartIndex;
                        if (!reader.TrySkip())
                            return Suspend(before);
                        ReadListMetadata(_buffer.AsSpan(_start + start, (int)reader.BytesConsumed - start));
                        break;
                    }
                case ListPart.Fields:
                    if (!reader.TrySkip())
                        return Suspend(before);
                    break;
                case ListPart.Items when reader.TokenType == JsonTokenType.EndArray:
                    _part = ListPart.Fields;
                    break;
                default:
                    {
                        var start = (int)reader.TokenStartIndex;
                        if (!reader.TrySkip())
                            return Suspend(before);
                        item = _buffer.AsMemory(_start + start, (int)reader.BytesConsumed - start);
                        Consume(reader);
                        return ScanResult.Item;
                    }
            }
        }
    }

    private void Consume(in Utf8JsonReader reader)
    {
        _start += (int)reader.BytesConsumed;
        _scanned = Math.Max(_scanned, _start);
        _json = reader.CurrentState;
    }

    private ScanResult Suspend(in Utf8JsonReader before)
    {
        Consume(before);
        return ScanResult.NeedMore;
    }

    private void ReadListMetadata(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var version = reader.ValueTextEquals("resourceVersion"u8);
            var next = reader.ValueTextEquals("continue"u8);
            reader.Read();
            if (reader.TokenType == JsonTokenType.String && (version || next))
            {
                if (version)
                    ListResourceVersion = reader.GetString();
                else
                    ListContinue = reader.GetString();
            }
            reader.Skip();
        }
    }

    /// <summary>Moves the unread bytes to the front (growing the buffer when they fill it) and reads more.</summary>
    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _scanned -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= MaxValueBytes)
                throw new JsonException($"a single line or list item is larger than {MaxValueBytes} bytes");
            Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxValueBytes));
        }
        var read = await body.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (read == 0)
            _eof = true;
        else
            _end += read;
    }
}
