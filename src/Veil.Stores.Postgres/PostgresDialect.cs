using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;
using Npgsql;
using Pgvector;
using Veil.Stores.Sql;

namespace Veil.Stores.Postgres;

/// <summary>
/// PostgreSQL's SQL: identifier quoting, column types, positional cast parameters, reader conventions, pgvector
/// operators and index DDL.
/// </summary>
internal sealed class PostgresDialect : SqlDialect
{
    /// <summary>The one instance.</summary>
    public static readonly PostgresDialect Instance = new();

    /// <summary>PostgreSQL's limit on identifier length, in bytes.</summary>
    private const int MaxIdentifierBytes = 63;

    private PostgresDialect()
        : base(
            PostgresVectorStore.SystemName,
            "PostgreSQL",
            new SqlColumnTypes(
                "the PostgreSQL store", dimensions => string.Create(CultureInfo.InvariantCulture, $"vector({dimensions})"), "text", "integer", "bigint", "real", "double precision", "boolean", "bytea", "timestamptz", "uuid"),
            DistanceFunction.CosineDistance,
            DistanceFunction.CosineSimilarity,
            DistanceFunction.DotProductSimilarity,
            DistanceFunction.NegativeDotProductSimilarity,
            DistanceFunction.EuclideanDistance,
            DistanceFunction.EuclideanSquaredDistance,
            DistanceFunction.ManhattanDistance)
    {
    }

    /// <summary>Quotes an identifier (schema, table, column or index name): wraps it in double quotes and doubles any inside.</summary>
    /// <exception cref="ArgumentException">The identifier contains a NUL character or is longer than PostgreSQL's 63-byte limit.</exception>
    public override string Quote(string identifier)
    {
        if (identifier.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The PostgreSQL identifier '{identifier.Replace("\0", "\\0", StringComparison.Ordinal)}' contains a NUL character.", nameof(identifier));
        }

        if (Encoding.UTF8.GetByteCount(identifier) > MaxIdentifierBytes)
        {
            // PostgreSQL would silently truncate it, so two long names could end up naming the same table.
            throw new ArgumentException(
                $"The PostgreSQL identifier '{identifier}' is longer than {MaxIdentifierBytes} bytes; PostgreSQL would truncate it.", nameof(identifier));
        }

        return "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <inheritdoc />
    public override void AddParameter(List<DbParameter> parameters, object? value) =>
        parameters.Add(new NpgsqlParameter { Value = PostgresValues.ToParameterValue(value) });

    /// <inheritdoc />
    public override string Placeholder(int number, string sqlType) => string.Create(CultureInfo.InvariantCulture, $"${number}::{sqlType}");

    /// <inheritdoc />
    public override void AppendPlaceholder(StringBuilder sql, int number, string sqlType) =>
        sql.Append('$').Append(number).Append("::").Append(sqlType);

    /// <inheritdoc />
    /// <remarks>A primary-key index scan of the keys.</remarks>
    public override string KeyIn(string table, string keyColumn, string keyArray) => $"{keyColumn} = ANY({keyArray})";

    /// <inheritdoc />
    public override string BytesPrefix(string column, int length) => string.Create(CultureInfo.InvariantCulture, $"substring({column} from 1 for {length})");

    /// <inheritdoc />
    public override float[] ReadVector(DbDataReader reader, int ordinal) => VectorValues.ToArray(reader.GetFieldValue<Vector>(ordinal).Memory);

    /// <inheritdoc />
    public override DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);

    /// <inheritdoc />
    public override byte[] ReadBytes(DbDataReader reader, int ordinal) => reader.GetFieldValue<byte[]>(ordinal);

    /// <inheritdoc />
    public override double ReadScore(DbDataReader reader, int ordinal) => reader.GetDouble(ordinal);

    /// <inheritdoc />
    /// <remarks>Also checks pgvector's HNSW dimension limit.</remarks>
    public override void ValidateVector(VectorPropertyModel vector)
    {
        base.ValidateVector(vector);
        if (HasHnswIndex(vector) && vector.Dimensions > PostgresCollectionOptions.MaxHnswDimensions)
        {
            throw new NotSupportedException(
                $"Vector property '{vector.ModelName}' has {vector.Dimensions} dimensions; pgvector's HNSW index on vector columns " +
                $"supports at most {PostgresCollectionOptions.MaxHnswDimensions}. Use IndexKind.Flat for exact search.");
        }
    }

    /// <summary>Whether the vector property gets an HNSW index (the default) or is searched exactly (<see cref="IndexKind.Flat"/>).</summary>
    public static bool HasHnswIndex(VectorPropertyModel vector) => (vector.IndexKind ?? IndexKind.Hnsw) switch
    {
        IndexKind.Hnsw => true,
        IndexKind.Flat => false,
        var kind => throw new NotSupportedException(
            $"Index kind '{kind}' of vector property '{vector.ModelName}' is not supported by the PostgreSQL store; use Hnsw (the default) or Flat (exact search)."),
    };

    /// <summary>
    /// The pgvector distance operator for a distance function (ascending = nearer, as its index scans return rows), and
    /// the SQL that turns that distance (<c>{0}</c>) into the MEVD score.
    /// </summary>
    public static (string Operator, string ScoreFormat, bool HigherIsBetter) Distance(string distanceFunction) => distanceFunction switch
    {
        DistanceFunction.CosineDistance => ("<=>", "{0}", false),
        DistanceFunction.CosineSimilarity => ("<=>", "(1 - {0})", true),
        DistanceFunction.DotProductSimilarity => ("<#>", "(-{0})", true),
        DistanceFunction.NegativeDotProductSimilarity => ("<#>", "{0}", false),
        DistanceFunction.EuclideanDistance => ("<->", "{0}", false),
        DistanceFunction.EuclideanSquaredDistance => ("<->", "({0} * {0})", false),
        DistanceFunction.ManhattanDistance => ("<+>", "{0}", false),
        _ => throw new NotSupportedException($"Distance function '{distanceFunction}' is not supported by the PostgreSQL store."),
    };

    /// <summary>The pgvector operator class whose HNSW index serves the distance function's operator.</summary>
    public static string OperatorClass(string distanceFunction) => Distance(distanceFunction).Operator switch
    {
        "<=>" => "vector_cosine_ops",
        "<#>" => "vector_ip_ops",
        "<+>" => "vector_l1_ops",
        _ => "vector_l2_ops",
    };

    /// <summary>
    /// A stable index name for a collection's vector column: readable prefix plus a hash of the full names, so that
    /// long collection names never collide after PostgreSQL's 63-byte truncation.
    /// </summary>
    public static string IndexName(string schema, string table, string column)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(schema + "\0" + table + "\0" + column)))[..12];
        var prefix = new string((table + "_" + column).Where(c => c < 128 && (char.IsAsciiLetterOrDigit(c) || c == '_')).Take(40).ToArray());
        return prefix + "_hnsw_" + hash;
    }

    public static string CreateHnswIndex(string schema, string table, string qualifiedTable, VectorPropertyModel vector, int m, int efConstruction) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"CREATE INDEX IF NOT EXISTS {Instance.Quote(IndexName(schema, table, vector.StorageName))} ON {qualifiedTable} " +
            $"USING hnsw ({Instance.Quote(vector.StorageName)} {OperatorClass(Instance.DistanceFunctionOf(vector))}) WITH (m = {m}, ef_construction = {efConstruction})");
}
