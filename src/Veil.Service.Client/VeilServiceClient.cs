using System.Net;
using System.Net.Http.Json;
using Veil.Documents;
using Veil.Fields;
using Veil.Keys;
using Veil.Service.Wire;
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

    /// <inheritdoc/>
    public IVeilVectorOperations Vector => this;

    /// <inheritdoc/>
    public IVeilFieldOperations Deterministic => this;

    /// <inheritdoc/>
    public IVeilDocumentOperations Standard => this;

    /// <inheritdoc/>
    public Task<BatchResult<EncryptedVector>> EncryptBatchAsync(IReadOnlyList<ReadOnlyMemory<float>> plaintexts, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant, CancellationToken cancellationToken = default) =>
        CallAsync(ServiceOperations.VectorEncrypt, plaintexts, _ => (secretPath.Value, derivationPath.Value), tenant, null,
            v => new ServiceItem { Vector = v.ToArray() },
            item => new EncryptedVector(Need(item.EncryptedVector), Need(item.PairedIclInfo), secretPath, derivationPath), cancellationToken);

    /// <inheritdoc/>
    public Task<BatchResult<IReadOnlyList<QueryVector>>> GenerateQueryVectorsBatchAsync(IReadOnlyList<ReadOnlyMemory<float>> queries, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant, CancellationToken cancellationToken = default) =>
        CallAsync(ServiceOperations.VectorQuery, queries, _ => (secretPath.Value, derivationPath.Value), tenant, null,
            v => new ServiceItem { Vector = v.ToArray() },
            item => (IReadOnlyList<QueryVector>)Need(item.Queries).Select(q => new QueryVector(new KeyId(q.KeyId), Need(q.EncryptedVector))).ToArray(), cancellationToken);

    /// <inheritdoc/>
    public Task<BatchResult<float[]>> DecryptBatchAsync(IReadOnlyList<EncryptedVector> encrypted, TenantId tenant, CancellationToken cancellationToken = default) =>
        CallAsync(ServiceOperations.VectorDecrypt, encrypted, e => (e.SecretPath.Value, e.DerivationPath.Value), tenant, null,
            EncryptedVectorItem, item => Need(item.Vector), cancellationToken);

    /// <inheritdoc/>
    public Task<BatchResult<EncryptedVector>> RotateBatchAsync(IReadOnlyList<EncryptedVector> encrypted, TenantId tenant, TenantId? newTenant = null, CancellationToken cancellationToken = default) =>
        CallAsync(ServiceOperations.VectorRotate, encrypted, e => (e.SecretPath.Value, e.DerivationPath.Value), tenant, newTenant,
            EncryptedVectorItem,
            (item, scope) => new EncryptedVector(Need(item.EncryptedVector), Need(item.PairedIclInfo), scope.SecretPath!, scope.DerivationPath!), cancellationToken);

    /// <inheritdoc/>
    public Task<BatchResult<EncryptedField>> EncryptDeterministicallyBatchAsync(IReadOnlyList<PlaintextField> fields, TenantId tenant, CancellationToken cancellationToken = default) =>
        CallAsync(ServiceOperations.FieldEncrypt, fields, f => (f.SecretPath.Value, f.DerivationPath.Value), tenant, null,
            f => new ServiceItem { Value = f.Plaintext.ToArray() },
            (item, scope) => new EncryptedField(Need(item.EncryptedValue), scope.SecretPath!, scope.DerivationPath!), cancellationToken);

    /// <inheritdoc/>
    public Task<BatchResult<IReadOnlyList<EncryptedField>>> GenerateQueryFieldValuesBatchAsync(IReadOnlyList<PlaintextField> fields, TenantId tenant, CancellationToken cancellationToken = default) =>
        CallAsync(ServiceOperations.FieldQuery, fields, f => (f.SecretPath.Value, f.DerivationPath.Value), tenant, null,
            f => new ServiceItem { Value = f.Plaintext.ToArray() },
            (item, scope) => (IReadOnlyList<EncryptedField>)Need(item.Queries).Select(q => new EncryptedField(Need(q.EncryptedValue), scope.SecretPath!, scope.DerivationPath!)).ToArray(), cancellationToken);

    /// <inheritdoc/>
    public Task<BatchResult<byte[]>> DecryptBatchAsync(IReadOnlyList<EncryptedField> fields, TenantId tenant, CancellationToken cancellationToken = default) =>
        CallAsync(ServiceOperations.FieldDecrypt, fields, f => (f.SecretPath.Value, f.DerivationPath.Value), tenant, null,
            f => new ServiceItem { EncryptedValue = f.Ciphertext }, item => Need(item.Value), cancellationToken);

    /// <inheritdoc/>
    public Task<BatchResult<EncryptedDocument>> EncryptBatchAsync(IReadOnlyList<IReadOnlyDictionary<string, byte[]>> documents, TenantId tenant, CancellationToken cancellationToken = default) =>
        CallAsync(ServiceOperations.DocumentEncrypt, documents, _ => (null, null), tenant, null,
            d => new ServiceItem { Fields = d.ToDictionary(StringComparer.Ordinal) },
            item => new EncryptedDocument(Need(item.Edek), Need(item.Fields)), cancellationToken);

    /// <inheritdoc/>
    public Task<BatchResult<IReadOnlyDictionary<string, byte[]>>> DecryptBatchAsync(IReadOnlyList<EncryptedDocument> documents, TenantId tenant, CancellationToken cancellationToken = default) =>
        CallAsync(ServiceOperations.DocumentDecrypt, documents, _ => (null, null), tenant, null,
            d => new ServiceItem { Edek = d.Edek, Fields = d.Fields.ToDictionary(StringComparer.Ordinal) },
            item => (IReadOnlyDictionary<string, byte[]>)Need(item.Fields), cancellationToken);

    /// <summary>Whether the service answers <c>/health</c>.</summary>
    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await _http.GetAsync(new Uri("health", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode;
    }

    private static ServiceItem EncryptedVectorItem(EncryptedVector e) =>
        new() { EncryptedVector = e.Ciphertext.ToArray(), PairedIclInfo = e.PairedIclInfo.ToArray() };

    private static T Need<T>(T? value)
        where T : class =>
        value ?? throw new VeilServiceException(HttpStatusCode.OK, "The service's response lacks a member.");

    private Task<BatchResult<TOut>> CallAsync<TIn, TOut>(
        string operation, IReadOnlyList<TIn> inputs, Func<TIn, (string? SecretPath, string? DerivationPath)> scope, TenantId tenant, TenantId? newTenant,
        Func<TIn, ServiceItem> toItem, Func<ServiceItem, TOut> fromItem, CancellationToken cancellationToken) =>
        CallAsync(operation, inputs, scope, tenant, newTenant, toItem, (item, _) => fromItem(item), cancellationToken);

    private async Task<BatchResult<TOut>> CallAsync<TIn, TOut>(
        string operation, IReadOnlyList<TIn> inputs, Func<TIn, (string? SecretPath, string? DerivationPath)> scope, TenantId tenant, TenantId? newTenant,
        Func<TIn, ServiceItem> toItem, Func<ServiceItem, (string? SecretPath, string? DerivationPath), TOut> fromItem, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var results = new BatchItemResult<TOut>[inputs.Count];
        string route = "v1/" + operation.Replace('.', '/');
        foreach (IGrouping<(string? SecretPath, string? DerivationPath), int> group in Enumerable.Range(0, inputs.Count).GroupBy(i => scope(inputs[i])))
        {
            foreach (int[] chunk in group.Chunk(MaxItemsPerRequest))
            {
                var request = new ServiceRequest
                {
                    Tenant = tenant.Value,
                    NewTenant = newTenant?.Value,
                    SecretPath = group.Key.SecretPath,
                    DerivationPath = group.Key.DerivationPath,
                    Items = chunk.Select(i => toItem(inputs[i])).ToList(),
                };
                ServiceResponse response = await PostAsync(route, request, cancellationToken).ConfigureAwait(false);
                if (response.Items.Count != chunk.Length)
                {
                    throw new VeilServiceException(HttpStatusCode.OK, $"The service returned {response.Items.Count} items for {chunk.Length}.");
                }

                for (int k = 0; k < chunk.Length; k++)
                {
                    ServiceItem item = response.Items[k];
                    results[chunk[k]] = item.Error is { } error
                        ? BatchItemResult.Failure<TOut>(new VeilServiceItemException(error))
                        : BatchItemResult.Success(fromItem(item, group.Key));
                }
            }
        }

        return new BatchResult<TOut>(results);
    }

    private async Task<ServiceResponse> PostAsync(string route, ServiceRequest request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(route, UriKind.Relative))
        {
            Content = JsonContent.Create(request, options: ServiceJson.Options),
        };
        message.Headers.Add("X-Api-Key", _apiKey);
        using HttpResponseMessage response = await _http.SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            string error;
            try
            {
                error = (await response.Content.ReadFromJsonAsync<ServiceError>(ServiceJson.Options, cancellationToken).ConfigureAwait(false))?.Error ?? "";
            }
            catch (System.Text.Json.JsonException)
            {
                error = "";
            }

            throw new VeilServiceException(response.StatusCode, $"The key service answered {(int)response.StatusCode}: {error}");
        }

        return await response.Content.ReadFromJsonAsync<ServiceResponse>(ServiceJson.Options, cancellationToken).ConfigureAwait(false)
            ?? throw new VeilServiceException(response.StatusCode, "The key service returned an empty body.");
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
}
