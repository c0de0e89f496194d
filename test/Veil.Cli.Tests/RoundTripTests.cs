using System.Text.Json;
using Veil.Cli.Tests.Support;

namespace Veil.Cli.Tests;

/// <summary>Encrypt → decrypt (and rotate, query) through the CLI, with the <see cref="TestKeys.RotatingConfig"/>.</summary>
public sealed class RoundTripTests : IDisposable
{
    private readonly TempConfig _config = new(TestKeys.RotatingConfig());

    public void Dispose() => _config.Dispose();

    [Fact]
    public async Task VectorDecrypt_WhenGivenEncryptOutput_ReturnsOriginalVectorsWithIds()
    {
        string input = VeilCli.Lines(
            """{"id":"a","vector":[0.5,-0.25,0.125,1]}""",
            """{"id":2,"vector":[3,1,4,1]}""",
            """{"vector":[0.1,0.2,0.3,0.4]}""");
        CliResult encrypted = await Vector("encrypt", input);
        Assert.Equal(ExitCodes.Success, encrypted.ExitCode);
        Assert.All(encrypted.Json, l => Assert.Equal(54, Convert.FromBase64String(l.GetProperty("pairedIclInfo").GetString()!).Length));

        CliResult decrypted = await Vector("decrypt", encrypted.Stdout);

        Assert.Equal(ExitCodes.Success, decrypted.ExitCode);
        JsonElement[] lines = decrypted.Json;
        Assert.Equal(3, lines.Length);
        Assert.Equal("a", lines[0].GetProperty("id").GetString());
        Assert.Equal(2, lines[1].GetProperty("id").GetInt32());
        Assert.False(lines[2].TryGetProperty("id", out _));
        AssertClose([0.5f, -0.25f, 0.125f, 1f], VeilCli.Floats(lines[0].GetProperty("vector")));
        AssertClose([3f, 1f, 4f, 1f], VeilCli.Floats(lines[1].GetProperty("vector")));
        AssertClose([0.1f, 0.2f, 0.3f, 0.4f], VeilCli.Floats(lines[2].GetProperty("vector")));
    }

    [Fact]
    public async Task VectorEncrypt_WhenIdIsObject_EchoesTheIdToken()
    {
        CliResult result = await Vector("encrypt", VeilCli.Lines("""{"vector":[1,2],"id":{"doc":"x","chunk":[1,2]}}"""));

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.StartsWith("""{"id":{"doc":"x","chunk":[1,2]},"encryptedVector":[""", result.Lines[0]);
    }

    [Fact]
    public async Task VectorQuery_WhenTwoLiveKeys_ReturnsCurrentKeyFirstThenInRotation()
    {
        CliResult result = await Vector("query", VeilCli.Lines("""{"id":"q","vector":[0.5,0.5,0.5]}"""));

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        JsonElement[] queries = Assert.Single(result.Json).GetProperty("queries").EnumerateArray().ToArray();
        Assert.Equal(2, queries.Length);
        Assert.Equal(2u, queries[0].GetProperty("keyId").GetUInt32());
        Assert.Equal(1u, queries[1].GetProperty("keyId").GetUInt32());
        Assert.All(queries, q => Assert.Equal(3, q.GetProperty("encryptedVector").GetArrayLength()));
    }

    [Fact]
    public async Task VectorEncrypt_WhenOneWay_WritesNoPairedIclInfo()
    {
        CliResult result = await Vector("encrypt", VeilCli.Lines("""{"id":"a","vector":[1,2,3]}"""), "--one-way");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        JsonElement line = Assert.Single(result.Json);
        Assert.Equal(3, line.GetProperty("encryptedVector").GetArrayLength());
        Assert.False(line.TryGetProperty("pairedIclInfo", out _));
    }

