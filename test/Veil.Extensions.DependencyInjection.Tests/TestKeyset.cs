using Veil.Keys;
using Veil.Testing;

namespace Veil.Extensions.DependencyInjection.Tests;

/// <summary>The shared <see cref="TestKeys"/> keyset written to a file, its KMS passphrase in an environment variable of its own.</summary>
internal sealed class TestKeyset : IDisposable
{
    public const int Dimensions = 8;

    public static readonly SecretPath Secret = new(TestKeys.SecretPath);
    public static readonly DerivationPath Derivation = new(TestKeys.DerivationPath);
    public static readonly TenantId Acme = new("acme");

    private readonly TestKeys _keys = new();

    public TestKeyset()
    {
        PassphraseVariable = "VEIL_TEST_PASSPHRASE_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(PassphraseVariable, TestKeys.Passphrase);
        File.WriteAllText(KeysetPath, _keys.KeysetJson);
    }

    public string Directory => _keys.Directory;

    public string PassphraseVariable { get; }

    public string KeysetPath => Path.Combine(Directory, "keyset.json");

    /// <summary>The "Veil" section for these local keys.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["Veil:Keys:KeysetPath"] = KeysetPath,
        ["Veil:Keys:PassphraseVariable"] = PassphraseVariable,
    };

    public static float[] Unit(params float[] vector) => TestKeys.Unit(vector);

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(PassphraseVariable, null);
        _keys.Dispose();
    }
}
