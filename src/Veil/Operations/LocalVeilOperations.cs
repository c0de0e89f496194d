using Veil.Documents;
using Veil.Fields;
using Veil.Keys;
using Veil.Vectors;

namespace Veil;

/// <summary><see cref="IVeilOperations"/> over a local <see cref="VeilClient"/> (the caller keeps ownership of it).</summary>
public sealed class LocalVeilOperations(VeilClient client) : IVeilOperations, IVeilVectorOperations, IVeilFieldOperations, IVeilDocumentOperations
{
    private readonly VeilClient _client = client ?? throw new ArgumentNullException(nameof(client));

    /// <inheritdoc/>
    public IVeilVectorOperations Vector => this;

    /// <inheritdoc/>
    public IVeilFieldOperations Deterministic => this;

    /// <inheritdoc/>
    public IVeilDocumentOperations Standard => this;

    /// <inheritdoc/>
    public Task<BatchResult<EncryptedVector>> EncryptBatchAsync(IReadOnlyList<ReadOnlyMemory<float>> plaintexts, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant, CancellationToken cancellationToken = default) =>
        Task.FromResult(_client.Vector.EncryptBatch(plaintexts, secretPath, derivationPath, tenant));

    /// <inheritdoc/>
    public Task<BatchResult<IReadOnlyList<QueryVector>>> GenerateQueryVectorsBatchAsync(IReadOnlyList<ReadOnlyMemory<float>> queries, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant, CancellationToken cancellationToken = default) =>
        Task.FromResult(_client.Vector.GenerateQueryVectorsBatch(queries, secretPath, derivationPath, tenant));

    /// <inheritdoc/>
    public Task<BatchResult<float[]>> DecryptBatchAsync(IReadOnlyList<EncryptedVector> encrypted, TenantId tenant, CancellationToken cancellationToken = default) =>
        Task.FromResult(_client.Vector.DecryptBatch(encrypted, tenant));

    /// <inheritdoc/>
    public Task<BatchResult<EncryptedVector>> RotateBatchAsync(IReadOnlyList<EncryptedVector> encrypted, TenantId tenant, TenantId? newTenant = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(_client.Vector.RotateBatch(encrypted, tenant, newTenant));

    /// <inheritdoc/>
    public Task<BatchResult<EncryptedField>> EncryptDeterministicallyBatchAsync(IReadOnlyList<PlaintextField> fields, TenantId tenant, CancellationToken cancellationToken = default) =>
        Task.FromResult(_client.Deterministic.EncryptDeterministicallyBatch(fields, tenant));

    /// <inheritdoc/>
    public Task<BatchResult<IReadOnlyList<EncryptedField>>> GenerateQueryFieldValuesBatchAsync(IReadOnlyList<PlaintextField> fields, TenantId tenant, CancellationToken cancellationToken = default) =>
        Task.FromResult(_client.Deterministic.GenerateQueryFieldValuesBatch(fields, tenant));

    /// <inheritdoc/>
    public Task<BatchResult<byte[]>> DecryptBatchAsync(IReadOnlyList<EncryptedField> fields, TenantId tenant, CancellationToken cancellationToken = default) =>
        Task.FromResult(_client.Deterministic.DecryptBatch(fields, tenant));

    /// <inheritdoc/>
    public Task<BatchResult<EncryptedDocument>> EncryptBatchAsync(IReadOnlyList<IReadOnlyDictionary<string, byte[]>> documents, TenantId tenant, CancellationToken cancellationToken = default) =>
        Task.FromResult(_client.Standard.EncryptBatch(documents, tenant));

    /// <inheritdoc/>
    public Task<BatchResult<IReadOnlyDictionary<string, byte[]>>> DecryptBatchAsync(IReadOnlyList<EncryptedDocument> documents, TenantId tenant, CancellationToken cancellationToken = default) =>
        Task.FromResult(_client.Standard.DecryptBatch(documents, tenant));
}