    [Fact]
    public async Task VectorRotate_WhenNewTenant_DecryptsOnlyWithNewTenant()
    {
        CliResult encrypted = await Vector("encrypt", VeilCli.Lines("""{"id":"a","vector":[0.25,-0.5,0.75]}"""));
        CliResult rotated = await Vector("rotate", encrypted.Stdout, "--new-tenant", "tenant-2");
        Assert.Equal(ExitCodes.Success, rotated.ExitCode);

        CliResult withNewTenant = await VeilCli.RunAsync(rotated.Stdout, VectorArgs("decrypt", tenant: "tenant-2"));
        CliResult withOldTenant = await Vector("decrypt", rotated.Stdout);

        Assert.Equal(ExitCodes.Success, withNewTenant.ExitCode);
        AssertClose([0.25f, -0.5f, 0.75f], VeilCli.Floats(Assert.Single(withNewTenant.Json).GetProperty("vector")), tolerance: 0.05f);
        Assert.Equal(ExitCodes.IntegrityFailure, withOldTenant.ExitCode);
    }

    [Fact]
    public async Task VectorRotate_WhenEncryptedWithInRotationKey_ReEncryptsWithCurrentKey()
    {
        // "old" has only key 1, with the same bytes as "p"'s in-rotation key 1.
        CliResult old = await VeilCli.RunAsync(VeilCli.Lines("""{"id":"a","vector":[1,2,3]}"""), VectorArgs("encrypt", secretPath: "old"));
        Assert.Equal([0, 0, 0, 1], Convert.FromBase64String(old.Json[0].GetProperty("pairedIclInfo").GetString()!)[..4]);

        CliResult rotated = await Vector("rotate", old.Stdout);

        Assert.Equal(ExitCodes.Success, rotated.ExitCode);
        Assert.Equal([0, 0, 0, 2], Convert.FromBase64String(rotated.Json[0].GetProperty("pairedIclInfo").GetString()!)[..4]);
        AssertClose([1f, 2f, 3f], VeilCli.Floats((await Vector("decrypt", rotated.Stdout)).Json[0].GetProperty("vector")), tolerance: 0.1f);
    }

    [Fact]
    public async Task FieldDecrypt_WhenGivenEncryptOutput_ReturnsOriginalValues()
    {
        string input = VeilCli.Lines(
            $$"""{"id":"a","value":"{{VeilCli.Base64("hello")}}"}""",
            $$"""{"id":"b","value":""}""");
        CliResult encrypted = await Field("encrypt", input);
        CliResult again = await Field("encrypt", input);
        CliResult decrypted = await Field("decrypt", encrypted.Stdout);

        Assert.Equal(ExitCodes.Success, encrypted.ExitCode);
        Assert.Equal(encrypted.Stdout, again.Stdout);
        Assert.Equal(ExitCodes.Success, decrypted.ExitCode);
        Assert.Equal(VeilCli.Base64("hello"), decrypted.Json[0].GetProperty("value").GetString());
        Assert.Equal(string.Empty, decrypted.Json[1].GetProperty("value").GetString());
    }

    [Fact]
    public async Task FieldQuery_WhenTwoLiveKeys_ReturnsBothKeyIdsAndCurrentMatchesEncrypt()
    {
        string input = VeilCli.Lines($$"""{"id":"a","value":"{{VeilCli.Base64("cat")}}"}""");
        CliResult query = await Field("query", input);
        CliResult encrypted = await Field("encrypt", input);

        Assert.Equal(ExitCodes.Success, query.ExitCode);
        JsonElement[] queries = Assert.Single(query.Json).GetProperty("queries").EnumerateArray().ToArray();
        Assert.Equal([2u, 1u], queries.Select(q => q.GetProperty("keyId").GetUInt32()));
        Assert.Equal(encrypted.Json[0].GetProperty("encryptedValue").GetString(), queries[0].GetProperty("encryptedValue").GetString());
    }

