using System.Runtime.InteropServices;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Veil.Kms.Tests;

/// <summary>Raw reads of objects on the <see cref="SoftHsm"/> token, beside the KMS client, to check how keys are stored.</summary>
internal static class SoftHsmObjects
{
    /// <summary>Reads attributes of the object labelled <paramref name="label"/> through a separate, raw session.</summary>
    public static List<IObjectAttribute> ReadAttributes(string label, params CKA[] attributes)
    {
        EnsureLibdl();
        var factories = new Pkcs11InteropFactories();
        using IPkcs11Library library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, SoftHsm.Module!, AppType.MultiThreaded);
        ISlot slot = library.GetSlotList(SlotsType.WithTokenPresent).Single(s => s.GetTokenInfo().Label.Trim() == SoftHsm.Token);
        using ISession session = slot.OpenSession(SessionType.ReadOnly);
        session.Login(CKU.CKU_USER, SoftHsm.Pin);
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
