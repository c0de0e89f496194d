using Veil.Cli.Commands;
using Veil.Cli.Tests.Support;
using Veil.Documents.Store;
using Veil.Keys;
using Veil.Kms.LocalFile;

namespace Veil.Cli.Tests;

/// <summary>
/// <c>veil keys retire --store</c> refuses to retire a secret that still encrypts rows of the store (the data would
/// become undecryptable), unless <c>--force</c>; without <c>--store</c> it warns.
/// </summary>
public sealed class KeyRetirementTests : LocalKeysetTest
{

    [Fact]
    public async Task Retire_WhenTheStoreStillHoldsRowsUnderTheSecret_RefusesWithTheCountUntilRotated()
    {
        await CreateKeysetAndIngestAsync();
        foreach (string section in new[] { "--vector", "--deterministic" })
        {
            Assert.Equal(ExitCodes.Success, (await Keys("add", section, "p")).ExitCode);
            Assert.Equal(ExitCodes.Success, (await Keys("promote", section, "p", "--id", "2")).ExitCode);
        }

        CliResult refused = await Keys("retire", "--vector", "p", "--id", "1", "--store", Store, "--collection", "documents");
        CliResult refusedAnyCollection = await Keys("retire", "--deterministic", "p", "--id", "1", "--store", Store);
        string listAfterRefusal = (await Keys("list", "--json")).Stdout;
        CliResult rotate = await WithKeys(string.Empty, "rotate", "--store", Store);
        CliResult retired = await Keys("retire", "--vector", "p", "--id", "1", "--store", Store, "--collection", "documents");

        Assert.Equal(ExitCodes.InvalidOptions, refused.ExitCode);
        Assert.Contains("3 row(s)", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("veil rotate", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("--force", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.InvalidOptions, refusedAnyCollection.ExitCode);
        Assert.Contains("2 row(s)", refusedAnyCollection.Stderr, StringComparison.Ordinal); // the two rows with a category
        Assert.DoesNotContain("\"retired\"", listAfterRefusal, StringComparison.Ordinal);
        Assert.True(rotate.ExitCode == ExitCodes.Success, rotate.Stderr);
        Assert.True(retired.ExitCode == ExitCodes.Success, retired.Stderr);
        Assert.Contains("no rows", retired.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retire_WhenForcedOrWithoutStore_RetiresAndWarnsThatTheDataBecomesUndecryptable()
    {
        await CreateKeysetAndIngestAsync();
        await Keys("add", "--vector", "p");
        await Keys("promote", "--vector", "p", "--id", "2");
        await Keys("add", "--deterministic", "p");
        await Keys("promote", "--deterministic", "p", "--id", "2");

        CliResult forced = await Keys("retire", "--vector", "p", "--id", "1", "--store", Store, "--force");
        CliResult blind = await Keys("retire", "--deterministic", "p", "--id", "1");

        Assert.True(forced.ExitCode == ExitCodes.Success, forced.Stderr);
        Assert.Contains("3 row(s)", forced.Stderr, StringComparison.Ordinal);
        Assert.Contains("can no longer be decrypted", forced.Stderr, StringComparison.Ordinal);
        Assert.True(blind.ExitCode == ExitCodes.Success, blind.Stderr);
        Assert.Contains("warning:", blind.Stderr, StringComparison.Ordinal);
        Assert.Contains("--store", blind.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyUsage_CountsTheRowsUnderASecretPerColumnAndOnlyOnTheCollectionsSecretPath()
    {
        using var config = new TempConfig(TestKeys.RotatingConfig());
        CliResult ingest = await VeilCli.RunAsync(Documents, "ingest", "--store", Store, "--config", config.Path, "--tenant", Tenant, "--secret-path", "p");
        Assert.True(ingest.ExitCode == ExitCodes.Success, ingest.Stderr);
        StoreLocation location = StoreLocation.Parse(Store);

        async Task<long> Count(KeysetSection section, string path, uint id) =>
            (await KeyUsage.CountAsync(location, "documents", section, new SecretPath(path), new KeyId(id), CancellationToken.None)).Sum(r => r.Rows);

        Assert.Equal(3, await Count(KeysetSection.Vector, "p", 2)); // "p" encrypts with its current secret, 2
        Assert.Equal(0, await Count(KeysetSection.Vector, "p", 1));
        Assert.Equal(0, await Count(KeysetSection.Vector, "old", 2)); // another path's secret 2 is another secret
        Assert.Equal(2, await Count(KeysetSection.Deterministic, "p", 2));
        Assert.Equal(1, await Count(KeysetSection.Standard, string.Empty, 10)); // only "a" has other fields
        Assert.Equal(0, await Count(KeysetSection.Standard, string.Empty, 11));
    }

    private static string Documents => VeilCli.Lines(
        """{"id":"a","vector":[0.6,0.8,0],"category":"faq","title":"First"}""",
        """{"id":"b","vector":[0,0.6,0.8],"category":"guide"}""",
        """{"id":"c","vector":[0.8,0,0.6]}""");

    private async Task CreateKeysetAndIngestAsync()
    {
        CliResult create = await Keys("create", "--kms", "local:kek.json", "--create-kek", "--vector", "p", "--beta", "2.5", "--deterministic", "p", "--standard");
        Assert.True(create.ExitCode == ExitCodes.Success, create.Stderr);
        CliResult ingest = await WithKeys(Documents, "ingest", "--store", Store, "--secret-path", "p");
        Assert.True(ingest.ExitCode == ExitCodes.Success, ingest.Stderr);
    }
}
