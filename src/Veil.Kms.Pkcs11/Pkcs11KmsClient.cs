using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Veil.Keys;

namespace Veil.Kms.Pkcs11;

/// <summary>
/// A KMS backed by a PKCS#11 token (an HSM, or SoftHSM2 for tests). The KEK is an AES-256 key generated inside the
/// token as sensitive and non-extractable (<see cref="CreateKeyAsync"/>); secrets are wrapped and unwrapped by AES-GCM
/// inside the token, bound to the keyset's associated data. Key URIs: <c>pkcs11:token=&lt;label&gt;;object=&lt;label&gt;</c>.
/// </summary>
/// <remarks>
/// <para><b>Security.</b> The KEK's bytes never leave the token. The PIN comes from <see cref="Pkcs11KmsOptions.Pin"/>
/// and is never put in URIs, exceptions or logs. PKCS#11 login is per process and token: while another key of the
/// same token is open in this process, a new one reuses that login.</para>
/// <para><b>Thread safety.</b> The client and its keys are safe for concurrent use (each key serialises its session).</para>
/// </remarks>
public sealed class Pkcs11KmsClient : IKmsClient
{
    /// <summary>The URI prefix this client serves.</summary>
    public const string UriPrefix = Pkcs11KeyUri.Scheme;

    private const int KekLengthBytes = 32;

    private readonly Pkcs11KmsOptions _options;

