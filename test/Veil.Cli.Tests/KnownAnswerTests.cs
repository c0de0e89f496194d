using System.Text.Json;
using Veil.Cli.Tests.Support;

namespace Veil.Cli.Tests;

/// <summary>Alloy's known answers, reproduced through the CLI with <c>--insecure-seed</c>.</summary>
public sealed class KnownAnswerTests
{
    [Fact]
    public async Task VectorEncrypt_WhenSpec56Inputs_MatchesAlloyKnownAnswer()
    {
        using var config = new TempConfig($$"""
            {"vector": {"secret_path": {"approximationFactor": 4.0, "useScalingFactor": true, "current": {"id": 1, "secret": "{{TestKeys.Kat56Base64}}"} } } }
            """);
        CliResult result = await VeilCli.RunAsync(
            VeilCli.Lines("""{"id":"a","vector":[1,2,3,4,5]}"""),
            "vector", "encrypt", "--config", config.Path, "--tenant", "foo", "--secret-path", "secret_path", "--derivation-path", "deriv_path", "--insecure-seed", "1");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        JsonElement line = Assert.Single(result.Json);
        Assert.Equal("a", line.GetProperty("id").GetString());
        Assert.Equal([13681085f, 42081104f, 82401560f, 19847844f, 60127316f], VeilCli.Floats(line.GetProperty("encryptedVector")));
        Assert.Equal(
            VeilCli.Base64(0, 0, 0, 1, 129, 0, 10, 12, 154, 55, 68, 80, 69, 96, 99, 158, 198, 112, 183, 161, 18, 32, 125, 78, 5, 108, 187, 19, 103, 206, 124, 199, 184, 212, 208, 35, 61, 45, 6, 130, 55, 85, 125, 210, 5, 126, 145, 45, 240, 250, 63, 45, 168, 104),
            line.GetProperty("pairedIclInfo").GetString());
        Assert.Contains("must not be used in production", result.Stderr);
    }

    [Fact]
    public async Task VectorEncrypt_WhenSpec57InputsWithRotation_MatchesAlloyKnownAnswer()
    {
        using var config = new TempConfig($$"""
            {"vector": {"": {"approximationFactor": 1.1, "current": {"id": 2, "secret": "{{TestKeys.Kat57Base64}}"}, "inRotation": {"id": 1, "secret": "{{TestKeys.Kat57Base64}}"} } } }
            """);
        CliResult result = await VeilCli.RunAsync(
            VeilCli.Lines("""{"id":1,"vector":[0.1,-0.2]}"""),
            "vector", "encrypt", "--config", config.Path, "--tenant", "tenant", "--secret-path", "", "--derivation-path", "", "--insecure-seed", "1");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        JsonElement line = Assert.Single(result.Json);
        Assert.Equal(1, line.GetProperty("id").GetInt32());
        Assert.Equal([(float)0.1299239844083786, (float)-0.3532053828239441], VeilCli.Floats(line.GetProperty("encryptedVector")));
        Assert.Equal("0.12992398", line.GetProperty("encryptedVector")[0].GetRawText());
    }

    public static TheoryData<string> AlloyGeneratedCases()
    {
        var data = new TheoryData<string>();
        foreach (JsonElement c in LoadAlloyGenerated().GetProperty("cases").EnumerateArray())
        {
            data.Add(c.GetProperty("name").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AlloyGeneratedCases))]
    public async Task VectorEncrypt_WhenAlloyGeneratedCase_MatchesExactly(string name)
    {
        JsonElement c = LoadAlloyGenerated().GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        string secretPath = c.GetProperty("secret_path").GetString()!;
        using var config = new TempConfig(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["vector"] = new Dictionary<string, object>
            {
                [secretPath] = new Dictionary<string, object>
                {
                    ["approximationFactor"] = c.GetProperty("approximation_factor").GetDouble(),
                    ["useScalingFactor"] = c.GetProperty("use_scaling_factor").GetBoolean(),
                    ["current"] = new Dictionary<string, object>
                    {
                        ["id"] = c.GetProperty("secret_id").GetInt64(),
                        ["secret"] = VeilCli.Base64(c.GetProperty("secret_ascii").GetString()!),
                    },
                },
            },
        }));

        CliResult result = await VeilCli.RunAsync(
            VeilCli.Lines($$"""{"id":"{{name}}","vector":{{JsonSerializer.Serialize(c.GetProperty("plaintext"))}}}"""),
            "vector", "encrypt", "--config", config.Path,
            "--tenant", c.GetProperty("tenant_id").GetString()!,
            "--secret-path", secretPath,
            "--derivation-path", c.GetProperty("derivation_path").GetString()!,
            "--insecure-seed", c.GetProperty("seed").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        JsonElement line = Assert.Single(result.Json);
        Assert.Equal(VeilCli.Floats(c.GetProperty("encrypted_vector")), VeilCli.Floats(line.GetProperty("encryptedVector")));
        Assert.Equal(c.GetProperty("paired_icl_info_b64").GetString(), line.GetProperty("pairedIclInfo").GetString());
    }

    [Fact]
    public async Task FieldEncrypt_WhenSpecInputs_MatchesAlloyKnownAnswer()
    {
        using var config = new TempConfig($$"""
            {"deterministic": {"secret_path": {"current": {"id": 1, "secret": "{{TestKeys.Kat56Base64}}"} } } }
            """);
        CliResult result = await VeilCli.RunAsync(
            VeilCli.Lines($$"""{"id":"f","value":"{{VeilCli.Base64(1, 2, 3)}}"}"""),
            "field", "encrypt", "--config", config.Path, "--tenant", "foo", "--secret-path", "secret_path", "--derivation-path", "deriv_path");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal(
            VeilCli.Base64(0, 0, 0, 1, 128, 0, 44, 194, 55, 224, 251, 64, 34, 109, 10, 77, 197, 32, 11, 224, 51, 154, 218, 130, 209),
            Assert.Single(result.Json).GetProperty("encryptedValue").GetString());
    }

    [Fact]
    public async Task DocumentEncrypt_WhenSpecInputsAndSeed1_MatchesAlloyKnownAnswer()
    {
        using var config = new TempConfig($$"""
            {"standard": {"primaryId": 10, "secrets": [{"id": 10, "secret": "{{TestKeys.Kat57Base64}}"}]} }
            """);
        CliResult result = await VeilCli.RunAsync(
            VeilCli.Lines($$"""{"id":"d","fields":{"foo":"{{VeilCli.Base64("My data")}}"} }"""),
            "document", "encrypt", "--config", config.Path, "--tenant", "tenant", "--insecure-seed", "1");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal(
            "AElST04OFx9g3p5TQTSIGaJrUPuq79Di9DmR0uK5/n6lXAis5Ip45Q==",
            Assert.Single(result.Json).GetProperty("fields").GetProperty("foo").GetString());
    }

    private static JsonElement LoadAlloyGenerated() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestVectors", "alloy-generated-vectors.json"))).RootElement;
}
