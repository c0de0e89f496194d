using Veil.Documents;
using Veil.Fields;
using Veil.Keys;
using Veil.Vectors;

namespace Veil;

/// <summary>
/// The operations an application needs, whether the keys are local (<see cref="LocalVeilOperations"/>) or held by
/// the key service (<c>VeilServiceClient</c> in the Veil.Service.Client package): switching is one line.
/// </summary>
/// <remarks>
/// Applications and tests may implement it themselves (a fake, a decorator adding logging or metrics): build the
/// results with <see cref="BatchItemResult.Success{T}(T)"/>, <see cref="BatchItemResult.Failure{T}(Exception)"/> and
/// <see cref="BatchResult{T}(IEnumerable{BatchItemResult{T}})"/>. Each result holds one item per input, in input order.
/// </remarks>
public interface IVeilOperations
{
    /// <summary>Scale-And-Perturb vector encryption.</summary>
    IVeilVectorOperations Vector { get; }

    /// <summary>Deterministic (AES-SIV) field encryption.</summary>
    IVeilFieldOperations Deterministic { get; }

    /// <summary>Standard (AES-GCM + EDEK) document encryption.</summary>
    IVeilDocumentOperations Standard { get; }
}

/// <summary>The batch operations of <see cref="VectorOperations"/>, asynchronous.</summary>
public interface IVeilVectorOperations
{
    /// <summary>See <see cref="VectorOperations.EncryptBatch(IReadOnlyList{ReadOnlyMemory{float}}, SecretPath, DerivationPath, TenantId)"/>.</summary>
    Task<BatchResult<EncryptedVector>> EncryptBatchAsync(IReadOnlyList<ReadOnlyMemory<float>> plaintexts, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant, CancellationToken cancellationToken = default);

    /// <summary>See <see cref="VectorOperations.GenerateQueryVectorsBatch"/>.</summary>
    Task<BatchResult<IReadOnlyList<QueryVector>>> GenerateQueryVectorsBatchAsync(IReadOnlyList<ReadOnlyMemory<float>> queries, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant, CancellationToken cancellationToken = default);

    /// <summary>See <see cref="VectorOperations.DecryptBatch(IReadOnlyList{EncryptedVector}, TenantId)"/>.</summary>
    Task<BatchResult<float[]>> DecryptBatchAsync(IReadOnlyList<EncryptedVector> encrypted, TenantId tenant, CancellationToken cancellationToken = default);

    /// <summary>See <see cref="VectorOperations.RotateBatch"/>.</summary>
    Task<BatchResult<EncryptedVector>> RotateBatchAsync(IReadOnlyList<EncryptedVector> encrypted, TenantId tenant, TenantId? newTenant = null, CancellationToken cancellationToken = default);
}

/// <summary>The batch operations of <see cref="DeterministicFieldOperations"/>, asynchronous.</summary>
public interface IVeilFieldOperations
{
    /// <summary>See <see cref="DeterministicFieldOperations.EncryptDeterministicallyBatch"/>.</summary>
    Task<BatchResult<EncryptedField>> EncryptDeterministicallyBatchAsync(IReadOnlyList<PlaintextField> fields, TenantId tenant, CancellationToken cancellationToken = default);

    /// <summary>See <see cref="DeterministicFieldOperations.GenerateQueryFieldValuesBatch"/>.</summary>
    Task<BatchResult<IReadOnlyList<EncryptedField>>> GenerateQueryFieldValuesBatchAsync(IReadOnlyList<PlaintextField> fields, TenantId tenant, CancellationToken cancellationToken = default);

    /// <summary>See <see cref="DeterministicFieldOperations.DecryptBatch"/>.</summary>
    Task<BatchResult<byte[]>> DecryptBatchAsync(IReadOnlyList<EncryptedField> fields, TenantId tenant, CancellationToken cancellationToken = default);
}

/// <summary>The batch operations of <see cref="StandardDocumentOperations"/>, asynchronous.</summary>
public interface IVeilDocumentOperations
{
    /// <summary>See <see cref="StandardDocumentOperations.EncryptBatch(IReadOnlyList{IReadOnlyDictionary{string, byte[]}}, TenantId)"/>.</summary>
    Task<BatchResult<EncryptedDocument>> EncryptBatchAsync(IReadOnlyList<IReadOnlyDictionary<string, byte[]>> documents, TenantId tenant, CancellationToken cancellationToken = default);

    /// <summary>See <see cref="StandardDocumentOperations.DecryptBatch(IReadOnlyList{EncryptedDocument}, TenantId)"/>.</summary>
    Task<BatchResult<IReadOnlyDictionary<string, byte[]>>> DecryptBatchAsync(IReadOnlyList<EncryptedDocument> documents, TenantId tenant, CancellationToken cancellationToken = default);
}
