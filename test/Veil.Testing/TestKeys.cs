using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using Veil.Keys;
using Veil.Kms.LocalFile;

namespace Veil.Testing;

/// <summary>
/// Keys for tests: the known-answer secrets of ALLOY-COMPAT and an Alloy-style configuration built from them (static),
/// and, per instance, a keyset with a vector, a deterministic and a standard secret wrapped by a cheap local KMS key in
/// a temporary directory.
/// </summary>
public sealed class TestKeys : IDisposable
{
    /// <summary>The passphrase of the local KMS key that wraps the instance keyset.</summary>
    public const string Passphrase = "test passphrase";

    /// <summary>The secret path of the instance keyset's vector and deterministic secrets.</summary>
    public const string SecretPath = "docs";

    /// <summary>The derivation path the tests encrypt under.</summary>
    public const string DerivationPath = "embedding";

    /// <summary>The dimension of the tests' vectors.</summary>
    public const int Dimensions = 32;

    /// <summary>The ASCII secret of ALLOY-COMPAT §5.7 (its bytes are the secret).</summary>
    public const string Kat57Ascii = "hJdwvEeg5mxTu9qWcWrljfKs1ga4MpQ9MzXgLxtlkwX//yA=";

    /// <summary>The 32-byte key of ALLOY-COMPAT §5.6.</summary>
    public static readonly byte[] Kat56Key =
        [69, 96, 99, 158, 198, 112, 183, 161, 125, 73, 43, 39, 62, 7, 123, 10, 150, 190, 245, 139, 167, 118, 7, 121, 229, 68, 84, 110, 0, 14, 254, 200];

    private static readonly LocalFileKmsOptions s_cheap = new() { MemorySizeKiB = 8 * 1024, Iterations = 1 };
    private readonly Func<IKmsClient> _kms;

    /// <summary>A keyset wrapped by a local KMS key file in a temporary directory.</summary>
    public TestKeys()
        : this(null, null, null)
    {
    }

    /// <summary>A keyset wrapped by <paramref name="createKek"/>(<paramref name="kekUri"/>) and unwrapped by <paramref name="kms"/>.</summary>
    /// <remarks>
    /// Test classes build it in field initializers and fixtures, which cannot await: it blocks on the KMS, which is safe
    /// because the library never resumes on a synchronization context (ConfigureAwait(false) throughout).
    /// </remarks>
    public TestKeys(Func<IKmsClient>? kms, Func<string, ValueTask<IKeyEncryptionKey>>? createKek, string? kekUri)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("veil-test-keys-").FullName;
        kekUri ??= "local:" + Path.Combine(Directory, "kek.json");
        _kms = kms ?? (() => LocalKms);
        createKek ??= uri => LocalKms.CreateKeyAsync(uri);
        KeysetJson = CreateAsync(kekUri, createKek).GetAwaiter().GetResult();
    }

    /// <summary>The §5.6 key in base64.</summary>
    public static string Kat56Base64 => Convert.ToBase64String(Kat56Key);

    /// <summary>The §5.7 secret's bytes in base64.</summary>
    public static string Kat57Base64 => Convert.ToBase64String(Encoding.UTF8.GetBytes(Kat57Ascii));

    /// <summary>The temporary directory holding the KMS key file.</summary>
    public string Directory { get; }

    /// <summary>The wrapped keyset, as JSON.</summary>
    public string KeysetJson { get; }

    private static LocalFileKmsClient LocalKms => new(() => Passphrase, s_cheap);

    /// <summary>
    /// An Alloy-style configuration: vector and deterministic path "p" (current 2, in rotation 1), vector path "old"
    /// (current 1 only, same bytes as "p"'s id 1) and standard secrets 10 (primary) and 11.
    /// </summary>
    public static string RotatingConfig(double beta = 1.1) => $$"""
        {
          "vector": {
            "p": {"approximationFactor": {{beta.ToString(CultureInfo.InvariantCulture)}}, "current": {"id": 2, "secret": "{{Kat57Base64}}"}, "inRotation": {"id": 1, "secret": "{{Kat56Base64}}"} },
            "old": {"approximationFactor": {{beta.ToString(CultureInfo.InvariantCulture)}}, "current": {"id": 1, "secret": "{{Kat56Base64}}"} }
          },
          "deterministic": {
            "p": {"current": {"id": 2, "secret": "{{Kat57Base64}}"}, "inRotation": {"id": 1, "secret": "{{Kat56Base64}}"} },
            "old": {"current": {"id": 1, "secret": "{{Kat56Base64}}"} }
          },
          "standard": {"primaryId": 10, "secrets": [{"id": 10, "secret": "{{Kat57Base64}}"}, {"id": 11, "secret": "{{Kat56Base64}}"}]}
        }
        """;

    /// <summary><paramref name="vector"/> scaled to unit L2 norm, as embeddings are.</summary>
    public static float[] Unit(float[] vector)
    {
        float norm = TensorPrimitives.Norm(vector);
        return [.. vector.Select(x => x / norm)];
    }

    /// <summary>Unwraps the keyset afresh through a new KMS client, as a restarted service does.</summary>
    public Task<UnwrappedKeyset> UnwrapAsync() => Keyset.Parse(KeysetJson).UnwrapAsync(_kms());

    /// <inheritdoc />
    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    private static async Task<string> CreateAsync(string kekUri, Func<string, ValueTask<IKeyEncryptionKey>> createKek)
    {
        Keyset keyset = Keyset.Create(kekUri);
        using (IKeyEncryptionKey kek = await createKek(kekUri).ConfigureAwait(false))
        {
            await keyset.AddVectorSecretAsync(new SecretPath(SecretPath), kek, approximationFactor: 2.5f).ConfigureAwait(false);
            await keyset.AddDeterministicSecretAsync(new SecretPath(SecretPath), kek).ConfigureAwait(false);
            await keyset.AddStandardSecretAsync(kek).ConfigureAwait(false);
        }

        return keyset.ToJson();
    }
}
