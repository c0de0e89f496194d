using System.Runtime.InteropServices;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Veil.Kms.Pkcs11;

namespace Veil.Kms.Tests;

/// <summary>
/// The SoftHSM2 token the PKCS#11 tests use, from the environment that <c>.ci/run</c> exports:
/// VEIL_PKCS11_MODULE (module path), VEIL_PKCS11_TOKEN (token label), VEIL_PKCS11_PIN (user PIN), and SOFTHSM2_CONF.
/// </summary>
internal static class SoftHsm
{
    /// <summary>The xunit collection of every test that logs in to the token: they must not run in parallel, since a login is per process.</summary>
    public const string Collection = "SoftHSM2 token";

    public static string? Module => Environment.GetEnvironmentVariable("VEIL_PKCS11_MODULE");

    public static string Token => Environment.GetEnvironmentVariable("VEIL_PKCS11_TOKEN") ?? string.Empty;

    public static string Pin => Environment.GetEnvironmentVariable("VEIL_PKCS11_PIN") ?? string.Empty;

    /// <summary>Why the tests cannot run here, or null when they can.</summary>
    public static string? SkipReason
    {
        get
        {
            if (string.IsNullOrEmpty(Module) || string.IsNullOrEmpty(Token) || string.IsNullOrEmpty(Pin))
            {
                return "PKCS#11 tests need a SoftHSM2 token: set VEIL_PKCS11_MODULE, VEIL_PKCS11_TOKEN and VEIL_PKCS11_PIN (and SOFTHSM2_CONF) as .ci/run does.";
            }

            return File.Exists(Module) ? null : $"PKCS#11 module '{Module}' (VEIL_PKCS11_MODULE) does not exist; install softhsm2.";
        }
    }

    public static Pkcs11KmsClient Client(string? pin = null)
    {
        string value = pin ?? Pin;
        return new(new Pkcs11KmsOptions { ModulePath = Module!, Pin = () => value });
    }

    public static string NewKeyUri() => $"pkcs11:token={Uri.EscapeDataString(Token)};object=veil-test-{Guid.NewGuid():N}";

    /// <summary>Reads attributes of the object labelled <paramref name="label"/> through a separate, raw session.</summary>
    public static List<IObjectAttribute> ReadAttributes(string label, params CKA[] attributes)
    {
        EnsureLibdl();
        var factories = new Pkcs11InteropFactories();
        using IPkcs11Library library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, Module!, AppType.MultiThreaded);
        ISlot slot = library.GetSlotList(SlotsType.WithTokenPresent).Single(s => s.GetTokenInfo().Label.Trim() == Token);
        using ISession session = slot.OpenSession(SessionType.ReadOnly);
        session.Login(CKU.CKU_USER, Pin);
        IObjectHandle handle = session.FindAllObjects([session.Factories.ObjectAttributeFactory.Create(CKA.CKA_LABEL, label)]).Single();
        List<IObjectAttribute> values = session.GetAttributeValue(handle, [.. attributes]);
        session.Logout();
        return values;
    }

    private static void EnsureLibdl()
    {
        try
        {
            NativeLibrary.SetDllImportResolver(
                typeof(Pkcs11InteropFactories).Assembly,
                (name, _, _) => name == "libdl" && NativeLibrary.TryLoad("libdl.so.2", out IntPtr handle) ? handle : IntPtr.Zero);
        }
        catch (InvalidOperationException)
        {
            // Already set (by Veil.Kms.Pkcs11 or an earlier test).
        }
    }
}

/// <summary>A fact that is skipped, with the reason, when no SoftHSM2 token is configured.</summary>
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
