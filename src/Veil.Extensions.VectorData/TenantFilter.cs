using System.Linq.Expressions;

namespace Veil.Extensions.VectorData;

/// <summary>The condition that keeps a shared collection's reads to one tenant (<see cref="EncryptingCollectionOptions.TenantProperty"/>).</summary>
internal static class TenantFilter
{
    /// <summary>The filter AND "the tenant property equals this tenant" (before encryption), with a tenant property.</summary>
    public static Expression<Func<TRecord, bool>>? Restrict<TRecord>(
        Expression<Func<TRecord, bool>>? filter, EncryptedRecordModel<TRecord> model, EncryptingCollectionOptions options)
        where TRecord : class
    {
        if (model.Tenant is not { } tenant)
        {
            return filter;
        }

        ParameterExpression parameter = filter?.Parameters[0] ?? Expression.Parameter(typeof(TRecord), "r");
        Expression ownTenant = Expression.Equal(Read(parameter, tenant.Value.Name, model.IsDynamic), Expression.Constant(options.Tenant.Value, typeof(string)));
        return Expression.Lambda<Func<TRecord, bool>>(filter is null ? ownTenant : Expression.AndAlso(filter.Body, ownTenant), parameter);
    }

    /// <summary><c>r.Name</c>, or <c>(string)r["Name"]</c> on a dynamic record.</summary>
    private static Expression Read(ParameterExpression record, string name, bool dynamic) => dynamic
        ? Expression.Convert(Expression.Call(record, typeof(Dictionary<string, object?>).GetMethod("get_Item")!, Expression.Constant(name)), typeof(string))
        : Expression.Property(record, name);
}
