using Veil.Keys;
using Veil.Kms.LocalFile;

namespace Veil.Service.Tests;

/// <summary>A keyset with a vector, a deterministic and a standard secret, wrapped by a cheap local KMS key.</summary>
internal sealed class TestKeys : IDisposable
{
    public const string Passphrase = "test passphrase";
    public const string SecretPath = "docs";
    public const string DerivationPath = "embedding";
    public const int Dimensions = 32;

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
        Directory = System.IO.Directory.CreateTempSubdirectory("veil-service-").FullName;
        kekUri ??= "local:" + Path.Combine(Directory, "kek.json");
        _kms = kms ?? (() => LocalKms);
        createKek ??= uri => LocalKms.CreateKeyAsync(uri);
        KeysetJson = CreateAsync(kekUri, createKek).GetAwaiter().GetResult();
    }

    public string Directory { get; }

    public string KeysetJson { get; }

    private static LocalFileKmsClient LocalKms => new(() => Passphrase, s_cheap);

    /// <summary>Unwraps the keyset afresh through a new KMS client, as a restarted service does.</summary>
    public Task<UnwrappedKeyset> UnwrapAsync() => Keyset.Parse(KeysetJson).UnwrapAsync(_kms());

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    private static async Task<string> CreateAsync(string kekUri, Func<string, ValueTask<IKeyEncryptionKey>> createKek)
    {
        Keyset keyset = Keyset.Create(kekUri);
        using (IKeyEncryptionKey kek = await createKek(kekUri).ConfigureAwait(false))
        {
            await keyset.AddVectorSecretAsync(SecretPath, kek, approximationFactor: 2.5f).ConfigureAwait(false);
            await keyset.AddDeterministicSecretAsync(SecretPath, kek).ConfigureAwait(false);
            await keyset.AddStandardSecretAsync(kek).ConfigureAwait(false);
        }

        return keyset.ToJson();
    }

    /// <summary><paramref name="vector"/> scaled to unit L2 norm, as embeddings are (the service's default norm limit is 1 + 1e-3).</summary>
    public static float[] Unit(float[] vector)
    {
        float norm = System.Numerics.Tensors.TensorPrimitives.Norm(vector);
        return [.. vector.Select(x => x / norm)];
    }
}
