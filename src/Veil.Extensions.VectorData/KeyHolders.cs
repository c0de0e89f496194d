namespace Veil.Extensions.VectorData;

/// <summary>The types whose instances hold keys or use them on request, which a decorator's <c>GetService</c> never hands out.</summary>
internal static class KeyHolders
{
    private static readonly Type[] s_holders =
    [
        typeof(VeilClient), typeof(IVeilOperations), typeof(IVeilVectorOperations), typeof(IVeilFieldOperations), typeof(IVeilDocumentOperations),
    ];

    /// <summary>
    /// Whether <paramref name="serviceType"/> asks for a key holder: <see cref="VeilClient"/>, <see cref="IVeilOperations"/>
    /// (local keys or the key service's client), one of its parts, or a type derived from them. The decorators hold one
    /// but never answer with it, nor pass such a request on.
    /// </summary>
    public static bool IsKeyHolder(Type serviceType)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return Array.Exists(s_holders, holder => holder.IsAssignableFrom(serviceType));
    }
}
