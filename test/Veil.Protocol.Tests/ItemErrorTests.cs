using System.Security.Cryptography;

namespace Veil.Protocol.Tests;

/// <summary>The one mapping from an item's exception to what the caller sees.</summary>
public sealed class ItemErrorTests
{
    [Fact]
    public void From_WhenTheExceptionIsUnexpected_ShowsOnlyItsTypeNeverItsMessage()
    {
        // The attack: an exception whose message carries request data (a plaintext) must not reach the output.
        ItemError error = ItemError.From(new InvalidOperationException("plaintext secretword"));

        Assert.Equal(ItemErrorCode.Internal, error.Code);
        Assert.Equal("unexpected error: InvalidOperationException", error.Message);
    }

    [Fact]
    public void From_ClassifiesCoreFailures()
    {
        Assert.Equal(ItemErrorCode.Integrity, ItemError.From(new AuthenticationTagMismatchException()).Code);
        Assert.Equal(ItemErrorCode.Integrity, ItemError.From(new CryptographicException("bad header")).Code);
        Assert.Equal(ItemErrorCode.KeyNotAvailable, ItemError.From(new KeyNotAvailableException("key ID 9 is not configured")).Code);
        Assert.Equal(ItemErrorCode.InvalidInput, ItemError.From(new ArgumentException("L2 norm")).Code);
        Assert.Equal(ItemErrorCode.InvalidInput, ItemError.From(new ItemFormatException("no \"vector\"")).Code);
    }

    [Theory]
    [InlineData(ItemErrorCode.InvalidInput)]
    [InlineData(ItemErrorCode.KeyNotAvailable)]
    [InlineData(ItemErrorCode.Internal)]
    [InlineData(ItemErrorCode.Integrity)]
    public void WireName_RoundTrips(ItemErrorCode code) =>
        Assert.Equal(code, ItemError.FromWireName(ItemError.WireName(code)));

    [Fact]
    public void Process_WhenAFieldCiphertextNamesAnUnknownKey_FailsAloneAsKeyNotAvailable()
    {
        using VeilClient client = TestClients.Seeded();
        byte[] foreign = [0, 0, 0, 9, 128, 0, .. new byte[16], 1, 2, 3];
        byte[] good = client.Deterministic.EncryptDeterministically("v"u8.ToArray(), TestClients.Scope.SecretPath, TestClients.Scope.DerivationPath, TestClients.Scope.Tenant).Ciphertext;

        IReadOnlyList<ProtocolItem> results = ItemOperations.FieldDecrypt.Process(
            client, [new() { EncryptedValue = foreign, Id = "\"x\""u8.ToArray() }, new() { EncryptedValue = good }, new()], TestClients.Scope);

        Assert.Equal(ItemErrorCode.KeyNotAvailable, results[0].ErrorCode);
        Assert.Contains("key ID 9", results[0].Error, StringComparison.Ordinal);
        Assert.Equal("\"x\""u8.ToArray(), results[0].Id!.Value.ToArray());
        Assert.Equal("v"u8.ToArray(), results[1].Value);
        Assert.Equal("The item has no \"encryptedValue\".", results[2].Error);
    }
}
