using System.Security.Cryptography;
using CsCheck;
using Veil.Fields;
using Veil.Keys;

namespace Veil.Tests.Fields;

public sealed class DeterministicFieldOperationsTests : IDisposable
{
    // Alloy src/standalone/deterministic.rs document_deterministic_decrypt_known_bytes (spec §5.8).
    private static readonly byte[] s_alloySecret =
        [69, 96, 99, 158, 198, 112, 183, 161, 125, 73, 43, 39, 62, 7, 123, 10, 150, 190, 245, 139, 167, 118, 7, 121, 229, 68, 84, 110, 0, 14, 254, 200];

    private static readonly byte[] s_alloyKnownBytes =
        [0, 0, 0, 1, 128, 0, 44, 194, 55, 224, 251, 64, 34, 109, 10, 77, 197, 32, 11, 224, 51, 154, 218, 130, 209];

    private static readonly SecretPath s_path = new SecretPath("secret_path");
    private static readonly SecretPath s_rotatingPath = new SecretPath("rotating");
    private static readonly SecretPath s_inRotationOnlyPath = new SecretPath("retiring");
    private static readonly DerivationPath s_derivation = new DerivationPath("deriv_path");
    private static readonly TenantId s_tenant = new TenantId("foo");

    private readonly Secret _alloySecret = new(s_alloySecret);
    private readonly Secret _newSecret = new(Enumerable.Range(100, 48).Select(i => (byte)i).ToArray());
    private readonly DeterministicFieldOperations _operations;

    public DeterministicFieldOperationsTests()
    {
        var oldSecret = new IdentifiedSecret(new KeyId(1), _alloySecret);
        var newSecret = new IdentifiedSecret(new KeyId(2), _newSecret);
        _operations = new DeterministicFieldOperations(new Dictionary<SecretPath, RotatableSecret>
        {
            [s_path] = new RotatableSecret(oldSecret),
            [s_rotatingPath] = new RotatableSecret(newSecret, oldSecret),
            [s_inRotationOnlyPath] = new RotatableSecret(null, oldSecret),
        });
    }

    public void Dispose()
    {
        _alloySecret.Dispose();
        _newSecret.Dispose();
    }

    [Fact]
    public void Decrypt_WhenAlloyKnownBytes_ReturnsKnownPlaintext()
    {
        byte[] plaintext = _operations.Decrypt(new EncryptedField(s_alloyKnownBytes, s_path, s_derivation), s_tenant);
        Assert.Equal(new byte[] { 1, 2, 3 }, plaintext);
    }

    [Fact]
    public void EncryptDeterministically_WhenAlloyKnownConfiguration_ProducesAlloyKnownBytes()
    {
        EncryptedField field = _operations.EncryptDeterministically([1, 2, 3], s_path, s_derivation, s_tenant);

        Assert.Equal(s_alloyKnownBytes, field.Ciphertext);
        Assert.Equal(s_path, field.SecretPath);
        Assert.Equal(s_derivation, field.DerivationPath);
    }

    [Fact]
    public void EncryptThenDecrypt_WhenRandomPlaintext_RoundTrips()
    {
        Gen.Byte.Array[0, 300].Sample(plaintext =>
        {
            EncryptedField field = _operations.EncryptDeterministically(plaintext, s_rotatingPath, s_derivation, s_tenant);
            Assert.Equal(EncryptedField.Overhead + plaintext.Length, field.Ciphertext.Length);
            Assert.Equal(plaintext, _operations.Decrypt(field, s_tenant));
        });
    }

    [Fact]
    public void EncryptThenDecrypt_WhenEmptyPlaintext_RoundTrips()
    {
        EncryptedField field = _operations.EncryptDeterministically([], s_path, s_derivation, s_tenant);
        Assert.Equal(EncryptedField.Overhead, field.Ciphertext.Length);
        Assert.Empty(_operations.Decrypt(field, s_tenant));
    }

    [Fact]
    public void EncryptDeterministically_WhenEqualPlaintexts_GivesEqualCiphertexts()
    {
        Gen.Byte.Array[0, 100].Sample(plaintext =>
        {
            EncryptedField first = _operations.EncryptDeterministically(plaintext, s_path, s_derivation, s_tenant);
            EncryptedField second = _operations.EncryptDeterministically((byte[])plaintext.Clone(), s_path, s_derivation, s_tenant);
            Assert.Equal(first.Ciphertext, second.Ciphertext);
        });
    }

