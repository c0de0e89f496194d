using System.Security.Cryptography;
using System.Text.Json;
using CsCheck;
using Veil.Fields;

namespace Veil.Tests.Fields;

public class AesSivTests
{
    // RFC 5297 Appendix A.1 (deterministic authenticated encryption).
    private const string A1Key = "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
    private const string A1AssociatedData = "101112131415161718191a1b1c1d1e1f2021222324252627";
    private const string A1Plaintext = "112233445566778899aabbccddee";
    private const string A1Output = "85632d07c6e8f37f950acd320a2ecc9340c02b9690c4dc04daef7f6afe5c";

    // RFC 5297 Appendix A.2 (nonce-based authenticated encryption: the nonce is the last AD component).
    private const string A2Key = "7f7e7d7c7b7a797877767574737271704041424344454647" + "48494a4b4c4d4e4f";
    private const string A2AssociatedData1 = "00112233445566778899aabbccddeeffdeaddadadeaddadaffeeddccbbaa99887766554433221100";
    private const string A2AssociatedData2 = "102030405060708090a0";
    private const string A2Nonce = "09f911029d74e35bd84156c5635688c0";
    private const string A2Plaintext = "7468697320697320736f6d6520706c61696e7465787420746f20656e6372797074207573696e67205349562d414553";
    private const string A2Output =
        "7bdb6e3b432667eb06f4d14bff2fbd0f" +
        "cb900f2fddbe404326601965c889bf17dba77ceb094fa663b7a3f748ba8af829ea64ad544a272e9c485b62a3fd5c0d";

    // Alloy src/deterministic.rs test_known_deterministic (from the RustCrypto aes-siv suite): 64-byte key.
    private const string AlloyKey =
        "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f06f6e6d6c6b6a69686766656463626160" +
        "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f";
    private const string AlloyOutput = "f125274c598065cfc26b0e71575029088b035217e380cac8919ee800c126";

    public static TheoryData<int, int, int, string> CrossCheckVectors()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "TestVectors", "aes-siv-cross-check.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        var data = new TheoryData<int, int, int, string>();
        foreach (JsonElement vector in document.RootElement.GetProperty("vectors").EnumerateArray())
        {
            data.Add(
                vector.GetProperty("keyLength").GetInt32(),
                vector.GetProperty("plaintextLength").GetInt32(),
                vector.GetProperty("associatedDataCase").GetInt32(),
                vector.GetProperty("ciphertextSha256").GetString()!);
        }

