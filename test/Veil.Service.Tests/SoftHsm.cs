using Veil.Kms.Pkcs11;

namespace Veil.Service.Tests;

/// <summary>The SoftHSM2 token <c>.ci/run</c> sets up (VEIL_PKCS11_MODULE, VEIL_PKCS11_TOKEN, VEIL_PKCS11_PIN, SOFTHSM2_CONF).</summary>
internal static class SoftHsm
{
    public static string? Module => Environment.GetEnvironmentVariable("VEIL_PKCS11_MODULE");

    public static string Token => Environment.GetEnvironmentVariable("VEIL_PKCS11_TOKEN") ?? string.Empty;

    public static string Pin => Environment.GetEnvironmentVariable("VEIL_PKCS11_PIN") ?? string.Empty;

    public static string? SkipReason =>
        string.IsNullOrEmpty(Module) || string.IsNullOrEmpty(Token) || string.IsNullOrEmpty(Pin)
            ? "HSM restart test needs a SoftHSM2 token: set VEIL_PKCS11_MODULE, VEIL_PKCS11_TOKEN and VEIL_PKCS11_PIN (and SOFTHSM2_CONF) as .ci/run does."
            : File.Exists(Module) ? null : $"PKCS#11 module '{Module}' does not exist; install softhsm2.";

    public static Pkcs11KmsClient Client() => new(new Pkcs11KmsOptions { ModulePath = Module!, Pin = () => Pin });

    public static string NewKeyUri() => $"pkcs11:token={Uri.EscapeDataString(Token)};object=veil-service-test-{Guid.NewGuid():N}";
}

/// <summary>A fact skipped, with the reason, when no SoftHSM2 token is configured.</summary>
internal sealed class SoftHsmFactAttribute : FactAttribute
{
    public SoftHsmFactAttribute()
    {
        if (SoftHsm.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}
