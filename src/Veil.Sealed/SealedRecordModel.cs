using System.Reflection;
using Microsoft.Extensions.VectorData;

namespace Veil.Sealed;

/// <summary>How the sealed collection reads and writes a record type: its key, its vector and the vector's sealed column.</summary>
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

        _sealed = properties.SingleOrDefault(p => p.GetCustomAttribute<SealedVectorAttribute>()?.VectorProperty == _vector.Name)
            ?? throw new ArgumentException($"'{typeof(TRecord).Name}' needs a string property marked [SealedVector(nameof({_vector.Name}))] to hold the sealed vector.");
        if (_sealed.PropertyType != typeof(string) || !_sealed.CanWrite || !_vector.CanWrite)
        {
            throw new ArgumentException($"The sealed vector property '{_sealed.Name}' must be a settable string, and '{_vector.Name}' settable.");
        }
    }

    public int Dimensions { get; }

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

    public string? GetSealed(TRecord record) => (string?)_sealed.GetValue(record);

    public void SetSealed(TRecord record, string? value) => _sealed.SetValue(record, value);
}
