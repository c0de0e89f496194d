using System.Linq.Expressions;
using System.Reflection;

namespace Veil.Extensions.VectorData;

/// <summary>
/// Rewrites a filter so that comparisons on deterministically encrypted properties compare with ciphertexts: every
/// plaintext value becomes its encryption under each live secret (<c>p == v</c> → <c>p == c1 || p == c2</c>,
/// <c>p != v</c> → <c>p != c1 &amp;&amp; p != c2</c>, <c>values.Contains(p)</c> → <c>ciphertexts.Contains(p)</c>).
/// Any other use of an encrypted property throws <see cref="NotSupportedException"/>.
/// </summary>
/// <remarks>
/// <c>!=</c> is sound because a value has exactly one ciphertext per secret: a stored value differs from every
/// encryption of the plaintext exactly when its plaintext differs (values under a retired secret, which cannot be
/// decrypted any more, always count as different). Null comparisons pass through (nulls are stored as null).
/// </remarks>
internal sealed class FilterRewriter : ExpressionVisitor
{
    private static readonly MethodInfo s_enumerableContains = typeof(Enumerable).GetMethods()
        .Single(m => m.Name == nameof(Enumerable.Contains) && m.GetParameters().Length == 2);

    private readonly ParameterExpression _record;
    private readonly IReadOnlyDictionary<string, DeterministicField> _deterministic;
    private readonly IReadOnlySet<string> _standard;
    private readonly Func<DeterministicField, byte[], IReadOnlyList<byte[]>> _encrypt;

    private FilterRewriter(
        ParameterExpression record,
        IReadOnlyDictionary<string, DeterministicField> deterministic,
        IReadOnlySet<string> standard,
        Func<DeterministicField, byte[], IReadOnlyList<byte[]>> encrypt)
    {
        _record = record;
        _deterministic = deterministic;
        _standard = standard;
        _encrypt = encrypt;
    }

    /// <summary>Rewrites <paramref name="filter"/>, or returns null for null.</summary>
    /// <param name="filter">The caller's filter.</param>
    /// <param name="deterministic">Deterministic properties by name.</param>
    /// <param name="standard">Names of standard-encrypted properties.</param>
    /// <param name="encrypt">Encrypts a plaintext under every live secret of the property.</param>
    public static Expression<Func<TRecord, bool>>? Rewrite<TRecord>(
        Expression<Func<TRecord, bool>>? filter,
        IReadOnlyDictionary<string, DeterministicField> deterministic,
        IReadOnlySet<string> standard,
        Func<DeterministicField, byte[], IReadOnlyList<byte[]>> encrypt)
    {
        if (filter is null)
        {
            return null;
        }

        var rewriter = new FilterRewriter(filter.Parameters[0], deterministic, standard, encrypt);
        return filter.Update(rewriter.Visit(filter.Body), filter.Parameters);
    }

    /// <summary>
    /// Rewrites <paramref name="filter"/> (null for null), encrypting every plaintext it compares with in one batch call:
    /// a first pass collects them, a second pass (visiting in the same order) puts in their ciphertexts.
    /// </summary>
    /// <param name="filter">The caller's filter.</param>
    /// <param name="deterministic">Deterministic properties by name.</param>
    /// <param name="standard">Names of standard-encrypted properties.</param>
    /// <param name="encryptAll">Encrypts each plaintext under every live secret of its property.</param>
    /// <param name="cancellationToken">Cancels the encryption.</param>
    public static async Task<Expression<Func<TRecord, bool>>?> RewriteAsync<TRecord>(
        Expression<Func<TRecord, bool>>? filter,
        IReadOnlyDictionary<string, DeterministicField> deterministic,
        IReadOnlySet<string> standard,
        Func<IReadOnlyList<(DeterministicField Property, byte[] Plaintext)>, CancellationToken, Task<IReadOnlyList<IReadOnlyList<byte[]>>>> encryptAll,
        CancellationToken cancellationToken)
    {
        var wanted = new List<(DeterministicField Property, byte[] Plaintext)>();
        if (Rewrite(filter, deterministic, standard, (property, plaintext) =>
        {
            wanted.Add((property, plaintext));
            return [];
        }) is null || wanted.Count == 0)
        {
            return filter;
        }

        IReadOnlyList<IReadOnlyList<byte[]>> ciphertexts = await encryptAll(wanted, cancellationToken).ConfigureAwait(false);
        int next = 0;
        return Rewrite(filter, deterministic, standard, (_, _) => ciphertexts[next++]);
    }

