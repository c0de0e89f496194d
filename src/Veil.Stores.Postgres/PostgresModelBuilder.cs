using Microsoft.Extensions.VectorData.ProviderServices;
using Veil.Stores.Sql;

namespace Veil.Stores.Postgres;

/// <summary>
/// The record model of a PostgreSQL collection: the shared SQL rules with pgvector's column types, distance functions
/// and the HNSW index's dimension limit.
/// </summary>
internal sealed class PostgresModelBuilder : SqlModelBuilder
{
    /// <inheritdoc />
    protected override string StoreName => "the PostgreSQL store";

    /// <inheritdoc />
    protected override bool IsDataColumnType(Type type) => PostgresSql.TryGetDataColumnType(type, out _);

    /// <inheritdoc />
    protected override void ValidateVector(VectorPropertyModel vector)
    {
        _ = PostgresSql.DistanceFunctionOf(vector);
        if (PostgresSql.HasHnswIndex(vector) && vector.Dimensions > PostgresCollectionOptions.MaxHnswDimensions)
        {
            throw new NotSupportedException(
                $"Vector property '{vector.ModelName}' has {vector.Dimensions} dimensions; pgvector's HNSW index on vector columns " +
                $"supports at most {PostgresCollectionOptions.MaxHnswDimensions}. Use IndexKind.Flat for exact search.");
        }
    }
}
