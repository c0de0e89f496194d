using Veil.Kms.Pkcs11;

namespace Veil.Testing;

/// <summary>
/// The SoftHSM2 token the PKCS#11 tests use, from the environment that <c>.ci/run</c> exports:
/// VEIL_PKCS11_MODULE (module path), VEIL_PKCS11_TOKEN (token label), VEIL_PKCS11_PIN (user PIN), and SOFTHSM2_CONF.
/// </summary>
public static class SoftHsm
{
    /// <summary>The xunit collection of every test that logs in to the token: they must not run in parallel, since a login is per process.</summary>
    public const string Collection = "SoftHSM2 token";

    /// <summary>The PKCS#11 module's path, or null when not configured.</summary>
    public static string? Module => Environment.GetEnvironmentVariable("VEIL_PKCS11_MODULE");

    /// <summary>The token's label.</summary>
    public static string Token => Environment.GetEnvironmentVariable("VEIL_PKCS11_TOKEN") ?? string.Empty;

    /// <summary>The user PIN.</summary>
    public static string Pin => Environment.GetEnvironmentVariable("VEIL_PKCS11_PIN") ?? string.Empty;

    /// <summary>Why the tests cannot run here, or null when they can.</summary>
    public static string? SkipReason =>
        string.IsNullOrEmpty(Module) || string.IsNullOrEmpty(Token) || string.IsNullOrEmpty(Pin)
            ? "PKCS#11 tests need a SoftHSM2 token: set VEIL_PKCS11_MODULE, VEIL_PKCS11_TOKEN and VEIL_PKCS11_PIN (and SOFTHSM2_CONF) as .ci/run does."
            : File.Exists(Module) ? null : $"PKCS#11 module '{Module}' (VEIL_PKCS11_MODULE) does not exist; install softhsm2.";

    /// <summary>A KMS client for the token, logging in with <paramref name="pin"/> (the configured PIN by default).</summary>
    public static Pkcs11KmsClient Client(string? pin = null)
    {
        string value = pin ?? Pin;
        return new(new Pkcs11KmsOptions { ModulePath = Module!, Pin = () => value });
    }

    /// <summary>A <c>pkcs11:</c> URI naming a new object on the token.</summary>
    public static string NewKeyUri() => $"pkcs11:token={Uri.EscapeDataString(Token)};object=veil-test-{Guid.NewGuid():N}";
}

/// <summary>A fact that is skipped, with the reason, when no SoftHSM2 token is configured.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SoftHsmFactAttribute : FactAttribute
{
    /// <summary>Skips unless <see cref="SoftHsm.SkipReason"/> is null.</summary>
    public SoftHsmFactAttribute() => Skip = SoftHsm.SkipReason;
}
