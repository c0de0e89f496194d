using Veil.Keys;

namespace Veil.Vectors;

/// <summary>
/// Which vector key some ciphertexts were made under, without the key: its names, β and a key check (the paired ICL
/// info of an encryption of the empty vector, which only the same secret and β verify and which decrypts nothing).
/// Recorded beside one-way datasets and the models trained on them, so that each can later be bound to its key.
/// </summary>
/// <param name="KeyId">The id of the secret.</param>
/// <param name="SecretPath">The vector secret path.</param>
/// <param name="DerivationPath">The derivation path.</param>
/// <param name="Tenant">The tenant.</param>
/// <param name="Beta">β, the approximation factor.</param>
/// <param name="KeyCheck">Base64 key check.</param>
public sealed record VectorKeyDescription(uint KeyId, string SecretPath, string DerivationPath, string Tenant, float Beta, string KeyCheck)
{
    /// <summary>Describes <paramref name="encryptor"/>'s key for <paramref name="tenant"/>.</summary>
    /// <param name="encryptor">The key (from <see cref="VectorOperations.GetEncryptor"/>).</param>
    /// <param name="tenant">The tenant the key was derived for.</param>
    /// <returns>The description; never key bytes.</returns>
    public static VectorKeyDescription Of(VectorEncryptor encryptor, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(encryptor);
        return new(
            encryptor.KeyId.Value,
            encryptor.SecretPath.Value,
            encryptor.DerivationPath.Value,
            tenant.Value,
            encryptor.ApproximationFactor,
            Convert.ToBase64String(encryptor.Encrypt(ReadOnlySpan<float>.Empty).PairedIclInfo.Span));
    }
}
