using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using Veil.Keys;
using Veil.Vectors;

namespace Veil.Documents.Store;

/// <summary>
/// Labelled embeddings encrypted one-way, as a Parquet file for data scientists (threat model §4, "the one-way use"):
/// columns <c>id</c> (string), <c>label</c> (string, null where a row has none) and <c>vector</c> (a list of d FLOAT,
/// the one-way ciphertext). No key, no paired ICL info, no plaintext: nothing in the file decrypts. The file's key/value
/// metadata names the key the rows were encrypted under (<see cref="VectorKeyDescription"/>), so that a model trained on
/// it can later be bound to that key and fed fresh texts through the key holder.
/// </summary>
public static class OneWayDataset
{
    /// <summary>The Parquet key/value metadata keys (all prefixed <c>veil.</c>).</summary>
    internal const string FormatKey = "veil.format";
    internal const string FormatValue = "one-way-dataset/1";

    private const int Chunk = 4096;

    /// <summary>
    /// Encrypts <paramref name="rows"/> one-way with <paramref name="encryptor"/> (for <paramref name="tenant"/>) and
    /// writes them to <paramref name="path"/> (replaced atomically: a temporary file beside it is moved into place).
    /// </summary>
    /// <param name="path">The Parquet file to write.</param>
    /// <param name="rows">The ids, plaintext vectors and labels.</param>
    /// <param name="encryptor">The key (from <see cref="VectorOperations.GetEncryptor"/>).</param>
    /// <param name="tenant">The tenant the key was derived for (recorded in the metadata).</param>
    /// <param name="progress">Rows encrypted so far.</param>
    /// <returns>The key description written to the file's metadata.</returns>
    /// <exception cref="DocumentStoreException">A vector cannot be encrypted (NaN, infinity, wrong dimension or too large a norm for the key); nothing is written.</exception>
    public static VectorKeyDescription Write(string path, LabelledVectors rows, VectorEncryptor encryptor, TenantId tenant, IProgress<StoreProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(encryptor);
        if (rows.Vectors.Length == 0)
        {
            throw new DocumentStoreException("Invalid input: there are no rows to encrypt.");
        }

        var key = VectorKeyDescription.Of(encryptor, tenant);
        string full = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (DuckDBConnection connection = Connect())
            {
                int d = rows.Dimensions;
                Execute(connection, "CREATE TABLE rows (id VARCHAR NOT NULL, label VARCHAR, vector FLOAT[] NOT NULL)");
                using (DuckDBAppender appender = connection.CreateAppender("rows"))
                {
                    float[] plain = new float[Chunk * d];
                    float[] cipher = new float[Chunk * d];
                    for (int start = 0; start < rows.Vectors.Length; start += Chunk)
                    {
                        int n = Math.Min(Chunk, rows.Vectors.Length - start);
                        for (int i = 0; i < n; i++)
                        {
                            rows.Vectors[start + i].CopyTo(plain, i * d);
                        }

                        bool[] ok = encryptor.EncryptOneWayBatch(d, plain.AsMemory(0, n * d), cipher.AsMemory(0, n * d));
                        if (Array.IndexOf(ok, false) is var bad and >= 0)
                        {
                            throw new DocumentStoreException($"Invalid input: the vector of \"{rows.Ids[start + bad]}\" cannot be encrypted (NaN, infinity, or a norm or dimension the key refuses); nothing was written.");
                        }

                        for (int i = 0; i < n; i++)
                        {
                            var row = appender.CreateRow().AppendValue(rows.Ids[start + i]);
                            row = rows.Labels[start + i] is { } label ? row.AppendValue(label) : row.AppendNullValue();
                            row.AppendValue(cipher.AsSpan(i * d, d).ToArray()).EndRow();
                        }

                        progress?.Report(new StoreProgress(start + n, rows.Vectors.Length));
                    }
                }

                var metadata = new StringBuilder();
                foreach ((string name, string value) in ToMetadata(key))
                {
                    metadata.Append(metadata.Length == 0 ? string.Empty : ", ").Append(Literal(name)).Append(": ").Append(Literal(value));
                }

                Execute(connection, $"COPY rows TO {Literal(temporary)} (FORMAT parquet, COMPRESSION zstd, KV_METADATA {{{metadata}}})");
            }

            File.Move(temporary, full, overwrite: true);
            return key;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Reads a file written by <see cref="Write"/>: the ciphertexts with their ids and labels, and the key they were encrypted under.</summary>
    /// <exception cref="DocumentStoreException">The file is not a one-way dataset (no Veil metadata) or cannot be read.</exception>
    /// <exception cref="DocumentInputException">A row cannot be read.</exception>
    public static OneWayDatasetContents Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path) || !ParquetDocuments.IsParquet(path))
        {
            throw new DocumentStoreException($"Invalid input: '{path}' is not a Parquet file.");
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using DuckDBConnection connection = Connect();
            using DuckDBCommand command = connection.CreateCommand();
            command.CommandText = $"SELECT decode(key), decode(value) FROM parquet_kv_metadata({Literal(path)})";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                metadata[reader.GetString(0)] = reader.GetString(1);
            }
        }
        catch (DuckDBException e)
        {
            throw new DocumentStoreException($"Invalid input: '{path}' cannot be read as Parquet ({e.Message.Split('\n')[0]}).", e);
        }

        VectorKeyDescription key = FromMetadata(metadata)
            ?? throw new DocumentStoreException($"Invalid input: '{path}' is not a Veil one-way dataset (its metadata does not name the key its vectors were encrypted under); write one with veil encrypt-dataset.");
        LabelledVectors rows = LabelledVectors.Read(DocumentInput.File(path), path, "label", minimumRows: 1);
        return new OneWayDatasetContents(rows, key);
    }

    private static IEnumerable<(string Name, string Value)> ToMetadata(VectorKeyDescription key) =>
    [
        (FormatKey, FormatValue),
        ("veil.key_id", key.KeyId.ToString(CultureInfo.InvariantCulture)),
        ("veil.secret_path", key.SecretPath),
        ("veil.derivation_path", key.DerivationPath),
        ("veil.tenant", key.Tenant),
        ("veil.beta", key.Beta.ToString("R", CultureInfo.InvariantCulture)),
        ("veil.key_check", key.KeyCheck),
    ];

    private static VectorKeyDescription? FromMetadata(Dictionary<string, string> metadata)
    {
        string? Get(string name) => metadata.TryGetValue(name, out string? value) ? value : null;
        return Get(FormatKey) == FormatValue
            && uint.TryParse(Get("veil.key_id"), NumberStyles.None, CultureInfo.InvariantCulture, out uint keyId)
            && float.TryParse(Get("veil.beta"), NumberStyles.Float, CultureInfo.InvariantCulture, out float beta)
            && Get("veil.secret_path") is { Length: > 0 } secretPath
            && Get("veil.derivation_path") is { Length: > 0 } derivationPath
            && Get("veil.tenant") is { Length: > 0 } tenant
            && Get("veil.key_check") is { Length: > 0 } keyCheck
            ? new VectorKeyDescription(keyId, secretPath, derivationPath, tenant, beta, keyCheck)
            : null;
    }

    private static DuckDBConnection Connect()
    {
        var builder = new DuckDBConnectionStringBuilder { DataSource = ":memory:", AutoinstallKnownExtensions = false, AutoloadKnownExtensions = false };
        var connection = new DuckDBConnection(builder.ConnectionString);
        connection.Open();
        Execute(connection, "SET threads = 1; SET memory_limit = '512MB'");
        return connection;
    }

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}

/// <summary>The rows of a one-way dataset and the key they were encrypted under.</summary>
/// <param name="Rows">Ids, one-way ciphertexts and labels.</param>
/// <param name="Key">The key's description (no key bytes).</param>
public sealed record OneWayDatasetContents(LabelledVectors Rows, VectorKeyDescription Key);