    [Fact]
    public void EncryptDeterministically_WhenPlaintextTenantOrDerivationDiffers_GivesDifferentCiphertexts()
    {
        byte[] baseline = _operations.EncryptDeterministically([1, 2, 3], s_path, s_derivation, s_tenant).Ciphertext;

        Assert.NotEqual(baseline, _operations.EncryptDeterministically([1, 2, 4], s_path, s_derivation, s_tenant).Ciphertext);
        Assert.NotEqual(baseline, _operations.EncryptDeterministically([1, 2, 3], s_path, s_derivation, new TenantId("bar")).Ciphertext);
        Assert.NotEqual(baseline, _operations.EncryptDeterministically([1, 2, 3], s_path, new DerivationPath("other"), s_tenant).Ciphertext);
    }

    [Fact]
    public void Decrypt_WhenAnySingleBitFlipped_ThrowsCryptographicException()
    {
        EncryptedField field = _operations.EncryptDeterministically("hello world"u8, s_path, s_derivation, s_tenant);
        for (int bit = 0; bit < field.Ciphertext.Length * 8; bit++)
        {
            EncryptedField tampered = FlipBit(field, bit);
            Assert.ThrowsAny<CryptographicException>(() => _operations.Decrypt(tampered, s_tenant));
        }
    }

    [Fact]
    public void TryDecrypt_WhenAnySingleBitFlipped_ReturnsFalse()
    {
        EncryptedField field = _operations.EncryptDeterministically("hello world"u8, s_rotatingPath, s_derivation, s_tenant);
        for (int bit = 0; bit < field.Ciphertext.Length * 8; bit++)
        {
            Assert.False(_operations.TryDecrypt(FlipBit(field, bit), s_tenant, out byte[]? plaintext));
            Assert.Null(plaintext);
        }
    }

    [Fact]
    public void TryDecrypt_WhenIntact_ReturnsTrueAndPlaintext()
    {
        EncryptedField field = _operations.EncryptDeterministically("hello"u8, s_path, s_derivation, s_tenant);
        Assert.True(_operations.TryDecrypt(field, s_tenant, out byte[]? plaintext));
        Assert.Equal("hello"u8.ToArray(), plaintext);
    }

