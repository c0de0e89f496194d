using System.Linq.Expressions;
using System.Reflection;
using Microsoft.Extensions.VectorData;

namespace Veil.Extensions.VectorData;

/// <summary>The search options the decorator passes to the inner store.</summary>
internal static class InnerSearchOptions
{
    /// <summary>
    /// New search options for the inner store with <paramref name="filter"/>: plain ones, or, when the caller passed a
    /// store's own options type (for example <c>PostgresVectorSearchOptions</c> with its <c>EfSearch</c>), a copy of it,
    /// so its settings reach the store. The caller then sets what the decorator decides (skip, vectors, threshold).
    /// </summary>
    /// <exception cref="NotSupportedException">The options type has no public parameterless constructor.</exception>
    public static VectorSearchOptions<TRecord> For<TRecord>(VectorSearchOptions<TRecord> options, Expression<Func<TRecord, bool>>? filter)
    {
        Type type = options.GetType();
        VectorSearchOptions<TRecord> copy;
        if (type == typeof(VectorSearchOptions<TRecord>))
        {
            copy = new VectorSearchOptions<TRecord>();
        }
        else
        {
            if (type.GetConstructor(Type.EmptyTypes) is null)
            {
                throw new NotSupportedException($"The search options type '{type.Name}' needs a public parameterless constructor so that the encrypting collection can pass a copy to its inner store.");
            }

            copy = (VectorSearchOptions<TRecord>)Activator.CreateInstance(type)!;
            foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.CanRead && property.CanWrite && property.GetIndexParameters().Length == 0)
                {
                    property.SetValue(copy, property.GetValue(options));
                }
            }
        }

        copy.Filter = filter;
        return copy;
    }
}
