using System.Linq.Expressions;
using System.Reflection;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace Veil.Extensions.VectorData;

/// <summary>
/// Reads and writes one property of a record. A record class's property goes through a getter and a setter compiled
/// once (expression trees over the CLR property, whatever the accessors' visibility, init-only setters included), so
/// that a batch pays neither reflection nor its argument arrays per value; a dynamic record's entry is read as it is
/// (the inner store returns a generated property's encrypted vector where MEVD's accessor expects its input type).
/// Null is written too (MEVD's record-class setter skips it): as the default of a non-nullable value type.
/// </summary>
internal sealed class PropertyAccessor
{
    private readonly string _name;
    private readonly Func<object, object?> _get;
    private readonly Action<object, object?> _set;

    public PropertyAccessor(PropertyModel property)
    {
        _name = property.ModelName;
        if (property.PropertyInfo is { } info && info.GetGetMethod(nonPublic: true) is not null && info.GetSetMethod(nonPublic: true) is { } setter)
        {
            (_get, _set) = (CompileGetter(info), CompileSetter(info, setter));
        }
        else
        {
            // Dynamic records (no CLR property), handled by the dictionary branches below; MEVD's accessors otherwise.
            _get = property.GetValueAsObject;
            _set = (record, value) => property.SetValueAsObject(record, value!);
        }
    }

    /// <summary>The property's value (the dictionary entry of a dynamic record, null when absent).</summary>
    public object? Get(object record) => record is Dictionary<string, object?> dynamic ? dynamic.GetValueOrDefault(_name) : _get(record);

    /// <summary>Sets the property's value (null too).</summary>
    /// <exception cref="InvalidCastException">The value is not of the property's type.</exception>
    public void Set(object record, object? value)
    {
        if (record is Dictionary<string, object?> dynamic)
        {
            dynamic[_name] = value;
        }
        else
        {
            _set(record, value);
        }
    }

    /// <summary>
    /// A shallow copy of a record class: a new instance (public parameterless constructor) with each of
    /// <paramref name="properties"/> copied from the source, typed (no boxing), in one compiled delegate; null when a
    /// property has no CLR getter and setter (MEVD's accessors must then copy it).
    /// </summary>
    public static Func<TRecord, TRecord>? CompileCopy<TRecord>(IEnumerable<PropertyModel> properties)
        where TRecord : class
    {
        if (typeof(TRecord).GetConstructor(Type.EmptyTypes) is not { } constructor)
        {
            return null;
        }

        ParameterExpression source = Expression.Parameter(typeof(TRecord), "source");
        ParameterExpression copy = Expression.Variable(typeof(TRecord), "copy");
        var body = new List<Expression> { Expression.Assign(copy, Expression.New(constructor)) };
        foreach (PropertyModel property in properties)
        {
            if (property.PropertyInfo is not { } info || info.GetGetMethod(nonPublic: true) is not { } getter || info.GetSetMethod(nonPublic: true) is not { } setter)
            {
                return null;
            }

            body.Add(Expression.Call(Owner(copy, setter), setter, Expression.Call(Owner(source, getter), getter)));
        }

        body.Add(copy);
        return Expression.Lambda<Func<TRecord, TRecord>>(Expression.Block([copy], body), source).Compile();
    }

    private static Func<object, object?> CompileGetter(PropertyInfo info)
    {
        ParameterExpression record = Expression.Parameter(typeof(object), "record");
        MethodInfo getter = info.GetGetMethod(nonPublic: true)!;
        Expression value = Expression.Call(Owner(record, getter), getter);
        return Expression.Lambda<Func<object, object?>>(Expression.Convert(value, typeof(object)), record).Compile();
    }

    private static Action<object, object?> CompileSetter(PropertyInfo info, MethodInfo setter)
    {
        ParameterExpression record = Expression.Parameter(typeof(object), "record");
        ParameterExpression value = Expression.Parameter(typeof(object), "value");
        Type type = info.PropertyType;
        Expression typed = type.IsValueType && Nullable.GetUnderlyingType(type) is null
            ? Expression.Condition(Expression.Equal(value, Expression.Constant(null)), Expression.Default(type), Expression.Convert(value, type))
            : Expression.Convert(value, type);
        return Expression.Lambda<Action<object, object?>>(Expression.Call(Owner(record, setter), setter, typed), record, value).Compile();
    }

    /// <summary>The instance an accessor is called on, cast to the type that declares it.</summary>
    private static Expression Owner(Expression record, MethodInfo accessor) =>
        record.Type == accessor.DeclaringType ? record : Expression.Convert(record, accessor.DeclaringType!);
}
