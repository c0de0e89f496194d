using System.Text.Json;
using System.Text.Json.Nodes;
using Veil.Insecure;
using Veil.Keys;
using Veil.Vectors;

namespace Veil.Tests.Keysets;

public class KeysetTests
{
    private static readonly TenantId s_tenant = new("t");
    private static readonly float[] s_vector = [0.25f, -0.5f, 0.125f, 0.75f];

    [Fact]
    public async Task Lifecycle_WhenCreateAddPromoteRetire_LoadsTheRightSecretsAndOldDataDecryptsUntilRetired()
    {
        var kms = new TestKms();
        using TestKek kek = kms.Kek();
        Keyset keyset = Keyset.Create(kek.KeyUri);
        KeysetSecretInfo first = await keyset.AddVectorSecretAsync(TestIds.P, kek, approximationFactor: 2f);
        Assert.Equal(KeysetSecretState.Current, first.State);

        EncryptedVector old;
        using (UnwrappedKeyset live = await Keyset.Parse(keyset.ToJson()).UnwrapAsync(kms))
        using (var client = new VeilClient(live.Configuration))
        {
            old = client.Vector.Encrypt(s_vector, TestIds.P, new DerivationPath("d"), s_tenant);
            Assert.Equal(first.Id, old.KeyId);
        }

        // add: the new secret is pending; it loads decrypt-only and the old one still encrypts.
        KeysetSecretInfo second = await keyset.AddVectorSecretAsync(TestIds.P, kek);
        Assert.Equal(KeysetSecretState.Pending, second.State);
        using (UnwrappedKeyset live = await Keyset.Parse(keyset.ToJson()).UnwrapAsync(kms))
        {
            RotatableSecret secrets = live.Configuration.Vector[TestIds.P].Secrets;
            Assert.Equal(first.Id, secrets.Current!.Id);
            Assert.Equal(second.Id, secrets.InRotation!.Id);
        }

        // promote: new → current, old → in rotation; old data still decrypts, new data uses the new id.
        keyset.Promote(KeysetSection.Vector, TestIds.P, second.Id);
        keyset = Keyset.Parse(keyset.ToJson());
        using (UnwrappedKeyset live = await keyset.UnwrapAsync(kms))
        using (var client = new VeilClient(live.Configuration))
        {
            Assert.Equal(second.Id, live.Configuration.Vector[TestIds.P].Secrets.Current!.Id);
            Assert.Equal(first.Id, live.Configuration.Vector[TestIds.P].Secrets.InRotation!.Id);
            Assert.Equal(second.Id, client.Vector.Encrypt(s_vector, TestIds.P, new DerivationPath("d"), s_tenant).KeyId);
            AssertClose(s_vector, client.Vector.Decrypt(old, s_tenant));
        }

        // retire: the old secret is no longer loaded, so its data no longer decrypts.
        keyset.Retire(KeysetSection.Vector, TestIds.P, first.Id);
        keyset = Keyset.Parse(keyset.ToJson());
        using (UnwrappedKeyset live = await keyset.UnwrapAsync(kms))
        using (var client = new VeilClient(live.Configuration))
        {
            Assert.Null(live.Configuration.Vector[TestIds.P].Secrets.InRotation);
            Assert.Throws<KeyNotAvailableException>(() => client.Vector.Decrypt(old, s_tenant));
        }

        Assert.Equal(
            [KeysetSecretState.Retired, KeysetSecretState.Current],
            keyset.List().Select(s => s.State));
    }

    [Fact]
    public async Task Unwrap_WhenAllSections_BuildsConfigurationWithStandardPrimaryAndDeterministicSecrets()
    {
        var kms = new TestKms();
        using TestKek kek = kms.Kek();
        Keyset keyset = Keyset.Create(kek.KeyUri);
        await keyset.AddDeterministicSecretAsync(new SecretPath("f"), kek);
        KeysetSecretInfo s1 = await keyset.AddStandardSecretAsync(kek);
        KeysetSecretInfo s2 = await keyset.AddStandardSecretAsync(kek);
        keyset.Promote(KeysetSection.Standard, default, s2.Id);
        using UnwrappedKeyset live = await Keyset.Parse(keyset.ToJson()).UnwrapAsync(kms);
        Assert.Equal(s2.Id, live.Configuration.Standard!.PrimaryId);
        Assert.Equal([s2.Id.Value, s1.Id.Value], live.Configuration.Standard.Secrets.Select(s => s.Id.Value).OrderDescending());
        using var client = new VeilClient(live.Configuration);
        var document = new Dictionary<string, byte[]> { ["a"] = [1, 2, 3] };
        Assert.Equal([1, 2, 3], client.Standard.Decrypt(client.Standard.Encrypt(document, s_tenant), s_tenant)["a"]);
        Assert.Equal("hi"u8.ToArray(), client.Deterministic.Decrypt(client.Deterministic.EncryptDeterministically("hi"u8, new SecretPath("f"), new DerivationPath("d"), s_tenant), s_tenant));
    }

