using Veil.Keys;

namespace Veil.Configuration.Tests;

/// <summary><see cref="ConfigFile"/>: the Alloy-shaped configuration, and the errors that name a field but never a secret.</summary>
public sealed class ConfigFileTests
{
    private static readonly string s_secret = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray());

    public static TheoryData<string, string> InvalidConfigurations() => new()
    {
        { $$"""{"vector": {"my-path": {"approximationFactor": 0, "current": {"id": 1, "secret": "{{s_secret}}"} } } }""", "vector.\"my-path\".approximationFactor must be a finite number greater than zero." },
        { $$"""{"vector": {"my-path": {"approximationFactor": -1.5, "current": {"id": 1, "secret": "{{s_secret}}"} } } }""", "vector.\"my-path\".approximationFactor must be a finite number greater than zero." },
        { $$"""{"vector": {"my-path": {"approximationFactor": 1e300, "current": {"id": 1, "secret": "{{s_secret}}"} } } }""", "vector.\"my-path\".approximationFactor must be a finite number greater than zero." },
        { $$"""{"vector": {"my-path": {"current": {"id": 1, "secret": "{{s_secret}}"} } } }""", "vector.\"my-path\".approximationFactor is required." },
        { $$"""{"vector": {"p": {"approximationFactor": 1.1, "current": {"id": 1, "secret": "{{s_secret}}!"} } } }""", "vector.\"p\".current.secret is not valid base64." },
        { $$"""{"vector": {"p": {"approximationFactor": 1.1, "current": {"id": 1, "secret": "{{s_secret[..20]}}"} } } }""", "vector.\"p\".current.secret must decode to at least 32 bytes" },
        { $$"""{"vector": {"p": {"approximationFactor": 1.1, "useScalingFactor": "yes", "current": {"id": 1, "secret": "{{s_secret}}"} } } }""", "vector.\"p\".useScalingFactor must be true or false." },
        { $$"""{"vector": {"p": {"approximationFactor": 1.1} } }""", "vector.\"p\" needs a current secret, an inRotation secret, or both." },
        { $$"""{"vector": {"p": {"approximationFactor": 1.1, "current": {"id": 1, "secret": "{{s_secret}}"}, "inRotation": {"id": 1, "secret": "{{s_secret}}"} } } }""", "must differ" },
        { $$"""{"deterministic": {"p": {"current": {"id": 4294967296, "secret": "{{s_secret}}"} } } }""", "deterministic.\"p\".current.id must be an integer from 0 to 4294967295" },
        { $$"""{"deterministic": {"p": {"current": {"id": 1.5, "secret": "{{s_secret}}"} } } }""", "deterministic.\"p\".current.id must be an integer" },
        { $$"""{"deterministic": {"p": {"current": {"secret": "{{s_secret}}"} } } }""", "deterministic.\"p\".current.id is required." },
        { $$"""{"deterministic": {"p": {"current": {"id": 1} } } }""", "deterministic.\"p\".current.secret is required." },
        { $$"""{"deterministic": {"p": {"curent": {"id": 1, "secret": "{{s_secret}}"} } } }""", "unknown property deterministic.\"p\".curent." },
        { $$"""{"standard": {"primaryId": 3, "secrets": [{"id": 10, "secret": "{{s_secret}}"}]} }""", "standard.primaryId 3 is not the id of any entry in standard.secrets." },
        { $$"""{"standard": {"secrets": [{"id": 0, "secret": "{{s_secret}}"}]} }""", "standard.secrets[0].id must be greater than 0" },
        { $$"""{"standard": {"secrets": [{"id": 1, "secret": 12}]} }""", "standard.secrets[0].secret must be a base64 string." },
        { """{"standard": {"primaryId": 1} }""", "standard.secrets is required." },
        { """[]""", "the top level must be an object." },
    };

    /// <summary>Vector and deterministic path "p" (current 2, in rotation 1), deterministic "old", standard 10 (primary) and 11.</summary>
    private static string RotatingConfig => $$"""
        {
          "vector": {"p": {"approximationFactor": 2.5, "current": {"id": 2, "secret": "{{s_secret}}"}, "inRotation": {"id": 1, "secret": "{{Other}}"} } },
          "deterministic": {
            "p": {"current": {"id": 2, "secret": "{{s_secret}}"}, "inRotation": {"id": 1, "secret": "{{Other}}"} },
            "old": {"current": {"id": 1, "secret": "{{Other}}"} }
          },
          "standard": {"primaryId": 10, "secrets": [{"id": 10, "secret": "{{s_secret}}"}, {"id": 11, "secret": "{{Other}}"}]}
        }
        """;

    private static string Other => Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)(255 - i)).ToArray());

    [Theory]
    [MemberData(nameof(InvalidConfigurations))]
    public void Parse_WhenConfigurationInvalid_ThrowsOneMessageNamingTheFieldButNoSecret(string json, string expected)
    {
        var error = Assert.Throws<ConfigurationFileException>(() => ConfigFile.Parse(json));

        Assert.StartsWith("Invalid configuration: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(s_secret[..20], error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Load_WhenTheFileIsMissing_ThrowsNamingIt()
    {
        string path = Path.Combine(Path.GetTempPath(), $"veil-no-such-config-{Guid.NewGuid():N}.json");

        var error = Assert.Throws<ConfigurationFileException>(() => ConfigFile.Load(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenIdIsNegative_CastsToUnsignedAsAlloyDoes()
    {
        VeilConfiguration configuration = ConfigFile.Parse($$"""
            {"deterministic": {"p": {"current": {"id": -1, "secret": "{{s_secret}}"}, "inRotation": {"id": 4294967294, "secret": "{{s_secret}}"} } } }
            """);

        Assert.Equal(new KeyId(4294967295), configuration.Deterministic[TestIds.P].Current!.Id);
        Assert.Equal(new KeyId(4294967294), configuration.Deterministic[TestIds.P].InRotation!.Id);
    }

    [Fact]
    public void Parse_WhenFullAlloyShape_ReadsEverySection()
    {
        VeilConfiguration configuration = ConfigFile.Parse(RotatingConfig);

        Assert.Equal(2.5f, configuration.Vector[TestIds.P].ApproximationFactor);
        Assert.False(configuration.Vector[TestIds.P].UseScalingFactor);
        Assert.Equal(new KeyId(2), configuration.Vector[TestIds.P].Secrets.Current!.Id);
        Assert.Equal(new KeyId(1), configuration.Vector[TestIds.P].Secrets.InRotation!.Id);
        Assert.Equal(2, configuration.Deterministic.Count);
        Assert.Equal(new KeyId(10), configuration.Standard!.PrimaryId);
        Assert.Equal(2, configuration.Standard.Secrets.Count);
    }

    [Fact]
    public void Parse_WhenCommentsAndUnderscoreProperties_IgnoresThem()
    {
        VeilConfiguration configuration = ConfigFile.Parse($$"""
            // test keys
            {"_about": "x", "$schema": "y", "deterministic": {"p": {"current": {"id": 1, "secret": "{{s_secret}}", "_note": 1} } } }
            """);

        Assert.Single(configuration.Deterministic);
        Assert.Empty(configuration.Vector);
        Assert.Null(configuration.Standard);
    }
}
