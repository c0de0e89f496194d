using System.Text;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace Veil.Stores.Sql;

/// <summary>
/// A SQL store's column types for the data types every Veil SQL store supports (<see cref="SqlModelBuilder.SupportedDataTypes"/>)
/// and for vectors. Shared (as linked source) by the SQL stores; each store supplies its own type names.
/// </summary>
internal sealed class SqlColumnTypes
{
    private readonly string _storeName;
    private readonly Func<int, string> _vectorType;
    private readonly Dictionary<Type, string> _dataTypes;

    /// <param name="storeName">The store's name in error messages ("the DuckDB store").</param>
    /// <param name="vectorType">The column type of a vector of the given dimensions.</param>
    /// <param name="text">… of string.</param>
    /// <param name="int32">… of int.</param>
    /// <param name="int64">… of long.</param>
    /// <param name="float32">… of float.</param>
    /// <param name="float64">… of double.</param>
    /// <param name="boolean">… of bool.</param>
    /// <param name="bytes">… of byte[].</param>
    /// <param name="timestamp">… of DateTimeOffset.</param>
    /// <param name="guid">… of Guid.</param>
    public SqlColumnTypes(
        string storeName, Func<int, string> vectorType, string text, string int32, string int64, string float32, string float64, string boolean, string bytes, string timestamp, string guid)
    {
        _storeName = storeName;
        _vectorType = vectorType;
        _dataTypes = new Dictionary<Type, string>
        {
            [typeof(string)] = text,
            [typeof(int)] = int32,
            [typeof(long)] = int64,
            [typeof(float)] = float32,
            [typeof(double)] = float64,
            [typeof(bool)] = boolean,
            [typeof(byte[])] = bytes,
            [typeof(DateTimeOffset)] = timestamp,
            [typeof(Guid)] = guid,
        };
    }

    /// <summary>The column type of a data property of <paramref name="type"/> (or its nullable form), if the store has one.</summary>
    public bool TryGetDataColumnType(Type type, out string sqlType) =>
        _dataTypes.TryGetValue(Nullable.GetUnderlyingType(type) ?? type, out sqlType!);

    /// <summary>The column type of a key, data or vector property.</summary>
    /// <exception cref="NotSupportedException">The property's type has no column type in this store.</exception>
    public string ColumnType(PropertyModel property)
    {
        if (property is VectorPropertyModel vector)
        {
            return VectorType(vector.Dimensions);
        }

        return TryGetDataColumnType(property.Type, out string? sqlType)
            ? sqlType
            : throw new NotSupportedException(
                $"Property '{property.ModelName}' has type {property.Type.Name}; {_storeName} supports {SqlModelBuilder.SupportedDataTypes}.");
    }

    /// <summary>The column type of a vector of <paramref name="dimensions"/>.</summary>
    public string VectorType(int dimensions) => _vectorType(dimensions);

    /// <summary>
    /// <c>CREATE TABLE IF NOT EXISTS</c> <paramref name="table"/> with a column per property of <paramref name="model"/>
    /// (named by <paramref name="quote"/>), the key property as the primary key.
    /// </summary>
    public string CreateTable(string table, CollectionModel model, Func<string, string> quote)
    {
        var sql = new StringBuilder("CREATE TABLE IF NOT EXISTS ").Append(table).Append(" (");
        sql.AppendJoin(", ", model.Properties.Select(property =>
            quote(property.StorageName) + " " + ColumnType(property) + (property is KeyPropertyModel ? " PRIMARY KEY" : string.Empty)));
        return sql.Append(')').ToString();
    }
}