    /// <summary>Throws if <paramref name="selector"/> (an order-by key) reads an encrypted property.</summary>
    public static void ThrowIfEncrypted(
        LambdaExpression selector, IReadOnlyDictionary<string, DeterministicField> deterministic, IReadOnlySet<string> standard)
    {
        var rewriter = new FilterRewriter(selector.Parameters[0], deterministic, standard, (_, _) => []);
        if (rewriter.MatchProtected(selector.Body) is { } name)
        {
            throw new NotSupportedException($"Cannot order by property '{name}': it is encrypted, so its stored order is meaningless.");
        }

        rewriter.Visit(selector.Body);
    }

    /// <inheritdoc/>
    protected override Expression VisitBinary(BinaryExpression node)
    {
        if (node.NodeType is ExpressionType.Equal or ExpressionType.NotEqual)
        {
            if (MatchDeterministic(node.Left) is { } left && IsEvaluable(node.Right))
            {
                return RewriteComparison(node, left, node.Left, node.Right);
            }

            if (MatchDeterministic(node.Right) is { } right && IsEvaluable(node.Left))
            {
                return RewriteComparison(node, right, node.Right, node.Left);
            }
        }

        if ((MatchProtected(node.Left) ?? MatchProtected(node.Right)) is { } name)
        {
            throw Unsupported(name, OperatorName(node.NodeType));
        }

        return base.VisitBinary(node);
    }

    /// <inheritdoc/>
    protected override Expression VisitMethodCall(MethodCallExpression node)
    {
        // values.Contains(x.P): Enumerable.Contains(values, x.P), MemoryExtensions.Contains(values, x.P) (C# 14 binds
        // arrays to spans) or an instance Contains(x.P) on a collection.
        if (node.Method.Name == nameof(Enumerable.Contains))
        {
            (Expression? source, Expression? item) = node switch
            {
                { Object: null, Arguments.Count: 2 } => (node.Arguments[0], node.Arguments[1]),
                { Object: { } target, Arguments.Count: 1 } => (target, node.Arguments[0]),
                _ => (null, null),
            };
            if (source is not null && item is not null && MatchDeterministic(item) is { } property)
            {
                source = UnwrapSpanConversion(source);
                if (!IsEvaluable(source))
                {
                    throw Unsupported(property.Value.Name, "Contains over a non-constant collection");
                }

                var ciphertexts = new List<object>();
                foreach (object? value in (System.Collections.IEnumerable)Evaluate(source)!)
                {
                    if (value is not null)
                    {
                        ciphertexts.AddRange(_encrypt(property, property.Value.PlaintextToBytes(value)).Select(property.Value.BytesToStored));
                    }
                }

                Type elementType = property.Value.Property.Type;
                Array array = Array.CreateInstance(elementType, ciphertexts.Count);
                for (int i = 0; i < ciphertexts.Count; i++)
                {
                    array.SetValue(ciphertexts[i], i);
                }

                return Expression.Call(s_enumerableContains.MakeGenericMethod(elementType), Expression.Constant(array), AsStored(item, property));
            }
        }

        if (node.Object is not null && MatchProtected(node.Object) is { } name)
        {
            throw Unsupported(name, $"method '{node.Method.Name}'");
        }

        foreach (Expression argument in node.Arguments)
        {
            if (MatchProtected(argument) is { } argumentName)
            {
                throw Unsupported(argumentName, $"method '{node.Method.Name}'");
            }
        }

        return base.VisitMethodCall(node);
    }

    /// <inheritdoc/>
    protected override Expression VisitMember(MemberExpression node) =>
        MatchProtected(node) is { } name ? throw Unsupported(name, "this expression") : base.VisitMember(node);

