using Microsoft.Extensions.AI;

namespace Veil.Extensions.VectorData;

/// <summary>
/// Recognises embeddings that Veil.Extensions.AI's encrypting generator (<c>UseVectorEncryption</c>) already encrypted:
/// it marks each with the key id under <see cref="KeyIdKey"/>. The encrypting collection encrypts vectors itself, so such
/// an embedding would be encrypted twice (search then compares ciphertexts of ciphertexts: recall@10 fell from 1.000 to
/// 0.247 in the adoption report) and is refused instead.
/// </summary>
internal static class EncryptedEmbeddings
{
    /// <summary>The marker's key, equal to <c>EncryptingEmbeddingGenerator.KeyIdKey</c> (a test keeps them equal).</summary>
    public const string KeyIdKey = "veil.keyId";

    /// <summary>The embedding's vector, unless an encrypting generator made it.</summary>
    /// <exception cref="ArgumentException">The embedding is already encrypted.</exception>
    public static ReadOnlyMemory<float> Plaintext(Embedding<float> embedding, string what)
    {
        if (embedding.AdditionalProperties?.ContainsKey(KeyIdKey) == true)
        {
            throw new ArgumentException(
                $"The embedding of '{what}' is already encrypted (an encrypting generator, UseVectorEncryption, made it), and the encrypting collection encrypts vectors itself: " +
                "use a plaintext embedding generator with the collection, or store the generator's ciphertexts in an unencrypted collection, not both.");
        }

        return embedding.Vector;
    }
}
