using System.Diagnostics;
using System.Net;
using Veil.Documents;
using Veil.Fields;
using Veil.Keys;
using Veil.Protocol;
using Veil.Vectors;

namespace Veil.Service.Client;

/// <summary>
/// <see cref="IVeilOperations"/> over the key service (<c>veil serve</c>): the keys stay in the service. Items of one
/// call are grouped by secret and derivation path and sent in batches of at most <see cref="MaxItemsPerRequest"/>.
/// A failed item fails alone (its <see cref="BatchItemResult{T}.Error"/> is a <see cref="VeilServiceItemException"/>);
/// a rejected request (401, 403, 429, 400…) throws <see cref="VeilServiceException"/>.
/// </summary>
/// <example><code>
/// IVeilOperations veil = new VeilServiceClient(new HttpClient { BaseAddress = new Uri("http://127.0.0.1:8700") }, apiKey);
/// // instead of: IVeilOperations veil = new LocalVeilOperations(new VeilClient(configuration));
/// </code></example>
public sealed class VeilServiceClient : IVeilOperations, IVeilVectorOperations, IVeilFieldOperations, IVeilDocumentOperations
{
    private readonly HttpClient _http;
    private readonly string _apiKey;

    /// <summary>Uses <paramref name="http"/> (with its <see cref="HttpClient.BaseAddress"/> set to the service; the caller owns it) and the API key.</summary>
    public VeilServiceClient(HttpClient http, string apiKey)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        _http = http;
        _apiKey = apiKey;
    }

    /// <summary>The most items sent in one request (the service's default limit is 1024).</summary>
    public int MaxItemsPerRequest { get; init; } = 256;

    /// <summary>
    /// Whether batches travel in the compact binary form (<see cref="BinaryBatch"/>: float32 vectors, no decimal
    /// formatting) instead of JSON. The service answers in the format it was asked in.
    /// </summary>
    public bool UseBinaryBatches { get; init; }

    /// <inheritdoc/>
    public IVeilVectorOperations Vector => this;

    /// <inheritdoc/>
    public IVeilFieldOperations Deterministic => this;

    /// <inheritdoc/>
    public IVeilDocumentOperations Standard => this;

    /// <inheritdoc/>
    public Task<BatchResult<EncryptedVector>> EncryptBatchAsync(IReadOnlyList<ReadOnlyMemory<float>> plaintexts, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant, CancellationToken cancellationToken = default) =>
        CallAsync(ItemOperations.VectorEncrypt, plaintexts, _ => (secretPath, derivationPath), tenant, null, cancellationToken);

    /// <inheritdoc/>
    public Task<BatchResult<IReadOnlyList<QueryVector>>> GenerateQueryVectorsBatchAsync(IReadOnlyList<ReadOnlyMemory<float>> queries, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant, CancellationToken cancellationToken = default) =>
        CallAsync(ItemOperations.VectorQuery, queries, _ => (secretPath, derivationPath), tenant, null, cancellationToken);

    /// <inheritdoc/>
    public Task<BatchResult<float[]>> DecryptBatchAsync(IReadOnlyList<EncryptedVector> encrypted, TenantId tenant, CancellationToken cancellationToken = default) =>
        CallAsync(ItemOperations.VectorDecrypt, encrypted, e => (e.SecretPath, e.DerivationPath), tenant, null, cancellationToken);

    /// <inheritdoc/>
    public Task<BatchResult<EncryptedVector>> RotateBatchAsync(IReadOnlyList<EncryptedVector> encrypted, TenantId tenant, TenantId? newTenant = null, CancellationToken cancellationToken = default) =>
        CallAsync(ItemOperations.VectorRotate, encrypted, e => (e.SecretPath, e.DerivationPath), tenant, newTenant, cancellationToken);

    /// <inheritdoc/>
    public Task<BatchResult<EncryptedField>> EncryptDeterministicallyBatchAsync(IReadOnlyList<PlaintextField> fields, TenantId tenant, CancellationToken cancellationToken = default) =>
        CallAsync(ItemOperations.FieldEncrypt, fields, f => (f.SecretPath, f.DerivationPath), tenant, null, cancellationToken);

    /// <inheritdoc/>
    public Task<BatchResult<IReadOnlyList<EncryptedField>>> GenerateQueryFieldValuesBatchAsync(IReadOnlyList<PlaintextField> fields, TenantId tenant, CancellationToken cancellationToken = default) =>
        CallAsync(ItemOperations.FieldQuery, fields, f => (f.SecretPath, f.DerivationPath), tenant, null, cancellationToken);

    /// <inheritdoc/>
    public Task<BatchResult<byte[]>> DecryptBatchAsync(IReadOnlyList<EncryptedField> fields, TenantId tenant, CancellationToken cancellationToken = default) =>
        CallAsync(ItemOperations.FieldDecrypt, fields, f => (f.SecretPath, f.DerivationPath), tenant, null, cancellationToken);

    /// <inheritdoc/>
    public Task<BatchResult<EncryptedDocument>> EncryptBatchAsync(IReadOnlyList<IReadOnlyDictionary<string, byte[]>> documents, TenantId tenant, CancellationToken cancellationToken = default) =>
        CallAsync(ItemOperations.DocumentEncrypt, documents, _ => (null, null), tenant, null, cancellationToken);

    /// <inheritdoc/>
    public Task<BatchResult<IReadOnlyDictionary<string, byte[]>>> DecryptBatchAsync(IReadOnlyList<EncryptedDocument> documents, TenantId tenant, CancellationToken cancellationToken = default) =>
        CallAsync(ItemOperations.DocumentDecrypt, documents, _ => (null, null), tenant, null, cancellationToken);

    /// <summary>Whether the service answers <c>/health</c>.</summary>
    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await _http.GetAsync(new Uri("health", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode;
    }

    private async Task<BatchResult<TOut>> CallAsync<TIn, TOut>(
        ItemOperation<TIn, TOut> operation, IReadOnlyList<TIn> inputs, Func<TIn, (SecretPath? SecretPath, DerivationPath? DerivationPath)> scopeOf, TenantId tenant, TenantId? newTenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var results = new BatchItemResult<TOut>[inputs.Count];
        string route = "v1/" + operation.Name.Replace('.', '/');
        foreach (IGrouping<(SecretPath? SecretPath, DerivationPath? DerivationPath), int> group in Enumerable.Range(0, inputs.Count).GroupBy(i => scopeOf(inputs[i])))
        {
            var scope = new OperationScope(tenant, group.Key.SecretPath ?? new SecretPath(""), group.Key.DerivationPath ?? new DerivationPath(""), newTenant);
            foreach (int[] chunk in group.Chunk(MaxItemsPerRequest))
            {
                var request = new BatchRequest
                {
                    Tenant = tenant.Value,
                    NewTenant = newTenant?.Value,
                    SecretPath = group.Key.SecretPath?.Value,
                    DerivationPath = group.Key.DerivationPath?.Value,
                    Items = [.. chunk.Select(i => operation.WriteInput(inputs[i]))],
                };
                IReadOnlyList<ProtocolItem> response = await PostAsync(route, request, operation.ResultMembers, cancellationToken).ConfigureAwait(false);
                if (response.Count != chunk.Length)
                {
                    throw new VeilServiceException(HttpStatusCode.OK, $"The service returned {response.Count} items for {chunk.Length}.");
                }

                for (int k = 0; k < chunk.Length; k++)
                {
                    ProtocolItem item = response[k];
                    results[chunk[k]] = item.Error is { } error
                        ? BatchItemResult.Failure<TOut>(new VeilServiceItemException(error) { Code = item.ErrorCode })
                        : BatchItemResult.Success(ReadOutput(operation, item, scope));
                }
            }
        }

        return new BatchResult<TOut>(results);
    }

    private static TOut ReadOutput<TIn, TOut>(ItemOperation<TIn, TOut> operation, ProtocolItem item, OperationScope scope)
    {
        try
        {
            return operation.ReadOutput(item, scope);
        }
        catch (ItemFormatException e)
        {
            throw new VeilServiceException(HttpStatusCode.OK, $"The service's response is not valid: {e.Message}");
        }
    }

    private async Task<IReadOnlyList<ProtocolItem>> PostAsync(string route, BatchRequest request, ItemMembers resultMembers, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        using PooledContent content = UseBinaryBatches ? PooledContent.Binary(request) : PooledContent.Json(request);
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(route, UriKind.Relative)) { Content = content };
        message.Headers.Add("X-Api-Key", _apiKey);

        // The body is read here, into a pooled buffer, rather than buffered by HttpClient into a new array per response;
        // HttpClient's Timeout then covers the headers only, so the rest of it bounds the body.
        using HttpResponseMessage response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (_http.Timeout != Timeout.InfiniteTimeSpan)
        {
            timeout.CancelAfter(TimeSpan.FromTicks(Math.Max(1, (_http.Timeout - Stopwatch.GetElapsedTime(started)).Ticks)));
        }

        using PooledBufferWriter body = await ReadBodyAsync(response, timeout.Token).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new VeilServiceException(response.StatusCode, $"The key service answered {(int)response.StatusCode}: {ProtocolJson.ReadError(body.WrittenSpan) ?? ""}");
        }

        try
        {
            return BinaryBatch.IsContentType(response.Content.Headers.ContentType?.MediaType)
                ? BinaryBatch.ReadResponse(body.WrittenSpan, resultMembers)
                : ProtocolJson.ReadResponse(body.WrittenSpan, resultMembers);
        }
        catch (ItemFormatException e)
        {
            throw new VeilServiceException(response.StatusCode, $"The key service's response is not valid: {e.Message}");
        }
    }

    private async Task<PooledBufferWriter> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        Stream stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            try
            {
                return await PooledBufferWriter.ReadFromAsync(stream, response.Content.Headers.ContentLength, initialCapacityLimit: 16 << 20, _http.MaxResponseContentBufferSize, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                throw new VeilServiceException(response.StatusCode, $"The key service's response is too large: {e.Message}");
            }
        }
    }
}

/// <summary>The service rejected a request (401, 403, 429, 400…) or answered something unexpected.</summary>
public sealed class VeilServiceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public VeilServiceException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public VeilServiceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public VeilServiceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with the HTTP status.</summary>
    public VeilServiceException(HttpStatusCode statusCode, string message)
        : base(message) => StatusCode = statusCode;

    /// <summary>The HTTP status of the response.</summary>
    public HttpStatusCode StatusCode { get; }
}

/// <summary>One item of a batch failed in the service (bad input, unknown key, integrity failure).</summary>
public sealed class VeilServiceItemException : Exception
{
    /// <summary>Creates the exception.</summary>
    public VeilServiceItemException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public VeilServiceItemException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public VeilServiceItemException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The kind of failure the service reported (<see cref="ItemErrorCode.Internal"/> when it named none).</summary>
    public ItemErrorCode Code { get; init; } = ItemErrorCode.Internal;
}