    [Fact]
    public async Task FieldRotate_WhenNewTenant_DecryptsWithNewTenant()
    {
        CliResult encrypted = await Field("encrypt", VeilCli.Lines($$"""{"id":"a","value":"{{VeilCli.Base64("x")}}"}"""));
        CliResult rotated = await Field("rotate", encrypted.Stdout, "--new-tenant", "tenant-2");
        CliResult decrypted = await VeilCli.RunAsync(rotated.Stdout, FieldArgs("decrypt", tenant: "tenant-2"));

        Assert.Equal(ExitCodes.Success, rotated.ExitCode);
        Assert.Equal(VeilCli.Base64("x"), Assert.Single(decrypted.Json).GetProperty("value").GetString());
    }

    [Fact]
    public async Task DocumentDecrypt_WhenGivenEncryptOutput_ReturnsOriginalFieldsInOrder()
    {
        string input = VeilCli.Lines($$"""{"id":"d","fields":{"title":"{{VeilCli.Base64("Moby Dick")}}","body":"{{VeilCli.Base64("Call me Ishmael.")}}"} }""");
        CliResult encrypted = await Document("encrypt", input);
        CliResult decrypted = await Document("decrypt", encrypted.Stdout);

        Assert.Equal(ExitCodes.Success, encrypted.ExitCode);
        Assert.Equal(ExitCodes.Success, decrypted.ExitCode);
        JsonElement line = Assert.Single(decrypted.Json);
        Assert.Equal(["title", "body"], line.GetProperty("fields").EnumerateObject().Select(p => p.Name));
        Assert.Equal(VeilCli.Base64("Moby Dick"), line.GetProperty("fields").GetProperty("title").GetString());
        Assert.Equal(VeilCli.Base64("Call me Ishmael."), line.GetProperty("fields").GetProperty("body").GetString());
    }

    [Fact]
    public async Task DocumentRekey_WhenNewTenant_FieldsDecryptWithNewEdekAndTenant()
    {
        CliResult encrypted = await Document("encrypt", VeilCli.Lines($$"""{"id":"d","fields":{"f":"{{VeilCli.Base64("secret text")}}"} }"""));
        JsonElement document = encrypted.Json[0];
        CliResult rekeyed = await Document("rekey", VeilCli.Lines($$"""{"id":"d","edek":"{{document.GetProperty("edek").GetString()}}"}"""), "--new-tenant", "tenant-2");
        Assert.Equal(ExitCodes.Success, rekeyed.ExitCode);

        string newEdek = rekeyed.Json[0].GetProperty("edek").GetString()!;
        string line = VeilCli.Lines($$"""{"id":"d","edek":"{{newEdek}}","fields":{{document.GetProperty("fields").GetRawText()}} }""");
        CliResult decrypted = await VeilCli.RunAsync(line, "document", "decrypt", "--config", _config.Path, "--tenant", "tenant-2");

        Assert.Equal(ExitCodes.Success, decrypted.ExitCode);
        Assert.Equal(VeilCli.Base64("secret text"), decrypted.Json[0].GetProperty("fields").GetProperty("f").GetString());
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance = 1e-4f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.InRange(actual[i], expected[i] - tolerance, expected[i] + tolerance);
        }
    }

    private string[] VectorArgs(string verb, string tenant = "tenant", string secretPath = "p") =>
        ["vector", verb, "--config", _config.Path, "--tenant", tenant, "--secret-path", secretPath, "--derivation-path", "d"];

    private string[] FieldArgs(string verb, string tenant = "tenant") =>
        ["field", verb, "--config", _config.Path, "--tenant", tenant, "--secret-path", "p", "--derivation-path", "d"];

    private Task<CliResult> Vector(string verb, string input, params string[] extra) => VeilCli.RunAsync(input, [.. VectorArgs(verb), .. extra]);

    private Task<CliResult> Field(string verb, string input, params string[] extra) => VeilCli.RunAsync(input, [.. FieldArgs(verb), .. extra]);

    private Task<CliResult> Document(string verb, string input, params string[] extra) =>
        VeilCli.RunAsync(input, ["document", verb, "--config", _config.Path, "--tenant", "tenant", .. extra]);
}
