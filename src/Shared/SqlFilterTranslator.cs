using System.Collections;
using System.Data.Common;
using System.Linq.Expressions;
using System.Text;
using Microsoft.Extensions.VectorData.ProviderServices;
using Microsoft.Extensions.VectorData.ProviderServices.Filter;

namespace Veil.Stores.Sql;

/// <summary>
/// Translates an MEVD filter (<c>Expression&lt;Func&lt;TRecord, bool&gt;&gt;</c>) into a parameterised SQL predicate.
/// Shared (as linked source) by the SQL stores; the store's <see cref="SqlDialect"/> supplies identifier quoting and parameter syntax.
/// </summary>
/// <remarks>
/// Supported: <c>==</c>, <c>!=</c>, <c>&lt;</c>, <c>&lt;=</c>, <c>&gt;</c>, <c>&gt;=</c>, <c>&amp;&amp;</c>, <c>||</c>,
/// <c>!</c>, bool properties used as predicates, constants and captured variables, <c>Contains</c> on a constant
/// collection, <c>string.StartsWith(prefix)</c> (optionally with <c>StringComparison.Ordinal</c>) on a string property:
/// an ordinal prefix match, false on null, and <c>r.Bytes.Take(n).SequenceEqual(prefix)</c> on a byte[] property with a
/// constant prefix of n bytes: a binary prefix match, false on null. The predicate keeps C# semantics for nulls: <c>==</c> and <c>!=</c> become
/// <c>IS NOT DISTINCT FROM</c> / <c>IS DISTINCT FROM</c>, and relational comparisons on nullable columns are false
/// (never unknown) when a side is null, so <c>!</c> behaves as in LINQ to objects. Every value is a parameter; column
/// names are quoted.
/// </remarks>
internal sealed class SqlFilterTranslator : FilterTranslatorBase
{
    private const string Supported =
        "Supported: ==, !=, <, <=, >, >=, &&, ||, !, bool properties, constants and captured variables, Contains on a constant collection, StartsWith on a string property, and Take(n).SequenceEqual(prefix) on a byte[] property.";

    private static readonly FilterPreprocessingOptions s_preprocessing = new() { SupportsParameterization = true };

    private readonly StringBuilder _sql = new();
    private readonly SqlDialect _dialect;
    private readonly List<DbParameter> _parameters;

    private SqlFilterTranslator(SqlDialect dialect, List<DbParameter> parameters)
    {
        _dialect = dialect;
        _parameters = parameters;
    }

    /// <summary>Translates <paramref name="filter"/> into a SQL predicate, adding its values to <paramref name="parameters"/>.</summary>
    /// <exception cref="NotSupportedException">The filter uses an operator or method the store cannot translate.</exception>
    public static string Translate(LambdaExpression filter, CollectionModel model, SqlDialect dialect, List<DbParameter> parameters)
    {
        var translator = new SqlFilterTranslator(dialect, parameters);
        filter = (LambdaExpression)new ClosedSubtreeEvaluator().Visit(filter)!;
        var body = translator.PreprocessFilter(filter, model, s_preprocessing);
        translator.TranslatePredicate(body);
        return translator._sql.ToString();
    }

    private string Quote(string identifier) => _dialect.Quote(identifier);

    /// <summary>Records <paramref name="value"/> as a query parameter and appends its placeholder, typed as <paramref name="comparedProperty"/>'s column.</summary>
    private void AppendParameter(object? value, PropertyModel comparedProperty)
    {
        _dialect.AddParameter(_parameters, value);
        _dialect.AppendPlaceholder(_sql, _parameters.Count, _dialect.ColumnType(comparedProperty));
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

            case BinaryExpression comparison when IsComparison(comparison.NodeType):
                TranslateComparison(comparison);
                return;

            case UnaryExpression { NodeType: ExpressionType.Not } not:
                _sql.Append("(NOT ");
                TranslatePredicate(not.Operand);
                _sql.Append(')');
                return;

            case UnaryExpression { NodeType: ExpressionType.Convert } convert when convert.Type == typeof(bool):
                if (TryBindColumn(convert.Operand, out var flag))
                {
                    // A bare bool property read through a conversion, as a dynamic record's (bool)r["Flag"].
                    _sql.Append(Quote(flag.StorageName));
                    return;
                }

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

            case MethodCallExpression { Method.Name: nameof(string.StartsWith), Object: { } target } call
                when call.Method.DeclaringType == typeof(string) && IsOrdinalPrefixTest(call, out var prefix):
                TranslateStartsWith(target, prefix);
                return;

            case MethodCallExpression { Method.Name: nameof(Enumerable.SequenceEqual), Arguments: [MethodCallExpression { Method.Name: nameof(Enumerable.Take), Arguments: [var bytes, var count] }, var expected] } call
                when call.Method.DeclaringType == typeof(Enumerable) && call.Arguments[0] is MethodCallExpression take && take.Method.DeclaringType == typeof(Enumerable):
                TranslateBytesPrefix(bytes, count, expected);
                return;

            default:
                if (node.Type == typeof(bool) && TryBindColumn(node, out var property))
                {
                    _sql.Append(Quote(property.StorageName));
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
            _sql.Append(Quote(property.StorageName));
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
            _sql.Append(any ? ", " : "(" + Quote(property.StorageName) + " IN (");
            any = true;
            AppendParameter(value, property);
        }

        _sql.Append(any ? "))" : "FALSE");
    }

