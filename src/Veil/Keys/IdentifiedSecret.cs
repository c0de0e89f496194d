using System.Diagnostics;

namespace Veil.Keys;

/// <summary>A secret together with the key id that ciphertexts made with it carry in their header.</summary>
/// <remarks>Equivalent to Alloy's <c>StandaloneSecret</c>. Does not own <see cref="Secret"/>: dispose it yourself.</remarks>
[DebuggerDisplay("IdentifiedSecret (Id = {Id})")]
public sealed class IdentifiedSecret
{
    /// <summary>Pairs <paramref name="secret"/> with <paramref name="id"/>.</summary>
    public IdentifiedSecret(KeyId id, Secret secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        Id = id;
        Secret = secret;
    }

    /// <summary>The key id written into ciphertext headers.</summary>
    public KeyId Id { get; }

    /// <summary>The secret bytes.</summary>
    public Secret Secret { get; }

    /// <inheritdoc/>
    public override string ToString() => $"IdentifiedSecret (Id = {Id})";
}
