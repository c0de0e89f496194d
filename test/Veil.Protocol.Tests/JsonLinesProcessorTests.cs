using System.Text;
using System.Text.Json;
using Veil.Vectors;

namespace Veil.Protocol.Tests;

/// <summary>
/// The JSON Lines framing over the one mapping: bad lines fail alone with a clear error that never quotes the input,
/// results keep input order and ids, and the most severe failure is reported. (Moved from the CLI's error-handling
/// tests, which now keep only what the command adds: exit codes.)
/// </summary>
public sealed class JsonLinesProcessorTests
{
    [Theory]
    [InlineData("""{"id":1}""", "no \"vector\"")]
    [InlineData("""{"id":1,"vector":"1,2"}""", "must be an array")]
    [InlineData("""{"id":1,"vector":[1,null]}""", "element 1 is not a number")]
    [InlineData("""{"id":1,"vector":[1,1e39]}""", "element 1 is not a finite")]
    [InlineData("""{"id":1,"vector":[1,1e400]}""", "element 1 is not")]
    [InlineData("""{"id":1,"vector":[1,NaN]}""", "Malformed JSON")]
    [InlineData("""{"id":1,"vector":[]}""", "The vector is empty")]
    [InlineData("""{"id":1,"vector":[ ]}""", "The vector is empty")]
    [InlineData("""[1,2,3]""", "must be a JSON object")]
    [InlineData("""{"id":1,"vector":[1,2]} {"id":2}""", "Malformed JSON")]
    [InlineData("""{"id":1,"vector":[1,secretword]}""", "Malformed JSON")]
    [InlineData("""{"id":1,"vector":[1,2""", "Malformed JSON")]
    public void VectorEncrypt_WhenLineIsInvalid_WritesClearErrorWithoutTheValue(string line, string expected)
    {
        (ItemErrorCode worst, JsonElement[] output) = Run(ItemOperations.VectorEncrypt, line);

        Assert.Equal(ItemErrorCode.InvalidInput, worst);
        JsonElement result = Assert.Single(output);
        string error = result.GetProperty("error").GetString()!;
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("secretword", error, StringComparison.Ordinal);
        Assert.Equal("invalid_input", result.GetProperty("code").GetString());
    }

    [Fact]
    public void VectorDecrypt_WhenPairedIclInfoIsNotBase64_WritesErrorNamingTheMember()
    {
        (_, JsonElement[] output) = Run(ItemOperations.VectorDecrypt, """{"id":"a","encryptedVector":[1,2],"pairedIclInfo":"not base64!"}""");

        Assert.Equal("\"pairedIclInfo\" is not valid base64.", output[0].GetProperty("error").GetString());
    }

