namespace Veil.Kms.Pkcs11;

/// <summary>How to reach the PKCS#11 module and log in to its tokens.</summary>
public sealed class Pkcs11KmsOptions
{
    /// <summary>The path of the PKCS#11 module (for SoftHSM2 on Debian: <c>/usr/lib/softhsm/libsofthsm2.so</c>).</summary>
    public required string ModulePath { get; init; }

    /// <summary>Supplies the user PIN when a token is opened (for example from an environment variable). Never logged.</summary>
    public required Func<string> Pin { get; init; }
}
