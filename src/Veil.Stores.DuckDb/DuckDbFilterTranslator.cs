using System.Collections;
using System.Globalization;
using System.Linq.Expressions;
using System.Text;
using DuckDB.NET.Data;
using Microsoft.Extensions.VectorData.ProviderServices;
using Microsoft.Extensions.VectorData.ProviderServices.Filter;

namespace Veil.Stores.DuckDb;

/// <summary>
/// Translates an MEVD filter (<c>Expression&lt;Func&lt;TRecord, bool&gt;&gt;</c>) into a parameterised SQL predicate.
/// </summary>
/// <remarks>
/// Supported: <c>==</c>, <c>!=</c>, <c>&lt;</c>, <c>&lt;=</c>, <c>&gt;</c>, <c>&gt;=</c>, <c>&amp;&amp;</c>, <c>||</c>,
/// <c>!</c>, bool properties used as predicates, constants and captured variables, and <c>Contains</c> on a constant
/// collection. The predicate keeps C# semantics for nulls: <c>==</c> and <c>!=</c> become
/// <c>IS NOT DISTINCT FROM</c> / <c>IS DISTINCT FROM</c>, and relational comparisons on nullable columns are false
/// (never unknown) when a side is null, so <c>!</c> behaves as in LINQ to objects. Every value is a parameter; column
/// names are quoted.
/// </remarks>
internal sealed class DuckDbFilterTranslator : FilterTranslatorBase
{
    private const string Supported =
        "Supported: ==, !=, <, <=, >, >=, &&, ||, !, bool properties, constants and captured variables, and Contains on a constant collection.";

    private static readonly FilterPreprocessingOptions s_preprocessing = new() { SupportsParameterization = true };

    private readonly StringBuilder _sql = new();
    private readonly List<DuckDBParameter> _parameters;

    private DuckDbFilterTranslator(List<DuckDBParameter> parameters)
    {
        _parameters = parameters;
    }

    /// <summary>Translates <paramref name="filter"/>, adding its values to <paramref name="parameters"/>.</summary>
    /// <exception cref="NotSupportedException">The filter uses an operator or method the store cannot translate.</exception>
    public static string Translate(LambdaExpression filter, CollectionModel model, List<DuckDBParameter> parameters)
    {
        var translator = new DuckDbFilterTranslator(parameters);
        filter = (LambdaExpression)new ClosedSubtreeEvaluator(filter.Parameters).Visit(filter)!;
        var body = translator.PreprocessFilter(filter, model, s_preprocessing);
        translator.TranslatePredicate(body);
        return translator._sql.ToString();
    }

    private void TranslatePredicate(Expression node)
    {
        switch (node)
        {
            case BinaryExpression { NodeType: ExpressionType.AndAlso or ExpressionType.OrElse } logical:
                _sql.Append('(');
                TranslatePredicate(logical.Left);
                _sql.Append(logical.NodeType == ExpressionType.AndAlso ? " AND " : " OR ");
                TranslatePredicate(logical.Right);
                _sql.Append(')');
                return;

            case BinaryExpression
            {
                NodeType: ExpressionType.Equal or ExpressionType.NotEqual or ExpressionType.LessThan
                or ExpressionType.LessThanOrEqual or ExpressionType.GreaterThan or ExpressionType.GreaterThanOrEqual
            } comparison:
                TranslateComparison(comparison);
                return;

            case UnaryExpression { NodeType: ExpressionType.Not } not:
                _sql.Append("(NOT ");
                TranslatePredicate(not.Operand);
                _sql.Append(')');
                return;

            case UnaryExpression { NodeType: ExpressionType.Convert } convert when convert.Type == typeof(bool):
                TranslatePredicate(convert.Operand);
                return;

            case ConstantExpression { Value: bool constant }:
                _sql.Append(constant ? "TRUE" : "FALSE");
                return;

            case QueryParameterExpression { Value: bool parameter }:
                _sql.Append(parameter ? "TRUE" : "FALSE");
                return;

            case MethodCallExpression call when TryMatchContains(call, out var source, out var item):
                TranslateContains(source, item);
                return;

            default:
                if (node.Type == typeof(bool) && TryBindColumn(node, out var property))
                {
                    _sql.Append(DuckDbSql.Quote(property.StorageName));
                    return;
                }

                throw Unsupported(node);
        }
    }

