using Veil.Formats;
using Veil.Keys;

namespace Veil.Vectors;

/// <summary>
/// A vector encrypted with Scale-And-Perturb, with the <see cref="PairedIclInfo"/> (key id, IV and authentication
/// tag) needed to decrypt it. The ciphertext coordinates are in the key's shuffled order; store them in the vector
/// database as they are, and store the paired ICL info beside them if you need to decrypt later.
/// </summary>
/// <remarks>Nothing here is secret. <see cref="ToString"/> shows only the dimension and key id.</remarks>
public sealed class EncryptedVector
{
    /// <summary>Wraps a stored ciphertext and its paired ICL info (for example read back from a vector store).</summary>
    public EncryptedVector(ReadOnlyMemory<float> ciphertext, ReadOnlyMemory<byte> pairedIclInfo, SecretPath secretPath, DerivationPath derivationPath)
    {
        Ciphertext = ciphertext;
        PairedIclInfo = pairedIclInfo;
        SecretPath = secretPath;
        DerivationPath = derivationPath;
    }

    /// <summary>The encrypted coordinates.</summary>
    public ReadOnlyMemory<float> Ciphertext { get; }

    /// <summary>Alloy's <c>paired_icl_info</c>: 6-byte key-id header + protobuf (IV, tag); 54 bytes when Veil or Alloy wrote it.</summary>
    public ReadOnlyMemory<byte> PairedIclInfo { get; }

    /// <summary>The secret path the vector was encrypted under (travels in the clear).</summary>
    public SecretPath SecretPath { get; }

    /// <summary>The derivation path the vector was encrypted under (travels in the clear).</summary>
    public DerivationPath DerivationPath { get; }

    /// <summary>The key id in the header, or null when the header is malformed.</summary>
    public KeyId? KeyId => KeyIdHeader.TryParse(PairedIclInfo.Span, out KeyIdHeader header) ? header.KeyId : null;

    /// <inheritdoc/>
    public override string ToString() => $"EncryptedVector (d = {Ciphertext.Length}, key id = {KeyId?.ToString() ?? "invalid"})";
}

/// <summary>A query vector: the query encrypted with one live key, to be searched together with the others.</summary>
/// <param name="KeyId">The key that encrypted it; it matches stored vectors whose header carries the same id.</param>
/// <param name="Ciphertext">The encrypted query.</param>
public sealed record QueryVector(KeyId KeyId, ReadOnlyMemory<float> Ciphertext)
{
    /// <inheritdoc/>
    public override string ToString() => $"QueryVector (d = {Ciphertext.Length}, key id = {KeyId})";
}
