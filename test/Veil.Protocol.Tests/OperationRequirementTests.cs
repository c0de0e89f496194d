using Veil.Configuration;
using Veil.Keys;
using Veil.Testing;

namespace Veil.Protocol.Tests;

/// <summary><see cref="ItemOperations.EnsureConfigured"/>: each operation checks its own section before any item is read.</summary>
public sealed class OperationRequirementTests
{
    [Fact]
    public void EnsureConfigured_ChecksEachOperationsSection()
    {
        VeilConfiguration rotating = ConfigFile.Parse(TestKeys.RotatingConfig());
        VeilConfiguration deterministicOnly = ConfigFile.Parse($$"""{"deterministic": {"p": {"current": {"id": 1, "secret": "{{TestKeys.Kat56Base64}}"} } } }""");
        var nope = TestClients.Scope with { SecretPath = new SecretPath("nope") };

        foreach (IItemOperation operation in ItemOperations.ByName.Values)
        {
            operation.EnsureConfigured(rotating, TestClients.Scope);
        }

        Assert.Contains("\"nope\" is not in the configuration's vector section", Assert.Throws<ArgumentException>(() => ItemOperations.VectorEncrypt.EnsureConfigured(rotating, nope)).Message, StringComparison.Ordinal);
        Assert.Contains("deterministic section", Assert.Throws<ArgumentException>(() => ItemOperations.FieldRotate.EnsureConfigured(rotating, nope)).Message, StringComparison.Ordinal);
        ItemOperations.FieldEncrypt.EnsureConfigured(deterministicOnly, TestClients.Scope);
        Assert.Throws<ArgumentException>(() => ItemOperations.VectorQuery.EnsureConfigured(deterministicOnly, TestClients.Scope));
        Assert.Contains("no standard section", Assert.Throws<ArgumentException>(() => ItemOperations.DocumentDecrypt.EnsureConfigured(deterministicOnly, TestClients.Scope)).Message, StringComparison.Ordinal);
    }
}