    [Fact]
    public void VectorDecrypt_WhenEncryptedVectorIsEmpty_RefusesItAsInvalidInput()
    {
        (ItemErrorCode worst, JsonElement[] output) = Run(ItemOperations.VectorDecrypt, """{"id":"a","encryptedVector":[],"pairedIclInfo":"AAE="}""");

        Assert.Equal(ItemErrorCode.InvalidInput, worst);
        Assert.Contains("The vector is empty", Assert.Single(output).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_WhenLinesMixGoodBadAndBlank_KeepsOrderAndIdsAndSkipsBlankLines()
    {
        (ItemErrorCode worst, JsonElement[] output) = Run(
            ItemOperations.VectorEncrypt,
            """{"id":"a","vector":[1,2]}""",
            """{"id":{"nested":[1,"x"]},"vector":[1,2""",
            "",
            "   ",
            """{"vector":[3,4],"id":"c"}""");

        Assert.Equal(ItemErrorCode.InvalidInput, worst);
        Assert.Equal(3, output.Length);
        Assert.True(output[0].TryGetProperty("encryptedVector", out _));
        Assert.Equal("""{"nested":[1,"x"]}""", output[1].GetProperty("id").GetRawText());
        Assert.StartsWith("Malformed JSON", output[1].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("c", output[2].GetProperty("id").GetString());
        Assert.True(output[2].TryGetProperty("pairedIclInfo", out _));
    }

    [Fact]
    public void Run_WhenOneCiphertextIsTampered_FailsItAloneAsAnIntegrityFailure()
    {
        using VeilClient client = TestClients.Seeded();
        var encrypted = client.Vector.Encrypt([1f, 2f, 3f], TestClients.Scope.SecretPath, TestClients.Scope.DerivationPath, TestClients.Scope.Tenant);
        float[] tampered = encrypted.Ciphertext.ToArray();
        tampered[1] += 1f;
        string good = Line("a", encrypted.Ciphertext.ToArray(), encrypted.PairedIclInfo.ToArray());
        string bad = Line("b", tampered, encrypted.PairedIclInfo.ToArray());

        (ItemErrorCode worst, JsonElement[] output) = Run(ItemOperations.VectorDecrypt, good, bad);

        Assert.Equal(ItemErrorCode.Integrity, worst);
        Assert.Equal(3, output[0].GetProperty("vector").GetArrayLength());
        Assert.Equal("integrity", output[1].GetProperty("code").GetString());
        Assert.False(output[1].TryGetProperty("vector", out _));
    }

    [Fact]
    public void Run_WhenTheWholeBatchFails_EveryWellFormedLineCarriesThatErrorAndBadLinesKeepTheirs()
    {
        var output = new StringWriter();
        ItemErrorCode worst = JsonLinesProcessor.Run(
            new StringReader("{\"id\":1,\"value\":\"AA==\"}\n{\"id\":2,\"value\":5}\n"),
            output,
            ItemOperations.FieldEncrypt,
            TestClients.Seeded(),
            TestClients.Scope with { SecretPath = new("not-configured") });

        JsonElement[] lines = Parse(output.ToString());
        Assert.Equal(ItemErrorCode.InvalidInput, worst);
        Assert.Contains("not-configured", lines[0].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("\"value\" must be a base64 string", lines[1].GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_When3000Lines_SpansChunksAndMatchesOneAtATimeEncryptionInOrder()
    {
        string[] lines = [.. Enumerable.Range(0, 3000).Select(i => $$"""{"id":{{i}},"value":"{{Convert.ToBase64String(BitConverter.GetBytes(i))}}"}""")];

        (ItemErrorCode worst, JsonElement[] output) = Run(ItemOperations.FieldEncrypt, lines);

        Assert.Equal(ItemErrorCode.None, worst);
        using VeilClient client = TestClients.Seeded();
        for (int i = 0; i < lines.Length; i += 499)
        {
            Assert.Equal(i, output[i].GetProperty("id").GetInt32());
            byte[] expected = client.Deterministic.EncryptDeterministically(BitConverter.GetBytes(i), TestClients.Scope.SecretPath, TestClients.Scope.DerivationPath, TestClients.Scope.Tenant).Ciphertext;
            Assert.Equal(expected, output[i].GetProperty("encryptedValue").GetBytesFromBase64());
        }
    }

    [Fact]
    public void Run_WhenVectorLinesOfManyLengthsSpanChunks_EncryptsAsTheBatchApiAndDecryptsAsIt()
    {
        // Chunks of 64 lines: the first chunk's vectors do not fit the chunk memory yet, later ones do and reuse it.
        var random = new Random(7);
        float[][] vectors = [.. Enumerable.Range(0, 300).Select(i => Enumerable.Range(0, 3 + (i % 7) * 11).Select(_ => (random.NextSingle() * 2) - 1).ToArray())];
        string[] lines = [.. vectors.Select((v, i) => JsonSerializer.Serialize(new { id = i, vector = v }))];

        (ItemErrorCode worst, JsonElement[] encrypted) = Run(ItemOperations.VectorEncrypt, 64, lines);

        Assert.Equal(ItemErrorCode.None, worst);
        using VeilClient client = TestClients.Seeded();
        OperationScope scope = TestClients.Scope;
        BatchResult<EncryptedVector> expected = client.Vector.EncryptBatch([.. vectors.Select(v => (ReadOnlyMemory<float>)v)], scope.SecretPath, scope.DerivationPath, scope.Tenant);
        for (int i = 0; i < vectors.Length; i++)
        {
            Assert.Equal(i, encrypted[i].GetProperty("id").GetInt32());
            Assert.Equal(expected[i].Value!.Ciphertext.ToArray(), Floats(encrypted[i].GetProperty("encryptedVector")));
            Assert.Equal(expected[i].Value!.PairedIclInfo.ToArray(), encrypted[i].GetProperty("pairedIclInfo").GetBytesFromBase64());
        }

        (worst, JsonElement[] decrypted) = Run(ItemOperations.VectorDecrypt, 64, [.. encrypted.Select(e => e.GetRawText())]);

        Assert.Equal(ItemErrorCode.None, worst);
        BatchResult<float[]> plaintexts = client.Vector.DecryptBatch([.. expected.Select(r => r.Value!)], scope.Tenant);
        for (int i = 0; i < vectors.Length; i++)
        {
            Assert.Equal(plaintexts[i].Value, Floats(decrypted[i].GetProperty("vector")));
        }
    }

    internal static (ItemErrorCode Worst, JsonElement[] Output) Run(IItemOperation operation, params string[] lines) => Run(operation, 1024, lines);

    internal static (ItemErrorCode Worst, JsonElement[] Output) Run(IItemOperation operation, int chunkSize, params string[] lines)
    {
        using VeilClient client = TestClients.Seeded();
        var output = new StringWriter();
        ItemErrorCode worst = JsonLinesProcessor.Run(new StringReader(string.Join('\n', lines) + "\n"), output, operation, client, TestClients.Scope, chunkSize);
        return (worst, Parse(output.ToString()));
    }

    private static float[] Floats(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetSingle())];

    private static JsonElement[] Parse(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    private static string Line(string id, float[] ciphertext, byte[] pairedIclInfo) =>
        JsonSerializer.Serialize(new { id, encryptedVector = ciphertext, pairedIclInfo = Convert.ToBase64String(pairedIclInfo) });
}
