namespace Veil.Keys;

/// <summary>Where a secret of a keyset is in its lifecycle: pending → current → in rotation → retired.</summary>
public enum KeysetSecretState
{
    /// <summary>
    /// Added but not yet promoted. Loaded decrypt-only (in the in-rotation slot) so that every reader can decrypt data
    /// made with it before any writer encrypts with it (Tink's add-then-promote). Never encrypts.
    /// </summary>
    Pending,

    /// <summary>Encrypts new data; decrypts and is queried. At most one per secret path.</summary>
    Current,

    /// <summary>The previous current secret: decrypts and is queried until its data is re-encrypted. At most one per secret path.</summary>
    InRotation,

    /// <summary>Kept wrapped in the file for the record but never unwrapped or loaded: its data can no longer be decrypted.</summary>
    Retired,
}
