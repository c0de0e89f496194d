using System.Numerics.Tensors;
using DuckDB.NET.Data;
using Veil.Documents.Store.Tests.Support;
using Veil.Keys;
using Veil.Testing;
using Veil.Vectors;

namespace Veil.Documents.Store.Tests;

/// <summary>
/// <see cref="OneWayDataset"/>: a Parquet file of ids, labels and one-way ciphertexts whose metadata names the key and
/// holds nothing that decrypts; read back, it gives the same rows and key; bad input writes nothing.
/// </summary>
public sealed class OneWayDatasetTests : IDisposable
{
    private const int Dimensions = 16;

    private readonly TempDirectory _directory = new();
    private readonly RotationKeys _keys = new();

    public void Dispose()
    {
        _keys.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void WriteThenRead_GivesCiphertextsLabelsAndTheKey_AndTheFileHoldsNoPlaintextNorKeyMaterial()
    {
        LabelledVectors plain = Rows(40);
        VectorEncryptor encryptor = Encryptor(_keys.Before);
        string path = _directory.File("train.parquet");

        VectorKeyDescription written = OneWayDataset.Write(path, plain, encryptor, new TenantId("acme"));
        OneWayDatasetContents read = OneWayDataset.Read(path);

        Assert.Equal(written, read.Key);
        Assert.Equal((1u, RotationKeys.SecretPath, "e", "acme", encryptor.ApproximationFactor), (read.Key.KeyId, read.Key.SecretPath, read.Key.DerivationPath, read.Key.Tenant, read.Key.Beta));
        Assert.Equal(plain.Ids, read.Rows.Ids);
        Assert.Equal(plain.Labels, read.Rows.Labels);
        for (int i = 0; i < plain.Vectors.Length; i++)
        {
            // A ciphertext, not the plaintext: moved by the key (β-scaled noise), yet still nearer its own plaintext's direction than chance.
            Assert.True(TensorPrimitives.Distance(plain.Vectors[i], read.Rows.Vectors[i]) > 1e-3f, plain.Ids[i]);
        }

        // The key check verifies with the key only: it names the key, it decrypts nothing.
        byte[] check = Convert.FromBase64String(read.Key.KeyCheck);
        Assert.True(encryptor.TryDecrypt(ReadOnlySpan<float>.Empty, check, Span<float>.Empty));
        Assert.False(Encryptor(_keys.NewOnly).TryDecrypt(ReadOnlySpan<float>.Empty, check, Span<float>.Empty));

        // Exactly three columns and the veil.* metadata: no paired ICL info, no plaintext, no key.
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        Assert.Equal(["id", "label", "vector"], Query(connection, $"SELECT name FROM parquet_schema('{path}') WHERE name <> 'duckdb_schema' AND name <> 'list' AND name <> 'element'"));
        Assert.Equal(
            ["veil.beta", "veil.derivation_path", "veil.format", "veil.key_check", "veil.key_id", "veil.secret_path", "veil.tenant"],
            Query(connection, $"SELECT decode(key) FROM parquet_kv_metadata('{path}') WHERE decode(key) LIKE 'veil.%' ORDER BY 1"));
        Assert.Equal(["16"], Query(connection, $"SELECT DISTINCT CAST(len(vector) AS VARCHAR) FROM '{path}'"));
    }

    [Fact]
    public void Write_WhenAVectorCannotBeEncrypted_WritesNothing()
    {
        LabelledVectors rows = Rows(10);
        rows.Vectors[7][3] = float.NaN;
        string path = _directory.File("train.parquet");

        var e = Assert.Throws<DocumentStoreException>(() => OneWayDataset.Write(path, rows, Encryptor(_keys.Before), new TenantId("acme")));

        Assert.Contains("\"r7\" cannot be encrypted", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_directory.Path));
    }

    [Fact]
    public void Read_OfParquetWithoutVeilMetadata_IsRefused()
    {
        string parquet = _directory.WriteParquet("SELECT 'a' AS id, 'x' AS label, [1.0, 0.0]::FLOAT[] AS vector");

        var e = Assert.Throws<DocumentStoreException>(() => OneWayDataset.Read(parquet));

        Assert.Contains("is not a Veil one-way dataset", e.Message, StringComparison.Ordinal);
    }

    private static VectorEncryptor Encryptor(VeilClient client) => client.Vector.GetEncryptor(new SecretPath(RotationKeys.SecretPath), new DerivationPath("e"), new TenantId("acme"));

    private static LabelledVectors Rows(int count)
    {
        var random = new Random(5);
        float[][] vectors = [.. Enumerable.Range(0, count).Select(_ =>
        {
            float[] v = [.. Enumerable.Range(0, Dimensions).Select(_ => (float)(random.NextDouble() - 0.5))];
            TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);
            return v;
        })];
        return new LabelledVectors(
            [.. Enumerable.Range(0, count).Select(i => $"r{i}")],
            vectors,
            [.. Enumerable.Range(0, count).Select(i => i % 5 == 4 ? null : $"label{i % 3}")]);
    }

    private static List<string> Query(DuckDBConnection connection, string sql)
    {
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