    private void TranslateComparison(BinaryExpression comparison)
    {
        var left = Unwrap(comparison.Left);
        var right = Unwrap(comparison.Right);
        TryBindColumn(left, out var leftProperty);
        TryBindColumn(right, out var rightProperty);
        var property = leftProperty ?? rightProperty
            ?? throw new NotSupportedException(
                $"The filter comparison '{comparison}' does not involve a key or data property of the record. {Supported}");

        var sqlOperator = comparison.NodeType switch
        {
            ExpressionType.Equal => " IS NOT DISTINCT FROM ",
            ExpressionType.NotEqual => " IS DISTINCT FROM ",
            ExpressionType.LessThan => " < ",
            ExpressionType.LessThanOrEqual => " <= ",
            ExpressionType.GreaterThan => " > ",
            _ => " >= ",
        };

        // Relational operators on NULL yield UNKNOWN in SQL but false in C#; COALESCE keeps NOT(...) faithful.
        var relational = comparison.NodeType is not (ExpressionType.Equal or ExpressionType.NotEqual);
        var nullable = (leftProperty?.IsNullable ?? false) || (rightProperty?.IsNullable ?? false) || IsNullValue(left) || IsNullValue(right);
        if (relational && nullable)
        {
            _sql.Append("COALESCE(");
        }

        _sql.Append('(');
        TranslateOperand(left, property);
        _sql.Append(sqlOperator);
        TranslateOperand(right, property);
        _sql.Append(')');
        if (relational && nullable)
        {
            _sql.Append(", FALSE)");
        }
    }

    private void TranslateOperand(Expression operand, PropertyModel comparedProperty)
    {
        if (TryBindColumn(operand, out var property))
        {
            _sql.Append(DuckDbSql.Quote(property.StorageName));
            return;
        }

        switch (operand)
        {
            case ConstantExpression constant:
                AppendParameter(constant.Value, comparedProperty);
                return;
            case QueryParameterExpression parameter:
                AppendParameter(parameter.Value, comparedProperty);
                return;
            default:
                throw Unsupported(operand);
        }
    }

    private void TranslateContains(Expression source, Expression item)
    {
        if (!TryBindColumn(Unwrap(item), out var property))
        {
            throw new NotSupportedException(
                $"Contains in a filter must test a key or data property against a constant collection (for example " +
                $"'values.Contains(r.Category)'); '{item}' is not a property. {Supported}");
        }

        var values = source switch
        {
            ConstantExpression constant => constant.Value,
            QueryParameterExpression parameter => parameter.Value,
            _ => throw new NotSupportedException(
                $"Contains in a filter needs a constant or captured collection; '{source}' is neither. {Supported}"),
        };
        if (values is not IEnumerable enumerable || values is string)
        {
            throw new NotSupportedException($"Contains in a filter needs a collection of values, not '{source}'. {Supported}");
        }

        var any = false;
        foreach (var value in enumerable)
        {
            _sql.Append(any ? ", " : "(" + DuckDbSql.Quote(property.StorageName) + " IN (");
            any = true;
            AppendParameter(value, property);
        }

        _sql.Append(any ? "))" : "FALSE");
    }

    private void AppendParameter(object? value, PropertyModel comparedProperty)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"f{_parameters.Count}");
        _parameters.Add(new DuckDBParameter(name, value));
        _sql.Append('$').Append(name).Append("::").Append(DuckDbSql.ColumnType(comparedProperty));
    }

    private bool TryBindColumn(Expression expression, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PropertyModel? property)
    {
        if (TryBindProperty(Unwrap(expression), out var bound) && bound is not null)
        {
            if (bound is VectorPropertyModel)
            {
                throw new NotSupportedException($"Vector property '{bound.ModelName}' cannot be used in a filter.");
            }

            property = bound;
            return true;
        }

        property = null;
        return false;
    }

    private static Expression Unwrap(Expression expression)
    {
        while (expression is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked } convert)
        {
            expression = convert.Operand;
        }

        return expression;
    }

    private static bool IsNullValue(Expression expression) =>
        expression is ConstantExpression { Value: null } or QueryParameterExpression { Value: null };

    private static NotSupportedException Unsupported(Expression node) =>
        new($"The DuckDB store cannot translate the filter expression '{node}' (node type {node.NodeType}). {Supported}");

    /// <summary>
    /// Replaces every largest subtree that does not touch the record (for example <c>items[0].Key</c> or
    /// <c>DateTime.UtcNow.AddDays(-1)</c>) with its value, so that it becomes a query parameter.
    /// </summary>
    private sealed class ClosedSubtreeEvaluator(IReadOnlyCollection<ParameterExpression> recordParameters) : ExpressionVisitor
    {
        public override Expression? Visit(Expression? node)
        {
            // Span conversions (C# 14 binds array.Contains(x) to MemoryExtensions) cannot be boxed; Contains handles them.
            if (node is null or ConstantExpression or ParameterExpression or LambdaExpression
                || node.Type == typeof(void) || node.Type.IsByRefLike || References(node))
            {
                return base.Visit(node);
            }

            var box = Expression.Lambda<Func<object?>>(Expression.Convert(node, typeof(object)));
            return Expression.Constant(box.Compile(preferInterpretation: true)(), node.Type);
        }

        private bool References(Expression node)
        {
            var finder = new ParameterFinder(recordParameters);
            finder.Visit(node);
            return finder.Found;
        }
    }

    private sealed class ParameterFinder(IReadOnlyCollection<ParameterExpression> parameters) : ExpressionVisitor
    {
        public bool Found { get; private set; }

        protected override Expression VisitParameter(ParameterExpression node)
        {
            Found |= parameters.Contains(node);
            return node;
        }
    }
}
