using System.Data.Common;
using Microsoft.Extensions.VectorData.ProviderServices;
using Pgvector;
using Veil.Stores.Sql;

namespace Veil.Stores.Postgres;

/// <summary>Conversions between record property values and Npgsql parameter / reader values.</summary>
internal static class PostgresValues
{
    /// <summary>
    /// A data or key value as an Npgsql parameter value: null becomes <see cref="DBNull"/>, and a
    /// <see cref="DateTimeOffset"/> is moved to UTC (Npgsql writes <c>timestamptz</c> only from offset zero; the instant is unchanged).
    /// </summary>
    public static object ToParameterValue(object? value) => value switch
    {
        null => DBNull.Value,
        DateTimeOffset time => time.ToUniversalTime(),
        _ => value,
    };

    /// <summary>A property value of record <paramref name="index"/> of a batch as a parameter value; vectors are checked and wrapped.</summary>
    public static object ToStorable(PropertyModel property, object? value, int index) =>
        property is VectorPropertyModel vector && value is not null
            ? new Vector(VectorValues.ToStoredFloats(vector, value, index))
            : ToParameterValue(value);

    /// <summary>Reads a non-null column as the property's type.</summary>
    public static object Read(DbDataReader reader, int ordinal, PropertyModel property)
    {
        var type = Nullable.GetUnderlyingType(property.Type) ?? property.Type;
        if (property is VectorPropertyModel)
        {
            return VectorValues.FromFloats(type, VectorValues.ToArray(reader.GetFieldValue<Vector>(ordinal).Memory));
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
            _ when type == typeof(DateTimeOffset) => reader.GetFieldValue<DateTimeOffset>(ordinal),
            _ => reader.GetFieldValue<byte[]>(ordinal),
        };
    }
}
