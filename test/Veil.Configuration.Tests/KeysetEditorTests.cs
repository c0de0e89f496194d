using Veil.Keys;
using Veil.Kms.LocalFile;

namespace Veil.Configuration.Tests;

/// <summary><see cref="KeysetEditor"/>: a keyset file's lifecycle through a local KMS key with cheap Argon2id costs.</summary>
public sealed class KeysetEditorTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private string File => _directory.File("keys.json");

    private string KekUri => "local:" + _directory.File("kek.json");

    [Fact]
    public async Task CreateAddPromoteRetire_WalksTheLifecycleAndCheckCountsLiveAndRetired()
    {
        KeysetChange create = await KeysetEditor.CreateAsync(File, KekUri, Kms(), createKek: true, ["p"], new VectorSecretSettings(2.5f), ["p"], standard: true);
        KeysetChange add = await KeysetEditor.AddAsync(File, Kms(), KeysetSection.Vector, TestIds.P, new VectorSecretSettings(2.5f));
        IReadOnlyList<KeysetSecretInfo> created = create.Secrets;
        KeysetSecretInfo added = Assert.Single(add.Secrets);
        KeysetSecretInfo promoted = Assert.Single((await KeysetEditor.PromoteAsync(File, Kms(), KeysetSection.Vector, TestIds.P, added.Id)).Secrets);
        KeysetSecretInfo retired = Assert.Single((await KeysetEditor.RetireAsync(File, Kms(), KeysetSection.Vector, TestIds.P, created[0].Id)).Secrets);

        Assert.Equal([KeysetSection.Vector, KeysetSection.Deterministic, KeysetSection.Standard], created.Select(c => c.Section));
        Assert.All(created, c => Assert.Equal(KeysetSecretState.Current, c.State));
        Assert.Equal(KeysetSecretState.Pending, added.State);
        Assert.Equal(KeysetSecretState.Current, promoted.State);
        Assert.Equal(KeysetSecretState.Retired, retired.State);
        Assert.Equal((3, 1), await KeysetEditor.CheckAsync(File, Kms()));
        Assert.Contains("with 3 secret(s)", create.Summary, StringComparison.Ordinal);
        Assert.Contains($"as pending; deploy the keyset everywhere, then run 'veil keys promote --id {added.Id}'", add.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WhenNothingToCreateOrVectorsWithoutBeta_ThrowsAndWritesNoFile()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => KeysetEditor.CreateAsync(File, KekUri, Kms(), createKek: true, [], new VectorSecretSettings(), [], standard: false));
        await Assert.ThrowsAsync<ArgumentException>(() => KeysetEditor.CreateAsync(File, KekUri, Kms(), createKek: true, ["p"], new VectorSecretSettings(), [], standard: false));

        Assert.False(System.IO.File.Exists(File));
    }

    [Fact]
    public async Task Add_WhenTheKeysetFileWasTamperedWith_IsRefusedByTheAuthenticationTag()
    {
        await KeysetEditor.CreateAsync(File, KekUri, Kms(), createKek: true, ["p"], new VectorSecretSettings(2.5f), [], standard: false);
        // The attack: edit the (unauthenticated-looking) β in the file to weaken the secret.
        string json = System.IO.File.ReadAllText(File);
        Assert.Contains("2.5", json);
        System.IO.File.WriteAllText(File, json.Replace("2.5", "25", StringComparison.Ordinal));

        await Assert.ThrowsAnyAsync<KeyNotAvailableException>(() => KeysetEditor.AddAsync(File, Kms(), KeysetSection.Vector, TestIds.P, new VectorSecretSettings(2.5f)));
        Assert.DoesNotContain("\"pending\"", System.IO.File.ReadAllText(File));
    }

    [Fact]
    public async Task PublicInfo_ListsTheSecretsWithoutAnyWrappedKeyMaterial()
    {
        await KeysetEditor.CreateAsync(File, KekUri, Kms(), createKek: true, ["p"], new VectorSecretSettings(2.5f), ["p"], standard: true);

        string info = KeysetInfoJson.PublicInfo(KeysetFile.Load(File));

        using var document = System.Text.Json.JsonDocument.Parse(info);
        Assert.Equal(KeysetInfoJson.PublicInfoFormat, document.RootElement.GetProperty("format").GetString());
        Assert.Equal(["vector", "deterministic", "standard"], document.RootElement.GetProperty("secrets").EnumerateArray().Select(e => e.GetProperty("section").GetString()));
        // Every long string of the keyset file (wrapped secrets, integrity key, tag) stays out of the public info.
        using var keyset = System.Text.Json.JsonDocument.Parse(System.IO.File.ReadAllText(File));
        string[] blobs = [.. Strings(keyset.RootElement).Where(v => v.Length >= 24 && !v.StartsWith("local:", StringComparison.Ordinal) && !v.StartsWith("veil-", StringComparison.Ordinal))];
        Assert.NotEmpty(blobs);
        Assert.All(blobs, blob => Assert.DoesNotContain(blob, info, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WriteList_WritesATableOrJsonLines_OneSecretPerLine()
    {
        IReadOnlyList<KeysetSecretInfo> created = (await KeysetEditor.CreateAsync(File, KekUri, Kms(), createKek: true, ["p"], new VectorSecretSettings(2.5f), ["p"], standard: true)).Secrets;
        Keyset keyset = KeysetFile.Load(File);
        using var table = new StringWriter();
        using var json = new StringWriter();

        KeysetEditor.WriteList(table, keyset);
        KeysetEditor.WriteList(json, keyset, json: true);

        string[] rows = table.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("section", rows[0], StringComparison.Ordinal);
        Assert.Equal(["vector", "deterministic", "standard"], rows.Skip(1).Select(r => r.Split(' ')[0]));
        Assert.Contains("2.5", rows[1], StringComparison.Ordinal);
        Assert.Contains("\"p\"", rows[1], StringComparison.Ordinal);
        string[] lines = json.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(created.Select(c => c.Id.Value), lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("id").GetUInt32()));
        Assert.Equal(2.5, System.Text.Json.JsonDocument.Parse(lines[0]).RootElement.GetProperty("approximationFactor").GetDouble());
    }

    public void Dispose() => _directory.Dispose();

    private static KmsSelection Kms() => new(
        new StringReader("test passphrase\n"),
        new KmsSettings("UNUSED", PassphraseFromStdin: true, KmsSelection.DefaultPinVariable, null, new LocalFileKmsOptions { MemorySizeKiB = 8 * 1024, Iterations = 1 }));

    private static IEnumerable<string> Strings(System.Text.Json.JsonElement element) => element.ValueKind switch
    {
        System.Text.Json.JsonValueKind.String => [element.GetString()!],
        System.Text.Json.JsonValueKind.Object => element.EnumerateObject().SelectMany(p => Strings(p.Value)),
        System.Text.Json.JsonValueKind.Array => element.EnumerateArray().SelectMany(Strings),
        _ => [],
    };
}
