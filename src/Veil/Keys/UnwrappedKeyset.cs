using System.Diagnostics;

namespace Veil.Keys;

/// <summary>
/// The live secrets of a keyset, unwrapped: a <see cref="VeilConfiguration"/> plus ownership of its secrets, which
/// <see cref="Dispose"/> zeroes.
/// </summary>
[DebuggerDisplay("UnwrappedKeyset ({_secrets.Count} secrets, redacted)")]
public sealed class UnwrappedKeyset : IDisposable
{
    private readonly List<Secret> _secrets;

    internal UnwrappedKeyset(VeilConfiguration configuration, List<Secret> secrets)
    {
        Configuration = configuration;
        _secrets = secrets;
    }

    /// <summary>The configuration to build a <see cref="VeilClient"/> from. Its secrets are valid until <see cref="Dispose"/>.</summary>
    public VeilConfiguration Configuration { get; }

    /// <summary>Zeroes every unwrapped secret.</summary>
    public void Dispose()
    {
        foreach (Secret secret in _secrets)
        {
            secret.Dispose();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"UnwrappedKeyset ({_secrets.Count} secrets, redacted)";
}
