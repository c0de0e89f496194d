using System.Data.Common;
using System.Text;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace Veil.Stores.Sql;

/// <summary>
/// What one database needs from the shared SQL store code: identifier quoting, column types, parameter placeholders,
/// the distance functions it serves, and how its ADO.NET reader returns vectors, timestamps and bytes. Shared (as
/// linked source) by the SQL stores; each store has one instance.
/// </summary>
internal abstract class SqlDialect
{
    private readonly SqlColumnTypes _columnTypes;
    private readonly string[] _distanceFunctions;

    /// <param name="systemName">The MEVD <see cref="Microsoft.Extensions.VectorData.VectorStoreMetadata.VectorStoreSystemName"/> ("duckdb").</param>
    /// <param name="name">The database's name in messages ("DuckDB").</param>
    /// <param name="columnTypes">The column types of the supported data types and of vectors.</param>
    /// <param name="distanceFunctions">The MEVD distance functions the store can search with, in the order messages list them.</param>
    protected SqlDialect(string systemName, string name, SqlColumnTypes columnTypes, params string[] distanceFunctions)
    {
        SystemName = systemName;
        Name = name;
        StoreName = "the " + name + " store";
        _columnTypes = columnTypes;
        _distanceFunctions = distanceFunctions;
    }

    /// <summary>Gets the MEVD system name ("duckdb").</summary>
    public string SystemName { get; }

    /// <summary>Gets the database's name in messages ("DuckDB").</summary>
    public string Name { get; }

    /// <summary>Gets the store's name in messages ("the DuckDB store").</summary>
    public string StoreName { get; }

    /// <summary>Quotes an identifier (collection or column name).</summary>
    public abstract string Quote(string identifier);

    /// <summary>Adds <paramref name="value"/> to <paramref name="parameters"/> as the next parameter.</summary>
    public abstract void AddParameter(List<DbParameter> parameters, object? value);

    /// <summary>
    /// The placeholder of parameter <paramref name="number"/> (from 1, in the order added), cast to
    /// <paramref name="sqlType"/>: <c>$p1::INTEGER</c> in DuckDB, <c>$1::integer</c> in PostgreSQL.
    /// </summary>
    public abstract string Placeholder(int number, string sqlType);

    /// <summary>Appends <see cref="Placeholder"/> to <paramref name="sql"/> without making a string of it.</summary>
    public abstract void AppendPlaceholder(StringBuilder sql, int number, string sqlType);

    /// <summary>Adds <paramref name="value"/> to <paramref name="parameters"/> and returns its placeholder, cast to <paramref name="sqlType"/>.</summary>
    public string Parameter(List<DbParameter> parameters, object? value, string sqlType)
    {
        AddParameter(parameters, value);
        return Placeholder(parameters.Count, sqlType);
    }

    /// <summary>The predicate "the row's <paramref name="keyColumn"/> is one of the keys in the array parameter <paramref name="keyArray"/>", on rows of <paramref name="table"/>.</summary>
    public abstract string KeyIn(string table, string keyColumn, string keyArray);

    /// <summary>The SQL expression of the first <paramref name="length"/> bytes of the binary column <paramref name="column"/>.</summary>
    public abstract string BytesPrefix(string column, int length);

    /// <summary>Reads a non-null vector column.</summary>
    public abstract float[] ReadVector(DbDataReader reader, int ordinal);

    /// <summary>Reads a non-null timestamp column as the same instant in UTC.</summary>
    public abstract DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal);

    /// <summary>Reads a non-null binary column.</summary>
    public abstract byte[] ReadBytes(DbDataReader reader, int ordinal);

    /// <summary>Reads a non-null score column.</summary>
    public abstract double ReadScore(DbDataReader reader, int ordinal);

    /// <summary>Executes a query (DuckDB, whose client is synchronous, without a task).</summary>
    public virtual ValueTask<DbDataReader> ExecuteReaderAsync(DbCommand command, CancellationToken cancellationToken) =>
        new(command.ExecuteReaderAsync(cancellationToken));

    /// <summary>Executes a statement (DuckDB, whose client is synchronous, without a task).</summary>
    public virtual ValueTask<int> ExecuteNonQueryAsync(DbCommand command, CancellationToken cancellationToken) =>
        new(command.ExecuteNonQueryAsync(cancellationToken));

    /// <summary>Store-specific checks of a vector property beyond its distance function (index limits); run when the model is built.</summary>
    public virtual void ValidateVector(VectorPropertyModel vector) => _ = DistanceFunctionOf(vector);

    /// <summary>The column type of a data property of <paramref name="type"/> (or its nullable form), if the store has one.</summary>
    public bool TryGetDataColumnType(Type type, out string sqlType) => _columnTypes.TryGetDataColumnType(type, out sqlType);

    /// <summary>The column type of a key, data or vector property.</summary>
    /// <exception cref="NotSupportedException">The property's type has no column type in this store.</exception>
    public string ColumnType(PropertyModel property) => _columnTypes.ColumnType(property);

    /// <summary>The column type of a vector of <paramref name="dimensions"/>.</summary>
    public string VectorType(int dimensions) => _columnTypes.VectorType(dimensions);

    /// <summary><c>CREATE TABLE IF NOT EXISTS</c> with a column per property, the key as the primary key.</summary>
    public string CreateTable(string table, CollectionModel model) => _columnTypes.CreateTable(table, model, Quote);

    /// <summary>The vector property's distance function (cosine distance when it names none).</summary>
    /// <exception cref="NotSupportedException">The store cannot search with the property's distance function.</exception>
    public string DistanceFunctionOf(VectorPropertyModel vector)
    {
        var function = vector.DistanceFunction ?? Microsoft.Extensions.VectorData.DistanceFunction.CosineDistance;
        if (Array.IndexOf(_distanceFunctions, function) >= 0)
        {
            return function;
        }

        var supported = string.Join(", ", _distanceFunctions[..^1]) + " or " + _distanceFunctions[^1];
        throw new NotSupportedException(
            $"Distance function '{function}' of vector property '{vector.ModelName}' is not supported by {StoreName}; use {supported}.");
    }

    /// <summary>Reads a non-null column as the property's type.</summary>
    public object ReadValue(DbDataReader reader, int ordinal, PropertyModel property)
    {
        var type = Nullable.GetUnderlyingType(property.Type) ?? property.Type;
        if (property is VectorPropertyModel)
        {
            return VectorValues.FromFloats(type, ReadVector(reader, ordinal));
        }

        return type switch
        {
            _ when type == typeof(string) => reader.GetString(ordinal),
            _ when type == typeof(int) => reader.GetInt32(ordinal),
            _ when type == typeof(long) => reader.GetInt64(ordinal),
            _ when type == typeof(float) => reader.GetFloat(ordinal),
            _ when type == typeof(double) => reader.GetDouble(ordinal),
            _ when type == typeof(bool) => reader.GetBoolean(ordinal),
            _ when type == typeof(Guid) => reader.GetGuid(ordinal),
            _ when type == typeof(DateTimeOffset) => ReadTimestamp(reader, ordinal),
            _ => ReadBytes(reader, ordinal),
        };
    }
}
