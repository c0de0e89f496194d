using Microsoft.Extensions.AI;
using Veil.Keys;

namespace Veil.Extensions.VectorData;

/// <summary>
/// How an <see cref="EncryptingVectorStoreCollection{TKey, TRecord}"/> encrypts: which secrets, for which tenant,
/// whether vectors are one-way, how many candidates exact re-ranking fetches, and (besides the attributes) which
/// properties are protected.
/// </summary>
/// <remarks>
/// <para>Every vector property of the record is encrypted with the vector secret at <see cref="VectorSecretPath"/>
/// and <see cref="VectorDerivationPath"/> for <see cref="Tenant"/>. Use one collection decorator per tenant.</para>
/// <para>The options are read when the collection is created; later changes have no effect on it.</para>
/// </remarks>
public sealed class EncryptingCollectionOptions
{
    /// <summary>
    /// The default of <see cref="RerankCandidates"/> (K′): 100, chosen from measurement at β = 2.5 on 3000 seeded
    /// 384-d unit vectors (recall@10 against exact plaintext search, 40 held-out queries). On embedding-like data (20
    /// clusters in 32 latent dimensions) recall@10 is 0.475 without re-ranking and 0.94 / 1.00 / 1.00 with K′ = 50 /
    /// 100 / 200. On a harder, full-rank set (10 isotropic Gaussian clusters whose members are nearly equidistant) it is
    /// 0.24 without and 0.60 / 0.82 / 0.97 with. Measure on your own data and raise K′ where neighbours are dense.
    /// </summary>
    public const int DefaultRerankCandidates = 100;

    private int _rerankCandidates = DefaultRerankCandidates;
    private int _upsertChunkRows = DefaultUpsertChunkRows;
    private int _upsertChunksAhead = DefaultUpsertChunksAhead;

    /// <summary>Creates the options.</summary>
    /// <param name="vectorSecretPath">The configured vector secret to encrypt vectors with.</param>
    /// <param name="vectorDerivationPath">The derivation path of vectors (for example the embedding model's name).</param>
    /// <param name="tenant">The tenant whose keys are used for every property.</param>
    public EncryptingCollectionOptions(SecretPath vectorSecretPath, DerivationPath vectorDerivationPath, TenantId tenant)
    {
        VectorSecretPath = vectorSecretPath;
        VectorDerivationPath = vectorDerivationPath;
        Tenant = tenant;
    }

    private EncryptingCollectionOptions(TenantId tenant)
    {
        Tenant = tenant;
        EncryptsVectors = false;
    }

    /// <summary>
    /// Options that encrypt the record's fields only (deterministic and standard properties, the tenant property) and
    /// no vector, so no vector secret is needed: for a decorator that protects the vectors itself, such as the sealed
    /// collection (<c>Veil.Sealed</c>), which seals each vector before the record reaches this collection. A collection
    /// with these options refuses to store a record whose vector is set (it would reach the store in the clear) and
    /// cannot search.
    /// </summary>
    /// <param name="tenant">The tenant whose keys encrypt the fields.</param>
    /// <returns>The options, with <see cref="EncryptsVectors"/> false.</returns>
    public static EncryptingCollectionOptions FieldsOnly(TenantId tenant) => new(tenant);

    /// <summary>
    /// Whether vectors are encrypted (DCPE) with <see cref="VectorSecretPath"/>: true, except for options made by
    /// <see cref="FieldsOnly"/>.
    /// </summary>
    public bool EncryptsVectors { get; } = true;

    /// <summary>The configured vector secret to encrypt vectors with (default, and unused, when <see cref="EncryptsVectors"/> is false).</summary>
    public SecretPath VectorSecretPath { get; }

    /// <summary>The derivation path of vectors (default, and unused, when <see cref="EncryptsVectors"/> is false).</summary>
    public DerivationPath VectorDerivationPath { get; }

    /// <summary>The tenant whose keys are used.</summary>
    public TenantId Tenant { get; }

    /// <summary>
    /// The deterministic secret path of properties marked <see cref="EncryptDeterministicallyAttribute"/> (or listed in
    /// <see cref="DeterministicProperties"/>) that do not name their own; null when every such property names one.
    /// </summary>
    public SecretPath? DeterministicSecretPath { get; set; }

    /// <summary>
    /// The name of a string data property that records each row's tenant, so that tenants can share one collection:
    /// null (the default) for a collection of one tenant. When set, upserts fill it with <see cref="Tenant"/>, encrypted
    /// deterministically (with <see cref="DeterministicSecretPath"/> and derivation path <c>veil.tenant</c>; the store
    /// sees which rows share a tenant, not who it is), and every read is restricted to this tenant's rows: searches and
    /// filtered gets add the condition to the filter, gets and deletes by key ignore other tenants' rows. Without it, a
    /// collection shared by tenants fails on the other tenants' rows (they do not decrypt under this tenant's keys).
    /// </summary>
    public string? TenantProperty { get; set; }

