using System.Globalization;
using System.Linq.Expressions;
using System.Text;
using Microsoft.Extensions.VectorData.ProviderServices;
using Npgsql;
using Veil.Stores.Sql;

namespace Veil.Stores.Postgres;

/// <summary>
/// Translates an MEVD filter into a PostgreSQL predicate: the shared <see cref="SqlFilterTranslator"/> with positional,
/// cast parameters (<c>$3::integer</c>).
/// </summary>
internal sealed class PostgresFilterTranslator : SqlFilterTranslator
{
    private readonly List<NpgsqlParameter> _parameters;

    private PostgresFilterTranslator(List<NpgsqlParameter> parameters)
    {
        _parameters = parameters;
    }

    /// <inheritdoc />
    protected override string StoreName => "PostgreSQL";

    /// <summary>Translates <paramref name="filter"/>, appending its values to <paramref name="parameters"/> (placeholders are positional).</summary>
    /// <exception cref="NotSupportedException">The filter uses an operator or method the store cannot translate.</exception>
    public static string Translate(LambdaExpression filter, CollectionModel model, List<NpgsqlParameter> parameters) =>
        new PostgresFilterTranslator(parameters).TranslateFilter(filter, model);

    /// <inheritdoc />
    protected override string Quote(string identifier) => PostgresSql.Quote(identifier);

    /// <inheritdoc />
    protected override void AppendParameter(StringBuilder sql, object? value, PropertyModel comparedProperty)
    {
        _parameters.Add(new NpgsqlParameter { Value = PostgresValues.ToParameterValue(value) });
        sql.Append(CultureInfo.InvariantCulture, $"${_parameters.Count}::").Append(PostgresSql.ColumnType(comparedProperty));
    }
}