        return data;
    }

    [Fact]
    public void Encrypt_WhenRfc5297A1Vector_MatchesExpected()
    {
        byte[] output = Encrypt(Hex(A1Key), Hex(A1Plaintext), Hex(A1AssociatedData));
        Assert.Equal(A1Output, Convert.ToHexStringLower(output));
    }

    [Fact]
    public void TryDecrypt_WhenRfc5297A1Vector_ReturnsPlaintext()
    {
        byte[] plaintext = Decrypt(Hex(A1Key), Hex(A1Output), Hex(A1AssociatedData));
        Assert.Equal(A1Plaintext, Convert.ToHexStringLower(plaintext));
    }

    [Fact]
    public void Encrypt_WhenRfc5297A2NonceBasedVector_MatchesExpected()
    {
        byte[] output = Encrypt(Hex(A2Key), Hex(A2Plaintext), Hex(A2AssociatedData1), Hex(A2AssociatedData2), Hex(A2Nonce));
        Assert.Equal(A2Output, Convert.ToHexStringLower(output));
    }

    [Fact]
    public void TryDecrypt_WhenRfc5297A2NonceBasedVector_ReturnsPlaintext()
    {
        byte[] plaintext = Decrypt(Hex(A2Key), Hex(A2Output), Hex(A2AssociatedData1), Hex(A2AssociatedData2), Hex(A2Nonce));
        Assert.Equal("this is some plaintext to encrypt using SIV-AES"u8.ToArray(), plaintext);
    }

    [Fact]
    public void Encrypt_WhenAlloy64ByteKeyVector_MatchesExpected()
    {
        byte[] output = Encrypt(Hex(AlloyKey), Hex(A1Plaintext), Hex(A1AssociatedData));
        Assert.Equal(AlloyOutput, Convert.ToHexStringLower(output));
        Assert.Equal(A1Plaintext, Convert.ToHexStringLower(Decrypt(Hex(AlloyKey), output, Hex(A1AssociatedData))));
    }

    [Theory]
    [MemberData(nameof(CrossCheckVectors))]
    public void Encrypt_WhenCrossCheckVector_MatchesIndependentImplementation(int keyLength, int plaintextLength, int associatedDataCase, string sha256)
    {
        byte[] key = Pattern(keyLength, 7, keyLength);
        byte[] plaintext = Pattern(plaintextLength, 13, 1);
        ReadOnlyMemory<byte>[] associatedData = CrossCheckAssociatedData(associatedDataCase);
        using var siv = new AesSiv(key);
        byte[] output = new byte[AesSiv.SivLength + plaintextLength];

        siv.Encrypt(plaintext, output, associatedData);

        Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(output)));
        byte[] decrypted = new byte[plaintextLength];
        Assert.True(siv.TryDecrypt(output, decrypted, associatedData));
        Assert.Equal(plaintext, decrypted);
    }

    [Fact]
    public void Encrypt_WhenInstanceReusedAcrossSizes_GivesSameResultsAsFreshInstances()
    {
        byte[] key = Pattern(64, 3, 9);
        using var reused = new AesSiv(key);
        foreach (int length in new[] { 2500, 0, 17, 1024, 1025, 16, 3 })
        {
            byte[] plaintext = Pattern(length, 5, length);
            byte[] fromReused = new byte[AesSiv.SivLength + length];
            reused.Encrypt(plaintext, fromReused, [ReadOnlyMemory<byte>.Empty]);
            Assert.Equal(Encrypt(key, plaintext, []), fromReused);
        }
    }

    [Fact]
    public void Encrypt_WhenOneEmptyComponentVersusNone_GivesDifferentOutputs()
    {
        byte[] key = Hex(AlloyKey);
        byte[] withEmpty = Encrypt(key, [1, 2, 3], []);
        using var siv = new AesSiv(key);
        byte[] withNone = new byte[19];
        siv.Encrypt([1, 2, 3], withNone, ReadOnlySpan<ReadOnlyMemory<byte>>.Empty);
        Assert.NotEqual(withEmpty, withNone);
    }

    [Fact]
    public void EncryptThenTryDecrypt_WhenRandomInputs_RoundTrips()
    {
        Gen.Select(
                Gen.Int[0, 2].Select(i => 32 + (16 * i)).SelectMany(length => Gen.Byte.Array[length]),
                Gen.Byte.Array[0, 3000],
                Gen.Byte.Array[0, 40].Array[0, 4])
            .Sample((key, plaintext, components) =>
            {
                ReadOnlyMemory<byte>[] associatedData = [.. components.Select(c => (ReadOnlyMemory<byte>)c)];
                using var siv = new AesSiv(key);
                byte[] output = new byte[AesSiv.SivLength + plaintext.Length];
                siv.Encrypt(plaintext, output, associatedData);
                byte[] decrypted = new byte[plaintext.Length];
                Assert.True(siv.TryDecrypt(output, decrypted, associatedData));
                Assert.Equal(plaintext, decrypted);
            }, iter: 200);
    }

    [Fact]
    public void TryDecrypt_WhenAnySingleBitFlipped_ReturnsFalseAndZeroesDestination()
    {
        byte[] key = Hex(A2Key);
        byte[] output = Encrypt(key, Hex(A2Plaintext), Hex(A2Nonce));
        using var siv = new AesSiv(key);
        byte[] destination = new byte[output.Length - AesSiv.SivLength];
        for (int bit = 0; bit < output.Length * 8; bit++)
        {
            byte[] tampered = (byte[])output.Clone();
            tampered[bit / 8] ^= (byte)(1 << (bit % 8));

            Assert.False(siv.TryDecrypt(tampered, destination, [Hex(A2Nonce)]));
            Assert.Equal(new byte[destination.Length], destination);
        }
    }

    [Fact]
    public void TryDecrypt_WhenAssociatedDataDiffers_ReturnsFalse()
    {
        byte[] key = Hex(A1Key);
        byte[] output = Encrypt(key, Hex(A1Plaintext), Hex(A1AssociatedData));
        using var siv = new AesSiv(key);
        byte[] destination = new byte[output.Length - AesSiv.SivLength];

        Assert.False(siv.TryDecrypt(output, destination, ReadOnlySpan<ReadOnlyMemory<byte>>.Empty));
        Assert.False(siv.TryDecrypt(output, destination, [Hex(A1AssociatedData), ReadOnlyMemory<byte>.Empty]));
        Assert.False(siv.TryDecrypt(output, destination, [Hex(A1AssociatedData).AsMemory(1)]));
    }

    [Fact]
    public void TryDecrypt_WhenWrongKey_ReturnsFalse()
    {
        byte[] output = Encrypt(Hex(AlloyKey), [1, 2, 3], []);
        byte[] otherKey = Hex(AlloyKey);
        otherKey[^1] ^= 1;
        Assert.False(new AesSiv(otherKey).TryDecrypt(output, new byte[3], [ReadOnlyMemory<byte>.Empty]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    public void TryDecrypt_WhenShorterThanSiv_ReturnsFalse(int length)
    {
        using var siv = new AesSiv(Hex(A1Key));
        Assert.False(siv.TryDecrypt(new byte[length], Span<byte>.Empty, ReadOnlySpan<ReadOnlyMemory<byte>>.Empty));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(65)]
    public void Constructor_WhenKeyLengthUnsupported_ThrowsArgumentException(int length)
    {
        Assert.Throws<ArgumentException>(() => new AesSiv(new byte[length]));
    }

    [Fact]
    public void Encrypt_WhenDestinationWrongLength_ThrowsArgumentException()
    {
        using var siv = new AesSiv(Hex(A1Key));
        Assert.Throws<ArgumentException>(() => siv.Encrypt(new byte[3], new byte[18], ReadOnlySpan<ReadOnlyMemory<byte>>.Empty));
        Assert.Throws<ArgumentException>(() => siv.Encrypt(new byte[3], new byte[20], ReadOnlySpan<ReadOnlyMemory<byte>>.Empty));
    }

    [Fact]
    public void TryDecrypt_WhenDestinationWrongLength_ThrowsArgumentException()
    {
        using var siv = new AesSiv(Hex(A1Key));
        Assert.Throws<ArgumentException>(() => siv.TryDecrypt(new byte[20], new byte[3], ReadOnlySpan<ReadOnlyMemory<byte>>.Empty));
    }

    [Fact]
    public void Encrypt_WhenBuffersOverlap_ThrowsArgumentException()
    {
        using var siv = new AesSiv(Hex(A1Key));
        byte[] buffer = new byte[40];
        Assert.Throws<ArgumentException>(() => siv.Encrypt(buffer.AsSpan(16, 20), buffer.AsSpan(0, 36), ReadOnlySpan<ReadOnlyMemory<byte>>.Empty));
    }

    [Fact]
    public void Encrypt_WhenMoreThan126Components_ThrowsArgumentException()
    {
        using var siv = new AesSiv(Hex(A1Key));
        var components = new ReadOnlyMemory<byte>[AesSiv.MaxAssociatedDataCount + 1];

        siv.Encrypt([1], new byte[17], components.AsSpan(0, AesSiv.MaxAssociatedDataCount));
        Assert.Throws<ArgumentException>(() => siv.Encrypt([1], new byte[17], components));
    }

    [Fact]
    public void Encrypt_WhenDisposed_ThrowsObjectDisposedException()
    {
        var siv = new AesSiv(Hex(A1Key));
        siv.Dispose();
        siv.Dispose();
        Assert.Throws<ObjectDisposedException>(() => siv.Encrypt([1], new byte[17], ReadOnlySpan<ReadOnlyMemory<byte>>.Empty));
    }

    private static byte[] Encrypt(byte[] key, byte[] plaintext, params byte[][] associatedData)
    {
        ReadOnlyMemory<byte>[] components = associatedData.Length == 0
            ? [ReadOnlyMemory<byte>.Empty]
            : [.. associatedData.Select(c => (ReadOnlyMemory<byte>)c)];
        using var siv = new AesSiv(key);
        byte[] output = new byte[AesSiv.SivLength + plaintext.Length];
        siv.Encrypt(plaintext, output, components);
        return output;
    }

    private static byte[] Decrypt(byte[] key, byte[] output, params byte[][] associatedData)
    {
        ReadOnlyMemory<byte>[] components = [.. associatedData.Select(c => (ReadOnlyMemory<byte>)c)];
        using var siv = new AesSiv(key);
        byte[] plaintext = new byte[output.Length - AesSiv.SivLength];
        Assert.True(siv.TryDecrypt(output, plaintext, components));
        return plaintext;
    }

    private static ReadOnlyMemory<byte>[] CrossCheckAssociatedData(int associatedDataCase) => associatedDataCase switch
    {
        0 => [],
        1 => [ReadOnlyMemory<byte>.Empty],
        2 => [Pattern(16, 5, 3)],
        3 => [Pattern(1, 5, 3), Pattern(40, 11, 7), ReadOnlyMemory<byte>.Empty],
        _ => throw new ArgumentOutOfRangeException(nameof(associatedDataCase)),
    };

    /// <summary>pattern(n, mul, add)[i] = (i·mul + add) mod 256, as in the cross-check vector file.</summary>
    private static byte[] Pattern(int length, int multiplier, int addend)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(((i * multiplier) + addend) % 256);
        }

        return bytes;
    }

    private static byte[] Hex(string hex) => Convert.FromHexString(hex);
}