    /// <summary>
    /// The embedding generator of the collection when its definition names none: MEVD's embedding generation, run on
    /// the key holder's side before anything is encrypted. It embeds a text search value (<c>SearchAsync("…")</c>) and,
    /// on a dynamic collection, a vector property whose input is text (embedded on upsert, then encrypted). Null (the
    /// default) accepts only vectors, unless the definition or a vector property has a generator. It must produce
    /// plaintext embeddings: an encrypting generator's output (<c>UseVectorEncryption</c>) is refused, since the
    /// collection encrypts itself.
    /// </summary>
    public IEmbeddingGenerator<string, Embedding<float>>? EmbeddingGenerator { get; set; }

    /// <summary>
    /// One-way mode: vectors are encrypted without IV or tag, no paired ICL info is stored, and stored vectors can
    /// never be decrypted (get and search return them as null or empty). Exact re-ranking is impossible, so search
    /// returns the encrypted order with the store's scores.
    /// </summary>
    public bool OneWay { get; set; }

    /// <summary>
    /// Whether search re-ranks exactly (default true): it fetches <see cref="RerankCandidates"/> candidates per live
    /// key, decrypts their vectors and returns the top ones by the exact distance to the plaintext query, with exact
    /// scores. Ignored in <see cref="OneWay"/> mode.
    /// </summary>
    public bool ExactReranking { get; set; } = true;

    /// <summary>
    /// K′: how many candidates a re-ranking search fetches from the store for each live key (at least
    /// <c>skip + top</c>). Default <see cref="DefaultRerankCandidates"/>. Each candidate costs one decryption
    /// (microseconds) on the client; the store sees the same single query as without re-ranking, only a larger top.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int RerankCandidates
    {
        get => _rerankCandidates;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _rerankCandidates = value;
        }
    }

    /// <summary>The default <see cref="UpsertChunkRows"/>.</summary>
    public const int DefaultUpsertChunkRows = 4_096;

    /// <summary>The default <see cref="UpsertChunksAhead"/>.</summary>
    public const int DefaultUpsertChunksAhead = 4;

    /// <summary>
    /// The most records a pipelined upsert encrypts in one chunk (default <see cref="DefaultUpsertChunkRows"/>); a batch of up to this many
    /// records given as a collection is encrypted whole before the inner collection is called.
    /// </summary>
    /// <remarks>
    /// With <see cref="UpsertChunksAhead"/> this bounds how many encrypted records wait for the inner collection, each
    /// holding its ciphertext (4·d bytes) until the store has written it. Records that wait long enough to outlive a
    /// gen-0 collection are promoted and copied by the GC, which can cost as much as their encryption. Keep the bound
    /// small for a store that is slower than encryption (PostgreSQL: 256 and 2, see <c>docs/scale.md</c>); larger for
    /// one that keeps pace with it (the embedded DuckDB store ingests ~8 % faster with the defaults).
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int UpsertChunkRows
    {
        get => _upsertChunkRows;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _upsertChunkRows = value;
        }
    }

    /// <summary>
    /// How many encrypted chunks of a pipelined upsert may wait for the inner collection beside the one it is storing
    /// (default <see cref="DefaultUpsertChunksAhead"/>); see <see cref="UpsertChunkRows"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int UpsertChunksAhead
    {
        get => _upsertChunksAhead;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _upsertChunksAhead = value;
        }
    }

    /// <summary>
    /// Names of further properties to encrypt deterministically, as if marked <see cref="EncryptDeterministicallyAttribute"/>
    /// (with <see cref="DeterministicSecretPath"/> and the property name as derivation path), for records you cannot annotate.
    /// </summary>
    public ISet<string> DeterministicProperties { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// Veil's opt-in binding of standard-encrypted properties (default false: Alloy's format). When true, each
    /// property's ciphertext also authenticates the record key, the property's name and the names of the record's
    /// standard properties that hold a value (see <see cref="Documents.FieldBinding"/>), so a stored value moved to another
    /// property or another record, or a standard property cleared or filled in from elsewhere, is refused on read.
    /// </summary>
    /// <remarks>
    /// <para><b>Trade-off.</b> The stored values are no longer readable by Alloy, nor by a collection without this
    /// option (and values stored without it are refused with it: turn it on for new collections, or re-encrypt).
    /// Records need their key before upsert (a key the store generates cannot be bound), and the bound id is the key's
    /// invariant text (a <see cref="Guid"/> in its "D" form), so changing a record's key or renaming a standard property
    /// (its CLR name) makes its values unreadable.</para>
    /// <para><b>Not protected.</b> A whole record replaced by an older version of itself (same key); a record whose every
    /// standard property was cleared; vectors, paired ICL info and deterministic properties, which are not bound (a
    /// vector or a deterministic value can still be moved between records).</para>
    /// </remarks>
    public bool BindStandardProperties { get; set; }

    /// <summary>Names of further properties to encrypt with standard encryption, as if marked <see cref="EncryptStandardAttribute"/>.</summary>
    public ISet<string> StandardProperties { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Vector property name → name of its paired ICL info property, as if marked <see cref="PairedIclInfoAttribute"/>.</summary>
    public IDictionary<string, string> PairedIclInfoProperties { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
