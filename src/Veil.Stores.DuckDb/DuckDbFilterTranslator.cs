using System.Globalization;
using System.Linq.Expressions;
using System.Text;
using DuckDB.NET.Data;
using Microsoft.Extensions.VectorData.ProviderServices;
using Veil.Stores.Sql;

namespace Veil.Stores.DuckDb;

/// <summary>
/// Translates an MEVD filter into a DuckDB predicate: the shared <see cref="SqlFilterTranslator"/> with DuckDB's
/// named, cast parameters (<c>$f0::INTEGER</c>).
/// </summary>
internal sealed class DuckDbFilterTranslator : SqlFilterTranslator
{
    private readonly List<DuckDBParameter> _parameters;

    private DuckDbFilterTranslator(List<DuckDBParameter> parameters)
    {
        _parameters = parameters;
    }

    /// <inheritdoc />
    protected override string StoreName => "DuckDB";

    /// <summary>Translates <paramref name="filter"/>, adding its values to <paramref name="parameters"/>.</summary>
    /// <exception cref="NotSupportedException">The filter uses an operator or method the store cannot translate.</exception>
    public static string Translate(LambdaExpression filter, CollectionModel model, List<DuckDBParameter> parameters) =>
        new DuckDbFilterTranslator(parameters).TranslateFilter(filter, model);

    /// <inheritdoc />
    protected override string Quote(string identifier) => DuckDbSql.Quote(identifier);

    /// <inheritdoc />
    protected override void AppendParameter(StringBuilder sql, object? value, PropertyModel comparedProperty)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"f{_parameters.Count}");
        _parameters.Add(new DuckDBParameter(name, value));
        sql.Append('$').Append(name).Append("::").Append(DuckDbSql.ColumnType(comparedProperty));
    }
}
