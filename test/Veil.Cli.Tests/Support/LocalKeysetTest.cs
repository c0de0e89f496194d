using Veil.Cli.Commands;
using Veil.Kms.LocalFile;
using Veil.Testing;

namespace Veil.Cli.Tests.Support;

/// <summary>
/// A test class with a keyset in a temporary directory, wrapped by the local-file KMS under a passphrase held in a
/// per-instance environment variable (cheap Argon2 settings), and helpers that run <c>veil</c> with it.
/// </summary>
public abstract class LocalKeysetTest : IDisposable
{
    /// <summary>The tenant <see cref="WithKeys"/> passes.</summary>
    protected const string Tenant = "t1";

    /// <summary>Local-KMS settings that make key derivation cheap in tests.</summary>
    internal static readonly LocalFileKmsOptions CheapKms = new() { MemorySizeKiB = 8 * 1024, Iterations = 1 };

    protected LocalKeysetTest()
    {
        KeysCommand.LocalOptionsForTests = CheapKms;
        Environment.SetEnvironmentVariable(PassphraseVariable, "a test passphrase");
    }

    internal TempDirectory TempDir { get; } = new();

    /// <summary>The environment variable holding the passphrase (unset on dispose).</summary>
    protected string PassphraseVariable { get; } = "VEIL_TEST_PASSPHRASE_" + Guid.NewGuid().ToString("N");

    protected string Keyset => TempDir.File("keyset.json");

    protected string Store => "duckdb:" + TempDir.File("veil.duckdb");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(PassphraseVariable, null);
        TempDir.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary><c>veil keys --keyset … --passphrase-env … args</c>.</summary>
    internal Task<CliResult> Keys(params string[] args) =>
        VeilCli.RunAsync(string.Empty, ["keys", "--keyset", Keyset, "--passphrase-env", PassphraseVariable, .. args]);

    /// <summary><c>veil args --keyset … --passphrase-env … --tenant t1</c> with <paramref name="stdin"/>.</summary>
    internal Task<CliResult> WithKeys(string stdin, params string[] args) =>
        VeilCli.RunAsync(stdin, [.. args, "--keyset", Keyset, "--passphrase-env", PassphraseVariable, "--tenant", Tenant]);
}
