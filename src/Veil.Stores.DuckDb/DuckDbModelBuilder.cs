using Microsoft.Extensions.VectorData.ProviderServices;
using Veil.Stores.Sql;

namespace Veil.Stores.DuckDb;

/// <summary>The record model of a DuckDB collection: the shared SQL rules with DuckDB's column types and distance functions.</summary>
internal sealed class DuckDbModelBuilder : SqlModelBuilder
{
    /// <inheritdoc />
    protected override string StoreName => "the DuckDB store";

    /// <inheritdoc />
    protected override bool IsDataColumnType(Type type) => DuckDbSql.TryGetDataColumnType(type, out _);

    /// <inheritdoc />
    protected override void ValidateVector(VectorPropertyModel vector) => _ = DuckDbSql.DistanceFunctionOf(vector);
}
