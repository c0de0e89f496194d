using Veil.Documents;
using Veil.Fields;
using Veil.Randomness;
using Veil.Vectors;

namespace Veil;

/// <summary>
/// The entry point: vector, deterministic-field and standard-document encryption over one
/// <see cref="VeilConfiguration"/>, the counterpart of Alloy's <c>Standalone</c> client.
/// </summary>
/// <remarks>
/// <para><b>Thread safety.</b> A client is immutable and thread-safe; create one per configuration and share it.</para>
/// <para><b>Disposal.</b> Disposing zeroes the keys the client derived and cached. It does not dispose the
/// configured <see cref="Keys.Secret"/>s, which the caller owns.</para>
/// </remarks>
public sealed class VeilClient : IDisposable
{
    /// <summary>Creates a client whose IVs and data keys come from the operating system's CSPRNG.</summary>
    public VeilClient(VeilConfiguration configuration)
        : this(configuration, SystemRandomSource.Instance)
    {
    }

    /// <param name="configuration">The secrets.</param>
    /// <param name="random">Where IVs and data keys come from.</param>
    /// <param name="vectorKeyCacheBudgetBytes">The memory budget of the derived vector key cache (advanced).</param>
    internal VeilClient(VeilConfiguration configuration, IRandomSource random, long vectorKeyCacheBudgetBytes = VectorOperations.DefaultKeyCacheBudgetBytes)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Configuration = configuration;
        Vector = new VectorOperations(configuration.Vector, random, vectorKeyCacheBudgetBytes);
        Deterministic = new DeterministicFieldOperations(configuration.Deterministic);
        Standard = new StandardDocumentOperations(configuration.Standard, random);
        StandardAttached = new AttachedDocumentOperations(configuration.Standard, random);
    }

    /// <summary>The configuration the client was made with.</summary>
    public VeilConfiguration Configuration { get; }

    /// <summary>Scale-And-Perturb vector encryption (searchable; leaks approximate distances).</summary>
    public VectorOperations Vector { get; }

    /// <summary>Deterministic (AES-SIV) field encryption: filterable with equality, and so leaks equality.</summary>
    public DeterministicFieldOperations Deterministic { get; }

    /// <summary>Standard (AES-256-GCM, randomised) document encryption: per-document data key, per-field payloads.</summary>
    public StandardDocumentOperations Standard { get; }

    /// <summary>Standard encryption with the encrypted data key attached to the ciphertext, as one blob.</summary>
    public AttachedDocumentOperations StandardAttached { get; }

    /// <inheritdoc/>
    public void Dispose() => Vector.Dispose();
}
