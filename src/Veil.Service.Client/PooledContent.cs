using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Veil.Protocol;

namespace Veil.Service.Client;

/// <summary>
/// A request body serialized once into a <see cref="PooledBufferWriter"/> and sent with its length. The buffer goes
/// back to the pool (cleared: it holds plaintext) when the content is disposed, or, when HttpClient is still sending it
/// then (a service may answer before it has read the whole body), once that send ends.
/// </summary>
internal sealed class PooledContent : HttpContent
{
    private readonly Lock _lock = new();
    private readonly long _length;
    private PooledBufferWriter? _body;
    private int _sending;
    private bool _disposed;

    private PooledContent(PooledBufferWriter body, MediaTypeHeaderValue contentType)
    {
        _body = body;
        _length = body.WrittenCount;
        Headers.ContentType = contentType;
    }

    /// <summary>The JSON body of <paramref name="request"/>.</summary>
    public static PooledContent Json(BatchRequest request) => Create(new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" }, body =>
    {
        using var writer = new Utf8JsonWriter(body, ProtocolJson.WriterOptions);
        ProtocolJson.WriteRequest(writer, request);
    });

    /// <summary>The binary body of <paramref name="request"/> (<see cref="BinaryBatch"/>).</summary>
    public static PooledContent Binary(BatchRequest request) => Create(new MediaTypeHeaderValue(BinaryBatch.ContentType), body => BinaryBatch.WriteRequest(body, request));

    /// <inheritdoc/>
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    /// <inheritdoc/>
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> bytes;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _sending++;
            bytes = _body!.WrittenMemory;
        }

        try
        {
            await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_lock)
            {
                if (--_sending == 0 && _disposed)
                {
                    Release();
                }
            }
        }
    }

    /// <inheritdoc/>
    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_lock)
            {
                _disposed = true;
                if (_sending == 0)
                {
                    Release();
                }
            }
        }

        base.Dispose(disposing);
    }

    private static PooledContent Create(MediaTypeHeaderValue contentType, Action<PooledBufferWriter> write)
    {
        var body = new PooledBufferWriter();
        try
        {
            write(body);
            return new PooledContent(body, contentType);
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    private void Release()
    {
        _body?.Dispose();
        _body = null;
    }
}
