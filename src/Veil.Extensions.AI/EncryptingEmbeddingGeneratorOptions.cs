using Veil.Keys;

namespace Veil.Extensions.AI;

/// <summary>Which vector secret an <see cref="EncryptingEmbeddingGenerator"/> encrypts with, and how.</summary>
public sealed class EncryptingEmbeddingGeneratorOptions
{
    /// <summary>Creates the options.</summary>
    /// <param name="secretPath">The configured vector secret.</param>
    /// <param name="derivationPath">The derivation path (for example the embedding model's name).</param>
    /// <param name="tenant">The tenant whose key is used.</param>
    public EncryptingEmbeddingGeneratorOptions(SecretPath secretPath, DerivationPath derivationPath, TenantId tenant)
    {
        SecretPath = secretPath;
        DerivationPath = derivationPath;
        Tenant = tenant;
    }

    /// <summary>The configured vector secret.</summary>
    public SecretPath SecretPath { get; }

    /// <summary>The derivation path.</summary>
    public DerivationPath DerivationPath { get; }

    /// <summary>The tenant whose key is used.</summary>
    public TenantId Tenant { get; }

    /// <summary>
    /// False (the default): one-way encryption with the current secret, which is also exactly a query vector for the
    /// current secret; nobody can decrypt the result. True: decryptable encryption, with the 54-byte paired ICL info
    /// put in <see cref="Microsoft.Extensions.AI.Embedding.AdditionalProperties"/> under
    /// <see cref="EncryptingEmbeddingGenerator.PairedIclInfoKey"/> (a <see cref="byte"/>[]); store it beside the vector.
    /// </summary>
    public bool Decryptable { get; set; }
}