    [Fact]
    public async Task ToJson_WhenSecretsAdded_ContainsNoCleartextSecretAndRecordsKekUri()
    {
        var kms = new TestKms();
        using TestKek kek = kms.Kek();
        Keyset keyset = Keyset.Create(kek.KeyUri);
        await keyset.AddVectorSecretAsync(TestIds.P, kek, 1.5f, useScalingFactor: true);
        await keyset.AddStandardSecretAsync(kek);
        string json = keyset.ToJson();

        // The integrity key (32 bytes) and two secrets (64 bytes each); none appears in the file.
        Assert.Equal([32, 64, 64], kms.Wrapped.Select(w => w.Length).Order());
        foreach (byte[] cleartext in kms.Wrapped)
        {
            Assert.DoesNotContain(Convert.ToBase64String(cleartext), json, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToHexString(cleartext), json, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToBase64String(cleartext.AsSpan(0, 24)), json, StringComparison.Ordinal);
        }

        JsonNode root = JsonNode.Parse(json)!;
        Assert.Equal("veil-keyset/2", (string?)root["format"]);
        JsonNode secret = root["vector"]!["p"]!["secrets"]![0]!;
        Assert.Equal("test:kek", (string?)secret["kekUri"]);
        Assert.True((bool)root["vector"]!["p"]!["useScalingFactor"]!);
        Assert.DoesNotContain(keyset.List(), s => s.ToString().Contains("wrapped", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Unwrap_WhenWrappedSecretTampered_ThrowsKeyNotAvailableWithoutKeyBytes()
    {
        var kms = new TestKms();
        using TestKek kek = kms.Kek();
        Keyset keyset = Keyset.Create(kek.KeyUri);
        await keyset.AddVectorSecretAsync(TestIds.P, kek, 2f);
        JsonNode root = JsonNode.Parse(keyset.ToJson())!;
        JsonNode secret = root["vector"]!["p"]!["secrets"]![0]!;
        byte[] wrapped = Convert.FromBase64String((string)secret["wrapped"]!);
        wrapped[20] ^= 1;
        secret["wrapped"] = Convert.ToBase64String(wrapped);
        Keyset tampered = Keyset.Parse(root.ToJsonString());
        KeyNotAvailableException e = await Assert.ThrowsAsync<KeyNotAvailableException>(() => tampered.UnwrapAsync(kms));
        Assert.Contains("altered", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(kms.Wrapped[0]), e.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("beta")]
    [InlineData("scaling")]
    [InlineData("id")]
    [InlineData("path")]
    public async Task Unwrap_WhenMetadataBoundToSecretChanged_Throws(string change)
    {
        var kms = new TestKms();
        using TestKek kek = kms.Kek();
        Keyset keyset = Keyset.Create(kek.KeyUri);
        await keyset.AddVectorSecretAsync(TestIds.P, kek, 2f);
        JsonNode root = JsonNode.Parse(keyset.ToJson())!;
        JsonObject vector = root["vector"]!.AsObject();
        switch (change)
        {
            case "beta":
                vector["p"]!["approximationFactor"] = 3.0;
                break;
            case "scaling":
                vector["p"]!["useScalingFactor"] = true;
                break;
            case "id":
                vector["p"]!["secrets"]![0]!["id"] = 7;
                break;
            default:
                JsonNode moved = vector["p"]!.DeepClone();
                vector.Remove("p");
                vector["q"] = moved;
                break;
        }

        Keyset tampered = Keyset.Parse(root.ToJsonString());
        await Assert.ThrowsAsync<KeyNotAvailableException>(() => tampered.UnwrapAsync(kms));
    }

    [Theory]
    [InlineData("{}", "format is required")]
    [InlineData("""{"format": "veil-keyset/3", "kekUri": "test:kek"}""", "this version reads 'veil-keyset/2'")]
    [InlineData("""{"format": "veil-keyset/1", "kekUri": "test:kek"}""", "veil keys upgrade")]
    [InlineData("""{"format": "veil-keyset/2", "kekUri": "k", "standard": {"secrets": []}}""", "integrity is required")]
    [InlineData("""{"format": "veil-keyset/1"}""", "kekUri is required")]
    [InlineData("""{"format": "veil-keyset/1", "kekUri": "k", "extra": 1}""", "unknown property")]
    [InlineData("""{"format": "veil-keyset/1", "kekUri": "k", "vector": {"p": {"secrets": []}}}""", "approximationFactor is required")]
    [InlineData("not json", "not valid JSON")]
    public void Parse_WhenMalformed_ThrowsFormatExceptionNamingTheProblem(string json, string expected)
    {
        FormatException e = Assert.Throws<FormatException>(() => Keyset.Parse(json));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("current", "current", "more than one current")]
    [InlineData("inRotation", "inRotation", "more than one inRotation")]
    [InlineData("pending", "inRotation", "both a pending and an inRotation")]
    public void Parse_WhenStatesBreakInvariants_ThrowsFormatException(string state1, string state2, string expected)
    {
        string secret(int id, string state) => $$"""{"id": {{id}}, "state": "{{state}}", "createdAt": "2026-01-01T00:00:00Z", "kekUri": "test:kek", "wrapped": "AAAA"}""";
        string integrity = "\"integrity\": {\"kekUri\": \"test:kek\", \"wrappedKey\": \"AAAA\", \"tag\": \"" + Convert.ToBase64String(new byte[32]) + "\"}";
        string json = """{"format": "veil-keyset/2", "kekUri": "test:kek", "deterministic": {"p": {"secrets": [""" + secret(1, state1) + ", " + secret(2, state2) + "]}}, " + integrity + "}";
        FormatException e = Assert.Throws<FormatException>(() => Keyset.Parse(json));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promote_WhenRetired_ThrowsAndLeavesStatesUnchanged()
    {
        var kms = new TestKms();
        using TestKek kek = kms.Kek();
        Keyset keyset = Keyset.Create(kek.KeyUri);
        KeysetSecretInfo a = await keyset.AddDeterministicSecretAsync(TestIds.P, kek);
        KeysetSecretInfo b = await keyset.AddDeterministicSecretAsync(TestIds.P, kek);
        keyset.Promote(KeysetSection.Deterministic, TestIds.P, b.Id);
        keyset.Retire(KeysetSection.Deterministic, TestIds.P, a.Id);
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => keyset.Promote(KeysetSection.Deterministic, TestIds.P, a.Id));
        Assert.Contains("retired", e.Message, StringComparison.Ordinal);
        Assert.Equal([KeysetSecretState.Retired, KeysetSecretState.Current], keyset.List().Select(s => s.State));
    }

    [Fact]
    public async Task Invariants_WhenOperationsOutOfOrder_ThrowClearErrors()
    {
        var kms = new TestKms();
        using TestKek kek = kms.Kek();
        Keyset keyset = Keyset.Create(kek.KeyUri);
        KeysetSecretInfo a = await keyset.AddVectorSecretAsync(TestIds.P, kek, 2f);

        Assert.Contains("current", Assert.Throws<InvalidOperationException>(() => keyset.Retire(KeysetSection.Vector, TestIds.P, a.Id)).Message, StringComparison.Ordinal);
        Assert.Contains("already current", Assert.Throws<InvalidOperationException>(() => keyset.Promote(KeysetSection.Vector, TestIds.P, a.Id)).Message, StringComparison.Ordinal);
        Assert.Throws<KeyNotAvailableException>(() => keyset.Promote(KeysetSection.Vector, TestIds.P, new KeyId(99)));
        Assert.Throws<KeyNotAvailableException>(() => keyset.Promote(KeysetSection.Vector, new SecretPath("nope"), a.Id));
        await Assert.ThrowsAsync<ArgumentException>(() => keyset.AddVectorSecretAsync(new SecretPath("q"), kek));
        await Assert.ThrowsAsync<ArgumentException>(() => keyset.AddVectorSecretAsync(TestIds.P, kek, approximationFactor: 3f));
        await Assert.ThrowsAsync<ArgumentException>(() => keyset.AddVectorSecretAsync(new SecretPath("q"), kek, 2f, id: a.Id));

        KeysetSecretInfo b = await keyset.AddVectorSecretAsync(TestIds.P, kek);
        Assert.Contains("pending", (await Assert.ThrowsAsync<InvalidOperationException>(() => keyset.AddVectorSecretAsync(TestIds.P, kek))).Message, StringComparison.Ordinal);
        keyset.Promote(KeysetSection.Vector, TestIds.P, b.Id);
        Assert.Contains("retire", (await Assert.ThrowsAsync<InvalidOperationException>(() => keyset.AddVectorSecretAsync(TestIds.P, kek))).Message, StringComparison.Ordinal);

        // Promoting the in-rotation secret rolls back (swaps the two).
        keyset.Promote(KeysetSection.Vector, TestIds.P, a.Id);
        Assert.Equal([KeysetSecretState.Current, KeysetSecretState.InRotation], keyset.List().Where(s => s.Path.Value == "p").Select(s => s.State));
        keyset.Retire(KeysetSection.Vector, TestIds.P, b.Id);
        Assert.Contains("already retired", Assert.Throws<InvalidOperationException>(() => keyset.Retire(KeysetSection.Vector, TestIds.P, b.Id)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unwrap_WhenSecretRetired_DoesNotUnwrapIt()
    {
        var kms = new TestKms();
        using TestKek kek = kms.Kek();
        Keyset keyset = Keyset.Create(kek.KeyUri);
        KeysetSecretInfo a = await keyset.AddDeterministicSecretAsync(TestIds.P, kek);
        keyset.Promote(KeysetSection.Deterministic, TestIds.P, (await keyset.AddDeterministicSecretAsync(TestIds.P, kek)).Id);
        keyset.Retire(KeysetSection.Deterministic, TestIds.P, a.Id);

        // Loading unwraps the integrity key and the one live secret, never the retired one.
        using UnwrappedKeyset live = await Keyset.Parse(keyset.ToJson()).UnwrapAsync(kms);
        Assert.Single(live.Configuration.Deterministic[TestIds.P].Live);
        Assert.Equal(2, kms.UnwrapCalls);
    }

    [Fact]
    public async Task Unwrap_WhenNoClientSupportsKekUri_ThrowsKeyNotAvailable()
    {
        var kms = new TestKms();
        using TestKek kek = kms.Kek();
        Keyset keyset = Keyset.Create(kek.KeyUri);
        await keyset.AddDeterministicSecretAsync(TestIds.P, kek);
        string json = keyset.ToJson().Replace("test:kek", "other:kek", StringComparison.Ordinal);
        KeyNotAvailableException e = await Assert.ThrowsAsync<KeyNotAvailableException>(() => Keyset.Parse(json).UnwrapAsync(kms));
        Assert.Contains("other:kek", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unwrap_WhenDisposed_ZeroesSecrets()
    {
        var kms = new TestKms();
        using TestKek kek = kms.Kek();
        Keyset keyset = Keyset.Create(kek.KeyUri);
        await keyset.AddDeterministicSecretAsync(TestIds.P, kek);
        UnwrappedKeyset live = await keyset.UnwrapAsync(kms);
        Secret secret = live.Configuration.Deterministic[TestIds.P].Current!.Secret;
        live.Dispose();
        Assert.Throws<ObjectDisposedException>(() => secret.Span.Length);
        Assert.Contains("redacted", live.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InsecureCleartextKeyset_WhenImportedAndExported_RoundTripsTheSecrets()
    {
        var kms = new TestKms();
        using TestKek kek = kms.Kek();
        byte[] bytes1 = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        byte[] bytes2 = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();
        using var secret1 = new Secret(bytes1);
        using var secret2 = new Secret(bytes2);
        var configuration = new VeilConfiguration(
            vector: new Dictionary<SecretPath, VectorSecret> { [TestIds.P] = new(2f, new RotatableSecret(new IdentifiedSecret(new KeyId(2), secret2), new IdentifiedSecret(new KeyId(1), secret1))) },
            standard: new StandardSecrets(new KeyId(5), [new IdentifiedSecret(new KeyId(5), secret1)]));
        Keyset keyset = await InsecureCleartextKeyset.ImportAsync(configuration, kek);
        Assert.DoesNotContain(Convert.ToBase64String(bytes1), keyset.ToJson(), StringComparison.Ordinal);
        using UnwrappedKeyset live = await Keyset.Parse(keyset.ToJson()).UnwrapAsync(kms);
        string exported = InsecureCleartextKeyset.ExportConfigurationJson(live);
        using JsonDocument document = JsonDocument.Parse(exported);
        JsonElement p = document.RootElement.GetProperty("vector").GetProperty("p");
        Assert.Equal(Convert.ToBase64String(bytes2), p.GetProperty("current").GetProperty("secret").GetString());
        Assert.Equal(1u, p.GetProperty("inRotation").GetProperty("id").GetUInt32());
        Assert.Equal(5u, document.RootElement.GetProperty("standard").GetProperty("primaryId").GetUInt32());
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-3, $"coordinate {i}: {expected[i]} vs {actual[i]}");
        }
    }
}
