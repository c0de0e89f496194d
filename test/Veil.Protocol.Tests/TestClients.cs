using Veil.Configuration;
using Veil.Insecure;
using Veil.Testing;

namespace Veil.Protocol.Tests;

/// <summary>Seeded clients over the shared rotating configuration: vector and deterministic path "p" (current 2, in rotation 1), standard 10 and 11.</summary>
internal static class TestClients
{
    public const int Seed = 99;

    public static OperationScope Scope { get; } = new(new("t"), new("p"), new("d"));

    public static VeilClient Seeded(int seed = Seed) => InsecureSeededClient.Create(ConfigFile.Parse(TestKeys.RotatingConfig()), seed);
}
