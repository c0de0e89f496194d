namespace Veil.Keys;

/// <summary>
/// The secrets for standard (AES-256-GCM) document encryption: the primary encrypts new documents, every one of them
/// can decrypt.
/// </summary>
public sealed class StandardSecrets
{
    private readonly IdentifiedSecret[] _secrets;

    /// <summary>Creates the set.</summary>
    /// <param name="primaryId">The id of the secret that encrypts; null makes the set decrypt-only.</param>
    /// <param name="secrets">The secrets; ids must be non-zero (0 means "unknown" in EDEK headers) and unique.</param>
    /// <exception cref="ArgumentException">A zero or duplicate id, or a primary id that is not in the set.</exception>
    public StandardSecrets(KeyId? primaryId, IEnumerable<IdentifiedSecret> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        _secrets = secrets.ToArray();
        var seen = new HashSet<KeyId>();
        foreach (IdentifiedSecret secret in _secrets)
        {
            ArgumentNullException.ThrowIfNull(secret, nameof(secrets));
            if (secret.Id.Value == 0)
            {
                throw new ArgumentException("Standard secret ids must be greater than 0.", nameof(secrets));
            }

            if (!seen.Add(secret.Id))
            {
                throw new ArgumentException($"Standard secret id {secret.Id} appears more than once.", nameof(secrets));
            }
        }

        if (primaryId is { } id && !seen.Contains(id))
        {
            throw new ArgumentException($"The primary standard secret id {id} is not among the configured secrets.", nameof(primaryId));
        }

        PrimaryId = primaryId;
    }

    /// <summary>The id of the secret used to encrypt, if any.</summary>
    public KeyId? PrimaryId { get; }

    /// <summary>All configured secrets, in configuration order.</summary>
    public IReadOnlyList<IdentifiedSecret> Secrets => _secrets;

    /// <summary>The primary secret, or null.</summary>
    public IdentifiedSecret? Primary => PrimaryId is { } id ? Find(id) : null;

    /// <summary>Finds the secret with <paramref name="id"/>, or null.</summary>
    public IdentifiedSecret? Find(KeyId id) => Array.Find(_secrets, s => s.Id == id);
}
