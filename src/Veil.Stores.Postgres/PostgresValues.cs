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

    /// <summary>
    /// A property value of record <paramref name="index"/> of a batch as a parameter value; vectors are checked and
    /// wrapped, not copied (a vector that is a window of a larger array is written as that window).
    /// </summary>
    public static object ToStorable(PropertyModel property, object? value, int index) =>
        property is VectorPropertyModel vector && value is not null
            ? new Vector(VectorValues.ToStoredMemory(vector, value, index))
            : ToParameterValue(value);
}
