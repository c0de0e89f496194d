using System.Runtime.InteropServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace Veil.Stores.Sql;

/// <summary>
/// Conversions between the vector types MEVD records and searches use (<c>float[]</c>,
/// <see cref="ReadOnlyMemory{T}"/> of float, <see cref="Embedding{T}"/> of float) and plain float arrays. Shared (as
/// linked source) by the SQL stores.
/// </summary>
internal static class VectorValues
{
    /// <summary>The vector property types the stores accept, for messages.</summary>
    public const string SupportedVectorTypes = "float[], ReadOnlyMemory<float>, Embedding<float>";

    /// <summary>Whether <paramref name="type"/> (or its nullable form) is a vector type the stores store as given.</summary>
    public static bool IsNativeVectorType(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(float[]) || type == typeof(ReadOnlyMemory<float>) || type == typeof(Embedding<float>);
    }

    /// <summary>The floats of <paramref name="memory"/>, without a copy when it wraps a whole array.</summary>
    public static float[] ToArray(ReadOnlyMemory<float> memory) =>
        MemoryMarshal.TryGetArray(memory, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : memory.ToArray();

    /// <summary>
    /// The floats of a stored vector property value, without a copy, checking its dimension against <paramref name="vector"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The value has the wrong number of dimensions (the message says nothing from the batch was written).</exception>
    public static ReadOnlyMemory<float> ToStoredMemory(VectorPropertyModel vector, object value, int index)
    {
        ReadOnlyMemory<float> floats = value switch
        {
            float[] array => array,
            ReadOnlyMemory<float> memory => memory,
            Embedding<float> embedding => embedding.Vector,
            _ => throw new NotSupportedException($"Vector property '{vector.ModelName}' holds a {value.GetType().Name}."),
        };
        if (floats.Length != vector.Dimensions)
        {
            throw new ArgumentException(
                $"Record {index} of the batch has {floats.Length} dimensions in vector property '{vector.ModelName}'; " +
                $"the collection expects {vector.Dimensions}. Nothing from the batch was written.");
        }

        return floats;
    }

    /// <summary>Wraps read floats in the vector property's declared type.</summary>
    public static object FromFloats(Type propertyType, float[] floats)
    {
        var type = Nullable.GetUnderlyingType(propertyType) ?? propertyType;
        return type == typeof(float[]) ? floats
            : type == typeof(Embedding<float>) ? new Embedding<float>(floats)
            : new ReadOnlyMemory<float>(floats);
    }

    /// <summary>
    /// The query vector of a search: the input itself when it is a vector, else the property's generated embedding.
    /// </summary>
    /// <exception cref="NotSupportedException">The input is not a vector and no embedding generator is configured.</exception>
    public static async ValueTask<float[]> ToQueryVectorAsync<TInput>(TInput searchValue, VectorPropertyModel vectorProperty, CancellationToken cancellationToken)
    {
        switch (searchValue)
        {
            case float[] array:
                return array;
            case ReadOnlyMemory<float> memory:
                return ToArray(memory);
            case Embedding<float> embedding:
                return ToArray(embedding.Vector);
        }

        if (vectorProperty.EmbeddingGenerator is not null)
        {
            var generated = await vectorProperty.GenerateEmbeddingAsync(searchValue, cancellationToken).ConfigureAwait(false);
            if (generated is Embedding<float> floats)
            {
                return ToArray(floats.Vector);
            }
        }

        throw new NotSupportedException(
            VectorDataStrings.InvalidSearchInputAndNoEmbeddingGeneratorWasConfigured(typeof(TInput), SupportedVectorTypes));
    }
}
