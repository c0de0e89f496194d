using Microsoft.Extensions.VectorData.ProviderServices;
using Pgvector;
using Veil.Stores.Sql;

namespace Veil.Stores.Postgres;

/// <summary>Conversions from record property values to Npgsql parameter values.</summary>
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

    /// <summary>
    /// Storable values (<see cref="ToStorable"/>: <see cref="DBNull"/> for null) as one array of their own type, for an
    /// array parameter: nulls in an array of a value type make it an array of <see cref="Nullable{T}"/>; all nulls, an
    /// array of strings (the SQL casts it to the column's type).
    /// </summary>
    public static Array ToArray(object[] values)
    {
        var type = values.FirstOrDefault(v => v is not DBNull)?.GetType() ?? typeof(string);
        if (type.IsValueType && values.Any(v => v is DBNull))
        {
            type = typeof(Nullable<>).MakeGenericType(type);
        }

        var array = Array.CreateInstance(type, values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is not DBNull)
            {
                array.SetValue(values[i], i);
            }
        }

        return array;
    }
}
