using Veil.Configuration;
using Veil.Insecure;

namespace Veil.Protocol.Tests;

/// <summary>Seeded clients over one fixed configuration: vector and deterministic path "p" (current 2, in rotation 1), standard 10 and 11.</summary>
internal static class TestClients
{
    public const int Seed = 99;

    private static readonly string s_keyA = Convert.ToBase64String([.. Enumerable.Range(1, 32).Select(i => (byte)i)]);
    private static readonly string s_keyB = Convert.ToBase64String([.. Enumerable.Range(101, 32).Select(i => (byte)i)]);

    public static string ConfigJson => $$"""
        {
          "vector": { "p": {"approximationFactor": 1.1, "current": {"id": 2, "secret": "{{s_keyA}}"}, "inRotation": {"id": 1, "secret": "{{s_keyB}}"} } },
          "deterministic": { "p": {"current": {"id": 2, "secret": "{{s_keyA}}"}, "inRotation": {"id": 1, "secret": "{{s_keyB}}"} } },
          "standard": {"primaryId": 10, "secrets": [{"id": 10, "secret": "{{s_keyA}}"}, {"id": 11, "secret": "{{s_keyB}}"}]}
        }
        """;

    public static OperationScope Scope { get; } = new(new("t"), new("p"), new("d"));

    public static VeilClient Seeded(int seed = Seed) => InsecureSeededClient.Create(ConfigFile.Parse(ConfigJson), seed);
}
