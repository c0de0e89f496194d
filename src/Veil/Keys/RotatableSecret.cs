namespace Veil.Keys;

/// <summary>
/// The live secrets of one secret path: the current secret encrypts; the in-rotation secret (if any) still decrypts
/// and still gets query values, so data not yet rotated stays searchable.
/// </summary>
public sealed class RotatableSecret
{
    /// <summary>Creates the pair. At least one of the two must be given, and their ids must differ.</summary>
    /// <exception cref="ArgumentException">Both are null, or both have the same id.</exception>
    public RotatableSecret(IdentifiedSecret? current, IdentifiedSecret? inRotation = null)
    {
        if (current is null && inRotation is null)
        {
            throw new ArgumentException("A rotatable secret needs a current secret, an in-rotation secret, or both.");
        }

        if (current is not null && inRotation is not null && current.Id == inRotation.Id)
        {
            throw new ArgumentException($"The current and in-rotation secrets must have different ids; both are {current.Id}.");
        }

        Current = current;
        InRotation = inRotation;
    }

    /// <summary>The secret used to encrypt, or null while only an in-rotation secret is configured.</summary>
    public IdentifiedSecret? Current { get; }

    /// <summary>The previous secret, kept so that data not yet rotated can still be decrypted and queried.</summary>
    public IdentifiedSecret? InRotation { get; }

    /// <summary>The secrets that can decrypt, current first.</summary>
    public IEnumerable<IdentifiedSecret> Live
    {
        get
        {
            if (Current is not null)
            {
                yield return Current;
            }

            if (InRotation is not null)
            {
                yield return InRotation;
            }
        }
    }

    /// <summary>Finds the live secret with <paramref name="id"/>, or null.</summary>
    public IdentifiedSecret? Find(KeyId id) =>
        Current?.Id == id ? Current : InRotation?.Id == id ? InRotation : null;
}