    [Fact]
    public void Decrypt_WhenSivTampered_ThrowsAuthenticationTagMismatchWithAlloyMessage()
    {
        EncryptedField tampered = FlipBit(_operations.EncryptDeterministically("secret value"u8, s_path, s_derivation, s_tenant), 6 * 8);

        var exception = Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(tampered, s_tenant));
        Assert.Equal("Failed deterministic decryption. Ensure the data and tenant ID are correct.", exception.Message);
    }

    [Fact]
    public void Decrypt_WhenWrongTenant_ThrowsAuthenticationTagMismatch()
    {
        EncryptedField field = _operations.EncryptDeterministically([1, 2, 3], s_path, s_derivation, s_tenant);
        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(field, new TenantId("bar")));
        Assert.False(_operations.TryDecrypt(field, new TenantId("bar"), out _));
    }

    [Fact]
    public void Decrypt_WhenWrongDerivationPath_ThrowsAuthenticationTagMismatch()
    {
        EncryptedField field = _operations.EncryptDeterministically([1, 2, 3], s_path, s_derivation, s_tenant);
        var moved = new EncryptedField(field.Ciphertext, s_path, new DerivationPath("other_path"));
        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(moved, s_tenant));
    }

    [Fact]
    public void Decrypt_WhenEncryptedWithInRotationSecret_Succeeds()
    {
        // The known bytes carry key id 1, which is the in-rotation secret of the rotating path.
        byte[] plaintext = _operations.Decrypt(new EncryptedField(s_alloyKnownBytes, s_rotatingPath, s_derivation), s_tenant);
        Assert.Equal(new byte[] { 1, 2, 3 }, plaintext);
        Assert.Equal(new byte[] { 1, 2, 3 }, _operations.Decrypt(new EncryptedField(s_alloyKnownBytes, s_inRotationOnlyPath, s_derivation), s_tenant));
    }

    [Fact]
    public void EncryptDeterministically_WhenRotating_UsesCurrentKeyId()
    {
        EncryptedField field = _operations.EncryptDeterministically([1, 2, 3], s_rotatingPath, s_derivation, s_tenant);
        Assert.Equal(new byte[] { 0, 0, 0, 2, 0x80, 0 }, field.Ciphertext[..6]);
    }

    [Fact]
    public void Decrypt_WhenUnknownKeyId_ThrowsKeyNotAvailableNamingTheId()
    {
        byte[] bytes = (byte[])s_alloyKnownBytes.Clone();
        bytes[3] = 7;

        var exception = Assert.Throws<KeyNotAvailableException>(() => _operations.Decrypt(new EncryptedField(bytes, s_path, s_derivation), s_tenant));
        Assert.Equal(new KeyId(7), exception.KeyId);
        Assert.Contains("7", exception.Message, StringComparison.Ordinal);
        Assert.Contains("secret_path", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0, 0, 0, 1, 128 })]
    [InlineData(new byte[] { 0, 0, 0, 1, 128, 1, 44, 194, 55, 224, 251, 64, 34, 109, 10, 77, 197, 32, 11, 224, 51, 154, 218, 130, 209 })]
    [InlineData(new byte[] { 0, 0, 0, 1, 0x83, 0, 44, 194, 55, 224, 251, 64, 34, 109, 10, 77, 197, 32, 11, 224, 51, 154, 218, 130, 209 })]
    [InlineData(new byte[] { 0, 0, 0, 1, 0xC0, 0, 44, 194, 55, 224, 251, 64, 34, 109, 10, 77, 197, 32, 11, 224, 51, 154, 218, 130, 209 })]
    public void Decrypt_WhenHeaderMalformed_ThrowsCryptographicExceptionAboutHeader(byte[] bytes)
    {
        var exception = Assert.Throws<CryptographicException>(() => _operations.Decrypt(new EncryptedField(bytes, s_path, s_derivation), s_tenant));
        Assert.Contains("header was invalid", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x81)] // Standalone vector metadata
    [InlineData(0x82)] // Standalone standard EDEK
    [InlineData(0x00)] // SaaS Shield deterministic field
    [InlineData(0x40)] // Data Control Platform deterministic field
    public void Decrypt_WhenWrongEdekOrPayloadType_ThrowsNotStandaloneDeterministicField(byte typeByte)
    {
        byte[] bytes = (byte[])s_alloyKnownBytes.Clone();
        bytes[4] = typeByte;

        var exception = Assert.Throws<CryptographicException>(() => _operations.Decrypt(new EncryptedField(bytes, s_path, s_derivation), s_tenant));
        Assert.Contains("was not a Standalone deterministic field", exception.Message, StringComparison.Ordinal);
        Assert.False(_operations.TryDecrypt(new EncryptedField(bytes, s_path, s_derivation), s_tenant, out _));
    }

    [Theory]
    [InlineData(6)]
    [InlineData(21)]
    public void Decrypt_WhenShorterThanHeaderPlusSiv_ThrowsCryptographicException(int length)
    {
        var field = new EncryptedField(s_alloyKnownBytes[..length], s_path, s_derivation);

        var exception = Assert.Throws<CryptographicException>(() => _operations.Decrypt(field, s_tenant));
        Assert.Contains("shorter than the 22-byte minimum", exception.Message, StringComparison.Ordinal);
        Assert.False(_operations.TryDecrypt(field, s_tenant, out _));
    }

    [Fact]
    public void Decrypt_WhenTruncatedByOneByte_ThrowsAuthenticationTagMismatch()
    {
        var field = new EncryptedField(s_alloyKnownBytes[..^1], s_path, s_derivation);
        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(field, s_tenant));
    }

    [Fact]
    public void EncryptDeterministically_WhenUnknownSecretPath_ThrowsArgumentExceptionNamingPath()
    {
        var exception = Assert.Throws<ArgumentException>(() => _operations.EncryptDeterministically([1], new SecretPath("nope"), s_derivation, s_tenant));
        Assert.Contains("'nope'", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decrypt_WhenUnknownSecretPath_ThrowsArgumentException()
    {
        var field = new EncryptedField(s_alloyKnownBytes, new SecretPath("nope"), s_derivation);
        Assert.Throws<ArgumentException>(() => _operations.Decrypt(field, s_tenant));
        Assert.Throws<ArgumentException>(() => _operations.TryDecrypt(field, s_tenant, out _));
    }

    [Fact]
    public void EncryptDeterministically_WhenNoCurrentSecret_ThrowsKeyNotAvailable()
    {
        Assert.Throws<KeyNotAvailableException>(() => _operations.EncryptDeterministically([1], s_inRotationOnlyPath, s_derivation, s_tenant));
    }

    [Fact]
    public void GenerateQueryFieldValues_WhenInRotationSecretPresent_ReturnsCurrentThenInRotation()
    {
        IReadOnlyList<EncryptedField> values = _operations.GenerateQueryFieldValues([1, 2, 3], s_rotatingPath, s_derivation, s_tenant);

        Assert.Equal(2, values.Count);
        Assert.Equal(_operations.EncryptDeterministically([1, 2, 3], s_rotatingPath, s_derivation, s_tenant).Ciphertext, values[0].Ciphertext);
        Assert.Equal(s_alloyKnownBytes, values[1].Ciphertext);
        Assert.All(values, v => Assert.Equal(s_rotatingPath, v.SecretPath));
    }

    [Fact]
    public void GenerateQueryFieldValues_WhenOnlyCurrentSecret_ReturnsOneValue()
    {
        IReadOnlyList<EncryptedField> values = _operations.GenerateQueryFieldValues([1, 2, 3], s_path, s_derivation, s_tenant);
        Assert.Equal(s_alloyKnownBytes, Assert.Single(values).Ciphertext);
    }

    [Fact]
    public void GenerateQueryFieldValues_WhenOnlyInRotationSecret_ReturnsInRotationValue()
    {
        IReadOnlyList<EncryptedField> values = _operations.GenerateQueryFieldValues([1, 2, 3], s_inRotationOnlyPath, s_derivation, s_tenant);
        Assert.Equal(s_alloyKnownBytes, Assert.Single(values).Ciphertext);
    }

    [Fact]
    public void RotateField_WhenAlreadyCurrentAndSameTenant_ReturnsInputUnchanged()
    {
        EncryptedField field = _operations.EncryptDeterministically([1, 2, 3], s_rotatingPath, s_derivation, s_tenant);

        Assert.Same(field, _operations.RotateField(field, s_tenant));
        Assert.Same(field, _operations.RotateField(field, s_tenant, s_tenant));
    }

    [Fact]
    public void RotateField_WhenInRotationKey_MovesToCurrentSecret()
    {
        var old = new EncryptedField(s_alloyKnownBytes, s_rotatingPath, s_derivation);

        EncryptedField rotated = _operations.RotateField(old, s_tenant);

        Assert.Equal(new byte[] { 0, 0, 0, 2, 0x80, 0 }, rotated.Ciphertext[..6]);
        Assert.Equal(_operations.EncryptDeterministically([1, 2, 3], s_rotatingPath, s_derivation, s_tenant).Ciphertext, rotated.Ciphertext);
        Assert.Equal(new byte[] { 1, 2, 3 }, _operations.Decrypt(rotated, s_tenant));
        Assert.Equal(s_derivation, rotated.DerivationPath);
    }

    [Fact]
    public void RotateField_WhenNewTenant_ReencryptsForNewTenant()
    {
        EncryptedField field = _operations.EncryptDeterministically([1, 2, 3], s_path, s_derivation, s_tenant);

        EncryptedField rotated = _operations.RotateField(field, s_tenant, new TenantId("bar"));

        Assert.NotSame(field, rotated);
        Assert.Equal(new byte[] { 1, 2, 3 }, _operations.Decrypt(rotated, new TenantId("bar")));
        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(rotated, s_tenant));
    }

    [Fact]
    public void RotateField_WhenTamperedAndNotCurrent_ThrowsAuthenticationTagMismatch()
    {
        EncryptedField tampered = FlipBit(new EncryptedField(s_alloyKnownBytes, s_rotatingPath, s_derivation), 100);
        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.RotateField(tampered, s_tenant));
    }

    [Fact]
    public void RotateField_WhenNoCurrentSecret_ThrowsKeyNotAvailable()
    {
        var field = new EncryptedField(s_alloyKnownBytes, s_inRotationOnlyPath, s_derivation);
        Assert.Throws<KeyNotAvailableException>(() => _operations.RotateField(field, s_tenant));
    }

    [Fact]
    public void GetInRotationPrefix_WhenInRotationSecret_ReturnsItsHeader()
    {
        byte[] prefix = _operations.GetInRotationPrefix(s_rotatingPath, s_derivation, s_tenant);

        Assert.Equal(new byte[] { 0, 0, 0, 1, 0x80, 0 }, prefix);
        Assert.Equal(prefix, _operations.GenerateQueryFieldValues([9], s_rotatingPath, s_derivation, s_tenant)[1].Ciphertext[..6]);
    }

    [Fact]
    public void GetInRotationPrefix_WhenNoInRotationSecret_ThrowsKeyNotAvailable()
    {
        Assert.Throws<KeyNotAvailableException>(() => _operations.GetInRotationPrefix(s_path, s_derivation, s_tenant));
    }

    [Fact]
    public void DecryptBatch_WhenOneItemTampered_OthersSucceed()
    {
        EncryptedField[] fields =
        [
            _operations.EncryptDeterministically([1], s_path, s_derivation, s_tenant),
            FlipBit(_operations.EncryptDeterministically([2], s_path, s_derivation, s_tenant), 60),
            new EncryptedField(s_alloyKnownBytes, s_rotatingPath, s_derivation),
            new EncryptedField(s_alloyKnownBytes, new SecretPath("nope"), s_derivation),
        ];

        BatchResult<byte[]> results = _operations.DecryptBatch(fields, s_tenant);

        Assert.Equal(4, results.Count);
        Assert.Equal(2, results.FailureCount);
        Assert.Equal(new byte[] { 1 }, results[0].Value);
        Assert.IsType<AuthenticationTagMismatchException>(results[1].Error);
        Assert.Equal(new byte[] { 1, 2, 3 }, results[2].Value);
        Assert.IsType<ArgumentException>(results[3].Error);
    }

    [Fact]
    public void EncryptDeterministicallyBatch_WhenOneUnknownPath_OthersSucceedInOrder()
    {
        PlaintextField[] fields =
        [
            new(new byte[] { 1, 2, 3 }, s_path, s_derivation),
            new(new byte[] { 4 }, new SecretPath("nope"), s_derivation),
            new(new byte[] { 5 }, s_rotatingPath, s_derivation),
        ];

        BatchResult<EncryptedField> results = _operations.EncryptDeterministicallyBatch(fields, s_tenant);

        Assert.Equal(1, results.FailureCount);
        Assert.Equal(s_alloyKnownBytes, results[0].Value!.Ciphertext);
        Assert.IsType<ArgumentException>(results[1].Error);
        Assert.Equal(new byte[] { 5 }, _operations.Decrypt(results[2].Value!, s_tenant));
    }

    [Fact]
    public void GenerateQueryFieldValuesBatch_WhenMixedPaths_ReturnsPerItemValues()
    {
        PlaintextField[] fields =
        [
            new(new byte[] { 1, 2, 3 }, s_rotatingPath, s_derivation),
            new(new byte[] { 1, 2, 3 }, s_path, s_derivation),
            new(new byte[] { 1, 2, 3 }, new SecretPath("nope"), s_derivation),
        ];

        BatchResult<IReadOnlyList<EncryptedField>> results = _operations.GenerateQueryFieldValuesBatch(fields, s_tenant);

        Assert.Equal(2, results[0].Value!.Count);
        Assert.Single(results[1].Value!);
        Assert.False(results[2].IsSuccess);
    }

    [Fact]
    public void RotateFields_WhenMixedItems_RotatesEachAndKeepsCurrentOnesUnchanged()
    {
        EncryptedField current = _operations.EncryptDeterministically([7], s_rotatingPath, s_derivation, s_tenant);
        EncryptedField[] fields =
        [
            current,
            new EncryptedField(s_alloyKnownBytes, s_rotatingPath, s_derivation),
            FlipBit(new EncryptedField(s_alloyKnownBytes, s_rotatingPath, s_derivation), 70),
        ];

        BatchResult<EncryptedField> results = _operations.RotateFields(fields, s_tenant);

        Assert.Same(current, results[0].Value);
        Assert.Equal(2u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(results[1].Value!.Ciphertext));
        Assert.False(results[2].IsSuccess);
    }

    [Fact]
    public void ToString_WhenFieldsHoldData_DoesNotRevealBytes()
    {
        var plaintext = new PlaintextField(new byte[] { 0xAB, 0xCD }, s_path, s_derivation);
        EncryptedField encrypted = _operations.EncryptDeterministically([0xAB, 0xCD], s_path, s_derivation, s_tenant);

        Assert.DoesNotContain("171", plaintext.ToString(), StringComparison.Ordinal);
        Assert.Contains("redacted", plaintext.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(encrypted.Ciphertext), encrypted.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    private static EncryptedField FlipBit(EncryptedField field, int bit)
    {
        byte[] bytes = (byte[])field.Ciphertext.Clone();
        bytes[bit / 8] ^= (byte)(1 << (bit % 8));
        return new EncryptedField(bytes, field.SecretPath, field.DerivationPath);
    }
}
