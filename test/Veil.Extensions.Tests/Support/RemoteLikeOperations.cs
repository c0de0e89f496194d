using Veil.Documents;
using Veil.Fields;
using Veil.Keys;
using Veil.Vectors;

namespace Veil.Extensions.Tests.Support;

/// <summary>
/// An <see cref="IVeilOperations"/> written the way a library user would write one (this project sees only Veil's
/// public API): it stands for a remote key holder, copying every result through the public
/// <see cref="BatchResult{T}"/> and <see cref="BatchItemResult{T}"/> factories, counting calls, and failing the items
/// whose index is in <see cref="FailIndexes"/> as a service would report a bad item.
/// </summary>
public sealed class RemoteLikeOperations(IVeilOperations keyHolder) : IVeilOperations, IVeilVectorOperations, IVeilFieldOperations, IVeilDocumentOperations
{
    /// <summary>Calls made, in order, by method name.</summary>
    public List<string> Calls { get; } = [];

    /// <summary>Indexes (within each batch) of the items to fail.</summary>
    public HashSet<int> FailIndexes { get; } = [];

    public IVeilVectorOperations Vector => this;

    public IVeilFieldOperations Deterministic => this;

    public IVeilDocumentOperations Standard => this;

    public Task<BatchResult<EncryptedVector>> EncryptBatchAsync(IReadOnlyList<ReadOnlyMemory<float>> plaintexts, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant, CancellationToken cancellationToken = default) =>
        Relay(nameof(IVeilVectorOperations.EncryptBatchAsync), keyHolder.Vector.EncryptBatchAsync(plaintexts, secretPath, derivationPath, tenant, cancellationToken));

    public Task<BatchResult<IReadOnlyList<QueryVector>>> GenerateQueryVectorsBatchAsync(IReadOnlyList<ReadOnlyMemory<float>> queries, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant, CancellationToken cancellationToken = default) =>
        Relay(nameof(GenerateQueryVectorsBatchAsync), keyHolder.Vector.GenerateQueryVectorsBatchAsync(queries, secretPath, derivationPath, tenant, cancellationToken));

    public Task<BatchResult<float[]>> DecryptBatchAsync(IReadOnlyList<EncryptedVector> encrypted, TenantId tenant, CancellationToken cancellationToken = default) =>
        Relay("Vector.DecryptBatchAsync", keyHolder.Vector.DecryptBatchAsync(encrypted, tenant, cancellationToken));

    public Task<BatchResult<EncryptedVector>> RotateBatchAsync(IReadOnlyList<EncryptedVector> encrypted, TenantId tenant, TenantId? newTenant = null, CancellationToken cancellationToken = default) =>
        Relay(nameof(RotateBatchAsync), keyHolder.Vector.RotateBatchAsync(encrypted, tenant, newTenant, cancellationToken));

    public Task<BatchResult<EncryptedField>> EncryptDeterministicallyBatchAsync(IReadOnlyList<PlaintextField> fields, TenantId tenant, CancellationToken cancellationToken = default) =>
        Relay(nameof(EncryptDeterministicallyBatchAsync), keyHolder.Deterministic.EncryptDeterministicallyBatchAsync(fields, tenant, cancellationToken));

    public Task<BatchResult<IReadOnlyList<EncryptedField>>> GenerateQueryFieldValuesBatchAsync(IReadOnlyList<PlaintextField> fields, TenantId tenant, CancellationToken cancellationToken = default) =>
        Relay(nameof(GenerateQueryFieldValuesBatchAsync), keyHolder.Deterministic.GenerateQueryFieldValuesBatchAsync(fields, tenant, cancellationToken));

    public Task<BatchResult<byte[]>> DecryptBatchAsync(IReadOnlyList<EncryptedField> fields, TenantId tenant, CancellationToken cancellationToken = default) =>
        Relay("Deterministic.DecryptBatchAsync", keyHolder.Deterministic.DecryptBatchAsync(fields, tenant, cancellationToken));

    public Task<BatchResult<EncryptedDocument>> EncryptBatchAsync(IReadOnlyList<IReadOnlyDictionary<string, byte[]>> documents, TenantId tenant, CancellationToken cancellationToken = default) =>
        Relay("Standard.EncryptBatchAsync", keyHolder.Standard.EncryptBatchAsync(documents, tenant, cancellationToken));

    public Task<BatchResult<IReadOnlyDictionary<string, byte[]>>> DecryptBatchAsync(IReadOnlyList<EncryptedDocument> documents, TenantId tenant, CancellationToken cancellationToken = default) =>
        Relay("Standard.DecryptBatchAsync", keyHolder.Standard.DecryptBatchAsync(documents, tenant, cancellationToken));

    private async Task<BatchResult<T>> Relay<T>(string name, Task<BatchResult<T>> call)
    {
        Calls.Add(name);
        BatchResult<T> received = await call;
        return new BatchResult<T>(received.Select((item, i) =>
            FailIndexes.Contains(i) ? BatchItemResult.Failure<T>(new InvalidOperationException($"Item {i} refused by the key holder."))
            : item.IsSuccess ? BatchItemResult.Success(item.Value!)
            : BatchItemResult.Failure<T>(item.Error!)));
    }
}
