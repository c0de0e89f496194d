using System.Diagnostics;
using Veil.Keys;

namespace Veil.Fields;

/// <summary>
/// A deterministically encrypted field, as Alloy's <c>EncryptedField</c>: the ciphertext plus the secret path and
/// derivation path needed to decrypt it, which travel in the clear next to it.
/// </summary>
/// <remarks>
/// <see cref="Ciphertext"/> is the 6-byte key-id header (key id, Standalone | DeterministicField, 0) followed by the
/// AES-SIV output (16-byte synthetic IV ‖ ciphertext of the plaintext's length). Nothing here is secret; the
/// plaintext length is visible as <c>Ciphertext.Length − 22</c>.
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class EncryptedField
{
    /// <summary>The fixed overhead over the plaintext length: the key-id header plus the synthetic IV.</summary>
    public const int Overhead = Formats.KeyIdHeader.Length + AesSiv.SivLength;

    /// <summary>Wraps stored bytes. The array is not copied.</summary>
    /// <param name="ciphertext">Header ‖ SIV output, as produced by <see cref="DeterministicFieldOperations"/>.</param>
    /// <param name="secretPath">The secret path it was encrypted under.</param>
    /// <param name="derivationPath">The derivation path it was encrypted under.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ciphertext"/> is null.</exception>
    public EncryptedField(byte[] ciphertext, SecretPath secretPath, DerivationPath derivationPath)
    {
        ArgumentNullException.ThrowIfNull(ciphertext);
        Ciphertext = ciphertext;
        SecretPath = secretPath;
        DerivationPath = derivationPath;
    }

    /// <summary>The 6-byte key-id header followed by the AES-SIV output (Alloy's <c>encrypted_field</c>).</summary>
#pragma warning disable CA1819 // The wire bytes are the value; callers store and compare them as-is.
    public byte[] Ciphertext { get; }
#pragma warning restore CA1819

    /// <summary>Selects the configured secret.</summary>
    public SecretPath SecretPath { get; }

    /// <summary>Together with the tenant, selects the derived key.</summary>
    public DerivationPath DerivationPath { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"EncryptedField (SecretPath = {SecretPath}, DerivationPath = {DerivationPath}, {Ciphertext.Length} bytes)";
}
