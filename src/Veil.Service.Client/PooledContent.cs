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
    public static PooledContent Json(BatchRequest request) => Create(new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" }, request, body =>
    {
        using var writer = new Utf8JsonWriter(body, ProtocolJson.WriterOptions);
        ProtocolJson.WriteRequest(writer, request);
    });

    /// <summary>The binary body of <paramref name="request"/> (<see cref="BinaryBatch"/>).</summary>
    public static PooledContent Binary(BatchRequest request) => Create(new MediaTypeHeaderValue(BinaryBatch.ContentType), request, body => BinaryBatch.WriteRequest(body, request));

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

    private static PooledContent Create(MediaTypeHeaderValue contentType, BatchRequest request, Action<PooledBufferWriter> write)
    {
        var body = new PooledBufferWriter(Capacity(request));
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

    /// <summary>
    /// A first guess at the body's size, so that a large batch is not copied through every smaller buffer: the most a
    /// vector's coordinates take as JSON text, plus room for each item's other members. At most 4 MiB.
    /// </summary>
    private static int Capacity(BatchRequest request)
    {
        long bytes = 256;
        foreach (ProtocolItem item in request.Items ?? [])
        {
            bytes += 128 + ((long)(ItemOperations.VectorLength(item) ?? 0) * (FloatText.MaxFormattedLength + 1));
        }

        return (int)Math.Min(bytes, 4 << 20);
    }

    private void Release()
    {
        _body?.Dispose();
        _body = null;
    }
}
