using System.Globalization;
using System.Text;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace Veil.Stores.DuckDb;

/// <summary>SQL text helpers: identifier quoting, column types and distance expressions.</summary>
internal static class DuckDbSql
{
    /// <summary>The distance function used when a vector property does not name one.</summary>
    public const string DefaultDistanceFunction = DistanceFunction.CosineDistance;

    private static readonly Sql.SqlColumnTypes s_columnTypes = new(
        "the DuckDB store", dimensions => string.Create(CultureInfo.InvariantCulture, $"FLOAT[{dimensions}]"), "VARCHAR", "INTEGER", "BIGINT", "FLOAT", "DOUBLE", "BOOLEAN", "BLOB", "TIMESTAMPTZ", "UUID");

    /// <summary>Quotes an identifier (collection or column name) for DuckDB: wraps it in double quotes and doubles any inside.</summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static bool TryGetDataColumnType(Type type, out string sqlType) => s_columnTypes.TryGetDataColumnType(type, out sqlType);

    /// <summary>The column type of a key, data or vector property.</summary>
    public static string ColumnType(PropertyModel property) => s_columnTypes.ColumnType(property);

    public static string VectorType(int dimensions) => s_columnTypes.VectorType(dimensions);

    public static string DistanceFunctionOf(VectorPropertyModel vector)
    {
        var function = vector.DistanceFunction ?? DefaultDistanceFunction;
        return function switch
        {
            DistanceFunction.CosineDistance or DistanceFunction.CosineSimilarity or DistanceFunction.DotProductSimilarity
                or DistanceFunction.NegativeDotProductSimilarity or DistanceFunction.EuclideanDistance
                or DistanceFunction.EuclideanSquaredDistance => function,
            _ => throw new NotSupportedException(
                $"Distance function '{function}' of vector property '{vector.ModelName}' is not supported by the DuckDB store; " +
                "use CosineDistance, CosineSimilarity, DotProductSimilarity, NegativeDotProductSimilarity, EuclideanDistance or EuclideanSquaredDistance."),
        };
    }

    /// <summary>
    /// The SQL expression that computes the MEVD score of <paramref name="column"/> against the query parameter, and
    /// whether higher scores are better (similarities) or lower (distances).
    /// </summary>
    public static (string Expression, bool HigherIsBetter) Score(string distanceFunction, string column, string query) => distanceFunction switch
    {
        DistanceFunction.CosineDistance => ($"array_cosine_distance({column}, {query})", false),
        DistanceFunction.CosineSimilarity => ($"array_cosine_similarity({column}, {query})", true),
        DistanceFunction.DotProductSimilarity => ($"array_inner_product({column}, {query})", true),
        DistanceFunction.NegativeDotProductSimilarity => ($"array_negative_inner_product({column}, {query})", false),
        DistanceFunction.EuclideanDistance => ($"array_distance({column}, {query})", false),
        DistanceFunction.EuclideanSquaredDistance => ($"power(array_distance({column}, {query}), 2)", false),
        _ => throw new NotSupportedException($"Distance function '{distanceFunction}' is not supported by the DuckDB store."),
    };

    public static string CreateTable(string table, CollectionModel model) => s_columnTypes.CreateTable(table, model, Quote);
}
