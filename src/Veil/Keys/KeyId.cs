namespace Veil.Keys;

/// <summary>
/// The identifier of a secret, written big-endian into the first four bytes of every ciphertext header so that
/// decryption can select the secret that encrypted it. Not secret.
/// </summary>
/// <param name="Value">The id as Alloy writes it (Alloy takes an <see cref="int"/> and casts it to <see cref="uint"/>).</param>
public readonly record struct KeyId(uint Value)
{
    /// <inheritdoc/>
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