    private void TranslateStartsWith(Expression target, Expression prefix)
    {
        if (!TryBindColumn(target, out var property))
        {
            throw new NotSupportedException($"StartsWith in a filter must test a string property ('r.Name.StartsWith(prefix)'); '{target}' is not one. {Supported}");
        }

        // starts_with is an ordinal comparison in both DuckDB and PostgreSQL; a null column gives false, as in C# with a null check.
        _sql.Append("COALESCE(starts_with(").Append(Quote(property.StorageName)).Append(", ");
        TranslateOperand(prefix, property);
        _sql.Append("), FALSE)");
    }

    private void TranslateBytesPrefix(Expression bytes, Expression count, Expression expected)
    {
        if (!TryBindColumn(bytes, out var property) || (Nullable.GetUnderlyingType(property.Type) ?? property.Type) != typeof(byte[]))
        {
            throw new NotSupportedException($"Take(n).SequenceEqual(prefix) in a filter must test a byte[] property ('r.Bytes.Take(6).SequenceEqual(prefix)'); '{bytes}' is not one. {Supported}");
        }

        var length = ValueOf(count) as int?;
        var prefix = ValueOf(expected) as byte[];
        if (length is not { } n || prefix is null || prefix.Length != n || n < 1)
        {
            throw new NotSupportedException($"Take(n).SequenceEqual(prefix) in a filter needs a constant n ≥ 1 and a constant byte[] prefix of n bytes. {Supported}");
        }

        // A null column gives false, as in C# with a null check.
        _sql.Append("COALESCE((").Append(_dialect.BytesPrefix(Quote(property.StorageName), n)).Append(" = ");
        AppendParameter(prefix, property);
        _sql.Append("), FALSE)");
    }

    private static object? ValueOf(Expression expression) => Unwrap(expression) switch
    {
        ConstantExpression constant => constant.Value,
        QueryParameterExpression parameter => parameter.Value,
        _ => null,
    };

    /// <summary><c>s.StartsWith(prefix)</c> or <c>s.StartsWith(prefix, StringComparison.Ordinal)</c>.</summary>
    private static bool IsOrdinalPrefixTest(MethodCallExpression call, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Expression? prefix)
    {
        prefix = call.Arguments.Count is 1 or 2 && call.Arguments[0].Type == typeof(string) ? call.Arguments[0] : null;
        return prefix is not null && (call.Arguments.Count == 1
            || call.Arguments[1] is ConstantExpression { Value: StringComparison.Ordinal } or QueryParameterExpression { Value: StringComparison.Ordinal });
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

    private static bool IsComparison(ExpressionType nodeType) => nodeType is ExpressionType.Equal or ExpressionType.NotEqual
        or ExpressionType.LessThan or ExpressionType.LessThanOrEqual or ExpressionType.GreaterThan or ExpressionType.GreaterThanOrEqual;

    private static bool IsNullValue(Expression expression) =>
        expression is ConstantExpression { Value: null } or QueryParameterExpression { Value: null };

    private NotSupportedException Unsupported(Expression node) =>
        new($"The {_dialect.Name} store cannot translate the filter expression '{node}' (node type {node.NodeType}). {Supported}");

    /// <summary>
    /// Replaces every largest subtree that does not touch the record (for example <c>items[0].Key</c> or
    /// <c>DateTime.UtcNow.AddDays(-1)</c>) with its value, so that it becomes a query parameter.
    /// </summary>
    private sealed class ClosedSubtreeEvaluator : ExpressionVisitor
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

        private static bool References(Expression node)
        {
            var finder = new ParameterFinder();
            finder.Visit(node);
            return finder.Found;
        }
    }

    /// <summary>Finds a free parameter: a record parameter, or one of a lambda outside the visited subtree (<c>s</c> in <c>r.Tags.Any(s => s == x)</c>).</summary>
    private sealed class ParameterFinder : ExpressionVisitor
    {
        private readonly HashSet<ParameterExpression> _bound = [];

        public bool Found { get; private set; }

        protected override Expression VisitLambda<T>(Expression<T> node)
        {
            _bound.UnionWith(node.Parameters);
            return base.VisitLambda(node);
        }

        protected override Expression VisitParameter(ParameterExpression node)
        {
            Found |= !_bound.Contains(node);
            return node;
        }
    }
}