    private static NotSupportedException Unsupported(string property, string operation) => new(
        $"Filters on encrypted property '{property}' support only == and != with a value (and Contains on a list of values) when it is " +
        $"encrypted deterministically, and nothing when it is encrypted with standard encryption; found {operation}.");

    private static string OperatorName(ExpressionType type) => type switch
    {
        ExpressionType.Equal => "== with a non-constant operand",
        ExpressionType.NotEqual => "!= with a non-constant operand",
        ExpressionType.LessThan => "<",
        ExpressionType.LessThanOrEqual => "<=",
        ExpressionType.GreaterThan => ">",
        ExpressionType.GreaterThanOrEqual => ">=",
        _ => $"operator {type}",
    };

    private static Expression StripConvert(Expression expression)
    {
        while (expression is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked } convert)
        {
            expression = convert.Operand;
        }

        return expression;
    }

    /// <summary>The property read as its stored type (a dynamic record's <c>r["Name"]</c> is an object, converted).</summary>
    private static Expression AsStored(Expression read, DeterministicField property)
    {
        Expression stripped = StripConvert(read);
        return stripped.Type == property.Value.Property.Type ? stripped : Expression.Convert(stripped, property.Value.Property.Type);
    }

    private static Expression UnwrapSpanConversion(Expression expression) =>
        expression is MethodCallExpression { Method.Name: "op_Implicit", Arguments.Count: 1 } conversion ? conversion.Arguments[0] : expression;

    private static object? Evaluate(Expression expression) => expression is ConstantExpression constant
        ? constant.Value
        : Expression.Lambda<Func<object?>>(Expression.Convert(expression, typeof(object))).Compile(preferInterpretation: true)();

    private Expression RewriteComparison(BinaryExpression node, DeterministicField property, Expression member, Expression valueExpression)
    {
        object? value = Evaluate(valueExpression);
        if (value is null)
        {
            return node;
        }

        Expression stripped = AsStored(member, property);
        Expression? result = null;
        foreach (byte[] ciphertext in _encrypt(property, property.Value.PlaintextToBytes(value)))
        {
            Expression constant = Expression.Constant(property.Value.BytesToStored(ciphertext), stripped.Type);
            Expression comparison = node.NodeType == ExpressionType.Equal ? Expression.Equal(stripped, constant) : Expression.NotEqual(stripped, constant);
            result = result is null ? comparison
                : node.NodeType == ExpressionType.Equal ? Expression.OrElse(result, comparison)
                : Expression.AndAlso(result, comparison);
        }

        return result ?? Expression.Constant(node.NodeType == ExpressionType.NotEqual);
    }

    private bool IsEvaluable(Expression expression)
    {
        var finder = new ParameterFinder(_record);
        finder.Visit(expression);
        return !finder.Found;
    }

    private DeterministicField? MatchDeterministic(Expression expression) =>
        PropertyName(expression) is { } name && _deterministic.TryGetValue(name, out DeterministicField? deterministic) ? deterministic : null;

    private string? MatchProtected(Expression expression) =>
        PropertyName(expression) is { } name && (_deterministic.ContainsKey(name) || _standard.Contains(name)) ? name : null;

    /// <summary>The name of the record property <paramref name="expression"/> reads: <c>r.Name</c>, or <c>r["Name"]</c> on a dynamic record.</summary>
    private string? PropertyName(Expression expression) => StripConvert(expression) switch
    {
        MemberExpression { Expression: ParameterExpression parameter, Member: PropertyInfo property } when parameter == _record => property.Name,
        MethodCallExpression { Object: ParameterExpression parameter, Method.Name: "get_Item", Arguments: [ConstantExpression { Value: string name }] } when parameter == _record => name,
        _ => null,
    };

    private sealed class ParameterFinder(ParameterExpression parameter) : ExpressionVisitor
    {
        public bool Found { get; private set; }

        protected override Expression VisitParameter(ParameterExpression node)
        {
            Found |= node == parameter;
            return node;
        }
    }
}
