using System.Reflection;
using Microsoft.Extensions.VectorData;

namespace Veil.Sealed;

/// <summary>
/// How the sealed collection reads and writes a record type: its key, its vector and the vector's sealed column — a
/// <c>byte[]</c> property (the sealed box as it is, a binary column) or a <c>string</c> property (the box in base64,
/// the format of stores written before binary columns existed).
/// </summary>
internal sealed class SealedRecordModel<TRecord>
    where TRecord : class
{
    private static readonly Func<object, object> s_clone = typeof(object)
        .GetMethod("MemberwiseClone", BindingFlags.Instance | BindingFlags.NonPublic)!
        .CreateDelegate<Func<object, object>>();

    private readonly PropertyInfo _key;
    private readonly PropertyInfo _vector;
    private readonly PropertyInfo _sealed;

    public SealedRecordModel(VectorStoreCollectionDefinition? definition = null)
    {
        PropertyInfo[] properties = typeof(TRecord).GetProperties(BindingFlags.Instance | BindingFlags.Public);
        if (definition is null)
        {
            _key = properties.SingleOrDefault(p => p.GetCustomAttribute<VectorStoreKeyAttribute>() is not null)
                ?? throw new ArgumentException($"'{typeof(TRecord).Name}' has no [VectorStoreKey] property.");
            PropertyInfo[] vectors = properties.Where(p => p.GetCustomAttribute<VectorStoreVectorAttribute>() is not null).ToArray();
            if (vectors.Length != 1)
            {
                throw new NotSupportedException($"The sealed collection supports records with exactly one vector property; '{typeof(TRecord).Name}' has {vectors.Length}.");
            }

            _vector = vectors[0];
            VectorStoreVectorAttribute attribute = _vector.GetCustomAttribute<VectorStoreVectorAttribute>()!;
            Dimensions = attribute.Dimensions;
            DistanceFunction = attribute.DistanceFunction ?? Microsoft.Extensions.VectorData.DistanceFunction.CosineSimilarity;
        }
        else
        {
            VectorStoreKeyProperty key = definition.Properties.OfType<VectorStoreKeyProperty>().SingleOrDefault()
                ?? throw new ArgumentException("The record definition has no key property.", nameof(definition));
            VectorStoreVectorProperty[] vectors = definition.Properties.OfType<VectorStoreVectorProperty>().ToArray();
            if (vectors.Length != 1)
            {
                throw new NotSupportedException($"The sealed collection supports records with exactly one vector property; the definition has {vectors.Length}.");
            }

            _key = Property(properties, key.Name);
            _vector = Property(properties, vectors[0].Name);
            Dimensions = vectors[0].Dimensions;
            DistanceFunction = vectors[0].DistanceFunction ?? Microsoft.Extensions.VectorData.DistanceFunction.CosineSimilarity;
        }

        if (_vector.PropertyType != typeof(ReadOnlyMemory<float>) && _vector.PropertyType != typeof(ReadOnlyMemory<float>?) && _vector.PropertyType != typeof(float[]))
        {
            throw new NotSupportedException($"Vector property '{_vector.Name}' must be ReadOnlyMemory<float>, ReadOnlyMemory<float>? or float[].");
        }

        if (DistanceFunction is not (Microsoft.Extensions.VectorData.DistanceFunction.CosineSimilarity
            or Microsoft.Extensions.VectorData.DistanceFunction.CosineDistance
            or Microsoft.Extensions.VectorData.DistanceFunction.DotProductSimilarity))
        {
            throw new NotSupportedException($"The sealed collection ranks by cosine or dot product; vector property '{_vector.Name}' uses '{DistanceFunction}'.");
        }

        _sealed = SealedProperty(properties, _vector.Name, definition);
        if ((_sealed.PropertyType != typeof(byte[]) && _sealed.PropertyType != typeof(string)) || !_sealed.CanWrite || !_vector.CanWrite)
        {
            throw new ArgumentException($"The sealed vector property '{_sealed.Name}' must be a settable byte[] (or string, base64), and '{_vector.Name}' settable.");
        }

        IsBase64 = _sealed.PropertyType == typeof(string);
    }

    public int Dimensions { get; }

    /// <summary>Gets whether the sealed column holds base64 text (a string property) rather than the box's bytes.</summary>
    public bool IsBase64 { get; }

    private static PropertyInfo Property(PropertyInfo[] properties, string name) =>
        properties.SingleOrDefault(p => p.Name == name)
        ?? throw new ArgumentException($"'{typeof(TRecord).Name}' has no public property '{name}' named by the record definition.");

    public string DistanceFunction { get; }

    public bool HigherIsBetter => DistanceFunction != Microsoft.Extensions.VectorData.DistanceFunction.CosineDistance;

    public static TRecord Clone(TRecord record) => (TRecord)s_clone(record);

    public object? GetKey(TRecord record) => _key.GetValue(record);

    public ReadOnlyMemory<float>? GetVector(TRecord record) => _vector.GetValue(record) switch
    {
        ReadOnlyMemory<float> memory => memory,
        float[] array => array,
        _ => null,
    };

    public void SetVector(TRecord record, float[]? vector)
    {
        if (_vector.PropertyType == typeof(float[]))
        {
            _vector.SetValue(record, vector);
        }
        else if (_vector.PropertyType == typeof(ReadOnlyMemory<float>))
        {
            _vector.SetValue(record, vector is null ? ReadOnlyMemory<float>.Empty : new ReadOnlyMemory<float>(vector));
        }
        else
        {
            _vector.SetValue(record, vector is null ? null : (ReadOnlyMemory<float>?)new ReadOnlyMemory<float>(vector));
        }
    }

    /// <summary>The stored sealed box of <paramref name="record"/>: its bytes, or null when the column is empty or (base64) not valid base64.</summary>
    public byte[]? GetSealed(TRecord record)
    {
        object? value = _sealed.GetValue(record);
        if (value is string text)
        {
            try
            {
                return Convert.FromBase64String(text);
            }
            catch (FormatException)
            {
                return null;
            }
        }

        return (byte[]?)value;
    }

    /// <summary>Sets the sealed column of <paramref name="record"/> to <paramref name="box"/> (kept, not copied), or empties it.</summary>
    public void SetSealed(TRecord record, byte[]? box) =>
        _sealed.SetValue(record, box is null ? null : IsBase64 ? Convert.ToBase64String(box) : box);

    /// <summary>
    /// The property marked <c>[SealedVector]</c> for the vector: the only one, or with a definition the one the definition
    /// lists (a record type may keep one per stored format, a definition choosing the collection's).
    /// </summary>
    private static PropertyInfo SealedProperty(PropertyInfo[] properties, string vector, VectorStoreCollectionDefinition? definition)
    {
        PropertyInfo[] marked = properties.Where(p => p.GetCustomAttribute<SealedVectorAttribute>()?.VectorProperty == vector).ToArray();
        if (definition is not null)
        {
            marked = marked.Where(p => definition.Properties.Any(d => d.Name == p.Name)).ToArray();
        }

        return marked.Length == 1
            ? marked[0]
            : throw new ArgumentException(marked.Length == 0
                ? $"'{typeof(TRecord).Name}' needs a byte[] property marked [SealedVector(nameof({vector}))] to hold the sealed vector."
                : $"'{typeof(TRecord).Name}' has {marked.Length} properties marked [SealedVector(nameof({vector}))]; the record definition must list exactly one of them.");
    }
}
