using System.Diagnostics;
using Veil.Keys;

namespace Veil.Fields;

/// <summary>A field to encrypt deterministically, with the paths that select its key (Alloy's <c>PlaintextField</c>).</summary>
/// <remarks><see cref="ToString"/> and the debugger display never show the plaintext.</remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class PlaintextField
{
    /// <summary>Creates the field. The memory is not copied.</summary>
    /// <param name="plaintext">The bytes to encrypt (any length, including empty).</param>
    /// <param name="secretPath">Selects the configured secret.</param>
    /// <param name="derivationPath">Together with the tenant, selects the derived key.</param>
    public PlaintextField(ReadOnlyMemory<byte> plaintext, SecretPath secretPath, DerivationPath derivationPath)
    {
        Plaintext = plaintext;
        SecretPath = secretPath;
        DerivationPath = derivationPath;
    }

    /// <summary>The bytes to encrypt.</summary>
    public ReadOnlyMemory<byte> Plaintext { get; }

    /// <summary>Selects the configured secret.</summary>
    public SecretPath SecretPath { get; }

    /// <summary>Together with the tenant, selects the derived key.</summary>
    public DerivationPath DerivationPath { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"PlaintextField (SecretPath = {SecretPath}, DerivationPath = {DerivationPath}, {Plaintext.Length} bytes, redacted)";
}