    /// <summary>Creates the client; nothing is loaded until a key is opened.</summary>
    public Pkcs11KmsClient(Pkcs11KmsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ModulePath, nameof(options));
        ArgumentNullException.ThrowIfNull(options.Pin, nameof(options));
        _options = options;
    }

    /// <inheritdoc/>
    public bool Supports(string keyUri) => keyUri is not null && keyUri.StartsWith(UriPrefix, StringComparison.Ordinal);

    /// <inheritdoc/>
    /// <exception cref="KeyNotAvailableException">The module cannot be loaded, the token or key is not found, or login fails (wrong PIN).</exception>
    /// <remarks>PKCS#11 calls are synchronous: it completes synchronously, after checking the token.</remarks>
    public ValueTask<IKeyEncryptionKey> GetKeyAsync(string keyUri, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult<IKeyEncryptionKey>(Open(keyUri, create: false));
    }

    /// <summary>
    /// Generates the KEK inside the token (AES-256; <c>CKA_TOKEN</c>, <c>CKA_PRIVATE</c>, <c>CKA_SENSITIVE</c> true;
    /// <c>CKA_EXTRACTABLE</c> false; usable only to encrypt and decrypt) and returns it.
    /// </summary>
    /// <exception cref="InvalidOperationException">A key with that label already exists in the token.</exception>
    /// <exception cref="KeyNotAvailableException">The module cannot be loaded, the token is not found, or login fails.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (nothing is generated).</exception>
    public ValueTask<IKeyEncryptionKey> CreateKeyAsync(string keyUri, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult<IKeyEncryptionKey>(Open(keyUri, create: true));
    }

    private Pkcs11KeyEncryptionKey Open(string keyUri, bool create)
    {
        Pkcs11KeyUri uri = Pkcs11KeyUri.Parse(keyUri);
        Pkcs11Module module = Pkcs11Module.Acquire(_options.ModulePath);
        ISession? session = null;
        try
        {
            ISlot slot = FindSlot(module, uri.Token);
            session = slot.OpenSession(SessionType.ReadWrite);
            Login(session, uri.Token);
            IObjectHandle key = create ? Generate(session, uri) : Find(session, uri);
            return new Pkcs11KeyEncryptionKey(keyUri, module, session, key);
        }
        catch (Pkcs11Exception e)
        {
            session?.Dispose();
            module.Release();
            throw new KeyNotAvailableException($"PKCS#11 failed opening '{Pkcs11UriRedaction.Redact(keyUri)}': {e.RV}.", e);
        }
        catch
        {
            session?.Dispose();
            module.Release();
            throw;
        }
    }

    private static ISlot FindSlot(Pkcs11Module module, string tokenLabel)
    {
        foreach (ISlot slot in module.Library.GetSlotList(SlotsType.WithTokenPresent))
        {
            if (slot.GetTokenInfo().Label.Trim() == tokenLabel)
            {
                return slot;
            }
        }

        throw new KeyNotAvailableException($"No PKCS#11 token labelled '{Pkcs11UriRedaction.RedactAttribute(tokenLabel)}' is present.");
    }

    private void Login(ISession session, string tokenLabel)
    {
        try
        {
            session.Login(CKU.CKU_USER, _options.Pin() ?? string.Empty);
        }
        catch (Pkcs11Exception e) when (e.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
        {
            // Another open key of this token in this process already logged in (login is per application).
        }
        catch (Pkcs11Exception e) when (e.RV is CKR.CKR_PIN_INCORRECT or CKR.CKR_PIN_INVALID or CKR.CKR_PIN_LEN_RANGE or CKR.CKR_PIN_LOCKED or CKR.CKR_ARGUMENTS_BAD)
        {
            throw new KeyNotAvailableException($"Login to PKCS#11 token '{Pkcs11UriRedaction.RedactAttribute(tokenLabel)}' was refused: {e.RV}.", e);
        }
    }

    private static IObjectHandle Find(ISession session, Pkcs11KeyUri uri)
    {
        List<IObjectHandle> found = session.FindAllObjects(
        [
            session.Factories.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            session.Factories.ObjectAttributeFactory.Create(CKA.CKA_LABEL, uri.Object),
        ]);
        return found.Count switch
        {
            1 => found[0],
            0 => throw new KeyNotAvailableException($"Token '{Pkcs11UriRedaction.RedactAttribute(uri.Token)}' has no secret key labelled '{Pkcs11UriRedaction.RedactAttribute(uri.Object)}'."),
            _ => throw new KeyNotAvailableException($"Token '{Pkcs11UriRedaction.RedactAttribute(uri.Token)}' has {found.Count} secret keys labelled '{Pkcs11UriRedaction.RedactAttribute(uri.Object)}'; labels must be unique."),
        };
    }

    private static IObjectHandle Generate(ISession session, Pkcs11KeyUri uri)
    {
        if (session.FindAllObjects([session.Factories.ObjectAttributeFactory.Create(CKA.CKA_LABEL, uri.Object)]).Count > 0)
        {
            throw new InvalidOperationException($"Token '{Pkcs11UriRedaction.RedactAttribute(uri.Token)}' already has an object labelled '{Pkcs11UriRedaction.RedactAttribute(uri.Object)}'.");
        }

        var factory = session.Factories.ObjectAttributeFactory;
        List<IObjectAttribute> template =
        [
            factory.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            factory.Create(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
            factory.Create(CKA.CKA_VALUE_LEN, (ulong)KekLengthBytes),
            factory.Create(CKA.CKA_LABEL, uri.Object),
            factory.Create(CKA.CKA_TOKEN, true),
            factory.Create(CKA.CKA_PRIVATE, true),
            factory.Create(CKA.CKA_SENSITIVE, true),
            factory.Create(CKA.CKA_EXTRACTABLE, false),
            factory.Create(CKA.CKA_ENCRYPT, true),
            factory.Create(CKA.CKA_DECRYPT, true),
            factory.Create(CKA.CKA_WRAP, false),
            factory.Create(CKA.CKA_UNWRAP, false),
            factory.Create(CKA.CKA_SIGN, false),
            factory.Create(CKA.CKA_VERIFY, false),
            factory.Create(CKA.CKA_DERIVE, false),
        ];
        using IMechanism mechanism = session.Factories.MechanismFactory.Create(CKM.CKM_AES_KEY_GEN);
        return session.GenerateKey(mechanism, template);
    }
}
