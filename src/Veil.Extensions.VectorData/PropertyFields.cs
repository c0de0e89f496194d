using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData.ProviderServices;
using Veil.Keys;

namespace Veil.Extensions.VectorData;

/// <summary>A data property that holds bytes, as a byte[] or a base64 string, read and written through its <see cref="PropertyAccessor"/>.</summary>
internal sealed class BytesField
{
    public BytesField(PropertyModel property)
    {
        Property = property;
        Access = new PropertyAccessor(property);
        IsString = property.Type == typeof(string) ? true
            : property.Type == typeof(byte[]) ? false
            : throw new NotSupportedException(
                $"Property '{property.ModelName}' is of type '{property.Type.Name}'; encrypted and companion properties must be string or byte[].");
    }

    public PropertyModel Property { get; }

    /// <summary>Reads and writes the property.</summary>
    public PropertyAccessor Access { get; }

    /// <summary>Whether the value is a string (base64 of the stored bytes, UTF-8 of the plaintext) rather than byte[].</summary>
    public bool IsString { get; }

    public string Name => Property.ModelName;

    /// <summary>Whether the property holds a value (plaintext or stored bytes alike).</summary>
    public bool HasValue(object record) => Access.Get(record) is not null;

    /// <summary>The stored bytes, or null. A string that is not base64 throws <see cref="FormatException"/>.</summary>
    public byte[]? GetBytes(object record) => Access.Get(record) switch
    {
        string text => Convert.FromBase64String(text),
        byte[] bytes => bytes,
        _ => null,
    };

    public void SetBytes(object record, byte[]? bytes) =>
        Access.Set(record, bytes is null ? null : IsString ? Convert.ToBase64String(bytes) : bytes);

    /// <summary>The plaintext value's bytes (UTF-8 for strings), or null.</summary>
    public byte[]? GetPlaintext(object record) => Access.Get(record) switch
    {
        string text => System.Text.Encoding.UTF8.GetBytes(text),
        byte[] bytes => bytes,
        _ => null,
    };

    public void SetPlaintext(object record, byte[]? plaintext) =>
        Access.Set(record, plaintext is null ? null : IsString ? System.Text.Encoding.UTF8.GetString(plaintext) : plaintext);

    /// <summary>A plaintext filter value as bytes.</summary>
    public byte[] PlaintextToBytes(object value) => value switch
    {
        string text => System.Text.Encoding.UTF8.GetBytes(text),
        byte[] bytes => bytes,
        _ => throw new NotSupportedException($"A filter compares property '{Name}' with a value of type '{value.GetType().Name}'."),
    };

    /// <summary>Stored bytes as the constant a filter compares the property with.</summary>
    public object BytesToStored(byte[] bytes) => IsString ? Convert.ToBase64String(bytes) : bytes;
}

/// <summary>A deterministically encrypted property with its key selection.</summary>
internal sealed class DeterministicField(PropertyModel property, SecretPath secretPath, DerivationPath derivationPath)
{
    public BytesField Value { get; } = new(property);

    public SecretPath SecretPath { get; } = secretPath;

    public DerivationPath DerivationPath { get; } = derivationPath;
}

/// <summary>
/// A vector property (MEVD's model of it: dimensions, distance function, embedding generator) and the companion that
/// stores its paired ICL info.
/// </summary>
internal sealed class VectorField
{
    /// <summary>The vector types the decorator encrypts as they are.</summary>
    public const string SupportedTypes = "float[], ReadOnlyMemory<float> or Embedding<float> (or an input type an embedding generator embeds)";

    private readonly bool _dynamic;
    private readonly PropertyAccessor _access;

    /// <summary>The property's declared type (MEVD's model reports a nullable vector type without its <c>?</c>).</summary>
    private readonly Type _type;

    public VectorField(VectorPropertyModel property, Type declaredType, BytesField? companion, bool dynamic)
    {
        Property = property;
        _access = new PropertyAccessor(property);
        Companion = companion;
        _dynamic = dynamic;
        _type = declaredType;
        IsGenerated = !IsNative(_type);
        if (IsGenerated && !dynamic)
        {
            throw new NotSupportedException(
                $"Vector property '{property.ModelName}' is a '{_type.Name}' embedded by a generator: the inner collection of the same record class cannot hold its encrypted vector. " +
                "Use a dynamic collection (EncryptingVectorStore.GetDynamicCollection), or a ReadOnlyMemory<float> property that you fill with the generator's embedding.");
        }
    }

    public VectorPropertyModel Property { get; }

    public string Name => Property.ModelName;

    public int Dimensions => Property.Dimensions;

    public string DistanceFunction => Property.DistanceFunction ?? Microsoft.Extensions.VectorData.DistanceFunction.CosineSimilarity;

    public BytesField? Companion { get; }

    /// <summary>Whether the property holds an input (such as text) that MEVD's embedding generator turns into the vector.</summary>
    public bool IsGenerated { get; }

    /// <summary>Whether the decorator encrypts values of <paramref name="type"/> as they are.</summary>
    public static bool IsNative(Type type) =>
        type == typeof(float[]) || type == typeof(ReadOnlyMemory<float>) || type == typeof(ReadOnlyMemory<float>?) || type == typeof(Embedding<float>);

    /// <summary>The plaintext vector of <paramref name="record"/>, or null when it has none.</summary>
    /// <exception cref="ArgumentException">The property holds an embedding an encrypting generator made (already encrypted).</exception>
    public ReadOnlyMemory<float>? GetVector(object record) => AsVector(_access.Get(record), Name);

    /// <summary>A stored or supplied value as a vector: null when it is none.</summary>
    public static ReadOnlyMemory<float>? AsVector(object? value, string what) => value switch
    {
        float[] array => (ReadOnlyMemory<float>?)array,
        ReadOnlyMemory<float> memory => memory,
        Embedding<float> embedding => EncryptedEmbeddings.Plaintext(embedding, what),
        _ => null,
    };

    /// <summary>The property's raw value (the generator's input for a generated property).</summary>
    public object? GetInput(object record) => _access.Get(record);

    /// <summary>Sets a decrypted vector (or none) in the property's own type; a generated property gets none back.</summary>
    public void SetPlaintext(object record, float[]? vector)
    {
        if (IsGenerated)
        {
            _access.Set(record, null);
            return;
        }

        Type type = _type;
        object? value = vector is null
            ? (type == typeof(ReadOnlyMemory<float>) && !_dynamic ? (object)ReadOnlyMemory<float>.Empty : null)
            : type == typeof(float[]) ? vector
            : type == typeof(Embedding<float>) ? new Embedding<float>(vector)
            : (object)new ReadOnlyMemory<float>(vector);
        _access.Set(record, value);
    }

    /// <summary>Sets a ciphertext: in the property's own type (a generated property of a dynamic record gets a <c>ReadOnlyMemory&lt;float&gt;</c>).</summary>
    public void SetCiphertext(object record, ReadOnlyMemory<float> vector) =>
        _access.Set(record, IsGenerated ? vector
            : _type == typeof(float[]) ? vector.ToArray()
            : _type == typeof(Embedding<float>) ? new Embedding<float>(vector)
            : (object)vector);

    /// <summary>Reads a stored ciphertext (any vector shape the inner store returns).</summary>
    public ReadOnlyMemory<float>? GetCiphertext(object record) => _access.Get(record) switch
    {
        float[] array => (ReadOnlyMemory<float>?)array,
        ReadOnlyMemory<float> memory => memory,
        Embedding<float> embedding => embedding.Vector,
        _ => null,
    };
}
