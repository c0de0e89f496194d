using Veil.Fields;
using Veil.Keys;
using Veil.Tests.Support;

namespace Veil.Tests.Fields;

/// <summary>
/// Batches share one key cache across items of several secret paths, derivation paths and (when rotating) tenants;
/// each item must come out exactly as the single-item call makes it, failures included.
/// </summary>
public sealed class DeterministicBatchTests : IDisposable
{
    private static readonly SecretPath s_first = new SecretPath("first");
    private static readonly SecretPath s_second = new SecretPath("second");
    private static readonly DerivationPath[] s_derivations = [new DerivationPath("category"), new DerivationPath("label")];

    private readonly Secret _one = new(Enumerable.Range(1, 64).Select(i => (byte)i).ToArray());
    private readonly Secret _two = new(Enumerable.Range(70, 48).Select(i => (byte)i).ToArray());
    private readonly DeterministicFieldOperations _operations;
    private readonly DeterministicFieldOperations _beforeRotation;

    public DeterministicBatchTests()
    {
        var one = new IdentifiedSecret(new KeyId(1), _one);
        var two = new IdentifiedSecret(new KeyId(2), _two);
        _operations = new DeterministicFieldOperations(new Dictionary<SecretPath, RotatableSecret>
        {
            [s_first] = new RotatableSecret(one),
            [s_second] = new RotatableSecret(two, one),
        });
        _beforeRotation = new DeterministicFieldOperations(new Dictionary<SecretPath, RotatableSecret>
        {
            [s_first] = new RotatableSecret(one),
            [s_second] = new RotatableSecret(one),
        });
    }

    public void Dispose()
    {
        _one.Dispose();
        _two.Dispose();
    }

    [Theory]
    [InlineData("tenant-a")]
    [InlineData("tenant-b")]
    public void EncryptDeterministicallyBatch_WhenFieldsMixSecretAndDerivationPaths_EqualsSingleItems(string tenant)
    {
        PlaintextField[] fields = Fields(400);

        BatchResult<EncryptedField> batch = _operations.EncryptDeterministicallyBatch(fields, new TenantId(tenant));

        int failures = BatchAssert.EqualsOneAtATime(
            fields, batch, f => _operations.EncryptDeterministically(f.Plaintext.Span, f.SecretPath, f.DerivationPath, new TenantId(tenant)), AssertSame);
        Assert.Equal(0, failures);
    }

    [Fact]
    public void EncryptDeterministicallyBatch_WhenTenantsDiffer_GivesDifferentCiphertexts()
    {
        PlaintextField[] fields = Fields(50);

        BatchResult<EncryptedField> a = _operations.EncryptDeterministicallyBatch(fields, TestIds.TenantA);
        BatchResult<EncryptedField> b = _operations.EncryptDeterministicallyBatch(fields, TestIds.TenantB);

        Assert.All(Enumerable.Range(0, fields.Length), i => Assert.NotEqual(a[i].Value!.Ciphertext, b[i].Value!.Ciphertext));
    }

    [Fact]
    public void GenerateQueryFieldValuesBatch_WhenOnePathIsRotating_EqualsSingleItems()
    {
        PlaintextField[] fields = Fields(200);

        BatchResult<IReadOnlyList<EncryptedField>> batch = _operations.GenerateQueryFieldValuesBatch(fields, TestIds.TenantA);

        BatchAssert.EqualsOneAtATime(
            fields,
            batch,
            f => _operations.GenerateQueryFieldValues(f.Plaintext.Span, f.SecretPath, f.DerivationPath, TestIds.TenantA),
            (expected, actual) =>
            {
                Assert.Equal(expected.Count, actual.Count);
                for (int i = 0; i < expected.Count; i++)
                {
                    AssertSame(expected[i], actual[i]);
                }
            });
        Assert.Contains(batch, r => r.Value!.Count == 2);
    }

