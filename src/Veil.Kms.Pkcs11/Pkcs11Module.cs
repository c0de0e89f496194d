using System.Reflection;
using System.Runtime.InteropServices;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Veil.Kms.Pkcs11;

/// <summary>
/// One loaded and initialised PKCS#11 module per path, shared by reference count: C_Initialize may run only once per
/// process, and the last release runs C_Finalize.
/// </summary>
internal sealed class Pkcs11Module
{
    private static readonly Lock s_lock = new();
    private static readonly Dictionary<string, Pkcs11Module> s_modules = new(StringComparer.Ordinal);
    private static bool s_resolverSet;

    private readonly string _path;
    private int _references;

    private Pkcs11Module(string path, IPkcs11Library library)
    {
        _path = path;
        Library = library;
    }

    public static Pkcs11InteropFactories Factories { get; } = new();

    public IPkcs11Library Library { get; }

    public static Pkcs11Module Acquire(string path)
    {
        lock (s_lock)
        {
            EnsureLibdlResolver();
            if (!s_modules.TryGetValue(path, out Pkcs11Module? module))
            {
                IPkcs11Library library;
                try
                {
                    library = Factories.Pkcs11LibraryFactory.LoadPkcs11Library(Factories, path, AppType.MultiThreaded);
                }
                catch (Exception e) when (e is Pkcs11Exception or UnmanagedException or DllNotFoundException or IOException or ArgumentException)
                {
                    throw new Veil.KeyNotAvailableException($"Cannot load the PKCS#11 module '{path}': {e.Message}", e);
                }

                module = new Pkcs11Module(path, library);
                s_modules.Add(path, module);
            }

            module._references++;
            return module;
        }
    }

    public void Release()
    {
        lock (s_lock)
        {
            if (--_references == 0)
            {
                s_modules.Remove(_path);
                Library.Dispose();
            }
        }
    }

    // Pkcs11Interop dlopen()s through "libdl", which Debian bookworm ships only as libdl.so.2 (no dev symlink).
    private static void EnsureLibdlResolver()
    {
        if (s_resolverSet)
        {
            return;
        }

        s_resolverSet = true;
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, ResolveLibdl);
        }
        catch (InvalidOperationException)
        {
            // The host application already set a resolver for Pkcs11Interop; keep it.
        }
    }

    private static IntPtr ResolveLibdl(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == "libdl" && OperatingSystem.IsLinux() && NativeLibrary.TryLoad("libdl.so.2", out IntPtr handle) ? handle : IntPtr.Zero;
}
