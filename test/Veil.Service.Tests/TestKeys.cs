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

    public TestKeys()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("veil-service-").FullName;
        string kekUri = "local:" + Path.Combine(Directory, "kek.json");
        LocalFileKmsClient kms = Kms;
        Keyset keyset = Keyset.Create(kekUri);
        using (IKeyEncryptionKey kek = kms.CreateKey(kekUri))
        {
            keyset.AddVectorSecret(SecretPath, kek, approximationFactor: 2.5f);
            keyset.AddDeterministicSecret(SecretPath, kek);
            keyset.AddStandardSecret(kek);
        }

        KeysetJson = keyset.ToJson();
    }

    public string Directory { get; }

    public string KeysetJson { get; }

    public static LocalFileKmsClient Kms => new(() => Passphrase, s_cheap);

    /// <summary>Unwraps the keyset afresh, as a restarted service does.</summary>
    public UnwrappedKeyset Unwrap() => Keyset.Parse(KeysetJson).Unwrap(Kms);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