    [Fact]
    public void DecryptBatch_WhenSomeFieldsAreTamperedMislabelledOrUnknown_FailsOnlyThoseAsSingleItemsDo()
    {
        PlaintextField[] plaintexts = Fields(400);
        EncryptedField[] fields = _operations.EncryptDeterministicallyBatch(plaintexts, TestIds.TenantA).Select(r => r.Value!).ToArray();
        for (int i = 0; i < fields.Length; i++)
        {
            fields[i] = (i % 10) switch
            {
                3 => Tampered(fields[i], i),
                5 => new EncryptedField(fields[i].Ciphertext, fields[i].SecretPath, new DerivationPath("another-derivation")),
                7 => new EncryptedField(fields[i].Ciphertext, new SecretPath("not-configured"), fields[i].DerivationPath),
                8 => WithKeyId(fields[i], 9),
                _ => fields[i],
            };
        }

        BatchResult<byte[]> batch = _operations.DecryptBatch(fields, TestIds.TenantA);

        int failures = BatchAssert.EqualsOneAtATime(fields, batch, f => _operations.Decrypt(f, TestIds.TenantA), Assert.Equal);
        Assert.Equal(160, failures);
        Assert.All(
            Enumerable.Range(0, fields.Length).Where(i => i % 10 is not (3 or 5 or 7 or 8)),
            i => Assert.Equal(plaintexts[i].Plaintext.ToArray(), batch[i].Value));
    }

    [Fact]
    public void RotateFields_WhenMovingFieldsOfTwoSecretsToAnotherTenant_EqualsSingleItemsAndDecryptsForTheNewTenant()
    {
        PlaintextField[] plaintexts = Fields(300);
        EncryptedField[] stored = _beforeRotation.EncryptDeterministicallyBatch(plaintexts, TestIds.TenantA).Select(r => r.Value!).ToArray();
        stored[17] = Tampered(stored[17], 17);

        BatchResult<EncryptedField> batch = _operations.RotateFields(stored, TestIds.TenantA, TestIds.TenantB);

        int failures = BatchAssert.EqualsOneAtATime(stored, batch, f => _operations.RotateField(f, TestIds.TenantA, TestIds.TenantB), AssertSame);
        Assert.Equal(1, failures);
        BatchResult<byte[]> decrypted = _operations.DecryptBatch(batch.Where(r => r.IsSuccess).Select(r => r.Value!).ToArray(), TestIds.TenantB);
        Assert.Equal(
            plaintexts.Where((_, i) => i != 17).Select(p => p.Plaintext.ToArray()),
            decrypted.Select(r => r.Value!));
    }

    /// <summary>Fields of 0 to 40 bytes cycling over both secret paths and both derivation paths.</summary>
    private static PlaintextField[] Fields(int count)
    {
        var random = new Random(20261123);
        return Enumerable.Range(0, count).Select(i =>
        {
            byte[] plaintext = new byte[random.Next(41)];
            random.NextBytes(plaintext);
            return new PlaintextField(plaintext, i % 2 == 0 ? s_first : s_second, s_derivations[i / 2 % 2]);
        }).ToArray();
    }

    private static EncryptedField Tampered(EncryptedField field, int i)
    {
        byte[] bytes = field.Ciphertext.ToArray();
        bytes[6 + (i % (bytes.Length - 6))] ^= 0x20;
        return new EncryptedField(bytes, field.SecretPath, field.DerivationPath);
    }

    private static EncryptedField WithKeyId(EncryptedField field, byte keyId)
    {
        byte[] bytes = field.Ciphertext.ToArray();
        bytes[3] = keyId;
        return new EncryptedField(bytes, field.SecretPath, field.DerivationPath);
    }

    private static void AssertSame(EncryptedField expected, EncryptedField actual)
    {
        Assert.Equal(expected.Ciphertext, actual.Ciphertext);
        Assert.Equal(expected.SecretPath, actual.SecretPath);
        Assert.Equal(expected.DerivationPath, actual.DerivationPath);
    }
}
