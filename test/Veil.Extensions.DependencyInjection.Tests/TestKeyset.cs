using Veil.Configuration;
using Veil.Keys;
using Veil.Kms.LocalFile;

namespace Veil.Extensions.DependencyInjection.Tests;

/// <summary>A keyset file with a vector, a deterministic and a standard secret, wrapped by a cheap local KMS key, its passphrase in a variable of its own.</summary>
internal sealed class TestKeyset : IDisposable
{
    public const string VectorPath = "docs";
    public const string DerivationPath = "minilm";
    public const int Dimensions = 8;
    private const string Passphrase = "test passphrase";

    public static readonly SecretPath Secret = new(VectorPath);
    public static readonly DerivationPath Derivation = new(DerivationPath);
    public static readonly TenantId Acme = new("acme");

    public TestKeyset()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("veil-di-").FullName;
        PassphraseVariable = "VEIL_TEST_PASSPHRASE_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(PassphraseVariable, Passphrase);
        string kekUri = "local:" + Path.Combine(Directory, "kek.json");
        var kms = new LocalFileKmsClient(() => Passphrase, new LocalFileKmsOptions { MemorySizeKiB = 8 * 1024, Iterations = 1 });
        Keyset keyset = Keyset.Create(kekUri);
        using (IKeyEncryptionKey kek = kms.CreateKey(kekUri))
        {
            keyset.AddVectorSecret(Secret, kek, approximationFactor: 2.5f);
            keyset.AddDeterministicSecret(Secret, kek);
            keyset.AddStandardSecret(kek);
        }

        KeysetFile.Create(keyset, KeysetPath);
    }

    public string Directory { get; }

    public string PassphraseVariable { get; }

    public string KeysetPath => Path.Combine(Directory, "keyset.json");

    /// <summary>The "Veil" section for these local keys.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["Veil:Keys:KeysetPath"] = KeysetPath,
        ["Veil:Keys:PassphraseVariable"] = PassphraseVariable,
    };

    public static float[] Unit(params float[] vector)
    {
        float norm = System.Numerics.Tensors.TensorPrimitives.Norm(vector);
        return [.. vector.Select(x => x / norm)];
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(PassphraseVariable, null);
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
